// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * `deno task demo`: runs `demo_app.ts` (an in-process receiver fed by
 * `@std/log`, LogTape and a real CPython program) as a child process.
 *
 * It first checks whether `@std/log` resolves as `deno.json` says
 * (`jsr:@std/log@^0.224.14`). Where JSR is unreachable it says so in one
 * line and runs the demo against the test stand-in of `@std/log` 0.224.14
 * (`tests/std_log`, through `tests/import_map.json`). The demo's exit code
 * is passed through: 0 only if every record arrived.
 *
 * Permissions: `--allow-run --allow-read` (the child gets `--allow-net
 * --allow-read --allow-run --allow-env`).
 *
 * @module
 */

const APP = new URL("./demo_app.ts", import.meta.url);
const IMPORT_MAP = new URL("../tests/import_map.json", import.meta.url);
const CHECK_TIMEOUT_MS = 60_000;

function toPath(url: URL): string {
  const p = decodeURIComponent(url.pathname);
  return /^\/[A-Za-z]:\//.test(p) ? p.slice(1) : p;
}

/** `deno cache` of the app: undefined on success, else its error text. */
async function cacheError(
  deno: string,
  app: string,
): Promise<string | undefined> {
  const child = new Deno.Command(deno, {
    args: ["cache", "--quiet", app],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill();
    } catch { /* already exited */ }
  }, CHECK_TIMEOUT_MS);
  try {
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    return status.success ? undefined : stderr;
  } finally {
    clearTimeout(timer);
  }
}

async function launch(): Promise<number> {
  const deno = Deno.execPath();
  const app = toPath(APP);
  const args = [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-run",
    "--allow-env",
  ];
  const error = await cacheError(deno, app);
  if (error !== undefined) {
    if (!/@std\/log|jsr\.io/.test(error)) {
      // Not the JSR case: show why, then try the stand-in anyway.
      const first = error.trim().split("\n")[0];
      console.log(`demo: 'deno cache ${app}' failed: ${first}`);
    }
    console.log(
      "demo: jsr:@std/log is unreachable here; running against the @std/log 0.224.14 test stand-in (tests/std_log)",
    );
    args.push(`--import-map=${toPath(IMPORT_MAP)}`);
  }
  args.push(app);
  const status = await new Deno.Command(deno, {
    args,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return status.code;
}

if (import.meta.main) {
  Deno.exitCode = await launch();
}
