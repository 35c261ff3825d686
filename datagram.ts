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
import {
  type DropReason,
  type EngineStats,
  type FlushResult,
  FramesRefusedError,
  SocketEngine,
} from "./socket.ts";
import { DatagramConnection, sendDatagram } from "./transport/datagram.ts";
import { isPermissionError, messageOf } from "./transport/errors.ts";
import {
  DEFAULT_UDP_LOGGING_PORT,
  DEFAULTS,
  engineTuning,
  MAX_DATAGRAM_BYTES_IPV4,
  MAX_DATAGRAM_BYTES_IPV6,
  type QueueOptions,
  validateOptions,
} from "./transport/options.ts";

export {
  DEFAULT_UDP_LOGGING_PORT,
  MAX_DATAGRAM_BYTES_IPV4,
  MAX_DATAGRAM_BYTES_IPV6,
};
export type { DropReason, EngineStats, FlushResult, QueueOptions };

/** A record filter (see {@linkcode Filter}); kept as a named alias. */
export type DatagramFilter = Filter;

/**
 * Options of {@linkcode DatagramHandler}: the receiver's address and the
 * datagram size limit, the queue and error options
 * ({@linkcode QueueOptions}), and the record options. Durations are in
 * milliseconds.
 */
export interface DatagramHandlerOptions
  extends PythonHandlerOptions, QueueOptions {
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
}

/**
 * Throws Deno's `NotCapable` unless the socket may bind its ephemeral port
 * (`--allow-net`, or a granted prompt). `node:dgram` binds on the first
 * send, and in Deno 2.9 a refused bind is an uncaught error, not an
 * `"error"` event: checking first turns it into a refused connection (the
 * engine then drops the records as `"permission"` and says so once).
 */
function checkBindPermission(family: 4 | 6): void {
  const descriptor = {
    name: "net",
    host: family === 6 ? "[::]:0" : "0.0.0.0:0",
  } as const;
  let state = Deno.permissions.querySync(descriptor).state;
  if (state === "prompt") {
    state = Deno.permissions.requestSync(descriptor).state;
  }
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Requires net access to "${descriptor.host}", run again with the --allow-net flag`,
    );
  }
}

/**
 * Sends `@std/log` records to a Python receiver as UDP datagrams, exactly
 * as Python's `logging.handlers.DatagramHandler` does: each datagram is a
 * 4-byte big-endian length followed by the pickle (protocol 1) of the
 * LogRecord `__dict__`, one datagram per record, no connection.
 *
 * As in CPython, where `DatagramHandler` is a `SocketHandler` with another
 * `makeSocket` and `send`, it runs on the same engine as `SocketHandler`
 * (`SocketEngine`): `handle()` encodes synchronously into the same bounded
 * queue and never throws or blocks; the background writer hands the
 * datagrams to the OS one at a time (never coalesced); the counters,
 * drop reasons, `flush()`/`close()` results and exit handling are the same
 * (a program that ends naturally waits up to `exitTimeout` for the queue,
 * and an idle handler never keeps it alive). A datagram the OS refuses is
 * dropped (`"send"`, or `"permission"` without `--allow-net`), and no
 * notice of drops is sent: the wire carries only the records. A record whose
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

  #engine: SocketEngine<DatagramConnection>;

  /**
   * Creates a handler. No I/O happens until the first record.
   *
   * @param levelName The minimum `@std/log` level handled.
   * @param options Target, limits and encoding options.
   * @throws {TypeError} If an option is unknown or has the wrong type, or
   * `path` is given (Unix datagram sockets are not supported).
   * @throws {RangeError} If a numeric option is out of range.
   */
  constructor(levelName: LevelName, options: DatagramHandlerOptions = {}) {
    super(levelName, options);
    validateOptions("DatagramHandler", options);
    const hostname = options.hostname ?? DEFAULTS.hostname;
    this.family = options.family ?? (hostname.includes(":") ? 6 : 4);
    this.hostname = hostname;
    this.port = options.port ?? DEFAULT_UDP_LOGGING_PORT;
    this.maxDatagramBytes = options.maxDatagramBytes ??
      (this.family === 6 ? MAX_DATAGRAM_BYTES_IPV6 : MAX_DATAGRAM_BYTES_IPV4);
    const dropOldest = (options.overflow ?? DEFAULTS.overflow) ===
      "drop-oldest";
    this.#engine = new SocketEngine<DatagramConnection>({
      ...engineTuning(options),
      connect: () => {
        checkBindPermission(this.family);
        return Promise.resolve(
          new DatagramConnection(this.makeSocket(), this.hostname, this.port),
        );
      },
      write: (_conn, data) => this.#sendFrame(data),
      maxBatchBytes: 1, // one frame per datagram
      onError: options.onError ?? ((error, kind) => {
        console.error(`[datagram-handler] ${kind}: ${error.message}`);
      }),
      onDrop: (reason) => {
        if (reason !== "overflow") return;
        this.reportError(
          new Error(
            dropOldest
              ? "Dropped the oldest datagrams as the send queue is full"
              : "Cannot queue a datagram as the send queue is full",
          ),
          "overflow",
        );
      },
    });
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
    if (frame.length > this.maxDatagramBytes && !this.#closing()) {
      this.#engine.countDrop("oversize");
      this.reportError(
        new Error(
          `Cannot send record of logger '${record.loggerName}' as one datagram: ${frame.length} bytes exceed 'maxDatagramBytes' (${this.maxDatagramBytes}); the record is dropped, not truncated`,
        ),
        "oversize",
      );
      return;
    }
    this.#engine.enqueue(frame);
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
      this.#engine.countDrop("encode");
      this.reportError(
        new Error(
          `Cannot send record of logger '${record.loggerName}': ${
            messageOf(error)
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
    this.#engine.reportError(error, kind);
  }

  /**
   * Creates the `node:dgram` socket (`udp4` or `udp6`); called before the
   * first send, and again after the socket was lost. Override it for socket
   * options (without binding it: a bound socket keeps the process alive).
   *
   * @returns The socket.
   */
  makeSocket(): dgram.Socket {
    const socket = dgram.createSocket(this.family === 6 ? "udp6" : "udp4");
    socket.on("error", (e) => this.reportError(e, "send"));
    return socket;
  }

  /**
   * Hands one datagram to the operating system (creating the socket first
   * if there is none).
   *
   * @param data The datagram.
   * @returns Resolves when the OS accepted it; rejects with the OS error.
   */
  async send(data: Uint8Array): Promise<void> {
    if (this.#engine.sock === undefined) await this.#engine.createSocket();
    const conn = this.#engine.sock;
    if (conn === undefined) {
      throw new Deno.errors.NotConnected("DatagramHandler has no socket");
    }
    await sendDatagram(conn.socket, data, this.port, this.hostname);
  }

  /** The engine's write: one datagram; a refused one is dropped, with its reason. */
  async #sendFrame(data: Uint8Array): Promise<void> {
    try {
      await this.send(data);
    } catch (e) {
      const permission = isPermissionError(e);
      throw new FramesRefusedError(
        permission ? "permission" : "send",
        `Cannot send a datagram to ${this.hostname}:${this.port}: ${
          messageOf(e)
        }${
          permission ? "; run with --allow-net=<host:port>" : ""
        }; the record is dropped`,
        { cause: e },
      );
    }
  }

  #closing(): boolean {
    const state = this.#engine.stats().state;
    return state === "closing" || state === "closed";
  }

  /**
   * Waits until every record queued before the call is sent or dropped,
   * or until the deadline.
   *
   * @param timeout Deadline in milliseconds (default: no deadline).
   * @returns Counts; never rejects.
   */
  flush(timeout?: number): Promise<FlushResult> {
    return this.#engine.flush(timeout);
  }

  /**
   * Sends what is queued (up to `timeout` ms, default `exitTimeout`), then
   * closes the socket. Records still queued, and records handled
   * afterwards, are dropped (`"closed"`).
   *
   * @param timeout Deadline in milliseconds.
   * @returns Counts; never rejects.
   */
  close(timeout?: number): Promise<FlushResult> {
    return this.#engine.close(timeout);
  }

  /**
   * The counters: emitted, sent, dropped by reason, pending records and
   * bytes, last error. `emitted` always equals
   * `sent + dropped + pendingRecords`. "Sent" means handed to the operating
   * system: UDP has no delivery guarantee, and nobody listening is no error.
   *
   * @returns A snapshot.
   */
  stats(): EngineStats {
    return this.#engine.stats();
  }

  /** Re-opens the handler after a close (`setup()` after `destroy()`). */
  protected reopen(): void {
    this.#engine.reopen();
  }

  /** Starts closing without waiting (`destroy()`). */
  protected startClose(): void {
    this.#engine.closeSoon().catch(() => {});
  }

  /** Closes the handler (see `close()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
