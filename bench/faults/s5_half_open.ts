// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 5: a half-open peer: the receiver process is frozen (SIGSTOP)
 * for 3 s (2 s quick), then killed, and a new one starts 0.5 s later: the
 * handler detects it, reconnects, and the counts are exact. Frames the
 * kernel accepted for the frozen process are the at-most-once window
 * (column "in-flight").
 *
 * @module
 */
import { ourRow, type Params, type Row, sleep } from "./_common.ts";
import { timeline } from "./_timeline.ts";

/** Runs scenario 5. */
export async function run(p: Params): Promise<Row[]> {
  const rows: Row[] = [];
  const senders = p.quick ? ["ours"] as const : ["ours", "cpython"] as const;
  const frozenMs = p.quick ? 2000 : 3000;
  const count = p.quick ? 5000 : 7000;
  const name = `5 half-open (SIGSTOP ${frozenMs / 1000} s, SIGKILL)`;
  for (const sender of senders) {
    rows.push(
      await timeline({
        scenario: name,
        sender,
        count,
        rate: 1000,
        script: async (ctl) => {
          await sleep(1000);
          ctl.current!.proc.kill("SIGSTOP");
          await sleep(frozenMs);
          await ctl.killReceiver();
          await sleep(500);
          await ctl.startReceiver();
        },
      }, (ctl, app) => {
        const row = ourRow(name, ctl.ledger, ["A"], count, app, ctl.hwmKb);
        const s = app.result?.stats?.[0];
        row.checks.push({
          name: "dead peer detected and reconnected",
          ok: (s?.reconnects ?? 0) >= 1,
        });
        return row;
      }),
    );
  }
  return rows;
}
