// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Summarises a V8 .cpuprofile (from `deno run --cpu-prof`): top functions by
// self time, and by total (inclusive) time.
// Usage: deno run --allow-read bench/profile_summary.ts FILE.cpuprofile [--top 25]

import { intArg, parseArgs } from "./_common.ts";

interface Node {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
  };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = Deno.args.find((a) => !a.startsWith("--"));
if (file === undefined) throw new Error("Usage: profile_summary.ts FILE");
const top = intArg(parseArgs(Deno.args), "top", 25);
const profile: Profile = JSON.parse(await Deno.readTextFile(file));

const byId = new Map<number, Node>();
for (const node of profile.nodes) byId.set(node.id, node);
const parent = new Map<number, number>();
for (const node of profile.nodes) {
  for (const c of node.children ?? []) parent.set(c, node.id);
}
// Time per sample (µs): the delta to the next sample.
const selfUs = new Map<number, number>();
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) {
  const dt = timeDeltas[i + 1] ?? 0;
  selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dt);
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function key(node: Node): string {
  const f = node.callFrame;
  const name = f.functionName || "(anonymous)";
  const url = f.url.replace(/^.*\/work\/main\//, "").replace(/^file:\/\//, "");
  return url ? `${name} ${url}:${f.lineNumber + 1}` : name;
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  const k = key(node);
  self.set(k, (self.get(k) ?? 0) + us);
  // Inclusive: every distinct function on the stack gets the sample once.
  const seen = new Set<string>();
  for (
    let cur: number | undefined = id;
    cur !== undefined;
    cur = parent.get(cur)
  ) {
    const kk = key(byId.get(cur)!);
    if (seen.has(kk)) continue;
    seen.add(kk);
    inclusive.set(kk, (inclusive.get(kk) ?? 0) + us);
  }
}

function print(title: string, m: Map<string, number>): void {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
  const rows = [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, us] of rows) {
    console.log(
      `${(100 * us / total).toFixed(1).padStart(6)}%  ${
        (us / 1000).toFixed(1).padStart(8)
      } ms  ${k}`,
    );
  }
}
print("Self time", self);
print("Inclusive time", inclusive);
