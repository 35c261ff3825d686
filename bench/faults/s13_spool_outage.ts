// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 13: the receiver is down for longer than the memory queue
 * holds — 60 s at 5,000 records/s with `maxQueueBytes` 1 MiB (quick: 5 s,
 * 256 KiB) — then up, while the app goes on logging for 5 s more. With a
 * 64 MiB disk spool nothing is dropped and every record arrives in order;
 * without it, the memory queue keeps the newest 1 MiB and drops the rest
 * (counted); CPython's handler loses everything logged while it was down.
 *
 * @module
 */
import { ourRow, type Params, type Row, sleep } from "./_common.ts";
import { timeline } from "./_timeline.ts";

/** Runs scenario 13. */
export async function run(p: Params): Promise<Row[]> {
  const rows: Row[] = [];
  const rate = 5000;
  const downMs = p.quick ? 5000 : 60_000;
  const count = rate * (downMs + 5000) / 1000;
  const maxQueueBytes = p.quick ? 256 * 1024 : 1024 * 1024;
  const name = `13 down ${downMs / 1000} s @5k/s, queue ${
    maxQueueBytes >> 10
  } KiB`;
  const kinds = p.quick
    ? ["spool"] as const
    : ["spool", "memory", "cpython"] as const;
  for (const kind of kinds) {
    const dir = await Deno.makeTempDir({ prefix: "faults-spool-" });
    try {
      const label = kind === "spool" ? "ours + 64 MiB spool" : undefined;
      const row = await timeline({
        scenario: name,
        sender: kind === "cpython" ? "cpython" : "ours",
        count,
        rate,
        downAtStart: true,
        closeTimeout: 60_000,
        options: {
          maxQueueBytes,
          ...(kind === "spool" ? { spool: { dir, maxBytes: 64 << 20 } } : {}),
        },
        script: async (ctl) => {
          await sleep(downMs);
          await ctl.startReceiver();
        },
      }, (ctl, app) => {
        const r = ourRow(name, ctl.ledger, ["A"], count, app, ctl.hwmKb);
        if (kind === "spool") {
          r.checks.push({
            name: "spool: nothing dropped",
            ok: r.dropped === 0,
            detail: `dropped ${r.dropped}`,
          });
          r.checks.push({
            name: "spool: every record delivered",
            ok: r.delivered === count,
            detail: `delivered ${r.delivered} of ${count}`,
          });
        }
        return r;
      });
      if (label !== undefined) row.label = label;
      else if (kind === "memory") row.label = "ours, memory only";
      rows.push(row);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
  return rows;
}
