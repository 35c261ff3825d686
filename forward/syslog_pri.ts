// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The PRI part of a syslog message (RFC 5424, section 6.2.1): the facility
 * names and numbers ({@linkcode SYSLOG_FACILITIES},
 * {@linkcode syslogFacility}), the severity of a Python level
 * ({@linkcode syslogSeverity}) and the PRI value itself
 * ({@linkcode syslogPri}). Private to the package.
 *
 * | Python `levelno`         | severity          |
 * | ------------------------ | ----------------- |
 * | ≥ 50 (`CRITICAL`)        | 2 (critical)      |
 * | ≥ 40 (`ERROR`)           | 3 (error)         |
 * | ≥ 30 (`WARNING`)         | 4 (warning)       |
 * | ≥ 20 (`INFO`)            | 6 (informational) |
 * | else (`DEBUG`, `None`…)  | 7 (debug)         |
 *
 * @example Usage
 * ```ts
 * import { syslogFacility, syslogPri, syslogSeverity } from "./syslog_pri.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(syslogFacility("local0"), 16);
 * equal(syslogSeverity(30), 4);
 * equal(syslogPri(16, 30), 132);
 * ```
 *
 * @module
 */

/** The facility names of RFC 5424 (and of syslog(3)), by number. */
export const SYSLOG_FACILITIES: Readonly<Record<SyslogFacilityName, number>> =
  Object.freeze({
    kern: 0,
    user: 1,
    mail: 2,
    daemon: 3,
    auth: 4,
    syslog: 5,
    lpr: 6,
    news: 7,
    uucp: 8,
    cron: 9,
    authpriv: 10,
    ftp: 11,
    local0: 16,
    local1: 17,
    local2: 18,
    local3: 19,
    local4: 20,
    local5: 21,
    local6: 22,
    local7: 23,
  });

/** A syslog facility by name. */
export type SyslogFacilityName =
  | "kern"
  | "user"
  | "mail"
  | "daemon"
  | "auth"
  | "syslog"
  | "lpr"
  | "news"
  | "uucp"
  | "cron"
  | "authpriv"
  | "ftp"
  | "local0"
  | "local1"
  | "local2"
  | "local3"
  | "local4"
  | "local5"
  | "local6"
  | "local7";

/** The default facility: `user` (1). */
export const DEFAULT_FACILITY = 1;

/**
 * The number of a facility given by name (`"local0"`, in any case) or
 * number (0–23, also as a decimal string, as a command line gives it).
 *
 * @param facility A name of {@linkcode SYSLOG_FACILITIES} or a number from 0 to 23.
 * @returns The facility number, or `undefined` if it is neither.
 */
export function syslogFacility(facility: unknown): number | undefined {
  if (typeof facility === "number") {
    return Number.isInteger(facility) && facility >= 0 && facility <= 23
      ? facility
      : undefined;
  }
  if (typeof facility !== "string") return undefined;
  if (/^\d{1,2}$/.test(facility)) return syslogFacility(Number(facility));
  const name = facility.toLowerCase();
  return Object.hasOwn(SYSLOG_FACILITIES, name)
    ? SYSLOG_FACILITIES[name as SyslogFacilityName]
    : undefined;
}

/**
 * The syslog severity of a Python level number (see the module docs).
 *
 * @param levelno The record's `levelno` (`null` when missing or mistyped).
 * @returns The severity, 2 to 7.
 */
export function syslogSeverity(levelno: number | null): number {
  if (levelno === null) return 7;
  if (levelno >= 50) return 2;
  if (levelno >= 40) return 3;
  if (levelno >= 30) return 4;
  if (levelno >= 20) return 6;
  return 7;
}

/**
 * The PRI value: facility × 8 + severity.
 *
 * @param facility The facility number, 0 to 23.
 * @param levelno The record's `levelno`.
 * @returns The PRI value, 0 to 191.
 */
export function syslogPri(facility: number, levelno: number | null): number {
  return facility * 8 + syslogSeverity(levelno);
}
