// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode DatagramHandler}: an `@std/log` handler that sends every record
 * as one UDP datagram, in the wire format of Python's
 * `logging.handlers.DatagramHandler`: the same 4-byte big-endian length and
 * pickle that `SocketHandler` sends (receivers strip the first 4 bytes and
 * `pickle.loads` the rest).
 *
 * It uses `node:dgram`, which is stable in Deno 2.9: `Deno.listenDatagram`
 * exists only with `--unstable-net` (without the flag it is `undefined` at
 * run time).
 *
 * Unix datagram sockets (Python's `DatagramHandler(path, None)`) are not
 * supported: `node:dgram` only creates `udp4`/`udp6` sockets
 * (`ERR_SOCKET_BAD_TYPE` for anything else) and Deno's only Unix datagram
 * API, `Deno.listenDatagram({ transport: "unixpacket" })`, is unstable. A
 * `path` option is rejected with a TypeError that says so.
 *
 * @module
 */
import dgram from "node:dgram";
import type { LevelName, LogRecord } from "@std/log/base-handler";
import {
  type Filter,
  PythonHandler,
  type PythonHandlerOptions,
} from "./python_handler.ts";
import { dumpsFrame } from "./pickle.ts";
import { Fifo } from "./_fifo.ts";
import type { OverflowPolicy } from "./socket.ts";
import {
  errorMessage,
  ErrorReporter,
  isPermissionError,
  toError,
} from "./_errors.ts";

/** Python's `logging.handlers.DEFAULT_UDP_LOGGING_PORT`. */
export const DEFAULT_UDP_LOGGING_PORT = 9021;

/** Largest UDP payload over IPv4 (65,535 − 20 − 8 bytes). */
export const MAX_DATAGRAM_BYTES_IPV4 = 65507;

/** Largest UDP payload over IPv6 without jumbograms (65,535 − 8 bytes). */
export const MAX_DATAGRAM_BYTES_IPV6 = 65527;

/**
 * Why a record was dropped by a {@linkcode DatagramHandler}.
 *
 * - `"oversize"`: the datagram (length prefix included) exceeds
 *   `maxDatagramBytes`; it is never truncated;
 * - `"encode"`: the record could not be encoded;
 * - `"overflow"`: the send queue bounds were exceeded;
 * - `"send"`: the operating system refused the datagram (e.g. no route,
 *   unresolvable host name);
 * - `"permission"`: Deno's permission system refused the send
 *   (`--allow-net`);
 * - `"closed"`: still queued at close, or handled after close.
 */
export type DatagramDropReason =
  | "oversize"
  | "encode"
  | "overflow"
  | "send"
  | "permission"
  | "closed";

/**
 * Counters of a {@linkcode DatagramHandler}. `emitted === sent + dropped +
 * pendingRecords` always holds. "Sent" means handed to the operating
 * system: UDP has no delivery guarantee, and nobody listening is no error.
 */
export interface DatagramStats {
  /** `"open"` until `close()`, then `"closed"`. */
  state: "open" | "closed";
  /** Records handled (passed level and filters), including drops. */
  emitted: number;
  /** Datagrams handed to the operating system. */
  sent: number;
  /** Bytes of the sent datagrams. */
  sentBytes: number;
  /** Records dropped, all reasons. */
  dropped: number;
  /** Records dropped, by reason. */
  droppedByReason: Record<DatagramDropReason, number>;
  /** Datagrams queued or being sent. */
  pendingRecords: number;
  /** Bytes of the pending datagrams. */
  pendingBytes: number;
  /** Message of the last error. */
  lastError: string | undefined;
}

/** Outcome of {@linkcode DatagramHandler.prototype.flush} and `close()`. */
export interface DatagramFlushResult {
  /** Datagrams sent while the call was waiting. */
  sent: number;
  /** Records dropped while the call was waiting (for close: including `"closed"`). */
  dropped: number;
  /** Datagrams pending when the call resolved (0 after close). */
  pending: number;
  /** Whether the deadline passed first. */
  timedOut: boolean;
}

/** A record filter (see {@linkcode Filter}); kept as a named alias. */
export type DatagramFilter = Filter;

/** Options of {@linkcode DatagramHandler}. Durations are in milliseconds. */
export interface DatagramHandlerOptions extends PythonHandlerOptions {
  /**
   * IP address (IPv4 or IPv6) or host name of the receiver. A host name is
   * resolved for every datagram, as in Python (whose docs advise an IP).
   *
   * @default {"localhost"}
   */
  hostname?: string;
  /**
   * UDP port of the receiver (1–65535).
   *
   * @default {9021}
   */
  port?: number;
  /**
   * Not supported: Unix datagram sockets need an API Deno 2.9 has only
   * behind `--unstable-net`. Giving it throws a TypeError.
   */
  path?: string;
  /**
   * Address family of the socket: 4 (`udp4`) or 6 (`udp6`).
   *
   * @default {6 for an IPv6 address such as "::1", else 4}
   */
  family?: 4 | 6;
  /**
   * Largest datagram sent, length prefix included; larger records are
   * dropped (`"oversize"`), never truncated. Lower it (e.g. 1472) to avoid
   * IP fragmentation on real networks.
   *
   * @default {65507 for IPv4, 65527 for IPv6}
   */
  maxDatagramBytes?: number;
  /**
   * Maximum number of datagrams waiting to be sent.
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
   * What to drop when a queue bound is reached.
   *
   * @default {"drop-oldest"}
   */
  overflow?: OverflowPolicy;
  /**
   * Receives send and encoding errors, rate-limited to one call per kind
   * (`"oversize"`, `"encode"`, `"overflow"`, `"send"`, `"permission"`,
   * `"filter"`) per `errorInterval`. Without it they go to stderr,
   * rate-limited the same way.
   */
  onError?: (error: Error, kind: string) => void;
  /**
   * Rate-limit interval of `onError`, in milliseconds.
   *
   * @default {60000}
   */
  errorInterval?: number;
}

function zeroReasons(): Record<DatagramDropReason, number> {
  return {
    oversize: 0,
    encode: 0,
    overflow: 0,
    send: 0,
    permission: 0,
    closed: 0,
  };
}

function fail(kind: "type" | "range", message: string): never {
  throw kind === "type" ? new TypeError(message) : new RangeError(message);
}

function checkInt(
  name: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined) return;
  if (typeof value !== "number" || Number.isNaN(value)) {
    fail("type", `Cannot create DatagramHandler as '${name}' must be a number`);
  }
  if (value < min || value > max || !Number.isInteger(value)) {
    fail(
      "range",
      `Cannot create DatagramHandler as '${name}' must be an integer from ${min} to ${max}: current value is ${value}`,
    );
  }
}

function validate(options: DatagramHandlerOptions): 4 | 6 {
  if (options.path !== undefined) {
    fail(
      "type",
      "Cannot create DatagramHandler as 'path' is not supported: Unix datagram sockets need Deno.listenDatagram, which is unstable (--unstable-net), and node:dgram only supports udp4/udp6",
    );
  }
  const { hostname } = options;
  if (
    hostname !== undefined &&
    (typeof hostname !== "string" || hostname.trim().length === 0)
  ) {
    fail(
      "type",
      "Cannot create DatagramHandler as 'hostname' must be a non-empty string",
    );
  }
  if (
    options.family !== undefined && options.family !== 4 &&
    options.family !== 6
  ) {
    fail(
      "type",
      `Cannot create DatagramHandler as 'family' must be 4 or 6: current value is ${
        JSON.stringify(options.family)
      }`,
    );
  }
  const family = options.family ?? ((hostname ?? "").includes(":") ? 6 : 4);
  checkInt("port", options.port, 1, 65535);
  checkInt("protocol", options.protocol, 1, 5);
  checkInt(
    "maxDatagramBytes",
    options.maxDatagramBytes,
    5,
    family === 6 ? MAX_DATAGRAM_BYTES_IPV6 : MAX_DATAGRAM_BYTES_IPV4,
  );
  checkInt("maxQueueRecords", options.maxQueueRecords, 1, 2 ** 30);
  checkInt("maxQueueBytes", options.maxQueueBytes, 1, 2 ** 52);
  const { overflow, errorInterval } = options;
  if (
    overflow !== undefined && overflow !== "drop-oldest" &&
    overflow !== "drop-newest"
  ) {
    fail(
      "type",
      `Cannot create DatagramHandler as 'overflow' must be "drop-oldest" or "drop-newest": current value is ${
        JSON.stringify(overflow)
      }`,
    );
  }
  if (
    errorInterval !== undefined &&
    (typeof errorInterval !== "number" || !(errorInterval >= 0))
  ) {
    fail(
      "range",
      `Cannot create DatagramHandler as 'errorInterval' must be a number from 0: current value is ${errorInterval}`,
    );
  }
  if (options.onError !== undefined && typeof options.onError !== "function") {
    fail(
      "type",
      "Cannot create DatagramHandler as 'onError' must be a function",
    );
  }
  return family;
}

interface Waiter {
  target: number;
  sent0: number;
  dropped0: number;
  resolve: (r: DatagramFlushResult) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Sends `@std/log` records to a Python receiver as UDP datagrams, exactly
 * as Python's `logging.handlers.DatagramHandler` does: each datagram is a
 * 4-byte big-endian length followed by the pickle (protocol 1) of the
 * LogRecord `__dict__`, one datagram per record, no connection.
 *
 * `handle()` encodes synchronously into a bounded queue and never throws or
 * blocks; a background task hands the datagrams to the OS. A record whose
 * datagram would exceed `maxDatagramBytes` (65,507 bytes on IPv4, 65,527 on
 * IPv6) is dropped and counted (`"oversize"`), never truncated. IPv6
 * addresses work (CPython 3.11–3.13's DatagramHandler cannot send to
 * `::1`, gh-59060). UDP gives no delivery guarantee: "sent" means accepted
 * by the local OS.
 *
 * Uses `node:dgram` (stable in Deno). Needs `--allow-net`.
 *
 * @example Usage with `@std/log`
 * ```ts ignore
 * import * as log from "@std/log";
 * import { DatagramHandler } from "@pylogging/socket-handler/datagram";
 *
 * const udp = new DatagramHandler("INFO", { hostname: "127.0.0.1", port: 9021 });
 * log.setup({
 *   handlers: { udp },
 *   loggers: { default: { level: "DEBUG", handlers: ["udp"] } },
 * });
 * log.getLogger().info("user %s logged in", "alice");
 * await udp.close();
 * ```
 */
export class DatagramHandler extends PythonHandler implements AsyncDisposable {
  /** Host name or IP address of the receiver. */
  readonly hostname: string;
  /** UDP port of the receiver. */
  readonly port: number;
  /** Address family of the socket. */
  readonly family: 4 | 6;
  /** Largest datagram sent, length prefix included. */
  readonly maxDatagramBytes: number;

  #socket: dgram.Socket | undefined;
  #queue = new Fifo<Uint8Array>();
  #pendingBytes = 0;
  #maxQueueRecords: number;
  #maxQueueBytes: number;
  #overflow: OverflowPolicy;
  #errors: ErrorReporter;
  #pumping: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<DatagramFlushResult> | undefined;
  #emitted = 0;
  #sent = 0;
  #sentBytes = 0;
  #dropped = 0;
  #byReason = zeroReasons();
  #lastError: string | undefined;
  #done = 0; // records sent or dropped out of the queue, in queue order
  #enqueued = 0;
  #waiters: Waiter[] = [];
  #closeRequests = 0;

  /**
   * Creates a handler. No I/O happens until the first record.
   *
   * @param levelName The minimum `@std/log` level handled.
   * @param options Target, limits and encoding options.
   * @throws {TypeError} If an option has the wrong type, or `path` is given
   * (Unix datagram sockets are not supported).
   * @throws {RangeError} If a numeric option is out of range.
   */
  constructor(levelName: LevelName, options: DatagramHandlerOptions = {}) {
    super(levelName, options);
    this.family = validate(options);
    this.hostname = options.hostname ?? "localhost";
    this.port = options.port ?? DEFAULT_UDP_LOGGING_PORT;
    this.maxDatagramBytes = options.maxDatagramBytes ??
      (this.family === 6 ? MAX_DATAGRAM_BYTES_IPV6 : MAX_DATAGRAM_BYTES_IPV4);
    this.#maxQueueRecords = options.maxQueueRecords ?? 10_000;
    this.#maxQueueBytes = options.maxQueueBytes ?? 8 * 1024 * 1024;
    this.#overflow = options.overflow ?? "drop-oldest";
    this.#errors = new ErrorReporter(
      options.onError ?? ((error, kind) => {
        console.error(`[datagram-handler] ${kind}: ${error.message}`);
      }),
      options.errorInterval ?? 60_000,
      Date.now,
    );
  }

  /**
   * Encodes the record and queues its datagram; oversize records are
   * dropped here (counted, reported, never truncated).
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
    this.#emitted++;
    if (this.#closed) {
      this.#drop("closed");
      return;
    }
    if (frame.length > this.maxDatagramBytes) {
      this.#drop("oversize");
      this.reportError(
        new Error(
          `Cannot send record of logger '${record.loggerName}' as one datagram: ${frame.length} bytes exceed 'maxDatagramBytes' (${this.maxDatagramBytes}); the record is dropped, not truncated`,
        ),
        "oversize",
      );
      return;
    }
    this.#enqueue(frame);
  }

  /**
   * The exact datagram of one record: a 4-byte big-endian length, then the
   * pickle of {@linkcode DatagramHandler.prototype.makeRecordDict} (what
   * CPython's `DatagramHandler.makePickle` returns).
   *
   * @param record The record.
   * @returns The datagram bytes.
   */
  makePickle(record: LogRecord): Uint8Array {
    return dumpsFrame(this.makeRecordDict(record), {
      protocol: this.protocol,
    });
  }

  /**
   * Called when a record cannot be encoded: counted as dropped (`"encode"`)
   * and reported through `onError`.
   *
   * @param record The record.
   * @param error What went wrong.
   */
  handleError(record: LogRecord, error: unknown): void {
    try {
      this.#emitted++;
      this.#drop("encode");
      this.reportError(
        new Error(
          `Cannot send record of logger '${record.loggerName}': ${
            errorMessage(error)
          }`,
          { cause: error },
        ),
        "encode",
      );
    } catch {
      // never throws
    }
  }

  /**
   * Reports an error through `onError`, at most once per `kind` per
   * `errorInterval` (the suppressed count is appended to the next one).
   *
   * @param error The error.
   * @param kind The rate-limiting key.
   */
  reportError(error: unknown, kind: string): void {
    const err = toError(error);
    this.#lastError = err.message;
    this.#errors.report(err, kind);
  }

  /**
   * Creates the `node:dgram` socket (`udp4` or `udp6`); called before the
   * first send. Override it for socket options.
   *
   * @returns The socket.
   */
  makeSocket(): dgram.Socket {
    const socket = dgram.createSocket(this.family === 6 ? "udp6" : "udp4");
    socket.on("error", (e) => this.reportError(e, "send"));
    return socket;
  }

  /**
   * Hands one datagram to the operating system.
   *
   * @param data The datagram.
   * @returns Resolves when the OS accepted it; rejects with the OS error.
   */
  send(data: Uint8Array): Promise<void> {
    this.#socket ??= this.makeSocket();
    const socket = this.#socket;
    return new Promise<void>((resolve, reject) => {
      try {
        socket.send(data, this.port, this.hostname, (err) => {
          if (err) reject(err);
          else resolve();
        });
      } catch (e) {
        reject(e);
      }
    });
  }

  /**
   * Waits until every record queued before the call is sent or dropped,
   * or until the deadline.
   *
   * @param timeout Deadline in milliseconds (default: no deadline).
   * @returns Counts; never rejects.
   */
  flush(timeout?: number): Promise<DatagramFlushResult> {
    const target = this.#enqueued;
    const sent0 = this.#sent;
    const dropped0 = this.#dropped;
    if (this.#done >= target) {
      return Promise.resolve({
        sent: 0,
        dropped: 0,
        pending: this.#pending,
        timedOut: false,
      });
    }
    return new Promise((resolve) => {
      const w: Waiter = { target, sent0, dropped0, resolve, timer: undefined };
      if (timeout !== undefined && timeout !== Infinity) {
        w.timer = setTimeout(() => this.#finish(w, true), Math.max(0, timeout));
      }
      this.#waiters.push(w);
    });
  }

  /**
   * Sends what is queued (up to `timeout` ms), then closes the socket.
   * Records still queued, and records handled afterwards, are dropped
   * (`"closed"`).
   *
   * @param timeout Deadline in milliseconds.
   * @returns Counts; never rejects.
   * @default timeout 2000
   */
  close(timeout = 2000): Promise<DatagramFlushResult> {
    this.#closing ??= this.#doClose(timeout);
    return this.#closing;
  }

  async #doClose(timeout: number): Promise<DatagramFlushResult> {
    const sent0 = this.#sent;
    const dropped0 = this.#dropped;
    const r = await this.flush(timeout);
    this.#closed = true;
    while (this.#queue.shift() !== undefined) {
      this.#drop("closed");
      this.#done++;
    }
    this.#pendingBytes = 0;
    await this.#pumping;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) {
      await new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      });
    }
    this.#wakeWaiters();
    return {
      sent: this.#sent - sent0,
      dropped: this.#dropped - dropped0,
      pending: 0,
      timedOut: r.timedOut,
    };
  }

  /**
   * The counters.
   *
   * @returns A snapshot.
   */
  stats(): DatagramStats {
    return {
      state: this.#closed ? "closed" : "open",
      emitted: this.#emitted,
      sent: this.#sent,
      sentBytes: this.#sentBytes,
      dropped: this.#dropped,
      droppedByReason: { ...this.#byReason },
      pendingRecords: this.#pending,
      pendingBytes: this.#pendingBytes,
      lastError: this.#lastError,
    };
  }

  /** Re-opens the handler once a pending close has finished (`setup()`). */
  protected reopen(): void {
    if (this.#closed && this.#closing !== undefined) {
      const closing = this.#closing;
      const generation = this.#closeRequests;
      void closing.then(() => {
        // not if another destroy() came meanwhile
        if (this.#closing === closing && this.#closeRequests === generation) {
          this.#closed = false;
          this.#closing = undefined;
        }
      });
    }
  }

  /** Starts closing without waiting (`destroy()`). */
  protected startClose(): void {
    this.#closeRequests++;
    this.close().catch(() => {});
  }

  /** Closes the handler (see `close()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  get #pending(): number {
    return this.#queue.size;
  }

  #drop(reason: DatagramDropReason): void {
    this.#dropped++;
    this.#byReason[reason]++;
  }

  #enqueue(frame: Uint8Array): void {
    const full = () =>
      this.#pending + 1 > this.#maxQueueRecords ||
      this.#pendingBytes + frame.length > this.#maxQueueBytes;
    if (full()) {
      if (this.#overflow === "drop-newest" || this.#pending <= 1) {
        this.#drop("overflow");
        this.reportError(
          new Error("Cannot queue a datagram as the send queue is full"),
          "overflow",
        );
        return;
      }
      // Drop the oldest queued (never the one being sent, at the head).
      while (full() && this.#pending > 1) {
        const victim = this.#queue.removeAt(1)!;
        this.#pendingBytes -= victim.length;
        this.#drop("overflow");
        this.#done++; // it left the queue (flush waiters count departures)
      }
      this.reportError(
        new Error("Dropped the oldest datagrams as the send queue is full"),
        "overflow",
      );
      if (full()) {
        this.#drop("overflow");
        return;
      }
    }
    this.#queue.push(frame);
    this.#pendingBytes += frame.length;
    this.#enqueued++;
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
    });
  }

  async #pump(): Promise<void> {
    this.#socket?.ref();
    try {
      while (this.#pending > 0 && !this.#closed) {
        const frame = this.#queue.peek()!;
        try {
          await this.send(frame);
          this.#sent++;
          this.#sentBytes += frame.length;
        } catch (e) {
          const permission = isPermissionError(e);
          this.#drop(permission ? "permission" : "send");
          this.reportError(
            new Error(
              `Cannot send a datagram to ${this.hostname}:${this.port}: ${
                errorMessage(e)
              }${
                permission ? "; run with --allow-net=<host:port>" : ""
              }; the record is dropped`,
              { cause: e },
            ),
            permission ? "permission" : "send",
          );
        }
        if (this.#closed) break;
        this.#queue.shift();
        this.#pendingBytes -= frame.length;
        this.#done++;
        this.#wakeWaiters();
      }
    } finally {
      // An idle socket must not keep the process alive.
      this.#socket?.unref();
    }
  }

  #wakeWaiters(): void {
    for (const w of [...this.#waiters]) {
      if (this.#done >= w.target || this.#closed) this.#finish(w, false);
    }
  }

  #finish(w: Waiter, timedOut: boolean): void {
    const i = this.#waiters.indexOf(w);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    if (w.timer !== undefined) clearTimeout(w.timer);
    w.resolve({
      sent: this.#sent - w.sent0,
      dropped: this.#dropped - w.dropped0,
      pending: this.#pending,
      timedOut,
    });
  }
}
