// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: signals a child process the moment it prints its next line
 * (a receiver killed mid-batch), for tests/at_least_once_test.ts and fault
 * scenario 12.
 *
 * @module
 */

/** A child process whose output lines are watched. */
export interface LineWatched {
  /** Called after each complete line; the helper sets and clears it. */
  onLine: ((line: string) => void) | undefined;
  /** Sends a signal to the process. */
  kill(signal: Deno.Signal): void;
}

/**
 * Sends `signal` to `p` as soon as it prints its next line (or after 5 s).
 *
 * @param p The process.
 * @param signal The signal.
 * @returns Resolves once the signal is sent.
 */
export function strikeAtNextLine(
  p: LineWatched,
  signal: Deno.Signal,
): Promise<void> {
  return new Promise((resolve) => {
    const strike = () => {
      clearTimeout(timer);
      p.onLine = undefined;
      p.kill(signal);
      resolve();
    };
    const timer = setTimeout(strike, 5000);
    p.onLine = strike;
  });
}
