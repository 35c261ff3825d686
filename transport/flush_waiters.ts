// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The callers of `flush()` and `close()` waiting for the frames queued
 * before their call, each with a deadline. Frames carry increasing
 * sequence numbers; a waiter is done once every frame before its target
 * is sent or dropped. Durations are in milliseconds. Private to the
 * package.
 *
 * @module
 */
import { type EngineClock, startTimer } from "./clock.ts";

/** Outcome of `flush()` and `close()`. */
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

/** The engine's counters a result is computed from. */
export interface FlushCounters {
  /** Frames sent so far. */
  sent: number;
  /** Records dropped so far. */
  dropped: number;
  /** Frames pending now. */
  pending: number;
}

interface Waiter {
  target: number;
  deadline: number;
  timer: unknown;
  sent0: number;
  dropped0: number;
  resolve: (r: FlushResult) => void;
}

/** The pending `flush()`/`close()` calls. */
export class FlushWaiters {
  #waiters: Waiter[] = [];
  #clock: EngineClock;
  #counters: () => FlushCounters;
  #onChange: () => void;

  /**
   * Creates the list.
   *
   * @param clock The clock.
   * @param counters Reads the engine's counters.
   * @param onChange Called after a waiter was added or finished.
   */
  constructor(
    clock: EngineClock,
    counters: () => FlushCounters,
    onChange: () => void,
  ) {
    this.#clock = clock;
    this.#counters = counters;
    this.#onChange = onChange;
  }

  /** Number of waiting calls. */
  get size(): number {
    return this.#waiters.length;
  }

  /**
   * Waits until every frame with a sequence number below `target` is sent
   * or dropped, or until the deadline. The deadline's timer keeps the
   * process alive (the caller waits for it).
   *
   * @param target First sequence number not waited for.
   * @param timeout Milliseconds; Infinity (or NaN) for no deadline.
   * @param firstUnresolved Sequence number of the oldest frame neither sent nor dropped.
   * @param nextAttempt Clock time (ms) of the next connection attempt, when none is up or under way: a deadline before it cannot be met.
   * @param waiting Called if the call has to wait (e.g. to start the writer).
   * @returns The waiter's result.
   */
  wait(
    target: number,
    timeout: number,
    firstUnresolved: number,
    nextAttempt: number | undefined,
    waiting: () => void,
  ): Promise<FlushResult> {
    return new Promise<FlushResult>((resolve) => {
      const ms = typeof timeout === "number" && !Number.isNaN(timeout)
        ? Math.max(0, timeout)
        : Infinity;
      const c = this.#counters();
      const w: Waiter = {
        target,
        deadline: this.#clock.now() + ms,
        timer: undefined,
        sent0: c.sent,
        dropped0: c.dropped,
        resolve,
      };
      this.#waiters.push(w);
      if (firstUnresolved >= target) return this.#finish(w, false);
      if (nextAttempt !== undefined && w.deadline < nextAttempt) {
        return this.#finish(w, true);
      }
      if (ms !== Infinity) {
        w.timer = startTimer(
          this.#clock,
          () => this.#finish(w, true),
          ms,
          true,
        );
      }
      this.#onChange();
      waiting();
    });
  }

  /**
   * Finishes the waiters whose target is reached.
   *
   * @param firstUnresolved Sequence number of the oldest frame neither sent nor dropped.
   */
  reached(firstUnresolved: number): void {
    for (const w of [...this.#waiters]) {
      if (firstUnresolved >= w.target) this.#finish(w, false);
    }
  }

  /**
   * Finishes, as timed out, the waiters whose deadline comes before `time`
   * (e.g. the next connection attempt).
   *
   * @param time A clock time in milliseconds.
   */
  expireBefore(time: number): void {
    for (const w of [...this.#waiters]) {
      if (w.deadline < time) this.#finish(w, true);
    }
  }

  /** Finishes every waiter as timed out. */
  expireAll(): void {
    for (const w of [...this.#waiters]) this.#finish(w, true);
  }

  #finish(w: Waiter, timedOut: boolean): void {
    const i = this.#waiters.indexOf(w);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    if (w.timer !== undefined) this.#clock.clearTimeout(w.timer);
    this.#onChange();
    const c = this.#counters();
    w.resolve({
      sent: c.sent - w.sent0,
      dropped: c.dropped - w.dropped0,
      pending: c.pending,
      timedOut,
    });
  }
}
