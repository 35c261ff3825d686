// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * What can go wrong in a receiver: why a connection ended
 * ({@linkcode CloseReason}), the problems reported through `onError`
 * ({@linkcode ReceiverError}) and the timeout of `next()`
 * ({@linkcode ReceiveTimeoutError}).
 *
 * @module
 */
import { UnpicklingError } from "../pickle/errors.ts";
import type { PythonLogRecord } from "./python_log_record.ts";

/**
 * Why a connection ended:
 * - `eof`: the sender closed it between frames (normal);
 * - `frame-too-large`: a length prefix above `maxFrameBytes`;
 * - `bad-pickle`: not a reason to close any more (a frame the safe decoder
 *   rejects is skipped and the connection goes on), kept for compatibility;
 *   as a {@linkcode ReceiverErrorKind}, a skipped frame;
 * - `torn-frame`: EOF in the middle of a frame;
 * - `idle-timeout`: no byte for `idleTimeout` ms;
 * - `read-error`: the socket failed (e.g. `ConnectionReset`);
 * - `too-many-connections`: no longer used (at `maxConnections` the
 *   longest-idle connection is evicted instead), kept for compatibility;
 * - `evicted`: closed to make room for a new connection at
 *   `maxConnections` (or when out of file descriptors), being the one
 *   without a complete frame for the longest time;
 * - `slow`: held a partial frame while reading slower than `minReadRate`,
 *   or for longer than `frameTimeout` (slowloris);
 * - `receiver-closed`: {@linkcode LogReceiver.prototype.close} was called.
 */
export type CloseReason =
  | "eof"
  | "frame-too-large"
  | "bad-pickle"
  | "torn-frame"
  | "idle-timeout"
  | "read-error"
  | "too-many-connections"
  | "evicted"
  | "slow"
  | "receiver-closed";

/**
 * Kind of a {@linkcode ReceiverError}: a {@linkcode CloseReason} other than
 * `eof`/`receiver-closed`, or
 * - `invalid-record`: a record with `problems` (it is still delivered);
 * - `callback-error`: `onRecord` threw or rejected;
 * - `accept-error`: accepting a connection failed;
 * - `tls-error`: a TLS handshake failed (e.g. no or untrusted client
 *   certificate when `tls.caCerts` is set);
 * - `bad-datagram` (UDP): a datagram shorter than 4 bytes, or whose length
 *   prefix is not its size minus 4;
 * - `datagram-dropped` (UDP): a record dropped because the buffer was full
 *   (UDP has no backpressure);
 * - `forward`: a forward target (option `forward`) cannot be reached, or
 *   dropped records (its queue was full, the receiver closed before they
 *   were sent); the message starts with the target's URL, and each kind
 *   of problem of a target is reported at most once a minute.
 */
export type ReceiverErrorKind =
  | Exclude<CloseReason, "eof" | "receiver-closed">
  | "invalid-record"
  | "callback-error"
  | "accept-error"
  | "tls-error"
  | "bad-datagram"
  | "datagram-dropped"
  | "forward";

/** A problem reported through `onError`; the receiver keeps running. */
export class ReceiverError extends Error {
  /** What went wrong. */
  readonly kind: ReceiverErrorKind;
  /** The record, for `invalid-record`. */
  readonly record: PythonLogRecord | undefined;
  /**
   * Constructs a ReceiverError.
   *
   * @param kind What went wrong.
   * @param message The message.
   * @param options `cause` and, for `invalid-record`, the record.
   */
  constructor(
    kind: ReceiverErrorKind,
    message: string,
    options?: { cause?: unknown; record?: PythonLogRecord },
  ) {
    super(
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ReceiverError";
    this.kind = kind;
    this.record = options?.record;
  }
}

/** Thrown by {@linkcode LogReceiver.prototype.next} on timeout. */
export class ReceiveTimeoutError extends Error {
  /** The records that did arrive (fewer than requested). */
  readonly records: PythonLogRecord[];
  /**
   * Constructs a ReceiveTimeoutError.
   *
   * @param message The message.
   * @param records The records that did arrive.
   */
  constructor(message: string, records: PythonLogRecord[]) {
    super(message);
    this.name = "ReceiveTimeoutError";
    this.records = records;
  }
}

/**
 * The text of a thrown value in a problem message: the message of a pickle
 * error, `Name: message` of another error.
 *
 * @param e The thrown value.
 * @returns The text.
 */
export function errorText(e: unknown): string {
  if (e instanceof UnpicklingError) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * The `invalid-record` problem of a record with `problems`.
 *
 * @param record A record whose `problems` are not empty.
 * @returns The error to report.
 */
export function invalidRecord(record: PythonLogRecord): ReceiverError {
  return new ReceiverError(
    "invalid-record",
    `Invalid record: ${record.problems.join("; ")}`,
    { record },
  );
}
