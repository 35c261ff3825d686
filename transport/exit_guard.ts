// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Exit handling. When a program ends naturally (its event loop drains),
 * `beforeunload` may keep it alive, up to `exitTimeout` milliseconds, while
 * the engine can still deliver what is pending; at `unload`, frames still
 * pending are dropped (`"exit"`) and one line says so on stderr, with the
 * reason. `Deno.exit()` skips `beforeunload` (only `unload` runs).
 *
 * Abrupt ends are drained too, for every open engine at once: on SIGINT,
 * SIGTERM or SIGHUP (unless `exitSignals` is false) and on an uncaught
 * exception or unhandled rejection (unless the program prevents its
 * default), the engines deliver what they can within `exitTimeout`, report
 * what is left, and then the process ends exactly as it would have: the
 * signal is raised again (the default action then ends the process), the
 * error is thrown again (Deno prints it and exits with code 1). An idle
 * engine never keeps the process alive. Private to the package.
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
   * Drops what is still pending, as `"exit"`; frames of a write in
   * progress known to be written in full count as sent.
   *
   * @returns The number of frames dropped, and how many of them were in a
   * write still in progress (they may have arrived).
   */
  dropAtExit(): { dropped: number; unsure: number; spooled: number };
  /**
   * Delivers what it can by `deadline` (connecting once more if need be).
   *
   * @param deadline Clock time (ms) to give up by.
   * @returns Resolves by the deadline.
   */
  drainBy(deadline: number): Promise<unknown>;
  /**
   * Why pending frames could not be delivered, for the exit report
   * ("receiver unreachable: …", "deadline reached while sending").
   *
   * @returns The reason.
   */
  exitReason(): string;
}

/** The signals drained before they end the process (where supported). */
const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15,
};

/**
 * The process-wide listeners for abrupt ends, shared by every open engine:
 * one drain of all of them, then one re-raise.
 */
class AbruptExits {
  readonly guards: Set<ExitGuard> = new Set();
  #signals: [Deno.Signal, () => void][] = [];
  #errors = false;
  #ending = false;

  /** Adds a guard; installs the listeners it needs. */
  add(guard: ExitGuard): void {
    this.guards.add(guard);
    this.#install();
  }

  /** Removes a guard; removes the listeners once none needs them. */
  delete(guard: ExitGuard): void {
    this.guards.delete(guard);
    if (!this.#ending) this.#install();
  }

  #install(): void {
    const signals = [...this.guards].some((g) => g.signals);
    if (signals && this.#signals.length === 0) {
      for (const sig of SIGNALS) {
        const listener = () => void this.#onSignal(sig);
        try {
          Deno.addSignalListener(sig, listener);
          this.#signals.push([sig, listener]);
        } catch { /* not supported here (e.g. SIGTERM on Windows) */ }
      }
    } else if (!signals) this.#removeSignals();
    const errors = this.guards.size > 0;
    if (errors && !this.#errors) {
      globalThis.addEventListener("error", this.#onError);
      globalThis.addEventListener("unhandledrejection", this.#onRejection);
      this.#errors = true;
    } else if (!errors) this.#removeErrors();
  }

  #removeSignals(): void {
    for (const [sig, listener] of this.#signals.splice(0)) {
      try {
        Deno.removeSignalListener(sig, listener);
      } catch { /* gone */ }
    }
  }

  #removeErrors(): void {
    if (!this.#errors) return;
    globalThis.removeEventListener("error", this.#onError);
    globalThis.removeEventListener("unhandledrejection", this.#onRejection);
    this.#errors = false;
  }

  #pending(): ExitGuard[] {
    return [...this.guards].filter((g) => g.hasPending());
  }

  /** Drains every engine with something pending, then reports the rest. */
  async #drainAll(): Promise<void> {
    await Promise.all(this.#pending().map((g) => g.drain()));
    this.#reportAll();
  }

  #reportAll(): void {
    for (const g of this.guards) g.dropAndReport();
  }

  /** Ends the drain: listeners off, then `end` (the re-raise). */
  #finish(end: () => void): void {
    this.#removeSignals();
    this.#removeErrors();
    end();
    // Still alive (the program handles it itself): listen again.
    setTimeout(() => {
      this.#ending = false;
      this.#install();
    }, 0);
  }

  async #onSignal(sig: Deno.Signal): Promise<void> {
    if (this.#ending) {
      // A second signal while draining: stop waiting.
      this.#reportAll();
      this.#finish(() => raise(sig));
      return;
    }
    this.#ending = true;
    await this.#drainAll();
    // One more turn of the event loop: writes reported done may still be
    // on their way to the kernel (node:dgram).
    if (this.#ending) this.#finish(() => setTimeout(() => raise(sig), 0));
  }

  #onError = (e: Event): void => {
    const error = (e as ErrorEvent).error;
    this.#drainBefore(e, () => {
      setTimeout(() => {
        throw error;
      }, 0);
    });
  };

  #onRejection = (e: Event): void => {
    const reason = (e as PromiseRejectionEvent).reason;
    this.#drainBefore(e, () => void Promise.reject(reason));
  };

  /**
   * Holds an uncaught error (unless the program prevented its default, or
   * nothing is pending) until the engines are drained, then raises it
   * `again`.
   */
  #drainBefore(e: Event, again: () => void): void {
    if (this.#ending || e.defaultPrevented) return;
    if (this.#pending().length === 0) return;
    e.preventDefault();
    this.#ending = true;
    void this.#drainAll().then(() => this.#finish(again));
  }
}

/** Raises `sig` again; where that is not possible, exits with 128 + its number. */
function raise(sig: Deno.Signal): void {
  try {
    Deno.kill(Deno.pid, sig);
  } catch {
    Deno.exit(128 + (SIGNAL_NUMBERS[sig] ?? 0));
  }
}

const abrupt = new AbruptExits();

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
  #armed = false;
  /** Whether an abrupt end (signal, uncaught error) drained the engine. */
  #draining = false;
  /** Whether SIGINT, SIGTERM and SIGHUP are drained (`exitSignals`). */
  readonly signals: boolean;

  /**
   * Creates the guard (not listening yet).
   *
   * @param host The engine.
   * @param timeout How long a natural exit may wait, in milliseconds.
   * @param clock The clock.
   * @param enabled Whether to listen at all (the engine's `handleExit`).
   * @param signals Whether to drain on SIGINT, SIGTERM and SIGHUP.
   */
  constructor(
    host: ExitHost,
    timeout: number,
    clock: EngineClock,
    enabled: boolean,
    signals = true,
  ) {
    this.#host = host;
    this.timeout = timeout;
    this.#clock = clock;
    this.#enabled = enabled;
    this.signals = signals;
  }

  /**
   * Whether the engine has frames to deliver before an exit.
   *
   * @returns True if so.
   */
  hasPending(): boolean {
    return this.#host.hasPendingAtExit();
  }

  /**
   * Delivers what the engine can within `timeout` (from the first exit
   * event's deadline).
   *
   * @returns Resolves by the deadline.
   */
  async drain(): Promise<void> {
    this.deadline ??= this.#clock.now() + this.timeout;
    this.#draining = true;
    try {
      await this.#host.drainBy(this.deadline);
    } catch { /* reported by the engine */ }
  }

  /** Drops what is still pending and says so, once, on stderr. */
  dropAndReport(): void {
    const reason = this.#draining || this.deadline !== undefined
      ? this.#host.exitReason()
      : "Deno.exit() was called before they were sent; await handler.flush(ms) before it";
    const { dropped: n, unsure, spooled } = this.#host.dropAtExit();
    if (spooled > 0) {
      try {
        console.error(
          `${spooled} log record${
            spooled === 1 ? "" : "s"
          } saved in the spool at exit (${reason}): the next process that opens it sends them`,
        );
      } catch { /* ignore */ }
    }
    if (n === 0) return;
    try {
      console.error(
        `${n} log record${n === 1 ? "" : "s"} dropped at exit (${reason})${
          unsure > 0
            ? `; ${unsure} of them ${
              unsure === 1 ? "was" : "were"
            } in a write still in progress and may have arrived`
            : ""
        }`,
      );
    } catch { /* ignore */ }
  }

  /** Whether the guard is keeping the process alive. */
  get holding(): boolean {
    return this.#holding;
  }

  /**
   * Arms the guard and forgets a past deadline; the listeners are added
   * with the first frame queued ({@linkcode ExitGuard.prototype.activate}),
   * so an engine that never sends registers none.
   */
  listen(): void {
    this.deadline = undefined;
    this.#armed = true;
  }

  /** Whether the listeners are on (or the guard is not armed). */
  get active(): boolean {
    return this.#listening || !this.#armed;
  }

  /** Adds the listeners (if enabled and the runtime has them). */
  activate(): void {
    if (
      !this.#armed || !this.#enabled || this.#listening ||
      typeof globalThis.addEventListener !== "function"
    ) return;
    globalThis.addEventListener("beforeunload", this.#onBeforeUnload);
    globalThis.addEventListener("unload", this.#onUnload);
    this.#listening = true;
    abrupt.add(this);
  }

  /** Disarms the guard and removes the listeners. */
  unlisten(): void {
    this.#armed = false;
    if (!this.#listening) return;
    globalThis.removeEventListener("beforeunload", this.#onBeforeUnload);
    globalThis.removeEventListener("unload", this.#onUnload);
    this.#listening = false;
    abrupt.delete(this);
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
    this.dropAndReport();
  };
}
