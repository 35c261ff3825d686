// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The application under test: logs `s=<sender> seq=<n>` records through
 * `@std/log` + {@linkcode SocketHandler} (one handler, hence one
 * connection, per sender), paced at `rate` records/s per sender (0: as fast
 * as possible), measures the latency of every logging call, and prints
 * `LOGGED` when done, then `RESULT <json>` (stats, close result, latencies,
 * peak RSS). Argument: a JSON {@linkcode AppConfig}.
 *
 * @module
 */
import * as log from "@std/log";
import { SocketHandler, type SocketHandlerOptions } from "../../handler.ts";

/** Configuration of one app process. */
export interface AppConfig {
  /** Receiver port. */
  port: number;
  /** Sender ids (one handler each). */
  senders: string[];
  /** Records per sender. */
  count: number;
  /** Records per second per sender; 0 = as fast as possible. */
  rate: number;
  /** Bytes of padding appended to each message. */
  pad?: number;
  /** Extra handler options. */
  options?: Partial<SocketHandlerOptions>;
  /** "close": await handler.close(closeTimeout); "exit": just end. */
  end: "close" | "exit";
  /** Deadline of close(), ms. */
  closeTimeout?: number;
}

function vmHwmKb(): number {
  try {
    const s = Deno.readTextFileSync("/proc/self/status");
    return Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const cfg = JSON.parse(Deno.args[0]!) as AppConfig;
/**
 * For each connection lost (reported as kind "send", before the records
 * awaiting acknowledgement go back to the queue): how many records were
 * written into it and not acknowledged (`sequence: true`); the next
 * connection sends them again. Reports of one kind are rate limited
 * (`errorInterval`, 60 s by default): set `errorInterval: 0` to see every
 * loss.
 */
const unackedAtLoss: number[] = [];
const handlers: SocketHandler[] = [];
const handlerMap: Record<string, SocketHandler> = {};
const loggerCfg: Record<string, log.LoggerConfig> = {};
for (const id of cfg.senders) {
  const h: SocketHandler = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port: cfg.port,
    onError: (_error, kind) => {
      if (kind === "send" && cfg.options?.sequence) {
        unackedAtLoss.push(h.stats().unacked);
      }
    },
    ...cfg.options,
  });
  handlers.push(h);
  handlerMap[id] = h;
  loggerCfg[`app.${id}`] = { level: "INFO", handlers: [id] };
}
log.setup({ handlers: handlerMap, loggers: loggerCfg });
const loggers = cfg.senders.map((id) => log.getLogger(`app.${id}`));
const pad = cfg.pad ? " " + "x".repeat(cfg.pad) : "";

let maxLatency = 0;
let threw = 0;
let maxPendingRecords = 0;
let maxPendingBytes = 0;
const t0 = performance.now();
const chunk = cfg.rate > 0 ? Math.max(1, Math.round(cfg.rate / 200)) : 500;
let seq = 0;
while (seq < cfg.count) {
  const end = Math.min(cfg.count, seq + chunk);
  for (; seq < end; seq++) {
    for (let i = 0; i < loggers.length; i++) {
      const a = performance.now();
      try {
        loggers[i]!.info(`s=${cfg.senders[i]} seq=${seq}${pad}`);
      } catch {
        threw++;
      }
      const l = performance.now() - a;
      if (l > maxLatency) maxLatency = l;
    }
  }
  for (const h of handlers) {
    const s = h.stats();
    if (s.pendingRecords > maxPendingRecords) {
      maxPendingRecords = s.pendingRecords;
    }
    if (s.pendingBytes > maxPendingBytes) maxPendingBytes = s.pendingBytes;
  }
  if (cfg.rate > 0) {
    const due = t0 + (seq / cfg.rate) * 1000;
    const wait = due - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
  } else {
    await new Promise((r) => setTimeout(r, 0));
  }
}
const loggedAt = performance.now();
console.log("LOGGED");
let closeResults: unknown[] = [];
let closeMs = 0;
if (cfg.end === "close") {
  const c0 = performance.now();
  closeResults = await Promise.all(
    handlers.map((h) => h.close(cfg.closeTimeout)),
  );
  closeMs = performance.now() - c0;
}
const stats = handlers.map((h) => h.stats());
console.log(
  "RESULT " + JSON.stringify({
    logged: cfg.count * cfg.senders.length,
    threw,
    maxLatencyMs: maxLatency,
    logMs: loggedAt - t0,
    closeMs,
    closeResults,
    stats,
    maxPendingRecords,
    maxPendingBytes,
    unackedAtLoss,
    hwmKb: vmHwmKb(),
  }),
);
