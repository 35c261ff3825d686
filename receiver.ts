// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode LogReceiver}: a safe, bounded TCP / Unix-socket / TLS / UDP
 * server for the frames that Python's `logging.handlers.SocketHandler` (and
 * this package's `SocketHandler`) send: a 4-byte big-endian length followed
 * by a pickled `LogRecord.__dict__`.
 *
 * Unlike the logging cookbook's receiver, it never runs code from the wire
 * (pickles are decoded by an allowlist decoder), bounds frame sizes and its
 * record buffer, isolates every connection (a bad frame closes only its own
 * connection) and validates each record's field types
 * ({@linkcode makeLogRecord}).
 *
 * @example Receive a record
 * ```ts
 * import { LogReceiver } from "@pylogging/socket-handler/receiver";
 * import { dumpsFrame } from "@pylogging/socket-handler/pickle";
 * import { equal } from "node:assert/strict";
 *
 * await using receiver = new LogReceiver({ port: 0 }); // a free port
 * // A sender: what Python's SocketHandler writes for one record.
 * using conn = await Deno.connect({ port: receiver.port });
 * await conn.write(dumpsFrame({
 *   name: "app",
 *   msg: "%d users",
 *   args: [3],
 *   levelno: 20,
 *   levelname: "INFO",
 * }));
 * const [record] = await receiver.next(1, { timeout: 5000 });
 * equal(record!.name, "app");
 * equal(record!.getMessage(), "[3] users");
 * ```
 *
 * @example Serve forever
 * ```ts ignore
 * import { LogReceiver } from "@pylogging/socket-handler/receiver";
 *
 * const receiver = new LogReceiver({ port: 9020 });
 * for await (const record of receiver) {
 *   console.log(record.created, record.levelname, record.name, record.getMessage());
 * }
 * ```
 *
 * The parts, in `receiver/`: the record model (`record.ts`, with the type
 * of `python_log_record.ts` and the field table of `fields.ts`), the
 * options (`options.ts`), the listeners (`listeners.ts`), a connection's
 * frame reading (`conn.ts`), a datagram (`udp.ts`), the record buffer
 * (`buffer.ts`), the per-sender sequence tracking (`sequence.ts`) and its
 * warnings (`gap_warning.ts`), the acknowledgements (`acks.ts`), and
 * `LogReceiver` itself (`log_receiver.ts`), which wires them. The forward
 * targets (option `forward`: RFC 5424 syslog or NDJSON to rsyslog,
 * syslog-ng, Vector, Fluent Bit…) are in `forward/`.
 *
 * @module
 */
export type { LoadsOptions } from "./pickle/decoder.ts";
export { PyObject } from "./pickle/py_object.ts";
export { STANDARD_FIELDS } from "./record/schema.ts";
export { makeLogRecord } from "./receiver/record.ts";
export type { PythonLogRecord } from "./receiver/python_log_record.ts";
export {
  type CloseReason,
  ReceiverError,
  type ReceiverErrorKind,
  ReceiveTimeoutError,
} from "./receiver/errors.ts";
export type {
  LogReceiverOptions,
  ReceiverTlsOptions,
} from "./receiver/options.ts";
export type {
  ConnectionInfo,
  ConnectionStats,
  ForwardStats,
  ReceiverStats,
  SequenceStats,
} from "./receiver/stats.ts";
export type {
  ForwardTarget,
  SyslogFacilityName,
  TlsOptions,
} from "./forward/target.ts";
export type { DropReason, EngineState } from "./socket.ts";
export type { NextOptions } from "./receiver/buffer.ts";
export { LogReceiver } from "./receiver/log_receiver.ts";
