// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The walk that refuses large inputs before decoding them (pickle/prescan.ts)
// counts no more heap units than decoding charges, so it never refuses an
// input that decodes within the budget; and it refuses a frame of empty
// containers with the budget's message.
import fc from "npm:fast-check@^4";
import { equal, ok, throws } from "node:assert/strict";
import { dumps, type PickleProtocol, PyTuple } from "../pickle.ts";
import { loadsMetered } from "../pickle/decoder.ts";
import { minHeapUnits } from "../pickle/prescan.ts";

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
    fc.double(),
    fc.string({ maxLength: 8 }),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.array(tie("value"), { maxLength: 4 }).map((a) => new PyTuple(a)),
    fc.array(fc.tuple(fc.string({ maxLength: 6 }), tie("value")), {
      maxLength: 5,
    }).map((e) => Object.fromEntries(e)),
    fc.array(fc.integer(), { maxLength: 5 }).map((a) => new Set(a)),
  ),
}));

Deno.test("minHeapUnits() is a lower bound of what loads() charges", () => {
  const meter = { heap: 0 };
  fc.assert(
    fc.property(
      value,
      fc.integer({ min: 1, max: 5 }),
      (v, protocol) => {
        const data = dumps(v, { protocol: protocol as PickleProtocol });
        loadsMetered(data, undefined, meter);
        ok(minHeapUnits(data, Infinity) <= meter.heap);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("loads() decodes large CPython pickles the walk goes over", async () => {
  // Records with large extras, protocols 0 to 5: every one decodes.
  const script = `
import logging, pickle, struct, sys
rec = logging.LogRecord("big", 20, "/x.py", 1, "m", None, None)
d = dict(rec.__dict__)
d["ints"] = list(range(20000))
d["rows"] = [{"id": i, "name": "n%d" % i, "tags": ("a", "b"), "ok": i % 2 == 0, "f": i / 3} for i in range(3000)]
d["sets"] = [frozenset([i, i + 1]) for i in range(2000)] + [{i} for i in range(2000)]
d["text"] = "é" * 70000
for p in range(6):
    body = pickle.dumps(d, p)
    sys.stdout.buffer.write(struct.pack(">L", len(body)) + body)
`;
  const out = await new Deno.Command("python3", {
    args: ["-c", script],
    stdout: "piped",
  }).output();
  equal(out.code, 0);
  const all = out.stdout;
  const meter = { heap: 0 };
  let frames = 0;
  for (let off = 0; off < all.length; frames++) {
    const len = new DataView(all.buffer, all.byteOffset + off).getUint32(0);
    const body = all.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    ok(body.length >= 65536);
    const d = loadsMetered(body, undefined, meter) as Record<string, unknown>;
    equal((d.ints as number[]).length, 20000);
    equal((d.rows as unknown[]).length, 3000);
    ok(minHeapUnits(body, Infinity) <= meter.heap);
    ok(meter.heap <= 16 * body.length + 1048576);
  }
  equal(frames, 6);
});

Deno.test("loads() refuses a large frame of empty containers before decoding it", () => {
  for (const op of [0x5d, 0x7d, 0x29]) {
    // A list of a million empty containers: ](  ]]]…  e .
    const n = 1_000_000;
    const data = new Uint8Array(n + 5);
    data.set([0x80, 0x02, 0x5d, 0x28]);
    data.fill(op, 4, 4 + n);
    data.set([0x65, 0x2e], n + 3);
    const t = performance.now();
    throws(
      () => loadsMetered(data.subarray(0, n + 5), undefined, undefined),
      /Cannot unpickle 1000005 bytes: the decoded values would take more than 17048656 heap units \(maxHeapFactor 16 × 1000005 input bytes \+ 1048576\), counting its containers alone/,
    );
    // Refused by the walk, not by decoding: no container was built.
    ok(minHeapUnits(data, Infinity) > 17048656);
    ok(performance.now() - t < 5000);
  }
});
