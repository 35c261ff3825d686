// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 3: a receiver that restarts every 200 ms (graceful: FIN, drain,
 * close the listener for 50 ms, listen again) for 10 s (3 s quick) while
 * the app logs 1,000 records/s: no reconnect storm, no unhandled
 * rejection, exact final counts.
 *
 * @module
 */
import { ourRow, type Params, type Row, sleep } from "./_common.ts";
import { timeline } from "./_timeline.ts";

/** Runs scenario 3. */
export async function run(p: Params): Promise<Row[]> {
  const rows: Row[] = [];
  const senders = p.quick ? ["ours"] as const : ["ours", "cpython"] as const;
  const flapMs = p.quick ? 3000 : 10000;
  const count = flapMs + 2000;
  const name = `3 flapping (200 ms, ${flapMs / 1000} s)`;
  for (const sender of senders) {
    let restarts = 0;
    rows.push(
      await timeline({
        scenario: name,
        sender,
        count,
        rate: 1000,
        script: async (ctl) => {
          await sleep(500);
          const r = ctl.current!;
          const end = performance.now() + flapMs;
          while (performance.now() < end) {
            const t = performance.now();
            const n = r.proc.lines.length;
            await r.proc.send("stop");
            await r.proc.waitLine((l) => l === "STOPPED", 10000, n);
            await sleep(50);
            const m = r.proc.lines.length;
            await r.proc.send("start");
            await r.proc.waitLine((l) => l.startsWith("READY"), 10000, m);
            restarts++;
            await sleep(Math.max(0, 200 - (performance.now() - t)));
          }
        },
      }, (ctl, app) => {
        const row = ourRow(name, ctl.ledger, ["A"], count, app, ctl.hwmKb);
        const s = app.result?.stats?.[0];
        const attempts = (s?.connects ?? 0) + (s?.connectFailures ?? 0);
        const secs = (app.result?.logMs ?? flapMs) / 1000;
        row.notes.push(
          `${restarts} restarts; ${attempts} connection attempts, ${s?.connects} connects, ${ctl.ledger.accepts} accepted, torn ${ctl.ledger.torn} (${
            (attempts / secs).toFixed(1)
          }/s); dropped ${JSON.stringify(s?.droppedByReason)}; close ${
            JSON.stringify(app.result?.closeResults?.[0])
          } in ${app.result?.closeMs?.toFixed(0)} ms; retryPeriod ${
            (s as { retryPeriod?: number } | undefined)?.retryPeriod
          }`,
        );
        row.checks.push({
          name: "connection attempts bounded (≤ 2 per restart + 5)",
          ok: attempts <= 2 * restarts + 5,
          detail: `${attempts} attempts, ${restarts} restarts`,
        });
        return row;
      }),
    );
  }
  return rows;
}
