// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * `deno doc --lint` of the entry points, with `@std/log` as a remote package,
 * as it is for users.
 *
 * JSR is unreachable here, so the tests map `@std/log` to the stand-in in
 * `tests/std_log/`. Given as local files, `deno doc --lint` would count the
 * stand-in's types (`LogRecord`, `LevelName`, …) as this package's own and ask
 * the package to export them (`private-type-ref`), which it must not: they
 * belong to `@std/log`. This script serves `tests/std_log/` on a loopback port
 * for the run, so that `deno doc` sees `@std/log` as it sees `jsr:@std/log`: a
 * remote dependency.
 *
 *   deno run --allow-read --allow-write --allow-run --allow-net=127.0.0.1 \
 *     _tools/doc_lint.ts <entry points…>
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const STD_LOG = join(ROOT, "tests", "std_log");

const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  async (request) => {
    const name = new URL(request.url).pathname.slice(1);
    if (!/^[a-z_]+\.ts$/.test(name)) {
      return new Response("not found", { status: 404 });
    }
    try {
      const body = await Deno.readFile(join(STD_LOG, name));
      return new Response(body, {
        headers: { "content-type": "application/typescript" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  },
);
const base = `http://127.0.0.1:${server.addr.port}/`;
const local = JSON.parse(
  Deno.readTextFileSync(join(ROOT, "tests", "import_map.json")),
) as { imports: Record<string, string> };
const imports: Record<string, string> = {};
for (const [key, path] of Object.entries(local.imports)) {
  imports[key] = base + path.replace(/^\.\/std_log\//, "");
}
const dir = Deno.makeTempDirSync({ prefix: "doc_lint_" });
const map = join(dir, "import_map.json");
Deno.writeTextFileSync(map, JSON.stringify({ imports }));

let code = 1;
try {
  const status = await new Deno.Command(Deno.execPath(), {
    args: [
      "doc",
      "--lint",
      `--allow-import=127.0.0.1:${server.addr.port}`,
      `--import-map=${map}`,
      ...Deno.args,
    ],
    cwd: ROOT,
    env: { DENO_DIR: join(dir, "deno_dir") },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  code = status.code;
} finally {
  await server.shutdown();
  Deno.removeSync(dir, { recursive: true });
}
Deno.exit(code);
