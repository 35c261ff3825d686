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
import type { LevelName } from "@std/log/base-handler";
import type { Filter, PythonHandlerOptions } from "./python_handler.ts";
import {
  type HandlerTransport,
  SocketHandler,
  type SocketHandlerOptions,
  TRANSPORT,
} from "./handler.ts";
import type {
  DropNotice,
  DropReason,
  EngineStats,
  FlushResult,
} from "./socket.ts";
import { DatagramConnection, sendDatagram } from "./transport/datagram.ts";
import {
  FramesRefusedError,
  isPermissionError,
  messageOf,
} from "./transport/errors.ts";
import {
  DEFAULT_UDP_LOGGING_PORT,
  DEFAULTS,
  MAX_DATAGRAM_BYTES_IPV4,
  MAX_DATAGRAM_BYTES_IPV6,
  type QueueOptions,
} from "./transport/options.ts";

export {
  DEFAULT_UDP_LOGGING_PORT,
  MAX_DATAGRAM_BYTES_IPV4,
  MAX_DATAGRAM_BYTES_IPV6,
};
export { DatagramConnection };
export type { DropReason, EngineStats, FlushResult, QueueOptions };
export type { Connection } from "./transport/connection.ts";

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
 * As in CPython, it is a {@linkcode SocketHandler} with another
 * `makeSocket` (a `node:dgram` socket) and `send` (one datagram per frame):
 * the same engine, `handle()` encodes synchronously into the same bounded
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
export class DatagramHandler extends SocketHandler<DatagramConnection> {
  /** Host name or IP address of the receiver. */
  declare readonly hostname: string;
  /** UDP port of the receiver. */
  declare readonly port: number;
  /** Address family of the socket. */
  readonly family: 4 | 6;
  /** Largest datagram sent, length prefix included. */
  readonly maxDatagramBytes: number;

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
    super(
      levelName,
      { ...options, [TRANSPORT]: UDP } as SocketHandlerOptions,
    );
    this.family = familyOf(options);
    this.maxDatagramBytes = options.maxDatagramBytes ??
      (this.family === 6 ? MAX_DATAGRAM_BYTES_IPV6 : MAX_DATAGRAM_BYTES_IPV4);
  }

  /**
   * Creates the UDP socket (Python's `makeSocket`), wrapped as the
   * engine's connection. Needs net permission to bind an ephemeral port;
   * without it this throws Deno's `NotCapable` (the records are then
   * dropped as `"permission"`).
   *
   * @param _signal Unused: creating a UDP socket does not wait.
   * @returns The connection.
   */
  override makeSocket(_signal?: AbortSignal): Promise<DatagramConnection> {
    checkBindPermission(this.family);
    const socket = dgram.createSocket(this.family === 6 ? "udp6" : "udp4");
    socket.on("error", (e) => this.reportError(e, "send"));
    return Promise.resolve(
      new DatagramConnection(socket, this.hostname, this.port),
    );
  }

  /**
   * Sends one frame as one datagram (Python's `send`), creating the socket
   * if there is none.
   *
   * @param data The frame.
   * @param conn The connection (defaults to the current one).
   */
  override async send(
    data: Uint8Array,
    conn: DatagramConnection | undefined = this.sock,
  ): Promise<void> {
    if (conn === undefined) {
      await this.createSocket();
      conn = this.sock;
    }
    if (conn === undefined) {
      throw new Deno.errors.NotConnected("DatagramHandler has no socket");
    }
    await sendDatagram(conn.socket, data, this.port, this.hostname);
  }

  /**
   * No notice of drops is sent over UDP: the wire carries only the
   * records.
   *
   * @param _notice The drop counts.
   * @returns Undefined.
   */
  override makeDropNotice(_notice: DropNotice): undefined {
    return undefined;
  }
}

/** The address family of the options' socket. */
function familyOf(options: DatagramHandlerOptions): 4 | 6 {
  return options.family ??
    ((options.hostname ?? DEFAULTS.hostname).includes(":") ? 6 : 4);
}

/**
 * Sends a frame through the handler's `send`, as the engine's `write`: a
 * frame larger than `maxDatagramBytes`, or one the OS refuses, is dropped
 * (a {@linkcode FramesRefusedError}) and the socket stays.
 */
async function sendRefusing(
  handler: DatagramHandler,
  conn: DatagramConnection,
  data: Uint8Array,
): Promise<void> {
  const max = handler.maxDatagramBytes;
  if (data.byteLength > max) {
    throw new FramesRefusedError(
      "oversize",
      `Cannot send a record as one datagram: ${data.byteLength} bytes exceed 'maxDatagramBytes' (${max}); the record is dropped, not truncated`,
    );
  }
  try {
    await handler.send(data, conn);
  } catch (e) {
    const permission = isPermissionError(e);
    throw new FramesRefusedError(
      permission ? "permission" : "send",
      `Cannot send a datagram to ${handler.hostname}:${handler.port}: ${
        messageOf(e)
      }${
        permission ? "; run with --allow-net=<host:port>" : ""
      }; the record is dropped`,
      { cause: e },
    );
  }
}

/** The UDP transport of {@linkcode DatagramHandler}. */
const UDP: HandlerTransport<DatagramConnection> = {
  owner: "DatagramHandler",
  target: (options) => ({
    hostname: (options.hostname as string | undefined) ?? DEFAULTS.hostname,
    port: (options.port as number | undefined) ?? DEFAULT_UDP_LOGGING_PORT,
    path: undefined,
    tls: undefined,
    connectTimeout: DEFAULTS.connectTimeout,
  }),
  engine: (handler, options) => {
    const dropOldest = (options.overflow ?? DEFAULTS.overflow) ===
      "drop-oldest";
    const onError = options.onError as
      | ((error: Error, kind: string) => void)
      | undefined;
    return {
      write: (conn, data) =>
        sendRefusing(handler as DatagramHandler, conn, data),
      maxBatchBytes: 1, // one frame per datagram
      onError: onError ?? ((error, kind) => {
        console.error(`[datagram-handler] ${kind}: ${error.message}`);
      }),
      onDrop: (reason) => {
        if (reason !== "overflow") return;
        handler.reportError(
          new Error(
            dropOldest
              ? "Dropped the oldest datagrams as the send queue is full"
              : "Cannot queue a datagram as the send queue is full",
          ),
          "overflow",
        );
      },
    };
  },
};
