// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A non-blocking, library-agnostic socket engine: it moves already-encoded
 * frames (each a `Uint8Array`, e.g. a 4-byte big-endian length followed by a
 * pickle) from a bounded in-memory FIFO to a stream connection, in order,
 * never tearing a frame on a new connection, with exponential backoff plus
 * jitter, a connect timeout, a write-stall timeout, a dead-peer watcher,
 * drop accounting by reason, bounded `flush()`/`close()` and exit handling.
 *
 * Guarantees and choices:
 *
 * - {@linkcode SocketEngine.prototype.enqueue} is synchronous and O(1)
 *   (amortised), never throws and never blocks; one background writer does
 *   all I/O and coalesces frames into writes of at most `maxBatchBytes`.
 * - A frame counts as sent only when all its bytes were accepted by the
 *   connection. A frame whose write failed stays at the queue head and is
 *   re-sent whole on the next connection (frames of the same batch that were
 *   completely written count as sent and are not repeated; with a custom
 *   `write` that does not use `engine.writeAll()`, whose progress is
 *   invisible, the whole batch is re-sent). Delivery is at-most-once per frame
 *   across a dead connection: bytes accepted by the kernel just before the
 *   peer vanished are lost (the peer never acknowledges), as with every
 *   TCP sender without application-level acknowledgements.
 * - Backoff follows CPython's `SocketHandler.createSocket` schedule
 *   (`retryStart`, multiplied by `retryFactor`, capped at `retryMax`), with
 *   each delay drawn from `[period·(1−jitter), period]`. The schedule resets
 *   once a connection proves good, which here means: it delivered a whole
 *   batch. Losing a proven connection (send failure, peer closed, stall)
 *   reconnects at once, as CPython does; losing a connection that never
 *   delivered a batch counts as a failed attempt (next backoff step), so a
 *   peer that accepts and immediately resets cannot cause a hot loop.
 * - `stats()` always satisfies `emitted === sent + dropped + pendingRecords`.
 * - An idle engine never keeps the process alive. When a program ends
 *   naturally with frames pending and a connection up or coming within
 *   `exitTimeout`, a `beforeunload` listener keeps it alive until the queue
 *   drains or `exitTimeout` elapses; at `unload`, frames still pending are
 *   counted as dropped (`"exit"`) and one line is printed to stderr.
 *   `Deno.exit()` skips `beforeunload`: call `await engine.flush()` first,
 *   e.g. from a `Deno.addSignalListener("SIGTERM", ...)` callback.
 *
 * @example Usage
 * ```ts
 * import { SocketEngine } from "./socket.ts";
 * import { equal } from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const engine = new SocketEngine({
 *   connect: (signal) =>
 *     Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port, signal }),
 *   handleExit: false,
 * });
 * const frame = new Uint8Array([0, 0, 0, 2, 0x4e, 0x2e]); // length 2 + "N."
 * engine.enqueue(frame);
 * const conn = await listener.accept();
 * const result = await engine.flush(5000);
 * equal(result.pending, 0);
 * const buf = new Uint8Array(6);
 * let got = 0;
 * while (got < 6) got += (await conn.read(buf.subarray(got))) ?? 6;
 * equal(buf[4], 0x4e);
 * conn.close();
 * await engine.close();
 * equal(engine.stats().sent, 1);
 * ```
 *
 * @module
 */
import {
  errorMessage,
  ErrorReporter,
  isPermissionError,
  toError,
} from "./_errors.ts";

/** What to do when the queue is full: drop the oldest queued frame (never one being written) or the incoming one. */
export type OverflowPolicy = "drop-oldest" | "drop-newest";

/**
 * Why a record was dropped.
 *
 * - `"overflow"`: the queue bounds were exceeded.
 * - `"oversize"`: a single frame was larger than `maxQueueBytes`.
 * - `"encode"`: the record could not be encoded (counted by the handler).
 * - `"closed"`: the engine was closed (pending at close, or enqueued later).
 * - `"permission"`: the connection was refused by Deno's permission system.
 * - `"exit"`: still pending when the process exited.
 */
export type DropReason =
  | "overflow"
  | "oversize"
  | "encode"
  | "closed"
  | "permission"
  | "exit";

/** The engine's connection state. */
export type EngineState =
  | "idle"
  | "connecting"
  | "connected"
  | "backoff"
  | "closing"
  | "closed";

/** Timer/clock hooks for tests; default: globalThis setTimeout/clearTimeout, Date.now, Math.random. */
export interface EngineClock {
  /** Current time in milliseconds. */
  now(): number;
  /** A uniform random number in `[0, 1)`. */
  random(): number;
  /** Schedules `fn` after `ms` milliseconds; returns a timer id. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer returned by {@linkcode EngineClock.setTimeout}. */
  clearTimeout(id: unknown): void;
}

/** Options of {@linkcode SocketEngine}. Durations are milliseconds. */
export interface SocketEngineOptions {
  /** The connection factory (the handler's makeSocket). Must honour `signal` (connect timeout / close). */
  connect: (signal: AbortSignal) => Promise<Deno.Conn>;
  /**
   * Writes ALL of data to conn (override point = handler.send). Default: a
   * write-all loop over conn.write (partial writes), i.e.
   * {@linkcode SocketEngine.prototype.writeAll}. A custom `write` should
   * call `engine.writeAll(conn, data)` for the actual I/O; if it does not,
   * its progress is invisible: `writeTimeout` then bounds the whole call and
   * a failed batch is re-sent whole.
   */
  write?: (conn: Deno.Conn, data: Uint8Array) => Promise<void>;
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
   * Overflow policy.
   * @default {"drop-oldest"}
   */
  overflow?: OverflowPolicy;
  /**
   * Milliseconds a natural process exit may wait to drain; also the default
   * deadline of {@linkcode SocketEngine.prototype.close}.
   * @default {2000}
   */
  exitTimeout?: number;
  /**
   * Coalesce frames into writes of at most this many bytes (a single larger
   * frame is written alone).
   * @default {262144}
   */
  maxBatchBytes?: number;
  /**
   * Called with rate limiting: at most once per `kind` per errorInterval
   * (the suppressed count is appended to the next message). Default: one
   * line to stderr (console.error) per kind per interval. Exceptions it
   * throws are ignored. Kinds used by the engine: `"connect"`, `"permission"`,
   * `"send"`, `"notice"`.
   */
  onError?: (error: Error, kind: string) => void;
  /**
   * Rate-limit interval of `onError`, in milliseconds.
   * @default {60000}
   */
  errorInterval?: number;
  /**
   * Builds the frame of the "N records dropped" WARNING record. Called when
   * there are unannounced drops and a connection is up; the frame is sent
   * BEFORE the remaining queue. Not counted in emitted/sent. Returning
   * `undefined` skips the notice (the drops count as announced).
   */
  dropNotice?: (notice: DropNotice) => Uint8Array | undefined;
  /**
   * Register the beforeunload/unload exit handling.
   * @default {true}
   */
  handleExit?: boolean;
  /** Clock and timer hooks (tests). */
  clock?: Partial<EngineClock>;
}

/** The drops not yet announced to the receiver. */
export interface DropNotice {
  /** Records dropped since the last notice. */
  dropped: number;
  /** The same, by reason. */
  byReason: Readonly<Record<DropReason, number>>;
  /** Clock time (ms) of the first of these drops. */
  firstDropMs: number;
  /** Clock time (ms) of the last of these drops. */
  lastDropMs: number;
}

/** A snapshot of the engine's counters. `emitted === sent + dropped + pendingRecords` always holds. */
export interface EngineStats {
  /** Connection state. */
  state: EngineState;
  /** Frames enqueued plus records counted with `countDrop`. */
  emitted: number;
  /** Frames fully written to a connection. */
  sent: number;
  /** Bytes of the sent frames. */
  sentBytes: number;
  /** Records dropped, all reasons. */
  dropped: number;
  /** Records dropped, by reason. */
  droppedByReason: Record<DropReason, number>;
  /** Frames queued or being written. */
  pendingRecords: number;
  /** Bytes of the pending frames. */
  pendingBytes: number;
  /** Successful connections. */
  connects: number;
  /** Successful connections after the first. */
  reconnects: number;
  /** Failed connect attempts. */
  connectFailures: number;
  /** Drop notices written. */
  noticesSent: number;
  /** Current backoff period (ms, without jitter); `undefined` after a connection proved good. */
  retryPeriod: number | undefined;
  /** Clock time (ms) before which no connect is attempted. */
  retryTime: number | undefined;
  /** Message of the last error. */
  lastError: string | undefined;
  /** Clock time (ms) of the last successful connect. */
  lastConnectedAt: number | undefined;
}

/** Outcome of {@linkcode SocketEngine.prototype.flush} and {@linkcode SocketEngine.prototype.close}. */
export interface FlushResult {
  /** Frames sent while the call was waiting. */
  sent: number;
  /** Records dropped while the call was waiting (for close: including those dropped as `"closed"`). */
  dropped: number;
  /** Frames pending when the call resolved (0 after close). */
  pending: number;
  /** Whether the deadline passed before the frames queued before the call were all sent or dropped. */
  timedOut: boolean;
}

const REASONS: readonly DropReason[] = [
  "overflow",
  "oversize",
  "encode",
  "closed",
  "permission",
  "exit",
];

function zeroReasons(): Record<DropReason, number> {
  return {
    overflow: 0,
    oversize: 0,
    encode: 0,
    closed: 0,
    permission: 0,
    exit: 0,
  };
}

function setTimer(
  clock: EngineClock,
  fn: () => void,
  ms: number,
  ref: boolean,
): unknown {
  const id = clock.setTimeout(fn, Math.max(0, ms));
  if (!ref) setRef(id, false);
  return id;
}

function setRef(id: unknown, ref: boolean): void {
  // Deno ≥ 2.8 timers are Node Timeout objects: `Deno.unrefTimer(Number(id))`
  // is a silent no-op, so use the object's own ref()/unref().
  if (id !== null && typeof id === "object") {
    const t = id as { ref?: () => unknown; unref?: () => unknown };
    try {
      if (ref) t.ref?.();
      else t.unref?.();
    } catch { /* ignore */ }
  } else if (typeof id === "number") {
    try {
      if (ref) Deno.refTimer(id);
      else Deno.unrefTimer(id);
    } catch { /* a fake clock's id */ }
  }
}

function checkNumber(
  name: string,
  value: unknown,
  min: number,
  max: number,
  integer = false,
  minExclusive = false,
): void {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`Option '${name}' must be a number`);
  }
  if (
    value < min || value > max || (minExclusive && value === min) ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `Option '${name}' is out of range: '${value}'`,
    );
  }
}

/** Drops that may share one clock reading (see SocketEngine's #dropTime). */
const DROP_CLOCK_EVERY = 256;

const DEFAULTS = {
  retryStart: 1000,
  retryFactor: 2,
  retryMax: 30000,
  jitter: 0.2,
  connectTimeout: 1000,
  writeTimeout: 10000,
  maxQueueRecords: 10000,
  maxQueueBytes: 8388608,
  exitTimeout: 2000,
  maxBatchBytes: 262144,
  errorInterval: 60000,
} as const;

interface FlushWaiter {
  target: number;
  deadline: number;
  timer: unknown;
  sent0: number;
  dropped0: number;
  resolve: (r: FlushResult) => void;
}

/**
 * The socket engine: a bounded FIFO of encoded frames and one background
 * writer that sends them over a connection made by `options.connect`.
 *
 * @example Usage
 * ```ts
 * import { SocketEngine } from "./socket.ts";
 * import { equal } from "node:assert/strict";
 *
 * const engine = new SocketEngine({
 *   connect: () => Promise.reject(new Deno.errors.ConnectionRefused("down")),
 *   onError: () => {},
 *   handleExit: false,
 * });
 * engine.enqueue(new Uint8Array([0, 0, 0, 1, 0x2e]));
 * const result = await engine.close(0);
 * equal(result.dropped, 1);
 * equal(engine.stats().droppedByReason.closed, 1);
 * ```
 */
export class SocketEngine implements AsyncDisposable {
  // Options
  #connect: (signal: AbortSignal) => Promise<Deno.Conn>;
  #write: ((conn: Deno.Conn, data: Uint8Array) => Promise<void>) | undefined;
  #retryStart: number;
  #retryFactor: number;
  #retryMax: number;
  #jitter: number;
  #connectTimeout: number;
  #writeTimeout: number;
  #maxRecords: number;
  #maxBytes: number;
  #dropOldest: boolean;
  #exitTimeout: number;
  #maxBatch: number;
  #errors: ErrorReporter;
  #dropNotice: ((notice: DropNotice) => Uint8Array | undefined) | undefined;
  #handleExit: boolean;
  #clock: EngineClock;

  // Queue: a growable ring (power-of-two capacity) of frames and their sequence numbers.
  #ring: (Uint8Array | undefined)[] = new Array(16);
  #ringSeq: number[] = new Array(16).fill(0);
  #mask = 15;
  #front = 0;
  #len = 0;
  #tailSeq = 0; // sequence number of the next frame pushed
  #pendingBytes = 0;
  // In flight: detached from the ring while their batch is written.
  #inflight: Uint8Array[] = [];
  #inflightSeq: number[] = [];
  #inflightCount = 0;
  #inflightBytes = 0;
  #batchBuf: Uint8Array | undefined;

  // Counters
  #emitted = 0;
  #sent = 0;
  #sentBytes = 0;
  #dropped = 0;
  #byReason: Record<DropReason, number> = zeroReasons();
  #connects = 0;
  #reconnects = 0;
  #connectFailures = 0;
  #noticesSent = 0;
  #lastError: string | undefined;
  #lastConnectedAt: number | undefined;
  // Unannounced drops
  #unannounced = 0;
  #unannouncedByReason: Record<DropReason, number> = zeroReasons();
  #firstDropMs = 0;
  #lastDropMs = 0;
  #dropClock = 0;
  #dropClockUses = 0;

  // Connection
  #state: EngineState = "idle";
  #conn: Deno.Conn | undefined;
  #connProven = false;
  #retryPeriod: number | undefined;
  #retryTime: number | undefined;
  #lastChanceUsed = false;
  #connecting: Promise<boolean> | undefined;
  #connectAbort: AbortController | undefined;
  #readers = new Set<Promise<void>>();
  #readBuf = new Uint8Array(512);
  #stalled = false;
  #progress = 0; // bytes of the current write-all already written
  #progressAt = 0; // clock time of the last progress
  #current: Uint8Array | undefined; // data of the current write-all
  #permissionDenied = false;

  // Writer
  #pumpPromise: Promise<void> | undefined;
  #sleepTimer: unknown;
  #wakeSleep: (() => void) | undefined;

  // I/O lock
  #locked = false;
  #lockWaiters: (() => void)[] = [];

  // Flush / close / exit
  #waiters: FlushWaiter[] = [];
  #closing = false;
  #closed = false;
  #closePromise: Promise<FlushResult> | undefined;
  #reopenAfterClose = false;
  #listening = false;
  #exitDeadline: number | undefined;
  #exitTimer: unknown;
  #exitTimerSet = false;

  /**
   * Creates an engine. No I/O happens until the first frame is enqueued.
   *
   * @param options The engine options; `connect` is required.
   * @throws {TypeError} If `connect` is not a function or an option has the wrong type.
   * @throws {RangeError} If a numeric option is out of range.
   */
  constructor(options: SocketEngineOptions) {
    if (typeof options?.connect !== "function") {
      throw new TypeError("Option 'connect' must be a function");
    }
    this.#connect = options.connect;
    if (options.write !== undefined && typeof options.write !== "function") {
      throw new TypeError("Option 'write' must be a function");
    }
    this.#write = options.write;
    const o = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
      const v = options[key];
      if (v !== undefined) (o as Record<string, number>)[key] = v;
    }
    checkNumber("retryStart", o.retryStart, 0, Infinity, false, true);
    checkNumber("retryFactor", o.retryFactor, 1, Infinity);
    checkNumber("retryMax", o.retryMax, o.retryStart, Infinity);
    checkNumber("jitter", o.jitter, 0, 1);
    checkNumber("connectTimeout", o.connectTimeout, 0, Infinity, false, true);
    checkNumber("writeTimeout", o.writeTimeout, 0, Infinity, false, true);
    checkNumber("maxQueueRecords", o.maxQueueRecords, 1, 2 ** 30, true);
    checkNumber("maxQueueBytes", o.maxQueueBytes, 1, Infinity);
    checkNumber("exitTimeout", o.exitTimeout, 0, Infinity);
    checkNumber("maxBatchBytes", o.maxBatchBytes, 1, 2 ** 30, true);
    checkNumber("errorInterval", o.errorInterval, 0, Infinity);
    this.#retryStart = o.retryStart;
    this.#retryFactor = o.retryFactor;
    this.#retryMax = o.retryMax;
    this.#jitter = o.jitter;
    this.#connectTimeout = o.connectTimeout;
    this.#writeTimeout = o.writeTimeout;
    this.#maxRecords = o.maxQueueRecords;
    this.#maxBytes = o.maxQueueBytes;
    this.#exitTimeout = o.exitTimeout;
    this.#maxBatch = o.maxBatchBytes;
    const overflow = options.overflow ?? "drop-oldest";
    if (overflow !== "drop-oldest" && overflow !== "drop-newest") {
      throw new RangeError(
        `Option 'overflow' must be 'drop-oldest' or 'drop-newest': '${
          String(overflow)
        }'`,
      );
    }
    this.#dropOldest = overflow === "drop-oldest";
    if (
      options.onError !== undefined && typeof options.onError !== "function"
    ) {
      throw new TypeError("Option 'onError' must be a function");
    }
    this.#errors = new ErrorReporter(
      options.onError ?? ((error, kind) => {
        console.error(`[socket-handler] ${kind}: ${error.message}`);
      }),
      o.errorInterval,
      () => this.#clock.now(),
    );
    if (
      options.dropNotice !== undefined &&
      typeof options.dropNotice !== "function"
    ) {
      throw new TypeError("Option 'dropNotice' must be a function");
    }
    this.#dropNotice = options.dropNotice;
    this.#handleExit = options.handleExit ?? true;
    const c = options.clock ?? {};
    this.#clock = {
      now: c.now ?? (() => Date.now()),
      random: c.random ?? (() => Math.random()),
      setTimeout: c.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimeout: c.clearTimeout ??
        ((id) => clearTimeout(id as ReturnType<typeof setTimeout>)),
    };
    this.#addListeners();
  }

  /** The current connection, if any. */
  get sock(): Deno.Conn | undefined {
    return this.#conn;
  }

  // ---------------------------------------------------------------- queue

  get #pending(): number {
    return this.#len + this.#inflightCount;
  }

  #pushBack(frame: Uint8Array, seq: number): void {
    if (this.#len > this.#mask) this.#grow();
    const i = (this.#front + this.#len) & this.#mask;
    this.#ring[i] = frame;
    this.#ringSeq[i] = seq;
    this.#len++;
  }

  #pushFront(frame: Uint8Array, seq: number): void {
    if (this.#len > this.#mask) this.#grow();
    this.#front = (this.#front - 1) & this.#mask;
    this.#ring[this.#front] = frame;
    this.#ringSeq[this.#front] = seq;
    this.#len++;
  }

  #popFront(): Uint8Array {
    const i = this.#front;
    const f = this.#ring[i]!;
    this.#ring[i] = undefined;
    this.#front = (i + 1) & this.#mask;
    this.#len--;
    return f;
  }

  #grow(): void {
    const cap = (this.#mask + 1) * 2;
    const ring: (Uint8Array | undefined)[] = new Array(cap);
    const seqs: number[] = new Array(cap).fill(0);
    for (let k = 0; k < this.#len; k++) {
      const i = (this.#front + k) & this.#mask;
      ring[k] = this.#ring[i];
      seqs[k] = this.#ringSeq[i]!;
    }
    this.#ring = ring;
    this.#ringSeq = seqs;
    this.#mask = cap - 1;
    this.#front = 0;
  }

  /** Lowest sequence number not yet sent or dropped. */
  #minUnresolved(): number {
    if (this.#inflightCount > 0) return this.#inflightSeq[0]!;
    if (this.#len > 0) return this.#ringSeq[this.#front]!;
    return this.#tailSeq;
  }

  #drop(reason: DropReason, n = 1): void {
    if (n <= 0) return;
    this.#dropped += n;
    this.#byReason[reason] += n;
    const now = this.#dropTime();
    if (this.#unannounced === 0) this.#firstDropMs = now;
    this.#lastDropMs = now;
    this.#unannounced += n;
    this.#unannouncedByReason[reason] += n;
  }

  /**
   * The time of a drop. Reading the clock costs about 50 ns (a third of a
   * dropped record's cost), so drops in one synchronous run share a reading,
   * refreshed every DROP_CLOCK_EVERY drops: the notice's times are then off
   * by at most that many drops' duration (well under a millisecond).
   */
  #dropTime(): number {
    if (this.#dropClockUses === 0) {
      this.#dropClock = this.#clock.now();
      queueMicrotask(this.#resetDropClock);
    }
    if (++this.#dropClockUses >= DROP_CLOCK_EVERY) this.#dropClockUses = 0;
    return this.#dropClock;
  }

  #resetDropClock = (): void => {
    this.#dropClockUses = 0;
  };

  /** Drops every pending frame (queued and in flight) with `reason`. */
  #dropAll(reason: DropReason): void {
    const n = this.#pending;
    while (this.#len > 0) this.#popFront();
    this.#front = 0;
    for (let k = 0; k < this.#inflightCount; k++) {
      this.#inflight[k] = undefined as unknown as Uint8Array;
    }
    this.#inflightCount = 0;
    this.#inflightBytes = 0;
    this.#pendingBytes = 0;
    this.#drop(reason, n);
    this.#resolved();
  }

  /**
   * Synchronous O(1): appends a frame; counts emitted; applies the
   * bounds/overflow policy (a frame larger than maxQueueBytes is dropped as
   * "oversize"); after close() counts it dropped "closed". Kicks the writer.
   * Never throws.
   *
   * @param frame An encoded frame; it must not be modified afterwards.
   * @returns Whether the frame was queued.
   */
  enqueue(frame: Uint8Array): boolean {
    this.#emitted++;
    if (this.#closing) {
      this.#drop("closed");
      return false;
    }
    if (this.#permissionDenied) {
      this.#drop("permission");
      return false;
    }
    if (!(frame instanceof Uint8Array)) {
      this.#drop("encode");
      return false;
    }
    const size = frame.byteLength;
    if (size > this.#maxBytes) {
      this.#drop("oversize");
      this.#kickNotice();
      return false;
    }
    if (
      this.#pending >= this.#maxRecords ||
      this.#pendingBytes + size > this.#maxBytes
    ) {
      if (
        !this.#dropOldest || this.#inflightCount >= this.#maxRecords ||
        this.#inflightBytes + size > this.#maxBytes
      ) {
        this.#drop("overflow");
        this.#kickNotice();
        return false;
      }
      let n = 0;
      while (
        this.#pending >= this.#maxRecords ||
        this.#pendingBytes + size > this.#maxBytes
      ) {
        this.#pendingBytes -= this.#popFront().byteLength;
        n++;
      }
      this.#drop("overflow", n);
      this.#resolved();
    }
    this.#pushBack(frame, this.#tailSeq++);
    this.#pendingBytes += size;
    this.#kick();
    return true;
  }

  /**
   * Counts a record that never became a frame (encode error etc.) as
   * emitted and dropped with `reason`.
   *
   * @param reason The drop reason.
   */
  countDrop(reason: DropReason): void {
    this.#emitted++;
    this.#drop(REASONS.includes(reason) ? reason : "encode");
    this.#kickNotice();
  }

  /**
   * Reports an error through the rate-limited `onError` (used by the handler
   * for encode errors). Never throws.
   *
   * @param error The error.
   * @param kind The rate-limiting key, e.g. `"encode"`.
   */
  reportError(error: unknown, kind: string): void {
    const err = toError(error);
    this.#lastError = err.message;
    this.#errors.report(err, kind);
  }

  // --------------------------------------------------------------- writer

  #kick(): void {
    if (this.#pumpPromise === undefined && !this.#closed) {
      this.#pumpPromise = this.#pump().catch((e) => {
        this.reportError(e, "send");
      }).finally(() => {
        this.#pumpPromise = undefined;
        // Work may have arrived while the pump was finishing.
        if (this.#hasWork() && !this.#closed) this.#kick();
      });
    }
  }

  #kickNotice(): void {
    if (this.#conn !== undefined && this.#dropNotice !== undefined) {
      this.#kick();
    }
  }

  #hasWork(): boolean {
    if (this.#permissionDenied) return this.#pending > 0;
    return this.#pending > 0 ||
      (this.#conn !== undefined && this.#unannounced > 0 &&
        this.#dropNotice !== undefined);
  }

  async #pump(): Promise<void> {
    while (!this.#closed && this.#hasWork()) {
      if (this.#permissionDenied) {
        this.#dropAll("permission");
        break;
      }
      if (this.#conn === undefined) {
        if (this.#pending === 0) break; // only a notice; never connect for it
        const now = this.#clock.now();
        if (this.#retryTime !== undefined && now < this.#retryTime) {
          this.#setState("backoff");
          await this.#sleep(this.#retryTime - now);
          continue;
        }
        await this.#connectOnce();
        continue;
      }
      await this.acquire();
      try {
        const conn = this.#conn;
        if (conn !== undefined && !this.#closed) await this.#writeBatch(conn);
      } finally {
        this.release();
      }
    }
    if (!this.#closing && !this.#closed) {
      this.#setState(this.#conn ? "connected" : "idle");
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        if (this.#wakeSleep !== wake) return;
        this.#wakeSleep = undefined;
        if (this.#sleepTimer !== undefined) {
          this.#clock.clearTimeout(this.#sleepTimer);
          this.#sleepTimer = undefined;
        }
        resolve();
      };
      this.#wakeSleep = wake;
      this.#sleepTimer = setTimer(this.#clock, wake, ms, this.#keepAlive());
    });
  }

  #wake(): void {
    this.#wakeSleep?.();
  }

  /** Whether someone is waiting on the engine (timers must then be ref'd). */
  #keepAlive(): boolean {
    return this.#waiters.length > 0 || this.#closing;
  }

  #refreshRefs(): void {
    if (this.#sleepTimer !== undefined) {
      setRef(this.#sleepTimer, this.#keepAlive());
    }
  }

  #setState(s: EngineState): void {
    if (this.#closed) {
      this.#state = "closed";
      return;
    }
    this.#state = this.#closing ? "closing" : s;
  }

  /** Whether the first `count` in-flight frames are contiguous in one buffer. */
  #adjacent(count: number): boolean {
    const first = this.#inflight[0]!;
    const buffer = first.buffer;
    let end = first.byteOffset + first.byteLength;
    for (let k = 1; k < count; k++) {
      const f = this.#inflight[k]!;
      if (f.buffer !== buffer || f.byteOffset !== end) return false;
      end += f.byteLength;
    }
    return true;
  }

  /** Takes frames from the head, writes them as one batch, accounts them. */
  async #writeBatch(conn: Deno.Conn): Promise<void> {
    // The drop notice goes first, before the remaining queue.
    if (this.#unannounced > 0 && this.#dropNotice !== undefined) {
      const snapshot = this.#unannounced;
      const byReason = { ...this.#unannouncedByReason };
      let frame: Uint8Array | undefined;
      try {
        frame = this.#dropNotice({
          dropped: snapshot,
          byReason,
          firstDropMs: this.#firstDropMs,
          lastDropMs: this.#lastDropMs,
        });
      } catch (e) {
        this.reportError(e, "notice");
      }
      if (frame instanceof Uint8Array && frame.byteLength > 0) {
        try {
          await this.#writeAll(conn, frame);
        } catch (e) {
          this.#writeFailed(conn, e);
          return;
        }
        this.#noticesSent++;
      }
      this.#unannounced -= snapshot;
      for (const r of REASONS) this.#unannouncedByReason[r] -= byReason[r];
      if (this.#unannounced > 0) this.#firstDropMs = this.#lastDropMs;
    }
    if (this.#len === 0) return;
    // Detach a batch.
    let total = 0;
    let count = 0;
    while (this.#len > 0) {
      const next = this.#ring[this.#front]!;
      if (count > 0 && total + next.byteLength > this.#maxBatch) break;
      this.#inflightSeq[count] = this.#ringSeq[this.#front]!;
      this.#inflight[count++] = this.#popFront();
      total += next.byteLength;
    }
    this.#inflightCount = count;
    this.#inflightBytes = total;
    let data: Uint8Array;
    if (count === 1) {
      data = this.#inflight[0]!;
    } else if (this.#adjacent(count)) {
      // Frames that lie back to back in one buffer (pooled encoder output)
      // go out as one view: no copy.
      const first = this.#inflight[0]!;
      data = new Uint8Array(first.buffer, first.byteOffset, total);
    } else {
      this.#batchBuf ??= new Uint8Array(this.#maxBatch);
      let off = 0;
      for (let k = 0; k < count; k++) {
        const f = this.#inflight[k]!;
        this.#batchBuf.set(f, off);
        off += f.byteLength;
      }
      data = this.#batchBuf.subarray(0, total);
    }
    try {
      await this.#writeAll(conn, data);
    } catch (e) {
      // Frames whose bytes were all written count as sent; the others go
      // back to the head (unless dropped meanwhile, e.g. at unload) and are
      // re-sent whole on the next connection.
      let k0 = 0;
      if (this.#inflightCount === count) {
        const written = this.#progress;
        let bytes = 0;
        while (
          k0 < count && bytes + this.#inflight[k0]!.byteLength <= written
        ) {
          bytes += this.#inflight[k0]!.byteLength;
          k0++;
        }
        this.#sent += k0;
        this.#sentBytes += bytes;
        this.#pendingBytes -= bytes;
      }
      for (let k = this.#inflightCount - 1; k >= 0; k--) {
        if (k >= k0) this.#pushFront(this.#inflight[k]!, this.#inflightSeq[k]!);
        this.#inflight[k] = undefined as unknown as Uint8Array;
      }
      this.#inflightCount = 0;
      this.#inflightBytes = 0;
      if (k0 > 0) this.#resolved();
      this.#writeFailed(conn, e);
      return;
    }
    if (this.#inflightCount === count) {
      for (let k = 0; k < count; k++) {
        this.#inflight[k] = undefined as unknown as Uint8Array;
      }
      this.#inflightCount = 0;
      this.#inflightBytes = 0;
      this.#pendingBytes -= total;
      this.#sent += count;
      this.#sentBytes += total;
    }
    if (!this.#connProven && this.#conn === conn) {
      this.#connProven = true;
      this.#retryPeriod = undefined;
    }
    this.#resolved();
  }

  async #writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
    this.#stalled = false;
    this.#progress = 0;
    this.#progressAt = this.#clock.now();
    this.#current = data;
    const write = this.#write;
    let timer: unknown;
    try {
      await new Promise<void>((resolve, reject) => {
        // One watchdog per write-all: it fires when no byte was written for
        // writeTimeout ms. Closing the resource rejects a pending conn.write
        // with Interrupted; #conn stays set so that #lostConn does the
        // accounting. A custom write is abandoned (rejected) as well.
        const check = () => {
          const idle = this.#clock.now() - this.#progressAt;
          if (idle < this.#writeTimeout) {
            timer = setTimer(
              this.#clock,
              check,
              this.#writeTimeout - idle,
              false,
            );
            return;
          }
          timer = undefined;
          this.#stalled = true;
          try {
            conn.close();
          } catch { /* already closed */ }
          reject(new Deno.errors.TimedOut("Write stalled"));
        };
        timer = setTimer(this.#clock, check, this.#writeTimeout, false);
        let p: Promise<void>;
        try {
          p = write === undefined
            ? this.writeAll(conn, data)
            : Promise.resolve(write(conn, data));
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(resolve, reject);
      });
    } finally {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      this.#current = undefined;
    }
  }

  /**
   * The default write: writes all of `data` to `conn` with a loop over
   * `conn.write` (which may write partially). A custom `write` option (e.g.
   * the handler's `send`) should call this for the data it was given: the
   * engine then sees the progress, so the write-stall timeout measures time
   * without progress, and after a failure the frames already written
   * completely are not sent again.
   *
   * @param conn The connection.
   * @param data The bytes to write.
   * @returns Resolves when every byte was written.
   * @throws {Deno.errors.WriteZero} If a write returns 0; connection errors (e.g. `BrokenPipe`, `Interrupted`) pass through.
   */
  async writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
    const track = data === this.#current;
    let off = 0;
    while (off < data.byteLength) {
      const n = await conn.write(off === 0 ? data : data.subarray(off));
      if (!(n > 0)) throw new Deno.errors.WriteZero("Write returned 0");
      off += n;
      if (track && data === this.#current) {
        this.#progress = off;
        this.#progressAt = this.#clock.now();
      }
    }
  }

  #writeFailed(conn: Deno.Conn, e: unknown): void {
    if (this.#closed) {
      this.#stalled = false;
      this.#closeConn(conn);
      return;
    }
    this.#lostConn(conn, errorMessage(e));
  }

  /** Loss of a live connection: close it; reconnect at once if proven, else back off. */
  #lostConn(conn: Deno.Conn, reason: string): void {
    if (this.#conn !== conn) return;
    const msg = this.#stalled
      ? `Write stalled for ${this.#writeTimeout} ms`
      : reason;
    this.#stalled = false;
    const proven = this.#connProven;
    this.#closeConn(conn);
    if (!proven && !this.#closed) this.#scheduleRetry(this.#clock.now());
    this.reportError(
      new Error(
        `Lost the connection to the log receiver: ${msg}; ${
          proven ? "reconnecting" : "retrying with backoff"
        }`,
      ),
      "send",
    );
    this.#setState("idle");
    if (this.#hasWork()) this.#kick();
  }

  #closeConn(conn: Deno.Conn): void {
    if (this.#conn === conn) {
      this.#conn = undefined;
      this.#connProven = false;
    }
    try {
      // Re-ref so that the cancelled watcher read settles before the event
      // loop may exit (close() awaits it).
      conn.ref?.();
    } catch { /* already closed */ }
    try {
      conn.close();
    } catch { /* already closed */ }
  }

  // ----------------------------------------------------------- connecting

  #scheduleRetry(now: number): void {
    this.#retryPeriod = this.#retryPeriod === undefined
      ? this.#retryStart
      : Math.min(this.#retryPeriod * this.#retryFactor, this.#retryMax);
    const delay = this.#retryPeriod *
      (1 - this.#jitter * this.#clock.random());
    this.#retryTime = now + Math.max(1, delay);
    this.#setState("backoff");
    // A waiter whose deadline comes before the next attempt cannot finish.
    for (const w of [...this.#waiters]) {
      if (w.deadline < this.#retryTime) this.#finishWaiter(w, true);
    }
    if (
      this.#exitTimerSet && this.#exitDeadline !== undefined &&
      this.#retryTime > this.#exitDeadline
    ) {
      this.#clearExitTimer();
    }
  }

  #connectOnce(): Promise<boolean> {
    this.#connecting ??= this.#doConnect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #doConnect(): Promise<boolean> {
    const now = this.#clock.now();
    this.#setState("connecting");
    const ac = new AbortController();
    this.#connectAbort = ac;
    const timer = setTimer(
      this.#clock,
      () =>
        ac.abort(
          new DOMException(
            `Connect timed out after ${this.#connectTimeout} ms`,
            "TimeoutError",
          ),
        ),
      this.#connectTimeout,
      false,
    );
    let conn: Deno.Conn;
    try {
      conn = await new Promise<Deno.Conn>((resolve, reject) => {
        const onAbort = () => reject(ac.signal.reason);
        ac.signal.addEventListener("abort", onAbort, { once: true });
        let p: Promise<Deno.Conn>;
        try {
          p = Promise.resolve(this.#connect(ac.signal));
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then((c) => {
          ac.signal.removeEventListener("abort", onAbort);
          if (ac.signal.aborted) {
            // Too late: the attempt was abandoned.
            try {
              c.close();
            } catch { /* ignore */ }
            return;
          }
          resolve(c);
        }, (e) => {
          ac.signal.removeEventListener("abort", onAbort);
          reject(e);
        });
      });
    } catch (e) {
      this.#clock.clearTimeout(timer);
      this.#connectAbort = undefined;
      this.#lastError = errorMessage(e);
      if (this.#closed) return false;
      if (isPermissionError(e)) {
        this.#permissionDenied = true;
        this.#connectFailures++;
        this.reportError(
          new Error(
            `Cannot connect to the log receiver: net permission denied; run with --allow-net=<host:port> (a Unix socket path needs --allow-read and --allow-write); log records are dropped: ${
              errorMessage(e)
            }`,
          ),
          "permission",
        );
        this.#dropAll("permission");
        this.#setState("idle");
        return false;
      }
      this.#connectFailures++;
      this.#scheduleRetry(now);
      this.reportError(
        new Error(
          `Cannot connect to the log receiver: ${
            errorMessage(e)
          }; retrying in ${Math.round(this.#retryTime! - now) / 1000} s`,
        ),
        "connect",
      );
      return false;
    }
    this.#clock.clearTimeout(timer);
    this.#connectAbort = undefined;
    if (this.#closed) {
      try {
        conn.close();
      } catch { /* ignore */ }
      return false;
    }
    this.#conn = conn;
    this.#connProven = false;
    this.#retryTime = undefined;
    if (this.#connects > 0) this.#reconnects++;
    this.#connects++;
    this.#lastConnectedAt = this.#clock.now();
    try {
      (conn as Deno.TcpConn).setNoDelay?.(true);
    } catch { /* not TCP */ }
    this.#watch(conn);
    this.#setState("connected");
    return true;
  }

  /** Background read: EOF or error means the peer is gone. Incoming bytes are ignored. */
  #watch(conn: Deno.Conn): void {
    try {
      conn.unref?.();
    } catch { /* ignore */ }
    const buf = this.#readBuf;
    const p = (async () => {
      let reason = "the receiver closed the connection";
      try {
        while ((await conn.read(buf)) !== null) { /* ignore */ }
      } catch (e) {
        reason = errorMessage(e);
      }
      if (this.#conn === conn && !this.#closed) this.#lostConn(conn, reason);
    })().catch(() => {});
    this.#readers.add(p);
    p.finally(() => this.#readers.delete(p));
  }

  /**
   * Connects now if the backoff schedule allows (Python's createSocket
   * semantics: retryTime/retryPeriod).
   *
   * @returns Whether a connection is up afterwards.
   */
  async createSocket(): Promise<boolean> {
    if (this.#closed || this.#permissionDenied) return false;
    if (this.#conn !== undefined) return true;
    if (this.#connecting) return await this.#connecting;
    const now = this.#clock.now();
    if (this.#retryTime !== undefined && now < this.#retryTime) return false;
    const ok = await this.#connectOnce();
    if (ok) this.#wake();
    return ok && this.#conn !== undefined;
  }

  /**
   * Closes the current connection (closeOnError); the next batch reconnects
   * at once (a send failure does not touch the backoff, as in CPython).
   */
  closeSocket(): void {
    const conn = this.#conn;
    if (conn !== undefined) {
      this.#closeConn(conn);
      this.#setState("idle");
    }
  }

  // ----------------------------------------------------------------- lock

  /**
   * The I/O lock: exclusive use of the connection between frames (the
   * writer takes it for each batch).
   *
   * @returns A promise resolving once the lock is held.
   */
  acquire(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#lockWaiters.push(resolve));
  }

  /** Releases the I/O lock taken with {@linkcode SocketEngine.prototype.acquire}. */
  release(): void {
    const next = this.#lockWaiters.shift();
    if (next !== undefined) next();
    else this.#locked = false;
  }

  // ---------------------------------------------------------------- flush

  /** Called after frames were sent or dropped. */
  #resolved(): void {
    if (this.#waiters.length > 0) {
      const min = this.#minUnresolved();
      for (const w of [...this.#waiters]) {
        if (min >= w.target) this.#finishWaiter(w, false);
      }
    }
    if (this.#exitTimerSet && this.#pending === 0) this.#clearExitTimer();
  }

  #finishWaiter(w: FlushWaiter, timedOut: boolean): void {
    const i = this.#waiters.indexOf(w);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    if (w.timer !== undefined) this.#clock.clearTimeout(w.timer);
    this.#refreshRefs();
    w.resolve({
      sent: this.#sent - w.sent0,
      dropped: this.#dropped - w.dropped0,
      pending: this.#pending,
      timedOut,
    });
  }

  #waitFor(timeout: number): Promise<FlushResult> {
    return new Promise<FlushResult>((resolve) => {
      const now = this.#clock.now();
      const ms = typeof timeout === "number" && !Number.isNaN(timeout)
        ? Math.max(0, timeout)
        : Infinity;
      const w: FlushWaiter = {
        target: this.#tailSeq,
        deadline: now + ms,
        timer: undefined,
        sent0: this.#sent,
        dropped0: this.#dropped,
        resolve,
      };
      this.#waiters.push(w);
      if (this.#minUnresolved() >= w.target) {
        this.#finishWaiter(w, false);
        return;
      }
      if (
        this.#conn === undefined && this.#retryTime !== undefined &&
        this.#retryTime > w.deadline && this.#connecting === undefined
      ) {
        this.#finishWaiter(w, true);
        return;
      }
      if (ms !== Infinity) {
        // Ref'd: the caller explicitly waits for it.
        w.timer = setTimer(
          this.#clock,
          () => this.#finishWaiter(w, true),
          ms,
          true,
        );
      }
      this.#refreshRefs();
      this.#kick();
    });
  }

  /**
   * Resolves when everything queued before the call is written or dropped,
   * or at the deadline. Never rejects.
   *
   * @param timeout Deadline in milliseconds; default: none.
   * @returns The frames sent/dropped meanwhile, those still pending, and whether the deadline passed.
   */
  flush(timeout?: number): Promise<FlushResult> {
    if (this.#closePromise !== undefined && this.#closed) {
      return Promise.resolve({
        sent: 0,
        dropped: 0,
        pending: this.#pending,
        timedOut: false,
      });
    }
    return this.#waitFor(timeout ?? Infinity);
  }

  /**
   * Drains (up to `timeout` ms, default `exitTimeout`), then closes the
   * connection; frames still pending are dropped as "closed"; later
   * enqueue() drops "closed". When the engine is in backoff and its next
   * attempt would come after the deadline, it tries once more right away
   * (the receiver may be back) instead of giving up on the queue; a natural
   * exit does the same. Idempotent; never rejects.
   *
   * @param timeout Drain deadline in milliseconds.
   * @returns The frames sent/dropped during the call; `pending` is 0.
   */
  close(timeout?: number): Promise<FlushResult> {
    this.#closePromise ??= this.#doClose(timeout ?? this.#exitTimeout);
    return this.#closePromise;
  }

  /**
   * Starts closing without waiting (for @std/log's sync destroy()).
   *
   * @param timeout Drain deadline in milliseconds.
   * @returns The same promise close() would.
   */
  closeSoon(timeout?: number): Promise<FlushResult> {
    return this.close(timeout);
  }

  async #doClose(timeout: number): Promise<FlushResult> {
    const sent0 = this.#sent;
    const dropped0 = this.#dropped;
    let timedOut = false;
    try {
      this.#closing = true;
      this.#setState(this.#state);
      this.#clearExitTimer();
      if (!this.#permissionDenied) {
        this.#refreshRefs();
        this.#lastChance(this.#clock.now() + Math.max(0, timeout));
        timedOut = (await this.#waitFor(timeout)).timedOut;
      }
      this.#closed = true;
      this.#connectAbort?.abort(
        new DOMException("The engine was closed", "AbortError"),
      );
      this.#wake();
      const conn = this.#conn;
      if (conn !== undefined) this.#closeConn(conn);
      await this.#pumpPromise;
      await this.#connecting?.catch(() => {});
      const conn2 = this.#conn;
      if (conn2 !== undefined) this.#closeConn(conn2);
      this.#dropAll("closed");
      await Promise.allSettled([...this.#readers]);
      for (const w of [...this.#waiters]) this.#finishWaiter(w, true);
      this.#state = "closed";
      // Removed last: a `Deno.exit()` while draining still reports at unload.
      this.#removeListeners();
    } catch (e) {
      this.reportError(e, "close");
      this.#state = "closed";
      this.#removeListeners();
    }
    const result: FlushResult = {
      sent: this.#sent - sent0,
      dropped: this.#dropped - dropped0,
      pending: this.#pending,
      timedOut,
    };
    if (this.#reopenAfterClose) {
      this.#reopenAfterClose = false;
      this.reopen();
    }
    return result;
  }

  /**
   * Re-opens a closed engine (a @std/log setup() after destroy()); counters
   * keep accumulating. Called while a close is in progress, it re-opens
   * once that close has finished.
   */
  reopen(): void {
    if (!this.#closed) {
      if (this.#closePromise !== undefined) this.#reopenAfterClose = true;
      return;
    }
    this.#closed = false;
    this.#closing = false;
    this.#closePromise = undefined;
    this.#permissionDenied = false;
    this.#exitDeadline = undefined;
    this.#lastChanceUsed = false;
    this.#state = "idle";
    this.#addListeners();
  }

  /**
   * Closes the engine with the default deadline (`exitTimeout`).
   *
   * @returns A promise resolving when closed.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * A snapshot of the counters and state.
   *
   * @returns The statistics; `emitted === sent + dropped + pendingRecords`.
   */
  stats(): EngineStats {
    return {
      state: this.#state,
      emitted: this.#emitted,
      sent: this.#sent,
      sentBytes: this.#sentBytes,
      dropped: this.#dropped,
      droppedByReason: { ...this.#byReason },
      pendingRecords: this.#pending,
      pendingBytes: this.#pendingBytes,
      connects: this.#connects,
      reconnects: this.#reconnects,
      connectFailures: this.#connectFailures,
      noticesSent: this.#noticesSent,
      retryPeriod: this.#retryPeriod,
      retryTime: this.#retryTime,
      lastError: this.#lastError,
      lastConnectedAt: this.#lastConnectedAt,
    };
  }

  // ----------------------------------------------------------------- exit

  #onBeforeUnload = (e: Event): void => {
    if (this.#closing || this.#closed || this.#pending === 0) return;
    const now = this.#clock.now();
    this.#exitDeadline ??= now + this.#exitTimeout;
    const deadline = this.#exitDeadline;
    if (now >= deadline) return;
    this.#lastChance(deadline);
    if (!this.#canDrainBy(deadline)) return;
    e.preventDefault();
    if (!this.#exitTimerSet) {
      this.#exitTimerSet = true;
      this.#exitTimer = setTimer(
        this.#clock,
        () => {
          this.#exitTimerSet = false;
          this.#exitTimer = undefined;
        },
        deadline - now,
        true,
      );
    }
  };

  /**
   * Shutdown's last chance: when the next scheduled attempt would come after
   * the deadline, try once now instead of giving up on the queue (the
   * receiver may be back). Once per close or exit.
   */
  #lastChance(deadline: number): void {
    const now = this.#clock.now();
    if (
      this.#lastChanceUsed || this.#pending === 0 || deadline <= now ||
      this.#conn !== undefined || this.#connecting !== undefined ||
      this.#retryTime === undefined || this.#retryTime <= deadline
    ) return;
    this.#lastChanceUsed = true;
    this.#retryTime = now;
    this.#wake();
    this.#kick();
  }

  #canDrainBy(deadline: number): boolean {
    if (this.#permissionDenied) return false;
    if (this.#conn !== undefined || this.#connecting !== undefined) {
      return true;
    }
    if (this.#retryTime !== undefined) return this.#retryTime <= deadline;
    return this.#pumpPromise !== undefined;
  }

  #clearExitTimer(): void {
    if (this.#exitTimerSet) {
      this.#clock.clearTimeout(this.#exitTimer);
      this.#exitTimer = undefined;
      this.#exitTimerSet = false;
    }
  }

  #onUnload = (): void => {
    this.#clearExitTimer();
    const n = this.#pending;
    if (n === 0 || this.#closed) return;
    this.#dropAll("exit");
    try {
      console.error(
        `${n} log records dropped at exit (receiver unreachable)`,
      );
    } catch { /* ignore */ }
  };

  #addListeners(): void {
    if (
      !this.#handleExit || this.#listening ||
      typeof globalThis.addEventListener !== "function"
    ) return;
    globalThis.addEventListener("beforeunload", this.#onBeforeUnload);
    globalThis.addEventListener("unload", this.#onUnload);
    this.#listening = true;
  }

  #removeListeners(): void {
    if (!this.#listening) return;
    globalThis.removeEventListener("beforeunload", this.#onBeforeUnload);
    globalThis.removeEventListener("unload", this.#onUnload);
    this.#listening = false;
  }
}
