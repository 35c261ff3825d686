// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The fault suite: `deno run -A bench/faults/run.ts [--quick] [--only=1,4]`.
 * Runs every scenario with real processes and loopback sockets, prints one
 * table, writes `bench/results/faults.json`, and exits 1 if a check fails.
 *
 * @module
 */
import type { Params, Row } from "./_common.ts";
import * as s1 from "./s1_restart.ts";
import * as s2 from "./s2_down_at_start.ts";
import * as s3 from "./s3_flapping.ts";
import * as s4 from "./s4_stalled.ts";
import * as s5 from "./s5_half_open.ts";
import * as s6 from "./s6_shutdown.ts";
import * as s7 from "./s7_hostile_values.ts";
import * as s8 from "./s8_hostile_input.ts";
import * as s9 from "./s9_load.ts";
import * as s10 from "./s10_receiver_attacks.ts";
import * as s11 from "./s11_exit_paths.ts";
import * as s12 from "./s12_ack_restart.ts";
import * as s13 from "./s13_spool_outage.ts";

const quick = Deno.args.includes("--quick");
const onlyArg = Deno.args.find((a) => a.startsWith("--only="));
const only = onlyArg ? new Set(onlyArg.slice(7).split(",")) : undefined;
const out = Deno.args.find((a) => a.startsWith("--json="))?.slice(7) ??
  new URL("../results/faults.json", import.meta.url).pathname;
const params: Params = { quick };
const scenarios: [string, (p: Params) => Promise<Row[]>][] = [
  ["1", s1.run],
  ["2", s2.run],
  ["3", s3.run],
  ["4", s4.run],
  ["5", s5.run],
  ["6", s6.run],
  ["7", s7.run],
  ["8", s8.run],
  ["9", s9.run],
  ["10", s10.run],
  ["11", s11.run],
  ["12", s12.run],
  ["13", s13.run],
];

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "—";
}

const rows: Row[] = [];
const t0 = performance.now();
for (const [id, run] of scenarios) {
  if (only && !only.has(id)) continue;
  const s = performance.now();
  try {
    const r = await run(params);
    rows.push(...r);
  } catch (e) {
    rows.push({
      scenario: `${id} (crashed)`,
      sender: "ours",
      logged: 0,
      delivered: 0,
      dropped: 0,
      inflight: 0,
      lost: 0,
      maxLatencyMs: NaN,
      appRssMB: 0,
      receiverRssMB: 0,
      checks: [{ name: "scenario ran", ok: false, detail: String(e) }],
      notes: [],
    });
  }
  console.error(
    `scenario ${id} done in ${((performance.now() - s) / 1000).toFixed(1)} s`,
  );
}

const header = [
  "scenario",
  "sender",
  "logged",
  "delivered",
  "dropped",
  "in-flight†",
  "lost",
  "max caller latency (ms)",
  "peak RSS app / receiver (MB)",
  "checks",
];
const lines = [
  `| ${header.join(" | ")} |`,
  `|${header.map(() => "---").join("|")}|`,
];
for (const r of rows) {
  const failed = r.checks.filter((c) => !c.ok);
  lines.push(
    `| ${r.scenario} | ${
      r.label ?? (r.sender === "ours"
        ? "ours"
        : r.sender === "cpython"
        ? "CPython 3.11"
        : "CPython 3.11 (legit)")
    } | ${r.logged} | ${r.delivered} | ${r.dropped} | ${
      r.sender === "ours" ? r.inflight : "—"
    } | ${r.lost} | ${fmt(r.maxLatencyMs, 2)} | ${fmt(r.appRssMB)} / ${
      fmt(r.receiverRssMB)
    } | ${
      r.sender === "cpython"
        ? "n/a"
        : failed.length === 0
        ? `${r.checks.length}/${r.checks.length} ok`
        : `FAIL: ${failed.map((c) => c.name).join("; ")}`
    } |`,
  );
}
console.log(lines.join("\n"));
console.log(
  "\n† in-flight: frames the handler had fully written into a connection that the receiver then reset — killed, or restarted (scenario 3) — unread: TCP's at-most-once window, counted, not part of lost. lost = logged − delivered − dropped − in-flight (CPython: logged − delivered; it reports no drops).",
);
const seqRows = rows.filter((r) => r.seq !== undefined);
if (seqRows.length > 0) {
  const seqHeader = [
    "scenario",
    "sender",
    "receiver",
    "logged",
    "printed per run",
    "unique seqs",
    "duplicates (within one run)",
    "lost",
    "unacked window at the loss",
    "sender acked / unacked at the end",
  ];
  const seqLines = [
    `| ${seqHeader.join(" | ")} |`,
    `|${seqHeader.map(() => "---").join("|")}|`,
  ];
  for (const r of seqRows) {
    const q = r.seq!;
    seqLines.push(
      `| ${r.scenario} | ${
        r.label ?? r.sender
      } | ${q.receiver} | ${r.logged} | ${
        q.perRun.join(" + ")
      } | ${q.unique} | ${q.duplicates} (${q.duplicatesWithinRun}) | ${
        r.lost + r.inflight
      } | ${r.sender === "ours" ? q.window : "—"} | ${
        r.sender === "ours" ? `${q.acked} / ${q.unacked}` : "—"
      } |`,
    );
  }
  console.log("\n" + seqLines.join("\n"));
}
for (const r of rows) {
  if (r.notes.length > 0) {
    console.log(`- ${r.scenario} (${r.sender}): ${r.notes.join("; ")}`);
  }
  for (const c of r.checks) {
    if (!c.ok) {
      console.log(
        `  FAILED ${r.scenario} (${r.sender}): ${c.name}: ${c.detail ?? ""}`,
      );
    }
  }
}
console.log(
  `\n${quick ? "quick" : "full"} run, ${
    ((performance.now() - t0) / 1000).toFixed(0)
  } s, deno ${Deno.version.deno}, ${Deno.build.os}/${Deno.build.arch}`,
);
await Deno.mkdir(new URL(".", "file://" + out).pathname, { recursive: true });
await Deno.writeTextFile(
  out,
  JSON.stringify(
    { quick, date: new Date().toISOString(), deno: Deno.version.deno, rows },
    null,
    2,
  ) + "\n",
);
const failedOurs = rows.some((r) =>
  r.sender === "ours" && r.checks.some((c) => !c.ok)
);
Deno.exit(failedOurs ? 1 : 0);
