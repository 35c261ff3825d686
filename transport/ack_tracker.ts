// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode AckTracker}: the engine's side of acknowledgements. It reads
 * the acknowledgement frames a receiver started with `ack: true` writes
 * back (`ack.ts`), keeps the frames written and not yet acknowledged
 * (`ack_window.ts`), and hands them back to the queue's head when their
 * connection is gone, so that the next connection sends them again. A
 * Python receiver never writes back: with it, nothing is kept and the
 * engine behaves exactly as without this. Private to the package.
 *
 * - A connection is **plain** until its first acknowledgement: frames
 *   written count as sent at once. From its first acknowledgement on, it
 *   **keeps** frames until they are acknowledged (they count as sent
 *   then). Once any connection has acknowledged, later connections keep
 *   frames from their first write (the receiver is expected to
 *   acknowledge again).
 * - A keeping connection whose receiver makes no progress for `timeout`
 *   ms while frames wait: if it had acknowledged before, it is stalled
 *   (the engine drops it; the frames are sent again on the next one); if
 *   it never acknowledged, the receiver is taken not to acknowledge (a
 *   Python receiver after an acknowledging one): the frames it holds count
 *   as sent, and connections are plain again.
 * - Bytes that are not acknowledgements (or a count that goes back or
 *   beyond the frames written) make the tracker ignore that connection's
 *   bytes from then on.
 *
 * @module
 */
import { AckReader } from "./ack.ts";
import { AckWindow } from "./ack_window.ts";
import { type EngineClock, startTimer } from "./clock.ts";
import type { Connection } from "./connection.ts";
import type { FrameStore, Keeper, TakenFrames } from "./frame_queue.ts";

/** What the tracker tells the engine. */
export interface AckHooks<C extends Connection> {
  /**
   * Records were acknowledged (or, from a receiver found not to
   * acknowledge, are taken as sent: then they are not in `acked`).
   *
   * @param records How many.
   * @param bytes Their bytes.
   */
  acked(records: number, bytes: number): void;
  /**
   * The receiver on `conn` stopped acknowledging: drop the connection.
   *
   * @param conn The connection.
   * @param reason What happened.
   */
  stalled(conn: C, reason: string): void;
  /**
   * Reports an error through the rate-limited `onError`.
   *
   * @param error The error.
   * @param kind The rate-limiting key.
   */
  report(error: Error, kind: string): void;
}

/** Reads acknowledgements and keeps the unacknowledged frames. */
export class AckTracker<C extends Connection> {
  #queue: FrameStore;
  #clock: EngineClock;
  #timeout: number;
  #hooks: AckHooks<C>;
  #window = new AckWindow();
  /** The connection the window numbers frames of. */
  #conn: C | undefined;
  #reader = new AckReader();
  /** Whether #conn acknowledged at least once. */
  #acking = false;
  /** Whether #conn's bytes are ignored (not acknowledgements). */
  #ignored = false;
  /** Whether a connection acknowledged before (keep from the first write). */
  #expect = false;
  /** Clock time (ms) of the last progress: a keep into an empty window, or an acknowledgement. */
  #progressAt = 0;
  #timer: unknown;
  /** Records acknowledged (those written plain included). */
  acked = 0;
  /** Their bytes. */
  ackedBytes = 0;
  #keeper: Keeper = (bytes, lengths, seqs, count) => {
    if (this.#window.records === 0) this.#progress();
    const now = this.#clock.now();
    this.#window.keep(bytes, lengths, seqs, count, now);
    if (this.#retain > 0 && !this.#acking) this.#expire(now);
    this.#reserve();
  };
  /** Milliseconds written frames are kept without acknowledgements. */
  #retain: number;
  #expiryTimer: unknown;

  /**
   * Creates the tracker.
   *
   * @param queue The engine's queue (frames go back to its head).
   * @param clock The clock.
   * @param timeout Milliseconds without progress before a keeping
   * connection is given up (the engine's `writeTimeout`).
   * @param hooks The engine's side.
   * @param retain Milliseconds to keep written frames from a receiver that
   * does not acknowledge, to send them again if the connection is lost
   * within that time (0: not kept).
   */
  constructor(
    queue: FrameStore,
    clock: EngineClock,
    timeout: number,
    hooks: AckHooks<C>,
    retain = 0,
  ) {
    this.#queue = queue;
    this.#clock = clock;
    this.#timeout = timeout;
    this.#hooks = hooks;
    this.#retain = retain;
  }

  /**
   * Lets the frames written more than `retain` ms before `now` leave, as
   * sent, and keeps a timer for the rest.
   */
  #expire(now: number): void {
    const records = this.#window.expire(now - this.#retain);
    if (records > 0) {
      this.#reserve();
      this.#hooks.acked(records, this.#window.lastBytes);
    }
    if (this.#window.records > 0 && this.#expiryTimer === undefined) {
      this.#expiryTimer = startTimer(
        this.#clock,
        () => {
          this.#expiryTimer = undefined;
          if (!this.#acking) this.#expire(this.#clock.now());
        },
        this.#retain,
        false,
      );
    }
  }

  /** Records written and not acknowledged. */
  get unacked(): number {
    return this.#window.records;
  }

  /** Their bytes. */
  get unackedBytes(): number {
    return this.#window.bytes;
  }

  /**
   * Records kept for a connection that is no longer `conn`: to be sent
   * again on the next.
   *
   * @param conn The open connection, if any.
   * @returns How many.
   */
  held(conn: C | undefined): number {
    return conn === this.#conn && conn !== undefined ? 0 : this.#window.records;
  }

  /** Queue sequence number of the oldest unacknowledged record (Infinity if none). */
  get firstSeq(): number {
    return this.#window.firstSeq;
  }

  /**
   * A batch is about to be written on `conn` (nothing in flight): if it is
   * a new connection, the frames kept for the previous one go back to the
   * queue's head.
   *
   * @param conn The connection.
   */
  beforeWrite(conn: C): void {
    if (conn === this.#conn) return;
    this.takeBack();
    this.#conn = conn;
  }

  /**
   * Hands the kept frames back to the queue's head (their connection is
   * gone, or the engine stops) and forgets the connection.
   */
  takeBack(): void {
    const back = this.takeFrames();
    if (back.count > 0) {
      this.#queue.requeue(back.bytes, back.lengths, back.seqs, back.count);
    }
  }

  /**
   * Where a completed write's frames go: kept (the connection acknowledges,
   * or one did before), or undefined (sent now).
   *
   * @returns The keeper, or undefined.
   */
  keeper(): Keeper | undefined {
    return (this.#acking || this.#expect || this.#retain > 0) &&
        !this.#ignored
      ? this.#keeper
      : undefined;
  }

  /**
   * Records written and not kept (sent at once), or a drop notice
   * written: they take numbers on the connection.
   *
   * @param frames How many.
   * @param notice Whether it is a drop notice.
   */
  written(frames: number, notice: boolean): void {
    if (frames <= 0) return;
    if (notice && this.keeper() !== undefined) {
      this.#window.keepNotice(this.#clock.now());
    } else this.#window.plain(frames, notice);
  }

  /**
   * Bytes arrived on the open connection.
   *
   * @param conn The connection.
   * @param bytes The bytes.
   */
  received(conn: C, bytes: Uint8Array): void {
    if (conn !== this.#conn || this.#ignored) return;
    let records = 0;
    let before = 0;
    try {
      const count = this.#reader.push(bytes);
      if (count === undefined) return;
      before = this.#window.bytes;
      records = this.#window.ack(count);
    } catch (e) {
      this.#ignored = true;
      this.#hooks.report(
        new Error(
          `Ignoring what the log receiver writes back: ${(e as Error).message}`,
        ),
        "ack",
      );
      return;
    }
    this.#acking = this.#expect = true;
    this.#progress();
    this.#reserve();
    this.acked += this.#window.plainAcked;
    if (records > 0) {
      const bytesAcked = before - this.#window.bytes;
      this.acked += records;
      this.ackedBytes += bytesAcked;
      this.#hooks.acked(records, bytesAcked);
    }
  }

  /**
   * Takes the kept records out (to be saved elsewhere) and forgets the
   * connection.
   *
   * @returns The records, in order.
   */
  takeFrames(): TakenFrames {
    const back = this.#window.takeBack();
    this.#conn = undefined;
    this.#reader = new AckReader();
    this.#acking = this.#ignored = false;
    this.#reserve();
    return back;
  }

  /**
   * Forgets the kept frames (they are being dropped) and the connection.
   *
   * @returns How many records were kept.
   */
  discard(): number {
    return this.takeFrames().count;
  }

  /**
   * At close or exit: frames kept only for the resend window (the receiver
   * does not acknowledge) count as sent, as they would have once the
   * window passed; records awaiting a real acknowledgement stay.
   */
  settleWindow(): void {
    if (this.#retain > 0 && !this.#acking && this.#window.records > 0) {
      this.#expire(Infinity);
    }
  }

  /** Stops the timer (the engine is closed). */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#expiryTimer !== undefined) {
      this.#clock.clearTimeout(this.#expiryTimer);
    }
    this.#expiryTimer = undefined;
  }

  #reserve(): void {
    this.#queue.reserve(this.#window.records, this.#window.bytes);
  }

  /** Notes progress and (re-)arms the no-progress timer while frames wait. */
  #progress(): void {
    this.#progressAt = this.#clock.now();
    if (this.#timer === undefined) this.#arm(this.#timeout);
  }

  #arm(ms: number): void {
    this.#timer = startTimer(this.#clock, () => this.#check(), ms, false);
  }

  #check(): void {
    this.#timer = undefined;
    const conn = this.#conn;
    if (this.#window.records === 0 || conn === undefined) return;
    const idle = this.#clock.now() - this.#progressAt;
    if (idle < this.#timeout) {
      this.#arm(this.#timeout - idle);
      return;
    }
    if (!this.#acking && this.#retain > 0) return; // kept for a while only
    if (this.#acking) {
      this.#hooks.stalled(
        conn,
        `no acknowledgement for ${this.#timeout} ms with ${this.#window.records} records waiting`,
      );
      return;
    }
    // Never acknowledged on this connection: not an acknowledging receiver.
    this.#expect = false;
    const records = this.#window.records;
    const bytes = this.#window.bytes;
    this.#window.takeBack();
    this.#ignored = true;
    this.#reserve();
    this.#hooks.acked(records, bytes);
    this.#hooks.report(
      new Error(
        `The log receiver did not acknowledge within ${this.#timeout} ms (it acknowledged before): ${records} records written to it count as sent, without acknowledgement`,
      ),
      "ack",
    );
  }
}
