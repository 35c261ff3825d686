// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Interop tests of the pickle encoder against real CPython processes:
// byte identity with CPython 3.11's re-pickling, values as Python loads them,
// the golden and a real LogRecord, and loading by Python 2.7 / 3.6.

import { GOLDEN_RECORD } from "./_golden.ts";
import fc from "npm:fast-check@^4";
import { deepEqual, equal } from "node:assert/strict";
import {
  dumps,
  dumpsFrame,
  type PickleProtocol,
  PyFloat,
  pyFloat,
  PyTuple,
  pyTuple,
} from "../pickle.ts";
import { pythonAvailable, PythonProcess, runPython } from "./_python.ts";

if (!pythonAvailable()) throw new Error("python3 is required by these tests");

/**
 * Loads "<protocol> <hex>" lines; answers {value, redump?} or {error}, where
 * value is a typed rendering (ints and floats distinct, float bits exact).
 * Runs on Python 2.7 and 3.x.
 */
function loadPy(redump: boolean): string {
  return `REDUMP = ${redump ? "True" : "False"}\n` + LOAD_PY;
}

const LOAD_PY = `
import sys, pickle, struct, json, binascii
PY2 = sys.version_info[0] == 2
text = unicode if PY2 else str
ints = (int, long) if PY2 else (int,)
def r(x):
    if x is None: return ["none"]
    t = type(x)
    if t is bool: return ["bool", x]
    if t in ints: return ["int", str(x)]
    if t is float: return ["float", binascii.hexlify(struct.pack(">d", x)).decode("ascii")]
    if t is text: return ["str", x]
    if t is bytes: return ["bytes", binascii.hexlify(x).decode("ascii")]
    if t is list: return ["list", [r(i) for i in x]]
    if t is tuple: return ["tuple", [r(i) for i in x]]
    if t is dict: return ["dict", [[r(k), r(v)] for k, v in x.items()]]
    if t is set: return ["set", [r(i) for i in x]]
    return ["other", repr(x)]
for line in iter(sys.stdin.readline, ""):
    p, h = line.split()
    try:
        x = pickle.loads(binascii.unhexlify(h))
        out = {"value": r(x)}
        if REDUMP:
            out["redump"] = binascii.hexlify(pickle.dumps(x, int(p))).decode("ascii")
    except Exception as e:
        out = {"error": repr(e)}
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
`;

type Typed = unknown[];

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function floatBits(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  if (value !== value) return "7ff8000000000000";
  view.setFloat64(0, value);
  return hex(new Uint8Array(view.buffer));
}

/** The typed rendering of what Python should load for `value`. */
function render(value: unknown): Typed {
  switch (typeof value) {
    case "undefined":
      return ["none"];
    case "boolean":
      return ["bool", value];
    case "bigint":
      return ["int", value.toString()];
    case "string":
      return ["str", value];
    case "number":
      return Number.isSafeInteger(value) && !Object.is(value, -0)
        ? ["int", String(value)]
        : ["float", floatBits(value)];
  }
  if (value === null) return ["none"];
  if (Array.isArray(value)) return ["list", value.map(render)];
  if (value instanceof PyFloat) return ["float", floatBits(value.value)];
  if (value instanceof PyTuple) return ["tuple", value.items.map(render)];
  if (value instanceof Uint8Array) return ["bytes", hex(value)];
  if (value instanceof ArrayBuffer) {
    return ["bytes", hex(new Uint8Array(value))];
  }
  if (value instanceof Date) return ["str", value.toISOString()];
  if (value instanceof Map) {
    return ["dict", [...value].map(([k, v]) => [render(k), render(v)])];
  }
  if (value instanceof Set) return ["set", [...value].map(render)];
  const object = value as Record<string, unknown>;
  return [
    "dict",
    Object.keys(object).map((k) => [["str", k], render(object[k])]),
  ];
}

/** Sorts set items (and, for unordered dicts, dict entries) canonically. */
function normalize(typed: Typed, sortDicts: boolean): Typed {
  const [kind, payload] = typed;
  switch (kind) {
    case "list":
    case "tuple":
      return [kind, (payload as Typed[]).map((t) => normalize(t, sortDicts))];
    case "set": {
      const items = (payload as Typed[]).map((t) => normalize(t, sortDicts));
      return [kind, sortByJson(items)];
    }
    case "dict": {
      const entries = (payload as [Typed, Typed][]).map((
        [k, v],
      ) => [normalize(k, sortDicts), normalize(v, sortDicts)]);
      return [kind, sortDicts ? sortByJson(entries) : entries];
    }
    default:
      return typed;
  }
}

function sortByJson<T>(items: T[]): T[] {
  return items
    .map((item) => [JSON.stringify(item), item] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, item]) => item);
}

// ---- generated values --------------------------------------------------------

const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) =>
  String.fromCharCode(c)
);
/** Any UTF-16 units: lone surrogates included. */
const utf16 = fc.oneof(
  fc.string({ unit: utf16Unit, maxLength: 12 }),
  fc.string({ unit: utf16Unit, minLength: 40, maxLength: 120 }),
);
const latin1Char = fc.integer({ min: 0, max: 255 }).map((c) =>
  String.fromCharCode(c)
);
const str = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 2, arbitrary: utf16 },
  { weight: 2, arbitrary: latin1Char },
  { weight: 1, arbitrary: fc.constant("") },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: "binary-ascii",
      minLength: 80,
      maxLength: 300,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: "binary", minLength: 60, maxLength: 140 }),
  },
);
const int = fc.oneof(
  fc.integer(),
  fc.integer({ min: -5, max: 300 }),
  fc.integer({ min: 60000, max: 70000 }),
  fc.maxSafeInteger(),
  fc.constantFrom(
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    2 ** 32,
    2 ** 40,
    -(2 ** 47),
    140000000000000,
  ),
);
const big = fc.oneof(
  fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.constantFrom(-(1n << 63n), 1n << 63n, -(1n << 2047n), 1n << 2048n),
);
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.uint8Array({ minLength: 250, maxLength: 300 }),
  fc.uint8Array({ maxLength: 1 }).map((b) => b.buffer),
);
const float = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0.5, 1e300),
  fc.integer().map(pyFloat),
  fc.double().map(pyFloat),
);
/** Python hashables (no bool/float keys: True == 1 and 1.0 == 1 in Python). */
const hashable = fc.oneof(
  str,
  int,
  big,
  fc.constant(null),
  fc.uint8Array({ maxLength: 4 }),
  fc.date({ noInvalidDate: true }),
  fc.array(fc.oneof(str, int, fc.constant(null)), { maxLength: 3 }).map(
    pyTuple,
  ),
);
const leaf = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 3, arbitrary: int },
  { weight: 1, arbitrary: big },
  { weight: 2, arbitrary: float },
  { weight: 4, arbitrary: str },
  { weight: 1, arbitrary: bytes },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }) },
  // Sets whose iteration order CPython keeps (small ints, ascending).
  {
    weight: 1,
    arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: 7 })).map((a) =>
      new Set(a.sort((x, y) => x - y))
    ),
  },
);

const { value: pyValue } = fc.letrec<{
  value: unknown;
  list: unknown[];
  tuple: PyTuple;
  dict: Record<string, unknown>;
  map: Map<unknown, unknown>;
  shared: unknown;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 6, arbitrary: leaf },
    { weight: 2, arbitrary: tie("list") },
    { weight: 1, arbitrary: tie("tuple") },
    { weight: 2, arbitrary: tie("dict") },
    { weight: 1, arbitrary: tie("map") },
    { weight: 1, arbitrary: tie("shared") },
  ),
  list: fc.array(tie("value"), { maxLength: 6 }),
  tuple: fc.array(tie("value"), { maxLength: 5 }).map(pyTuple),
  dict: fc.dictionary(fc.oneof(str, fc.string()), tie("value"), {
    maxKeys: 6,
  }),
  map: fc.uniqueArray(fc.tuple(hashable, tie("value")), {
    maxLength: 5,
    selector: ([k]) => JSON.stringify(render(k)),
  }).map((entries) => new Map(entries)),
  // The same object (or string) twice: BINGET for objects.
  shared: tie("value").map((v) => [v, pyTuple([v]), { v }]),
}));

/** Occasionally more than 64 KiB, for frames in protocols 4-5. */
const large = fc.array(
  fc.oneof(
    fc.string({ minLength: 50, maxLength: 1500, size: "max" }),
    fc.integer(),
    fc.constant(null),
  ),
  { minLength: 60, maxLength: 300, size: "max" },
);

/** Frames crossing at dict keys, and more than 1000 items. */
const largeDict = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.oneof(
    fc.string({ minLength: 500, maxLength: 4000, size: "max" }),
    fc.integer(),
  ),
  { minKeys: 20, maxKeys: 80, size: "max" },
);
const manyItems = fc.array(
  fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
  {
    size: "max",
    minLength: 990,
    maxLength: 2010,
  },
);

const arbitrary = fc.oneof(
  { weight: 40, arbitrary: pyValue },
  { weight: 1, arbitrary: large },
  { weight: 1, arbitrary: largeDict },
  { weight: 1, arbitrary: manyItems },
);

// ---- tests -------------------------------------------------------------------

for (const protocol of [1, 2, 3, 4, 5] as const) {
  Deno.test(`dumps() matches CPython 3.11 re-pickling byte for byte (protocol ${protocol}, 1000 values)`, async () => {
    await using py = PythonProcess.start(loadPy(true));
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        const ours = dumps(value, { protocol });
        const answer = JSON.parse(
          await py.request(`${protocol} ${hex(ours)}`),
        );
        equal(answer.error, undefined);
        equal(answer.redump, hex(ours));
        deepEqual(
          normalize(answer.value, false),
          normalize(render(value), false),
        );
      }),
      // Shrinking large failing values costs a Python round trip per step:
      // bound it, reporting the smallest counterexample found so far.
      {
        numRuns: 1000,
        interruptAfterTimeLimit: 40_000,
        markInterruptAsFailure: true,
      },
    );
  });
}

// ---- LogRecords ----------------------------------------------------------------

Deno.test("dumpsFrame() of the golden record is what CPython's SocketHandler sends for the same dict", async () => {
  const frame = dumpsFrame(GOLDEN_RECORD, { protocol: 1 });
  const [answer] = await runPython(
    `
import sys, json, pickle, binascii
# The notes' golden values, as CPython builds them (distinct str objects).
d = {}
for k, v in json.loads(sys.stdin.readline()):
    d[k] = v
for k in ("created", "msecs", "relativeCreated"):
    d[k] = float(d[k])
data = pickle.dumps(d, 1)
import struct
print(binascii.hexlify(struct.pack(">L", len(data)) + data).decode())
`,
    [JSON.stringify(
      Object.entries(GOLDEN_RECORD).map((
        [k, v],
      ) => [k, v instanceof PyFloat ? v.value : v]),
    )],
  );
  equal(hex(frame), answer);
  equal(frame.length, 644);
});

/** Builds a real record and SocketHandler.makePickle(record) in Python. */
const REAL_RECORD_PY = `
import sys, json, struct, binascii, pickle, logging, logging.handlers
def fn_name():
    try:
        raise ValueError("bad \\u2713")
    except ValueError:
        ei = sys.exc_info()
    rec = logging.LogRecord("remote.app", logging.ERROR, "/app/main.py", 12,
                            "hello %s \\u00e9 \\U0001F600 %d", ("x", 5), ei,
                            func="fn_name", sinfo="Stack (most recent call last):\\n  x")
    rec.user = "bob"
    rec.tags = ["a", "b", "\\u00e9", ""]
    rec.nested = {"k": [1, 2.5, None, -7, 2 ** 40], "n": {}}
    rec.ok = True
    return rec
h = logging.handlers.SocketHandler("127.0.0.1", 1)
data = h.makePickle(fn_name())
d = pickle.loads(data[4:])
def enc(x):
    if isinstance(x, float):
        return {"$float": binascii.hexlify(struct.pack(">d", x)).decode()}
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int):
        return {"$int": str(x)}
    if isinstance(x, list):
        return [enc(i) for i in x]
    if isinstance(x, dict):
        return {"$dict": [[k, enc(v)] for k, v in x.items()]}
    raise TypeError(type(x))
print(json.dumps({"frame": binascii.hexlify(data).decode(), "dict": enc(d)}))
`;

function revive(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(revive);
  if (x !== null && typeof x === "object") {
    const o = x as Record<string, unknown>;
    if (typeof o.$float === "string") {
      const bits = o.$float.match(/../g)!.map((b) => parseInt(b, 16));
      return pyFloat(new DataView(Uint8Array.from(bits).buffer).getFloat64(0));
    }
    if (typeof o.$int === "string") {
      const n = BigInt(o.$int);
      return Number.isSafeInteger(Number(n)) ? Number(n) : n;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of o.$dict as [string, unknown][]) out[k] = revive(v);
    return out;
  }
  return x;
}

for (const version of [undefined, "3.12.1", "3.13.0"]) {
  Deno.test({
    name:
      `dumpsFrame() equals SocketHandler.makePickle() of a real LogRecord (${
        version ?? "python3"
      })`,
    ignore: !pythonAvailable(version),
    async fn() {
      const [line] = await runPython(
        REAL_RECORD_PY,
        [],
        version === undefined ? {} : { version },
      );
      const { frame, dict } = JSON.parse(line!);
      const record = revive(dict) as Record<string, unknown>;
      equal(typeof record.exc_text, "string");
      equal(typeof record.thread, "number");
      equal(hex(dumpsFrame(record, { protocol: 1 })), frame);
    },
  });
}

// ---- older Pythons ---------------------------------------------------------------

/** Whether a Map key or Set item (at any depth) holds bytes. */
function hasBytesKey(value: unknown, inKey = false): boolean {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return inKey;
  if (Array.isArray(value)) return value.some((v) => hasBytesKey(v, inKey));
  if (value instanceof PyTuple) {
    return value.items.some((v) => hasBytesKey(v, inKey));
  }
  if (value instanceof Map) {
    return [...value].some(([k, v]) =>
      hasBytesKey(k, true) || hasBytesKey(v, inKey)
    );
  }
  if (value instanceof Set) return [...value].some((v) => hasBytesKey(v, true));
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.values(value).some((v) => hasBytesKey(v, inKey));
  }
  return false;
}

const OLD: [string, PickleProtocol[], boolean][] = [
  ["2.7.18", [1, 2], true],
  ["3.6.15", [1, 2, 3, 4], false],
];

for (const [version, protocols, sortDicts] of OLD) {
  Deno.test({
    name: `Python ${version} loads dumps() output (protocols ${
      protocols.join(", ")
    }, 300 values each)`,
    ignore: !pythonAvailable(version),
    async fn() {
      // Python 2's str (our bytes) equals unicode (our str) of the same
      // ASCII text, so such dict keys / set items collapse there: skip them.
      const values = fc.sample(pyValue, { numRuns: 400 })
        .filter((v) => !(sortDicts && hasBytesKey(v)))
        .slice(0, 300);
      const lines: string[] = [];
      for (const p of protocols) {
        for (const v of values) {
          lines.push(`${p} ${hex(dumps(v, { protocol: p }))}`);
        }
      }
      const answers = await runPython(loadPy(false), lines, { version });
      equal(answers.length, lines.length);
      answers.forEach((line, i) => {
        const answer = JSON.parse(line);
        const value = values[i % values.length];
        equal(answer.error, undefined, lines[i]);
        deepEqual(
          normalize(answer.value, sortDicts),
          normalize(render(value), sortDicts),
          lines[i],
        );
      });
    },
  });
}
