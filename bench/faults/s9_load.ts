// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 9: load. 100 concurrent senders (10 processes × 10 handlers,
 * one connection each) × 10,000 records into one {@linkcode LogReceiver}
 * process (quick: 4 × 5 × 2,000): zero loss, per-sender order, bounded
 * receiver RSS.
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
  startApp,
} from "./_common.ts";

/** Runs scenario 9. */
export async function run(p: Params): Promise<Row[]> {
  const procs = p.quick ? 4 : 10;
  const per = p.quick ? 5 : 10;
  const count = p.quick ? 2000 : 10000;
  const ledger = new Ledger();
  const recv = new Receiver("lr");
  const port = await recv.ready();
  ledger.attach(recv.proc);
  const t0 = performance.now();
  const apps = [];
  const all: string[] = [];
  for (let i = 0; i < procs; i++) {
    const senders = Array.from({ length: per }, (_, j) => `p${i}h${j}`);
    all.push(...senders);
    apps.push(startApp({
      port,
      senders,
      count,
      rate: 0,
      end: "close",
      closeTimeout: 120000,
    }));
  }
  const results = await Promise.all(apps.map((a) => appResult(a, 240000)));
  const secs = (performance.now() - t0) / 1000;
  await recv.quiesce(60000);
  const bye = await recv.exit();
  // Merge the per-process results into one.
  const merged = {
    result: {
      logged: 0,
      threw: 0,
      maxLatencyMs: 0,
      stats: [] as
        & NonNullable<typeof results[0]["result"]>["stats"]
        & unknown[],
      hwmKb: 0,
    },
    code: 0,
    stderr: "",
  };
  let ok = true;
  for (const r of results) {
    if (r.result === undefined || r.code !== 0) {
      ok = false;
      merged.code = r.code || 1;
      merged.stderr += r.stderr.slice(0, 300);
      continue;
    }
    merged.result.logged += r.result.logged;
    merged.result.threw += r.result.threw;
    merged.result.maxLatencyMs = Math.max(
      merged.result.maxLatencyMs,
      r.result.maxLatencyMs,
    );
    merged.result.stats!.push(...(r.result.stats ?? []));
    merged.result.hwmKb = Math.max(merged.result.hwmKb, r.result.hwmKb);
  }
  const row = ourRow(
    `9 load (${procs * per} senders × ${count / 1000}k)`,
    ledger,
    all,
    count,
    ok ? merged : { ...merged, result: undefined },
    Number(bye?.hwmKb ?? 0),
  );
  const total = procs * per * count;
  row.checks.push({
    name: "zero loss, nothing dropped",
    ok: row.delivered === total && row.dropped === 0,
    detail: `${row.delivered}/${total}`,
  });
  const hwmMB = Number(bye?.hwmKb ?? 0) / 1024;
  row.checks.push({
    name: "receiver RSS < 300 MB",
    ok: hwmMB < 300,
    detail: `${hwmMB.toFixed(0)} MB`,
  });
  row.notes.push(
    `${total} records in ${secs.toFixed(1)} s (${
      (total / secs / 1000).toFixed(0)
    }k/s incl. process start-up); app RSS is the largest of ${procs} processes`,
  );
  return [row];
}
