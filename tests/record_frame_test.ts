// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// RecordFramer must write exactly what dumpsFrame writes, for every dict.
import { deepEqual, equal, ok } from "node:assert/strict";
import fc from "npm:fast-check@^4";
import { dumpsFrame, type PickleProtocol, pyFloat } from "../pickle.ts";
import {
  plainRecordFields,
  recordDict,
  type RecordFields,
  RecordFramer,
  type RecordInput,
} from "../record.ts";
import { FrameQueue } from "../transport/frame_queue.ts";
import {
  CONSTANT_FIELDS,
  FIELD_READERS,
  NONE_FIELDS,
} from "../record/framer.ts";
import { STANDARD_FIELDS } from "../record/schema.ts";

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

for (const protocol of [1, 2, 3] as PickleProtocol[]) {
  Deno.test(`plainRecordFields + RecordFramer(${protocol}).frameFields write dumpsFrame's bytes of recordDict, 2,000 generated records`, () => {
    const framer = new RecordFramer(protocol);
    let framed = 0;
    fc.assert(
      fc.property(input, (rec) => {
        const want = dumpsFrame(recordDict(rec), { protocol });
        const fields = plainRecordFields(rec);
        const dict = recordDict(rec);
        if (fields === undefined) {
          // Not plain: extras, an error or object args.
          ok(
            Object.keys(dict).length > 21 || dict.exc_text !== null ||
              (rec.args ?? []).some((a) => typeof a === "object"),
          );
          return;
        }
        equal(fields.msg, dict.msg);
        const got = framer.frameFields(fields);
        if (got === undefined) {
          // Only messages a template cannot hold.
          ok(
            dict.msg === "" || (dict.msg as string).length === 1 ||
              (dict.msg as string).length > 4096,
          );
          return;
        }
        framed++;
        deepEqual([...got], [...want]);
      }),
      { numRuns: 2000, seed: 7 + protocol },
    );
    ok(framed > 500, `only ${framed} records framed from fields`);
  });
}

Deno.test("RecordFramer.frameFields declines protocols 4-5 and fields a template cannot hold", () => {
  const fields = plainRecordFields({
    name: "app",
    level: 20,
    msg: "hello",
    timeMs: 0,
  })!;
  ok(fields !== undefined);
  equal(new RecordFramer(4).frameFields(fields), undefined);
  equal(new RecordFramer(5).frameFields(fields), undefined);
  const framer = new RecordFramer(1);
  equal(framer.frameFields({ ...fields, msg: "a" }), undefined);
  equal(framer.frameFields({ ...fields, process: null }), undefined);
  ok(framer.frameFields(fields) !== undefined);
  equal(
    plainRecordFields({
      ...fields,
      level: 20,
      timeMs: 0,
      caller: {
        pathname: "/a.ts",
        filename: "a.ts",
        module: "a",
        lineno: 1,
        funcName: "f",
      },
    }),
    undefined,
  );
  equal(
    plainRecordFields({
      name: "app",
      level: 20,
      msg: "x %s",
      args: [{ a: 1 }],
      timeMs: 0,
    }),
    undefined,
  );
  equal(
    plainRecordFields({
      name: "app",
      level: 20,
      msg: "x",
      error: new Error("e"),
      timeMs: 0,
    }),
    undefined,
  );
});

for (const protocol of [1, 4] as PickleProtocol[]) {
  Deno.test(`RecordFramer(${protocol}).writeEvent writes frameEvent's bytes in place into a FrameQueue, 2,000 generated events`, () => {
    const writer = new RecordFramer(protocol);
    const reference = new RecordFramer(protocol);
    const drops: string[] = [];
    // A small ring, drained now and then, so that frames land at every
    // offset, wrap around its end (then the queue lends a spare buffer) and
    // sometimes overflow it.
    const queue = new FrameQueue({
      maxRecords: 64,
      maxBytes: 48 * 1024,
      overflow: "drop-oldest",
      onDrop: (reason, n) => drops.push(`${reason} ${n}`),
    });
    const expected: number[][] = [];
    let inPlace = 0;
    const sink = {
      room: (n: number) => {
        const room = queue.room(n);
        if (room.buf.length >= 16 * 1024) inPlace++;
        return room;
      },
      commit: (end: number) => queue.commit(end),
      enqueue: (frame: Uint8Array) => queue.push(frame),
    };
    const drain = () => {
      for (let batch; (batch = queue.takeBatch(1 << 20)) !== undefined;) {
        const got = [...batch];
        queue.settle(batch.length);
        const want = expected.splice(0, queue.settledBytes ? Infinity : 0)
          .flat();
        deepEqual(got, want);
      }
    };
    fc.assert(
      fc.property(input, (event) => {
        const frame = reference.frameEvent(event);
        ok(frame !== undefined);
        equal(writer.writeEvent(event, sink), frame.length <= 48 * 1024);
        if (frame.length <= 48 * 1024) expected.push([...frame]);
        if (drops.length > 0 || queue.records > 40) {
          // Overflow dropped the oldest: compare only what is left.
          if (drops.length > 0) {
            const left = queue.records;
            expected.splice(0, expected.length - left);
            drops.length = 0;
          }
          drain();
        }
      }),
      { numRuns: 2000, seed: 20261206 + protocol },
    );
    drain();
    if (protocol === 1) ok(inPlace > 1000, `${inPlace} frames in place`);
  });
}

Deno.test("RecordFramer's field readers read exactly its field lists, which cover STANDARD_FIELDS", () => {
  const readBy = (reader: (record: Record<string, unknown>) => unknown) => {
    const names: string[] = [];
    reader(
      new Proxy({}, {
        get(_target, key) {
          names.push(String(key));
          return null;
        },
      }),
    );
    return names;
  };
  const { fieldsConstants, dictConstants, noneAreNone } = FIELD_READERS;
  deepEqual(
    readBy((r) => fieldsConstants(r as unknown as RecordFields, [])),
    CONSTANT_FIELDS,
  );
  deepEqual(readBy((r) => dictConstants(r, [])), CONSTANT_FIELDS);
  deepEqual(readBy(noneAreNone), NONE_FIELDS);
  deepEqual(
    [
      ...CONSTANT_FIELDS,
      ...NONE_FIELDS,
      "msg",
      "created",
      "msecs",
      "relativeCreated",
    ]
      .sort(),
    [...STANDARD_FIELDS].sort(),
  );
});
