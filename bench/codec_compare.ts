// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Compares the codec of two checkouts of this repository in ONE process, on
// a noisy machine: the record framer (`RecordFramer(1).frame(dict)`),
// `dumps` of a record dict with and without extras (protocol 1), each on
// the record stream of bench/_records.ts (each checkout's own, since each
// has its own PyFloat class). The two sides run alternately in short loops
// (--rounds pairs of 50,000 calls after a warm-up); printed: the median
// time per call of each side and the median of the per-pair ratios B/A.
// `loads` is left out: decoding needs a pickle made by one side, and calling
// one side's `dumps` with another protocol first changes what V8 compiles.
//
// Usage (from either checkout):
//   deno run --import-map=tests/import_map.json -A bench/codec_compare.ts \
//     --a ../before --b . [--rounds 30]

import { intArg, parseArgs } from "./_common.ts";

const args = parseArgs(Deno.args);
const a = args.get("a");
const b = args.get("b") ?? ".";
if (a === undefined) {
  throw new Error("Usage: codec_compare.ts --a DIR --b DIR [--rounds R]");
}
const rounds = intArg(args, "rounds", 30);

type Dumps = (value: unknown, options: { protocol: 1 }) => Uint8Array;
interface Framer {
  frame(dict: Record<string, unknown>): Uint8Array;
}
interface Side {
  framer: Framer;
  dumps: Dumps;
  plain: Record<string, unknown>[];
  extra: Record<string, unknown>[];
}

async function side(dir: string): Promise<Side> {
  const root = new URL(`${Deno.realPathSync(dir)}/`, "file://");
  const pickle = await import(new URL("pickle.ts", root).href);
  const record = await import(new URL("record.ts", root).href);
  const records = await import(new URL("bench/_records.ts", root).href);
  const Framer = record.RecordFramer ?? pickle.RecordFramer;
  return {
    framer: new Framer(1),
    dumps: pickle.dumps,
    plain: records.plain,
    extra: records.extra,
  };
}

const sa = await side(a);
const sb = await side(b);
const N = 64;
let i = 0;

function perCall(f: () => void, n: number): number {
  const t = performance.now();
  for (let k = 0; k < n; k++) f();
  return ((performance.now() - t) * 1e6) / n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1]!;
}

const cases: [string, (s: Side) => () => void][] = [
  ["RecordFramer(1).frame(record)", (s) => () => {
    s.framer.frame(s.plain[i++ & (N - 1)]!);
  }],
  ["dumps(record, {protocol: 1})", (s) => () => {
    s.dumps(s.plain[i++ & (N - 1)], { protocol: 1 });
  }],
  ["dumps(record with extras, {protocol: 1})", (s) => () => {
    s.dumps(s.extra[i++ & (N - 1)], { protocol: 1 });
  }],
];

console.log("| case | A | B | B/A (median of pairs) |");
console.log("|---|---|---|---|");
for (const [name, make] of cases) {
  const fa = make(sa);
  const fb = make(sb);
  for (let w = 0; w < 3; w++) {
    perCall(fa, 100_000);
    perCall(fb, 100_000);
  }
  const ta: number[] = [];
  const tb: number[] = [];
  const ratio: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const x = perCall(fa, 50_000);
    const y = perCall(fb, 50_000);
    ta.push(x);
    tb.push(y);
    ratio.push(y / x);
  }
  console.log(
    `| ${name} | ${median(ta).toFixed(1)} ns | ${median(tb).toFixed(1)} ns | ${
      median(ratio).toFixed(3)
    } |`,
  );
}
