// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Memory bound, in its own process (run with --v8-flags=--expose-gc): RSS
// before and after logging --n records through @std/log + SocketHandler
// with the receiver down (nothing listening at --port) and maxQueueBytes
// --bound. Every record past the bound is dropped (overflow), so the queue
// never holds more than --bound bytes of frames.
// Prints {"rssBefore","rssQuarter","rssAfter",...} in bytes (rssQuarter:
// after n/4 records, to show whether RSS still grows with n).
//
// Usage: deno run --v8-flags=--expose-gc --import-map=tests/import_map.json \
//          --allow-net bench/memory.ts --port P --n 1000000 --bound 8388608

import { emit, intArg, MESSAGE, parseArgs, yieldToLoop } from "./_common.ts";
import * as log from "@std/log";
import { SocketHandler } from "../handler.ts";

const args = parseArgs(Deno.args);
const port = intArg(args, "port");
const n = intArg(args, "n", 1_000_000);
const bound = intArg(args, "bound", 8 * 1024 * 1024);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const handler = new SocketHandler("INFO", {
  hostname: "127.0.0.1",
  port,
  maxQueueBytes: bound,
  maxQueueRecords: 1_000_000_000,
  onError: () => {},
});
log.setup({
  handlers: { python: handler },
  loggers: { bench: { level: "INFO", handlers: ["python"] } },
});
const logger = log.getLogger("bench");

// Warm up well below the bound (JIT, first refused connect), then measure.
for (let i = 0; i < 1000; i++) logger.info(MESSAGE, i, 12.5);
await yieldToLoop();
gc();
const before = Deno.memoryUsage();
let peakRss = before.rss;
let rssQuarter = 0;
const quarter = Math.floor(n / 4);
for (let i = 0; i < n;) {
  const end = Math.min(n, i + 1000);
  for (; i < end; i++) logger.info(MESSAGE, i, 12.5);
  await yieldToLoop();
  if ((i & 0xffff) < 1000) peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  if (rssQuarter === 0 && i >= quarter) {
    gc();
    rssQuarter = Deno.memoryUsage().rss;
  }
}
gc();
const after = Deno.memoryUsage();
const s = handler.stats();
emit({
  n,
  bound,
  rssBefore: before.rss,
  rssQuarter,
  rssAfter: after.rss,
  rssPeak: Math.max(peakRss, after.rss),
  heapTotalBefore: before.heapTotal,
  heapTotalAfter: after.heapTotal,
  heapBefore: before.heapUsed,
  heapAfter: after.heapUsed,
  externalBefore: before.external,
  externalAfter: after.external,
  pendingBytes: s.pendingBytes,
  pendingRecords: s.pendingRecords,
  dropped: s.dropped,
  sent: s.sent,
});
await handler.close(0);
