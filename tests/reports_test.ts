// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Nothing is dropped silently by close(): records a close() deadline drops,
// and records logged after close(), are reported through onError (once, with
// the count) and counted as "closed". onError that logs is not re-entered.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import * as log from "@std/log";
import { SocketEngine } from "../socket.ts";
import { SocketHandler } from "../handler.ts";
import { makeFrame } from "./_frame_server.ts";

async function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await new Promise((r) => setTimeout(r, 0));
  return port;
}

Deno.test("close() reports the records its deadline dropped, then those logged after it, once each", async () => {
  const port = await freePort();
  const errors: [string, string][] = [];
  const engine = new SocketEngine({
    connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
    handleExit: false,
    onError: (e, kind) => errors.push([kind, e.message]),
  });
  engine.enqueue(makeFrame(1));
  engine.enqueue(makeFrame(2));
  const r = await engine.close(300);
  deepEqual(r, { sent: 0, dropped: 2, pending: 0, timedOut: true });
  const close = errors.filter(([kind]) => kind === "close");
  equal(close.length, 1, JSON.stringify(errors));
  match(
    close[0]![1],
    /^2 log records were dropped by close\(\): not sent within its 300 ms \(Cannot connect to the log receiver: [^;]+\)$/,
  );
  for (let i = 0; i < 3; i++) engine.enqueue(makeFrame(10 + i));
  const closed = errors.filter(([kind]) => kind === "closed");
  deepEqual(closed, [[
    "closed",
    "A record was logged after close(): records logged after close() are dropped (counted as 'closed' in stats())",
  ]]);
  equal(engine.stats().droppedByReason.closed, 5);
});

Deno.test("close() with everything sent reports nothing", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const reading = (async () => {
    for await (const c of l) {
      for await (const _ of c.readable) { /* drain */ }
    }
  })();
  const errors: string[] = [];
  const engine = new SocketEngine({
    connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
    handleExit: false,
    onError: (e) => errors.push(e.message),
  });
  engine.enqueue(makeFrame(1));
  const r = await engine.close(2000);
  deepEqual(r, { sent: 1, dropped: 0, pending: 0, timedOut: false });
  deepEqual(errors, []);
  l.close();
  await reading;
});

Deno.test("onError that logs through the same handler is not re-entered", async () => {
  const port = await freePort();
  let calls = 0;
  let depth = 0;
  let maxDepth = 0;
  const handler = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port,
    errorInterval: 0,
    retryStart: 5,
    retryMax: 10,
    maxQueueBytes: 4096,
    onError: (e) => {
      calls++;
      maxDepth = Math.max(maxDepth, ++depth);
      try {
        // Over maxQueueBytes: dropped as oversize, which is reported
        // synchronously, from inside this callback.
        logger.error("log error: %s %s", e.message, "x".repeat(8192));
      } finally {
        depth--;
      }
    },
  });
  log.setup({
    handlers: { py: handler },
    loggers: { app: { level: "INFO", handlers: ["py"] } },
  });
  const logger = log.getLogger("app");
  try {
    for (let i = 0; i < 20; i++) logger.info("record %d", i);
    logger.info("too large %s", "x".repeat(8192));
    await new Promise((r) => setTimeout(r, 300));
    equal(maxDepth, 1);
    // Connect failures every 5 to 10 ms for 300 ms, no recursion.
    ok(calls > 0 && calls < 200, `${calls} calls`);
  } finally {
    log.setup({ handlers: {}, loggers: {} });
    await handler.close(0);
  }
});
