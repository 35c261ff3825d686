// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Interop: @std/log setup() + getLogger() + SocketHandler → real CPython
// receivers (python3 and every installed one of 2.7, 3.6, 3.8, 3.12, 3.13).
import { equal, match, ok } from "node:assert/strict";
import * as log from "@std/log";
import { SocketHandler } from "../handler.ts";
import { pythons, startReceiver } from "./_py_receiver.ts";

const { available, missing } = pythons();
if (missing.length) {
  console.log(`interop: skipping absent CPython versions: ${missing}`);
}

function logEverything(name: string): void {
  const logger = log.getLogger(name);
  logger.debug("debug %d", 1);
  logger.info("info %s and %.2f", "text", 3.14159);
  logger.warn("warn level is WARNING in Python");
  const cause = new Error("disk full");
  logger.error("failed to save", new Error("save failed", { cause }));
  logger.critical("critical with extras", { user: "bob", request_id: 42 });
  logger.info("unicode é 😀 and a lone \ud800 surrogate");
}

for (const py of available) {
  Deno.test(`SocketHandler → CPython ${py.label} receiver formats every field`, async () => {
    const receiver = await startReceiver(py, 6);
    const handler = new SocketHandler("DEBUG", {
      hostname: "127.0.0.1",
      port: receiver.port,
    });
    try {
      log.setup({
        handlers: { python: handler },
        loggers: { "interop": { level: "DEBUG", handlers: ["python"] } },
      });
      logEverything("interop");
      const result = await handler.flush(10_000);
      equal(result.pending, 0);
      equal(result.sent, 6);
      const { records, stderr, code } = await receiver.done();
      equal(code, 0, stderr);
      ok(!stderr.includes("Logging error"), stderr);
      equal(records.length, 6);
      const [debug, info, warn, error, critical, unicode] = records;
      equal(debug!.msg, "debug 1");
      equal(info!.msg, "info text and 3.14");
      equal(warn!.msg, "warn level is WARNING in Python");
      match(warn!.line, /\|WARNING\|30\|/);
      match(error!.line, /\|ERROR\|40\|/);
      match(error!.exc_text ?? "", /save failed/);
      match(error!.exc_text ?? "", /disk full/);
      match(critical!.line, /\|CRITICAL\|50\|/);
      equal(critical!.extras.user, "bob");
      equal(critical!.extras.request_id, 42);
      ok(unicode!.msg.startsWith("unicode é 😀 and a lone "));
      for (const r of records) {
        equal(r.name, "interop");
        const t = r.types;
        equal(t.created, "float");
        equal(t.msecs, "float");
        equal(t.relativeCreated, "float");
        equal(t.args, "NoneType");
        equal(t.exc_info, "NoneType");
        ok(t.levelno === "int");
        ok(t.lineno === "int");
        ok(t.process === "int");
        ok(t.thread === "int" || t.thread === "long");
        const fields = r.line.split("|");
        equal(
          fields.length,
          py.label === "3.12" || py.label === "3.13" ? 17 : 16,
        );
        match(fields[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$/);
      }
      const stats = handler.stats();
      equal(stats.emitted, stats.sent + stats.dropped + stats.pendingRecords);
    } finally {
      receiver.kill();
      log.setup({ handlers: {}, loggers: {} });
      await handler.close(1000);
    }
  });
}

Deno.test("SocketHandler over a Unix socket → CPython receiver", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/log.sock`;
  const py = available[0]!;
  const receiver = await startReceiver(py, 2, path);
  await using handler = new SocketHandler("INFO", { path });
  try {
    log.setup({
      handlers: { unix: handler },
      loggers: { unix: { level: "INFO", handlers: ["unix"] } },
    });
    const logger = log.getLogger("unix");
    logger.info("over %s", "unix");
    logger.warn("second");
    equal((await handler.flush(10_000)).sent, 2);
    const { records, stderr } = await receiver.done();
    ok(!stderr.includes("Logging error"), stderr);
    equal(records.map((r) => r.msg).join(","), "over unix,second");
  } finally {
    receiver.kill();
    log.setup({ handlers: {}, loggers: {} });
    await Deno.remove(dir, { recursive: true });
  }
});
