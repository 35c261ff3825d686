// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode SocketHandler}: an `@std/log` handler that sends every record to
 * a Python receiver exactly as Python's `logging.handlers.SocketHandler`
 * does, without ever blocking or throwing into the application.
 *
 * @module
 */
import type { BaseHandler, BaseHandlerOptions } from "@std/log/base-handler";
import type {
  FormatterFunction,
  LevelName,
  LogLevel,
  LogRecord,
} from "@std/log/base-handler";
import type { LogLevels } from "@std/log/levels";
import {
  type Filter,
  PythonHandler,
  type PythonHandlerOptions,
} from "./python_handler.ts";
import { RecordFramer } from "./record/framer.ts";
import {
  type DropNotice,
  type EngineStats,
  type FlushResult,
  SocketEngine,
  type SocketEngineOptions,
} from "./socket.ts";
import type { Connection } from "./transport/connection.ts";
import type { TlsOptions } from "./transport/options.ts";
import {
  connectBudget,
  connectTo,
  type SocketTarget,
  socketTarget,
} from "./transport/connect.ts";
import {
  DEFAULT_TCP_LOGGING_PORT,
  DEFAULTS,
  type EngineTuning,
  engineTuning,
  frameLimit,
  type OptionOwner,
  type SocketOptions,
  validateOptions,
} from "./transport/options.ts";
import { dropNoticeInput } from "./record/drop_notice.ts";

export { DEFAULT_TCP_LOGGING_PORT };
export type {
  BaseHandler,
  BaseHandlerOptions,
  Connection,
  EngineTuning,
  Filter,
  FormatterFunction,
  LevelName,
  LogLevel,
  LogLevels,
  LogRecord,
  PythonHandlerOptions,
  SocketOptions,
  TlsOptions,
};

/**
 * Thrown by {@linkcode SocketHandler.prototype.makePickle} for a record whose
 * message alone exceeds `maxQueueBytes`; `emit` counts it as dropped with
 * reason `"oversize"`.
 */
export class RecordTooLargeError extends RangeError {
  /**
   * Creates the error.
   *
   * @param message What was too large.
   */
  constructor(message: string) {
    super(message);
    this.name = "RecordTooLargeError";
  }
}

function textLength(value: unknown): number {
  return typeof value === "string" ? value.length : 0;
}

/**
 * What a subclass of {@linkcode SocketHandler} changes about its transport
 * (`DatagramHandler`: UDP): which options it validates, where its receiver
 * is, and engine settings. A subclass passes it to the constructor under
 * {@linkcode TRANSPORT} in the options. Private to the package.
 */
export interface HandlerTransport<C extends Connection> {
  /** Whose options these are (the first words of option errors). */
  owner: OptionOwner;
  /**
   * Where the receiver is, from validated options.
   *
   * @param options The options.
   * @returns The target.
   */
  target(options: Readonly<Record<string, unknown>>): SocketTarget;
  /**
   * Engine settings that replace the stream's defaults.
   *
   * @param handler The handler being created (its subclass fields are not
   * set yet: use them only inside callbacks).
   * @param options The options.
   * @returns The settings.
   */
  engine(
    handler: SocketHandler<C>,
    options: Readonly<Record<string, unknown>>,
  ): Partial<SocketEngineOptions<C>>;
}

/** Options key of a subclass's {@linkcode HandlerTransport}. */
export const TRANSPORT: unique symbol = Symbol("SocketHandler transport");

/**
 * Options of {@linkcode SocketHandler}: the shared transport, queue and
 * backoff options ({@linkcode SocketOptions}), `@std/log`'s `formatter`, and
 * the handler's own. Durations are in milliseconds.
 */
export interface SocketHandlerOptions
  extends PythonHandlerOptions, SocketOptions {
  /**
   * When true, an error while encoding a record (see
   * {@linkcode SocketHandler.prototype.handleError}) also closes the
   * connection, so the next record reconnects (Python's `closeOnError`).
   *
   * @default {false}
   */
  closeOnError?: boolean;
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
export class SocketHandler<C extends Connection = Deno.Conn>
  extends PythonHandler
  implements AsyncDisposable {
  /** Host name of the receiver (undefined for a Unix socket). */
  readonly hostname: string | undefined;
  /** Port of the receiver (undefined for a Unix socket). */
  readonly port: number | undefined;
  /** Path of the Unix socket (undefined for TCP). */
  readonly path: string | undefined;
  /** TLS options (undefined for plain TCP or a Unix socket). */
  readonly tls: Readonly<TlsOptions> | undefined;
  /** Python's `closeOnError`. */
  closeOnError: boolean;
  /** Logger name of the dropped-records notice. */
  noticeLoggerName: string;

  #engine: SocketEngine<C>;
  #target: SocketTarget;
  /** The largest frame queued, and the option that sets it. */
  #limit: { bytes: number; option: string };
  #framerOf: RecordFramer | undefined;

  /**
   * Creates a handler. No I/O happens until the first record.
   *
   * @param levelName The minimum `@std/log` level handled.
   * @param options Target, queue, backoff and encoding options.
   * @throws {TypeError} If an option is unknown or has the wrong type, or
   * `path` is given together with `hostname`/`port`.
   * @throws {RangeError} If a numeric option is out of range.
   */
  constructor(levelName: LevelName, options: SocketHandlerOptions = {}) {
    super(levelName, options);
    const transport = (options as { [TRANSPORT]?: HandlerTransport<C> })[
      TRANSPORT
    ];
    validateOptions(transport?.owner ?? "SocketHandler", options);
    const given = options as Readonly<Record<string, unknown>>;
    this.#target = transport?.target(given) ?? socketTarget(options);
    this.#limit = frameLimit(options);
    this.hostname = this.#target.hostname;
    this.port = this.#target.port;
    this.path = this.#target.path;
    this.tls = this.#target.tls;
    this.closeOnError = options.closeOnError ?? false;
    this.noticeLoggerName = options.noticeLoggerName ??
      DEFAULTS.noticeLoggerName;
    this.#engine = new SocketEngine<C>({
      connect: (signal) => this.makeSocket(signal),
      write: (conn, data) => this.send(data, conn),
      dropNotice: (notice) => this.makeDropNotice(notice),
      ...engineTuning(options),
      connectTimeout: connectBudget(this.#target),
      ...transport?.engine(this, given),
    });
  }

  /** The current connection, if one is open. */
  get sock(): C | undefined {
    return this.#engine.sock;
  }

  /**
   * Encodes the record and queues the frame for the writer. Synchronous and
   * O(1) apart from the encoding; a record that cannot be encoded goes to
   * {@linkcode SocketHandler.prototype.handleError}. The frame is
   * {@linkcode SocketHandler.prototype.makePickle}'s; unless a subclass
   * overrides `makePickle` (or what it is made of), the record is framed
   * straight into the queue's byte ring, without a copy.
   *
   * @param record The record.
   */
  emit(record: LogRecord): void {
    try {
      const input = this.makePickle === SocketHandler.prototype.makePickle
        ? this.recordInput(record)
        : undefined;
      if (input !== undefined) {
        const framer = this.#framer();
        const max = this.#limit.bytes;
        if (framer.writeEvent(input, this.#engine, max) === undefined) {
          this.#checkSize(record, framer.textLength);
        }
        return;
      }
      this.#engine.enqueue(this.makePickle(record));
    } catch (error) {
      if (error instanceof RecordTooLargeError) {
        this.#engine.countDrop("oversize");
        this.#engine.reportError(error, "oversize");
      } else {
        this.handleError(record, error);
      }
    }
  }

  /**
   * The exact wire bytes of one record: a 4-byte big-endian length, then
   * the pickle of {@linkcode SocketHandler.prototype.makeRecordDict}
   * (through a {@linkcode RecordFramer}: the same bytes as `dumpsFrame`).
   * The record is read once; the common record (see
   * {@linkcode SocketHandler.prototype.makeRecordFields}) is framed from its
   * fields, without building the dict. A subclass's `makeRecordDict` or
   * `makeRecordFields` (or a formatter) is used when there is one. The
   * result is a view into a pooled buffer (see `DumpsOptions.pooled`):
   * read it through the view, not its `.buffer`.
   *
   * @param record The record.
   * @returns The frame.
   * @throws {RecordTooLargeError} If the message (with its traceback) is
   * longer than `maxQueueBytes`.
   */
  makePickle(record: LogRecord): Uint8Array {
    const framer = this.#framer();
    const input = this.recordInput(record);
    if (input !== undefined) {
      const frame = framer.frameEvent(input, this.#limit.bytes);
      if (frame === undefined) this.#checkSize(record, framer.textLength);
      return frame!;
    }
    // Through the subclass's makeRecordFields / makeRecordDict.
    const fields = this.protocol <= 3
      ? this.makeRecordFields(record)
      : undefined;
    if (fields !== undefined) {
      this.#checkSize(record, textLength(fields.msg));
      const frame = framer.frameFields(fields);
      if (frame !== undefined) return frame;
    }
    const dict = this.makeRecordDict(record);
    this.#checkSize(
      record,
      textLength(dict.msg) + textLength(dict.exc_text),
    );
    return framer.frame(dict);
  }

  /** The framer of the current protocol. */
  #framer(): RecordFramer {
    let framer = this.#framerOf;
    if (framer === undefined || framer.protocol !== this.protocol) {
      framer = this.#framerOf = new RecordFramer(this.protocol);
    }
    return framer;
  }

  /**
   * A message or traceback longer (in UTF-16 units, each at least one UTF-8
   * byte) than the queue's byte bound can never be queued: refuse it before
   * spending time and memory on encoding it.
   */
  #checkSize(record: LogRecord, size: number): void {
    if (size > this.#limit.bytes) {
      throw new RecordTooLargeError(
        `Cannot queue record of logger '${record.loggerName}' as its message is larger than '${this.#limit.option}' allows: current size is at least ${size} bytes, the bound is ${this.#limit.bytes}`,
      );
    }
  }

  /**
   * Builds the frame of the WARNING record that tells the receiver how many
   * records were dropped, and why.
   *
   * @param notice The drop counts.
   * @returns The frame, or undefined to send no notice.
   */
  makeDropNotice(notice: DropNotice): Uint8Array | undefined {
    return this.#framer().frameEvent(
      dropNoticeInput(notice, this.noticeLoggerName),
    );
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
    conn: C | undefined = this.sock,
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
  makeSocket(signal: AbortSignal): Promise<C> {
    return connectTo(this.#target, signal) as Promise<Connection> as Promise<C>;
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
   * the deadline. With the receiver unreachable, it returns as soon as the
   * next connection attempt is scheduled after the deadline (waiting could
   * not help), with `timedOut: true`; records stay queued. Call it before
   * `Deno.exit()`, which cannot wait.
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

  /** Re-opens the engine after a close (`setup()` after `destroy()`). */
  protected reopen(): void {
    this.#engine.reopen();
  }

  /** Starts closing the engine without waiting (`destroy()`). */
  protected startClose(): void {
    this.#engine.closeSoon().catch(() => {});
  }

  /**
   * Reports an error through the rate-limited `onError` (kind e.g.
   * `"encode"`, `"filter"`). Never throws.
   *
   * @param error The error.
   * @param kind The rate-limiting key.
   */
  reportError(error: unknown, kind: string): void {
    this.#engine.reportError(error, kind);
  }

  /** Closes the handler and waits for the drain (see `close()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
