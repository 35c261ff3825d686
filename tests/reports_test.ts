// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Nothing is dropped silently by close(): records a close() deadline drops,
// and records logged after close(), are reported through onError (once, with
// the count) and counted as "closed". onError that logs is not re-entered.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import * as log from "@std/log";
import { SocketEngine } from "../socket.ts";
import { SocketHandler } from "../handler.ts";
import { frameId, makeFrame } from "./_frame_server.ts";
import { freePort } from "./_free_port.ts";

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

Deno.test("a record over the receiver's frame limit is dropped at the sender (defaults on both ends), the rest arrive", async () => {
  const { LogReceiver } = await import("../receiver.ts");
  const got: string[] = [];
  await using receiver = new LogReceiver({
    port: 0,
    onRecord: (r) => void got.push(r.getMessage().slice(0, 40)),
  });
  const errors: [string, string][] = [];
  const handler = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port: receiver.port,
    onError: (e, kind) => errors.push([kind, e.message]),
  });
  log.setup({
    handlers: { py: handler },
    loggers: { app: { level: "INFO", handlers: ["py"] } },
  });
  const logger = log.getLogger("app");
  try {
    logger.info("huge %s", "x".repeat(5_000_000));
    for (let i = 0; i < 599; i++) logger.info("record %d", i);
    const r = await handler.flush(10_000);
    equal(r.timedOut, false);
    const end = performance.now() + 10_000;
    while (got.length < 600 && performance.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // The 599 records, and the notice of the one dropped.
    equal(got.length, 600);
    equal(got.filter((m) => m.startsWith("record ")).length, 599);
    ok(got.some((m) => m.startsWith("1 record dropped between")), got[0]);
    equal(handler.stats().droppedByReason.oversize, 1);
    equal(errors.length, 1);
    equal(errors[0]![0], "oversize");
    match(
      errors[0]![1],
      /^Cannot queue record of logger 'app' as its message is larger than 'maxRecordBytes' allows: current size is at least 500000\d bytes, the bound is 4194308$/,
    );
    equal(receiver.stats().framesRefused, 0);
  } finally {
    log.setup({ handlers: {}, loggers: {} });
    await handler.close(0);
  }
});

Deno.test("a frame the receiver closes the connection on three times in a row is dropped as refused; the rest arrive", async () => {
  // A receiver with a 1 MB frame limit that closes (unread: a reset)
  // on a larger length prefix, as a stricter receiver would.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const ids: number[] = [];
  let connections = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      connections++;
      try {
        const head = new Uint8Array(4);
        for (;;) {
          let got = 0;
          while (got < 4) {
            const n = await conn.read(head.subarray(got));
            if (n === null) throw new Error("eof");
            got += n;
          }
          const len = new DataView(head.buffer).getUint32(0);
          if (len > 1_000_000) throw new Error("too large");
          const body = new Uint8Array(len);
          let have = 0;
          while (have < len) {
            const n = await conn.read(body.subarray(have));
            if (n === null) throw new Error("eof");
            have += n;
          }
          ids.push(frameId(body));
        }
      } catch {
        conn.close();
      }
    }
  })();
  const errors: [string, string][] = [];
  const engine = new SocketEngine({
    connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
    retryStart: 10,
    retryMax: 20,
    maxQueueBytes: 64 << 20,
    maxRecordBytes: 64 << 20,
    handleExit: false,
    onError: (e, kind) => errors.push([kind, e.message]),
  });
  try {
    for (let i = 0; i < 5; i++) engine.enqueue(makeFrame(i));
    engine.enqueue(makeFrame(100, 24 << 20));
    for (let i = 5; i < 10; i++) engine.enqueue(makeFrame(i));
    const r = await engine.flush(20_000);
    equal(r.timedOut, false);
    const end = performance.now() + 5000;
    while (ids.length < 10 && performance.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
    }
    deepEqual(ids, [...Array(10).keys()]);
    const s = engine.stats();
    equal(s.droppedByReason.refused, 1);
    equal(s.sent, 10);
    ok(connections >= 4, `${connections} connections`);
    deepEqual(errors.filter(([k]) => k === "refused").length, 1);
  } finally {
    await engine.close(0);
    listener.close();
    await serving;
  }
});

Deno.test("a Unix socket without read permission: the error names it and every permission a Unix socket needs", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/log.sock`;
  const script = `${dir}/app.ts`;
  const handlerUrl = new URL("../handler.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { SocketHandler } from "${handlerUrl}";
const h = new SocketHandler("INFO", { path: ${JSON.stringify(path)} });
h.handle(new (await import("@std/log")).LogRecord({
  msg: "x", args: [], level: 20, loggerName: "app",
}));
await h.close(1000);
`,
  );
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--import-map=${
          new URL("./import_map.json", import.meta.url).pathname
        }`,
        `--allow-net=unix:${path}`,
        `--allow-read=${script}`,
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    match(
      stderr,
      /permission: Cannot connect to the log receiver: Requires read access to ".*log\.sock".*\(a TCP receiver needs --allow-net=HOST:PORT; a Unix socket needs --allow-read=PATH, --allow-write=PATH and --allow-net=unix:PATH\); log records are dropped/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
