// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The receiver decodes a frame with loadsRecord (the record dict's pairs,
// the dict itself left empty while nothing else can reach it) and builds
// the record with makeLogRecordFrom: it must give exactly what loads +
// makeLogRecord give (values, errors, heap units, record), for CPython's
// frames, odd dicts in every protocol, and mutated frames.
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  loadsMetered,
  loadsRecord,
  prepareLoads,
  type RecordMeter,
} from "../pickle/decoder.ts";
import { setPairs } from "../pickle/decoder_values.ts";
import { makeLogRecord, makeLogRecordFrom } from "../receiver/record.ts";
import { runPython } from "./_python.ts";

const OPTIONS = { objects: "inert" } as const;
const prepared = prepareLoads(OPTIONS);

/** A record as plain data (its getters read), for comparing two records. */
function snapshot(r: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const rec = r as Record<string, unknown>;
  for (const k of Object.keys(r)) out[k] = rec[k];
  out.extraKeys = Object.keys(rec.extra as object);
  for (const k of ["created", "msecs", "relativeCreated"]) {
    out[k] = typeof rec[k]; // "now" when the dict has none
  }
  return out;
}

/** Decodes `body` both ways; returns the pairs path's meter. */
function check(body: Uint8Array): RecordMeter | undefined {
  const meter: RecordMeter = { heap: 0, pairs: undefined, deferred: false };
  const plain = { heap: 0 };
  let got: unknown;
  let want: unknown;
  let gotError: string | undefined;
  let wantError: string | undefined;
  try {
    got = loadsRecord(body, prepared, meter);
  } catch (e) {
    gotError = String(e);
  }
  try {
    want = loadsMetered(body, OPTIONS, plain);
  } catch (e) {
    wantError = String(e);
  }
  equal(gotError, wantError);
  if (wantError !== undefined) return undefined;
  equal(meter.heap, plain.heap, "heap units");
  // A deferred dict is left empty, its content only in the pairs.
  if (meter.deferred) equal(Object.keys(got as object).length, 0);
  const record = makeLogRecordFrom(got, meter.pairs, meter.deferred);
  if (meter.deferred) {
    // Set in order (again, if the record's fallback filled it), the pairs
    // make loads' dict.
    setPairs(got as object, meter.pairs!);
  }
  deepEqual(got, want);
  const other = makeLogRecord(want);
  deepEqual(snapshot(record), snapshot(other));
  for (const k of ["created", "msecs", "relativeCreated"] as const) {
    if (want !== null && typeof want === "object" && Object.hasOwn(want, k)) {
      deepEqual(record[k], other[k], k);
    }
  }
  return meter;
}

/** Frames printed by Python, one hex line each. */
async function pythonFrames(code: string): Promise<Uint8Array[]> {
  const lines = await runPython(code);
  return lines.map((h) =>
    new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)))
  );
}

const CPYTHON_FRAMES = `
import logging, logging.handlers, sys
h = logging.handlers.SocketHandler("127.0.0.1", 9)
out = []
def emit(r):
    out.append(h.makePickle(r)[4:].hex())
log = logging.getLogger("app.db")
for i in range(50):
    emit(log.makeRecord("app.db", 20, "/srv/app.py", i, "request %d served in %s ms", (i, 12.5), None))
emit(log.makeRecord("x", 40, "p", 1, "caf\\u00e9 \\U0001F600 %s", ("\\u65e5\\u672c",), None, extra={"user": "al", "tags": [1, 2], "n": None, "big": 2**70}))
try:
    1 / 0
except ZeroDivisionError:
    emit(log.makeRecord("err", 40, "p", 2, "boom", (), sys.exc_info()))
emit(logging.makeLogRecord({"name": "mini", "msg": "m", "levelno": 10}))
emit(logging.makeLogRecord({"name": "n", "msg": 5, "args": {"a": 1}}))
print("\\n".join(out))
`;

const ODD_DICTS = `
import pickle
cases = [
  {"name": "a", "levelno": 20, "1": "x", "msg": "m"},
  {"name": "a", "levelno": "bad", "lineno": 1.5, "__proto__": 3, "e": [1, 2]},
  {"msg": "x", 5: "int key", "levelno": 10},
  {"levelno": 10, "created": 1.5, "msecs": 3.0},
  {},
  [1, 2],
  {"name": "n", "levelno": 10, "tags": ["a", "b"], "b": b"xy", "t": (1, 2), "f": 1.5, "s": "\\u00e9\\u20ac\\U0001F600"},
  {"k%d" % i: i for i in range(100)},
]
d = {"name": "n", "levelno": 10}; d["self"] = d; cases.append(d)
d = {"name": "n"}; cases.append([d, d])
d = {"a": "x"}; cases.append({"name": "n", "a": d, "b": d})
for proto in range(6):
    for c in cases:
        print(pickle.dumps(c, proto).hex())
`;

Deno.test("receiver: loadsRecord + makeLogRecordFrom equal loads + makeLogRecord on CPython's frames and odd dicts in protocols 0–5", async () => {
  const cpython = await pythonFrames(CPYTHON_FRAMES);
  let deferred = 0;
  for (const body of cpython) {
    const meter = check(body);
    ok(meter?.pairs !== undefined, "a SocketHandler frame gives its pairs");
    if (meter.deferred) deferred++;
  }
  ok(deferred >= 50, `${deferred} of ${cpython.length} dicts deferred`);
  const odd = await pythonFrames(ODD_DICTS);
  equal(odd.length, 66);
  for (const body of odd) check(body);
});

Deno.test("receiver: loadsRecord with a key set twice and two SETITEMS batches", () => {
  const enc = new TextEncoder();
  const str = (s: string) => {
    const b = enc.encode(s);
    return [0x58, b.length, 0, 0, 0, ...b]; // BINUNICODE
  };
  // } ( name a levelno 5 name b u .
  const dup = new Uint8Array([
    0x7d,
    0x28,
    ...str("name"),
    ...str("a"),
    ...str("levelno"),
    0x4b,
    5,
    ...str("name"),
    ...str("b"),
    0x75,
    0x2e,
  ]);
  // A bad value, then a good one: only the last counts (no problem).
  const badFirst = new Uint8Array([
    0x7d,
    0x28,
    ...str("levelno"),
    ...str("bad"),
    ...str("name"),
    ...str("a"),
    ...str("levelno"),
    0x4b,
    5,
    0x75,
    0x2e,
  ]);
  equal(check(badFirst)!.pairs!.length, 6);
  const m1 = check(dup)!;
  equal(m1.pairs!.length, 6); // duplicates kept: the record falls back
  equal(
    makeLogRecordFrom({ name: "b", levelno: 5 }, m1.pairs, false).name,
    "b",
  );
  // } ( name a u levelno 5 s ( zz None u .
  const two = new Uint8Array([
    0x7d,
    0x28,
    ...str("name"),
    ...str("a"),
    0x75,
    ...str("levelno"),
    0x4b,
    5,
    0x73,
    0x28,
    ...str("zz"),
    0x4e,
    0x75,
    0x2e,
  ]);
  deepEqual(check(two)!.pairs, ["name", "a", "levelno", 5, "zz", null]);
});

Deno.test("receiver: loadsRecord equals loadsMetered on 30,000 mutated frames (errors, values, heap units, records)", async () => {
  const frames = [
    ...await pythonFrames(CPYTHON_FRAMES),
    ...await pythonFrames(ODD_DICTS),
  ];
  let seed = 20261206;
  const rnd = () =>
    (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  let decoded = 0;
  for (let t = 0; t < 30_000; t++) {
    const f = frames[Math.floor(rnd() * frames.length)]!.slice();
    const k = 1 + Math.floor(rnd() * 3);
    for (let j = 0; j < k; j++) {
      f[Math.floor(rnd() * f.length)] = Math.floor(rnd() * 256);
    }
    if (check(f) !== undefined) decoded++;
  }
  ok(decoded > 3000 && decoded < 27_000, `${decoded} of 30,000 decoded`);
});
