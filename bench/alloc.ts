// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Heap bytes allocated per record by SocketHandler.handle() (the record
// framed into the queue's byte ring), against what reading the record's
// `args` and `datetime` allocates: @std/log's copying getters, which any
// handler that sends those fields has to call. Run with
// --v8-flags=--expose-gc,--min-semi-space-size=64,--max-semi-space-size=64
// (a young generation large enough that no GC runs within a window).
//
// Method: records are made up front; each window of 10,000 calls runs right
// after gc() and reads heapUsed before and after (the writer does not run:
// the loop never yields). Prints {"handle","getters","windows"}: the
// fewest bytes per call of 5 windows each.
//
// Usage: deno run --import-map=tests/import_map.json --allow-net \
//          --v8-flags=... bench/alloc.ts

import { LogRecord } from "@std/log/logger";
import { SocketHandler } from "../handler.ts";
import { emit, MESSAGE } from "./_common.ts";

const WINDOW = 10_000;
const WINDOWS = 5;
// deno-lint-ignore no-explicit-any
const gc = (globalThis as any).gc as (() => void) | undefined;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

// A peer that accepts nothing: frames stay queued (bounds large enough that
// none is dropped).
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const handler = new SocketHandler("INFO", {
  hostname: "127.0.0.1",
  port: listener.addr.port,
  maxQueueRecords: 1_000_000,
  maxQueueBytes: 1 << 30,
  onError: () => {}, // close(0) drops the queued records: expected
});
const records = Array.from(
  { length: 4 * WINDOW },
  (_, i) =>
    new LogRecord({
      msg: MESSAGE,
      args: [i, 12.5],
      level: 20,
      loggerName: "b",
    }),
);

const acc = new Float64Array(1); // (a number variable would box)
const cases: Record<string, (r: LogRecord) => void> = {
  handle: (r) => {
    handler.handle(r);
  },
  getters: (r) => {
    acc[0] = acc[0]! + r.args.length + r.datetime.getTime();
  },
};

/**
 * Fewest bytes per call over the windows: the optimised code's allocation
 * (a window that ran code not yet optimised shows a boxed number or two
 * more).
 */
function bytesPerCall(f: (r: LogRecord) => void): number {
  for (let k = 0; k < 3; k++) for (const r of records) f(r); // optimise
  const perCall: number[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    gc!();
    const before = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < WINDOW; i++) f(records[i]!);
    perCall.push((Deno.memoryUsage().heapUsed - before) / WINDOW);
  }
  return Math.min(...perCall);
}

const result = {
  handle: bytesPerCall(cases.handle!),
  getters: bytesPerCall(cases.getters!),
  windows: WINDOWS,
  sink: acc[0]! > 0,
};
emit(result);
await handler.close(0);
listener.close();
