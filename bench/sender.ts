// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Our sender, in its own process: logs --n records to 127.0.0.1:--port
// through one of three paths, then flushes.
//
//   --mode std_log  logger.info(MESSAGE, i, 12.5) via @std/log + SocketHandler
//   --mode engine   RecordFramer.writeEvent() of a RecordInput into
//                   SocketEngine (the frame is written in place into the
//                   engine's queue): the handler's path without @std/log
//   --mode logtape  LogTape logger.info`request ${i} served in ${12.5} ms`
//   --mode noop     logger.info(MESSAGE, i, 12.5) via @std/log + a handler
//                   whose handle() does nothing: @std/log's own cost (no
//                   connection; the rate is the sender's own timing)
//                   via getSocketSink()
//
// The loop yields one macrotask every --chunk records (so the background
// writer runs, as it would between requests in a server) and waits while
// more than half of the queue bound is pending, so that no record is
// dropped. Prints {"startAt","endAt","flushedAt",stats} (epoch ms).
//
// Usage: deno run --import-map=tests/import_map.json -A bench/sender.ts \
//          --mode std_log --port P --n N [--chunk 256]

import {
  emit,
  epochMs,
  intArg,
  MESSAGE,
  parseArgs,
  yieldToLoop,
} from "./_common.ts";
import type { EngineStats, FlushResult } from "../socket.ts";

const args = parseArgs(Deno.args);
const mode = args.get("mode") ?? "std_log";
const port = intArg(args, "port");
const n = intArg(args, "n");
const chunk = intArg(args, "chunk", 256);
const MAX_QUEUE_RECORDS = 10_000; // the default bound
const HIGH = MAX_QUEUE_RECORDS / 2;

interface Target {
  log(i: number): void;
  stats(): EngineStats;
  flush(): Promise<FlushResult>;
  close(): Promise<unknown>;
}

async function stdLogTarget(): Promise<Target> {
  const log = await import("@std/log");
  const { SocketHandler } = await import("../handler.ts");
  const handler = new SocketHandler("INFO", { hostname: "127.0.0.1", port });
  log.setup({
    handlers: { python: handler },
    loggers: { bench: { level: "INFO", handlers: ["python"] } },
  });
  const logger = log.getLogger("bench");
  return {
    log: (i) => logger.info(MESSAGE, i, 12.5),
    stats: () => handler.stats(),
    flush: () => handler.flush(),
    close: () => handler.close(),
  };
}

async function engineTarget(): Promise<Target> {
  const { SocketEngine } = await import("../socket.ts");
  const { RecordFramer } = await import("../record.ts");
  const framer = new RecordFramer(1);
  const engine = new SocketEngine({
    connect: async (signal) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port, signal });
      conn.setNoDelay(true);
      return conn;
    },
  });
  return {
    log: (i) => {
      framer.writeEvent(
        {
          name: "bench",
          level: 20,
          msg: MESSAGE,
          args: [i, 12.5],
          timeMs: Date.now(),
        },
        engine,
      );
    },
    stats: () => engine.stats(),
    flush: () => engine.flush(),
    close: () => engine.close(),
  };
}

async function logTapeTarget(): Promise<Target> {
  const { configure, getLogger, dispose } = await import(
    "npm:@logtape/logtape@^2"
  );
  const { getSocketSink } = await import("../logtape.ts");
  const sink = getSocketSink({ hostname: "127.0.0.1", port });
  await configure({
    sinks: { python: sink },
    loggers: [
      { category: ["bench"], sinks: ["python"], lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  const logger = getLogger(["bench"]);
  return {
    log: (i) => logger.info`request ${i} served in ${12.5} ms`,
    stats: () => sink.stats(),
    flush: () => sink.flush(),
    close: () => dispose(),
  };
}

async function noopTarget(): Promise<Target> {
  const log = await import("@std/log");
  class NoopHandler extends log.BaseHandler {
    override handle(): void {}
    log(): void {}
  }
  log.setup({
    handlers: { noop: new NoopHandler("INFO") },
    loggers: { bench: { level: "INFO", handlers: ["noop"] } },
  });
  const logger = log.getLogger("bench");
  const idle = {
    pendingRecords: 0,
    emitted: 0,
    sent: 0,
    sentBytes: 0,
    dropped: 0,
  } as EngineStats;
  return {
    log: (i) => logger.info(MESSAGE, i, 12.5),
    stats: () => idle,
    flush: () =>
      Promise.resolve({ sent: 0, dropped: 0, pending: 0, timedOut: false }),
    close: () => Promise.resolve(),
  };
}

const target = mode === "std_log"
  ? await stdLogTarget()
  : mode === "noop"
  ? await noopTarget()
  : mode === "engine"
  ? await engineTarget()
  : mode === "logtape"
  ? await logTapeTarget()
  : (() => {
    throw new Error(`Unknown --mode ${mode}`);
  })();

const startAt = epochMs();
let waits = 0;
for (let i = 0; i < n;) {
  const end = Math.min(n, i + chunk);
  for (; i < end; i++) target.log(i);
  await yieldToLoop();
  while (target.stats().pendingRecords > HIGH) {
    waits++;
    await yieldToLoop();
  }
}
const endAt = epochMs();
await target.flush();
const flushedAt = epochMs();
const s = target.stats();
emit({
  mode,
  startAt,
  endAt,
  flushedAt,
  emitted: s.emitted,
  sent: s.sent,
  sentBytes: s.sentBytes,
  dropped: s.dropped,
  waits,
});
await target.close();
