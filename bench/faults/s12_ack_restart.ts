// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 12: acknowledgements across a receiver's death. The receiver is
 * the project's CLI (`cli.ts --format json`, with or without `--ack`) on a
 * fixed loopback port; the sender, the app logging 20,000 records (8,000
 * quick) at 2,000/s with `sequence: true` (or CPython's `SocketHandler`).
 * Once the CLI has printed 30% of them it is SIGKILLed and a new one starts
 * on the same port 1.5 s later (12a); or it is frozen (SIGSTOP) for 3 s (2 s
 * quick), then SIGKILLed, and a new one starts 0.5 s later (12b, half-open).
 * In 12a the CLI is frozen 20 ms before the kill, so that the kill always
 * finds records unread in its socket (about 40 at 2,000/s): a SIGKILL at a
 * random moment mostly falls between the sender's writes (every 5 ms),
 * with nothing in flight, and the rows would differ by luck.
 *
 * Each printed line is read back by its `seq` (CPython: by its message).
 * With `--ack`, every seq from 1 to N must be printed at least once across
 * the two CLI runs, none twice by one run, and the duplicates (printed by
 * both runs) must be at most the sender's unacknowledged window when the
 * connection was lost. Without acks, the records written into the dead
 * connection are lost: they are the in-flight column.
 *
 * @module
 */
import {
  type AppResult,
  appResult,
  type Params,
  Proc,
  type Row,
  sleep,
  startApp,
  startPyApp,
} from "./_common.ts";
import { freePort } from "./_timeline.ts";
import { strikeAtNextLine } from "../../tests/_strike.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const MSG_RE = /^s=(\w+) seq=(\d+)/;

/** One CLI receiver process. */
class CliRun {
  readonly proc: Proc;
  constructor(port: number, ack: boolean) {
    this.proc = new Proc(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      CLI,
      "--port",
      String(port),
      "--format",
      "json",
      ...(ack ? ["--ack"] : []),
    ]);
  }

  /** Waits (bounded) for its `listening on` line. */
  async listening(timeout = 30000): Promise<void> {
    const end = performance.now() + timeout;
    while (!this.proc.stderr.includes("listening on")) {
      if (this.proc.exitedAt !== undefined || performance.now() > end) {
        throw new Error(`cli.ts did not start: ${this.proc.stderr}`);
      }
      await sleep(20);
    }
  }
}

/** Waits until `pred` holds (checked every 20 ms), at most `timeout` ms. */
async function until(pred: () => boolean, timeout: number): Promise<boolean> {
  const end = performance.now() + timeout;
  while (!pred()) {
    if (performance.now() > end) return false;
    await sleep(20);
  }
  return true;
}

/** Waits until `p` prints nothing for `quietMs`, at most `timeout` ms. */
async function quiet(p: Proc, quietMs: number, timeout: number) {
  const end = performance.now() + timeout;
  let n = -1;
  let since = performance.now();
  while (performance.now() < end && p.exitedAt === undefined) {
    if (p.lines.length !== n) {
      n = p.lines.length;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
    await sleep(50);
  }
}

/** What one CLI run printed. */
interface RunLines {
  /** The seqs of the app's records, in print order. */
  seqs: number[];
  /** Each seq's line (the first, if printed twice). */
  line: Map<number, string>;
  /** Records whose `seq` is not their message's number + 1. */
  mismatched: number;
  /** Lines that are not the app's records (gap warnings, drop notices). */
  other: number;
}

function readRun(lines: string[], ours: boolean): RunLines {
  const out: RunLines = { seqs: [], line: new Map(), mismatched: 0, other: 0 };
  for (const l of lines) {
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(l);
    } catch {
      out.other++;
      continue;
    }
    const m = typeof r.msg === "string" ? MSG_RE.exec(r.msg) : null;
    if (m === null || typeof r.name !== "string" || !r.name.startsWith("app")) {
      out.other++;
      continue;
    }
    const fromMsg = Number(m[2]) + 1;
    const seq = ours ? Number(r.seq) : fromMsg;
    if (seq !== fromMsg) out.mismatched++;
    out.seqs.push(seq);
    if (!out.line.has(seq)) out.line.set(seq, l);
  }
  return out;
}

/** One case of the scenario. */
interface Case {
  id: string;
  title: string;
  sender: "ours" | "cpython";
  ack: boolean;
  count: number;
  rate: number;
  /** SIGSTOP this long before the kill. */
  frozenMs: number;
  /** Receiver down between the kill and the new one. */
  downMs: number;
}

async function runCase(c: Case): Promise<Row> {
  const port = freePort();
  const runs: CliRun[] = [];
  const start = async () => {
    const r = new CliRun(port, c.ack);
    runs.push(r);
    await r.listening();
  };
  await start();
  const app = c.sender === "ours"
    ? startApp({
      port,
      senders: ["A"],
      count: c.count,
      rate: c.rate,
      options: { sequence: true, errorInterval: 0 },
      end: "close",
      closeTimeout: 20000,
    })
    : startPyApp(port, "A", c.count, c.rate);
  const notes: string[] = [];
  let res: { result: AppResult | undefined; code: number; stderr: string };
  try {
    const first = runs[0]!.proc;
    // Mid-stream: once 30% of the records are printed, at the moment the
    // next line comes (the receiver is then taking a batch of records).
    await until(() => first.lines.length >= c.count * 0.3, 60000);
    await strikeAtNextLine(first, "SIGSTOP");
    await sleep(c.frozenMs);
    first.kill("SIGKILL");
    await first.finish();
    const t = performance.now();
    await sleep(c.downMs);
    await start();
    notes.push(
      `frozen ${c.frozenMs} ms, then killed; receiver down ${
        Math.round(performance.now() - t)
      } ms`,
    );
    res = await appResult(app, 180000);
  } finally {
    app.kill();
    await app.finish();
  }
  const last = runs.at(-1)!;
  await quiet(last.proc, 1000, 20000);
  last.proc.kill("SIGINT");
  const status = await last.proc.finish(15000);
  const summary = /received [^\n]*/.exec(last.proc.stderr)?.[0] ?? "";
  if (summary) notes.push(`last CLI: ${summary}`);

  const ours = c.sender === "ours";
  const per = runs.map((r) => readRun(r.proc.lines, ours));
  const printed = per.reduce((a, r) => a + r.seqs.length, 0);
  const all = new Set<number>();
  let within = 0;
  for (const r of per) {
    within += r.seqs.length - r.line.size;
    for (const s of r.seqs) all.add(s);
  }
  const unique = all.size;
  const duplicates = printed - unique;
  let outOfRange = 0;
  for (const s of all) if (!(s >= 1 && s <= c.count)) outOfRange++;
  const missing: number[] = [];
  for (let s = 1; s <= c.count; s++) if (!all.has(s)) missing.push(s);
  // A record printed by both runs must be the same record, sent again.
  let differ = 0;
  for (const [s, l] of per[1]?.line ?? []) {
    const before = per[0]!.line.get(s);
    if (before !== undefined && before !== l) differ++;
  }
  const result = res.result;
  const st = result?.stats?.[0];
  const logged = result?.logged ?? c.count;
  const dropped = st?.dropped ?? 0;
  const losses = result?.unackedAtLoss ?? [];
  const window = losses.reduce((a, n) => a + n, 0);
  if (ours) {
    notes.push(
      `connections lost: ${losses.length}, unacknowledged then: ${
        losses.join(", ") || "—"
      }`,
    );
  }
  // Without acks, the records lost are those between the last the dead
  // receiver printed and the first the new one printed: written into the
  // dead connection (TCP's at-most-once window).
  let hi0 = 0;
  for (const s of per[0]?.seqs ?? []) if (s > hi0) hi0 = s;
  let lo1 = Infinity;
  for (const s of per[1]?.seqs ?? []) if (s < lo1) lo1 = s;
  const inWindow = missing.filter((s) => s > hi0 && s < lo1).length;
  const inflight = ours && !c.ack && dropped === 0 ? inWindow : 0;
  const lost = logged - unique - dropped - inflight;

  const checks: Row["checks"] = [];
  if (ours) {
    checks.push({
      name: "app exited 0 with a result",
      ok: res.code === 0 && result !== undefined,
      detail: `code ${res.code}: ${res.stderr.slice(0, 300)}`,
    });
    checks.push({
      name: "no uncaught error",
      ok: !/Uncaught|unhandled/i.test(res.stderr),
      detail: res.stderr.slice(0, 300),
    });
    checks.push({
      name: "emitted == sent + dropped + pending == logged",
      ok: st !== undefined && st.emitted === logged &&
        st.emitted === st.sent + st.dropped + st.pendingRecords,
      detail: JSON.stringify(st ?? {}),
    });
    checks.push({
      name: "reconnected after the kill",
      ok: (st?.reconnects ?? 0) >= 1,
    });
    checks.push({
      name:
        "every record printed is one logged (seq from 1 to N, its message's number + 1)",
      ok: outOfRange === 0 && per.every((r) => r.mismatched === 0),
      detail: `${outOfRange} out of range, ${
        per.map((r) => r.mismatched).join("+")
      } mismatched`,
    });
    checks.push({
      name: "no duplicate within one receiver run",
      ok: within === 0,
      detail: `${within} printed twice by the same run`,
    });
  }
  if (ours && c.ack) {
    checks.push({
      name: "every seq from 1 to N printed at least once",
      ok: missing.length === 0 && dropped === 0,
      detail: `${missing.length} missing (${
        missing.slice(0, 5).join(", ")
      }…), ${dropped} dropped`,
    });
    checks.push({
      name:
        "duplicates ≤ the sender's unacknowledged window when the connection was lost",
      ok: duplicates <= window,
      detail: `${duplicates} duplicates, window ${window}`,
    });
    checks.push({
      name: "a record printed twice is the same record, sent again",
      ok: differ === 0,
      detail: `${differ} differ`,
    });
    checks.push({
      name: "at the end nothing is awaiting acknowledgement",
      ok: st !== undefined && st.unacked === 0 && st.pendingRecords === 0,
      detail: `unacked ${st?.unacked}, pending ${st?.pendingRecords}`,
    });
  }
  if (ours && !c.ack) {
    checks.push({
      name: "every record not printed was in flight at the kill",
      ok: lost === 0,
      detail: `${missing.length} missing, ${inWindow} in the kill's window`,
    });
  }
  checks.push({
    name: "the last receiver exited 0 on SIGINT",
    ok: status.code === 0,
    detail: `code ${status.code}: ${last.proc.stderr.slice(0, 300)}`,
  });
  const receiverHwm = Math.max(...runs.map((r) => r.proc.hwmKb));
  return {
    scenario: `${c.id} ${c.title}`,
    sender: c.sender,
    label: ours
      ? `ours, ${c.ack ? "--ack" : "no acks"}`
      : "CPython 3.11 (CLI --ack)",
    logged,
    delivered: unique,
    dropped,
    inflight,
    lost,
    maxLatencyMs: result?.maxLatencyMs ?? NaN,
    appRssMB: (result?.hwmKb ?? 0) / 1024,
    receiverRssMB: receiverHwm / 1024,
    checks,
    notes,
    seq: {
      receiver: c.ack ? "--ack" : "(no --ack)",
      runs: runs.length,
      perRun: per.map((r) => r.seqs.length),
      unique,
      duplicates,
      duplicatesWithinRun: within,
      window: ours ? window : 0,
      acked: st?.acked ?? 0,
      unacked: st?.unacked ?? 0,
    },
  };
}

/** Runs scenario 12: 12a (restart) with and without acks and CPython, 12b (half-open) with acks. */
export async function run(p: Params): Promise<Row[]> {
  const count = p.quick ? 8000 : 20000;
  const rate = 2000;
  const frozenMs = p.quick ? 2000 : 3000;
  const restart = `restart (SIGKILL, down 1.5 s, ${count / 1000}k @2k/s)`;
  // 12a: frozen 20 ms before the kill (see the module documentation).
  const halfOpen = `half-open (SIGSTOP ${
    frozenMs / 1000
  } s, SIGKILL, down 0.5 s, ${count / 1000}k @2k/s)`;
  const base = { count, rate, frozenMs: 20, downMs: 1500 };
  const cases: Case[] = [
    { ...base, id: "12a", title: restart, sender: "ours", ack: true },
    { ...base, id: "12a", title: restart, sender: "ours", ack: false },
    ...(p.quick ? [] : [
      { ...base, id: "12a", title: restart, sender: "cpython", ack: true },
    ] as Case[]),
    {
      ...base,
      id: "12b",
      title: halfOpen,
      sender: "ours",
      ack: true,
      frozenMs,
      downMs: 500,
    },
  ];
  const rows: Row[] = [];
  for (const c of cases) rows.push(await runCase(c));
  return rows;
}
