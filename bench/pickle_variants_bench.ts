// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Run: deno task bench:micro
// (deno bench --import-map=tests/import_map.json bench/pickle_variants_bench.ts)
//
// The other ways to encode the record stream of pickle_bench.ts (protocol 4,
// a frame, a buffer of its own, RecordFramer, JSON to bytes), and decoding
// against JSON.parse. Mixing options in one isolate makes the encoder's
// code see more shapes, so these run apart from the headline comparison.

import { dumps, dumpsFrame, loads } from "../pickle.ts";
import { RecordFramer } from "../record.ts";
import { extra, extraJson, N, plain, plainJson } from "./_records.ts";

const encoder = new TextEncoder();
let i = 0;

Deno.bench({
  name: "dumps(record) (protocol 4)",
  group: "encode",
  fn() {
    dumps(plain[i++ & (N - 1)]);
  },
});

Deno.bench({
  name: "dumpsFrame(record, {protocol: 1})",
  group: "encode",
  fn() {
    dumpsFrame(plain[i++ & (N - 1)], { protocol: 1 });
  },
});

Deno.bench({
  name: "dumps(record, {protocol: 1, pooled: false})",
  group: "encode",
  fn() {
    dumps(plain[i++ & (N - 1)], { protocol: 1, pooled: false });
  },
});

const framer = new RecordFramer(1);
Deno.bench({
  name: "RecordFramer(1).frame(record)",
  group: "encode",
  fn() {
    framer.frame(plain[i++ & (N - 1)]!);
  },
});

Deno.bench({
  name: "JSON.stringify(record)",
  group: "encode",
  baseline: true,
  fn() {
    JSON.stringify(plainJson[i++ & (N - 1)]);
  },
});

Deno.bench({
  name: "TextEncoder.encode(JSON.stringify(record))",
  group: "encode",
  fn() {
    encoder.encode(JSON.stringify(plainJson[i++ & (N - 1)]));
  },
});

const pickled1 = dumps(extra[0], { protocol: 1, pooled: false });
const pickled4 = dumps(extra[0], { pooled: false });
const jsonText = JSON.stringify(extraJson[0]);
const jsonBytes = encoder.encode(jsonText);
const decoder = new TextDecoder();

Deno.bench({
  name: "loads(record pickle, protocol 1)",
  group: "decode",
  fn() {
    loads(pickled1);
  },
});

Deno.bench({
  name: "loads(record pickle, protocol 4)",
  group: "decode",
  fn() {
    loads(pickled4);
  },
});

Deno.bench({
  name: "JSON.parse(record JSON)",
  group: "decode",
  baseline: true,
  fn() {
    JSON.parse(jsonText);
  },
});

Deno.bench({
  name: "JSON.parse(TextDecoder.decode(record JSON))",
  group: "decode",
  fn() {
    JSON.parse(decoder.decode(jsonBytes));
  },
});
