// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Receiving one UDP datagram (Python's `DatagramHandler`): the 4-byte
 * length prefix must be the datagram's size minus 4; the rest is one pickled
 * record. A bad datagram is reported and skipped; one whose pickle cannot be
 * decoded is also counted in `framesRefused`, and its reports are rate
 * limited.
 *
 * @module
 */
import { loads } from "../pickle/decoder.ts";
import {
  errorText,
  invalidRecord,
  ReceiverError,
  type ReceiverErrorKind,
} from "./errors.ts";
import type { Settings } from "./options.ts";
import type { PythonLogRecord } from "./python_log_record.ts";
import { makeLogRecord } from "./record.ts";
import type { ConnectionInfo, Counters } from "./stats.ts";
import { readLength } from "./conn.ts";
import type { RefusalReports } from "./refusals.ts";
import { refusalText } from "./refusals.ts";

/** What receiving a datagram needs from its receiver. */
export interface DatagramHost {
  /** The receiver's settings. */
  readonly settings: Settings;
  /** The receiver-wide counters. */
  readonly counters: Counters;
  /** Rate limiting of the `bad-pickle` reports. */
  readonly refusals: RefusalReports;
  /**
   * Reports a problem.
   *
   * @param error The problem.
   * @param from The sender (`id` 0).
   */
  notify(error: ReceiverError, from: ConnectionInfo): void;
  /**
   * Hands a decoded record over, without waiting (UDP has no
   * backpressure).
   *
   * @param record The record.
   * @param from The sender (`id` 0).
   * @returns `false` when the buffer was full (the record is dropped).
   */
  offer(record: PythonLogRecord, from: ConnectionInfo): boolean;
}

/**
 * Decodes one datagram and delivers its record.
 *
 * @param msg The datagram.
 * @param remoteAddr Its sender.
 * @param host The receiver.
 */
export function receiveDatagram(
  msg: Uint8Array,
  remoteAddr: Deno.NetAddr,
  host: DatagramHost,
): void {
  const { counters, settings } = host;
  counters.datagrams++;
  counters.bytes += msg.length;
  const info: ConnectionInfo = { id: 0, remoteAddr };
  const report = (kind: ReceiverErrorKind, text: string, cause?: unknown) =>
    host.notify(
      new ReceiverError(kind, text, cause === undefined ? {} : { cause }),
      info,
    );
  if (msg.length < 4) {
    report(
      "bad-datagram",
      `Datagram of ${msg.length} bytes has no 4-byte length prefix`,
    );
    return;
  }
  const len = readLength(msg, 0);
  if (len !== msg.length - 4) {
    report(
      "bad-datagram",
      `Datagram of ${msg.length} bytes has length prefix ${len}, expected ${
        msg.length - 4
      }`,
    );
    return;
  }
  if (len > settings.maxFrameBytes) {
    report(
      "frame-too-large",
      `Frame of ${len} bytes exceeds 'maxFrameBytes' (${settings.maxFrameBytes})`,
    );
    return;
  }
  let value: unknown;
  try {
    value = loads(msg.subarray(4), settings.loadsOptions);
  } catch (e) {
    counters.framesRefused++;
    const suppressed = host.refusals.next(Date.now());
    if (suppressed !== undefined) {
      report(
        "bad-pickle",
        refusalText("datagram", len, errorText(e), suppressed),
        e,
      );
    }
    return;
  }
  const record = makeLogRecord(value);
  counters.records++;
  if (record.problems.length > 0) {
    counters.invalid++;
    host.notify(invalidRecord(record), info);
  }
  if (!host.offer(record, info)) {
    counters.datagramsDropped++;
    report(
      "datagram-dropped",
      `Dropped a record from ${remoteAddr.hostname}:${remoteAddr.port} as the buffer is full (${settings.maxBuffered})`,
    );
  }
}
