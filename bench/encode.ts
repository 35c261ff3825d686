// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Encode throughput, in its own process: the record dict of
// `logger.info(MESSAGE, i, 12.5)` → pickle frame, vs JSON.stringify of the
// same dict (floats as plain numbers), vs JSON.stringify + TextEncoder, and
// the handler's full per-record encode (LogRecord → dict → frame).
// Methods are interleaved within each round. Prints
// {"bytes":{...}, "rounds":{method: [records/s, ...]}}.
//
// Usage: deno run --import-map=tests/import_map.json bench/encode.ts \
//          --iterations 200000 --rounds 5 [--methods dumps,json]
//
// --methods picks some of the methods (default: all but "dumps"). The
// generic encoder, dumps(), is timed in a process of its own with
// JSON.stringify only: interleaved with the handler's encoders its code
// sees their objects too and runs about 40 % slower, which a program that
// uses one of them does not see.

import { emit, intArg, MESSAGE, parseArgs } from "./_common.ts";
import { dumps, dumpsFrame } from "../pickle.ts";
import type { PyFloat } from "../pickle/py_types.ts";
import { recordDict, RecordFramer } from "../record.ts";
import { SocketHandler } from "../handler.ts";
import { LogRecord } from "@std/log/logger";

const args = parseArgs(Deno.args);
const iterations = intArg(args, "iterations", 200_000);
const rounds = intArg(args, "rounds", 5);
const only = args.get("methods")?.split(",");

const dict = recordDict({
  name: "bench",
  level: 20,
  msg: MESSAGE,
  args: [42, 12.5],
  timeMs: Date.now(),
});
// The same values with floats as numbers, as an object literal (spread) so
// that JSON.stringify gets its fastest object shape.
const json: Record<string, unknown> = {
  ...dict,
  created: (dict.created as PyFloat).value,
  msecs: (dict.msecs as PyFloat).value,
  relativeCreated: (dict.relativeCreated as PyFloat).value,
};
const encoder = new TextEncoder();
// As the handler encodes: protocol 1 through a RecordFramer (pooled output,
// the record's constant bytes from a template).
const options = { protocol: 1, pooled: true } as const;
const framer = new RecordFramer(1);
// Never connects: makePickle only.
const handler = new SocketHandler("INFO", { hostname: "127.0.0.1", port: 9 });
const record = new LogRecord({
  msg: MESSAGE,
  args: [42, 12.5],
  level: 20,
  loggerName: "bench",
});

let sink = 0;
const methods: Record<string, () => void> = {
  pickle: () => {
    sink += framer.frame(dict).length;
  },
  dumps: () => {
    sink += dumps(dict, { protocol: 1 }).length;
  },
  json: () => {
    sink += JSON.stringify(json).length;
  },
  jsonBytes: () => {
    sink += encoder.encode(JSON.stringify(json)).length;
  },
  makePickle: () => {
    sink += handler.makePickle(record).length;
  },
};

function time(fn: () => void, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t0) / 1000;
}

for (const name of Object.keys(methods)) {
  if (only === undefined ? name === "dumps" : !only.includes(name)) {
    delete methods[name];
  }
}
for (const fn of Object.values(methods)) time(fn, Math.min(iterations, 20_000));
const out: Record<string, number[]> = {};
for (const name of Object.keys(methods)) out[name] = [];
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(methods)) {
    out[name]!.push(iterations / time(fn, iterations));
  }
}
emit({
  bytes: {
    pickleFrame: dumpsFrame(dict, options).length,
    json: encoder.encode(JSON.stringify(json)).length,
  },
  rounds: out,
  sink,
});
await handler.close(0);
