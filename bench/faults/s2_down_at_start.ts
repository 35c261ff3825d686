// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 2: receiver down at start, up after 5 s (2 s quick): everything
 * arrives and the app never blocks (max caller latency).
 *
 * @module
 */
import { ourRow, type Params, type Row, sleep } from "./_common.ts";
import { timeline } from "./_timeline.ts";

/** Runs scenario 2. */
export async function run(p: Params): Promise<Row[]> {
  const rows: Row[] = [];
  const senders = p.quick ? ["ours"] as const : ["ours", "cpython"] as const;
  const downMs = p.quick ? 2000 : 5000;
  const count = p.quick ? 3000 : 7000;
  const name = `2 down at start (${downMs / 1000} s)`;
  for (const sender of senders) {
    rows.push(
      await timeline({
        scenario: name,
        sender,
        count,
        rate: 1000,
        downAtStart: true,
        script: async (ctl) => {
          await sleep(downMs);
          await ctl.startReceiver();
        },
      }, (ctl, app) => ourRow(name, ctl.ledger, ["A"], count, app, ctl.hwmKb)),
    );
  }
  return rows;
}
