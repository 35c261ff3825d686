// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// RecordFramer must write exactly what dumpsFrame writes, for every dict.
import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "npm:fast-check@^4";
import {
  dumpsFrame,
  type PickleProtocol,
  pyFloat,
  RecordFramer,
} from "../pickle.ts";
import { recordDict, type RecordInput } from "../record.ts";

const names = [
  "app",
  "app.db",
  "",
  "a",
  "é",
  "\u0100",
  "日本",
  "x".repeat(300),
  "WARNING",
  ...Array.from({ length: 20 }, (_, i) => `logger${i}`), // > 16 templates
];

const input: fc.Arbitrary<RecordInput> = fc.record({
  name: fc.constantFrom(...names),
  level: fc.constantFrom(5, 10, 20, 30, 40, 50),
  msg: fc.oneof(
    fc.string(),
    fc.string({ unit: "grapheme" }),
    fc.string({ unit: "binary" }), // lone surrogates too
    fc.constantFrom("", "a", "é", "\u0100", "%s", "x".repeat(5000)),
  ),
  args: fc.option(
    fc.array(
      fc.oneof(
        fc.integer(),
        fc.double(),
        fc.string(),
        fc.constant({ user: "bob" }),
        fc.constant(new Error("boom")),
      ),
      { maxLength: 3 },
    ),
    { nil: undefined },
  ),
  timeMs: fc.oneof(
    fc.integer({ min: 0, max: 4_000_000_000_000 }),
    fc.double({ min: -1e12, max: 4e12, noNaN: true }),
  ),
}, { requiredKeys: ["name", "level", "msg", "timeMs"] }) as fc.Arbitrary<
  RecordInput
>;

for (const protocol of [1, 2, 3, 4, 5] as PickleProtocol[]) {
  Deno.test(`RecordFramer(${protocol}) writes dumpsFrame's bytes for 2,000 generated records`, () => {
    const framer = new RecordFramer(protocol);
    let plain = 0;
    fc.assert(
      fc.property(input, (rec) => {
        const dict = recordDict(rec);
        if (
          Object.keys(dict).length === 21 && dict.exc_text === null &&
          typeof dict.msg === "string" && dict.msg.length >= 2 &&
          dict.msg.length <= 4096
        ) plain++;
        const want = dumpsFrame(dict, { protocol });
        const got = framer.frame(dict);
        equal(got.length, want.length);
        deepEqual([...got], [...want]);
      }),
      { numRuns: 2000, seed: 42 + protocol },
    );
    if (protocol <= 3) {
      ok(plain > 500, `only ${plain} plain records generated`);
      ok(framer.templated >= plain, `${framer.templated} < ${plain}`);
    } else {
      equal(framer.templated, 0); // protocols 4-5 always take dumpsFrame
    }
  });
}

Deno.test("RecordFramer falls back to dumpsFrame for reordered keys, extras, other types and getters", () => {
  const framer = new RecordFramer(1);
  const base = recordDict({ name: "app", level: 20, msg: "hello", timeMs: 0 });
  const reordered: Record<string, unknown> = { msg: base.msg };
  for (const [k, v] of Object.entries(base)) if (k !== "msg") reordered[k] = v;
  const extra = { ...base, user: "bob" };
  const intCreated = { ...base, created: 5 };
  const noneMsg = { ...base, msg: null };
  const lineno = { ...base, lineno: pyFloat(3) };
  let reads = 0;
  const getter = { ...base };
  Object.defineProperty(getter, "msg", {
    enumerable: true,
    get: () => `read ${++reads}`,
  });
  const before = framer.templated;
  for (const dict of [reordered, extra, intCreated, noneMsg, lineno]) {
    deepEqual([...framer.frame(dict)], [...dumpsFrame(dict, { protocol: 1 })]);
  }
  equal(framer.templated, before);
  // A getter is read; the frame holds a message the getter returned.
  const frame = framer.frame(getter);
  ok(new TextDecoder().decode(frame).includes("read "));
  // The plain base record does use the template.
  deepEqual([...framer.frame(base)], [...dumpsFrame(base, { protocol: 1 })]);
  equal(framer.templated, before + 2);
});
