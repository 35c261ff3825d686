// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The record buffer behind `LogReceiver.prototype.next` and the async
 * iterator: a bounded queue, the calls waiting for records, and the
 * connections waiting for space (TCP backpressure). Each record carries
 * its size estimate, given back to the receiver's byte budget when the
 * record is taken, handed over or dropped. Records are queued per source
 * (a {@linkcode Lane}: a connection, or all datagrams) and taken from the
 * sources in turn by their bytes (deficit round robin: 16 KiB a turn, a
 * record counting at least 4 KiB), so that a sender flooding the receiver
 * with costly records delays another sender's records by at most four of
 * its own, not by all it has queued; each source's records keep their
 * order.
 *
 * @module
 */
import { Fifo } from "./fifo.ts";
import { ReceiveTimeoutError } from "./errors.ts";
import type { PythonLogRecord } from "./python_log_record.ts";

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

/** The records of one source waiting in a {@linkcode RecordBuffer}. */
export class Lane {
  /** The records, oldest first. */
  readonly records: Fifo<PythonLogRecord> = new Fifo();
  /** Their size estimates. */
  readonly sizes: Fifo<number> = new Fifo();
  /** Whether the lane is in the buffer's turn order. */
  queued = false;
  /** Bytes it may still take in its turn (negative: owed from a large one). */
  credit = 0;
  /**
   * Called each time one of its records leaves the buffer for the
   * consumer (taken, or handed to a waiting `next()`), in order.
   */
  onTaken: (() => void) | undefined = undefined;
}

/** Bytes a lane may take per turn (deficit round robin). */
const QUANTUM = 16384;
/**
 * What a record counts for in a turn, at least: rendering a record costs
 * more than its bytes when it is small (a 700-byte frame of shared
 * references prints 10 KB).
 */
const MIN_COST = 4096;

/**
 * Records waiting to be taken, at most `max`; calls of `next()` waiting for
 * records get them first.
 */
export class RecordBuffer {
  #max: number;
  #size = 0;
  /** Lanes with records, in turn order. */
  #turns = new Fifo<Lane>();
  #default = new Lane();
  #released: (bytes: number) => void;
  #waiters: Waiter[] = [];
  #spaceWaiters: (() => void)[] = [];
  #highWater = 0;
  #closed = false;

  /**
   * Creates an empty buffer.
   *
   * @param max Most records held.
   * @param released Called with a record's bytes once it leaves the buffer
   * (taken, handed to a waiting `next()`, or dropped).
   */
  constructor(max: number, released: (bytes: number) => void = () => {}) {
    this.#max = max;
    this.#released = released;
  }

  /** Records waiting. */
  get size(): number {
    return this.#size;
  }

  /** Most records ever waiting. */
  get highWater(): number {
    return this.#highWater;
  }

  /**
   * Hands a record to the oldest waiting `next()`, or queues it.
   *
   * @param record The record.
   * @param bytes Its size estimate, given back when it leaves the buffer.
   * @param lane Its source's lane (one per connection).
   * @param force Queue it even when the buffer is full (a record decoded
   * before its connection or the receiver closed: it can still be taken).
   * @returns `false` when the buffer is full and `force` is not set (the
   * bytes stay with the caller), else `true`.
   */
  push(
    record: PythonLogRecord,
    bytes = 0,
    lane: Lane = this.#default,
    force = false,
  ): boolean {
    const w = this.#waiters[0];
    if (w) {
      this.#released(bytes);
      w.got.push(record);
      if (w.got.length >= w.need) {
        this.#waiters.shift();
        w.resolve(w.got);
      }
      if (lane.onTaken !== undefined) lane.onTaken();
      return true;
    }
    if (this.#size >= this.#max && !force) return false;
    lane.records.push(record);
    lane.sizes.push(bytes);
    if (!lane.queued) {
      lane.queued = true;
      lane.credit = Math.min(lane.credit, 0) + QUANTUM;
      this.#turns.push(lane);
    }
    const size = ++this.#size;
    if (size > this.#highWater) this.#highWater = size;
    return true;
  }

  /**
   * Resolves when a record has been taken (or the buffer closed), so that a
   * `push()` that failed may be retried.
   *
   * @returns A promise that resolves then.
   */
  space(): Promise<void> {
    return new Promise<void>((wake) => this.#spaceWaiters.push(wake));
  }

  /**
   * Waits for the next `count` records, taking buffered ones first.
   *
   * @param count How many records, at least 1.
   * @param options Timeout and abort signal.
   * @returns The records: each source's in arrival order, sources in turn.
   */
  next(count: number, options: NextOptions): Promise<PythonLogRecord[]> {
    const got: PythonLogRecord[] = [];
    while (got.length < count && this.size > 0) got.push(this.#take());
    if (got.length === count) return Promise.resolve(got);
    if (this.#closed) {
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
   * Iterates over records as they arrive; ends once closed and empty.
   *
   * @returns An async iterator of records.
   */
  iterator(): AsyncIterator<PythonLogRecord> {
    return {
      next: (): Promise<IteratorResult<PythonLogRecord>> => {
        if (this.size > 0) {
          return Promise.resolve({ value: this.#take(), done: false });
        }
        if (this.#closed) {
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
   * Stops taking records: wakes the connections waiting for space and
   * rejects the waiting `next()` calls (iterators end). Buffered records
   * can still be taken.
   */
  close(): void {
    this.#closed = true;
    for (const wake of this.#spaceWaiters.splice(0)) wake();
    for (const w of this.#waiters.splice(0)) {
      w.reject(
        new Error(
          `Cannot receive ${w.need} records as the receiver is closed: got ${w.got.length}`,
        ),
      );
    }
  }

  /**
   * The next record, by deficit round robin: the lane at the head of the
   * turns takes records while its credit lasts, then goes to the back with
   * {@linkcode QUANTUM} more; a lane still owing for a large record passes.
   */
  #take(): PythonLogRecord {
    const turns = this.#turns;
    let lane = turns.peek()!;
    while (lane.credit <= 0 && turns.size > 1) {
      turns.push(turns.shift()!);
      lane.credit += QUANTUM;
      lane = turns.peek()!;
    }
    const r = lane.records.shift()!;
    const bytes = lane.sizes.shift() ?? 0;
    this.#size--;
    lane.credit -= Math.max(bytes, MIN_COST);
    if (lane.records.size === 0) {
      turns.shift();
      lane.queued = false;
    } else if (lane.credit <= 0) {
      turns.push(turns.shift()!);
      lane.credit += QUANTUM;
    }
    this.#released(bytes);
    if (lane.onTaken !== undefined) lane.onTaken();
    const wake = this.#spaceWaiters.shift();
    if (wake) wake();
    return r;
  }
}
