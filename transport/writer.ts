// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The background writer: one task that moves frames from the queue to the
 * connection. It connects when the backoff allows (sleeping until then),
 * writes the drop notice first when drops are unannounced, then one batch
 * of whole frames at a time under the stall watchdog and the I/O lock, and
 * settles each batch: frames written in full are sent, the others go back
 * to the head whole (or are dropped, when the transport refused them).
 * Private to the package.
 *
 * @module
 */
import { type EngineClock, Sleep } from "./clock.ts";
import type { Connection, Connector } from "./connection.ts";
import type { DropLedger, DropNotice, DropReason } from "./drops.ts";
import { FramesRefusedError, messageOf } from "./errors.ts";
import type { FrameStore, Keeper } from "./frame_queue.ts";
import type { IoLock } from "./io_lock.ts";
import type { WriteFunction, WriteWatchdog } from "./write_watchdog.ts";

/** What the writer asks of the engine. */
export interface WriterHooks {
  /**
   * Whether the engine is closed (the writer then stops).
   *
   * @returns True once closed.
   */
  closed(): boolean;
  /**
   * Whether a close is under way or done.
   *
   * @returns True while closing and after.
   */
  closing(): boolean;
  /**
   * The connection state changed.
   *
   * @param state The new state.
   */
  state(state: "connected" | "idle" | "backoff"): void;
  /**
   * Reports an error through the rate-limited `onError`.
   *
   * @param error The error.
   * @param kind The rate-limiting key.
   */
  report(error: unknown, kind: string): void;
  /** Frames were sent. */
  sent(): void;
  /**
   * Drops every pending frame.
   *
   * @param reason The drop reason.
   */
  dropAll(reason: DropReason): void;
  /**
   * Whether a sleep until the next attempt should keep the process alive.
   *
   * @returns True if someone waits on the engine.
   */
  keepAlive(): boolean;
  /**
   * A batch is about to be written on `conn` (no batch is in flight): the
   * frames written on an earlier connection and not acknowledged go back
   * to the head of the queue.
   *
   * @param conn The connection.
   */
  beforeWrite(conn: Connection): void;
  /**
   * Records written on an earlier connection and not acknowledged, to be
   * sent again (they go back to the queue at the next `beforeWrite`).
   *
   * @returns How many.
   */
  held(): number;
  /**
   * Where the frames a write completed go: kept until acknowledged (then
   * they count as sent on acknowledgement), or undefined: sent now.
   *
   * @returns The keeper, or undefined.
   */
  keeper(): Keeper | undefined;
  /**
   * Frames were written in full and counted as sent (not kept), or a drop
   * notice was written: they take numbers on the connection.
   *
   * @param frames How many.
   * @param notice Whether it was a drop notice.
   */
  written(frames: number, notice: boolean): void;
}

/** The parts and options the writer works with. */
export interface WriterOptions<C extends Connection> {
  /** The queue. */
  queue: FrameStore;
  /** Drop accounting and the notice. */
  drops: DropLedger;
  /** The connection. */
  link: Connector<C>;
  /** Writes under the stall watchdog. */
  watchdog: WriteWatchdog<C>;
  /** The I/O lock, held for each batch. */
  lock: IoLock;
  /** The clock. */
  clock: EngineClock;
  /** A custom write (default: the watchdog's write-all loop). */
  write: WriteFunction<C> | undefined;
  /** Builds the frame of the drop notice (none when undefined). */
  dropNotice: ((notice: DropNotice) => Uint8Array | undefined) | undefined;
  /** Byte limit of a batch (one frame per batch when 1). */
  maxBatchBytes: number;
  /** The engine's side. */
  hooks: WriterHooks;
}

/** The engine's one background writer. */
/** Connections lost while writing the same head frame before it is dropped. */
const MAX_STRIKES = 3;

export class BackgroundWriter<C extends Connection> {
  /** The head frame's sequence number when a connection was last lost. */
  #strikeSeq = -1;
  /** Connections lost in a row while writing that frame. */
  #strikes = 0;
  /** Frames fully written. */
  sent = 0;
  /** Bytes of the frames fully written. */
  sentBytes = 0;
  #o: WriterOptions<C>;
  #sleep: Sleep;
  #task: Promise<void> | undefined;

  /**
   * Creates the writer (idle until kicked).
   *
   * @param options The parts, options and hooks.
   */
  constructor(options: WriterOptions<C>) {
    this.#o = options;
    this.#sleep = new Sleep(options.clock);
  }

  /** Whether the writer task is running. */
  get running(): boolean {
    return this.#task !== undefined;
  }

  /** Starts the writer task if it is not running. */
  kick(): void {
    if (this.#task !== undefined || this.#o.hooks.closed()) return;
    this.#task = this.#deliver().catch((e) => {
      this.#o.hooks.report(e, "send");
    }).finally(() => {
      this.#task = undefined;
      // Work may have arrived while the writer was finishing.
      if (this.hasWork() && !this.#o.hooks.closed()) this.kick();
    });
  }

  /** Starts the writer if a drop notice could be sent now. */
  kickNotice(): void {
    if (this.#o.link.conn !== undefined && this.#o.dropNotice !== undefined) {
      this.kick();
    }
  }

  /** Ends a sleep until the next connection attempt. */
  wake(): void {
    this.#sleep.wake();
  }

  /**
   * Shutdown's last chance (see `Connector.lastChance`): with frames
   * pending and the next attempt after `deadline`, try once now.
   *
   * @param deadline Clock time (ms) of the close or exit deadline.
   */
  lastChance(deadline: number): void {
    const { queue, hooks, link } = this.#o;
    if (
      queue.records + hooks.held() === 0 || !link.lastChance(deadline)
    ) {
      return;
    }
    this.#sleep.wake();
    this.kick();
  }

  /**
   * Whether waiting until `deadline` can help deliver what is pending
   * (after taking the last chance).
   *
   * @param deadline Clock time (ms).
   * @returns True if a connection is up, coming, or due by then.
   */
  canDeliverBy(deadline: number): boolean {
    this.lastChance(deadline);
    return this.#o.link.upBy(deadline) ?? this.running;
  }

  /**
   * Stops: aborts a connection attempt, closes the connection, and waits
   * for the writer task and the connection's read side to end. Call it
   * once the engine is closed.
   *
   * @returns Resolves when everything has stopped.
   */
  async stop(): Promise<void> {
    const link = this.#o.link;
    link.abort(new DOMException("The engine was closed", "AbortError"));
    this.#sleep.wake();
    link.closeSocket();
    await this.#task;
    await link.settled();
  }

  /**
   * Lets the sleep's timer keep the process alive, or not.
   *
   * @param keepAlive Whether it may keep the process alive.
   */
  keepAlive(keepAlive: boolean): void {
    this.#sleep.keepAlive(keepAlive);
  }

  /**
   * Whether there is something to do: frames, or a notice on an open connection.
   *
   * @returns True if the writer should run.
   */
  hasWork(): boolean {
    const { queue, link, drops, dropNotice, hooks } = this.#o;
    const records = queue.records + hooks.held();
    if (link.permissionDenied) return records > 0;
    return records > 0 ||
      (link.conn !== undefined && drops.unannounced > 0 &&
        dropNotice !== undefined);
  }

  async #deliver(): Promise<void> {
    try {
      await this.#deliverLoop();
    } finally {
      this.#o.watchdog.rest();
    }
  }

  async #deliverLoop(): Promise<void> {
    const { queue, link, lock, clock, hooks } = this.#o;
    while (!hooks.closed() && this.hasWork()) {
      if (link.permissionDenied) {
        hooks.dropAll("permission");
        break;
      }
      const conn = link.conn;
      if (conn === undefined) {
        // Only a notice: never connect for it.
        if (queue.records + hooks.held() === 0) break;
        const retryTime = link.backoff.retryTime;
        const now = clock.now();
        if (retryTime !== undefined && now < retryTime) {
          hooks.state("backoff");
          await this.#sleep.for(retryTime - now, hooks.keepAlive());
        } else {
          await link.connect();
        }
        continue;
      }
      await lock.acquire();
      try {
        if (link.conn === conn && !hooks.closed()) await this.#writeBatch(conn);
      } finally {
        lock.release();
      }
    }
    if (!hooks.closing()) hooks.state(link.conn ? "connected" : "idle");
  }

  /** Writes the drop notice if due, then one batch from the queue head, and settles it. */
  async #writeBatch(conn: C): Promise<void> {
    const { queue, drops, link, watchdog, write, dropNotice, hooks } = this.#o;
    let data: Uint8Array | undefined;
    hooks.beforeWrite(conn);
    try {
      if (dropNotice !== undefined) {
        await drops.announce(
          dropNotice,
          async (frame) => {
            await watchdog.watch(conn, frame, write);
            hooks.written(1, true);
          },
          (e) => hooks.report(e, "notice"),
        );
      }
      data = queue.takeBatch(this.#o.maxBatchBytes);
      if (data === undefined) return;
      await watchdog.watch(conn, data, write);
    } catch (e) {
      const refused = e instanceof FramesRefusedError ? e : undefined;
      if (data !== undefined) this.#settle(watchdog.progress, refused?.reason);
      if (data !== undefined && refused === undefined && !hooks.closed()) {
        this.#strike();
      }
      if (refused !== undefined) {
        hooks.report(refused, refused.reason);
      } else if (hooks.closed()) {
        watchdog.stalled = false;
        link.close(conn);
      } else {
        link.lost(conn, watchdog.takeStall() ?? messageOf(e));
      }
      return;
    }
    this.#settle(data.byteLength);
    this.#strikes = 0;
    link.delivered(conn);
  }

  /**
   * The connection was lost while the frame now at the head was being
   * written: the third time in a row, the frame is dropped as `refused`
   * (the receiver closes rather than take it, e.g. it is over its frame
   * limit) and reported, so that the frames behind it are delivered.
   */
  #strike(): void {
    const { queue, hooks } = this.#o;
    if (queue.records === 0) return;
    const seq = queue.firstSeq;
    if (seq === this.#strikeSeq) this.#strikes++;
    else {
      this.#strikeSeq = seq;
      this.#strikes = 1;
    }
    if (this.#strikes < MAX_STRIKES) return;
    this.#strikes = 0;
    if (queue.dropFirst("refused")) {
      hooks.report(
        new Error(
          `The receiver closed the connection while the same record was being written ${MAX_STRIKES} times in a row: dropped it as 'refused' (it may be over the receiver's frame limit) so that the records behind it are delivered`,
        ),
        "refused",
      );
    }
  }

  /**
   * At an exit that cannot wait: counts the frames of the write in progress
   * that are known to be written in full as sent; the rest go back to the
   * head of the queue.
   *
   * @returns How many frames of the write in progress were not known to be
   * written (they may still have reached the kernel).
   */
  settleAtExit(): number {
    const { queue, watchdog } = this.#o;
    const inFlight = queue.inFlight;
    if (inFlight === 0) return 0;
    const before = this.sent;
    this.#settle(watchdog.progress);
    return inFlight - (this.sent - before);
  }

  /** Counts the frames written in full as sent; the rest go back to the head (or are dropped for `reason`). */
  #settle(written: number, reason?: DropReason): void {
    const { queue, hooks } = this.#o;
    const keep = hooks.keeper();
    const sent = queue.settle(written, reason, keep);
    if (keep !== undefined) return;
    this.sent += sent;
    this.sentBytes += queue.settledBytes;
    hooks.written(sent, false);
    if (sent > 0) hooks.sent();
  }
}
