// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Caller cost of logger.info(MESSAGE, i, 12.5) through @std/log +
// SocketHandler (default queue bounds), in its own process, with the
// receiver at 127.0.0.1:--port up (a reading sink), down (nothing
// listening) or stalled (accepting, never reading); or, for --case noop,
// through a handler whose handle() does nothing (what @std/log itself
// costs the caller, measured the same way).
//
// Method: (1) batches of --batch calls timed as a whole with
// performance.now(); the per-call mean of each batch is one sample (p50,
// p99 of batch means); (2) every call timed alone with performance.now()
// for the tail (p50, p99, p99.9, max; includes ~the timer overhead, which
// is reported). One macrotask is yielded every --batch calls so the writer
// runs, in both phases; with the receiver up the loop also waits (outside
// the timed calls) while more than half the queue bound is pending, so the
// "up" figures are the normal path, not the overflow path. Prints one JSON
// line, values in µs.
//
// Usage: deno run --import-map=tests/import_map.json --allow-net \
//          bench/caller_cost.ts --port P --case up --batches 200 --calls 200000

import {
  emit,
  intArg,
  MESSAGE,
  parseArgs,
  percentile,
  yieldToLoop,
} from "./_common.ts";
import * as log from "@std/log";
import { SocketHandler } from "../handler.ts";

const args = parseArgs(Deno.args);
const port = intArg(args, "port");
const label = args.get("case") ?? "up";
const batch = intArg(args, "batch", 1000);
const batches = intArg(args, "batches", 200);
const calls = intArg(args, "calls", 200_000);

const errors: string[] = [];
class NoopHandler extends log.BaseHandler {
  override handle(): void {}
  log(): void {}
}
const handler = label === "noop" ? undefined : new SocketHandler("INFO", {
  hostname: "127.0.0.1",
  port,
  onError: (e, kind) => {
    if (errors.length < 5) errors.push(`${kind}: ${e.message}`);
  },
});
log.setup({
  handlers: { python: handler ?? new NoopHandler("INFO") },
  loggers: { bench: { level: "INFO", handlers: ["python"] } },
});
const logger = log.getLogger("bench");

/** Yields once; with the receiver up, until the queue is half empty. */
async function pause(): Promise<void> {
  await yieldToLoop();
  if (label !== "up") return;
  while (handler!.stats().pendingRecords > 5_000) await yieldToLoop();
}

// Timer overhead: back-to-back performance.now() pairs.
const overhead = new Float64Array(100_000);
for (let k = 0; k < overhead.length; k++) {
  const t0 = performance.now();
  overhead[k] = performance.now() - t0;
}
overhead.sort();

let i = 0;
// Warm-up (JIT, connection / first refusal).
for (let w = 0; w < 10; w++) {
  for (let k = 0; k < batch; k++) logger.info(MESSAGE, i++, 12.5);
  await pause();
}

const means = new Float64Array(batches);
for (let b = 0; b < batches; b++) {
  const t0 = performance.now();
  for (let k = 0; k < batch; k++) logger.info(MESSAGE, i++, 12.5);
  means[b] = (performance.now() - t0) * 1000 / batch;
  await pause();
}
means.sort();

const each = new Float64Array(calls);
for (let c = 0; c < calls;) {
  const end = Math.min(calls, c + batch);
  for (; c < end; c++) {
    const t0 = performance.now();
    logger.info(MESSAGE, i++, 12.5);
    each[c] = (performance.now() - t0) * 1000;
  }
  await pause();
}
each.sort();

const s = handler?.stats();
emit({
  case: label,
  batchMeanP50: percentile(means, 0.5),
  batchMeanP99: percentile(means, 0.99),
  callP50: percentile(each, 0.5),
  callP99: percentile(each, 0.99),
  callP999: percentile(each, 0.999),
  callMax: each[each.length - 1],
  timerOverheadP50: percentile(overhead, 0.5) * 1000,
  records: i,
  state: s?.state,
  sent: s?.sent,
  dropped: s?.dropped,
  droppedByReason: s?.droppedByReason,
  pendingRecords: s?.pendingRecords,
  errors,
});
await handler?.close(100);
