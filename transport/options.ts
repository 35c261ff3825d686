// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Every option of `SocketHandler`, `DatagramHandler`, the LogTape sink
 * (`getSocketSink`) and `SocketEngine`, in one place: its default
 * ({@linkcode DEFAULTS}), its bounds (one rule per option, the same for every
 * owner), which owner takes it ({@linkcode OPTION_KEYS}), and
 * {@linkcode validateOptions}, which refuses a bad value or an unknown key.
 * Durations are in milliseconds. Private to the package.
 *
 * Messages follow std's style: `Cannot create SocketHandler as 'retryStart'
 * must be a number from 1 to 9007199254740991: current value is 0`, and for
 * an unknown key `Cannot create SocketHandler as 'host' is not an option:
 * did you mean 'hostname'?`. A wrong type is a `TypeError`, a value out of
 * range a `RangeError`.
 *
 * @example Usage
 * ```ts
 * import { DEFAULTS, validateOptions } from "./options.ts";
 * import { equal, throws } from "node:assert/strict";
 *
 * equal(DEFAULTS.retryStart, 1000);
 * validateOptions("SocketHandler", { hostname: "db1", port: 9020 });
 * throws(
 *   () => validateOptions("SocketHandler", { host: "db1" }),
 *   new TypeError(
 *     "Cannot create SocketHandler as 'host' is not an option: did you mean 'hostname'?",
 *   ),
 * );
 * ```
 *
 * @module
 */
import type { PickleProtocol } from "../pickle.ts";
import type { OverflowPolicy } from "./frame_queue.ts";
import { resolveSpoolOptions, type SpoolOptions } from "./spool_options.ts";

export type { SpoolOptions };

/** Python's `logging.handlers.DEFAULT_TCP_LOGGING_PORT`. */
export const DEFAULT_TCP_LOGGING_PORT = 9020;

/** Python's `logging.handlers.DEFAULT_UDP_LOGGING_PORT`. */
export const DEFAULT_UDP_LOGGING_PORT = 9021;

/** Largest UDP payload over IPv4 (65,535 − 20 − 8 bytes). */
export const MAX_DATAGRAM_BYTES_IPV4 = 65507;

/** Largest UDP payload over IPv6 without jumbograms (65,535 − 8 bytes). */
export const MAX_DATAGRAM_BYTES_IPV6 = 65527;

/** The defaults of the options. Durations are in milliseconds. */
export interface Defaults {
  /** Host of the receiver. */
  readonly hostname: string;
  /** Pickle protocol of the record dict. */
  readonly protocol: PickleProtocol;
  /** First backoff period. */
  readonly retryStart: number;
  /** Multiplier of the backoff period. */
  readonly retryFactor: number;
  /** Cap of the backoff period. */
  readonly retryMax: number;
  /** Randomised fraction of each backoff delay. */
  readonly jitter: number;
  /** Timeout of one TCP connect. */
  readonly connectTimeout: number;
  /** Time a write may make no progress. */
  readonly writeTimeout: number;
  /** Bound of the queue in frames. */
  readonly maxQueueRecords: number;
  /** Bound of the queue in bytes (8 MiB). */
  readonly maxQueueBytes: number;
  /** Largest record (its pickle, without the length prefix). */
  readonly maxRecordBytes: number;
  /** Overflow policy. */
  readonly overflow: OverflowPolicy;
  /** How long a natural exit (and `close()`) may wait for the queue. */
  readonly exitTimeout: number;
  /** Whether SIGINT, SIGTERM and SIGHUP drain the queue before they end the process. */
  readonly exitSignals: boolean;
  /** Largest write of coalesced frames. */
  readonly maxBatchBytes: number;
  /** Rate-limit interval of `onError`. */
  readonly errorInterval: number;
  /** Logger name of the dropped-records notice. */
  readonly noticeLoggerName: string;
  /** Timeout of the TLS handshake. */
  readonly handshakeTimeout: number;
  /** Wait for a refusal after the TLS handshake. */
  readonly settleTimeout: number;
  /** Python level number of LogTape's `"trace"`. */
  readonly traceLevel: number;
}

/** The defaults of the options, in one place. Durations are in milliseconds. */
export const DEFAULTS: Defaults = Object.freeze({
  hostname: "localhost",
  protocol: 1,
  retryStart: 1000,
  retryFactor: 2,
  retryMax: 30000,
  jitter: 0.2,
  connectTimeout: 1000,
  writeTimeout: 10000,
  maxQueueRecords: 10000,
  maxQueueBytes: 8 * 1024 * 1024,
  maxRecordBytes: 4 * 1024 * 1024,
  overflow: "drop-oldest",
  exitTimeout: 2000,
  exitSignals: true,
  maxBatchBytes: 262144,
  errorInterval: 60000,
  noticeLoggerName: "pylogging.socket_handler",
  handshakeTimeout: 5000,
  settleTimeout: 100,
  traceLevel: 5,
});

/**
 * The queue and error options every transport takes. Durations are in
 * milliseconds.
 */
export interface QueueOptions {
  /**
   * Maximum number of queued frames (including the batch being written).
   * @default {10000}
   */
  maxQueueRecords?: number;
  /**
   * Maximum number of queued bytes (including the batch being written).
   * @default {8388608}
   */
  maxQueueBytes?: number;
  /**
   * Largest record, in bytes of its pickle (the frame without its 4-byte
   * length): a larger one is dropped as `oversize` before it is queued, and
   * reported. The default is the frame limit of this package's receiver
   * (`maxFrameBytes`), so no record is sent that it would refuse and that
   * would be sent again on every reconnect; CPython's receiver has no
   * limit.
   * @default {4194304}
   */
  maxRecordBytes?: number;
  /**
   * Overflow policy.
   * @default {"drop-oldest"}
   */
  overflow?: OverflowPolicy;
  /**
   * Milliseconds a natural process exit may wait to drain; also the default
   * deadline of `close()`.
   * @default {2000}
   */
  exitTimeout?: number;
  /**
   * Whether SIGINT, SIGTERM and SIGHUP (where the platform has them) first
   * drain the queue, up to `exitTimeout`, and then end the process as they
   * would have (the signal is raised again). Set it to false in a program
   * that handles these signals itself, and call `await handler.close(ms)`
   * in its handler. Uncaught exceptions and unhandled rejections are
   * drained either way (unless the program prevents their default).
   * @default {true}
   */
  exitSignals?: boolean;
  /**
   * Called with rate limiting: at most once per `kind` per errorInterval
   * (the suppressed count is appended to the next message). Default: one
   * line to stderr (console.error) per kind per interval. Exceptions it
   * throws are ignored. Kinds used by the engine: `"connect"`, `"permission"`,
   * `"send"`, `"notice"`; by the handlers also `"encode"`, `"oversize"`,
   * `"filter"`.
   */
  onError?: (error: Error, kind: string) => void;
  /**
   * Rate-limit interval of `onError`, in milliseconds.
   * @default {60000}
   */
  errorInterval?: number;
  /**
   * Number every record: each record dict gains `seq` (1, 2, 3, … for this
   * handler, unbroken across reconnects; drop notices included) and
   * `sender` (an id stable for the handler's lifetime, `host:pid:random`),
   * so that a receiver can count gaps and deliver re-sent records once.
   * Python receivers see two extra attributes. Acknowledgements from a
   * receiver started with `ack: true` need it. Off by default: the bytes
   * are then exactly CPython's.
   * @default {false}
   */
  sequence?: boolean;
  /**
   * A disk spool: frames that overflow the memory queue, and frames still
   * queued when the program ends (or the handler is closed), are written to
   * segment files in `spool.dir` and replayed in order once the receiver is
   * back, by this process or the next one that opens the same directory.
   * Needs `--allow-read` and `--allow-write` for the directory.
   */
  spool?: SpoolOptions;
}

/**
 * The engine options that `SocketHandler` and the LogTape sink pass
 * through: the queue, the reconnection backoff and the timeouts. Durations
 * are in milliseconds.
 */
export interface EngineTuning extends QueueOptions {
  /**
   * First backoff period, in milliseconds.
   * @default {1000}
   */
  retryStart?: number;
  /**
   * Multiplier of the backoff period after each failed attempt.
   * @default {2}
   */
  retryFactor?: number;
  /**
   * Cap of the backoff period, in milliseconds.
   * @default {30000}
   */
  retryMax?: number;
  /**
   * Fraction 0..1: each delay is drawn uniformly from [d·(1−jitter), d].
   * @default {0.2}
   */
  jitter?: number;
  /**
   * Per connect attempt, in milliseconds (CPython's socket timeout).
   * @default {1000}
   */
  connectTimeout?: number;
  /**
   * In milliseconds; a write making no progress for this long closes the
   * connection and reconnects (stalled peer).
   * @default {10000}
   */
  writeTimeout?: number;
  /**
   * Coalesce frames into writes of at most this many bytes (a single larger
   * frame is written alone).
   * @default {262144}
   */
  maxBatchBytes?: number;
}

/**
 * Options shared by `SocketHandler` and the LogTape socket sink: where the
 * receiver is and how records are encoded, plus the engine's queue, backoff,
 * timeout and error options ({@linkcode EngineTuning}). Durations are in
 * milliseconds.
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

/** What is being created: the first words of the messages. */
export type OptionOwner =
  | "SocketHandler"
  | "DatagramHandler"
  | "socket sink"
  | "SocketEngine";

/** TLS options of the socket handler. Durations are in milliseconds. */
export interface TlsOptions {
  /**
   * PEM root certificates trusted in addition to the default roots (e.g.
   * a private CA that signed the receiver's certificate).
   */
  caCerts?: string[];
  /**
   * PEM client certificate chain, for receivers that require mutual TLS.
   * Needs `key`.
   */
  cert?: string;
  /** PEM private key of `cert` (RSA, EC or PKCS#8). Needs `cert`. */
  key?: string;
  /**
   * Name the receiver's certificate must be valid for (SNI and host name
   * verification), when it differs from `hostname`, e.g. connect to
   * `"10.0.0.5"` and verify `"logs.example.net"`. Not supported together
   * with `cert`/`key`: `Deno.connectTls()` verifies the name it connects to.
   *
   * @default {the handler's hostname}
   */
  serverName?: string;
  /**
   * Timeout of the TLS handshake, in milliseconds, counted after the TCP
   * connection is up (the TCP connect has `connectTimeout`). On timeout the
   * connection is closed and the attempt counts as a failed connect.
   *
   * @default {5000}
   */
  handshakeTimeout?: number;
  /**
   * After the handshake, how long to wait for the receiver to refuse the
   * connection before the first record is written, in milliseconds. With
   * TLS 1.3 the client finishes its handshake before the server has checked
   * the client certificate, so a receiver that requires one (or distrusts
   * it) refuses only afterwards; without this wait the first batch would be
   * written into a connection that is about to be refused. A refusal counts
   * as a failed connect (reported, backed off, records kept). 0 disables it.
   *
   * @default {100}
   */
  settleTimeout?: number;
}

// ---------------------------------------------------------------- the keys

/** The options of `PythonHandler` (`@std/log`'s `formatter` included). */
export const PYTHON_HANDLER_KEYS = [
  "formatter",
  "protocol",
  "includeCallerInfo",
  "filters",
] as const;

/** Where a stream receiver is. */
const TARGET_KEYS = ["hostname", "port", "path", "tls"] as const;

/** Queue and error reporting: every transport. */
const QUEUE_KEYS = [
  "maxQueueRecords",
  "maxQueueBytes",
  "maxRecordBytes",
  "overflow",
  "exitTimeout",
  "exitSignals",
  "onError",
  "errorInterval",
  "sequence",
  "spool",
] as const;

/** Reconnection and writes of a stream connection. */
const STREAM_KEYS = [
  "retryStart",
  "retryFactor",
  "retryMax",
  "jitter",
  "connectTimeout",
  "writeTimeout",
  "maxBatchBytes",
] as const;

/** The engine options a handler passes through. */
const TUNING_KEYS = [...QUEUE_KEYS, ...STREAM_KEYS] as const;

export const SOCKET_HANDLER_KEYS = [
  ...PYTHON_HANDLER_KEYS,
  ...TARGET_KEYS,
  ...TUNING_KEYS,
  "noticeLoggerName",
  "closeOnError",
] as const;

export const DATAGRAM_HANDLER_KEYS = [
  ...PYTHON_HANDLER_KEYS,
  "hostname",
  "port",
  "path",
  "family",
  "maxDatagramBytes",
  ...QUEUE_KEYS,
] as const;

export const SOCKET_SINK_KEYS = [
  ...TARGET_KEYS,
  ...TUNING_KEYS,
  "protocol",
  "noticeLoggerName",
  "traceLevel",
  "formatter",
  "useSourceLocation",
] as const;

export const SOCKET_ENGINE_KEYS = [
  ...TUNING_KEYS,
  "connect",
  "write",
  "dropNotice",
  "onDrop",
  "handleExit",
  "clock",
  "resendWindow",
] as const;

export const TLS_KEYS = [
  "caCerts",
  "cert",
  "key",
  "serverName",
  "handshakeTimeout",
  "settleTimeout",
] as const;

// tests/options_test.ts checks, when type checking, that these lists name
// exactly the keys of the option types.

/** The option keys each owner takes. */
export const OPTION_KEYS: Readonly<Record<OptionOwner, readonly string[]>> =
  Object.freeze({
    SocketHandler: SOCKET_HANDLER_KEYS,
    DatagramHandler: DATAGRAM_HANDLER_KEYS,
    "socket sink": SOCKET_SINK_KEYS,
    SocketEngine: SOCKET_ENGINE_KEYS,
  });

// --------------------------------------------------------------- the rules

type Options = Readonly<Record<string, unknown>>;

/** What a value must be, and the error class when it is not. */
type Failure = [TypeErrorConstructor | RangeErrorConstructor, string];

/** Checks one value (the other options give the bounds that depend on them). */
type Rule = (value: unknown, options: Options) => Failure | undefined;

const MAX = Number.MAX_SAFE_INTEGER;

function numberFrom(
  min: number | ((options: Options) => number),
  max: number | ((options: Options) => number) = MAX,
  integer = false,
): Rule {
  return (value, options) => {
    const lo = typeof min === "number" ? min : min(options);
    const hi = typeof max === "number" ? max : max(options);
    const must = `must be ${
      integer ? "an integer" : "a number"
    } from ${lo} to ${hi}`;
    if (typeof value !== "number" || Number.isNaN(value)) {
      return [TypeError, must];
    }
    if (value < lo || value > hi || (integer && !Number.isInteger(value))) {
      return [RangeError, must];
    }
    return undefined;
  };
}

const integerFrom = (
  min: number,
  max: number | ((options: Options) => number),
): Rule => numberFrom(min, max, true);

const nonEmptyString: Rule = (value) =>
  typeof value === "string" && value.trim().length > 0
    ? undefined
    : [TypeError, "must be a non-empty string"];

const string: Rule = (value) =>
  typeof value === "string" ? undefined : [TypeError, "must be a string"];

const fn: Rule = (value) =>
  typeof value === "function" ? undefined : [TypeError, "must be a function"];

const object: Rule = (value) =>
  value !== null && typeof value === "object"
    ? undefined
    : [TypeError, "must be an object"];

const anything: Rule = () => undefined;

function oneOf(...values: readonly unknown[]): Rule {
  const must = `must be ${
    values.map((v) => JSON.stringify(v)).join(values.length > 2 ? ", " : " or ")
  }`;
  return (value) => values.includes(value) ? undefined : [TypeError, must];
}

/** The datagram's address family: given, or 6 for an IPv6 address. */
function familyOf(options: Options): 4 | 6 {
  const family = options.family;
  if (family === 4 || family === 6) return family;
  const hostname = options.hostname;
  return typeof hostname === "string" && hostname.includes(":") ? 6 : 4;
}

/** The rule of every option, the same for every owner. */
const RULES: Readonly<Record<string, Rule>> = {
  // PythonHandler
  formatter: fn,
  protocol: integerFrom(1, 5),
  includeCallerInfo: anything,
  filters: anything,
  // Target
  hostname: nonEmptyString,
  port: integerFrom(1, 65535),
  path: (value) =>
    typeof value === "string" && value.length > 0
      ? undefined
      : [TypeError, "must be a non-empty string"],
  tls: object,
  // Queue
  maxQueueRecords: integerFrom(1, 2 ** 30),
  maxQueueBytes: integerFrom(1, 2 ** 52),
  maxRecordBytes: integerFrom(1, 2 ** 52),
  overflow: oneOf("drop-oldest", "drop-newest"),
  exitTimeout: numberFrom(0),
  exitSignals: (value) =>
    typeof value === "boolean" ? undefined : [TypeError, "must be a boolean"],
  onError: fn,
  errorInterval: numberFrom(0),
  sequence: (value) =>
    typeof value === "boolean" ? undefined : [TypeError, "must be a boolean"],
  spool: object,
  // Stream
  retryStart: numberFrom(1),
  retryFactor: numberFrom(1),
  retryMax: numberFrom((o) =>
    typeof o.retryStart === "number" ? o.retryStart : DEFAULTS.retryStart
  ),
  jitter: numberFrom(0, 1),
  connectTimeout: numberFrom(1),
  writeTimeout: numberFrom(1),
  maxBatchBytes: integerFrom(1, 2 ** 30),
  // Handlers and sink
  noticeLoggerName: string,
  closeOnError: anything,
  family: oneOf(4, 6),
  maxDatagramBytes: integerFrom(
    5,
    (o) =>
      familyOf(o) === 6 ? MAX_DATAGRAM_BYTES_IPV6 : MAX_DATAGRAM_BYTES_IPV4,
  ),
  traceLevel: integerFrom(0, 2 ** 31 - 1),
  useSourceLocation: anything,
  // Engine
  connect: fn,
  write: fn,
  dropNotice: fn,
  onDrop: fn,
  handleExit: anything,
  clock: object,
  resendWindow: numberFrom(0),
};

/** The rules of the `tls` options. */
const TLS_RULES: Readonly<Record<string, Rule>> = {
  caCerts: (value) =>
    Array.isArray(value) && value.every((c) => typeof c === "string")
      ? undefined
      : [TypeError, "must be an array of strings"],
  cert: RULES.path!,
  key: RULES.path!,
  serverName: RULES.path!,
  handshakeTimeout: numberFrom(1),
  settleTimeout: numberFrom(0),
};

// -------------------------------------------------------------- validation

/** How a current value is shown in a message. */
function show(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "function":
      return "a function";
    case "object":
      return value === null
        ? "null"
        : Array.isArray(value)
        ? "an array"
        : "an object";
    default:
      return String(value);
  }
}

/** Edit distance of two names, ignoring case. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        row[j]! + 1,
        next[j - 1]! + 1,
        row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length]!;
}

/**
 * The valid name nearest to an unknown one: one that starts with it (or
 * it with that one), else one that contains it, else the one at the
 * smallest edit distance.
 */
function nearest(name: string, valid: readonly string[]): string {
  const lower = name.toLowerCase();
  const rank = (key: string): number => {
    const k = key.toLowerCase();
    if (k.startsWith(lower) || lower.startsWith(k)) return 0;
    if (k.includes(lower) || lower.includes(k)) return 1;
    return 2;
  };
  let best = valid[0]!;
  let bestScore = Infinity;
  for (const key of valid) {
    const score = rank(key) * 1000 + distance(name, key);
    if (score < bestScore) {
      best = key;
      bestScore = score;
    }
  }
  return best;
}

function checkKeys(
  prefix: string,
  options: Options,
  valid: readonly string[],
  path = "",
): void {
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) {
      throw new TypeError(
        `${prefix} '${path}${key}' is not an option: did you mean '${path}${
          nearest(key, valid)
        }'?`,
      );
    }
  }
}

function checkValues(
  prefix: string,
  options: Options,
  keys: readonly string[],
  rules: Readonly<Record<string, Rule>>,
  path = "",
): void {
  for (const key of keys) {
    const value = options[key];
    if (value === undefined) continue;
    const failure = rules[key]!(value, options);
    if (failure !== undefined) {
      const [ErrorClass, must] = failure;
      throw new ErrorClass(
        `${prefix} '${path}${key}' ${must}: current value is ${show(value)}`,
      );
    }
  }
}

/**
 * Validates options: no unknown key, every value of the right type and in
 * range, and the combinations that make sense.
 *
 * @param owner What is being created; the messages start with `Cannot
 * create <owner> as`.
 * @param options The options.
 * @throws {TypeError} If a key is not an option of `owner`, a value has the
 * wrong type, or options are combined that exclude each other (`path` with
 * `hostname`/`port` or `tls`; `tls.cert` without `tls.key`; …).
 * @throws {RangeError} If a value is out of range.
 */
export function validateOptions(owner: OptionOwner, options: object): void {
  const prefix = `Cannot create ${owner} as`;
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `${prefix} its options must be an object: current value is ${
        show(options)
      }`,
    );
  }
  const o = options as Options;
  const keys = OPTION_KEYS[owner];
  checkKeys(prefix, o, keys);
  if (owner === "SocketEngine" && o.connect === undefined) {
    throw new TypeError(
      `${prefix} 'connect' must be a function: current value is undefined`,
    );
  }
  if (owner === "DatagramHandler" && o.path !== undefined) {
    throw new TypeError(
      `${prefix} 'path' is not supported: Unix datagram sockets need Deno.listenDatagram, which is unstable (--unstable-net), and node:dgram only supports udp4/udp6`,
    );
  }
  if (
    o.path !== undefined && (o.hostname !== undefined || o.port !== undefined)
  ) {
    throw new TypeError(
      `${prefix} 'path' excludes 'hostname' and 'port': give either a Unix socket path or a host and port`,
    );
  }
  checkValues(prefix, o, keys, RULES);
  if (
    o.retryMax === undefined && typeof o.retryStart === "number" &&
    o.retryStart > DEFAULTS.retryMax
  ) {
    throw new RangeError(
      `${prefix} 'retryMax' must be a number from ${o.retryStart} to ${MAX}: current value is ${DEFAULTS.retryMax} (the default)`,
    );
  }
  if (o.tls !== undefined) checkTls(prefix, o.tls as Options, o.path);
  if (o.spool !== undefined) {
    try {
      resolveSpoolOptions(o.spool as SpoolOptions);
    } catch (e) {
      const message = (e as Error).message.replace(
        /^Cannot open the spool as /,
        "",
      );
      throw new (e instanceof RangeError ? RangeError : TypeError)(
        `${prefix} its 'spool' option is wrong: ${message}`,
      );
    }
  }
}

function checkTls(prefix: string, tls: Options, path: unknown): void {
  if (path !== undefined) {
    throw new TypeError(
      `${prefix} 'tls' needs a TCP 'hostname' and 'port': a Unix socket 'path' cannot use TLS`,
    );
  }
  validateTlsOptions(prefix, tls);
}

/**
 * Validates TLS options on their own (those of a handler are checked by
 * {@linkcode validateOptions}; a receiver's forward target has its own).
 *
 * @param prefix The first words of the messages, e.g. `Cannot create
 * LogReceiver as`.
 * @param tls The TLS options.
 * @param name How the messages name the options, e.g. `forward[0].tls`.
 * @throws {TypeError} If `tls` is not an object, a key is not an option, a
 * value has the wrong type, or options exclude each other.
 * @throws {RangeError} If a value is out of range.
 */
export function validateTlsOptions(
  prefix: string,
  tls: unknown,
  name = "tls",
): void {
  if (tls === null || typeof tls !== "object" || Array.isArray(tls)) {
    throw new TypeError(
      `${prefix} '${name}' must be an object: current value is ${show(tls)}`,
    );
  }
  const o = tls as Options;
  checkKeys(prefix, o, TLS_KEYS, `${name}.`);
  checkValues(prefix, o, TLS_KEYS, TLS_RULES, `${name}.`);
  if ((o.cert === undefined) !== (o.key === undefined)) {
    throw new TypeError(
      `${prefix} '${name}.cert' and '${name}.key' must be given together`,
    );
  }
  if (o.serverName !== undefined && o.cert !== undefined) {
    throw new TypeError(
      `${prefix} '${name}.serverName' cannot be combined with a client certificate: Deno.connectTls() verifies the host name it connects to`,
    );
  }
}

// ---------------------------------------------------------------- defaults

/** The engine's tuning with every default applied. */
export type EngineConfig =
  & Required<Omit<EngineTuning, "onError" | "spool">>
  & {
    /** The error callback, if one was given. */
    onError: EngineTuning["onError"];
    /** The disk spool, if one was asked for. */
    spool: SpoolOptions | undefined;
  };

/**
 * The engine tuning of validated options, with the defaults applied.
 *
 * @param options Validated options.
 * @returns Every tuning value.
 */
export function engineConfig(options: EngineTuning): EngineConfig {
  return {
    maxQueueRecords: options.maxQueueRecords ?? DEFAULTS.maxQueueRecords,
    maxQueueBytes: options.maxQueueBytes ?? DEFAULTS.maxQueueBytes,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULTS.maxRecordBytes,
    overflow: options.overflow ?? DEFAULTS.overflow,
    exitTimeout: options.exitTimeout ?? DEFAULTS.exitTimeout,
    exitSignals: options.exitSignals ?? DEFAULTS.exitSignals,
    onError: options.onError,
    errorInterval: options.errorInterval ?? DEFAULTS.errorInterval,
    sequence: options.sequence ?? false,
    spool: options.spool,
    retryStart: options.retryStart ?? DEFAULTS.retryStart,
    retryFactor: options.retryFactor ?? DEFAULTS.retryFactor,
    retryMax: options.retryMax ?? DEFAULTS.retryMax,
    jitter: options.jitter ?? DEFAULTS.jitter,
    connectTimeout: options.connectTimeout ?? DEFAULTS.connectTimeout,
    writeTimeout: options.writeTimeout ?? DEFAULTS.writeTimeout,
    maxBatchBytes: options.maxBatchBytes ?? DEFAULTS.maxBatchBytes,
  };
}

/**
 * The engine tuning options that are set in `options` (an `undefined`
 * value is not copied, as `exactOptionalPropertyTypes` requires).
 *
 * @param options Validated options of a handler or the sink.
 * @returns The tuning options to pass to the engine.
 */
export function engineTuning(options: EngineTuning): EngineTuning {
  const out: Record<string, unknown> = {};
  for (const key of TUNING_KEYS) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out as EngineTuning;
}

/**
 * The largest frame a sender queues (its 4-byte length included): the
 * record bound, or the queue's byte bound if that is smaller.
 *
 * @param options The handler's or engine's options.
 * @returns The bound in bytes, and the option that sets it.
 */
export function frameLimit(
  options: { maxQueueBytes?: number; maxRecordBytes?: number },
): { bytes: number; option: "maxRecordBytes" | "maxQueueBytes" } {
  const queue = options.maxQueueBytes ?? DEFAULTS.maxQueueBytes;
  const record = (options.maxRecordBytes ?? DEFAULTS.maxRecordBytes) + 4;
  return record <= queue
    ? { bytes: record, option: "maxRecordBytes" }
    : { bytes: queue, option: "maxQueueBytes" };
}
