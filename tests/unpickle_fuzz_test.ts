// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Fuzzing loads(): mutated and truncated variants of real record pickles
// (CPython, protocols 0-5) and random bytes must either decode or throw
// UnpicklingError, never anything else, and never take a second.
import { equal, ok } from "node:assert/strict";
import { loads, UnpicklingError } from "../pickle.ts";
import { pythonAvailable, runPython } from "./_python.ts";

ok(pythonAvailable(), "python3 is required for these tests");

/** Real LogRecord pickles as SocketHandler.makePickle builds them. */
const SEEDS = String.raw`
import logging, logging.handlers, pickle, binascii, sys
h = logging.handlers.SocketHandler("localhost", None)
def records():
    yield logging.makeLogRecord({"name": "a", "levelno": 30})
    r = logging.LogRecord("app.db", logging.ERROR, "/app/db.py", 42,
                          "query %s took %.1f ms", ("SELECT 1", 12.5), None)
    yield r
    try:
        1 / 0
    except ZeroDivisionError:
        r = logging.LogRecord("app", logging.CRITICAL, "/app/x.py", 7,
                              u"boom \u00e9 \U0001f600 \ud800", None, sys.exc_info())
    r.user = {"id": 2 ** 70, "tags": ["a", "b", ("t", 1)], "ratio": float("nan")}
    r.blob = b"\x00\xffbytes"
    r.flags = {1, 2, 3}
    r.frozen = frozenset(["x"])
    r.ba = bytearray(b"ab")
    r.neg = -7
    r.big = -2 ** 100
    r.shared = r.user
    yield r
    r = logging.LogRecord("x" * 300, logging.INFO, "p", 1, "m" * 2000, None, None)
    r.many = dict(("k%d" % i, i) for i in range(1100))
    r.list = list(range(1100))
    yield r
    cyc = []
    cyc.append(cyc)
    d = {}
    d[1] = d
    r = logging.makeLogRecord({"name": "c", "levelno": 10, "cyc": cyc, "d": d})
    yield r
for rec in records():
    h.format(rec) if rec.exc_info else None
    d = dict(rec.__dict__)
    d["msg"] = rec.getMessage()
    d["args"] = None
    d["exc_info"] = None
    d.pop("message", None)
    for p in range(6):
        sys.stdout.write(binascii.hexlify(pickle.dumps(d, p)).decode("ascii") + "\n")
`;

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPCODES = Uint8Array.from(
  "()N.0123FIJKLMPQRSTUVXabcdeghijlopqrstu}]GBC".split("").map((c) =>
    c.charCodeAt(0)
  ).concat(
    Array.from({ length: 0x99 - 0x80 }, (_, i) => 0x80 + i),
  ),
);
const INTERESTING = [
  0,
  1,
  2,
  0x7f,
  0x80,
  0xff,
  0x100,
  0x7fff,
  0xffff,
  0x10000,
  0x7fffffff,
  0x80000000,
  0xfffffffe,
  0xffffffff,
];

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

function mutate(
  input: Uint8Array,
  seeds: Uint8Array[],
  rand: () => number,
): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  let data = input;
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const pos = int(data.length + 1);
    switch (int(7)) {
      case 0: { // bit flips
        if (data.length === 0) break;
        data = data.slice();
        for (let k = 1 + int(3); k > 0; k--) {
          data[int(data.length)]! ^= 1 << int(8);
        }
        break;
      }
      case 1: { // insert bytes (often opcodes)
        const n = 1 + int(4);
        const ins = Uint8Array.from(
          { length: n },
          () => rand() < 0.6 ? OPCODES[int(OPCODES.length)]! : int(256),
        );
        const out = new Uint8Array(data.length + n);
        out.set(data.subarray(0, pos));
        out.set(ins, pos);
        out.set(data.subarray(pos), pos + n);
        data = out;
        break;
      }
      case 2: { // delete bytes
        const end = Math.min(data.length, pos + 1 + int(8));
        const out = new Uint8Array(data.length - (end - Math.min(pos, end)));
        out.set(data.subarray(0, Math.min(pos, end)));
        out.set(data.subarray(end), Math.min(pos, end));
        data = out;
        break;
      }
      case 3: { // splice a chunk of another seed in
        const other = seeds[int(seeds.length)]!;
        const from = int(other.length);
        const chunk = other.subarray(from, from + 1 + int(64));
        const cut = pos + int(16);
        const out = new Uint8Array(
          pos + chunk.length + Math.max(0, data.length - cut),
        );
        out.set(data.subarray(0, pos));
        out.set(chunk, pos);
        out.set(data.subarray(cut), pos + chunk.length);
        data = out;
        break;
      }
      case 4: { // length-field edit: an interesting 1/2/4/8-byte value
        if (data.length < 2) break;
        data = data.slice();
        const at = int(data.length - 1) + 1;
        const width = [1, 2, 4, 8][int(4)]!;
        let v = INTERESTING[int(INTERESTING.length)]!;
        for (let i = 0; i < width && at + i < data.length; i++) {
          data[at + i] = i < 4 ? v & 0xff : (rand() < 0.8 ? 0 : 0xff);
          v = Math.floor(v / 256);
        }
        break;
      }
      case 5: // truncate
        data = data.subarray(0, pos);
        break;
      case 6: { // duplicate a run (repeats opcodes, grows nesting)
        if (data.length === 0) break;
        const from = int(data.length);
        const run = data.subarray(from, from + 1 + int(8));
        const times = 1 + int(rand() < 0.1 ? 2000 : 8);
        const out = new Uint8Array(data.length + run.length * times);
        out.set(data.subarray(0, from));
        for (let t = 0; t < times; t++) out.set(run, from + t * run.length);
        out.set(data.subarray(from), from + run.length * times);
        data = out;
        break;
      }
    }
  }
  return data;
}

Deno.test("loads() survives 100,000+ mutated, truncated and random inputs", async () => {
  const seeds = (await runPython(SEEDS)).map(fromHex);
  equal(seeds.length, 30);
  for (const seed of seeds) loads(seed); // the seeds themselves decode

  const rand = prng(0x5eed);
  const int = (n: number) => Math.floor(rand() * n);
  let decoded = 0;
  let refused = 0;
  let maxMs = 0;
  let slowest: Uint8Array | undefined;
  const messages = new Map<string, number>();
  const run = (data: Uint8Array) => {
    const start = performance.now();
    try {
      loads(data);
      decoded++;
    } catch (e) {
      if (!(e instanceof UnpicklingError)) {
        throw new Error(
          `loads() threw ${e} for ${
            Array.from(data.subarray(0, 200), (x) =>
              x.toString(16).padStart(2, "0")).join("")
          }`,
        );
      }
      refused++;
      const kind = e.message.replace(/\d+/g, "N").slice(0, 80);
      messages.set(kind, (messages.get(kind) ?? 0) + 1);
    }
    const ms = performance.now() - start;
    if (ms > maxMs) {
      maxMs = ms;
      slowest = data;
    }
  };

  // Every truncation of every seed.
  for (const seed of seeds) {
    for (let n = 0; n < seed.length; n += seed.length > 4000 ? 7 : 1) {
      run(seed.subarray(0, n));
    }
  }
  // Mutations.
  for (let i = 0; i < 100_000; i++) {
    run(mutate(seeds[int(seeds.length)]!, seeds, rand));
  }
  // Random bytes, plain and opcode-biased, with and without a header.
  for (let i = 0; i < 10_000; i++) {
    const n = int(64);
    const data = Uint8Array.from(
      { length: n },
      () => i % 2 ? int(256) : OPCODES[int(OPCODES.length)]!,
    );
    if (i % 4 === 0 && n > 2) {
      data[0] = 0x80;
      data[1] = int(6);
    }
    if (i % 3 === 0 && n > 0) data[n - 1] = 0x2e;
    run(data);
  }
  const total = decoded + refused;
  ok(total >= 110_000, `${total} inputs`);
  // The fuzzer reaches past the first opcode: some variants still decode,
  // and failures are of many kinds.
  ok(decoded > 500, `only ${decoded} of ${total} decoded`);
  ok(messages.size > 50, `only ${messages.size} kinds of error`);
  ok(
    maxMs < 1000,
    `slowest input took ${maxMs.toFixed(1)} ms (${slowest?.length} bytes)`,
  );
});
