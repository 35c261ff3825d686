// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// loads(dumps(v)) equals v (up to the documented mapping) for random values,
// protocols 1 to 5, and keeps shared and cyclic structure.
import fc from "npm:fast-check@^4";
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  dumps,
  loads,
  type PickleProtocol,
  PyFloat,
  PyTuple,
} from "../pickle.ts";

const RUNS = 1000;

const char = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xff }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x100, max: 0xffff }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }) },
).map((cp) => String.fromCodePoint(cp));
const text = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: char, maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      "__proto__",
      "constructor",
      "toString",
      "0",
      "42",
      "x".repeat(300),
      "é".repeat(200) + "\ud800",
    ),
  },
);
const integer = fc.oneof(
  fc.integer({ min: -300, max: 70000 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(
    2 ** 31,
    -(2 ** 31) - 1,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
  ),
);
const bigint = fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n });
/** Bigints that stay bigints (no collision with an equal number). */
const bigBigint = fc.oneof(
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 200n }),
  fc.bigInt({ min: -(2n ** 200n), max: -(2n ** 53n) }),
);
const float = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, -0, Infinity, -Infinity, 0.5, 1e20, 5e-324),
);
const bytes = fc.uint8Array({ maxLength: 20 });
/**
 * Non-empty: CPython's b'' is a singleton, so dumps() memoises it by value
 * and two empty keys or members would be one.
 */
const keyBytes = fc.uint8Array({ minLength: 1, maxLength: 8 });

/** Values Python can hash: dict keys and set members. */
const { hashable } = fc.letrec((tie) => ({
  hashable: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    integer,
    bigBigint,
    float,
    text,
    keyBytes,
    fc.array(tie("hashable"), { maxLength: 3 }).map((a) => new PyTuple(a)),
  ),
}));

function plainObject(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    Object.defineProperty(o, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return o;
}

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "medium", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    integer,
    bigint,
    float,
    float.map((x) => new PyFloat(x)),
    integer.map((x) => new PyFloat(x)),
    text,
    bytes,
    { weight: 4, arbitrary: fc.array(tie("value"), { maxLength: 6 }) },
    {
      weight: 3,
      arbitrary: fc.array(tie("value"), { maxLength: 4 }).map((a) =>
        new PyTuple(a)
      ),
    },
    {
      weight: 4,
      arbitrary: fc.array(fc.tuple(text, tie("value")), { maxLength: 6 }).map(
        plainObject,
      ),
    },
    {
      weight: 3,
      arbitrary: fc.array(fc.tuple(hashable, tie("value")), { maxLength: 4 })
        .map((e) => new Map(e)),
    },
    {
      weight: 2,
      arbitrary: fc.array(hashable, { maxLength: 5 }).map((a) => new Set(a)),
    },
  ),
}));

/** What loads() gives back for a value dumps() accepted. */
function expected(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "bigint") {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) &&
        v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  }
  if (typeof v !== "object" || v === null || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(expected);
  if (v instanceof PyTuple) return new PyTuple(v.items.map(expected));
  if (v instanceof Set) return new Set([...v].map(expected));
  const entries: [unknown, unknown][] = v instanceof Map
    ? [...v]
    : Object.entries(v);
  // A dict whose keys are all str comes back as a null-prototype object.
  if (entries.every(([k]) => typeof k === "string")) {
    const o = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of entries) {
      Object.defineProperty(o, k as string, {
        value: expected(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return o;
  }
  return new Map(entries.map(([k, x]) => [expected(k), expected(x)]));
}

for (const protocol of [1, 2, 3, 4, 5] as PickleProtocol[]) {
  Deno.test(`loads(dumps(v, { protocol: ${protocol} })) equals v for ${RUNS} random values`, () => {
    let n = 0;
    fc.assert(
      fc.property(value, (v) => {
        n++;
        deepEqual(loads(dumps(v, { protocol })), expected(v));
      }),
      { numRuns: RUNS, seed: 0x5eed + protocol },
    );
    ok(n >= RUNS);
  });
}

Deno.test("loads(dumps(v)) keeps shared and cyclic structure, protocols 1-5", () => {
  for (const protocol of [1, 2, 3, 4, 5] as PickleProtocol[]) {
    const list: unknown[] = [1];
    list.push(list);
    const shared = { a: 1 };
    const tuple = new PyTuple([list, shared]);
    const map = new Map<unknown, unknown>([[1, shared]]);
    map.set(2, map);
    const obj: Record<string, unknown> = { list, tuple, again: tuple, map };
    obj.self = obj;
    const back = loads(dumps(obj, { protocol })) as Record<string, unknown>;
    equal(back.self, back);
    const l = back.list as unknown[];
    equal(l[1], l);
    const t = back.tuple as PyTuple;
    equal(back.again, t);
    equal(t.items[0], l);
    const m = back.map as Map<unknown, unknown>;
    ok(m instanceof Map);
    equal(m.get(2), m);
    equal(m.get(1), t.items[1]);
    deepEqual(t.items[1], Object.assign(Object.create(null), { a: 1 }));
  }
});
