// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A received record as a syslog message: RFC 5424 text
 * ({@linkcode formatSyslog}) in RFC 6587 octet-counting framing
 * ({@linkcode syslogFrame}: `"<byte length> <message>"`, no newline), what
 * a `syslog+tcp://` or `syslog+tls://` forward target is sent. Private to
 * the package.
 *
 * ```text
 * <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [python@32473 name="…" …] MSG
 * ```
 *
 * - PRI: facility × 8 + severity (`syslog_pri.ts`: ≥ 50 → 2, ≥ 40 → 3,
 *   ≥ 30 → 4, ≥ 20 → 6, else 7).
 * - TIMESTAMP: `created` in the receiver's local time with microseconds and
 *   its offset (`syslog_time.ts`), or `-`.
 * - HOSTNAME: the record's `hostname` attribute when it is a non-empty
 *   str; else the host part of its `sender` attribute (`host:pid:random`,
 *   stamped by senders with `sequence: true`) when that has three parts;
 *   else the receiver's host name when the process may read it
 *   (`--allow-sys=hostname`; never asked for); else `-`.
 * - APP-NAME: the logger name (at most 48 characters); PROCID: `process`
 *   (128); MSGID: `levelname` (32); `-` when there is none.
 * - STRUCTURED-DATA: one element, `python@32473` (32473 is the example
 *   Private Enterprise Number of RFC 5612), with the parameters `name` (the
 *   whole logger name), `levelname`, `pathname`, `lineno`, `funcName`,
 *   `thread`, `threadName`, `process` (each left out when `None`), then
 *   every other attribute of the record (`extra`, `seq` and `sender`
 *   included). A value prints as Python's `str()` does, except a
 *   container (`list`, `tuple`, `dict`, `set`, `frozenset`), which prints
 *   as the CLI's JSON does (`["a","b"]`, `{"$tuple":[1,"x"]}`).
 * - MSG: the rendered message (`getMessage()`), then `"\n" + exc_text`
 *   and `"\n" + stack_info` when there are any; newlines and other control
 *   characters are kept (octet counting frames them); no BOM.
 *
 * Header fields and parameter names are made valid whatever the record
 * holds (`syslog_text.ts`: characters outside their set become `_`; a
 * parameter whose name is empty is left out); parameter values escape
 * `"`, `\` and `]`; lone surrogates become U+FFFD in the UTF-8, as
 * `TextEncoder` writes them, and the frame's length counts the bytes. The
 * values of one record share one text budget (1 MiB of text, as the CLI's
 * output): the standard parameters first, then the message, the
 * traceback and the stack, then the other attributes; a cut value ends
 * with `…[N more characters]`.
 *
 * @example Usage
 * ```ts
 * import { formatSyslog, syslogFrame } from "./syslog.ts";
 * import { makeLogRecord } from "../receiver/record.ts";
 * import { equal } from "node:assert/strict";
 *
 * const record = makeLogRecord({
 *   name: "app", msg: "héllo", levelno: 30, levelname: "WARNING",
 *   created: 1765021814.5, process: 12, lineno: 7, hostname: "web1",
 * });
 * const options = { facility: 1, hostname: "-" };
 * const text = formatSyslog(record, options);
 * equal(text.slice(0, 6), "<12>1 "); // user.warning
 * equal(
 *   text.slice(38), // after the timestamp
 *   ' web1 app 12 WARNING [python@32473 name="app" levelname="WARNING" ' +
 *     'pathname="" lineno="7" threadName="MainThread" process="12" ' +
 *     'hostname="web1"] héllo',
 * );
 * const frame = new TextDecoder().decode(syslogFrame(record, options));
 * equal(frame, `${new TextEncoder().encode(text).length} ${text}`);
 * ```
 *
 * @module
 */
import { recordMessage } from "../receiver/record.ts";
import { formatJsonValue } from "../receiver/json_record.ts";
import type { PythonLogRecord } from "../receiver/python_log_record.ts";
import { PyFrozenSet, PyTuple } from "../pickle/py_types.ts";
import { PyObject } from "../pickle/py_object.ts";
import { pyStr } from "../text/python_text.ts";
import { TextBudget } from "../text/text_budget.ts";
import { syslogPri } from "./syslog_pri.ts";
import { syslogTimestamp } from "./syslog_time.ts";
import { headerField, paramName, paramValue } from "./syslog_text.ts";
import { utf8Frame } from "./utf8_frame.ts";

/** The SD-ID of the record's structured data. */
export const SD_ID = "python@32473";

/** How a record becomes a syslog message. */
export interface SyslogOptions {
  /** The facility number, 0 to 23. */
  facility: number;
  /**
   * The HOSTNAME of records that name no host (see
   * {@linkcode receiverHostname}), already a valid field.
   */
  hostname: string;
}

/**
 * The receiver's host name as a HOSTNAME field, when the process may read
 * it without asking (`--allow-sys=hostname`), else `-`.
 *
 * @returns The field.
 */
export function receiverHostname(): string {
  try {
    const state = Deno.permissions.querySync({
      name: "sys",
      kind: "hostname",
    }).state;
    return state === "granted" ? headerField(Deno.hostname(), 255) : "-";
  } catch {
    return "-";
  }
}

/** The HOSTNAME of a record (see the module docs). */
function hostnameOf(record: PythonLogRecord, fallback: string): string {
  const hostname = record.extra.hostname;
  if (typeof hostname === "string" && hostname.length > 0) {
    return headerField(hostname, 255);
  }
  const sender = record.extra.sender;
  if (typeof sender === "string") {
    const parts = sender.split(":", 4);
    if (parts.length === 3 && parts[0]!.length > 0) {
      return headerField(parts[0]!, 255);
    }
  }
  return fallback;
}

/** The standard fields written as parameters, in order. */
const STANDARD_PARAMS = [
  "name",
  "levelname",
  "pathname",
  "lineno",
  "funcName",
  "thread",
  "threadName",
  "process",
] as const;

/** Whether a value prints as JSON (a container), not as `str()`. */
function isContainer(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  if (v instanceof PyObject || v instanceof Uint8Array) return false;
  if (v instanceof Date || v instanceof Error) return false;
  return Array.isArray(v) || v instanceof PyTuple || v instanceof Set ||
    v instanceof PyFrozenSet || v instanceof Map ||
    Object.getPrototypeOf(v) === null ||
    Object.getPrototypeOf(v) === Object.prototype;
}

/** One parameter's value text, within the record's budget. */
function valueText(v: unknown, budget: TextBudget): string {
  return isContainer(v) ? formatJsonValue(v, budget) : pyStr(v, budget);
}

/**
 * A record as an RFC 5424 syslog message (see the module docs). Never
 * throws for a record `makeLogRecord` built.
 *
 * @param record The record.
 * @param options The facility and the receiver's HOSTNAME.
 * @returns The message text (not framed; UTF-8 once encoded).
 */
export function formatSyslog(
  record: PythonLogRecord,
  options: SyslogOptions,
): string {
  const budget = new TextBudget();
  const name = record.name;
  const process = record.process;
  let head = `<${syslogPri(options.facility, record.levelno)}>1 ${
    syslogTimestamp(record.created)
  } ${hostnameOf(record, options.hostname)} ${
    typeof name === "string" ? headerField(name, 48) : "-"
  } ${
    process === null || process === undefined
      ? "-"
      : headerField(pyStr(process), 128)
  } ${headerField(String(record.levelname), 32)} [${SD_ID}`;
  const fields = record as unknown as Record<string, unknown>;
  for (const key of STANDARD_PARAMS) {
    const value = fields[key];
    if (value === null || value === undefined) continue;
    head += ` ${key}="${paramValue(valueText(value, budget))}"`;
  }
  let msg = recordMessage(record, budget);
  for (const text of [record.exc_text, record.stack_info]) {
    if (typeof text === "string" && text.length > 0) {
      msg += "\n" + budget.cut(text);
    }
  }
  const extra = record.extra;
  for (const key in extra) {
    const param = paramName(key);
    if (param === undefined) continue;
    head += ` ${param}="${paramValue(valueText(extra[key], budget))}"`;
  }
  head += "]";
  return msg.length > 0 ? `${head} ${msg}` : head;
}

/** RFC 6587's head of a message of `bytes` bytes. */
const octetCount = (bytes: number): string => `${bytes} `;

/**
 * A record as an RFC 6587 octet-counted frame: the message's length in
 * bytes, a space, and the RFC 5424 message ({@linkcode formatSyslog}), as
 * UTF-8; no trailing newline.
 *
 * @param record The record.
 * @param options The facility and the receiver's HOSTNAME.
 * @returns The frame's bytes.
 */
export function syslogFrame(
  record: PythonLogRecord,
  options: SyslogOptions,
): Uint8Array {
  return utf8Frame(formatSyslog(record, options), octetCount);
}
