// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The web viewer when the package is loaded from a remote URL, as from
// JSR: this checkout is served over HTTP on loopback and `cli.ts --web`
// runs from an http: URL with no --allow-read, so the page files can only
// come through the module's own URL, never through the file system.
import { equal, match, ok } from "node:assert/strict";
import { readFirstLine } from "./_first_line.ts";

const ROOT = new URL("../", import.meta.url);
const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".js": "text/javascript",
  ".css": "text/css",
  ".html": "text/html",
};

Deno.test("web viewer: cli.ts run from an http: URL serves its page files", async () => {
  const requested: string[] = [];
  const files = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      requested.push(path);
      if (path.includes("..")) return new Response("no", { status: 400 });
      try {
        const body = await Deno.readFile(new URL(`.${path}`, ROOT));
        const ext = /\.[a-z]+$/.exec(path)?.[0] ?? "";
        return new Response(body, {
          headers: { "content-type": TYPES[ext] ?? "text/plain" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const origin = `127.0.0.1:${files.addr.port}`;
  const denoDir = await Deno.makeTempDir({ prefix: "viewer-remote-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-lock",
      "--no-config",
      `--allow-import=${origin}`,
      "--allow-net=127.0.0.1",
      `http://${origin}/cli.ts`,
      "--port",
      "0",
      "--web",
      "127.0.0.1:0",
    ],
    env: { DENO_DIR: denoDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const stderr = await readFirstLine(child.stderr);
    match(stderr.first, /^listening on 127\.0\.0\.1:\d+$/);
    const web = /^web viewer on (\S+)$/.exec(await stderr.next())?.[1];
    if (web === undefined) throw new Error("no 'web viewer on' line");
    for (
      const [path, file] of [
        ["", "index.html"],
        ["app.js", "app.js"],
        ["app.css", "app.css"],
      ] as const
    ) {
      const res: Response = await fetch(new URL(path, web));
      equal(res.status, 200, path);
      const got = new Uint8Array(await res.arrayBuffer());
      const want = await Deno.readFile(new URL(`web/page/${file}`, ROOT));
      equal(got.length, want.length, file);
      ok(got.every((b, i) => b === want[i]), file);
      ok(requested.includes(`/web/page/${file}`), `${file} came over http`);
    }
    child.kill("SIGINT");
    const rest = await stderr.rest();
    match(rest, /received 0 records/);
    equal((await child.status).code, 0);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already ended
    }
    await child.status;
    await files.shutdown();
    await Deno.remove(denoDir, { recursive: true });
  }
});
