// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode SocketHandler}: an `@std/log` handler that sends every record to
 * a Python receiver exactly as Python's `logging.handlers.SocketHandler`
 * does, without ever blocking or throwing into the application.
 *
 * @module
 */
import { BaseHandler, type BaseHandlerOptions } from "@std/log/base-handler";
import type { LevelName, LogRecord } from "@std/log/base-handler";
import {
  type CallerInfo,
  captureCaller,
  fromStdLogRecord,
  recordDict,
} from "./record.ts";
import { dumpsFrame, type PickleProtocol } from "./pickle.ts";
import {
  type DropNotice,
  type EngineStats,
  type FlushResult,
  type OverflowPolicy,
  SocketEngine,
} from "./socket.ts";
import {
  connectTls,
  DEFAULT_HANDSHAKE_TIMEOUT,
  type TlsOptions,
  validateTlsOptions,
} from "./tls.ts";

/** Python's `logging.handlers.DEFAULT_TCP_LOGGING_PORT`. */
export const DEFAULT_TCP_LOGGING_PORT = 9020;

/**
 * A record filter, as in Python: a function, or an object with a `filter`
 * method. A falsy result drops the record (it is not counted as emitted).
 */
export type Filter =
  | ((record: LogRecord) => unknown)
  | { filter(record: LogRecord): unknown };

/** Options of {@linkcode SocketHandler}. Durations are in milliseconds. */
export interface SocketHandlerOptions extends BaseHandlerOptions {
  /**
   * Host name or IP address of the receiver. Loopback names are resolved
   * by the OS; a name resolving to several addresses is tried in turn.
   *
   * @default {"localhost"}
   */
  hostname?: string;
  /**
   * TCP port of the receiver (1–65535).
   *
   * @default {9020}
   */
  port?: number;
  /**
   * Path of a Unix stream socket, instead of `hostname`/`port` (Python's
   * `SocketHandler(path, None)`). Needs `--allow-read` and `--allow-write`.
   */
  path?: string;
  /**
   * Connect over TLS (a receiver behind stunnel, or `LogReceiver` with
   * `tls`): trusted CAs, an optional client certificate for mutual TLS,
   * the name to verify and the handshake timeout. Certificate errors are
   * reported through `onError` (kind `"connect"`) and follow the
   * reconnection backoff; there is never a fallback to plaintext. Python's
   * SocketHandler has no TLS. See {@linkcode TlsOptions}.
   */
  tls?: TlsOptions;
  /**
   * Pickle protocol of the record dict, 1–5.
   *
   * @default {1} (as CPython's SocketHandler)
   */
  protocol?: PickleProtocol;
  /**
   * When true, an error while encoding a record (see
   * {@linkcode SocketHandler.prototype.handleError}) also closes the
   * connection, so the next record reconnects (Python's `closeOnError`).
   *
   * @default {false}
   */
  closeOnError?: boolean;
  /**
   * First reconnection delay after a failed connect, in milliseconds
   * (Python's `retryStart = 1.0` seconds).
   *
   * @default {1000}
   */
  retryStart?: number;
  /**
   * Multiplier applied to the delay after each failed connect.
   *
   * @default {2}
   */
  retryFactor?: number;
  /**
   * Cap of the reconnection delay, in milliseconds.
   *
   * @default {30000}
   */
  retryMax?: number;
  /**
   * Jitter as a fraction 0–1: each delay `d` is drawn uniformly from
   * `[d × (1 − jitter), d]`, so restarting fleets do not reconnect in step.
   *
   * @default {0.2}
   */
  jitter?: number;
  /**
   * Timeout of one connection attempt, in milliseconds (CPython's socket
   * timeout is 1 s).
   *
   * @default {1000}
   */
  connectTimeout?: number;
  /**
   * A write that makes no progress for this many milliseconds closes the
   * connection (stalled receiver); its frames are sent again, whole, after
   * reconnecting.
   *
   * @default {10000}
   */
  writeTimeout?: number;
  /**
   * Maximum number of records waiting to be sent.
   *
   * @default {10000}
   */
  maxQueueRecords?: number;
  /**
   * Maximum number of bytes waiting to be sent.
   *
   * @default {8388608} (8 MiB)
   */
  maxQueueBytes?: number;
  /**
   * What to drop when a bound is reached: the oldest queued record, or the
   * new one. Drops are counted and announced to the receiver.
   *
   * @default {"drop-oldest"}
   */
  overflow?: OverflowPolicy;
  /**
   * How long a natural process exit may wait for queued records to be
   * delivered, in milliseconds.
   *
   * @default {2000}
   */
  exitTimeout?: number;
  /**
   * Records are coalesced into writes of at most this many bytes.
   *
   * @default {262144}
   */
  maxBatchBytes?: number;
  /**
   * Fill `pathname`, `filename`, `module`, `lineno` and `funcName` from the
   * logging call site. Off by default: it costs a stack capture per record.
   *
   * @default {false}
   */
  includeCallerInfo?: boolean;
  /**
   * Receives transport and encoding errors, rate-limited to one call per
   * kind per `errorInterval`. Without it they go to stderr, rate-limited
   * the same way. Errors never reach the logging call.
   */
  onError?: (error: Error, kind: string) => void;
  /**
   * Rate-limit interval of `onError`, in milliseconds.
   *
   * @default {60000}
   */
  errorInterval?: number;
  /** Filters applied after the level check; see {@linkcode Filter}. */
  filters?: Filter[];
  /**
   * Logger name of the synthetic WARNING record that announces dropped
   * records to the receiver.
   *
   * @default {"pylogging.socket_handler"}
   */
  noticeLoggerName?: string;
}

function fail(kind: "type" | "range", message: string): never {
  throw kind === "type" ? new TypeError(message) : new RangeError(message);
}

function checkNumber(
  name: string,
  value: number | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  integer = false,
): void {
  if (value === undefined) return;
  if (typeof value !== "number" || Number.isNaN(value)) {
    fail("type", `Cannot create SocketHandler as '${name}' must be a number`);
  }
  if (value < min || value > max || (integer && !Number.isInteger(value))) {
    const what = integer ? "an integer" : "a number";
    fail(
      "range",
      `Cannot create SocketHandler as '${name}' must be ${what} from ${min} to ${max}: current value is ${value}`,
    );
  }
}

function validate(options: SocketHandlerOptions): void {
  const { hostname, port, path } = options;
  if (path !== undefined) {
    if (port !== undefined || hostname !== undefined) {
      fail(
        "type",
        "Cannot create SocketHandler as 'path' excludes 'hostname' and 'port': give either a Unix socket path or a host and port",
      );
    }
    if (typeof path !== "string" || path.length === 0) {
      fail(
        "type",
        "Cannot create SocketHandler as 'path' must be a non-empty string",
      );
    }
  }
  if (
    hostname !== undefined &&
    (typeof hostname !== "string" || hostname.trim().length === 0)
  ) {
    fail(
      "type",
      "Cannot create SocketHandler as 'hostname' must be a non-empty string",
    );
  }
  checkNumber("port", port, 1, 65535, true);
  checkNumber("protocol", options.protocol, 1, 5, true);
  checkNumber("retryStart", options.retryStart, 1);
  checkNumber("retryFactor", options.retryFactor, 1);
  checkNumber("retryMax", options.retryMax, options.retryStart ?? 1);
  checkNumber("jitter", options.jitter, 0, 1);
  checkNumber("connectTimeout", options.connectTimeout, 1);
  checkNumber("writeTimeout", options.writeTimeout, 1);
  checkNumber("maxQueueRecords", options.maxQueueRecords, 1, 2 ** 32, true);
  checkNumber("maxQueueBytes", options.maxQueueBytes, 1, 2 ** 52, true);
  checkNumber("exitTimeout", options.exitTimeout, 0);
  checkNumber("maxBatchBytes", options.maxBatchBytes, 1, 2 ** 31, true);
  checkNumber("errorInterval", options.errorInterval, 0);
  const { overflow } = options;
  if (
    overflow !== undefined && overflow !== "drop-oldest" &&
    overflow !== "drop-newest"
  ) {
    fail(
      "type",
      `Cannot create SocketHandler as 'overflow' must be "drop-oldest" or "drop-newest": current value is ${
        JSON.stringify(overflow)
      }`,
    );
  }
}

function formatNotice(notice: DropNotice): string {
  const reasons = Object.entries(notice.byReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(", ");
  const first = new Date(notice.firstDropMs).toISOString();
  const last = new Date(notice.lastDropMs).toISOString();
  return `${notice.dropped} records dropped between ${first} and ${last} (${reasons})`;
}

/**
 * Sends `@std/log` records to a Python receiver, in the wire format of
 * Python's `logging.handlers.SocketHandler`: a 4-byte big-endian length,
 * then a pickle of the LogRecord `__dict__` with `msg` rendered and `args`
 * and `exc_info` set to None.
 *
 * Unlike Python's handler it never blocks the caller: `handle()` encodes the
 * record synchronously into a bounded queue and returns; one background
 * writer delivers the queue in order, reconnecting with jittered
 * exponential backoff. Nothing is lost silently: drops are counted by
 * reason in {@linkcode SocketHandler.prototype.stats}, and announced to the
 * receiver by a WARNING record once the connection is back.
 *
 * The methods keep the names of Python's `SocketHandler` (`emit`,
 * `makePickle`, `makeSocket`, `createSocket`, `send`, `handleError`, …) and
 * are override points.
 *
 * @example Usage with `@std/log`
 * ```ts ignore
 * import * as log from "@std/log";
 * import { SocketHandler } from "@pylogging/socket-handler";
 *
 * const handler = new SocketHandler("INFO", { hostname: "127.0.0.1", port: 9020 });
 * log.setup({
 *   handlers: { python: handler },
 *   loggers: { default: { level: "DEBUG", handlers: ["python"] } },
 * });
 * log.getLogger().info("user %s logged in", "alice", { request_id: 42 });
 * await handler.close(); // or let the program end: queued records are delivered
 * ```
 */
export class SocketHandler extends BaseHandler implements AsyncDisposable {
  /** Host name of the receiver (undefined for a Unix socket). */
  readonly hostname: string | undefined;
  /** Port of the receiver (undefined for a Unix socket). */
  readonly port: number | undefined;
  /** Path of the Unix socket (undefined for TCP). */
  readonly path: string | undefined;
  /** TLS options (undefined for plain TCP or a Unix socket). */
  readonly tls: Readonly<TlsOptions> | undefined;
  /** Pickle protocol used by {@linkcode SocketHandler.prototype.makePickle}. */
  protocol: PickleProtocol;
  /** Python's `closeOnError`. */
  closeOnError: boolean;
  /** Whether caller information is captured per record. */
  includeCallerInfo: boolean;
  /** The handler's filters, applied in order after the level check. */
  readonly filters: Filter[];
  /** Logger name of the dropped-records notice. */
  noticeLoggerName: string;

  #engine: SocketEngine;
  #defaultFormatter: BaseHandler["formatter"] | undefined;
  #destroyPending = false;
  #connectTimeout: number;

  /**
   * Creates a handler. No I/O happens until the first record.
   *
   * @param levelName The minimum `@std/log` level handled.
   * @param options Target, queue, backoff and encoding options.
   * @throws {TypeError} If an option has the wrong type or `path` is given
   * together with `hostname`/`port`.
   * @throws {RangeError} If a numeric option is out of range.
   */
  constructor(levelName: LevelName, options: SocketHandlerOptions = {}) {
    super(levelName, options);
    this.#defaultFormatter = options.formatter === undefined
      ? this.formatter
      : undefined;
    validate(options);
    validateTlsOptions(
      options.tls,
      "SocketHandler",
      options.path !== undefined,
    );
    this.tls = options.tls === undefined ? undefined : Object.freeze({
      ...options.tls,
      ...(options.tls.caCerts && { caCerts: [...options.tls.caCerts] }),
    });
    this.#connectTimeout = options.connectTimeout ?? 1000;
    if (options.path !== undefined) {
      this.path = options.path;
      this.hostname = undefined;
      this.port = undefined;
    } else {
      this.path = undefined;
      this.hostname = options.hostname ?? "localhost";
      this.port = options.port ?? DEFAULT_TCP_LOGGING_PORT;
    }
    this.protocol = options.protocol ?? 1;
    this.closeOnError = options.closeOnError ?? false;
    this.includeCallerInfo = options.includeCallerInfo ?? false;
    this.filters = [...(options.filters ?? [])];
    this.noticeLoggerName = options.noticeLoggerName ??
      "pylogging.socket_handler";
    this.#engine = new SocketEngine({
      connect: (signal) => this.makeSocket(signal),
      write: (conn, data) => this.send(data, conn),
      dropNotice: (notice) => this.makeDropNotice(notice),
      ...pick(options),
      // With TLS the engine's bound covers connect + handshake; makeSocket
      // applies each timeout separately.
      ...(this.tls && {
        connectTimeout: this.#connectTimeout +
          (this.tls.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT),
      }),
    });
  }

  /** The current connection, if one is open. */
  get sock(): Deno.Conn | undefined {
    return this.#engine.sock;
  }

  /**
   * Sets the handler's level (a level name such as `"WARN"`, or a number).
   *
   * @param level The new minimum level.
   * @throws {Error} If the level is unknown to `@std/log`.
   */
  setLevel(level: LevelName | number): void {
    if (typeof level === "number") {
      this.level = level as BaseHandler["level"];
    } else {
      this.levelName = level;
    }
  }

  /**
   * Sets the formatter. With a formatter, its output becomes the record's
   * `msg`; without one, `msg` is rendered from the record's message and
   * arguments like Python's `LogRecord.getMessage()`.
   *
   * @param formatter The formatter, or undefined to go back to the default.
   */
  setFormatter(formatter: BaseHandler["formatter"] | undefined): void {
    if (formatter === undefined) {
      this.formatter = this.#defaultFormatter ?? this.formatter;
      this.#defaultFormatter ??= this.formatter;
    } else {
      this.formatter = formatter;
    }
  }

  /**
   * Adds a filter (no-op if it is already present).
   *
   * @param filter The filter to add.
   */
  addFilter(filter: Filter): void {
    if (!this.filters.includes(filter)) this.filters.push(filter);
  }

  /**
   * Removes a filter.
   *
   * @param filter The filter to remove.
   */
  removeFilter(filter: Filter): void {
    const i = this.filters.indexOf(filter);
    if (i >= 0) this.filters.splice(i, 1);
  }

  /**
   * Applies the filters in order; false as soon as one rejects the record.
   * A throwing filter rejects the record and is reported through
   * `onError`.
   *
   * @param record The record.
   * @returns Whether the record should be emitted.
   */
  filter(record: LogRecord): boolean {
    for (const f of this.filters) {
      try {
        const ok = typeof f === "function" ? f(record) : f.filter(record);
        if (!ok) return false;
      } catch (error) {
        this.#engine.reportError(error, "filter");
        return false;
      }
    }
    return true;
  }

  /**
   * Checks the level and the filters, then emits the record. Never throws.
   *
   * @param record The record from `@std/log`.
   * @returns Whether the record passed the level and the filters.
   */
  override handle(record: LogRecord): boolean {
    try {
      if (this.level > record.level) return false;
      if (!this.filter(record)) return false;
    } catch (error) {
      this.#engine.reportError(error, "filter");
      return false;
    }
    try {
      this.emit(record);
    } catch (error) {
      this.handleError(record, error);
    }
    return true;
  }

  /**
   * Encodes the record with {@linkcode SocketHandler.prototype.makePickle}
   * and queues the frame for the writer. Synchronous and O(1) apart from
   * the encoding; a record that cannot be encoded goes to
   * {@linkcode SocketHandler.prototype.handleError}.
   *
   * @param record The record.
   */
  emit(record: LogRecord): void {
    let frame: Uint8Array;
    try {
      frame = this.makePickle(record);
    } catch (error) {
      this.handleError(record, error);
      return;
    }
    this.#engine.enqueue(frame);
  }

  /**
   * Maps an `@std/log` record to the Python LogRecord `__dict__` (the
   * override point between the record and its pickle).
   *
   * @param record The record.
   * @returns The dict to pickle.
   */
  makeRecordDict(record: LogRecord): Record<string, unknown> {
    const caller: CallerInfo | undefined = this.includeCallerInfo
      ? captureCaller()
      : undefined;
    const dict = fromStdLogRecord(record, caller);
    if (this.#defaultFormatter !== this.formatter) {
      dict.msg = this.format(record);
    }
    return dict;
  }

  /**
   * The exact wire bytes of one record: a 4-byte big-endian length, then
   * the pickle of {@linkcode SocketHandler.prototype.makeRecordDict}.
   *
   * @param record The record.
   * @returns The frame.
   */
  makePickle(record: LogRecord): Uint8Array {
    return dumpsFrame(this.makeRecordDict(record), {
      protocol: this.protocol,
    });
  }

  /**
   * Builds the frame of the WARNING record that tells the receiver how many
   * records were dropped, and why.
   *
   * @param notice The drop counts.
   * @returns The frame, or undefined to send no notice.
   */
  makeDropNotice(notice: DropNotice): Uint8Array | undefined {
    const dict = recordDict({
      name: this.noticeLoggerName,
      level: 30,
      msg: formatNotice(notice),
      timeMs: Date.now(),
      extra: {
        dropped: notice.dropped,
        dropped_by_reason: { ...notice.byReason },
      },
    });
    return dumpsFrame(dict, { protocol: this.protocol });
  }

  /**
   * Writes all of `data` to the connection, looping over partial writes
   * (the engine's write loop, which also drives the stalled-write
   * watchdog). Called by the background writer with batches of whole
   * frames; it may reject, in which case the frames not fully written are
   * sent again, whole, on the next connection.
   *
   * @param data The bytes to write.
   * @param conn The connection (defaults to the current one).
   */
  async send(
    data: Uint8Array,
    conn: Deno.Conn | undefined = this.sock,
  ): Promise<void> {
    if (conn === undefined) {
      throw new Deno.errors.NotConnected("SocketHandler is not connected");
    }
    await this.#engine.writeAll(conn, data);
  }

  /**
   * Opens a connection to the receiver (the connection factory). Override
   * it for other transports; it must honour `signal`.
   *
   * @param signal Aborted on connect timeout or close.
   * @returns The connection.
   */
  async makeSocket(signal: AbortSignal): Promise<Deno.Conn> {
    if (this.path !== undefined) {
      // Unix connects take no signal; the engine abandons a hung attempt.
      return await Deno.connect({ transport: "unix", path: this.path });
    }
    if (this.tls !== undefined) {
      return await connectTls({
        hostname: this.hostname ?? "localhost",
        port: this.port ?? DEFAULT_TCP_LOGGING_PORT,
        tls: this.tls,
        connectTimeout: this.#connectTimeout,
      }, signal);
    }
    const conn = await Deno.connect({
      hostname: this.hostname ?? "localhost",
      port: this.port ?? DEFAULT_TCP_LOGGING_PORT,
      signal,
    });
    conn.setNoDelay(true);
    return conn;
  }

  /**
   * Connects now if the backoff schedule allows (Python's `createSocket`).
   *
   * @returns Whether a connection is open afterwards.
   */
  createSocket(): Promise<boolean> {
    return this.#engine.createSocket();
  }

  /**
   * Called when a record cannot be encoded: the record is counted as
   * dropped (reason `"encode"`), the error is reported through `onError`
   * (rate-limited), and with `closeOnError` the connection is closed.
   *
   * @param record The record.
   * @param error What went wrong.
   */
  handleError(record: LogRecord, error: unknown): void {
    try {
      this.#engine.countDrop("encode");
      const message = error instanceof Error ? error.message : String(error);
      const wrapped = new Error(
        `Cannot send record of logger '${record.loggerName}': ${message}`,
        { cause: error },
      );
      this.#engine.reportError(wrapped, "encode");
      if (this.closeOnError) this.#engine.closeSocket();
    } catch {
      // handleError must never throw
    }
  }

  /**
   * Kept for `@std/log`'s abstract method; the handler sends records, not
   * formatted strings, so this does nothing.
   *
   * @param _msg Ignored.
   */
  log(_msg: string): void {}

  /**
   * Python's `createLock`. The I/O lock is created with the handler; this
   * is kept for familiarity and does nothing.
   */
  createLock(): void {}

  /**
   * Takes the I/O lock: exclusive use of the connection between frames
   * (the writer holds it while writing a batch).
   *
   * @returns Resolves when the lock is held.
   */
  acquire(): Promise<void> {
    return this.#engine.acquire();
  }

  /** Releases the I/O lock. */
  release(): void {
    this.#engine.release();
  }

  /**
   * Waits until every record queued before the call is written, or until
   * the deadline.
   *
   * @param timeout Deadline in milliseconds (default: no deadline).
   * @returns Counts after the flush; never rejects.
   */
  flush(timeout?: number): Promise<FlushResult> {
    return this.#engine.flush(timeout);
  }

  /**
   * Drains the queue (up to `timeout` ms, default `exitTimeout`), then
   * closes the connection. Records still queued, and records handled
   * afterwards, are counted as dropped (reason `"closed"`).
   *
   * @param timeout Deadline in milliseconds.
   * @returns Counts after closing; never rejects.
   */
  close(timeout?: number): Promise<FlushResult> {
    return this.#engine.close(timeout);
  }

  /**
   * Counters and state: emitted, sent, dropped by reason, pending records
   * and bytes, connects, reconnects, last error. `emitted` always equals
   * `sent + dropped + pendingRecords`.
   *
   * @returns A snapshot.
   */
  stats(): EngineStats {
    return this.#engine.stats();
  }

  /**
   * `@std/log` calls this from `setup()`: cancels a pending
   * {@linkcode SocketHandler.prototype.destroy} (setup() destroys the old
   * handlers, then sets up the new ones, so re-passing the same handler must
   * lose nothing) and re-opens a closed handler.
   */
  override setup(): void {
    this.#destroyPending = false;
    this.#engine.reopen();
  }

  /**
   * `@std/log` calls this from `setup()` and on dispose: starts closing
   * (drain up to `exitTimeout`, then close) without waiting, unless
   * `setup()` is called again in the same synchronous run. Records handled
   * after the close are counted as dropped until `setup()` re-opens the
   * handler.
   */
  override destroy(): void {
    if (this.#destroyPending) return;
    this.#destroyPending = true;
    queueMicrotask(() => {
      if (!this.#destroyPending) return;
      this.#destroyPending = false;
      this.#engine.closeSoon().catch(() => {});
    });
  }

  /** Closes the handler and waits for the drain (see `close()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function pick(options: SocketHandlerOptions) {
  const out: Omit<
    ConstructorParameters<typeof SocketEngine>[0],
    "connect" | "write" | "dropNotice"
  > = {};
  const keys = [
    "retryStart",
    "retryFactor",
    "retryMax",
    "jitter",
    "connectTimeout",
    "writeTimeout",
    "maxQueueRecords",
    "maxQueueBytes",
    "overflow",
    "exitTimeout",
    "maxBatchBytes",
    "onError",
    "errorInterval",
  ] as const;
  for (const key of keys) {
    if (options[key] !== undefined) {
      (out as Record<string, unknown>)[key] = options[key];
    }
  }
  return out;
}
