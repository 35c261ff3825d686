// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Options and helpers shared by the `@std/log` handler (`handler.ts`) and the
 * LogTape sink (`logtape.ts`): the receiver address, the transport and queue
 * options, their validation, the connection factory and the dropped-records
 * notice. Private to the package.
 *
 * @module
 */
import { recordDict } from "./record.ts";
import { dumpsFrame, type PickleProtocol } from "./pickle.ts";
import type { DropNotice, SocketEngineOptions } from "./socket.ts";
import {
  connectTls,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_SETTLE_TIMEOUT,
  type TlsOptions,
  validateTlsOptions,
} from "./tls.ts";

/** Python's `logging.handlers.DEFAULT_TCP_LOGGING_PORT`. */
export const DEFAULT_TCP_LOGGING_PORT = 9020;

/** Default logger name of the dropped-records notice. */
export const DEFAULT_NOTICE_LOGGER_NAME = "pylogging.socket_handler";

/** The engine options that `SocketHandler` and the LogTape sink pass through. */
export type EngineTuning = Omit<
  SocketEngineOptions,
  "connect" | "write" | "dropNotice" | "handleExit" | "clock"
>;

/**
 * Options shared by `SocketHandler` and the LogTape socket sink: where the
 * receiver is and how records are encoded, plus the engine's queue, backoff,
 * timeout and error options ({@linkcode SocketEngineOptions}). Durations are
 * in milliseconds.
 */
export interface SocketOptions extends EngineTuning {
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
   * Logger name of the synthetic WARNING record that announces dropped
   * records to the receiver.
   *
   * @default {"pylogging.socket_handler"}
   */
  noticeLoggerName?: string;
}

/** Where the receiver is: a TCP host and port, or a Unix socket path. */
export interface SocketTarget {
  /** Host name (undefined for a Unix socket). */
  hostname: string | undefined;
  /** Port (undefined for a Unix socket). */
  port: number | undefined;
  /** Unix socket path (undefined for TCP). */
  path: string | undefined;
  /** TLS options, frozen (undefined for plain TCP or a Unix socket). */
  tls: Readonly<TlsOptions> | undefined;
  /** Timeout of the TCP connect alone, in milliseconds. */
  connectTimeout: number;
}

function fail(kind: "type" | "range", message: string): never {
  throw kind === "type" ? new TypeError(message) : new RangeError(message);
}

/**
 * Validates the shared options; messages start with
 * `Cannot create <owner> as …`.
 *
 * @param options The options.
 * @param owner What is being created, e.g. `"SocketHandler"`.
 * @throws {TypeError} If an option has the wrong type, or `path` is given
 * together with `hostname`/`port`.
 * @throws {RangeError} If a numeric option is out of range.
 */
export function validateOptions(options: SocketOptions, owner: string): void {
  const prefix = `Cannot create ${owner} as`;
  const checkNumber = (
    name: string,
    value: number | undefined,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
    integer = false,
  ): void => {
    if (value === undefined) return;
    if (typeof value !== "number" || Number.isNaN(value)) {
      fail("type", `${prefix} '${name}' must be a number`);
    }
    if (value < min || value > max || (integer && !Number.isInteger(value))) {
      const what = integer ? "an integer" : "a number";
      fail(
        "range",
        `${prefix} '${name}' must be ${what} from ${min} to ${max}: current value is ${value}`,
      );
    }
  };
  const { hostname, port, path } = options;
  if (path !== undefined) {
    if (port !== undefined || hostname !== undefined) {
      fail(
        "type",
        `${prefix} 'path' excludes 'hostname' and 'port': give either a Unix socket path or a host and port`,
      );
    }
    if (typeof path !== "string" || path.length === 0) {
      fail("type", `${prefix} 'path' must be a non-empty string`);
    }
  }
  if (
    hostname !== undefined &&
    (typeof hostname !== "string" || hostname.trim().length === 0)
  ) {
    fail("type", `${prefix} 'hostname' must be a non-empty string`);
  }
  checkNumber("port", port, 1, 65535, true);
  checkNumber("protocol", options.protocol, 1, 5, true);
  checkNumber("retryStart", options.retryStart, 1);
  checkNumber("retryFactor", options.retryFactor, 1);
  checkNumber("retryMax", options.retryMax, options.retryStart ?? 1);
  checkNumber("jitter", options.jitter, 0, 1);
  checkNumber("connectTimeout", options.connectTimeout, 1);
  checkNumber("writeTimeout", options.writeTimeout, 1);
  checkNumber("maxQueueRecords", options.maxQueueRecords, 1, 2 ** 30, true);
  checkNumber("maxQueueBytes", options.maxQueueBytes, 1, 2 ** 52, true);
  checkNumber("exitTimeout", options.exitTimeout, 0);
  checkNumber("maxBatchBytes", options.maxBatchBytes, 1, 2 ** 30, true);
  checkNumber("errorInterval", options.errorInterval, 0);
  const { overflow } = options;
  if (
    overflow !== undefined && overflow !== "drop-oldest" &&
    overflow !== "drop-newest"
  ) {
    fail(
      "type",
      `${prefix} 'overflow' must be "drop-oldest" or "drop-newest": current value is ${
        JSON.stringify(overflow)
      }`,
    );
  }
  if (options.onError !== undefined && typeof options.onError !== "function") {
    fail("type", `${prefix} 'onError' must be a function`);
  }
  validateTlsOptions(options.tls, owner, path !== undefined);
  const { noticeLoggerName } = options;
  if (noticeLoggerName !== undefined && typeof noticeLoggerName !== "string") {
    fail("type", `${prefix} 'noticeLoggerName' must be a string`);
  }
}

/**
 * The receiver address of validated options, with the defaults applied.
 *
 * @param options Validated options.
 * @returns The target.
 */
export function targetOf(options: SocketOptions): SocketTarget {
  const connectTimeout = options.connectTimeout ?? 1000;
  if (options.path !== undefined) {
    return {
      hostname: undefined,
      port: undefined,
      path: options.path,
      tls: undefined,
      connectTimeout,
    };
  }
  const tls = options.tls;
  return {
    hostname: options.hostname ?? "localhost",
    port: options.port ?? DEFAULT_TCP_LOGGING_PORT,
    path: undefined,
    tls: tls === undefined ? undefined : Object.freeze({
      ...tls,
      ...(tls.caCerts && { caCerts: [...tls.caCerts] }),
    }),
    connectTimeout,
  };
}

/**
 * Opens a connection to the target (TCP with `TCP_NODELAY`, TLS with the
 * handshake done, or a Unix stream socket).
 *
 * @param target The receiver address.
 * @param signal Aborted on connect timeout or close (Unix connects take no
 * signal; the engine abandons a hung attempt).
 * @returns The connection.
 */
export async function connectTo(
  target: SocketTarget,
  signal: AbortSignal,
): Promise<Deno.Conn> {
  if (target.path !== undefined) {
    return await Deno.connect({ transport: "unix", path: target.path });
  }
  const hostname = target.hostname ?? "localhost";
  const port = target.port ?? DEFAULT_TCP_LOGGING_PORT;
  if (target.tls !== undefined) {
    return await connectTls({
      hostname,
      port,
      tls: target.tls,
      connectTimeout: target.connectTimeout,
    }, signal);
  }
  const conn = await Deno.connect({ hostname, port, signal });
  conn.setNoDelay(true);
  return conn;
}

const ENGINE_KEYS = [
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

/**
 * Picks the engine options that are set (an `undefined` value is not
 * copied, as `exactOptionalPropertyTypes` requires). With TLS the engine's
 * `connectTimeout` bounds connect + handshake, so it is the sum of both
 * (`connectTo` applies each separately).
 *
 * @param options The options.
 * @returns The engine tuning options.
 */
export function engineOptions(options: SocketOptions): EngineTuning {
  const out: EngineTuning = {};
  for (const key of ENGINE_KEYS) {
    if (options[key] !== undefined) {
      (out as Record<string, unknown>)[key] = options[key];
    }
  }
  if (options.tls !== undefined && options.path === undefined) {
    out.connectTimeout = (options.connectTimeout ?? 1000) +
      (options.tls.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT) +
      (options.tls.settleTimeout ?? DEFAULT_SETTLE_TIMEOUT);
  }
  return out;
}

/**
 * The text of the dropped-records notice, e.g. `3 records dropped between
 * 2026-01-01T00:00:00.000Z and 2026-01-01T00:00:01.000Z (overflow: 3)`.
 *
 * @param notice The drop counts.
 * @returns The message.
 */
export function formatDropNotice(notice: DropNotice): string {
  const reasons = Object.entries(notice.byReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(", ");
  const first = new Date(notice.firstDropMs).toISOString();
  const last = new Date(notice.lastDropMs).toISOString();
  return `${notice.dropped} records dropped between ${first} and ${last} (${reasons})`;
}

/**
 * The frame of the WARNING record announcing dropped records, with extras
 * `dropped` and `dropped_by_reason`.
 *
 * @param notice The drop counts.
 * @param name The notice's logger name.
 * @param protocol The pickle protocol.
 * @returns The frame.
 */
export function dropNoticeFrame(
  notice: DropNotice,
  name: string,
  protocol: PickleProtocol,
): Uint8Array {
  const dict = recordDict({
    name,
    level: 30,
    msg: formatDropNotice(notice),
    timeMs: Date.now(),
    extra: {
      dropped: notice.dropped,
      dropped_by_reason: { ...notice.byReason },
    },
  });
  return dumpsFrame(dict, { protocol });
}
