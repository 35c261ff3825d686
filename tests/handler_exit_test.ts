// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// A program that logs through @std/log + SocketHandler and then simply ends.
import { equal, match, ok } from "node:assert/strict";
import { pythons, startReceiver } from "./_py_receiver.ts";

const importMap = new URL("./import_map.json", import.meta.url).pathname;
const handlerUrl = new URL("../handler.ts", import.meta.url).href;

async function runScript(port: number, count: number, exitTimeout: number) {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/app.ts`;
  await Deno.writeTextFile(
    file,
    `import * as log from "@std/log";
import { SocketHandler } from "${handlerUrl}";
const handler = new SocketHandler("INFO", {
  hostname: "127.0.0.1", port: ${port}, exitTimeout: ${exitTimeout},
});
log.setup({
  handlers: { py: handler },
  loggers: { app: { level: "INFO", handlers: ["py"] } },
});
const logger = log.getLogger("app");
for (let i = 0; i < ${count}; i++) logger.info("record %d of %d", i, ${count});
// no flush, no close: the program just ends
`,
  );
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", `--import-map=${importMap}`, "--allow-net", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const elapsed = performance.now() - start;
  await Deno.remove(dir, { recursive: true });
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    elapsed,
  };
}

Deno.test("a program that logs and ends naturally delivers every record", async () => {
  const py = pythons().available[0]!;
  const receiver = await startReceiver(py, 2000);
  try {
    const run = await runScript(receiver.port, 2000, 5000);
    equal(run.code, 0, run.stderr);
    const { records, stderr } = await receiver.done();
    ok(!stderr.includes("Logging error"), stderr);
    equal(records.length, 2000);
    equal(records[0]!.msg, "record 0 of 2000");
    equal(records[1999]!.msg, "record 1999 of 2000");
    for (let i = 0; i < records.length; i++) {
      equal(records[i]!.msg, `record ${i} of 2000`);
    }
  } finally {
    receiver.kill();
  }
});

Deno.test("with the receiver down, a program exits within exitTimeout and says what it dropped", async () => {
  // a port that was just free: nothing listens on it
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const run = await runScript(port, 100, 1500);
  equal(run.code, 0, run.stderr);
  ok(run.elapsed < 1500 + 3000, `took ${run.elapsed} ms`);
  match(run.stderr, /100 log records dropped at exit/);
});
