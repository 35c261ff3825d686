// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode ByteBudget}: the bound on the bytes a receiver holds across all
 * its connections (`maxBufferedBytes`): partial frames being assembled plus
 * decoded records not yet consumed (a record counts as its frame's length,
 * or the heap units its decoding charged when that is more).
 * A connection reserves bytes before it reads and reads no more than it
 * got; once the budget is spent it waits for {@linkcode ByteBudget.prototype.space},
 * so TCP backpressure reaches the senders. A decoded record's heap beyond
 * its frame is charged once known, even past the bound; then no frame is
 * decoded until enough is given back, so the total exceeds the bound by at
 * most one record's decode budget. Reads that make a connection hold more than a small frame may use
 * only three quarters of the bound: the last quarter stays for small frames,
 * so connections stuck on large partial frames cannot lock out the others.
 *
 * @module
 */

/** The bytes held by a receiver, at most `max`. */
export class ByteBudget {
  #max: number;
  #used = 0;
  #records = 0;
  #highWater = 0;
  #waiters: (() => void)[] = [];

  /**
   * Creates an empty budget.
   *
   * @param max Most bytes held.
   */
  constructor(max: number) {
    this.#max = max;
  }

  /** Bytes held (partial frames and records). */
  get used(): number {
    return this.#used;
  }

  /** Whether more than the bound is held (see {@linkcode ByteBudget.prototype.charge}). */
  get over(): boolean {
    return this.#used > this.#max;
  }

  /** Bytes held by decoded records not yet consumed. */
  get recordBytes(): number {
    return this.#records;
  }

  /** Most bytes ever held (the bound, plus at most one decoded record's
   * heap beyond its frame per connection). */
  get highWater(): number {
    return this.#highWater;
  }

  /**
   * Reserves up to `want` bytes for reading.
   *
   * @param want Bytes wanted.
   * @param large Whether the read is for a large frame (then only three
   * quarters of the bound may be used).
   * @returns The bytes granted (0 when the budget is spent).
   */
  reserve(want: number, large = false): number {
    const limit = large ? Math.floor(this.#max * 3 / 4) : this.#max;
    const n = Math.max(0, Math.min(want, limit - this.#used));
    this.#used += n;
    if (this.#used > this.#highWater) this.#highWater = this.#used;
    return n;
  }

  /**
   * Adds bytes that are already held (a decoded record's heap beyond its
   * frame's length), even past the bound: reading then waits until enough
   * is given back.
   *
   * @param n The bytes.
   */
  charge(n: number): void {
    this.#used += n;
    if (this.#used > this.#highWater) this.#highWater = this.#used;
  }

  /**
   * Gives bytes back (read less than reserved, or a frame consumed).
   *
   * @param n The bytes.
   */
  release(n: number): void {
    if (n <= 0) return;
    this.#used -= n;
    if (this.#waiters.length !== 0) this.wakeAll();
  }

  /**
   * Turns `n` reserved bytes of a complete frame into a record's bytes
   * (the total does not change).
   *
   * @param n The frame's bytes.
   */
  toRecord(n: number): void {
    this.#records += n;
  }

  /**
   * Gives back the bytes of a record that was consumed or dropped.
   *
   * @param n The record's bytes.
   */
  releaseRecord(n: number): void {
    this.#records -= n;
    this.release(n);
  }

  /**
   * Resolves once some bytes have been given back.
   *
   * @returns A promise that resolves then.
   */
  space(): Promise<void> {
    return new Promise<void>((wake) => this.#waiters.push(wake));
  }

  /** Wakes every waiter (on close). */
  wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
