// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A non-blocking, library-agnostic socket engine: it moves already-encoded
 * frames (each a `Uint8Array`, e.g. a 4-byte big-endian length followed by a
 * pickle) from a bounded in-memory queue to a connection, in order, never
 * tearing a frame on a new connection, with exponential backoff plus
 * jitter, a connect timeout, a write-stall timeout, a dead-peer reader,
 * drop accounting by reason, bounded `flush()`/`close()` and exit handling.
 * The parts live in `transport/`; {@linkcode SocketEngine} ties them
 * together.
 *
 * Guarantees and choices:
 *
 * - {@linkcode SocketEngine.prototype.enqueue} is synchronous and O(1)
 *   (amortised), never throws and never blocks: it copies the frame into the
 *   queue's byte ring. One background writer does all I/O and writes frames
 *   in batches of at most `maxBatchBytes`.
 * - A frame counts as sent only when all its bytes were accepted by the
 *   connection. A frame whose write failed stays at the queue head and is
 *   re-sent whole on the next connection (frames of the same batch that were
 *   completely written count as sent and are not repeated; with a custom
 *   `write` that does not use `engine.writeAll()`, whose progress is
 *   invisible, the whole batch is re-sent). A `write` may instead refuse
 *   frames while the connection stays up (a datagram the OS would not send)
 *   by throwing a `FramesRefusedError`: they are dropped with its reason.
 *   Delivery is at-most-once per frame across a dead connection: bytes
 *   accepted by the kernel just before the peer vanished are lost (the peer
 *   never acknowledges), as with every TCP sender without application-level
 *   acknowledgements.
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
import { Backoff } from "./transport/backoff.ts";
import { type EngineClock, engineClock, Sleep } from "./transport/clock.ts";
import { type Connection, Connector } from "./transport/connection.ts";
import {
  DROP_REASONS,
  DropLedger,
  type DropNotice,
  type DropReason,
} from "./transport/drops.ts";
import {
  ErrorReporter,
  FramesRefusedError,
  isPermissionError,
  messageOf,
  toError,
} from "./transport/errors.ts";
import { ExitGuard } from "./transport/exit_guard.ts";
import { type FlushResult, FlushWaiters } from "./transport/flush_waiters.ts";
import {
  FrameQueue,
  type FrameStore,
  type OverflowPolicy,
} from "./transport/frame_queue.ts";
import { IoLock } from "./transport/io_lock.ts";
import {
  engineConfig,
  type EngineTuning,
  validateOptions,
} from "./transport/options.ts";
import {
  type WriteFunction,
  WriteWatchdog,
} from "./transport/write_watchdog.ts";

export type {
  Connection,
  DropNotice,
  DropReason,
  EngineClock,
  EngineTuning,
  FlushResult,
  FrameStore,
  OverflowPolicy,
};
export { FramesRefusedError };

/** The engine's connection state. */
export type EngineState =
  | "idle"
  | "connecting"
  | "connected"
  | "backoff"
  | "closing"
  | "closed";

/**
 * Options of {@linkcode SocketEngine}: the connection factory, the queue,
 * backoff, timeout and error options ({@linkcode EngineTuning}), and hooks.
 * Durations are in milliseconds.
 *
 * @typeParam C The connection type (`Deno.Conn` for TCP, TLS and Unix).
 */
export interface SocketEngineOptions<C extends Connection = Deno.Conn>
  extends EngineTuning {
  /** The connection factory (the handler's makeSocket). Must honour `signal` (connect timeout / close). */
  connect: (signal: AbortSignal) => Promise<C>;
  /**
   * Writes ALL of data to conn (override point = handler.send). Default: a
   * write-all loop over conn.write (partial writes), i.e.
   * {@linkcode SocketEngine.prototype.writeAll}. A custom `write` should
   * call `engine.writeAll(conn, data)` for the actual I/O; if it does not,
   * its progress is invisible: `writeTimeout` then bounds the whole call and
   * a failed batch is re-sent whole. Throwing a `FramesRefusedError` drops
   * the frames of `data` instead, keeping the connection.
   */
  write?: (conn: C, data: Uint8Array) => Promise<void>;
  /**
   * Builds the frame of the "N records dropped" WARNING record. Called when
   * there are unannounced drops and a connection is up; the frame is sent
   * BEFORE the remaining queue. Not counted in emitted/sent. Returning
   * `undefined` skips the notice (the drops count as announced).
   */
  dropNotice?: (notice: DropNotice) => Uint8Array | undefined;
  /**
   * Called after every drop with its reason and count (e.g. to report
   * overflow where no drop notice is sent). Exceptions it throws are
   * ignored.
   */
  onDrop?: (reason: DropReason, count: number) => void;
  /**
   * Register the beforeunload/unload exit handling.
   * @default {true}
   */
  handleExit?: boolean;
  /** Clock and timer hooks (tests). */
  clock?: Partial<EngineClock>;
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

/**
 * The socket engine: a bounded queue of encoded frames and one background
 * writer that sends them over a connection made by `options.connect`.
 *
 * @typeParam C The connection type (`Deno.Conn` for TCP, TLS and Unix).
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
export class SocketEngine<C extends Connection = Deno.Conn>
  implements AsyncDisposable {
  // Parts
  #clock: EngineClock;
  #queue: FrameStore;
  #drops: DropLedger;
  #backoff: Backoff;
  #connector: Connector<C>;
  #watchdog: WriteWatchdog<C>;
  #waiters: FlushWaiters;
  #exit: ExitGuard;
  #lock = new IoLock();
  #sleep: Sleep;
  #errors: ErrorReporter;
  // Options
  #write: WriteFunction<C> | undefined;
  #dropNotice: ((notice: DropNotice) => Uint8Array | undefined) | undefined;
  #onDrop: ((reason: DropReason, count: number) => void) | undefined;
  #maxBatchBytes: number;
  #exitTimeout: number;
  #handleExit: boolean;
  // Counters
  #emitted = 0;
  #sent = 0;
  #sentBytes = 0;
  #connects = 0;
  #reconnects = 0;
  #connectFailures = 0;
  #noticesSent = 0;
  #lastError: string | undefined;
  #lastConnectedAt: number | undefined;
  // State
  #state: EngineState = "idle";
  #writer: Promise<void> | undefined;
  #connecting: Promise<boolean> | undefined;
  #permissionDenied = false;
  #lastChanceUsed = false;
  #closing = false;
  #closed = false;
  #closePromise: Promise<FlushResult> | undefined;
  #reopenAfterClose = false;

  /**
   * Creates an engine over `Deno.Conn` connections (TCP, TLS, Unix). No I/O
   * happens until the first frame is enqueued.
   *
   * @param options The engine options; `connect` is required.
   * @throws {TypeError} If `connect` is missing, an option is unknown or has the wrong type.
   * @throws {RangeError} If a numeric option is out of range.
   */
  constructor(options: SocketEngineOptions<Deno.Conn>);
  /**
   * Creates an engine over connections of another type (e.g. the datagram
   * transport's). No I/O happens until the first frame is enqueued.
   *
   * @param options The engine options; `connect` is required.
   * @throws {TypeError} If `connect` is missing, an option is unknown or has the wrong type.
   * @throws {RangeError} If a numeric option is out of range.
   */
  constructor(options: SocketEngineOptions<C>);
  constructor(options: SocketEngineOptions<C>) {
    validateOptions("SocketEngine", options);
    const config = engineConfig(options);
    const clock = this.#clock = engineClock(options.clock);
    this.#write = options.write;
    this.#dropNotice = options.dropNotice;
    this.#onDrop = options.onDrop;
    this.#maxBatchBytes = config.maxBatchBytes;
    this.#exitTimeout = config.exitTimeout;
    this.#handleExit = options.handleExit ?? true;
    this.#drops = new DropLedger(() => clock.now());
    this.#queue = new FrameQueue({
      maxRecords: config.maxQueueRecords,
      maxBytes: config.maxQueueBytes,
      overflow: config.overflow,
      onDrop: (reason, n) => {
        this.#count(reason, n);
        this.#resolved();
      },
    });
    this.#backoff = new Backoff(config, () => clock.random());
    this.#connector = new Connector({
      connect: options.connect,
      connectTimeout: config.connectTimeout,
      clock,
      onPeerGone: (conn, reason) => {
        if (!this.#closed) this.#lostConnection(conn, reason);
      },
    });
    this.#watchdog = new WriteWatchdog(clock, config.writeTimeout);
    this.#sleep = new Sleep(clock);
    this.#waiters = new FlushWaiters(clock, () => ({
      sent: this.#sent,
      dropped: this.#drops.dropped,
      pending: this.#queue.records,
    }), () => this.#refreshKeepAlive());
    this.#exit = new ExitGuard(
      {
        hasPendingAtExit: () =>
          !this.#closing && !this.#closed && this.#queue.records > 0,
        canDeliverBy: (deadline) => {
          this.#lastChance(deadline);
          return this.#canDeliverBy(deadline);
        },
        dropAtExit: () => {
          const n = this.#queue.records;
          if (n === 0 || this.#closed) return 0;
          this.#dropAll("exit");
          return n;
        },
      },
      config.exitTimeout,
      clock,
    );
    this.#errors = new ErrorReporter(
      config.onError ?? ((error, kind) => {
        console.error(`[socket-handler] ${kind}: ${error.message}`);
      }),
      config.errorInterval,
      () => clock.now(),
    );
    if (this.#handleExit) this.#exit.listen();
  }

  /** The current connection, if any. */
  get sock(): C | undefined {
    return this.#connector.conn;
  }

  // ------------------------------------------------------------- the queue

  /**
   * Synchronous O(1): copies a frame into the queue; counts emitted;
   * applies the bounds and the overflow policy (a frame larger than
   * maxQueueBytes is dropped as "oversize"); after close() counts it dropped
   * "closed". Kicks the writer. Never throws.
   *
   * @param frame An encoded frame (copied: the caller may reuse its buffer).
   * @returns Whether the frame was queued.
   */
  enqueue(frame: Uint8Array): boolean {
    this.#emitted++;
    if (this.#closing) {
      this.#count("closed", 1);
      return false;
    }
    if (this.#permissionDenied) {
      this.#count("permission", 1);
      return false;
    }
    if (!(frame instanceof Uint8Array)) {
      this.#count("encode", 1);
      return false;
    }
    if (this.#queue.push(frame)) {
      this.#kick();
      return true;
    }
    this.#kickNotice();
    return false;
  }

  /**
   * Counts a record that never became a frame (encode error etc.) as
   * emitted and dropped with `reason`.
   *
   * @param reason The drop reason.
   */
  countDrop(reason: DropReason): void {
    this.#emitted++;
    this.#count(DROP_REASONS.includes(reason) ? reason : "encode", 1);
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

  #count(reason: DropReason, n: number): void {
    this.#drops.count(reason, n);
    if (this.#onDrop === undefined) return;
    try {
      this.#onDrop(reason, n);
    } catch { /* never throw into the caller */ }
  }

  /** Called after frames were sent or dropped. */
  #resolved(): void {
    if (this.#waiters.size > 0) this.#waiters.reached(this.#queue.firstSeq);
    if (this.#exit.holding && this.#queue.records === 0) this.#exit.release();
  }

  #dropAll(reason: DropReason): void {
    this.#queue.dropAll(reason);
    this.#resolved();
  }

  // ------------------------------------------------------------ the writer

  #kick(): void {
    if (this.#writer !== undefined || this.#closed) return;
    this.#writer = this.#deliver().catch((e) => {
      this.reportError(e, "send");
    }).finally(() => {
      this.#writer = undefined;
      // Work may have arrived while the writer was finishing.
      if (this.#hasWork() && !this.#closed) this.#kick();
    });
  }

  #kickNotice(): void {
    if (this.#connector.conn !== undefined && this.#dropNotice !== undefined) {
      this.#kick();
    }
  }

  #hasWork(): boolean {
    if (this.#permissionDenied) return this.#queue.records > 0;
    return this.#queue.records > 0 ||
      (this.#connector.conn !== undefined && this.#drops.unannounced > 0 &&
        this.#dropNotice !== undefined);
  }

  /** The writer: connects when needed (within the backoff), then writes batches until there is no work. */
  async #deliver(): Promise<void> {
    while (!this.#closed && this.#hasWork()) {
      if (this.#permissionDenied) {
        this.#dropAll("permission");
        break;
      }
      if (this.#connector.conn === undefined) {
        if (this.#queue.records === 0) break; // only a notice: never connect for it
        const now = this.#clock.now();
        if (!this.#backoff.due(now)) {
          this.#setState("backoff");
          await this.#sleep.for(
            this.#backoff.retryTime! - now,
            this.#waiters.size > 0 || this.#closing,
          );
          continue;
        }
        await this.#connectOnce();
        continue;
      }
      await this.#lock.acquire();
      try {
        const conn = this.#connector.conn;
        if (conn !== undefined && !this.#closed) await this.#writeBatch(conn);
      } finally {
        this.#lock.release();
      }
    }
    if (!this.#closing && !this.#closed) {
      this.#setState(this.#connector.conn ? "connected" : "idle");
    }
  }

  /** Writes the drop notice if due, then one batch from the queue head, and accounts for it. */
  async #writeBatch(conn: C): Promise<void> {
    if (!(await this.#writeNotice(conn))) return;
    const data = this.#queue.takeBatch(this.#maxBatchBytes);
    if (data === undefined) return;
    try {
      await this.#watchdog.watch(conn, data, this.#write);
    } catch (e) {
      const refused = e instanceof FramesRefusedError ? e : undefined;
      this.#settle(this.#watchdog.progress, refused?.reason);
      if (refused === undefined) this.#writeFailed(conn, e);
      else this.reportError(refused, refused.reason);
      return;
    }
    this.#settle(data.byteLength);
    if (!this.#connector.proven && this.#connector.conn === conn) {
      this.#connector.proven = true;
      this.#backoff.proven();
    }
  }

  /** Counts the frames of the batch written in full as sent; the rest go back to the head (or are dropped for `reason`). */
  #settle(written: number, reason?: DropReason): void {
    const sent = this.#queue.settle(written, reason);
    this.#sent += sent;
    this.#sentBytes += this.#queue.settledBytes;
    if (sent > 0) this.#resolved();
  }

  /**
   * Writes the notice of the unannounced drops, if any (before the queue).
   *
   * @returns False if the write failed (the connection is then lost).
   */
  async #writeNotice(conn: C): Promise<boolean> {
    const notice = this.#dropNotice === undefined
      ? undefined
      : this.#drops.notice();
    if (notice === undefined) return true;
    let frame: Uint8Array | undefined;
    try {
      frame = this.#dropNotice!(notice);
    } catch (e) {
      this.reportError(e, "notice");
    }
    if (frame instanceof Uint8Array && frame.byteLength > 0) {
      try {
        await this.#watchdog.watch(conn, frame, this.#write);
      } catch (e) {
        this.#writeFailed(conn, e);
        return false;
      }
      this.#noticesSent++;
    }
    this.#drops.announced(notice);
    return true;
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
  writeAll(conn: Connection, data: Uint8Array): Promise<void> {
    return this.#watchdog.writeAll(conn, data);
  }

  #writeFailed(conn: C, e: unknown): void {
    if (this.#closed) {
      this.#watchdog.stalled = false;
      this.#connector.close(conn);
      return;
    }
    this.#lostConnection(conn, messageOf(e));
  }

  /** Loss of a live connection: close it; reconnect at once if proven, else back off. */
  #lostConnection(conn: C, reason: string): void {
    if (this.#connector.conn !== conn) return;
    const message = this.#watchdog.stalled
      ? `Write stalled for ${this.#watchdog.timeout} ms`
      : reason;
    this.#watchdog.stalled = false;
    const proven = this.#connector.proven;
    this.#connector.close(conn);
    if (!proven && !this.#closed) this.#scheduleRetry(this.#clock.now());
    this.reportError(
      new Error(
        `Lost the connection to the log receiver: ${message}; ${
          proven ? "reconnecting" : "retrying with backoff"
        }`,
      ),
      "send",
    );
    this.#setState("idle");
    if (this.#hasWork()) this.#kick();
  }

  // ------------------------------------------------------------ connecting

  #connectOnce(): Promise<boolean> {
    this.#connecting ??= this.#openConnection().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #openConnection(): Promise<boolean> {
    const now = this.#clock.now();
    this.#setState("connecting");
    let conn: C;
    try {
      conn = await this.#connector.attempt();
    } catch (e) {
      this.#connectFailed(e, now);
      return false;
    }
    if (this.#closed) {
      this.#connector.close(conn);
      return false;
    }
    this.#connector.open(conn);
    this.#backoff.connected();
    if (this.#connects > 0) this.#reconnects++;
    this.#connects++;
    this.#lastConnectedAt = this.#clock.now();
    this.#setState("connected");
    return true;
  }

  #connectFailed(e: unknown, now: number): void {
    this.#lastError = messageOf(e);
    if (this.#closed) return;
    this.#connectFailures++;
    if (isPermissionError(e)) {
      this.#permissionDenied = true;
      this.reportError(
        new Error(
          `Cannot connect to the log receiver: net permission denied; run with --allow-net=<host:port> (a Unix socket path needs --allow-read and --allow-write); log records are dropped: ${
            messageOf(e)
          }`,
        ),
        "permission",
      );
      this.#dropAll("permission");
      this.#setState("idle");
      return;
    }
    this.#scheduleRetry(now);
    this.reportError(
      new Error(
        `Cannot connect to the log receiver: ${messageOf(e)}; retrying in ${
          Math.round(this.#backoff.retryTime! - now) / 1000
        } s`,
      ),
      "connect",
    );
  }

  #scheduleRetry(now: number): void {
    const retryTime = this.#backoff.failed(now);
    this.#setState("backoff");
    // A waiter whose deadline comes before the next attempt cannot finish.
    this.#waiters.expireBefore(retryTime);
    const deadline = this.#exit.deadline;
    if (deadline !== undefined && retryTime > deadline) this.#exit.release();
  }

  /**
   * Connects now if the backoff schedule allows (Python's createSocket
   * semantics: retryTime/retryPeriod).
   *
   * @returns Whether a connection is up afterwards.
   */
  async createSocket(): Promise<boolean> {
    if (this.#closed || this.#permissionDenied) return false;
    if (this.#connector.conn !== undefined) return true;
    if (this.#connecting) return await this.#connecting;
    if (!this.#backoff.due(this.#clock.now())) return false;
    const ok = await this.#connectOnce();
    if (ok) this.#sleep.wake();
    return ok && this.#connector.conn !== undefined;
  }

  /**
   * Closes the current connection (closeOnError); the next batch reconnects
   * at once (a send failure does not touch the backoff, as in CPython).
   */
  closeSocket(): void {
    const conn = this.#connector.conn;
    if (conn !== undefined) {
      this.#connector.close(conn);
      this.#setState("idle");
    }
  }

  /**
   * The I/O lock: exclusive use of the connection between frames (the
   * writer takes it for each batch).
   *
   * @returns A promise resolving once the lock is held.
   */
  acquire(): Promise<void> {
    return this.#lock.acquire();
  }

  /** Releases the I/O lock taken with {@linkcode SocketEngine.prototype.acquire}. */
  release(): void {
    this.#lock.release();
  }

  // ---------------------------------------------------- flush, close, exit

  #waitFor(timeout: number): Promise<FlushResult> {
    const result = this.#waiters.wait(this.#queue.nextSeq, timeout);
    const waiting = this.#waiters.size;
    this.#waiters.reached(this.#queue.firstSeq);
    const retryTime = this.#backoff.retryTime;
    if (
      this.#connector.conn === undefined && this.#connecting === undefined &&
      retryTime !== undefined
    ) {
      this.#waiters.expireBefore(retryTime);
    }
    if (this.#waiters.size === waiting) this.#kick();
    return result;
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
        pending: this.#queue.records,
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
    this.#closePromise ??= this.#drainAndClose(timeout ?? this.#exitTimeout);
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

  async #drainAndClose(timeout: number): Promise<FlushResult> {
    const sent0 = this.#sent;
    const dropped0 = this.#drops.dropped;
    let timedOut = false;
    try {
      this.#closing = true;
      this.#setState(this.#state);
      this.#exit.release();
      if (!this.#permissionDenied) {
        this.#refreshKeepAlive();
        this.#lastChance(this.#clock.now() + Math.max(0, timeout));
        timedOut = (await this.#waitFor(timeout)).timedOut;
      }
      this.#closed = true;
      this.#connector.abort(
        new DOMException("The engine was closed", "AbortError"),
      );
      this.#sleep.wake();
      this.closeSocket();
      await this.#writer;
      await this.#connecting?.catch(() => {});
      this.closeSocket();
      this.#dropAll("closed");
      await this.#connector.readersDone();
      this.#waiters.expireAll();
      this.#state = "closed";
      // Removed last: a `Deno.exit()` while draining still reports at unload.
      this.#exit.unlisten();
    } catch (e) {
      this.reportError(e, "close");
      this.#state = "closed";
      this.#exit.unlisten();
    }
    const result: FlushResult = {
      sent: this.#sent - sent0,
      dropped: this.#drops.dropped - dropped0,
      pending: this.#queue.records,
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
    this.#exit.deadline = undefined;
    this.#lastChanceUsed = false;
    this.#state = "idle";
    if (this.#handleExit) this.#exit.listen();
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
   * Shutdown's last chance: when the next scheduled attempt would come after
   * the deadline, try once now instead of giving up on the queue (the
   * receiver may be back). Once per close or exit.
   */
  #lastChance(deadline: number): void {
    const now = this.#clock.now();
    const retryTime = this.#backoff.retryTime;
    if (
      this.#lastChanceUsed || this.#queue.records === 0 || deadline <= now ||
      this.#connector.conn !== undefined || this.#connecting !== undefined ||
      retryTime === undefined || retryTime <= deadline
    ) return;
    this.#lastChanceUsed = true;
    this.#backoff.retryTime = now;
    this.#sleep.wake();
    this.#kick();
  }

  #canDeliverBy(deadline: number): boolean {
    if (this.#permissionDenied) return false;
    if (this.#connector.conn !== undefined || this.#connecting !== undefined) {
      return true;
    }
    const retryTime = this.#backoff.retryTime;
    if (retryTime !== undefined) return retryTime <= deadline;
    return this.#writer !== undefined;
  }

  /** Timers keep the process alive only while someone waits on the engine. */
  #refreshKeepAlive(): void {
    this.#sleep.keepAlive(this.#waiters.size > 0 || this.#closing);
  }

  #setState(s: EngineState): void {
    if (this.#closed) {
      this.#state = "closed";
      return;
    }
    this.#state = this.#closing ? "closing" : s;
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
      dropped: this.#drops.dropped,
      droppedByReason: { ...this.#drops.byReason },
      pendingRecords: this.#queue.records,
      pendingBytes: this.#queue.bytes,
      connects: this.#connects,
      reconnects: this.#reconnects,
      connectFailures: this.#connectFailures,
      noticesSent: this.#noticesSent,
      retryPeriod: this.#backoff.period,
      retryTime: this.#backoff.retryTime,
      lastError: this.#lastError,
      lastConnectedAt: this.#lastConnectedAt,
    };
  }
}
