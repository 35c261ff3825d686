// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Ship Deno logs to Python. {@linkcode SocketHandler} is an `@std/log`
 * handler that sends every record to a Python receiver byte for byte as
 * Python's `logging.handlers.SocketHandler` does: a 4-byte big-endian length,
 * then a protocol-1 pickle of the LogRecord `__dict__`. Any Python 2.7–3.13
 * receiver doing `pickle.loads` + `logging.makeLogRecord` accepts it.
 *
 * Unlike Python's handler, logging never blocks or throws: records are
 * encoded synchronously into a bounded queue, and one background writer
 * delivers them in order, reconnecting with jittered exponential backoff.
 * Every record is accounted for: `stats()` gives
 * `emitted == sent + dropped + pendingRecords`, drops are counted by reason
 * and announced to the receiver.
 *
 * This entry point exports the two `@std/log` handlers, their option, stats
 * and flush-result types, and `pyFloat`/`pyTuple` for values that must
 * arrive as a Python `float` or `tuple`. The safe receiver is in
 * `@pylogging/socket-handler/receiver`, the LogTape sink in
 * `@pylogging/socket-handler/logtape`, the pickle codec in
 * `@pylogging/socket-handler/pickle`.
 *
 * @example Log through @std/log, receive safely, check what arrived
 * ```ts
 * import * as log from "@std/log";
 * import { SocketHandler } from "@pylogging/socket-handler";
 * import { LogReceiver } from "@pylogging/socket-handler/receiver";
 * import { equal } from "node:assert/strict";
 *
 * await using receiver = new LogReceiver({ port: 0 });
 * await using handler = new SocketHandler("INFO", {
 *   hostname: "127.0.0.1",
 *   port: receiver.port,
 * });
 * log.setup({
 *   handlers: { python: handler },
 *   loggers: { app: { level: "INFO", handlers: ["python"] } },
 * });
 *
 * log.getLogger("app").warn("disk %d%% full", 93, { host: "db1" });
 *
 * const [record] = await receiver.next(1, { timeout: 5000 });
 * equal(record!.name, "app");
 * equal(record!.levelname, "WARNING");
 * equal(record!.getMessage(), "disk 93% full");
 * equal(record!.extra.host, "db1");
 * log.setup({ handlers: {}, loggers: {} });
 * ```
 *
 * @module
 */
export {
  type Connection,
  DEFAULT_TCP_LOGGING_PORT,
  RecordTooLargeError,
  SocketHandler,
  type SocketHandlerOptions,
} from "./handler.ts";
export {
  DatagramConnection,
  DatagramHandler,
  type DatagramHandlerOptions,
  DEFAULT_UDP_LOGGING_PORT,
  MAX_DATAGRAM_BYTES_IPV4,
  MAX_DATAGRAM_BYTES_IPV6,
} from "./datagram.ts";
export {
  type Filter,
  PythonHandler,
  type PythonHandlerOptions,
} from "./python_handler.ts";
export type {
  DropNotice,
  DropReason,
  EngineState,
  EngineStats,
  FlushResult,
  OverflowPolicy,
} from "./socket.ts";
export type {
  EngineTuning,
  QueueOptions,
  SocketOptions,
} from "./transport/options.ts";
export type { SpoolOptions, TlsOptions } from "./transport/options.ts";
export {
  type PickleProtocol,
  PyFloat,
  pyFloat,
  PyTuple,
  pyTuple,
} from "./pickle.ts";
export type { CallerInfo, RecordFields, RecordInput } from "./record.ts";
