// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The reconnection schedule of CPython's `SocketHandler.createSocket`: after
 * the first failed attempt wait `retryStart`, then multiply the period by
 * `retryFactor` after each further failure, up to `retryMax`; a connection
 * that proved good resets it. Each wait is drawn from
 * `[period × (1 − jitter), period]` (std's `async/retry` jitter, without
 * which every client of a restarted receiver would come back at once).
 * Durations are in milliseconds. Private to the package.
 *
 * @example Usage
 * ```ts
 * import { Backoff } from "./backoff.ts";
 * import { equal } from "node:assert/strict";
 *
 * const backoff = new Backoff(
 *   { retryStart: 1000, retryFactor: 2, retryMax: 3000, jitter: 0 },
 *   Math.random,
 * );
 * equal(backoff.failed(0), 1000);
 * equal(backoff.failed(1000), 3000); // 1000 + 2000
 * equal(backoff.failed(3000), 6000); // 3000 + min(4000, 3000)
 * backoff.proven();
 * equal(backoff.period, undefined);
 * ```
 *
 * @module
 */

/** The backoff schedule. Durations are in milliseconds. */
export interface BackoffOptions {
  /** First period. */
  retryStart: number;
  /** Multiplier of the period after each further failure. */
  retryFactor: number;
  /** Cap of the period. */
  retryMax: number;
  /** Fraction 0..1 of the period that is randomised away. */
  jitter: number;
}

/** When the next connection attempt may be made. */
export class Backoff {
  /** Current period (ms, without jitter); undefined before the first failure and after a connection proved good. */
  period: number | undefined;
  /** Clock time (ms) before which no attempt is made; undefined when an attempt may be made at once. */
  retryTime: number | undefined;
  #options: BackoffOptions;
  #random: () => number;

  /**
   * Creates the schedule.
   *
   * @param options The schedule.
   * @param random A uniform random number in `[0, 1)`.
   */
  /**
   * How long a connection must stay up to count as good: the first retry
   * delay (`retryStart`), in milliseconds.
   */
  get provenAfter(): number {
    return this.#options.retryStart;
  }

  constructor(options: BackoffOptions, random: () => number) {
    this.#options = options;
    this.#random = random;
  }

  /**
   * Records a failed attempt: the next period starts now.
   *
   * @param now The clock time (ms) of the failure.
   * @returns The clock time (ms) of the next attempt.
   */
  failed(now: number): number {
    const { retryStart, retryFactor, retryMax, jitter } = this.#options;
    this.period = this.period === undefined
      ? retryStart
      : Math.min(this.period * retryFactor, retryMax);
    const delay = this.period * (1 - jitter * this.#random());
    this.retryTime = now + Math.max(1, delay);
    return this.retryTime;
  }

  /**
   * Whether an attempt may be made now.
   *
   * @param now The clock time (ms).
   * @returns True if no retry time is set or it has come.
   */
  due(now: number): boolean {
    return this.retryTime === undefined || now >= this.retryTime;
  }

  /** A connection is up: the next attempt, if any, may be made at once. */
  connected(): void {
    this.retryTime = undefined;
  }

  /** The connection proved good: the schedule starts over. */
  proven(): void {
    this.period = undefined;
  }
}
