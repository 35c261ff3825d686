// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Run: deno task bench:micro
// (deno bench --import-map=tests/import_map.json bench/pickle_bench.ts)
//
// `dumps` of a typical Python LogRecord dict against `JSON.stringify` of the
// same values (plain numbers for the floats), cycling through 64 records
// that differ in their message and times:
//
// - "fresh record": each call builds the record, then encodes it, as a
//   logger does (the message was just formatted). "build only" is the cost
//   of building it, included in the other two.
// - "record again": the same 64 record objects every round (V8 has
//   flattened their strings during the first round, which JSON.stringify
//   profits from most).
// - "one record": a single record object, again and again.
//
// "record" has the 21 keys of CPython's LogRecord.__dict__ (what
// SocketHandler pickles, 539 bytes as a protocol 1 pickle); "with extras"
// adds `user` (a str) and `tags` (a list of two str): 23 keys, 597 bytes.
//
// Only `dumps(…, {protocol: 1})` runs in this file, as in a program that
// logs with one configuration; other options and the decoder are in
// pickle_variants_bench.ts (each bench file runs in its own isolate).

import { dumps } from "../pickle.ts";
import {
  extra,
  extraJson,
  json,
  jsonExtras,
  N,
  pickled,
  pickledExtras,
  plain,
  plainJson,
} from "./_records.ts";

const encoder = new TextEncoder();
console.log(
  `record: pickle (protocol 1) ${
    dumps(plain[0], { protocol: 1 }).length
  } bytes, JSON ${
    encoder.encode(JSON.stringify(plainJson[0])).length
  } bytes; with extras: pickle ${
    dumps(extra[0], { protocol: 1 }).length
  } bytes, JSON ${encoder.encode(JSON.stringify(extraJson[0])).length} bytes`,
);

let i = 0;
let kept: unknown;

// ---- fresh records ---------------------------------------------------------

Deno.bench({
  name: "build only",
  group: "fresh record",
  fn() {
    kept = pickled(i++ & (N - 1));
  },
});

Deno.bench({
  name: "dumps(record, {protocol: 1})",
  group: "fresh record",
  fn() {
    dumps(pickled(i++ & (N - 1)), { protocol: 1 });
  },
});

Deno.bench({
  name: "JSON.stringify(record)",
  group: "fresh record",
  baseline: true,
  fn() {
    JSON.stringify(json(i++ & (N - 1)));
  },
});

Deno.bench({
  name: "build only (with extras)",
  group: "fresh record with extras",
  fn() {
    kept = pickledExtras(i++ & (N - 1));
  },
});

Deno.bench({
  name: "dumps(record with extras, {protocol: 1})",
  group: "fresh record with extras",
  fn() {
    dumps(pickledExtras(i++ & (N - 1)), { protocol: 1 });
  },
});

Deno.bench({
  name: "JSON.stringify(record with extras)",
  group: "fresh record with extras",
  baseline: true,
  fn() {
    JSON.stringify(jsonExtras(i++ & (N - 1)));
  },
});

// ---- the same record objects again -------------------------------------------

Deno.bench({
  name: "dumps(record, {protocol: 1}) (again)",
  group: "record again",
  fn() {
    dumps(plain[i++ & (N - 1)], { protocol: 1 });
  },
});

Deno.bench({
  name: "JSON.stringify(record) (again)",
  group: "record again",
  baseline: true,
  fn() {
    JSON.stringify(plainJson[i++ & (N - 1)]);
  },
});

Deno.bench({
  name: "dumps(record with extras, {protocol: 1}) (again)",
  group: "record with extras again",
  fn() {
    dumps(extra[i++ & (N - 1)], { protocol: 1 });
  },
});

Deno.bench({
  name: "JSON.stringify(record with extras) (again)",
  group: "record with extras again",
  baseline: true,
  fn() {
    JSON.stringify(extraJson[i++ & (N - 1)]);
  },
});

const one = extra[0];
const oneJson = extraJson[0];

Deno.bench({
  name: "dumps(one record with extras, {protocol: 1})",
  group: "one record",
  fn() {
    dumps(one, { protocol: 1 });
  },
});

Deno.bench({
  name: "JSON.stringify(one record with extras)",
  group: "one record",
  baseline: true,
  fn() {
    JSON.stringify(oneJson);
  },
});

/** Keeps the built records alive, so that building is not optimised away. */
export function keptRecord(): unknown {
  return kept;
}
