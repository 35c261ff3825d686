// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The options of a `LogReceiver` ({@linkcode LogReceiverOptions}), their
 * defaults, and their validation into {@linkcode Settings}, done once when
 * the receiver is created.
 *
 * The limits against hostile or broken senders are on by default:
 * `maxBufferedBytes` bounds the bytes held across all connections (partial
 * frames plus unconsumed records), `maxConnections` evicts the longest-idle
 * connection to make room for a new one, and `minReadRate` / `frameTimeout`
 * close a connection that dribbles a started frame (slowloris).
 *
 * @module
 */
import type { LoadsOptions } from "../pickle/decoder.ts";
import type { CloseReason, ReceiverError } from "./errors.ts";
import type { PythonLogRecord } from "./python_log_record.ts";
import type { ConnectionInfo } from "./stats.ts";
import { WarningLines } from "./warnings.ts";
import {
  type ForwardTarget,
  type ResolvedTarget,
  resolveForwardTargets,
} from "../forward/target.ts";
import {
  DEFAULT_TCP_LOGGING_PORT,
  DEFAULT_UDP_LOGGING_PORT,
} from "../transport/options.ts";

/** Options of {@linkcode LogReceiver}. Durations are in milliseconds. */
export interface LogReceiverOptions {
  /**
   * Address to listen on (TCP). Use `"0.0.0.0"` or `"::"` to accept
   * remote senders; pickled logs are unauthenticated, so only on trusted
   * networks.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * TCP port; 0 picks a free one (read it back from
   * {@linkcode LogReceiver.prototype.port}).
   *
   * @default {9020}
   */
  port?: number;
  /**
   * Listen on this Unix stream socket path instead of TCP (needs
   * `--allow-read --allow-write`). The file is removed on close.
   */
  path?: string;
  /**
   * Serve TLS: the receiver's PEM certificate chain and key. With
   * `caCerts`, clients must present a certificate signed by one of them
   * (mutual TLS); without, any client may connect. Not with `path` or
   * `udp`. With `caCerts` the server is `node:tls` (Deno.listenTls cannot
   * verify client certificates), so wait for
   * {@linkcode LogReceiver.prototype.ready} before reading `port`.
   */
  tls?: ReceiverTlsOptions;
  /**
   * Receive UDP datagrams (Python's `DatagramHandler`: each datagram is the
   * 4-byte length + pickle) instead of TCP connections, via `node:dgram`.
   * The default port becomes 9021; wait for
   * {@linkcode LogReceiver.prototype.ready} before reading `port`.
   * Datagrams arriving while the buffer is full are dropped and counted
   * (`datagramsDropped`): UDP has no backpressure.
   *
   * @default {false}
   */
  udp?: boolean;
  /**
   * Largest accepted frame body in bytes. A larger length prefix closes
   * that connection (`frame-too-large`) before anything is allocated.
   *
   * @default {4194304} (4 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Most decoded records held for the async iterator / `next()`. When the
   * buffer is full, every connection stops reading (TCP backpressure
   * reaches the senders) until the consumer catches up.
   *
   * @default {1000}
   */
  maxBuffered?: number;
  /**
   * Most bytes held across all connections: partial frames being assembled
   * plus decoded records not yet consumed (a record counts as its frame's
   * length). When reached, connections stop reading (TCP backpressure) and
   * a partial frame is read only as far as it fits; the total never exceeds
   * it. Large partial frames may use only three quarters of it, so that
   * small frames are still served. Must be at least 2 × (`maxFrameBytes` +
   * 4). Each connection also has a 64 KiB read buffer, not counted here.
   *
   * @default {67108864} (64 MiB, or 2 × (`maxFrameBytes` + 4) if larger)
   */
  maxBufferedBytes?: number;
  /**
   * Closes a connection that sends no byte for this many milliseconds
   * (`idle-timeout`), e.g. half-open peers. Time spent paused by
   * backpressure does not count. 0 disables it.
   *
   * @default {0}
   */
  idleTimeout?: number;
  /**
   * Most simultaneous connections. At the limit a new connection evicts
   * the oldest connection that has not delivered a record yet, else the
   * longest-idle one (without a complete frame for the longest time);
   * closed as `evicted`. It is not refused, so a flood of idle or slow
   * connections cannot lock out new senders, and a sender that has
   * delivered records is not evicted by such a flood. Keep it below the process's file
   * descriptor limit (`ulimit -n`, often 1024; Deno cannot read it): when
   * accepting fails for lack of descriptors (EMFILE), the receiver also
   * evicts the longest-idle connection and retries after a few ms.
   *
   * @default {512}
   */
  maxConnections?: number;
  /**
   * Least read rate in bytes per second of a connection holding a partial
   * frame, averaged over `readRateWindow`; a slower one is closed (`slow`).
   * Connections between frames are only subject to `idleTimeout` and
   * eviction; time paused by backpressure from unconsumed records does not
   * count. 0 disables it.
   *
   * @default {1024}
   */
  minReadRate?: number;
  /**
   * Milliseconds over which `minReadRate` is averaged.
   *
   * @default {10000}
   */
  readRateWindow?: number;
  /**
   * Most milliseconds to complete a started frame; a connection still
   * holding it then is closed (`slow`). Time paused by backpressure from
   * unconsumed records does not count. 0 disables it.
   *
   * @default {30000}
   */
  frameTimeout?: number;
  /**
   * Write acknowledgements back on stream connections (TCP, TLS, Unix), for
   * senders with `sequence: true`: 16-byte frames (`00 00 00 0C`, `ACK1`,
   * a 64-bit big-endian count; see docs/wire-format.md) whose count is the
   * number of frames read from the connection, in order, that the
   * receiver is done with: each record handed to the consumer (taken by
   * the iterator or `next()`; with `onRecord` and no buffer, once
   * `onRecord` returned or its promise settled), each duplicate
   * suppressed, each frame refused. Records still in the buffer are not
   * acknowledged. Only connections that have delivered a record with a
   * str `sender` attribute are ever written to: Python's `SocketHandler`
   * never reads its socket (unread bytes would make its `close()` reset
   * the connection). At most one acknowledgement write is in flight per
   * connection (later counts are coalesced into the next); a sender that
   * never reads costs 16 bytes and never slows reading. Not with `udp`.
   *
   * @default {false}
   */
  ack?: boolean;
  /**
   * Milliseconds a gap in a sender's `seq` numbers may stay open (records
   * reordered or in flight) before the records are announced missing: a
   * WARNING record from logger `pylogging.receiver` in the record stream
   * and `stats().sequence.missing`. `Infinity`: only at close.
   *
   * @default {2000}
   */
  gapTimeout?: number;
  /**
   * Called with every record in arrival order (per connection). If it
   * returns a promise, that connection's reading waits for it. A throw or
   * rejection is reported as `callback-error`.
   */
  onRecord?: (
    record: PythonLogRecord,
    conn: ConnectionInfo,
  ) => void | Promise<void>;
  /**
   * Whether records are also buffered for the async iterator and
   * {@linkcode LogReceiver.prototype.next}.
   *
   * @default {true without onRecord, false with onRecord}
   */
  buffer?: boolean;
  /**
   * Called for every per-connection or per-record problem. The default
   * prints one line to stderr with `console.error`, rate limited per kind
   * (the first 10, then one a minute that counts the others).
   */
  onError?: (error: ReceiverError, conn: ConnectionInfo | undefined) => void;
  /** Called when a connection ends, with its reason. */
  onClose?: (conn: ConnectionInfo, reason: CloseReason) => void;
  /**
   * Forward every record the receiver delivers to existing log engines
   * (rsyslog, syslog-ng, Vector, Fluent Bit…): each target is a URL, or a
   * {@linkcode ForwardTarget} with the URL and its TLS, facility and queue
   * options:
   *
   * - `syslog+tcp://HOST:PORT`, `syslog+tls://HOST:PORT`: RFC 5424
   *   messages in RFC 6587 octet-counting framing (the record's fields in
   *   the structured data `[python@32473 …]`);
   * - `ndjson+tcp://HOST:PORT`, `ndjson+tls://HOST:PORT`: one JSON object
   *   per line, the CLI's `--format json`.
   *
   * Every record delivered is forwarded (after duplicate suppression, the
   * missing-record warnings included), whatever the consumer does. Each
   * target has its own bounded queue and connection (reconnected with
   * jittered backoff): forwarding never blocks or slows receiving; a
   * target that is down or slow loses its oldest records beyond its
   * queue's bounds, counted in `stats().forward` and reported through
   * `onError` (kind `"forward"`). {@linkcode LogReceiver.prototype.close}
   * delivers what is queued, up to its deadline. Acknowledgements
   * (`ack`) do not wait for forwarding: delivery to a target is at most
   * once. A syslog HOSTNAME that no record names is the receiver's host
   * name with `--allow-sys=hostname`, else `-`.
   *
   * Validated when the receiver is created (`TypeError`, `RangeError`).
   */
  forward?: (string | ForwardTarget)[];
  /**
   * Options passed to the safe decoder for every frame. `objects` defaults
   * to `"inert"` here: pickled objects (datetime, Decimal, enum members,
   * dataclasses, loggers…) arrive as inert `PyObject` placeholders; pass
   * `objects: "refuse"` to skip frames holding any.
   */
  loadsOptions?: LoadsOptions;
}

/** TLS options of {@linkcode LogReceiver}. */
export interface ReceiverTlsOptions {
  /** PEM certificate chain of the receiver. */
  cert: string;
  /** PEM private key of `cert`. */
  key: string;
  /**
   * PEM CA certificates; when given, clients must present a certificate
   * signed by one of them.
   */
  caCerts?: string[];
}

const DEFAULT_HOSTNAME = "127.0.0.1";
const DEFAULT_MAX_FRAME = 4 * 1024 * 1024;
const DEFAULT_MAX_BUFFERED = 1000;
const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 512;
const DEFAULT_MIN_READ_RATE = 1024;
const DEFAULT_READ_RATE_WINDOW = 10_000;
const DEFAULT_FRAME_TIMEOUT = 30_000;
const DEFAULT_GAP_TIMEOUT = 2000;
/** The largest length a 4-byte prefix can say. */
const MAX_FRAME_LIMIT = 0xffffffff;

/** Where a receiver listens. */
export type ListenAt =
  | { readonly transport: "unix"; readonly path: string }
  | {
    readonly transport: "tcp";
    readonly hostname: string;
    readonly port: number;
    readonly tls: ReceiverTlsOptions | undefined;
  }
  | {
    readonly transport: "udp";
    readonly hostname: string;
    readonly port: number;
  };

/** The options of a receiver, validated and with their defaults. */
export interface Settings {
  /** Where to listen. */
  readonly at: ListenAt;
  /** Largest frame body (≤ 2³² − 1). */
  readonly maxFrameBytes: number;
  /** Most buffered records. */
  readonly maxBuffered: number;
  /** Most bytes held in partial frames and unconsumed records. */
  readonly maxBufferedBytes: number;
  /** Idle timeout in ms; 0 for none. */
  readonly idleTimeout: number;
  /** Most open connections (may be `Infinity`). */
  readonly maxConnections: number;
  /** Least read rate (bytes/s) with a partial frame; 0 for none. */
  readonly minReadRate: number;
  /** Window of `minReadRate` in ms. */
  readonly readRateWindow: number;
  /** Most ms to complete a started frame; 0 for none. */
  readonly frameTimeout: number;
  /** Whether acknowledgements are written (stream connections only). */
  readonly ack: boolean;
  /** Ms before a gap in a sender's numbers is announced; may be `Infinity`. */
  readonly gapTimeout: number;
  /** Whether records are buffered for `next()` and the iterator. */
  readonly buffer: boolean;
  /** The record callback. */
  readonly onRecord: LogReceiverOptions["onRecord"];
  /** The problem callback (the default prints to stderr). */
  readonly onError: NonNullable<LogReceiverOptions["onError"]>;
  /** The close callback. */
  readonly onClose: LogReceiverOptions["onClose"];
  /** Options of the safe decoder. */
  readonly loadsOptions: LoadsOptions;
  /** The forward targets (none without the option). */
  readonly forward: readonly ResolvedTarget[];
}

/**
 * Validates the options of a receiver and fills in the defaults.
 *
 * @param options The options.
 * @returns The settings.
 * @throws {RangeError} A limit or the port is out of range.
 * @throws {TypeError} `tls` or `forward` is malformed, or options exclude
 * each other.
 */
export function resolveOptions(options: LogReceiverOptions): Settings {
  let maxFrameBytes = positiveInt(
    "maxFrameBytes",
    options.maxFrameBytes,
    DEFAULT_MAX_FRAME,
  );
  if (maxFrameBytes > MAX_FRAME_LIMIT) maxFrameBytes = MAX_FRAME_LIMIT;
  const maxBuffered = positiveInt(
    "maxBuffered",
    options.maxBuffered,
    DEFAULT_MAX_BUFFERED,
  );
  const maxConnections = positiveInt(
    "maxConnections",
    options.maxConnections,
    DEFAULT_MAX_CONNECTIONS,
  );
  const maxBufferedBytes = positiveInt(
    "maxBufferedBytes",
    options.maxBufferedBytes,
    Math.max(DEFAULT_MAX_BUFFERED_BYTES, 2 * (maxFrameBytes + 4)),
  );
  if (maxBufferedBytes < 2 * (maxFrameBytes + 4)) {
    throw new RangeError(
      `Cannot create LogReceiver as 'maxBufferedBytes' must be at least 2 × ('maxFrameBytes' + 4) (${
        2 * (maxFrameBytes + 4)
      }): current value is ${maxBufferedBytes}`,
    );
  }
  const idle = nonNegative("idleTimeout", options.idleTimeout, 0);
  const frameTimeout = nonNegative(
    "frameTimeout",
    options.frameTimeout,
    DEFAULT_FRAME_TIMEOUT,
  );
  const minReadRate = nonNegative(
    "minReadRate",
    options.minReadRate,
    DEFAULT_MIN_READ_RATE,
  );
  const readRateWindow = positiveInt(
    "readRateWindow",
    options.readRateWindow,
    DEFAULT_READ_RATE_WINDOW,
  );
  const gapTimeout = nonNegative(
    "gapTimeout",
    options.gapTimeout,
    DEFAULT_GAP_TIMEOUT,
  );
  const at = listenAt(options);
  const forward = resolveForwardTargets(options.forward);
  const ack = options.ack ?? false;
  if (typeof ack !== "boolean") {
    throw new TypeError(
      `Cannot create LogReceiver as 'ack' must be a boolean: current value is ${
        String(ack)
      } (${typeof ack})`,
    );
  }
  if (ack && at.transport === "udp") {
    throw new TypeError(
      "Cannot create LogReceiver as 'ack' needs stream connections (TCP, TLS or Unix): it excludes 'udp'",
    );
  }
  return {
    at,
    maxFrameBytes,
    maxBuffered,
    maxBufferedBytes,
    idleTimeout: idle === Infinity ? 0 : idle,
    maxConnections,
    minReadRate: minReadRate === Infinity ? 0 : minReadRate,
    readRateWindow: readRateWindow === Infinity
      ? DEFAULT_READ_RATE_WINDOW
      : readRateWindow,
    frameTimeout: frameTimeout === Infinity ? 0 : frameTimeout,
    ack,
    gapTimeout,
    buffer: options.buffer ?? options.onRecord === undefined,
    onRecord: options.onRecord,
    onError: options.onError ?? defaultOnError(),
    onClose: options.onClose,
    loadsOptions: { objects: "inert", ...options.loadsOptions },
    forward,
  };
}

/** Where to listen: `path`, `udp` or TCP (with or without `tls`). */
function listenAt(options: LogReceiverOptions): ListenAt {
  const { tls, udp = false, path } = options;
  if (tls !== undefined) {
    if (
      tls === null || typeof tls !== "object" ||
      typeof tls.cert !== "string" || typeof tls.key !== "string" ||
      (tls.caCerts !== undefined &&
        (!Array.isArray(tls.caCerts) ||
          tls.caCerts.some((c) => typeof c !== "string")))
    ) {
      throw new TypeError(
        "Cannot create LogReceiver as 'tls' must have PEM strings 'cert' and 'key' and optionally an array 'caCerts'",
      );
    }
    if (path !== undefined || udp) {
      throw new TypeError(
        "Cannot create LogReceiver as 'tls' needs TCP: it excludes 'path' and 'udp'",
      );
    }
  }
  if (udp && path !== undefined) {
    throw new TypeError(
      "Cannot create LogReceiver as 'udp' excludes 'path': Unix datagram sockets are not supported (Deno.listenDatagram is unstable and node:dgram only supports udp4/udp6)",
    );
  }
  if (path !== undefined) return { transport: "unix", path };
  const port = options.port ??
    (udp ? DEFAULT_UDP_LOGGING_PORT : DEFAULT_TCP_LOGGING_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot create LogReceiver as 'port' must be an integer from 0 to 65535: current value is ${port}`,
    );
  }
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  return udp
    ? { transport: "udp", hostname, port }
    : { transport: "tcp", hostname, port, tls };
}

function positiveInt(
  name: string,
  v: number | undefined,
  def: number,
): number {
  if (v === undefined) return def;
  if (!(v > 0) || (!Number.isInteger(v) && v !== Infinity)) {
    throw new RangeError(
      `Cannot create LogReceiver as '${name}' must be a positive integer: current value is ${v}`,
    );
  }
  return v;
}

function nonNegative(
  name: string,
  v: number | undefined,
  def: number,
): number {
  if (v === undefined) return def;
  if (!(v >= 0)) {
    throw new RangeError(
      `Cannot create LogReceiver as '${name}' must be a non-negative number: current value is ${v}`,
    );
  }
  return v;
}

/** The default `onError` of one receiver: rate-limited lines on stderr. */
function defaultOnError(): NonNullable<LogReceiverOptions["onError"]> {
  const lines = new WarningLines((line) => console.error(line));
  return (error, conn) => {
    const where = conn ? ` (connection ${conn.id} from ${addrText(conn)})` : "";
    lines.warn(
      error.kind,
      `LogReceiver: ${error.kind}: ${error.message}${where}`,
    );
  };
}

function addrText(conn: ConnectionInfo): string {
  const a = conn.remoteAddr;
  if (a.transport === "tcp" || a.transport === "udp") {
    return `${a.hostname}:${a.port}`;
  }
  return (a as Deno.UnixAddr).path || "unix";
}
