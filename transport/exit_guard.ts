// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Exit handling. When a program ends naturally (its event loop drains),
 * `beforeunload` may keep it alive, up to `exitTimeout` milliseconds, while
 * the engine can still deliver what is pending; at `unload`, frames still
 * pending are dropped (`"exit"`) and one line says so on stderr.
 * `Deno.exit()` skips `beforeunload` (only `unload` runs). An idle engine
 * never keeps the process alive. Private to the package.
 *
 * @module
 */
import { type EngineClock, startTimer } from "./clock.ts";

/** What the exit guard asks of the engine. */
export interface ExitHost {
  /**
   * Whether there is something to deliver before the exit (frames pending,
   * no close under way).
   *
   * @returns True if the exit should be held, deadline permitting.
   */
  hasPendingAtExit(): boolean;
  /**
   * Whether the pending frames may still be delivered by `deadline`; the
   * engine may try to connect once more now.
   *
   * @param deadline Clock time (ms) of the exit deadline.
   * @returns True if waiting can help.
   */
  canDeliverBy(deadline: number): boolean;
  /**
   * Drops what is still pending, as `"exit"`.
   *
   * @returns The number of frames dropped.
   */
  dropAtExit(): number;
}

/** The `beforeunload`/`unload` listeners of one engine. */
export class ExitGuard {
  /** Clock time (ms) by which a natural exit stops waiting; set at the first `beforeunload` with work. */
  deadline: number | undefined;
  /** How long a natural exit may wait, in milliseconds (also `close()`'s default deadline). */
  readonly timeout: number;
  #host: ExitHost;
  #enabled: boolean;
  #clock: EngineClock;
  #timer: unknown;
  #holding = false;
  #listening = false;

  /**
   * Creates the guard (not listening yet).
   *
   * @param host The engine.
   * @param timeout How long a natural exit may wait, in milliseconds.
   * @param clock The clock.
   * @param enabled Whether to listen at all (the engine's `handleExit`).
   */
  constructor(
    host: ExitHost,
    timeout: number,
    clock: EngineClock,
    enabled: boolean,
  ) {
    this.#host = host;
    this.timeout = timeout;
    this.#clock = clock;
    this.#enabled = enabled;
  }

  /** Whether the guard is keeping the process alive. */
  get holding(): boolean {
    return this.#holding;
  }

  /** Adds the listeners (if enabled and the runtime has them) and forgets a past deadline. */
  listen(): void {
    this.deadline = undefined;
    if (
      !this.#enabled || this.#listening ||
      typeof globalThis.addEventListener !== "function"
    ) return;
    globalThis.addEventListener("beforeunload", this.#onBeforeUnload);
    globalThis.addEventListener("unload", this.#onUnload);
    this.#listening = true;
  }

  /** Removes the listeners. */
  unlisten(): void {
    if (!this.#listening) return;
    globalThis.removeEventListener("beforeunload", this.#onBeforeUnload);
    globalThis.removeEventListener("unload", this.#onUnload);
    this.#listening = false;
  }

  /**
   * The next connection attempt is at `retryTime`: past the deadline,
   * waiting cannot help.
   *
   * @param retryTime Clock time (ms) of the next attempt.
   */
  retryAt(retryTime: number): void {
    if (this.deadline !== undefined && retryTime > this.deadline) {
      this.release();
    }
  }

  /** Stops keeping the process alive (the work is done, or cannot be). */
  release(): void {
    if (!this.#holding) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#holding = false;
  }

  #onBeforeUnload = (e: Event): void => {
    if (!this.#host.hasPendingAtExit()) return;
    const now = this.#clock.now();
    this.deadline ??= now + this.timeout;
    const deadline = this.deadline;
    if (now >= deadline || !this.#host.canDeliverBy(deadline)) return;
    e.preventDefault();
    if (!this.#holding) {
      this.#holding = true;
      this.#timer = startTimer(
        this.#clock,
        () => {
          this.#holding = false;
          this.#timer = undefined;
        },
        deadline - now,
        true,
      );
    }
  };

  #onUnload = (): void => {
    this.release();
    const n = this.#host.dropAtExit();
    if (n === 0) return;
    try {
      console.error(`${n} log records dropped at exit (receiver unreachable)`);
    } catch { /* ignore */ }
  };
}
