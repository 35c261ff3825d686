// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Compares the senders of two checkouts of this repository end to end, on a
// noisy machine: runs bench/sink.ts + bench/sender.ts of checkout A, then of
// checkout B, alternately, --pairs times, and reports for each side the
// median rate (records/s, from the sender's first logging call to its flush)
// and the median CPU time of the sender process (user + system, measured by
// /usr/bin/time when it is installed), and the median of the per-pair ratios
// B/A, which cancels the machine's drift between pairs.
//
// Usage (from either checkout):
//   deno run -A bench/compare.ts --a ../before --b . --mode std_log \
//     [--pairs 11] [--n 1000000]
// Modes are bench/sender.ts's: std_log, engine, logtape.

import { intArg, parseArgs } from "./_common.ts";

const args = parseArgs(Deno.args);
const a = args.get("a");
const b = args.get("b") ?? ".";
if (a === undefined) {
  throw new Error("Usage: compare.ts --a DIR --b DIR [--mode M] [--pairs P]");
}
const mode = args.get("mode") ?? "std_log";
const pairs = intArg(args, "pairs", 11);
const n = intArg(args, "n", 1_000_000);
const deno = Deno.execPath();
const TIME = "/usr/bin/time";
const hasTime = (() => {
  try {
    return Deno.statSync(TIME).isFile;
  } catch {
    return false;
  }
})();

interface Run {
  rate: number;
  cpuS: number;
}

async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    const nl = text.indexOf("\n");
    if (nl >= 0) return text.slice(0, nl);
  }
  return text;
}

async function once(dir: string): Promise<Run> {
  const sink = new Deno.Command(deno, {
    args: ["run", "--allow-net", "bench/sink.ts", "--n", String(n)],
    cwd: dir,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const { port } = JSON.parse(await firstLine(sink.stdout));
  const cpuFile = await Deno.makeTempFile();
  const sender = [
    "run",
    "--import-map=tests/import_map.json",
    "-A",
    "bench/sender.ts",
    "--mode",
    mode,
    "--port",
    String(port),
    "--n",
    String(n),
  ];
  const out = await new Deno.Command(hasTime ? TIME : deno, {
    args: hasTime ? ["-f", "%U %S", "-o", cpuFile, deno, ...sender] : sender,
    cwd: dir,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  await sink.status;
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  const cpu = hasTime
    ? (await Deno.readTextFile(cpuFile)).trim().split(/\s+/).slice(-2)
    : [];
  await Deno.remove(cpuFile);
  return {
    rate: n / ((result.flushedAt - result.startAt) / 1000),
    cpuS: cpu.length === 2 ? Number(cpu[0]) + Number(cpu[1]) : NaN,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const runs: { a: Run; b: Run }[] = [];
for (let p = 0; p < pairs; p++) {
  const ra = await once(a);
  const rb = await once(b);
  runs.push({ a: ra, b: rb });
  console.error(
    `pair ${p + 1}: A ${(ra.rate / 1e3).toFixed(1)}k/s ${ra.cpuS}s, B ${
      (rb.rate / 1e3).toFixed(1)
    }k/s ${rb.cpuS}s`,
  );
}
const k = (x: number) => `${(x / 1e3).toFixed(1)}k/s`;
const s = (x: number) => Number.isNaN(x) ? "n/a" : `${x.toFixed(2)} s`;
console.log(
  `| ${mode} (${pairs} pairs, N = ${n}) | A | B | B/A (median of pairs) |`,
);
console.log("|---|---|---|---|");
console.log(
  `| rate | ${k(median(runs.map((r) => r.a.rate)))} | ${
    k(median(runs.map((r) => r.b.rate)))
  } | ${median(runs.map((r) => r.b.rate / r.a.rate)).toFixed(3)} |`,
);
console.log(
  `| sender CPU time | ${s(median(runs.map((r) => r.a.cpuS)))} | ${
    s(median(runs.map((r) => r.b.cpuS)))
  } | ${median(runs.map((r) => r.b.cpuS / r.a.cpuS)).toFixed(3)} |`,
);
