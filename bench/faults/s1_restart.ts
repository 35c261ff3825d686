// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 1: receiver killed mid-stream (SIGKILL) and back 2 s later while
 * the app logs 1,000 records/s. Records logged while it was down must all
 * arrive, in order; records in flight when it died (written into its socket
 * buffer, counted sent) are counted in the in-flight column.
 *
 * @module
 */
import { ourRow, type Params, type Row, sleep } from "./_common.ts";
import { timeline } from "./_timeline.ts";

/** Runs scenario 1 for our handler and (full run) CPython. */
export async function run(p: Params): Promise<Row[]> {
  const rows: Row[] = [];
  const senders = p.quick ? ["ours"] as const : ["ours", "cpython"] as const;
  const rate = 1000;
  const count = p.quick ? 4500 : 6000;
  for (const sender of senders) {
    let downMs = 0;
    rows.push(
      await timeline({
        scenario: "1 restart (down 2 s @1k/s)",
        sender,
        count,
        rate,
        script: async (ctl) => {
          await sleep(1500);
          await ctl.killReceiver();
          const t = performance.now();
          await sleep(2000);
          await ctl.startReceiver();
          downMs = performance.now() - t;
        },
      }, (ctl, app) => {
        const row = ourRow(
          "1 restart (down 2 s @1k/s)",
          ctl.ledger,
          ["A"],
          count,
          app,
          ctl.hwmKb,
        );
        row.notes.push(`receiver down ${Math.round(downMs)} ms`);
        const s = app.result?.stats?.[0];
        row.checks.push({
          name: "reconnected after the restart",
          ok: (s?.reconnects ?? 0) >= 1,
        });
        return row;
      }),
    );
  }
  return rows;
}
