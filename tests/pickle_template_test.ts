// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// dumps() reuses the bytes of the last top-level dict with the same keys
// (its "template"). These tests check that what it writes is always what the
// plain encoder writes, whatever changes between consecutive dicts, and that
// the pooled results it returns by default stay valid.

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "npm:fast-check@^4";
import {
  dumps,
  dumpsFrame,
  type DumpsOptions,
  loads,
  PickleError,
  type PickleProtocol,
  pyFloat,
  pyTuple,
} from "../pickle.ts";
import { pythonAvailable, runPython } from "./_python.ts";

if (!pythonAvailable()) throw new Error("python3 is required by these tests");

const PROTOCOLS: PickleProtocol[] = [1, 2, 3, 4, 5];

/**
 * What the plain encoder writes: dumps() re-entered from a getter runs on a
 * fresh encoder, which has no template.
 */
function plain(value: unknown, options: DumpsOptions): Uint8Array {
  let out: Uint8Array | undefined;
  dumps({
    get x() {
      out = dumps(value, { ...options, pooled: false });
      return null;
    },
  });
  if (out === undefined) throw new Error("the getter did not run");
  return out;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** dumps() of each dict, `rounds` times in a row, is what plain() writes. */
function assertPlain(
  dicts: Record<string, unknown>[],
  protocol: PickleProtocol,
  rounds: number,
): void {
  for (let round = 0; round < rounds; round++) {
    for (const dict of dicts) {
      equal(
        hex(dumps(dict, { protocol })),
        hex(plain(dict, { protocol })),
        `protocol ${protocol}: ${Deno.inspect(dict)}`,
      );
    }
  }
}

/** A key pool: record-like names, one-character keys CPython shares, "". */
const keyArb = fc.constantFrom(
  "name",
  "msg",
  "levelname",
  "levelno",
  "created",
  "thread",
  "user",
  "tags",
  "a",
  "é",
  "",
  "ключ",
  "0",
);

const shared = [1, 2];
const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    true,
    false,
    0,
    -0,
    1,
    NaN,
    Infinity,
    "",
    "a",
    "é",
    "INFO",
    "\ud800x",
    "x".repeat(300),
    2n ** 70n,
    shared,
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.double().map(pyFloat),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 3 }),
  fc.date({ noInvalidDate: true }),
);
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: leafArb },
  { weight: 1, arbitrary: fc.array(leafArb, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.array(leafArb, { maxLength: 2 }).map((a) => pyTuple(a)),
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(keyArb, leafArb, { maxKeys: 2 }),
  },
);

/** A dict, then edits of it: values changed, keys added, removed, moved. */
const sequenceArb = fc.record({
  base: fc.uniqueArray(fc.tuple(keyArb, valueArb), {
    minLength: 2,
    maxLength: 10,
    selector: ([k]) => k,
  }),
  edits: fc.array(
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc.tuple(fc.constant("set"), fc.nat(), valueArb),
      },
      { weight: 1, arbitrary: fc.tuple(fc.constant("add"), keyArb, valueArb) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("delete"), fc.nat()) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("same")) },
    ),
    { minLength: 1, maxLength: 12 },
  ),
});

type Edit = [string, ...unknown[]];

/** The dicts of a sequence, each a fresh object. */
function dictsOf(
  base: [string, unknown][],
  edits: Edit[],
): Record<string, unknown>[] {
  let entries = base.map(([k, v]) => [k, v] as [string, unknown]);
  const out = [Object.fromEntries(entries)];
  for (const [kind, a, b] of edits) {
    entries = entries.map(([k, v]) => [k, v]);
    if (kind === "set" && entries.length > 0) {
      entries[(a as number) % entries.length]![1] = b;
    } else if (kind === "add") {
      entries = entries.filter(([k]) => k !== a);
      entries.push([a as string, b]);
    } else if (kind === "delete" && entries.length > 2) {
      entries.splice((a as number) % entries.length, 1);
    }
    out.push(Object.fromEntries(entries));
  }
  return out;
}

for (const protocol of PROTOCOLS) {
  Deno.test(`dumps() of consecutive similar dicts equals the plain encoder's output (protocol ${protocol})`, () => {
    fc.assert(
      fc.property(sequenceArb, ({ base, edits }) => {
        for (const dict of dictsOf(base, edits as Edit[])) {
          const options = { protocol };
          const expected = hex(plain(dict, options));
          equal(hex(dumps(dict, options)), expected);
          equal(hex(dumpsFrame(dict, options)).slice(8), expected);
        }
      }),
      { numRuns: 300 },
    );
  });
}

Deno.test("dumps() follows values that change type, memo footprint and order", () => {
  const list = ["xx", "yyy"];
  const sparse = ["xx", "yyy"];
  delete sparse[1];
  const dicts: Record<string, unknown>[] = [
    { aa: "one", bb: 2, cc: null, dd: "four" },
    { aa: "one", bb: 2, cc: null, dd: "four" }, // all repeated
    { aa: "uno", bb: 2, cc: null, dd: "four" }, // a str changed
    { aa: "a", bb: 2, cc: null, dd: "four" }, // a shared str: memo moves
    { aa: "a", bb: "a", cc: null, dd: "four" }, // the second "a" is a get
    { aa: list, bb: list, cc: list, dd: "four" }, // one list, then gets
    { aa: [], bb: 0, cc: -0, dd: "four" }, // 0 and -0 differ in pickles
    { aa: [], bb: -0, cc: 0, dd: "four" },
    { aa: "one", bb: 2, cc: null }, // a key fewer
    { aa: "one", bb: 2, cc: null, dd: "four", ee: 5 }, // a key more
    { bb: 2, aa: "one", cc: null, dd: "four" }, // keys reordered
    // Short lists of constants are reused from the template when equal,
    // but a list seen before in the same dict is a memo get.
    { aa: ["xx", "yy"], bb: ["xx", "yy"], cc: null, dd: "four" },
    { aa: list, bb: list, cc: null, dd: "four" },
    { aa: ["xx", "yyy"], bb: ["xx", "yyy"], cc: null, dd: "four" },
    { aa: ["xx", "yyy"], bb: ["xx", "yyy"], cc: null, dd: "four" },
    { aa: list, bb: list, cc: null, dd: "four" },
    { aa: ["xx", "yyy"], bb: list, cc: list, dd: "four" },
    { aa: ["xx", -0], bb: ["xx", 0], cc: [0], dd: [-0] },
    { aa: ["xx", 0], bb: ["xx", -0], cc: [-0], dd: [0] },
    { aa: ["xx", undefined], bb: ["xx", "yyy"], cc: null, dd: "four" },
    { aa: sparse, bb: ["xx", "yyy"], cc: null, dd: "four" },
  ];
  for (const protocol of PROTOCOLS) assertPlain(dicts, protocol, 3);
});

Deno.test("dumps() templates the keys before a one-character key and writes the rest plainly", () => {
  const list = ["xx", "yyy"];
  const dicts: Record<string, unknown>[] = [
    { aa: "one", bb: 2, i: 1 }, // the template ends before "i"
    { aa: "one", bb: 2, i: 2 },
    { aa: "two", bb: 3, i: 3, cc: "x" },
    { aa: "one", bb: 2 }, // just the template's keys
    { aa: "one", bb: 2, dd: 4 }, // other keys after it
    { aa: "i", bb: 2, i: "i" }, // "i" written before the key: a memo get
    { aa: "one", bb: "i", i: 5, "": "" },
    { aa: list, bb: list, i: list }, // memo entries before the key
    { aa: "one", bb: 2.5, i: "", "é": "é" },
    { aa: "one", bb: 2, i: 1 },
    { i: 1, aa: "one", bb: 2 }, // a one-character key first: no template
    { aa: "one", i: 1, bb: 2 },
  ];
  for (const protocol of PROTOCOLS) {
    assertPlain(dicts, protocol, 3);
    // a long run of the same shape: the template is kept, and stays right
    const run = Array.from(
      { length: 600 },
      (_, k) => ({ aa: `r${k % 7}`, bb: k, i: k % 3 === 0 ? "i" : k }),
    );
    assertPlain(run, protocol, 1);
  }
});

Deno.test("dumps() reuses a short list's bytes only where the plain encoder writes that list", () => {
  const list = ["xx", "yyy"];
  const other = ["xx", "yyy"];
  // [template dict, dict written with it]
  const cases: [Record<string, unknown>, Record<string, unknown>][] = [
    // The template's second list is a memo get; these are two lists.
    [{ aa: list, bb: list }, { aa: ["xx", "yyy"], bb: ["xx", "yyy"] }],
    // The template has two lists; here the second is a memo get.
    [{ aa: list, bb: other }, { aa: other, bb: other }],
    [{ aa: list, bb: other }, { aa: list, bb: other }],
    [{ aa: list, bb: "zz" }, { aa: ["xx", "yyy"], bb: "zz" }],
    [{ aa: list, bb: "zz" }, { aa: ["xx", "yy"], bb: "zz" }],
    [{ aa: list, bb: "zz" }, { aa: ["xx"], bb: "zz" }],
    [{ aa: list, bb: "zz" }, { aa: pyTuple(["xx", "yyy"]), bb: "zz" }],
  ];
  for (const protocol of PROTOCOLS) {
    for (const [template, dict] of cases) {
      dumps({ reset1: 1, reset2: 2 }, { protocol }); // another shape
      dumps(template, { protocol });
      equal(
        hex(dumps(dict, { protocol })),
        hex(plain(dict, { protocol })),
        `protocol ${protocol}: ${Deno.inspect(template)} then ${
          Deno.inspect(dict)
        }`,
      );
    }
  }
});

Deno.test("dumps() writes LONG_BINPUT indices right past 256 memo entries when a value's memo footprint changes", () => {
  const make = (tags: string[]) => {
    const dict: Record<string, unknown> = { tags };
    for (let k = 0; k < 300; k++) dict[`key${k}`] = `value${k}`;
    return dict;
  };
  for (const protocol of [1, 2, 3] as const) {
    for (const tags of [["a1", "b1"], ["a1", "b1"], ["a1"], [], ["a", "b"]]) {
      const dict = make(tags);
      const ours = dumps(dict, { protocol });
      equal(hex(ours), hex(plain(dict, { protocol })));
      deepEqual(loads(ours), { ...dict });
    }
  }
});

Deno.test("dumps() puts FRAME boundaries where the plain encoder does when a dict crosses 64 KiB", () => {
  for (const protocol of [4, 5] as const) {
    for (const size of [10, 60_000, 65_000, 65_500, 70_000, 10, 65_530]) {
      const dict: Record<string, unknown> = { msg: "m".repeat(size) };
      for (let k = 0; k < 40; k++) dict[`k${k}`] = `v${k}`.repeat(20);
      dict.after = "m".repeat(size >> 1);
      for (let k = 0; k < 40; k++) dict[`z${k}`] = k;
      equal(
        hex(dumps(dict, { protocol })),
        hex(plain(dict, { protocol })),
        `protocol ${protocol}, msg of ${size}`,
      );
    }
  }
});

Deno.test("dumps() rebuilds its template so a value that stopped repeating is encoded right", () => {
  // 600 dicts: the template's "func" changes for good after 100.
  for (const protocol of [1, 4] as const) {
    for (let k = 0; k < 600; k++) {
      const dict = {
        name: "app",
        msg: `message ${k}`,
        func: k < 100 ? "before" : "after",
        created: pyFloat(k + 0.5),
      };
      equal(hex(dumps(dict, { protocol })), hex(plain(dict, { protocol })));
    }
  }
});

Deno.test("dumps() names the key when reading a templated dict's value throws, and the next dict is right", () => {
  const good = (x: number) => ({
    alpha: "one",
    at: pyFloat(x),
    beta: "two",
    gamma: "three",
  });
  dumps(good(1), { protocol: 1 });
  dumps(good(2), { protocol: 1 });
  const bad = {
    alpha: "one",
    at: pyFloat(3), // a changed float, pending when the next read throws
    get beta(): string {
      throw new Error("boom");
    },
    gamma: "three",
  };
  throws(
    () => dumps(bad, { protocol: 1 }),
    (e: unknown) =>
      e instanceof PickleError &&
      e.message ===
        "Cannot pickle value at 'value.beta': reading it threw Error: boom",
  );
  // Another template, whose bytes a float left pending would land in.
  const other = { first: "x".repeat(40), second: "y".repeat(40) };
  dumps(other, { protocol: 1 });
  equal(hex(dumps(other, { protocol: 1 })), hex(plain(other, { protocol: 1 })));
});

Deno.test("dumps() from a getter during a dumps() does not overwrite the outer pickle", () => {
  const inner = { name: "inner", msg: "x".repeat(100), n: 1 };
  const outer: Record<string, unknown> = {
    name: "outer",
    msg: "y".repeat(50),
    get n() {
      // Both a pooled and a plain re-entrant call.
      const a = dumps(inner, { protocol: 1 });
      const b = dumps(inner, { protocol: 1, pooled: false });
      deepEqual(a, b);
      return 2;
    },
  };
  const first = dumps(outer, { protocol: 1 });
  const second = dumps(outer, { protocol: 1 });
  const expected = { name: "outer", msg: "y".repeat(50), n: 2 };
  deepEqual(loads(first), expected);
  deepEqual(loads(second), expected);
  equal(hex(first), hex(second));
});

Deno.test("dumps() returns adjacent views of a shared slab by default, and its own buffer with pooled: false", () => {
  const a = dumps({ aa: 1, bb: "two" }, { protocol: 1 });
  const b = dumps({ aa: 1, bb: "three" }, { protocol: 1 });
  equal(a.buffer, b.buffer);
  equal(b.byteOffset, a.byteOffset + a.byteLength);
  ok(a.buffer.byteLength > a.byteLength);
  deepEqual(loads(a), { aa: 1, bb: "two" });
  deepEqual(loads(b), { aa: 1, bb: "three" });
  const own = dumps({ aa: 1, bb: "two" }, { protocol: 1, pooled: false });
  equal(own.byteOffset, 0);
  equal(own.buffer.byteLength, own.byteLength);
  deepEqual(own, a);
});

Deno.test("dumps() recovers when the caller transfers the slab a result lives in", () => {
  const a = dumps({ aa: 1, bb: "two" }, { protocol: 1 });
  const buffer = a.buffer;
  structuredClone(buffer, { transfer: [buffer] });
  equal(buffer.byteLength, 0); // detached
  const b = dumps({ aa: 1, bb: "three" }, { protocol: 1 });
  deepEqual(loads(b), { aa: 1, bb: "three" });
  const framed = dumpsFrame({ aa: 2, bb: "four" }, { protocol: 1 });
  equal(
    new DataView(framed.buffer, framed.byteOffset).getUint32(0),
    framed.length - 4,
  );
});

Deno.test("dumps() of a stream of record dicts is what CPython 3.11 writes for them", async () => {
  const dicts: Record<string, unknown>[] = [];
  for (let k = 0; k < 300; k++) {
    const dict: Record<string, unknown> = {
      name: k % 50 === 0 ? "other" : "app.http",
      msg: k % 7 === 0 ? "same" : `GET /users/${k} ${"é".repeat(k % 3)}`,
      args: null,
      levelname: "INFO",
      levelno: 20,
      lineno: k % 10 === 0 ? 0 : 187,
      created: pyFloat(1700000000.25 + k),
      thread: 140000000000000,
      process: 70000,
    };
    if (k % 3 === 0) dict.user = "bob";
    if (k % 5 === 0) dict.tags = ["a", "bc"];
    dicts.push(dict);
  }
  for (const protocol of PROTOCOLS) {
    const lines = dicts.map((d) => hex(dumps(d, { protocol })));
    const out = await runPython(
      "import sys, pickle, binascii\n" +
        "for line in iter(sys.stdin.readline, ''):\n" +
        "    b = binascii.unhexlify(line.strip())\n" +
        `    sys.stdout.write(binascii.hexlify(pickle.dumps(pickle.loads(b), ${protocol})).decode() + '\\n')\n`,
      lines,
    );
    deepEqual(out, lines, `protocol ${protocol}`);
  }
});
