// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Runs one sender (ours or CPython) against `raw` receivers while a script
 * of receiver faults plays out, and returns the row.
 *
 * @module
 */
import {
  appResult,
  Ledger,
  type Proc,
  pyRow,
  Receiver,
  type Row,
  startApp,
  startPyApp,
} from "./_common.ts";
import type { SocketHandlerOptions } from "../../handler.ts";

/** What the fault script can do to the receivers. */
export interface Ctl {
  ledger: Ledger;
  port: number;
  /** The current receiver (undefined while down). */
  current: Receiver | undefined;
  /** Starts a new receiver process on `port` and attaches it. */
  startReceiver(): Promise<void>;
  /** SIGKILLs the current receiver. */
  killReceiver(): Promise<void>;
  /** Highest receiver VmHWM seen (kB). */
  hwmKb: number;
}

/** Options of a timeline run. */
export interface TimelineOptions {
  scenario: string;
  sender: "ours" | "cpython";
  count: number;
  rate: number;
  pad?: number;
  options?: Partial<SocketHandlerOptions>;
  closeTimeout?: number;
  /** Start with the receiver down (on a free port). */
  downAtStart?: boolean;
  script: (ctl: Ctl, app: Proc) => Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Runs the timeline. */
export async function timeline(
  o: TimelineOptions,
  build: (ctl: Ctl, app: Awaited<ReturnType<typeof appResult>>) => Row,
): Promise<Row> {
  const ledger = new Ledger();
  const ctl: Ctl = {
    ledger,
    port: 0,
    current: undefined,
    hwmKb: 0,
    async startReceiver() {
      const r = new Receiver("raw", ctl.port);
      ctl.port = await r.ready();
      ledger.attach(r.proc);
      ctl.current = r;
    },
    async killReceiver() {
      const r = ctl.current;
      if (r === undefined) return;
      ctl.current = undefined;
      ledger.markKilled(ledger.instance - 1);
      r.proc.kill("SIGKILL");
      await r.proc.finish();
      ctl.hwmKb = Math.max(ctl.hwmKb, r.proc.hwmKb);
    },
  };
  if (o.downAtStart) ctl.port = freePort();
  else await ctl.startReceiver();
  const app = o.sender === "ours"
    ? startApp({
      port: ctl.port,
      senders: ["A"],
      count: o.count,
      rate: o.rate,
      pad: o.pad ?? 0,
      options: o.options ?? {},
      end: "close",
      closeTimeout: o.closeTimeout ?? 10000,
    })
    : startPyApp(ctl.port, "A", o.count, o.rate);
  let res;
  try {
    await o.script(ctl, app);
    res = await appResult(app);
  } finally {
    app.kill();
    await app.finish();
  }
  await ctl.current?.quiesce(30000);
  const cur = ctl.current as Receiver | undefined;
  if (cur !== undefined) {
    const bye = await cur.exit();
    ctl.hwmKb = Math.max(ctl.hwmKb, Number(bye?.hwmKb ?? 0));
  }
  const row = build(ctl, res);
  if (o.sender === "cpython") {
    return pyRow(o.scenario, ledger, "A", res, ctl.hwmKb);
  }
  return row;
}

export { pyRow };
