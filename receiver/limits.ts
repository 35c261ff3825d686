// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Policing of open connections: which one a new connection evicts at
 * `maxConnections` ({@linkcode longestIdle}), and whether one holding a
 * partial frame is too slow (`minReadRate` over `readRateWindow`, or
 * `frameTimeout`; {@linkcode slowness}), checked by the receiver on a
 * periodic sweep ({@linkcode sweepInterval}).
 *
 * @module
 */
import type { Conn } from "./conn.ts";
import type { Settings } from "./options.ts";

/**
 * The connection to evict: the oldest of those that have not delivered a
 * record yet (a flood of idle or slowloris connections never does), else
 * the one without a complete frame for the longest time. A sender that
 * has delivered records thus survives any flood of unproductive
 * connections, however quickly they are reopened and however seldom it
 * logs.
 *
 * @param conns The open connections.
 * @returns That connection, or `undefined` if there is none.
 */
export function longestIdle(conns: Iterable<Conn>): Conn | undefined {
  let oldest: Conn | undefined;
  let fresh: Conn | undefined;
  for (const c of conns) {
    if (c.closing) continue;
    if (c.info.records === 0) {
      if (fresh === undefined || c.lastFrame < fresh.lastFrame) fresh = c;
    } else if (oldest === undefined || c.lastFrame < oldest.lastFrame) {
      oldest = c;
    }
  }
  return fresh ?? oldest;
}

/**
 * How often the receiver checks for slow connections.
 *
 * @param settings The receiver's settings.
 * @returns The interval in ms, or 0 when both checks are off.
 */
export function sweepInterval(settings: Settings): number {
  const { minReadRate, readRateWindow, frameTimeout } = settings;
  if (minReadRate === 0 && frameTimeout === 0) return 0;
  const shortest = Math.min(
    minReadRate > 0 ? readRateWindow : Infinity,
    frameTimeout > 0 ? frameTimeout : Infinity,
  );
  return Math.min(1000, Math.max(50, Math.floor(shortest / 4)));
}

/**
 * Checks a connection holding a partial frame against `frameTimeout` and
 * `minReadRate`. Time the connection spends paused by backpressure from
 * unconsumed records does not count: its clocks move forward instead.
 *
 * @param c The connection.
 * @param now The current time in ms.
 * @param elapsed Ms since the previous check.
 * @param settings The receiver's settings.
 * @param recordsHeld Whether unconsumed records hold part of the byte
 * budget (then a connection waiting for the budget is paused, not slow).
 * @returns Why to close it as `slow`, or `undefined` to keep it.
 */
export function slowness(
  c: Conn,
  now: number,
  elapsed: number,
  settings: Settings,
  recordsHeld: boolean,
): string | undefined {
  if (c.closing || c.partialSince === undefined) return undefined;
  if (c.paused || (c.starved && recordsHeld)) {
    c.partialSince += elapsed;
    c.rateStart = now;
    c.rateBytes = 0;
    return undefined;
  }
  const { minReadRate, readRateWindow, frameTimeout } = settings;
  if (frameTimeout > 0 && now - c.partialSince > frameTimeout) {
    return `Frame not completed within 'frameTimeout' (${frameTimeout} ms): closing the connection`;
  }
  if (minReadRate > 0 && c.rateStart !== undefined) {
    const span = now - c.rateStart;
    if (span >= readRateWindow) {
      const rate = c.rateBytes * 1000 / span;
      if (rate < minReadRate) {
        return `Cannot keep a partial frame as the read rate is below 'minReadRate' (${minReadRate} B/s): current value is ${
          Math.round(rate)
        } B/s over ${span} ms`;
      }
      c.rateStart = now;
      c.rateBytes = 0;
    }
  }
  return undefined;
}
