// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A record as the web viewer sends it: the CLI's lossless JSON object
 * ({@linkcode formatJson}) plus `"$id"` (a number, increasing per viewer)
 * and `"$from"` (the sender's `sender` attribute, else the connection's
 * `host:port`).
 *
 * @module
 */
import { formatJson } from "../receiver/json_record.ts";
import type { PythonLogRecord } from "../receiver/python_log_record.ts";
import type { ConnectionInfo } from "../receiver/stats.ts";
import { escapeControls } from "../text/terminal_safe.ts";

/**
 * Where a record came from: its str `sender` attribute, else the peer's
 * host and the record's `process` (`127.0.0.1 pid 4242`, so that one
 * process's reconnections stay one sender), else the peer's `host:port`
 * (`[v6]:port`); for a Unix socket, the peer's path (often unnamed:
 * `unix`) and the `process`.
 *
 * @param record The record.
 * @param from Its connection, or a text naming the source.
 * @returns The text of `"$from"`.
 */
export function recordFrom(
  record: PythonLogRecord,
  from: ConnectionInfo | string,
): string {
  const sender = record.extra.sender;
  if (typeof sender === "string") return sender;
  if (typeof from === "string") return from;
  const addr = from.remoteAddr;
  const pid = record.process;
  const hasPid = typeof pid === "number" && Number.isSafeInteger(pid);
  if ("path" in addr) {
    const where = addr.path || addr.transport; // a Unix peer is often unnamed
    return hasPid ? `${where} pid ${pid}` : where;
  }
  if (!("hostname" in addr)) return addr.transport;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  return hasPid ? `${host} pid ${pid}` : `${host}:${addr.port}`;
}

/**
 * One record's JSON for the viewer. `$id` and `$from` come last, so they
 * win over extras of the same names when parsed.
 *
 * @param record The record.
 * @param id Its number in this viewer.
 * @param from Its source (see {@linkcode recordFrom}).
 * @returns The JSON text (no newline, no control character).
 */
export function recordJson(
  record: PythonLogRecord,
  id: number,
  from: string,
): string {
  let text: string;
  try {
    text = formatJson(record);
  } catch (e) {
    text = JSON.stringify({
      $problems: [`Cannot format record: ${(e as Error)?.message ?? e}`],
    });
  }
  const tail = `"$id":${id},"$from":${JSON.stringify(escapeControls(from))}}`;
  return text === "{}" ? `{${tail}` : `${text.slice(0, -1)},${tail}`;
}
