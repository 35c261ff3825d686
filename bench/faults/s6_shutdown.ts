// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 6: shutdown.
 *
 * - 6a: `close(2000)` with 100,000 records pending (20,000 / 1 s quick) and
 *   a slow receiver returns by the deadline with exact sent/dropped counts;
 *   the receiver gets exactly the frames counted sent.
 * - 6b: a process with the receiver down ends naturally and exits within
 *   `exitTimeout`, saying how many records it dropped.
 *
 * @module
 */
import {
  appResult,
  Ledger,
  ourRow,
  type Params,
  Receiver,
  type Row,
  sleep,
  startApp,
} from "./_common.ts";
import { freePort } from "./_timeline.ts";

/** Runs scenario 6. */
export async function run(p: Params): Promise<Row[]> {
  return [await closeWithBacklog(p), await exitWithReceiverDown(p)];
}

async function closeWithBacklog(p: Params): Promise<Row> {
  const count = p.quick ? 20000 : 100000;
  const closeTimeout = p.quick ? 1000 : 2000;
  const name = `6a close(${closeTimeout / 1000} s), ${
    count / 1000
  }k pending, slow receiver`;
  const ledger = new Ledger();
  const r = new Receiver("raw");
  const port = await r.ready();
  ledger.attach(r.proc);
  await r.proc.send("slow 16384 20");
  const app = startApp({
    port,
    senders: ["A"],
    count,
    rate: 0,
    pad: 100,
    options: { maxQueueRecords: 200000, maxQueueBytes: 64 * 1024 * 1024 },
    end: "close",
    closeTimeout,
  });
  const res = await appResult(app);
  // Let the receiver read what the kernel holds, then wait for EOF.
  await r.proc.send("slow 65536 0");
  await r.quiesce(30000);
  const bye = await r.exit();
  const row = ourRow(name, ledger, ["A"], count, res, Number(bye?.hwmKb ?? 0));
  const c = res.result?.closeResults?.[0];
  const s = res.result?.stats?.[0];
  const closeMs = res.result?.closeMs ?? Infinity;
  row.checks.push({
    name: "close() returned by the deadline (+500 ms)",
    ok: closeMs <= closeTimeout + 500,
    detail: `${closeMs.toFixed(0)} ms`,
  });
  row.checks.push({
    name: "receiver got exactly the frames counted sent",
    ok: s !== undefined && row.delivered === s.sent,
    detail: `delivered ${row.delivered}, sent ${s?.sent}`,
  });
  row.checks.push({
    name: "close result exact: nothing pending, drops are 'closed'",
    ok: c !== undefined && c.pending === 0 && s !== undefined &&
      s.pendingRecords === 0 && s.droppedByReason.closed === s.dropped,
    detail: JSON.stringify(c),
  });
  row.notes.push(
    `close took ${
      closeMs.toFixed(0)
    } ms (deadline ${closeTimeout}); sent ${s?.sent}, dropped ${
      JSON.stringify(s?.droppedByReason)
    }; torn tail at close: ${ledger.torn}`,
  );
  return row;
}

async function exitWithReceiverDown(p: Params): Promise<Row> {
  const exitTimeout = p.quick ? 1000 : 1500;
  const count = 1000;
  const name = `6b exit, receiver down (exitTimeout ${exitTimeout / 1000} s)`;
  const app = startApp({
    port: freePort(),
    senders: ["A"],
    count,
    rate: 0,
    options: { exitTimeout },
    end: "exit",
  });
  const res = await appResult(app, 30000);
  const i = app.lines.indexOf("LOGGED");
  const exitMs = (app.exitedAt ?? Infinity) - (app.times[i] ?? 0);
  const m = /(\d+) log records dropped at exit/.exec(res.stderr);
  const dropped = m ? Number(m[1]) : 0;
  const checks: Row["checks"] = [
    {
      name: "exit code 0",
      ok: res.code === 0,
      detail: res.stderr.slice(0, 300),
    },
    {
      name: "exited within exitTimeout (+1000 ms)",
      ok: exitMs <= exitTimeout + 1000,
      detail: `${exitMs.toFixed(0)} ms`,
    },
    {
      name: "every record reported dropped at exit",
      ok: dropped === count,
      detail: res.stderr.slice(0, 300),
    },
    { name: "emit never threw", ok: res.result?.threw === 0 },
  ];
  await sleep(0);
  return {
    scenario: name,
    sender: "ours",
    logged: count,
    delivered: 0,
    dropped,
    inflight: 0,
    lost: count - dropped,
    maxLatencyMs: res.result?.maxLatencyMs ?? NaN,
    appRssMB: (res.result?.hwmKb ?? 0) / 1024,
    receiverRssMB: NaN,
    checks,
    notes: [`exited ${exitMs.toFixed(0)} ms after the last record`],
  };
}
