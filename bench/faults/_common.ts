// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Shared machinery of the fault suite: receiver and app processes, line
 * readers, delivery accounting and the result row.
 *
 * @module
 */
import type { AppConfig } from "./app.ts";

const here = new URL(".", import.meta.url).pathname;
/** Path of the import map used by the subprocesses. */
export const IMPORT_MAP: string = new URL(
  "../../tests/import_map.json",
  import.meta.url,
).pathname;

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A child process whose stdout is read line by line. */
export class Proc {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly times: number[] = [];
  stderr = "";
  readonly done: Promise<Deno.CommandStatus>;
  readonly startedAt: number = performance.now();
  exitedAt: number | undefined;
  #waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] =
    [];
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  onLine: ((line: string) => void) | undefined;
  /** Peak RSS (VmHWM, kB) sampled from /proc/<pid>/status every 100 ms. */
  hwmKb = 0;
  #sampler: ReturnType<typeof setInterval> | undefined;

  #sample(): void {
    try {
      const s = Deno.readTextFileSync(`/proc/${this.child.pid}/status`);
      const kb = Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
      if (kb > this.hwmKb) this.hwmKb = kb;
    } catch { /* exited */ }
  }

  constructor(cmd: string, args: string[], stdin = false) {
    this.child = new Deno.Command(cmd, {
      args,
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin) this.#writer = this.child.stdin.getWriter();
    const child = this.child;
    const readOut = (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of child.stdout) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.lines.push(line);
          this.times.push(performance.now());
          this.onLine?.(line);
          for (const w of [...this.#waiters]) {
            if (w.pred(line)) {
              this.#waiters.splice(this.#waiters.indexOf(w), 1);
              w.resolve(line);
            }
          }
        }
      }
    })();
    const readErr = (async () => {
      const dec = new TextDecoder();
      for await (const chunk of child.stderr) {
        if (this.stderr.length < 1 << 20) {
          this.stderr += dec.decode(chunk, { stream: true });
        }
      }
    })();
    this.#sampler = setInterval(() => this.#sample(), 100);
    this.done = (async () => {
      const status = await child.status;
      clearInterval(this.#sampler);
      this.exitedAt = performance.now();
      await Promise.allSettled([readOut, readErr]);
      try {
        await this.#writer?.close();
      } catch { /* closed */ }
      return status;
    })();
  }

  /** Waits for a line matching `pred` (already seen or future), bounded. */
  waitLine(
    pred: (l: string) => boolean,
    timeout = 20000,
    since = 0,
  ): Promise<string> {
    const seen = this.lines.slice(since).find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (l: string) => {
          clearTimeout(t);
          resolve(l);
        },
      };
      const t = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(
          new Error(
            `Timed out waiting for a line; stderr: ${
              this.stderr.slice(0, 2000)
            }`,
          ),
        );
      }, timeout);
      this.#waiters.push(w);
    });
  }

  /** Writes a command line to stdin. */
  async send(line: string): Promise<void> {
    try {
      await this.#writer?.write(new TextEncoder().encode(line + "\n"));
    } catch { /* process gone */ }
  }

  /** Sends a signal (ignored if the process has exited). */
  kill(sig: Deno.Signal = "SIGKILL"): void {
    this.#sample();
    try {
      this.child.kill(sig);
    } catch { /* gone */ }
  }

  /** Waits for exit, killing the process after `timeout` ms. */
  async finish(timeout = 30000): Promise<Deno.CommandStatus> {
    const t = setTimeout(() => this.kill("SIGKILL"), timeout);
    try {
      return await this.done;
    } finally {
      clearTimeout(t);
    }
  }
}

/** Delivered ranges of one receiver instance. */
export interface Instance {
  proc: Proc;
  /** Lines consumed so far from proc.lines. */
  killed: boolean;
}

/** A receiver process (bench/faults/receiver.ts). */
export class Receiver {
  readonly proc: Proc;
  port = 0;
  constructor(readonly mode: "raw" | "lr", port = 0) {
    this.proc = new Proc(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read=/proc",
      `--import-map=${IMPORT_MAP}`,
      here + "receiver.ts",
      mode,
      String(port),
    ], true);
  }
  /** Waits for READY and returns the port. */
  async ready(): Promise<number> {
    const l = await this.proc.waitLine((l) => l.startsWith("READY"));
    this.port = Number(l.split(" ")[1]);
    return this.port;
  }
  /**
   * Waits (bounded) until the receiver has read every connection to its
   * end: raw mode, one `Z` per `A`; lr mode, no open connection but
   * `keepOpen`.
   */
  async quiesce(timeout = 60000, keepOpen = 0): Promise<boolean> {
    const end = performance.now() + timeout;
    while (performance.now() < end && this.proc.exitedAt === undefined) {
      if (this.mode === "raw") {
        let a = 0, z = 0;
        for (const l of this.proc.lines) {
          if (l === "A") a++;
          else if (l === "Z") z++;
        }
        if (z >= a) return true;
        await sleep(50);
      } else {
        const n = this.proc.lines.length;
        await this.proc.send("stats");
        try {
          const l = await this.proc.waitLine(
            (l) => l.startsWith("S "),
            10000,
            n,
          );
          if (Number(JSON.parse(l.slice(2)).connectionsOpen) <= keepOpen) {
            return true;
          }
        } catch { /* retry */ }
        await sleep(100);
      }
    }
    return false;
  }

  /** Asks a graceful exit; returns the BYE json. */
  async exit(): Promise<Record<string, unknown> | undefined> {
    await this.proc.send("stats");
    await sleep(150);
    await this.proc.send("exit");
    try {
      const l = await this.proc.waitLine((l) => l.startsWith("BYE "), 10000);
      await this.proc.finish(5000);
      const bye = JSON.parse(l.slice(4));
      bye.hwmKb = Math.max(Number(bye.hwmKb ?? 0), this.proc.hwmKb);
      return bye;
    } catch {
      this.proc.kill();
      await this.proc.finish();
      return undefined;
    }
  }
}

/** Result JSON printed by app.ts / py_sender.py. */
export interface AppResult {
  logged: number;
  threw: number;
  maxLatencyMs: number;
  logMs?: number;
  closeMs?: number;
  closeResults?: {
    sent: number;
    dropped: number;
    pending: number;
    timedOut: boolean;
  }[];
  stats?: {
    emitted: number;
    sent: number;
    dropped: number;
    droppedByReason: Record<string, number>;
    pendingRecords: number;
    connects: number;
    reconnects: number;
    connectFailures: number;
    noticesSent: number;
    acked: number;
    unacked: number;
    state: string;
  }[];
  maxPendingRecords?: number;
  maxPendingBytes?: number;
  /**
   * With `sequence: true`: for each connection lost, the records written
   * into it and not acknowledged (sent again on the next one).
   */
  unackedAtLoss?: number[];
  hwmKb: number;
}

/** Read access to /proc, and to the spool's directory if there is one. */
function spoolAccess(cfg: AppConfig): string[] {
  const dir = cfg.options?.spool?.dir;
  return dir === undefined
    ? ["--allow-read=/proc"]
    : [`--allow-read=/proc,${dir}`, `--allow-write=${dir}`];
}

/** Spawns app.ts with a config. */
export function startApp(cfg: AppConfig): Proc {
  return new Proc(Deno.execPath(), [
    "run",
    `--import-map=${IMPORT_MAP}`,
    "--allow-net=127.0.0.1",
    ...spoolAccess(cfg),
    here + "app.ts",
    JSON.stringify(cfg),
  ]);
}

/** Spawns the CPython sender. */
export function startPyApp(
  port: number,
  id: string,
  count: number,
  rate: number,
): Proc {
  return new Proc("python3", [
    here + "py_sender.py",
    String(port),
    id,
    String(count),
    String(rate),
  ]);
}

/** Waits for the app and parses its RESULT line. */
export async function appResult(p: Proc, timeout = 120000): Promise<
  { result: AppResult | undefined; code: number; stderr: string }
> {
  const status = await p.finish(timeout);
  const line = p.lines.find((l) => l.startsWith("RESULT "));
  const result = line ? JSON.parse(line.slice(7)) : undefined;
  if (result) result.hwmKb = Math.max(Number(result.hwmKb ?? 0), p.hwmKb);
  return {
    result,
    code: status.code,
    stderr: p.stderr,
  };
}

/** One row of the table. */
export interface Row {
  scenario: string;
  /** Who logged: our handler, CPython (for comparison), or a legitimate
   * CPython sender beside an attack on the receiver (scenario 10). */
  sender: "ours" | "cpython" | "cpython (legit)";
  /** What the sender column shows instead (scenario 11). */
  label?: string;
  logged: number;
  delivered: number;
  dropped: number;
  /** Frames counted sent, then lost with a killed receiver's socket buffers (at-most-once). */
  inflight: number;
  /** logged − delivered − dropped − inflight: must be 0 for ours. */
  lost: number;
  maxLatencyMs: number;
  appRssMB: number;
  receiverRssMB: number;
  checks: { name: string; ok: boolean; detail?: string | undefined }[];
  notes: string[];
  /** Scenario 12: delivery by sequence number across receiver runs. */
  seq?: SeqFigures;
}

/** Scenario 12's figures: what each receiver run printed, by `seq`. */
export interface SeqFigures {
  /** The receiver's flags that matter (`--ack` or not). */
  receiver: string;
  /** Receiver runs (processes). */
  runs: number;
  /** Records printed per run. */
  perRun: number[];
  /** Distinct seqs printed, over all runs. */
  unique: number;
  /** Records printed more than once (all runs). */
  duplicates: number;
  /** Of those, printed twice by the same run. */
  duplicatesWithinRun: number;
  /** The sender's unacknowledged window when the connection was lost. */
  window: number;
  /** The sender's stats at the end. */
  acked: number;
  unacked: number;
}

/** Accumulates D/N/T/E lines of receiver instances in time order. */
export class Ledger {
  /** Ranges per sender, in arrival order, with the instance index. */
  readonly ranges = new Map<string, [number, number, number][]>();
  notices = 0;
  announced = 0;
  torn = 0;
  errors: string[] = [];
  accepts = 0;
  instance = 0;
  /**
   * Segments (see {@linkcode Ledger.segment}) that ended with their
   * connections reset, by a kill or a restart: data a sender wrote into them
   * that the receiver never read is lost to TCP's at-most-once window.
   */
  readonly killed = new Set<number>();

  /** Attaches to a receiver process; lines are counted in this ledger. */
  attach(p: Proc): number {
    const inst = this.instance++;
    this.#epochs.set(inst, 0);
    const take = (l: string) => this.line(l, inst);
    for (const l of p.lines) take(l);
    p.onLine = take;
    return inst;
  }

  /** Restarts (graceful stops) seen per receiver instance. */
  #epochs = new Map<number, number>();

  /**
   * The segment of an instance's life a range belongs to: a new segment
   * starts at each graceful stop (`STOPPED`), and a stop or a kill ends its
   * segment with its connections reset — TCP's at-most-once window.
   */
  segment(inst: number): number {
    return inst * 1_000_000 + (this.#epochs.get(inst) ?? 0);
  }

  /** Marks the current segment of `inst` as ended by a kill. */
  markKilled(inst: number): void {
    this.killed.add(this.segment(inst));
  }

  line(l: string, inst: number): void {
    const c = l[0];
    if (l === "STOPPED") {
      this.killed.add(this.segment(inst));
      this.#epochs.set(inst, (this.#epochs.get(inst) ?? 0) + 1);
    } else if (c === "D" && l[1] === " ") {
      const [, sid, a, b] = l.split(" ");
      let r = this.ranges.get(sid!);
      if (r === undefined) this.ranges.set(sid!, r = []);
      r.push([Number(a), Number(b), this.segment(inst)]);
    } else if (c === "N" && l[1] === " ") {
      this.notices++;
      this.announced += Number(l.slice(2));
    } else if (c === "T" && l[1] === " ") this.torn++;
    else if (c === "E" && l[1] === " ") this.errors.push(l.slice(2));
    else if (l === "A") this.accepts++;
  }

  /** Total delivered records (all senders). */
  delivered(senders?: string[]): number {
    let n = 0;
    for (const [sid, r] of this.ranges) {
      if (senders !== undefined && !senders.includes(sid)) continue;
      for (const [a, b] of r) n += b - a + 1;
    }
    return n;
  }

  /**
   * Per-sender order (strictly increasing, no duplicates) and the number of
   * missing records in gaps that straddle a killed instance.
   */
  verify(senders: string[], count: number): {
    orderOk: boolean;
    orderDetail: string;
    killGaps: number;
    missing: number;
  } {
    let orderOk = true;
    let orderDetail = "";
    let killGaps = 0;
    let missing = 0;
    for (const sid of senders) {
      const r = this.ranges.get(sid) ?? [];
      let prev = -1;
      let prevInst = -1;
      for (const [a, b, inst] of r) {
        if (a <= prev || b < a || b >= count) {
          orderOk = false;
          orderDetail ||= `sender ${sid}: ${a}..${b} after ${prev}`;
        }
        const gap = a - prev - 1;
        if (gap > 0) {
          missing += gap;
          if (prevInst >= 0 && prevInst !== inst && this.killed.has(prevInst)) {
            killGaps += gap;
          }
        }
        prev = Math.max(prev, b);
        prevInst = inst;
      }
      const tail = count - 1 - prev;
      if (tail > 0) missing += tail;
    }
    return { orderOk, orderDetail, killGaps, missing };
  }
}

/** Builds the row of one of our app's runs and its standard checks. */
export function ourRow(
  scenario: string,
  ledger: Ledger,
  senders: string[],
  count: number,
  app: { result: AppResult | undefined; code: number; stderr: string },
  receiverHwmKb: number,
): Row {
  const res = app.result;
  const checks: Row["checks"] = [];
  const notes: string[] = [];
  checks.push({
    name: "app exited 0 with a result",
    ok: app.code === 0 && res !== undefined,
    detail: app.code !== 0 || res === undefined
      ? `code ${app.code}: ${app.stderr.slice(0, 500)}`
      : undefined,
  });
  checks.push({
    name: "no uncaught error",
    ok: !/Uncaught|unhandled/i.test(app.stderr),
    detail: app.stderr.slice(0, 300),
  });
  const logged = res?.logged ?? senders.length * count;
  let dropped = 0;
  let accountingOk = res !== undefined;
  for (const s of res?.stats ?? []) {
    dropped += s.dropped;
    if (s.emitted !== s.sent + s.dropped + s.pendingRecords) {
      accountingOk = false;
    }
  }
  const emitted = (res?.stats ?? []).reduce((a, s) => a + s.emitted, 0);
  checks.push({
    name: "emitted == sent + dropped + pending, emitted == logged",
    ok: accountingOk && emitted === logged,
    detail: `emitted ${emitted}, logged ${logged}`,
  });
  checks.push({
    name: "emit never threw",
    ok: (res?.threw ?? 1) === 0,
  });
  const v = ledger.verify(senders, count);
  checks.push({
    name: "per-sender order, no duplicates",
    ok: v.orderOk,
    detail: v.orderDetail,
  });
  checks.push({
    name: "no undecodable frame",
    ok: ledger.errors.length === 0,
    detail: ledger.errors.slice(0, 3).join("; "),
  });
  const delivered = ledger.delivered(senders);
  const sent = (res?.stats ?? []).reduce((a, s) => a + s.sent, 0);
  // At-most-once window: frames the handler counted sent that a killed or
  // restarting receiver never read — gaps at a segment boundary (only
  // meaningful when nothing was dropped).
  const inflight = dropped === 0 ? Math.min(v.killGaps, sent - delivered) : 0;
  const lost = logged - delivered - dropped - inflight;
  checks.push({ name: "lost == 0", ok: lost === 0, detail: `lost ${lost}` });
  return {
    scenario,
    sender: "ours",
    logged,
    delivered,
    dropped,
    inflight,
    lost,
    maxLatencyMs: res?.maxLatencyMs ?? NaN,
    appRssMB: (res?.hwmKb ?? 0) / 1024,
    receiverRssMB: receiverHwmKb / 1024,
    checks,
    notes,
  };
}

/** Builds the row of a CPython run (no drop counters: every gap is lost). */
export function pyRow(
  scenario: string,
  ledger: Ledger,
  sid: string,
  app: { result: AppResult | undefined; code: number; stderr: string },
  receiverHwmKb: number,
): Row {
  const logged = app.result?.logged ?? 0;
  const delivered = ledger.delivered();
  const v = ledger.verify([sid], logged);
  return {
    scenario,
    sender: "cpython",
    logged,
    delivered,
    dropped: 0,
    inflight: 0,
    lost: logged - delivered,
    maxLatencyMs: app.result?.maxLatencyMs ?? NaN,
    appRssMB: (app.result?.hwmKb ?? 0) / 1024,
    receiverRssMB: receiverHwmKb / 1024,
    checks: [{
      name: "cpython exited with a result",
      ok: app.result !== undefined,
      detail: app.stderr.slice(0, 300),
    }, { name: "order", ok: v.orderOk, detail: v.orderDetail }],
    notes: [],
  };
}

/** Suite-wide parameters (full or quick). */
export interface Params {
  quick: boolean;
}
