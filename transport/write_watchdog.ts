// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Writing with a stall watchdog: the write-all loop over a connection's
 * partial writes, which records its progress, and a watchdog that gives up
 * on a write that has made no progress for `writeTimeout` milliseconds (it
 * closes the connection, which rejects the pending write). Private to the
 * package.
 *
 * @module
 */
import { type EngineClock, startTimer } from "./clock.ts";
import type { Connection } from "./connection.ts";

/** A write of all the bytes given, as the engine's `write` option does it. */
export type WriteFunction<C extends Connection> = (
  conn: C,
  data: Uint8Array,
) => Promise<void>;

/** Writes under a stall watchdog, tracking how many bytes were written. */
export class WriteWatchdog<C extends Connection> {
  /** Bytes of the watched write known to be written. */
  progress = 0;
  /** Whether the last watched write was given up as stalled. */
  stalled = false;
  #clock: EngineClock;
  #timeout: number;
  #progressAt = 0;
  #current: Uint8Array | undefined;
  #conn: C | undefined;
  #fail: ((error: Error) => void) | undefined;
  #timer: unknown;

  /**
   * Creates the watchdog.
   *
   * @param clock The clock.
   * @param timeout Milliseconds without progress after which a write is given up.
   */
  constructor(clock: EngineClock, timeout: number) {
    this.#clock = clock;
    this.#timeout = timeout;
  }

  /**
   * Whether the last watched write was given up as stalled, as the reason
   * of the connection's loss; clears the flag.
   *
   * @returns The reason, or undefined if it did not stall.
   */
  takeStall(): string | undefined {
    if (!this.stalled) return undefined;
    this.stalled = false;
    return `Write stalled for ${this.#timeout} ms`;
  }

  /**
   * Writes `data` with `write` (default: {@linkcode WriteWatchdog.prototype.writeAll}).
   * If no byte was written for `timeout` ms, the connection is closed (a
   * pending `conn.write` then rejects) and the call rejects with
   * `Deno.errors.TimedOut`; a custom `write` is abandoned the same way. A
   * custom `write` that calls `writeAll` for `data` shows its progress;
   * otherwise `timeout` bounds the whole call.
   *
   * @param conn The connection.
   * @param data The bytes.
   * @param write The write to watch.
   * @returns Resolves when all of `data` was written.
   */
  async watch(
    conn: C,
    data: Uint8Array,
    write?: WriteFunction<C>,
  ): Promise<void> {
    this.stalled = false;
    this.progress = 0;
    this.#progressAt = this.#clock.now();
    this.#current = data;
    this.#conn = conn;
    // One timer serves the writes that follow one another (a timer per
    // batch cost more than the batch's bookkeeping): it re-arms itself
    // for the time left, and rest() cancels it.
    if (this.#timer === undefined) this.#arm(this.#timeout);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#fail = reject;
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
      this.#current = undefined;
      this.#conn = undefined;
      this.#fail = undefined;
    }
  }

  /**
   * Cancels the watchdog's timer; the next {@linkcode WriteWatchdog.prototype.watch}
   * starts it again. Call it when no write follows (the writer is idle or
   * stopped).
   */
  rest(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = startTimer(this.#clock, () => this.#check(), ms, false);
  }

  /**
   * The timer: gives up the write in progress when it has made no progress
   * for the timeout, else waits for the time left; between writes it ends
   * (the next write starts it).
   */
  #check(): void {
    this.#timer = undefined;
    if (this.#current === undefined) return;
    const idle = this.#clock.now() - this.#progressAt;
    if (idle < this.#timeout) {
      this.#arm(this.#timeout - idle);
      return;
    }
    this.stalled = true;
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
    this.#fail?.(new Deno.errors.TimedOut("Write stalled"));
  }

  /**
   * Writes all of `data` to `conn` with a loop over `conn.write` (which may
   * write partially). For the data of the watched write, each step is
   * progress: the watchdog measures time without progress, and after a
   * failure the frames already written completely are not sent again.
   *
   * @param conn The connection.
   * @param data The bytes to write.
   * @returns Resolves when every byte was written.
   * @throws {Deno.errors.WriteZero} If a write returns 0; connection errors (e.g. `BrokenPipe`, `Interrupted`) pass through.
   */
  async writeAll(conn: Connection, data: Uint8Array): Promise<void> {
    const watched = data === this.#current;
    let off = 0;
    while (off < data.byteLength) {
      const n = await conn.write(off === 0 ? data : data.subarray(off));
      if (!(n > 0)) throw new Deno.errors.WriteZero("Write returned 0");
      off += n;
      if (watched && data === this.#current) {
        this.progress = off;
        this.#progressAt = this.#clock.now();
      }
    }
  }
}
