// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Run: deno bench --import-map=tests/import_map.json bench/pickle_bench.ts
//
// Group "encode": pickling a typical LogRecord dict (23 keys, 599 bytes)
// against JSON.stringify of the same values. Group "record": the handler's
// RecordFramer on the same record without extras. Group "decode": the safe
// decoder against JSON.parse.

import { dumps, dumpsFrame, loads, pyFloat, RecordFramer } from "../pickle.ts";

/** A typical LogRecord dict as SocketHandler pickles it (≈20 keys). */
const record = {
  name: "app.http.server",
  msg: "GET /users/42 200 12ms",
  args: null,
  levelname: "INFO",
  levelno: 20,
  pathname: "/srv/app/server.ts",
  filename: "server.ts",
  module: "server",
  exc_info: null,
  exc_text: null,
  stack_info: null,
  lineno: 187,
  funcName: "handleRequest",
  created: pyFloat(1700000000.25),
  msecs: pyFloat(250),
  relativeCreated: pyFloat(1234.5),
  thread: 140000000000000,
  threadName: "MainThread",
  processName: "MainProcess",
  process: 70000,
  taskName: null,
  user: "bob",
  tags: ["http", "api"],
};
/** The same values as JSON would carry them. */
const json = {
  ...record,
  created: 1700000000.25,
  msecs: 250,
  relativeCreated: 1234.5,
};
const encoder = new TextEncoder();

console.log(
  `pickle p1: ${dumps(record, { protocol: 1 }).length} bytes, JSON: ${
    encoder.encode(JSON.stringify(json)).length
  } bytes`,
);

Deno.bench({
  name: "dumps(record, {protocol: 1})",
  group: "encode",
  fn() {
    dumps(record, { protocol: 1 });
  },
});

Deno.bench({
  name: "dumpsFrame(record, {protocol: 1})",
  group: "encode",
  fn() {
    dumpsFrame(record, { protocol: 1 });
  },
});

Deno.bench({
  name: "dumpsFrame(record, {protocol: 1, pooled: true})",
  group: "encode",
  fn() {
    dumpsFrame(record, { protocol: 1, pooled: true });
  },
});

Deno.bench({
  name: "dumps(record) (protocol 4)",
  group: "encode",
  fn() {
    dumps(record);
  },
});

Deno.bench({
  name: "JSON.stringify(record)",
  group: "encode",
  baseline: true,
  fn() {
    JSON.stringify(json);
  },
});

Deno.bench({
  name: "TextEncoder.encode(JSON.stringify(record))",
  group: "encode",
  fn() {
    encoder.encode(JSON.stringify(json));
  },
});

// Group "record": the handler's path, RecordFramer, on a record without
// extras (its template case), against JSON.stringify of the same values.
const { user: _user, tags: _tags, ...plain } = record;
const plainJson = {
  ...plain,
  created: 1700000000.25,
  msecs: 250,
  relativeCreated: 1234.5,
};
const framer = new RecordFramer(1);

Deno.bench({
  name: "RecordFramer(1).frame(record without extras)",
  group: "record",
  fn() {
    framer.frame(plain);
  },
});

Deno.bench({
  name: "JSON.stringify(record without extras)",
  group: "record",
  baseline: true,
  fn() {
    JSON.stringify(plainJson);
  },
});

const pickled1 = dumps(record, { protocol: 1 });
const pickled4 = dumps(record);
const jsonText = JSON.stringify(json);
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
