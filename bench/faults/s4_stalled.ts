// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 4: a receiver that accepts but does not read for 10 s (3 s
 * quick), then drains, while the app logs 2,000 records/s of ~1 KB: the
 * queue stays within its bounds, drops are exact and announced, and no
 * torn frame appears on a live connection.
 *
 * @module
 */
import { ourRow, type Params, type Row, sleep } from "./_common.ts";
import { timeline } from "./_timeline.ts";

/** Runs scenario 4. */
export async function run(p: Params): Promise<Row[]> {
  const stallMs = p.quick ? 3000 : 10000;
  const rate = 2000;
  const count = rate * (stallMs / 1000 + 2);
  const maxQueueRecords = p.quick ? 1000 : 2000;
  const maxQueueBytes = 4 * 1024 * 1024;
  const name = `4 stalled (${stallMs / 1000} s, 2k/s × 1 KB)`;
  const row = await timeline({
    scenario: name,
    sender: "ours",
    count,
    rate,
    pad: 1000,
    options: { maxQueueRecords, maxQueueBytes },
    closeTimeout: 20000,
    script: async (ctl) => {
      await sleep(1000);
      await ctl.current!.proc.send("pause");
      await sleep(stallMs);
      await ctl.current!.proc.send("resume");
    },
  }, (ctl, app) => {
    const row = ourRow(name, ctl.ledger, ["A"], count, app, ctl.hwmKb);
    const res = app.result;
    const s = res?.stats?.[0];
    row.checks.push({
      name: "drops happened and all were announced",
      ok: row.dropped > 0 && ctl.ledger.announced === row.dropped,
      detail:
        `dropped ${row.dropped}, announced ${ctl.ledger.announced} in ${ctl.ledger.notices} notices`,
    });
    row.checks.push({
      name: "queue within bounds",
      ok: (res?.maxPendingRecords ?? Infinity) <= maxQueueRecords &&
        (res?.maxPendingBytes ?? Infinity) <= maxQueueBytes,
      detail:
        `max pending ${res?.maxPendingRecords} records / ${res?.maxPendingBytes} bytes`,
    });
    row.checks.push({
      name: "torn frames only on connections the handler abandoned",
      ok: ctl.ledger.torn <= (s?.reconnects ?? 0),
      detail: `torn ${ctl.ledger.torn}, reconnects ${s?.reconnects}`,
    });
    row.notes.push(
      `dropped ${
        JSON.stringify(s?.droppedByReason)
      }; ${ctl.ledger.notices} notices; max queue ${res?.maxPendingRecords} rec / ${
        ((res?.maxPendingBytes ?? 0) / 1048576).toFixed(1)
      } MiB; torn ${ctl.ledger.torn}; reconnects ${s?.reconnects}`,
    );
    return row;
  });
  return [row];
}
