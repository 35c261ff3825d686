// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The TIMESTAMP of a syslog message (RFC 5424, section 6.2.3) for a
 * record's `created` time ({@linkcode syslogTimestamp}): the receiver's
 * local time with microseconds and its numeric offset,
 * `2026-12-06T11:50:14.123456+01:00`. Private to the package.
 *
 * The microseconds are rounded as Python's `datetime.fromtimestamp()`
 * rounds them (half to even), so the text is what a Python receiver would
 * print for the same `created`. The offset is the one in force at that
 * instant, in whole minutes (a historical offset with seconds is rounded,
 * and the time shown is shifted by the same rounded offset, so that the
 * two always agree). A `created` that is not a finite number, or whose
 * year is not from 0000 to 9999, gives the NILVALUE `-`.
 *
 * @example Usage
 * ```ts
 * import { syslogTimestamp } from "./syslog_time.ts";
 * import { equal, match } from "node:assert/strict";
 *
 * match(syslogTimestamp(1765021814.123456), /^2025-12-\d\dT\d\d:\d\d:14\.123456[+-]\d\d:\d\d$/);
 * equal(syslogTimestamp(NaN), "-");
 * ```
 *
 * @module
 */

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Rounds half to even, as Python's `round()`. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The largest time a `Date` holds, in milliseconds from the epoch. */
const MAX_DATE_MS = 8.64e15;

/**
 * The text of a whole second: `YYYY-MM-DDTHH:MM:SS` and `±HH:MM`, or
 * `undefined` when the year is not from 0000 to 9999.
 */
function secondText(seconds: number): [string, string] | undefined {
  const ms = seconds * 1000;
  if (!(Math.abs(ms) <= MAX_DATE_MS - 86_400_000)) return undefined;
  const offset = -Math.round(new Date(ms).getTimezoneOffset());
  const local = new Date(ms + offset * 60_000);
  const year = local.getUTCFullYear();
  if (year < 0 || year > 9999) return undefined;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return [
    `${pad(year, 4)}-${pad(local.getUTCMonth() + 1, 2)}-${
      pad(local.getUTCDate(), 2)
    }T${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${
      pad(local.getUTCSeconds(), 2)
    }`,
    `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`,
  ];
}

/** The last second written: records come in bursts within a second. */
let cachedSeconds = NaN;
let cachedHead = "";
let cachedTail = "";

/**
 * The RFC 5424 TIMESTAMP of an epoch time in seconds, in the receiver's
 * local time zone (see the module docs).
 *
 * @param created Seconds since the epoch (a record's `created`).
 * @returns `YYYY-MM-DDTHH:MM:SS.ffffff±HH:MM`, or `-`.
 */
export function syslogTimestamp(created: number): string {
  if (typeof created !== "number" || !Number.isFinite(created)) return "-";
  let seconds = Math.floor(created);
  let micros = roundHalfEven((created - seconds) * 1e6);
  if (micros >= 1e6) {
    seconds += 1;
    micros -= 1e6;
  }
  if (seconds !== cachedSeconds) {
    const parts = secondText(seconds);
    if (parts === undefined) return "-";
    cachedSeconds = seconds;
    [cachedHead, cachedTail] = parts;
  }
  return `${cachedHead}.${pad(micros, 6)}${cachedTail}`;
}
