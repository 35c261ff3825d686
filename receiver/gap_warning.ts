// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The WARNING record a receiver puts into its record stream when records
 * of a sender are missing ({@linkcode gapWarning}): logger
 * {@linkcode GAP_LOGGER}, level WARNING (30), message `missing 3 records
 * from sender host:12:1a2b3c4d, seq 41–43`, and the attributes `sender`,
 * `missing`, `seqFirst` and `seqLast` for programs that act on it.
 *
 * @module
 */
import type { PythonLogRecord } from "./python_log_record.ts";
import { makeLogRecord } from "./record.ts";
import type { GapNotice } from "./sequence.ts";

/** The logger name of the receiver's own records. */
export const GAP_LOGGER = "pylogging.receiver";

/**
 * The WARNING record announcing missing records.
 *
 * @param notice The gaps announced.
 * @returns The record (its time is now).
 */
export function gapWarning(notice: GapNotice): PythonLogRecord {
  const { sender, missing, first, last, gaps } = notice;
  const range = first === last ? `${first}` : `${first}–${last}`;
  const shape = gaps > 1 ? ` (${gaps} gaps)` : "";
  return makeLogRecord({
    name: GAP_LOGGER,
    msg: `missing ${missing} record${
      missing === 1 ? "" : "s"
    } from sender ${sender}, seq ${range}${shape}`,
    args: null,
    levelname: "WARNING",
    levelno: 30,
    created: Date.now() / 1000,
    sender,
    missing,
    seqFirst: first,
    seqLast: last,
  });
}
