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
import { type EngineClock, engineClock } from "./transport/clock.ts";
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
  toError,
} from "./transport/errors.ts";
import { ExitGuard } from "./transport/exit_guard.ts";
import { type FlushResult, FlushWaiters } from "./transport/flush_waiters.ts";
import {
  FrameQueue,
  type FrameQueueOptions,
  type FrameRoom,
  type FrameStore,
  type OverflowPolicy,
} from "./transport/frame_queue.ts";
import { SpooledQueue } from "./transport/spooled_queue.ts";
import type { SpoolOptions } from "./transport/options.ts";
import { IoLock } from "./transport/io_lock.ts";
import {
  engineConfig,
  type EngineTuning,
  validateOptions,
} from "./transport/options.ts";
import { WriteWatchdog } from "./transport/write_watchdog.ts";
import { SequenceStamp } from "./transport/sequence.ts";
import { AckTracker } from "./transport/ack_tracker.ts";
import { BackgroundWriter } from "./transport/writer.ts";

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
  /**
   * Milliseconds for which frames written to a receiver that does not
   * acknowledge are kept, to be sent again first if the connection is lost
   * within that time: what a receiver that stops reading before it closes
   * (a syslog daemon restarting) did not read is not lost, at the price of
   * duplicates of what it did read. 0 (the default) keeps nothing.
   * @default {0}
   */
  resendWindow?: number;
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
  /**
   * Of `sent`, the frames written into connections that the receiver closed
   * before they had stayed up for `retryStart` (e.g. one that accepts and
   * closes without reading): the receiver may not have read them.
   */
  unconfirmed: number;
  /** Bytes of the sent frames. */
  sentBytes: number;
  /**
   * Of `sent`, the records a receiver started with `ack: true`
   * acknowledged (with `sequence: true`; 0 with a Python receiver).
   */
  acked: number;
  /**
   * Of `pendingRecords`, the records written and awaiting acknowledgement:
   * sent again on the next connection if it does not come.
   */
  unacked: number;
  /**
   * Of `pendingRecords`, the records held in the disk spool (option
   * `spool`), not yet loaded back into memory; after close or exit, those
   * saved there for the next process.
   */
  spooled: number;
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
  #clock: EngineClock;
  #queue: FrameStore;
  #drops: DropLedger;
  #link: Connector<C>;
  #watchdog: WriteWatchdog<C>;
  #writer: BackgroundWriter<C>;
  #waiters: FlushWaiters;
  #exit: ExitGuard;
  #lock = new IoLock();
  #errors: ErrorReporter;
  /** Numbers the frames (option `sequence`). */
  #stamp: SequenceStamp | undefined;
  /** The room lent by the last room() (the queue's one object). */
  #room: FrameRoom | undefined;
  /** The queue's disk spool, if there is one. */
  #spool: SpooledQueue | undefined;
  /** Acknowledgements, and the frames written that await them. */
  #acks: AckTracker<C>;
  /** Records counted as sent through acknowledgements, and their bytes. */
  #ackSent = 0;
  #ackSentBytes = 0;
  #emitted = 0;
  #lastError: string | undefined;
  /** Frames sent when the current connection opened. */
  #sentAtConnect = 0;
  /** The connection count `#sentAtConnect` was taken at. */
  #connectsSeen = 0;
  /** See {@linkcode EngineStats.unconfirmed}. */
  #unconfirmed = 0;
  /** Whether a record logged after close() was reported (once per close). */
  #toldClosed = false;
  #state: EngineState = "idle";
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
   * transport's), as {@linkcode SocketEngine} does over `Deno.Conn`.
   *
   * @param options The engine options; `connect` is required.
   */
  constructor(options: SocketEngineOptions<C>);
  constructor(options: SocketEngineOptions<C>) {
    validateOptions("SocketEngine", options);
    const config = engineConfig(options);
    const clock = this.#clock = engineClock(options.clock);
    const stamp = this.#stamp = config.sequence
      ? new SequenceStamp()
      : undefined;
    const dropNotice = options.dropNotice;
    this.#drops = new DropLedger(() => clock.now(), options.onDrop);
    this.#errors = new ErrorReporter(
      config.onError,
      config.errorInterval,
      () => clock.now(),
    );
    const queueOptions = {
      maxRecords: config.maxQueueRecords,
      maxBytes: config.maxQueueBytes,
      maxFrameBytes: config.maxRecordBytes + 4,
      overflow: config.overflow,
      onDrop: (reason: DropReason, n: number) => {
        this.#drops.count(reason, n);
        this.#resolved();
      },
    };
    this.#queue = this.#openQueue(queueOptions, config.spool);
    this.#acks = new AckTracker<C>(this.#queue, clock, config.writeTimeout, {
      acked: (records, bytes) => {
        this.#ackSent += records;
        this.#ackSentBytes += bytes;
        this.#resolved();
      },
      stalled: (conn, reason) => this.#link.lost(conn, reason),
      report: (error, kind) => this.reportError(error, kind),
    }, options.resendWindow ?? 0);
    const engine = {
      closed: () => this.#closed,
      state: (state: EngineState) => {
        if (
          state === "connected" && this.#link.connects !== this.#connectsSeen
        ) {
          this.#connectsSeen = this.#link.connects;
          this.#sentAtConnect = this.#writer.sent;
          this.#holdConn();
        }
        this.#setState(state);
      },
      report: (error: Error, kind: string) => this.reportError(error, kind),
    };
    this.#link = new Connector<C>({
      connect: options.connect,
      connectTimeout: config.connectTimeout,
      backoff: config,
      clock,
      hooks: {
        ...engine,
        failedSilently: (message) => this.#lastError = message,
        permissionDenied: () => {
          this.#dropAll("permission");
          this.#setState("idle");
        },
        retryScheduled: (retryTime) => {
          // A deadline before the next attempt cannot be met.
          this.#waiters.expireBefore(retryTime);
          this.#exit.retryAt(retryTime);
        },
        lost: (proven) => {
          // Written into a connection the peer closed at once: it may not
          // have read them.
          if (!proven) {
            this.#unconfirmed += this.#writer.sent - this.#sentAtConnect;
          }
          if (this.#writer.hasWork()) this.#writer.kick();
        },
        peerGone: (conn, reason) =>
          this.#link.lost(conn, this.#watchdog.takeStall() ?? reason),
        received: (conn, bytes) => this.#acks.received(conn, bytes),
      },
    });
    this.#watchdog = new WriteWatchdog(clock, config.writeTimeout);
    this.#writer = new BackgroundWriter<C>({
      queue: this.#queue,
      drops: this.#drops,
      link: this.#link,
      watchdog: this.#watchdog,
      lock: this.#lock,
      clock,
      write: options.write,
      dropNotice: stamp === undefined || dropNotice === undefined
        ? dropNotice
        : (notice) => {
          const frame = dropNotice(notice);
          return frame === undefined ? undefined : stamp.stamp(frame);
        },
      maxBatchBytes: config.maxBatchBytes,
      hooks: {
        ...engine,
        closing: () => this.#closing || this.#closed,
        sent: () => this.#resolved(),
        dropAll: (reason) => this.#dropAll(reason),
        keepAlive: () => this.#keepAlive(),
        beforeWrite: (conn) => this.#acks.beforeWrite(conn as C),
        keeper: () => this.#acks.keeper(),
        held: () => this.#acks.held(this.#link.conn),
        written: (frames, notice) => this.#acks.written(frames, notice),
      },
    });
    this.#waiters = new FlushWaiters(clock, () => ({
      sent: this.#sent(),
      dropped: this.#drops.dropped,
      pending: this.#pending(),
    }), () => {
      this.#writer.keepAlive(this.#keepAlive());
      this.#holdConn();
    });
    this.#exit = new ExitGuard(
      {
        hasPendingAtExit: () =>
          !this.#closing && !this.#closed && this.#pending() > 0,
        canDeliverBy: (deadline) => this.#writer.canDeliverBy(deadline),
        dropAtExit: () => {
          if (this.#pending() === 0 || this.#closed) {
            return { dropped: 0, unsure: 0, spooled: 0 };
          }
          const unsure = this.#writer.settleAtExit();
          this.#acks.settleWindow();
          const spooled = this.#persist();
          const dropped = this.#pending() - this.#queue.spooled;
          this.#dropAll("exit");
          return { dropped, unsure, spooled };
        },
        drainBy: async (deadline) => {
          if (this.#link.permissionDenied) return;
          this.#writer.keepAlive(true);
          this.#writer.lastChance(deadline);
          await this.#waitFor(Math.max(0, deadline - this.#clock.now()));
          this.#writer.keepAlive(this.#keepAlive());
        },
        exitReason: () =>
          this.#link.permissionDenied
            ? "no permission to connect"
            : this.#link.conn
            ? "deadline reached while sending"
            : `receiver unreachable${
              this.#lastError
                ? `: ${this.#lastError.replace(/; retrying in .*$/, "")}`
                : ""
            }`,
      },
      config.exitTimeout,
      clock,
      options.handleExit ?? true,
      config.exitSignals,
    );
    this.#exit.listen();
    if (this.#queue.records > 0) {
      // Records a previous process left in the spool: send them now.
      this.#exit.activate();
      this.#writer.kick();
    }
  }

  /** The current connection, if any. */
  get sock(): C | undefined {
    return this.#link.conn;
  }

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
    if (!(frame instanceof Uint8Array)) {
      this.#emitted++;
      this.#drops.count("encode");
      return false;
    }
    if (this.#stamp !== undefined) return this.#stamped(frame);
    return this.#accepting() && this.#queued(this.#queue.push(frame));
  }

  /** `enqueue` with `sequence: true`: the frame is copied, then stamped. */
  #stamped(frame: Uint8Array): boolean {
    if (!this.#accepting()) return false;
    const stamp = this.#stamp!;
    const room = this.#queue.room(frame.length + stamp.extra);
    room.buf.set(frame, room.pos);
    const end = stamp.stampInPlace(
      room.buf,
      room.view,
      room.pos,
      room.pos + frame.length,
    );
    return this.#queued(this.#queue.commit(end));
  }

  /**
   * Lends room for a frame of at most `n` bytes, written in place into the
   * queue's byte ring and then queued with
   * {@linkcode SocketEngine.prototype.commit} (no copy, no allocation).
   * Nothing else may run on the engine between the two calls.
   *
   * @param n The most bytes the frame will take.
   * @returns The room: write from `room.pos` into `room.buf`.
   */
  room(n: number): FrameRoom {
    if (this.#stamp !== undefined) return this.#stampRoom(n);
    return this.#queue.room(n);
  }

  /** `room` with `sequence: true`: room for the stamp too. */
  #stampRoom(n: number): FrameRoom {
    return this.#room = this.#queue.room(n + this.#stamp!.extra);
  }

  /**
   * Queues the frame written into the last
   * {@linkcode SocketEngine.prototype.room}, as
   * {@linkcode SocketEngine.prototype.enqueue} queues a frame.
   *
   * @param end Where the frame ends in the room's `buf`.
   * @returns Whether the frame was queued.
   */
  commit(end: number): boolean {
    if (this.#stamp !== undefined) return this.#stampCommit(end);
    return this.#accepting() && this.#queued(this.#queue.commit(end));
  }

  /** `commit` with `sequence: true`: the frame is stamped first. */
  #stampCommit(end: number): boolean {
    if (!this.#accepting()) return false;
    const room = this.#room!;
    end = this.#stamp!.stampInPlace(room.buf, room.view, room.pos, end);
    return this.#queued(this.#queue.commit(end));
  }

  /** Counts a frame as emitted; false (counted dropped) if refused. */
  #accepting(): boolean {
    this.#emitted++;
    if (!this.#closing && !this.#link.permissionDenied) return true;
    this.#drops.count(this.#closing ? "closed" : "permission");
    if (this.#closing && !this.#toldClosed) {
      this.#toldClosed = true;
      this.reportError(
        new Error(
          "A record was logged after close(): records logged after close() are dropped (counted as 'closed' in stats())",
        ),
        "closed",
      );
    }
    return false;
  }

  /** Kicks the writer after a frame was (or was not) queued. */
  #queued(queued: boolean): boolean {
    if (queued) {
      this.#writer.kick();
      if (!this.#exit.active) this.#exit.activate();
    } else this.#writer.kickNotice();
    return queued;
  }

  /**
   * Counts a record that never became a frame (encode error etc.) as
   * emitted and dropped with `reason`.
   *
   * @param reason The drop reason.
   */
  countDrop(reason: DropReason): void {
    this.#emitted++;
    this.#drops.count(DROP_REASONS.includes(reason) ? reason : "encode");
    this.#writer.kickNotice();
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

  /**
   * The memory queue, with the disk spool behind it when asked for and
   * possible (else one clear error, and a memory queue). Records found in
   * the spool count as emitted.
   */
  #openQueue(
    options: FrameQueueOptions,
    spool: SpoolOptions | undefined,
  ): FrameStore {
    if (spool === undefined) return new FrameQueue(options);
    try {
      const queue = new SpooledQueue(options, spool, {
        report: (error) => this.reportError(error, "spool"),
      });
      this.#spool = queue;
      this.#emitted += queue.inherited + queue.corruptAtOpen;
      if (queue.corruptAtOpen > 0) {
        this.#drops.count("corrupt", queue.corruptAtOpen);
      }
      return queue;
    } catch (e) {
      this.reportError(
        new Error(
          `${
            (e as Error).message
          }; log records are kept in memory only (no spool)`,
          { cause: e },
        ),
        "spool",
      );
      return new FrameQueue(options);
    }
  }

  /** Frames left the queue (sent or dropped): wake whoever waited for them. */
  #resolved(): void {
    this.#queue.done(this.#firstSeq());
    if (this.#waiters.size > 0) this.#waiters.reached(this.#firstSeq());
    if (this.#exit.holding && this.#pending() === 0) this.#exit.release();
  }

  /**
   * At close or exit (nothing in flight): saves the frames written and not
   * acknowledged, then those queued, in the spool, if there is one.
   *
   * @returns How many were saved.
   */
  #persist(): number {
    const spool = this.#spool;
    if (spool === undefined) return 0;
    const front = this.#acks.takeFrames();
    return spool.persist(front);
  }

  /** Frames pending: queued, being written, or written and unacknowledged. */
  #pending(): number {
    return this.#queue.records + this.#acks.unacked;
  }

  /** Sequence number of the oldest pending frame. */
  #firstSeq(): number {
    return Math.min(this.#queue.firstSeq, this.#acks.firstSeq);
  }

  /** Frames sent: written (to a receiver that does not acknowledge) or acknowledged. */
  #sent(): number {
    return this.#writer.sent + this.#ackSent;
  }

  /**
   * Lets the connection keep the process alive while someone waits on the
   * engine (acknowledgements arrive on it), and not otherwise.
   */
  #holdConn(): void {
    const conn = this.#link.conn;
    if (conn === undefined) return;
    try {
      if (this.#keepAlive()) conn.ref?.();
      else conn.unref?.();
    } catch { /* closed */ }
  }

  #dropAll(reason: DropReason): void {
    const kept = this.#acks.discard();
    if (kept > 0) this.#drops.count(reason, kept);
    this.#queue.dropAll(reason);
    this.#resolved();
  }

  /**
   * The default write: all of `data`, looping over `conn.write`'s partial
   * writes. A custom `write` (e.g. the handler's `send`) should call this
   * for its data: the engine then sees the progress (the stall timeout
   * measures time without progress; after a failure, frames written
   * completely are not sent again).
   *
   * @param conn The connection.
   * @param data The bytes to write.
   * @returns Resolves when every byte was written.
   * @throws {Deno.errors.WriteZero} If a write returns 0; connection errors (e.g. `BrokenPipe`, `Interrupted`) pass through.
   */
  writeAll(conn: Connection, data: Uint8Array): Promise<void> {
    return this.#watchdog.writeAll(conn, data);
  }

  /**
   * Connects now if the backoff schedule allows (Python's createSocket
   * semantics: retryTime/retryPeriod).
   *
   * @returns Whether a connection is up afterwards.
   */
  async createSocket(): Promise<boolean> {
    const up = await this.#link.createSocket();
    if (up) this.#writer.wake();
    return up;
  }

  /**
   * Closes the current connection (closeOnError); the next batch reconnects
   * at once (a send failure does not touch the backoff, as in CPython).
   */
  closeSocket(): void {
    this.#link.closeSocket();
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
        pending: this.#pending(),
        timedOut: false,
      });
    }
    return this.#waitFor(timeout ?? Infinity);
  }

  #waitFor(timeout: number): Promise<FlushResult> {
    const link = this.#link;
    return this.#waiters.wait(
      this.#queue.nextSeq,
      timeout,
      this.#firstSeq(),
      link.conn || link.connecting ? undefined : link.backoff.retryTime,
      () => this.#writer.kick(),
    );
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
    this.#closePromise ??= this.#drainAndClose(timeout ?? this.#exit.timeout);
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
    const sent0 = this.#sent();
    const dropped0 = this.#drops.dropped;
    let timedOut = false;
    try {
      this.#closing = true;
      this.#setState(this.#state);
      this.#holdConn();
      this.#exit.release();
      if (!this.#link.permissionDenied) {
        this.#writer.keepAlive(true);
        this.#writer.lastChance(this.#clock.now() + Math.max(0, timeout));
        timedOut = (await this.#waitFor(timeout)).timedOut;
      }
      this.#closed = true;
      await this.#writer.stop();
      this.#acks.settleWindow();
      this.#acks.stop();
      const spooled = this.#persist();
      if (spooled > 0) {
        this.reportError(
          new Error(
            `${spooled} log record${
              spooled === 1 ? " was" : "s were"
            } not sent by close() and ${
              spooled === 1 ? "was" : "were"
            } saved in the spool: the next handler that opens it sends ${
              spooled === 1 ? "it" : "them"
            }`,
          ),
          "spool",
        );
      }
      const left = this.#pending() - this.#queue.spooled;
      this.#dropAll("closed");
      if (left > 0) {
        this.reportError(
          new Error(
            `${left} log record${
              left === 1 ? " was" : "s were"
            } dropped by close(): ${
              this.#link.permissionDenied
                ? "no permission to connect"
                : timedOut
                ? `not sent within its ${timeout} ms (${
                  this.#lastError?.replace(/; retrying in .*$/, "") ??
                    "the receiver was slow"
                })`
                : "not sent"
            }`,
          ),
          "close",
        );
      }
      this.#waiters.expireAll();
      this.#state = "closed";
      // Removed last: a `Deno.exit()` while draining still reports at unload.
      this.#exit.unlisten();
    } catch (e) {
      this.reportError(e, "close");
      this.#state = "closed";
      this.#exit.unlisten();
    }
    if (this.#reopenAfterClose) {
      this.#reopenAfterClose = false;
      this.reopen();
    }
    return {
      sent: this.#sent() - sent0,
      dropped: this.#drops.dropped - dropped0,
      pending: this.#pending(),
      timedOut,
    };
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
    this.#toldClosed = false;
    this.#closePromise = undefined;
    this.#spool?.reopen();
    this.#link.reopen();
    this.#state = "idle";
    this.#exit.listen();
  }

  /**
   * Closes the engine with the default deadline (`exitTimeout`).
   *
   * @returns A promise resolving when closed.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Timers keep the process alive only while someone waits on the engine. */
  #keepAlive(): boolean {
    return this.#waiters.size > 0 || this.#closing;
  }

  #setState(s: EngineState): void {
    this.#state = this.#closed ? "closed" : this.#closing ? "closing" : s;
  }

  /**
   * A snapshot of the counters and state.
   *
   * @returns The statistics; `emitted === sent + dropped + pendingRecords`.
   */
  stats(): EngineStats {
    const link = this.#link;
    return {
      state: this.#state,
      emitted: this.#emitted,
      sent: this.#sent(),
      unconfirmed: this.#unconfirmed,
      sentBytes: this.#writer.sentBytes + this.#ackSentBytes,
      dropped: this.#drops.dropped,
      droppedByReason: { ...this.#drops.byReason },
      pendingRecords: this.#pending(),
      pendingBytes: this.#queue.bytes + this.#acks.unackedBytes,
      acked: this.#acks.acked,
      unacked: this.#acks.unacked,
      spooled: this.#queue.spooled,
      connects: link.connects,
      reconnects: link.reconnects,
      connectFailures: link.connectFailures,
      noticesSent: this.#drops.noticesSent,
      retryPeriod: link.backoff.period,
      retryTime: link.backoff.retryTime,
      lastError: this.#lastError,
      lastConnectedAt: link.lastConnectedAt,
    };
  }
}
