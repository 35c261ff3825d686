// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The engine's clock and timers: an injectable {@linkcode EngineClock}
 * (tests drive a fake one), timers that can be told whether they may keep
 * the process alive, and a wakeable sleep. Durations are in milliseconds.
 * Private to the package.
 *
 * @module
 */

/**
 * Timer/clock hooks for tests; default: globalThis setTimeout/clearTimeout,
 * `performance.now` (monotonic: backoff, timeouts, watchdogs and rate
 * limits are durations, unaffected by wall-clock steps) and Math.random.
 */
export interface EngineClock {
  /** Current time in milliseconds, monotonic (only differences count). */
  now(): number;
  /** A uniform random number in `[0, 1)`. */
  random(): number;
  /** Schedules `fn` after `ms` milliseconds; returns a timer id. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer returned by {@linkcode EngineClock.setTimeout}. */
  clearTimeout(id: unknown): void;
}

/**
 * The clock with the missing hooks filled from the global ones.
 *
 * @param hooks The hooks to use instead of the global ones.
 * @returns A complete clock.
 */
export function engineClock(hooks: Partial<EngineClock> = {}): EngineClock {
  return {
    now: hooks.now ?? (() => performance.now()),
    random: hooks.random ?? (() => Math.random()),
    setTimeout: hooks.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
    clearTimeout: hooks.clearTimeout ??
      ((id) => clearTimeout(id as ReturnType<typeof setTimeout>)),
  };
}

/**
 * Starts a timer.
 *
 * @param clock The clock.
 * @param fn Called when the timer fires.
 * @param ms Delay in milliseconds (negative counts as 0).
 * @param keepAlive Whether the timer may keep the process alive.
 * @returns The timer id.
 */
export function startTimer(
  clock: EngineClock,
  fn: () => void,
  ms: number,
  keepAlive: boolean,
): unknown {
  const id = clock.setTimeout(fn, Math.max(0, ms));
  if (!keepAlive) setKeepAlive(id, false);
  return id;
}

/**
 * How late (ms) a deadline may fire before it counts as a busy event loop
 * rather than a slow peer.
 */
const LATE_MS = 100;

/**
 * Starts a deadline for an I/O operation (a connect, a handshake) that
 * does not keep the process alive. A deadline that fires late means the
 * program kept the event loop busy with synchronous work (often right
 * after its first record), so the operation may be done and not yet seen:
 * it looks once more after one turn of the loop before calling `fn`.
 *
 * @param clock The clock.
 * @param fn Called when the deadline has passed.
 * @param ms The deadline in milliseconds.
 * @returns A function that cancels the deadline.
 */
export function startDeadline(
  clock: EngineClock,
  fn: () => void,
  ms: number,
): () => void {
  const started = clock.now();
  let lookedAgain = false;
  const fire = () => {
    if (!lookedAgain && clock.now() - started > ms + LATE_MS) {
      lookedAgain = true;
      timer = startTimer(clock, fire, 0, false);
      return;
    }
    fn();
  };
  let timer = startTimer(clock, fire, ms, false);
  return () => clock.clearTimeout(timer);
}

/**
 * Lets a timer keep the process alive, or not.
 *
 * @param id The timer id.
 * @param keepAlive Whether it may keep the process alive.
 */
export function setKeepAlive(id: unknown, keepAlive: boolean): void {
  // Deno ≥ 2.8 timers are Node Timeout objects: `Deno.unrefTimer(Number(id))`
  // is a silent no-op, so use the object's own ref()/unref().
  if (id !== null && typeof id === "object") {
    const t = id as { ref?: () => unknown; unref?: () => unknown };
    try {
      if (keepAlive) t.ref?.();
      else t.unref?.();
    } catch { /* ignore */ }
  } else if (typeof id === "number") {
    try {
      if (keepAlive) Deno.refTimer(id);
      else Deno.unrefTimer(id);
    } catch { /* a fake clock's id */ }
  }
}

/** A sleep that can be cut short, and whose timer may or may not keep the process alive. */
export class Sleep {
  #clock: EngineClock;
  #timer: unknown;
  #wake: (() => void) | undefined;

  /**
   * Creates the sleep.
   *
   * @param clock The clock.
   */
  constructor(clock: EngineClock) {
    this.#clock = clock;
  }

  /**
   * Sleeps (one sleeper at a time).
   *
   * @param ms Milliseconds.
   * @param keepAlive Whether the timer may keep the process alive.
   * @returns Resolves after `ms`, or at {@linkcode Sleep.prototype.wake}.
   */
  for(ms: number, keepAlive: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        if (this.#wake !== wake) return;
        this.#wake = undefined;
        if (this.#timer !== undefined) {
          this.#clock.clearTimeout(this.#timer);
          this.#timer = undefined;
        }
        resolve();
      };
      this.#wake = wake;
      this.#timer = startTimer(this.#clock, wake, ms, keepAlive);
    });
  }

  /** Ends the current sleep now. */
  wake(): void {
    this.#wake?.();
  }

  /**
   * Lets the current sleep's timer keep the process alive, or not.
   *
   * @param keepAlive Whether it may keep the process alive.
   */
  keepAlive(keepAlive: boolean): void {
    if (this.#timer !== undefined) setKeepAlive(this.#timer, keepAlive);
  }
}
