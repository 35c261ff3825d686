// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Error helpers shared by the stream engine (`socket.ts`) and the datagram
 * handler (`datagram.ts`): messages, permission errors, and the rate-limited
 * error reporter behind their `onError` option. Private to the package.
 *
 * @module
 */

/** The message of any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Any thrown value as an Error. */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Whether `e` is Deno's missing-permission error (NotCapable, formerly PermissionDenied). */
export function isPermissionError(e: unknown): boolean {
  const errors = Deno.errors as unknown as Record<string, unknown>;
  for (const name of ["NotCapable", "PermissionDenied"]) {
    const ctor = errors[name];
    if (typeof ctor === "function" && e instanceof ctor) return true;
  }
  return e instanceof Error &&
    (e.name === "NotCapable" || e.name === "PermissionDenied");
}

/**
 * Calls `onError` at most once per kind per interval; the number of errors
 * suppressed meanwhile is appended to the next message. Never throws.
 */
export class ErrorReporter {
  #onError: (error: Error, kind: string) => void;
  #interval: number;
  #now: () => number;
  #state = new Map<string, { last: number; suppressed: number }>();

  /**
   * @param onError Receives the (rate-limited) errors.
   * @param interval Rate-limit interval in milliseconds.
   * @param now The clock.
   */
  constructor(
    onError: (error: Error, kind: string) => void,
    interval: number,
    now: () => number,
  ) {
    this.#onError = onError;
    this.#interval = interval;
    this.#now = now;
  }

  /**
   * Reports `error` under `kind`, unless one was reported within the
   * interval.
   */
  report(error: Error, kind: string): void {
    const now = this.#now();
    let st = this.#state.get(kind);
    if (st === undefined) {
      st = { last: -Infinity, suppressed: 0 };
      this.#state.set(kind, st);
    }
    if (now - st.last < this.#interval) {
      st.suppressed++;
      return;
    }
    let out = error;
    if (st.suppressed > 0) {
      out = new Error(
        `${error.message} (${st.suppressed} similar ${
          st.suppressed === 1 ? "error" : "errors"
        } suppressed)`,
        { cause: error },
      );
    }
    st.last = now;
    st.suppressed = 0;
    try {
      this.#onError(out, kind);
    } catch { /* never throw into the caller */ }
  }
}
