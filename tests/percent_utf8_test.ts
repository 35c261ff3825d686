// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The framer writes `msg % args` straight into its buffer (PercentUtf8): the
// bytes must be those of percentFormat's text, and the frames those of
// dumpsFrame(recordDict(event)), for every template and argument.
import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "npm:fast-check@^4";
import { PercentUtf8 } from "../text/percent_utf8.ts";
import { percentFormat } from "../text/percent_format.ts";
import { utf8Into } from "../pickle/utf8.ts";
import { dumpsFrame, type PickleProtocol } from "../pickle.ts";
import { recordDict, RecordFramer, type RecordInput } from "../record.ts";
import { FrameQueue } from "../transport/frame_queue.ts";

/** percentFormat's text as the pickle writes it (UTF-8, surrogatepass). */
function utf8(text: string): number[] {
  const buf = new Uint8Array(3 * text.length);
  return [...buf.subarray(0, utf8Into(buf, text, 0, 0))];
}

const piece = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 6 }), // lone surrogates too
  fc.constantFrom("\ud83d", "\ude00", "é", "日本", "😀", " ", "%"),
);
const conversion = fc.oneof(
  { arbitrary: fc.constantFrom("%s", "%d", "%%"), weight: 12 },
  {
    arbitrary: fc.constantFrom("%r", "%5d", "%-3s", "%x", "%(k)s", "%", "%.1f"),
    weight: 1,
  },
);
const arg = fc.oneof(
  fc.integer(),
  fc.integer({ min: -1e15, max: 1e15 }),
  fc.constantFrom(
    0,
    -0,
    9007199254740991,
    -9007199254740991,
    2 ** 53,
    NaN,
    Infinity,
    -Infinity,
    12.5,
    1e16,
    1e-5,
    true,
    false,
    null,
    undefined,
    10n,
    "",
    "\ud83d",
    "\ude00x",
    "x\ud83d",
  ),
  fc.double(),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 4 }),
);
/** A template, and args for its conversions (now and then one too many or few). */
const templateArgs = fc.tuple(
  fc.array(fc.tuple(piece, conversion, arg), { maxLength: 5 }),
  piece,
  fc.constantFrom(0, 0, 0, 1, -1),
).map(([parts, tail, skew]) => {
  const t = parts.map(([p, c]) => p + c).join("") + tail;
  const a = parts.filter(([, c]) => c !== "%%" && c !== "%").map(([, , v]) =>
    v
  );
  if (skew > 0) a.push(1);
  if (skew < 0) a.pop();
  return [t, a] as [string, unknown[]];
});

// First in this file: the module's cache of float reprs is still empty.
Deno.test("PercentUtf8 prints each float's own repr, first seen or recurring (NaN, -0, 0, ±Infinity included)", () => {
  const floats = [NaN, -0, 0.5, Infinity, -Infinity, 1e-7, 12.5, 0.1 + 0.2];
  for (let round = 0; round < 3; round++) {
    const p = new PercentUtf8();
    const buf = new Uint8Array(64);
    for (const x of round === 1 ? [...floats].reverse() : floats) {
      equal(p.measure("<%s>", [x]), percentFormat("<%s>", [x]).text.length);
      deepEqual(
        [...buf.subarray(0, p.write(buf, 0))],
        utf8(percentFormat("<%s>", [x]).text),
        String(x),
      );
    }
  }
});

Deno.test("PercentUtf8 writes percentFormat's text, or declines, for 20,000 generated templates and args", () => {
  const p = new PercentUtf8();
  const buf = new Uint8Array(4096);
  let taken = 0;
  let declined = 0;
  fc.assert(
    fc.property(templateArgs, ([t, a]) => {
      const n = p.measure(t, a);
      if (n < 0) {
        declined++;
        return;
      }
      taken++;
      const { text, used } = percentFormat(t, a);
      equal(used, a.length, "takes only templates that use every arg");
      equal(n, text.length);
      deepEqual([...buf.subarray(0, p.write(buf, 0))], utf8(text));
    }),
    { numRuns: 20_000, seed: 20261206 },
  );
  ok(taken > 2000 && declined > 2000, `${taken} taken, ${declined} declined`);
});

Deno.test("PercentUtf8 declines what percentFormat renders otherwise", () => {
  const p = new PercentUtf8();
  for (
    const [t, a] of [
      ["%x", [255]],
      ["%s", []], // no arg left: verbatim
      ["%s", [1, 2]], // a leftover arg: appended by the record mapping
      ["no conversion", [1]],
      ["%d", ["7"]],
      ["%d", [1.5]],
      ["%d", [true]],
      ["%s", [10n]],
      ["%s", [{}]],
      ["%s", [Symbol("s")]],
      ["a\ud83d%s", ["\ude00"]], // a pair across pieces
      ["%s%s", ["\ud83d", "\ude00"]],
      ["%s".repeat(33), Array(33).fill(1)],
      ["100%", []],
    ] as [string, unknown[]][]
  ) {
    equal(p.measure(t, a), -1, JSON.stringify(t));
  }
  const buf = new Uint8Array(64);
  for (
    const [t, a, text] of [
      ["%d|%s|%d", [-0, -0, -17], "0|-0.0|-17"],
      ["%s %s %s %s", [null, undefined, true, NaN], "None None True nan"],
      ["%s", [2 ** 53], "9007199254740992.0"],
      ["%s", [-9007199254740991], "-9007199254740991"],
      ["%s", [1e16], "1e+16"],
      ["\ude00%s\ud83d", ["\ude00"], "\ude00\ude00\ud83d"],
      ["\ud83d%%%s", ["\ude00"], "\ud83d%\ude00"],
    ] as [string, unknown[], string][]
  ) {
    equal(p.measure(t, a), text.length);
    deepEqual([...buf.subarray(0, p.write(buf, 0))], utf8(text));
  }
});

Deno.test("PercentUtf8 keeps templates parsed: 300 templates, reused in random order with new args, as percentFormat", () => {
  const p = new PercentUtf8();
  const buf = new Uint8Array(4096);
  const pool = fc.sample(templateArgs, { numRuns: 300, seed: 3 });
  let taken = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: pool.length - 1 }),
      fc.array(arg, { maxLength: 5 }),
      (i, fresh) => {
        const [t, own] = pool[i]!;
        // Its own args (mostly taken), or others of the same count.
        const a = fresh.length === own.length ? fresh : own;
        const n = p.measure(t, a);
        if (n < 0) return;
        taken++;
        const { text } = percentFormat(t, a);
        equal(n, text.length);
        deepEqual([...buf.subarray(0, p.write(buf, 0))], utf8(text));
      },
    ),
    { numRuns: 20_000, seed: 11 },
  );
  ok(taken > 2000, `${taken} taken`);
});

const event: fc.Arbitrary<RecordInput> = fc.record({
  name: fc.constantFrom("app", "db", "é", "a"),
  level: fc.constantFrom(10, 20, 30, 40),
  msg: fc.constant(""),
  args: fc.constant([]),
  timeMs: fc.oneof(
    fc.integer({ min: 0, max: 4_000_000_000_000 }),
    fc.double({ min: -1e12, max: 4e12, noNaN: true }),
  ),
}).chain((e) =>
  templateArgs.map(([msg, args]) => ({ ...e, msg, args }))
) as fc.Arbitrary<RecordInput>;

for (const protocol of [1, 2, 3] as PickleProtocol[]) {
  Deno.test(`RecordFramer(${protocol}) frames generated events with args as dumpsFrame(recordDict()), in place and pooled`, () => {
    const framer = new RecordFramer(protocol);
    const queue = new FrameQueue({
      maxRecords: 1_000_000,
      maxBytes: 1 << 30,
      overflow: "drop-newest",
      onDrop: () => {
        throw new Error("dropped");
      },
    });
    const sink = {
      room: (n: number) => queue.room(n),
      commit: (end: number) => queue.commit(end),
      enqueue: (frame: Uint8Array) => queue.push(frame),
    };
    const before = framer.templated;
    fc.assert(
      fc.property(event, (e) => {
        const want = [...dumpsFrame(recordDict(e), { protocol })];
        deepEqual([...framer.frameEvent(e)!], want);
        ok(framer.writeEvent(e, sink));
        const got = queue.takeBatch(1 << 30)!;
        deepEqual([...got], want);
        queue.settle(got.length);
      }),
      { numRuns: 3000, seed: 7 + protocol },
    );
    ok(framer.templated - before > 2000, `${framer.templated} templated`);
  });
}
