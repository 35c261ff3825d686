// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Error helpers of the transport: the text of any thrown value, permission
 * errors, the error a transport throws to refuse frames
 * ({@linkcode FramesRefusedError}), and the rate-limited error reporter
 * behind the `onError` option. Private to the package.
 *
 * @module
 */
import type { DropReason } from "./drops.ts";

/**
 * The text of any thrown value: an Error's message (or name when the
 * message is empty), else `String(value)`.
 *
 * @param e The thrown value.
 * @returns The text.
 */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/**
 * Any thrown value as an Error.
 *
 * @param e The thrown value.
 * @returns `e` itself if it is an Error, else an Error with its text.
 */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Whether `e` is Deno's missing-permission error (NotCapable, formerly
 * PermissionDenied).
 *
 * @param e The thrown value.
 * @returns Whether it is a permission error.
 */
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
 * Thrown by a transport's write to refuse the frames it was given while the
 * connection stays usable (a datagram the operating system would not send):
 * the engine counts those frames as dropped with `reason`, reports the
 * error under the kind `reason`, and goes on with the next frames. Any other
 * error from a write means the connection is lost: the frames not fully
 * written are sent again, whole, on the next connection.
 */
export class FramesRefusedError extends Error {
  /** The drop reason of the refused frames. */
  readonly reason: DropReason;

  /**
   * Creates the error.
   *
   * @param reason The drop reason of the refused frames.
   * @param message What happened.
   * @param options The cause.
   */
  constructor(reason: DropReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FramesRefusedError";
    this.reason = reason;
  }
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
  #inCallback = false;

  /**
   * Creates the reporter.
   *
   * @param onError Receives the (rate-limited) errors; default: one line
   * to stderr, `[socket-handler] <kind>: <message>`.
   * @param interval Rate-limit interval in milliseconds.
   * @param now The clock.
   */
  constructor(
    onError: ((error: Error, kind: string) => void) | undefined,
    interval: number,
    now: () => number,
  ) {
    this.#onError = onError ?? ((error, kind) => {
      console.error(`[socket-handler] ${kind}: ${error.message}`);
    });
    this.#interval = interval;
    this.#now = now;
  }

  /**
   * Reports `error` under `kind`, unless one was reported within the
   * interval.
   *
   * @param error The error.
   * @param kind The rate-limiting key.
   */
  report(error: Error, kind: string): void {
    const now = this.#now();
    let st = this.#state.get(kind);
    if (st === undefined) {
      st = { last: -Infinity, suppressed: 0 };
      this.#state.set(kind, st);
    }
    // An error caused from inside onError (e.g. by logging there) is
    // counted, not reported recursively.
    if (this.#inCallback || now - st.last < this.#interval) {
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
    this.#inCallback = true;
    try {
      this.#onError(out, kind);
    } catch {
      /* never throw into the caller */
    } finally {
      this.#inCallback = false;
    }
  }
}
