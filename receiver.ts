// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode LogReceiver}: a safe, bounded TCP / Unix-socket server for the
 * frames that Python's `logging.handlers.SocketHandler` (and this package's
 * `SocketHandler`) send: a 4-byte big-endian length followed by a pickled
 * `LogRecord.__dict__`.
 *
 * Unlike the logging cookbook's receiver, it never runs code from the wire
 * (pickles are decoded by an allowlist decoder), bounds frame sizes and its
 * record buffer, isolates every connection (a bad frame closes only its own
 * connection) and validates each record's field types
 * ({@linkcode makeLogRecord}).
 *
 * @example Receive records in a test
 * ```ts ignore
 * import { LogReceiver } from "@pylogging/socket-handler/receiver";
 *
 * await using receiver = new LogReceiver({ port: 0 });
 * // ... point a SocketHandler at 127.0.0.1:receiver.port and log twice ...
 * const [first, second] = await receiver.next(2, { timeout: 5000 });
 * console.log(first.levelname, first.getMessage(), second.name);
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
 * @module
 */
import dgram from "node:dgram";
import tls from "node:tls";
import { loads, type LoadsOptions, UnpicklingError } from "./unpickle.ts";
import { Fifo } from "./_fifo.ts";
import { STANDARD_FIELDS } from "./_schema.ts";
import { makeLogRecord, type PythonLogRecord } from "./receiver/record.ts";

export { STANDARD_FIELDS };
export { makeLogRecord, type PythonLogRecord };
export type { LoadsOptions };

/** Python's `logging.handlers.DEFAULT_TCP_LOGGING_PORT`. */
const DEFAULT_PORT = 9020;
/** Python's `logging.handlers.DEFAULT_UDP_LOGGING_PORT`. */
const DEFAULT_UDP_PORT = 9021;
const DEFAULT_MAX_FRAME = 4 * 1024 * 1024;
const DEFAULT_MAX_BUFFERED = 1000;
const READ_SIZE = 64 * 1024;
const RECENT_CLOSED = 100;

// ---------------------------------------------------------------------------
// Receiver
// ---------------------------------------------------------------------------

/** Identifies one accepted connection in callbacks and stats. */
export interface ConnectionInfo {
  /** Sequence number of the connection (1, 2, …) within this receiver. */
  readonly id: number;
  /** The peer's address (`transport` `"unix"` for Unix sockets). */
  readonly remoteAddr: Deno.Addr;
}

/**
 * Why a connection ended:
 * - `eof`: the sender closed it between frames (normal);
 * - `frame-too-large`: a length prefix above `maxFrameBytes`;
 * - `bad-pickle`: a frame the safe decoder rejected (garbage, code-running
 *   opcodes, …);
 * - `torn-frame`: EOF in the middle of a frame;
 * - `idle-timeout`: no byte for `idleTimeout` ms;
 * - `read-error`: the socket failed (e.g. `ConnectionReset`);
 * - `too-many-connections`: refused because of `maxConnections`;
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
 *   (UDP has no backpressure).
 */
export type ReceiverErrorKind =
  | Exclude<CloseReason, "eof" | "receiver-closed">
  | "invalid-record"
  | "callback-error"
  | "accept-error"
  | "tls-error"
  | "bad-datagram"
  | "datagram-dropped";

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
   * Closes a connection that sends no byte for this many milliseconds
   * (`idle-timeout`), e.g. half-open peers. Time spent paused by
   * backpressure does not count. 0 disables it.
   *
   * @default {0}
   */
  idleTimeout?: number;
  /**
   * Most simultaneous connections; further ones are closed at once
   * (`too-many-connections`).
   *
   * @default {Infinity}
   */
  maxConnections?: number;
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
   * prints one line to stderr with `console.error`.
   */
  onError?: (error: ReceiverError, conn: ConnectionInfo | undefined) => void;
  /** Called when a connection ends, with its reason. */
  onClose?: (conn: ConnectionInfo, reason: CloseReason) => void;
  /** Options passed to the safe decoder for every frame. */
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

/** Counters of one connection. */
export interface ConnectionStats extends ConnectionInfo {
  /** Records received. */
  records: number;
  /** Bytes received. */
  bytes: number;
  /** Problems reported (`onError` calls). */
  errors: number;
  /** When it was accepted (ms since the epoch). */
  openedAt: number;
  /** Why it ended; `undefined` while open. */
  closeReason: CloseReason | undefined;
  /** Detail of a non-`eof` end. */
  closeDetail: string | undefined;
}

/** Counters of a {@linkcode LogReceiver}. */
export interface ReceiverStats {
  /** Records received (delivered or buffered). */
  records: number;
  /** Bytes received. */
  bytes: number;
  /** Problems reported through `onError`. */
  errors: number;
  /** Records delivered with non-empty `problems`. */
  invalidRecords: number;
  /** Connections currently open. */
  connectionsOpen: number;
  /** Connections accepted so far. */
  connectionsTotal: number;
  /** Count of ended connections by reason. */
  closedReasons: { [reason in CloseReason]?: number };
  /** Records waiting in the buffer. */
  buffered: number;
  /** UDP only: datagrams received (valid or not). */
  datagrams: number;
  /** UDP only: records dropped because the buffer was full. */
  datagramsDropped: number;
  /** Most records ever waiting in the buffer (≤ `maxBuffered`). */
  bufferedHighWater: number;
  /** Open connections. */
  connections: ConnectionStats[];
  /** The last 100 ended connections, oldest first. */
  recentlyClosed: ConnectionStats[];
}

/** Options of {@linkcode LogReceiver.prototype.next}. */
export interface NextOptions {
  /**
   * Milliseconds to wait for all records; `Infinity` waits forever.
   *
   * @default {10000}
   */
  timeout?: number;
  /** Aborts the wait (rejects with the signal's reason). */
  signal?: AbortSignal;
}

interface Waiter {
  need: number;
  got: PythonLogRecord[];
  resolve(records: PythonLogRecord[]): void;
  reject(error: unknown): void;
}

/** What the serving loop needs of a connection. */
interface ReadConn {
  readonly remoteAddr: Deno.Addr;
  read(p: Uint8Array): Promise<number | null>;
  close(): void;
}

/** A `node:tls` socket seen as a {@linkcode ReadConn}, with backpressure. */
class NodeSocketConn implements ReadConn {
  readonly remoteAddr: Deno.NetAddr;
  #socket: tls.TLSSocket;
  #chunks: Uint8Array[] = [];
  #offset = 0;
  #bufferedBytes = 0;
  #ended = false;
  #error: unknown = undefined;
  #wake: (() => void) | undefined;

  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#bufferedBytes += chunk.length;
      if (this.#bufferedBytes >= READ_SIZE) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (e: unknown) => {
      this.#error ??= e;
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    for (;;) {
      const chunk = this.#chunks[0];
      if (chunk !== undefined) {
        const n = Math.min(p.length, chunk.length - this.#offset);
        p.set(chunk.subarray(this.#offset, this.#offset + n));
        this.#offset += n;
        this.#bufferedBytes -= n;
        if (this.#offset === chunk.length) {
          this.#chunks.shift();
          this.#offset = 0;
        }
        if (this.#bufferedBytes < READ_SIZE) this.#socket.resume();
        return n;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  close(): void {
    this.#ended = true;
    this.#socket.destroy();
    this.#notify();
  }
}

interface Conn {
  info: ConnectionStats;
  conn: ReadConn;
  closing: CloseReason | undefined;
  closeDetail: string | undefined;
  paused: boolean;
  lastActivity: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

function defaultOnError(
  error: ReceiverError,
  conn: ConnectionInfo | undefined,
): void {
  const where = conn ? ` (connection ${conn.id} from ${addrText(conn)})` : "";
  console.error(`LogReceiver: ${error.kind}: ${error.message}${where}`);
}

function addrText(conn: ConnectionInfo): string {
  const a = conn.remoteAddr;
  if (a.transport === "tcp" || a.transport === "udp") {
    return `${a.hostname}:${a.port}`;
  }
  return (a as Deno.UnixAddr).path || "unix";
}

function positiveInt(name: string, v: number | undefined, def: number) {
  if (v === undefined) return def;
  if (!(v > 0) || (!Number.isInteger(v) && v !== Infinity)) {
    throw new RangeError(
      `Cannot create LogReceiver as '${name}' must be a positive integer: current value is ${v}`,
    );
  }
  return v;
}

/**
 * A server for Python `SocketHandler` frames over TCP or a Unix socket.
 *
 * It listens as soon as it is constructed and delivers records through an
 * async iterator (`for await (const record of receiver)`), through
 * {@linkcode LogReceiver.prototype.next} (convenient in tests), and/or
 * through the `onRecord` callback. Several iterators share one stream:
 * each record goes to one of them. Leaving a `for await` loop does not
 * close the receiver.
 *
 * Each connection has its own reading task; a problem on one connection
 * (oversized length, undecodable or malicious pickle, torn frame, idle
 * timeout, reset) closes that connection only, is reported to `onError`,
 * and counted in {@linkcode LogReceiver.prototype.stats}.
 *
 * @example Usage
 * ```ts
 * import { LogReceiver } from "@pylogging/socket-handler/receiver";
 * import { dumpsFrame } from "@pylogging/socket-handler/pickle";
 * import { equal } from "node:assert/strict";
 *
 * await using receiver = new LogReceiver({ port: 0 });
 * using conn = await Deno.connect({ port: receiver.port });
 * const frame = dumpsFrame({ name: "app", msg: "hi", levelno: 20, levelname: "INFO" });
 * await conn.write(frame);
 * const [record] = await receiver.next(1, { timeout: 5000 });
 * equal(record!.getMessage(), "hi");
 * equal(record!.levelname, "INFO");
 * ```
 */
export class LogReceiver
  implements AsyncDisposable, AsyncIterable<PythonLogRecord> {
  #listener: Deno.Listener | undefined;
  #tlsServer: tls.Server | undefined;
  #udpSocket: dgram.Socket | undefined;
  #ready: Promise<void>;
  #boundAddr: Deno.NetAddr | Deno.UnixAddr | undefined;
  #datagrams = 0;
  #datagramsDropped = 0;
  #path: string | undefined;
  #maxFrame: number;
  #maxBuffered: number;
  #idleTimeout: number;
  #maxConnections: number;
  #onRecord: LogReceiverOptions["onRecord"];
  #buffer: boolean;
  #onError: NonNullable<LogReceiverOptions["onError"]>;
  #onClose: LogReceiverOptions["onClose"];
  #loadsOptions: LoadsOptions | undefined;

  #queue = new Fifo<PythonLogRecord>();
  #waiters: Waiter[] = [];
  #spaceWaiters: (() => void)[] = [];
  #conns = new Map<number, Conn>();
  #tasks = new Set<Promise<void>>();
  #acceptTask: Promise<void>;
  #closing = false;
  #closed: Promise<void> | undefined;
  #nextId = 0;

  #records = 0;
  #bytes = 0;
  #errors = 0;
  #invalid = 0;
  #highWater = 0;
  #closedReasons: { [reason in CloseReason]?: number } = {};
  #recent: ConnectionStats[] = [];

  /**
   * Starts listening.
   *
   * @param options Address, limits and callbacks.
   * @throws {Deno.errors.AddrInUse} The address is in use.
   * @throws {RangeError} A limit is not a positive integer.
   */
  constructor(options: LogReceiverOptions = {}) {
    this.#maxFrame = positiveInt(
      "maxFrameBytes",
      options.maxFrameBytes,
      DEFAULT_MAX_FRAME,
    );
    if (this.#maxFrame > 0xffffffff) this.#maxFrame = 0xffffffff;
    this.#maxBuffered = positiveInt(
      "maxBuffered",
      options.maxBuffered,
      DEFAULT_MAX_BUFFERED,
    );
    this.#maxConnections = positiveInt(
      "maxConnections",
      options.maxConnections,
      Infinity,
    );
    const idle = options.idleTimeout ?? 0;
    if (!(idle >= 0)) {
      throw new RangeError(
        `Cannot create LogReceiver as 'idleTimeout' must be a non-negative number: current value is ${idle}`,
      );
    }
    this.#idleTimeout = idle === Infinity ? 0 : idle;
    this.#onRecord = options.onRecord;
    this.#buffer = options.buffer ?? options.onRecord === undefined;
    this.#onError = options.onError ?? defaultOnError;
    this.#onClose = options.onClose;
    this.#loadsOptions = options.loadsOptions;
    const { tls: tlsOptions, udp = false } = options;
    if (tlsOptions !== undefined) {
      if (
        tlsOptions === null || typeof tlsOptions !== "object" ||
        typeof tlsOptions.cert !== "string" ||
        typeof tlsOptions.key !== "string" ||
        (tlsOptions.caCerts !== undefined &&
          (!Array.isArray(tlsOptions.caCerts) ||
            tlsOptions.caCerts.some((c) => typeof c !== "string")))
      ) {
        throw new TypeError(
          "Cannot create LogReceiver as 'tls' must have PEM strings 'cert' and 'key' and optionally an array 'caCerts'",
        );
      }
      if (options.path !== undefined || udp) {
        throw new TypeError(
          "Cannot create LogReceiver as 'tls' needs TCP: it excludes 'path' and 'udp'",
        );
      }
    }
    if (udp && options.path !== undefined) {
      throw new TypeError(
        "Cannot create LogReceiver as 'udp' excludes 'path': Unix datagram sockets are not supported (Deno.listenDatagram is unstable and node:dgram only supports udp4/udp6)",
      );
    }
    if (options.path !== undefined) {
      this.#path = options.path;
      this.#listener = Deno.listen({ transport: "unix", path: options.path });
      this.#ready = Promise.resolve();
      this.#acceptTask = this.#acceptLoop();
      return;
    }
    const port = options.port ?? (udp ? DEFAULT_UDP_PORT : DEFAULT_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(
        `Cannot create LogReceiver as 'port' must be an integer from 0 to 65535: current value is ${port}`,
      );
    }
    const hostname = options.hostname ?? "127.0.0.1";
    if (udp) {
      const socket = dgram.createSocket(
        hostname.includes(":") ? "udp6" : "udp4",
      );
      this.#udpSocket = socket;
      socket.on(
        "message",
        (msg: Uint8Array, rinfo: dgram.RemoteInfo) =>
          this.#onDatagram(msg, rinfo),
      );
      this.#ready = new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(port, hostname, () => {
          socket.off("error", reject);
          socket.on("error", (e: unknown) =>
            this.#report(
              new ReceiverError(
                "read-error",
                `Cannot receive datagrams: ${errText(e)}`,
                { cause: e },
              ),
              undefined,
            ));
          const a = socket.address();
          this.#boundAddr = {
            transport: "udp",
            hostname: a.address,
            port: a.port,
          };
          resolve();
        });
      });
      this.#acceptTask = this.#ready.then(
        () => new Promise<void>((r) => socket.once("close", () => r())),
        () => {},
      );
      return;
    }
    if (tlsOptions?.caCerts !== undefined) {
      // Deno.listenTls cannot request client certificates: use node:tls.
      const server = tls.createServer({
        cert: tlsOptions.cert,
        key: tlsOptions.key,
        ca: tlsOptions.caCerts,
        requestCert: true,
        rejectUnauthorized: true,
      });
      this.#tlsServer = server;
      server.on("secureConnection", (socket: tls.TLSSocket) => {
        if (this.#closing) {
          socket.destroy();
          return;
        }
        this.#accepted(new NodeSocketConn(socket));
      });
      server.on("tlsClientError", (e: Error, socket: tls.TLSSocket) => {
        // Deno's node:tls may not know the peer address at this point.
        const peer = socket.remoteAddress === undefined
          ? "a client"
          : `${socket.remoteAddress}:${socket.remotePort}`;
        socket.destroy();
        if (this.#closing) return;
        this.#report(
          new ReceiverError(
            "tls-error",
            `TLS handshake with ${peer} failed: ${e.message}`,
            { cause: e },
          ),
          undefined,
        );
      });
      this.#ready = new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, hostname, () => {
          server.off("error", reject);
          const a = server.address();
          if (a !== null && typeof a === "object") {
            this.#boundAddr = {
              transport: "tcp",
              hostname: a.address,
              port: a.port,
            };
          }
          resolve();
        });
      });
      this.#acceptTask = this.#ready.then(
        () => new Promise<void>((r) => server.once("close", () => r())),
        () => {},
      );
      return;
    }
    this.#listener = tlsOptions !== undefined
      ? Deno.listenTls({
        hostname,
        port,
        transport: "tcp",
        cert: tlsOptions.cert,
        key: tlsOptions.key,
      })
      : Deno.listen({ hostname, port, transport: "tcp" });
    this.#ready = Promise.resolve();
    this.#acceptTask = this.#acceptLoop();
  }

  /**
   * Resolves once the receiver is bound. Immediate for TCP, TLS without
   * client certificates and Unix sockets; with `udp` or `tls.caCerts`,
   * `addr` and `port` are known only after it resolves. Rejects if binding
   * failed (e.g. the address is in use).
   *
   * @returns A promise that resolves when listening.
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * The bound address (`transport` `"tcp"`, `"udp"` or `"unix"`). With
   * `udp` or `tls.caCerts`, read it after {@linkcode LogReceiver.prototype.ready}.
   *
   * @throws {Error} If the receiver is not bound yet.
   */
  get addr(): Deno.NetAddr | Deno.UnixAddr {
    if (this.#listener !== undefined) {
      return this.#listener.addr as Deno.NetAddr | Deno.UnixAddr;
    }
    if (this.#boundAddr === undefined) {
      throw new Error(
        "Cannot read the address as the receiver is not bound yet: await 'ready' first",
      );
    }
    return this.#boundAddr;
  }

  /**
   * The bound TCP or UDP port (useful with `port: 0`); 0 for a Unix socket,
   * and 0 before {@linkcode LogReceiver.prototype.ready} with `udp` or
   * `tls.caCerts`.
   */
  get port(): number {
    const a = this.#listener?.addr ?? this.#boundAddr;
    return a !== undefined && (a.transport === "tcp" || a.transport === "udp")
      ? a.port
      : 0;
  }

  /** Number of records waiting in the buffer. */
  get buffered(): number {
    return this.#queue.size;
  }

  /** Whether {@linkcode LogReceiver.prototype.close} has been called. */
  get closed(): boolean {
    return this.#closing;
  }

  /**
   * Returns the counters, total and per connection.
   *
   * @returns A snapshot of the counters.
   */
  stats(): ReceiverStats {
    const connections: ConnectionStats[] = [];
    for (const c of this.#conns.values()) connections.push({ ...c.info });
    return {
      records: this.#records,
      bytes: this.#bytes,
      errors: this.#errors,
      invalidRecords: this.#invalid,
      connectionsOpen: this.#conns.size,
      connectionsTotal: this.#nextId,
      closedReasons: { ...this.#closedReasons },
      buffered: this.buffered,
      datagrams: this.#datagrams,
      datagramsDropped: this.#datagramsDropped,
      bufferedHighWater: this.#highWater,
      connections,
      recentlyClosed: this.#recent.map((c) => ({ ...c })),
    };
  }

  /**
   * Waits for the next `count` records (from the buffer first).
   *
   * @param count How many records, at least 1.
   * @param options Timeout and abort signal.
   * @returns The records, in arrival order.
   * @throws {ReceiveTimeoutError} Fewer records arrived within `timeout`
   * (its `records` holds them; they are not returned to the buffer).
   * @throws {Error} The receiver closed before `count` records arrived.
   * @throws {TypeError} Buffering is off (`onRecord` without `buffer`).
   *
   * @example Usage
   * ```ts ignore
   * const records = await receiver.next(3, { timeout: 2000 });
   * ```
   */
  next(count = 1, options: NextOptions = {}): Promise<PythonLogRecord[]> {
    if (!this.#buffer) {
      return Promise.reject(
        new TypeError(
          "Cannot wait for records as buffering is off: pass 'buffer: true' with 'onRecord'",
        ),
      );
    }
    if (!(count >= 1) || !Number.isInteger(count)) {
      return Promise.reject(
        new RangeError(
          `Cannot wait for records as 'count' must be a positive integer: current value is ${count}`,
        ),
      );
    }
    const got: PythonLogRecord[] = [];
    while (got.length < count && this.buffered > 0) got.push(this.#take());
    if (got.length === count) return Promise.resolve(got);
    if (this.#closing) {
      return Promise.reject(
        new Error(
          `Cannot receive ${count} records as the receiver is closed: got ${got.length}`,
        ),
      );
    }
    const timeout = options.timeout ?? 10_000;
    const signal = options.signal;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
      };
      const onAbort = () => {
        cleanup();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        need: count,
        got,
        resolve: (r) => {
          cleanup();
          resolve(r);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout !== Infinity) {
        timer = setTimeout(() => {
          cleanup();
          reject(
            new ReceiveTimeoutError(
              `Cannot receive ${count} records within ${timeout} ms: got ${got.length}`,
              got,
            ),
          );
        }, timeout);
      }
      this.#waiters.push(waiter);
    });
  }

  /**
   * Iterates over records as they arrive; ends after
   * {@linkcode LogReceiver.prototype.close} once the buffer is empty.
   *
   * @returns An async iterator of records.
   */
  [Symbol.asyncIterator](): AsyncIterator<PythonLogRecord> {
    return {
      next: (): Promise<IteratorResult<PythonLogRecord>> => {
        if (this.buffered > 0) {
          return Promise.resolve({ value: this.#take(), done: false });
        }
        if (this.#closing || !this.#buffer) {
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve) => {
          this.#waiters.push({
            need: 1,
            got: [],
            resolve: (r) => resolve({ value: r[0]!, done: false }),
            reject: () => resolve({ value: undefined, done: true }),
          });
        });
      },
      return: (): Promise<IteratorResult<PythonLogRecord>> =>
        Promise.resolve({ value: undefined, done: true }),
    };
  }

  /**
   * Stops accepting, closes every connection, ends the iterators (after
   * the buffered records) and rejects pending `next()` calls. Resolves once
   * every internal task has ended. Records decoded but not yet buffered
   * (waiting for space) are dropped. In-flight `onRecord` promises are
   * awaited, so a callback that never settles keeps `close()` pending.
   * Safe to call more than once.
   *
   * @returns A promise that resolves when everything is closed.
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#closing = true;
    try {
      this.#listener?.close();
    } catch {
      // already closed
    }
    const tlsServer = this.#tlsServer;
    const udpSocket = this.#udpSocket;
    const bound = this.#ready.then(() => true, () => false);
    void bound.then((ok) => {
      if (!ok) return;
      try {
        tlsServer?.close();
      } catch {
        // not listening
      }
      try {
        udpSocket?.close();
      } catch {
        // already closed
      }
    });
    for (const c of this.#conns.values()) this.#closeConn(c, "receiver-closed");
    for (const wake of this.#spaceWaiters.splice(0)) wake();
    for (const w of this.#waiters.splice(0)) {
      w.reject(
        new Error(
          `Cannot receive ${w.need} records as the receiver is closed: got ${w.got.length}`,
        ),
      );
    }
    this.#closed = (async () => {
      await this.#acceptTask;
      while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
      if (this.#path !== undefined) {
        try {
          Deno.removeSync(this.#path);
        } catch {
          // gone or not permitted
        }
      }
    })();
    return this.#closed;
  }

  /**
   * Same as {@linkcode LogReceiver.prototype.close}.
   *
   * @returns A promise that resolves when everything is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #take(): PythonLogRecord {
    const r = this.#queue.shift()!;
    const wake = this.#spaceWaiters.shift();
    if (wake) wake();
    return r;
  }

  #report(
    error: ReceiverError,
    c: Conn | undefined,
  ): void {
    this.#errors++;
    if (c) c.info.errors++;
    try {
      this.#onError(error, c?.info);
    } catch {
      // a throwing onError must not break the receiver
    }
  }

  async #acceptLoop(): Promise<void> {
    const listener = this.#listener;
    if (listener === undefined) return;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (this.#closing) return;
        if (
          e instanceof Deno.errors.BadResource ||
          e instanceof Deno.errors.Interrupted
        ) return;
        this.#report(
          new ReceiverError(
            "accept-error",
            `Cannot accept a connection: ${errText(e)}`,
            { cause: e },
          ),
          undefined,
        );
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (this.#closing) {
        closeQuietly(conn);
        return;
      }
      this.#accepted(conn);
    }
  }

  #accepted(conn: ReadConn): void {
    {
      const info: ConnectionStats = {
        id: ++this.#nextId,
        remoteAddr: conn.remoteAddr,
        records: 0,
        bytes: 0,
        errors: 0,
        openedAt: Date.now(),
        closeReason: undefined,
        closeDetail: undefined,
      };
      const c: Conn = {
        info,
        conn,
        closing: undefined,
        closeDetail: undefined,
        paused: false,
        lastActivity: 0,
        timer: undefined,
      };
      if (this.#conns.size >= this.#maxConnections) {
        this.#report(
          new ReceiverError(
            "too-many-connections",
            `Cannot accept a connection as ${this.#maxConnections} are open`,
          ),
          c,
        );
        closeQuietly(conn);
        this.#ended(c, "too-many-connections", undefined);
        return;
      }
      this.#conns.set(info.id, c);
      const task = this.#serve(c).finally(() => this.#tasks.delete(task));
      this.#tasks.add(task);
    }
  }

  /** One UDP datagram: 4-byte length (= size − 4) + pickle. */
  #onDatagram(msg: Uint8Array, rinfo: dgram.RemoteInfo): void {
    if (this.#closing) return;
    this.#datagrams++;
    this.#bytes += msg.length;
    const info: ConnectionInfo = {
      id: 0,
      remoteAddr: {
        transport: "udp",
        hostname: rinfo.address,
        port: rinfo.port,
      },
    };
    const report = (kind: ReceiverErrorKind, text: string, cause?: unknown) => {
      this.#errors++;
      try {
        this.#onError(
          new ReceiverError(kind, text, cause === undefined ? {} : { cause }),
          info,
        );
      } catch {
        // ignored
      }
    };
    if (msg.length < 4) {
      report(
        "bad-datagram",
        `Datagram of ${msg.length} bytes has no 4-byte length prefix`,
      );
      return;
    }
    const len = readLength(msg, 0);
    if (len !== msg.length - 4) {
      report(
        "bad-datagram",
        `Datagram of ${msg.length} bytes has length prefix ${len}, expected ${
          msg.length - 4
        }`,
      );
      return;
    }
    if (len > this.#maxFrame) {
      report(
        "frame-too-large",
        `Frame of ${len} bytes exceeds 'maxFrameBytes' (${this.#maxFrame})`,
      );
      return;
    }
    let value: unknown;
    try {
      value = loads(msg.subarray(4), this.#loadsOptions);
    } catch (e) {
      report(
        "bad-pickle",
        `Cannot decode datagram of ${len} bytes: ${errText(e)}`,
        e,
      );
      return;
    }
    const record = makeLogRecord(value);
    this.#records++;
    if (record.problems.length > 0) {
      this.#invalid++;
      this.#errors++;
      try {
        this.#onError(
          new ReceiverError(
            "invalid-record",
            `Invalid record: ${record.problems.join("; ")}`,
            { record },
          ),
          info,
        );
      } catch {
        // ignored
      }
    }
    if (this.#onRecord) {
      try {
        const r = this.#onRecord(record, info);
        if (r && typeof (r as Promise<void>).then === "function") {
          (r as Promise<void>).then(
            undefined,
            (e) =>
              report("callback-error", `onRecord failed: ${errText(e)}`, e),
          );
        }
      } catch (e) {
        report("callback-error", `onRecord threw: ${errText(e)}`, e);
      }
    }
    if (this.#buffer && !this.#push(record)) {
      this.#datagramsDropped++;
      report(
        "datagram-dropped",
        `Dropped a record from ${rinfo.address}:${rinfo.port} as the buffer is full (${this.#maxBuffered})`,
      );
    }
  }

  #closeConn(c: Conn, reason: CloseReason, detail?: string): void {
    if (c.closing) return;
    c.closing = reason;
    c.closeDetail = detail;
    if (c.timer !== undefined) {
      clearTimeout(c.timer);
      c.timer = undefined;
    }
    closeQuietly(c.conn);
  }

  #armIdle(c: Conn, delay: number): void {
    c.timer = setTimeout(() => {
      c.timer = undefined;
      if (c.closing) return;
      const idle = Date.now() - c.lastActivity;
      if (c.paused || idle < this.#idleTimeout) {
        this.#armIdle(
          c,
          c.paused ? this.#idleTimeout : this.#idleTimeout - idle,
        );
        return;
      }
      const detail =
        `No data for ${this.#idleTimeout} ms: closing the connection`;
      this.#report(new ReceiverError("idle-timeout", detail), c);
      this.#closeConn(c, "idle-timeout", detail);
    }, delay);
  }

  #ended(c: Conn, reason: CloseReason, detail: string | undefined): void {
    c.info.closeReason = reason;
    c.info.closeDetail = detail;
    this.#closedReasons[reason] = (this.#closedReasons[reason] ?? 0) + 1;
    this.#recent.push(c.info);
    if (this.#recent.length > RECENT_CLOSED) this.#recent.shift();
    if (this.#onClose) {
      try {
        this.#onClose(c.info, reason);
      } catch {
        // ignored
      }
    }
  }

  async #serve(c: Conn): Promise<void> {
    const conn = c.conn;
    const maxFrame = this.#maxFrame;
    let buf = new Uint8Array(READ_SIZE);
    let start = 0;
    let end = 0;
    let reason: CloseReason = "eof";
    let detail: string | undefined;
    if (this.#idleTimeout > 0) {
      c.lastActivity = Date.now();
      this.#armIdle(c, this.#idleTimeout);
    }
    try {
      for (;;) {
        if (end === buf.length) {
          // Only reached with a partial frame at the end of the buffer.
          buf.copyWithin(0, start, end);
          end -= start;
          start = 0;
        }
        const n = await conn.read(buf.subarray(end));
        if (n === null) {
          if (end > start) {
            const avail = end - start;
            reason = "torn-frame";
            detail = avail < 4
              ? `Connection closed mid-frame: got ${avail} of 4 length bytes`
              : `Connection closed mid-frame: got ${avail - 4} of ${
                readLength(buf, start)
              } bytes`;
            this.#report(new ReceiverError("torn-frame", detail), c);
          }
          break;
        }
        end += n;
        c.info.bytes += n;
        this.#bytes += n;
        if (this.#idleTimeout > 0) c.lastActivity = Date.now();
        while (end - start >= 4) {
          const len = readLength(buf, start);
          if (len > maxFrame) {
            reason = "frame-too-large";
            detail =
              `Frame of ${len} bytes exceeds 'maxFrameBytes' (${maxFrame}): closing the connection`;
            this.#report(new ReceiverError(reason, detail), c);
            return;
          }
          if (end - start - 4 < len) {
            if (4 + len > buf.length) {
              // Grow for this frame only (len was validated above).
              let size = buf.length * 2;
              while (size < 4 + len) size *= 2;
              const grown = new Uint8Array(Math.min(size, maxFrame + 4));
              grown.set(buf.subarray(start, end));
              buf = grown;
              end -= start;
              start = 0;
            } else if (start + 4 + len > buf.length) {
              buf.copyWithin(0, start, end);
              end -= start;
              start = 0;
            }
            break;
          }
          const body = buf.subarray(start + 4, start + 4 + len);
          start += 4 + len;
          let value: unknown;
          try {
            value = loads(body, this.#loadsOptions);
          } catch (e) {
            reason = "bad-pickle";
            detail = `Cannot decode frame of ${len} bytes: ${errText(e)}`;
            this.#report(new ReceiverError(reason, detail, { cause: e }), c);
            return;
          }
          const record = makeLogRecord(value);
          c.info.records++;
          this.#records++;
          if (record.problems.length > 0) {
            this.#invalid++;
            this.#report(
              new ReceiverError(
                "invalid-record",
                `Invalid record: ${record.problems.join("; ")}`,
                { record },
              ),
              c,
            );
          }
          const wait = this.#deliver(record, c);
          if (wait) await wait;
          if (c.closing) return;
        }
        if (start === end) {
          start = end = 0;
          if (buf.length > READ_SIZE) buf = new Uint8Array(READ_SIZE);
        }
      }
    } catch (e) {
      if (!c.closing) {
        reason = "read-error";
        detail = `Cannot read from the connection: ${errText(e)}`;
        this.#report(new ReceiverError(reason, detail, { cause: e }), c);
      }
    } finally {
      if (c.closing) {
        reason = c.closing;
        detail = c.closeDetail;
      } else {
        this.#closeConn(c, reason, detail);
      }
      if (c.timer !== undefined) clearTimeout(c.timer);
      this.#conns.delete(c.info.id);
      this.#ended(c, reason, detail);
    }
  }

  /** Delivers one record; returns a promise only when the caller must wait. */
  #deliver(record: PythonLogRecord, c: Conn): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    if (this.#onRecord) {
      try {
        const r = this.#onRecord(record, c.info);
        if (r && typeof (r as Promise<void>).then === "function") {
          pending = (r as Promise<void>).then(undefined, (e) =>
            this.#report(
              new ReceiverError(
                "callback-error",
                `onRecord failed: ${errText(e)}`,
                { cause: e },
              ),
              c,
            ));
        }
      } catch (e) {
        this.#report(
          new ReceiverError("callback-error", `onRecord threw: ${errText(e)}`, {
            cause: e,
          }),
          c,
        );
      }
    }
    if (!this.#buffer) return pending;
    if (!pending && this.#push(record)) return undefined;
    return this.#pushLater(record, c, pending);
  }

  async #pushLater(
    record: PythonLogRecord,
    c: Conn,
    pending: Promise<void> | undefined,
  ): Promise<void> {
    if (pending) await pending;
    while (!this.#push(record)) {
      if (this.#closing || c.closing) return;
      c.paused = true;
      await new Promise<void>((wake) => this.#spaceWaiters.push(wake));
      c.paused = false;
      if (this.#idleTimeout > 0) c.lastActivity = Date.now();
    }
  }

  /** Hands a record to a waiter or the buffer; false when full. */
  #push(record: PythonLogRecord): boolean {
    if (this.#closing) return true; // dropped: nobody will read it
    const w = this.#waiters[0];
    if (w) {
      w.got.push(record);
      if (w.got.length >= w.need) {
        this.#waiters.shift();
        w.resolve(w.got);
      }
      return true;
    }
    if (this.buffered >= this.#maxBuffered) return false;
    this.#queue.push(record);
    const size = this.buffered;
    if (size > this.#highWater) this.#highWater = size;
    return true;
  }
}

function readLength(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) >>> 0) + (buf[at + 1]! << 16) +
    (buf[at + 2]! << 8) + buf[at + 3]!;
}

function errText(e: unknown): string {
  if (e instanceof UnpicklingError) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function closeQuietly(conn: ReadConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
