// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Helpers shared by the benchmark processes (not part of the package).

import { setImmediate } from "node:timers";

/** The message every sender logs: `logger.info(MESSAGE, i, 12.5)`. */
export const MESSAGE = "request %d served in %s ms";

/** Wall-clock time in epoch milliseconds with sub-millisecond precision. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Yields one macrotask so that I/O completions (the writer) can run.
 * `setTimeout(0)` costs ~2 ms when nested; `setImmediate` ~14 µs.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Parses `--key value` and `--flag` arguments. */
export function parseArgs(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) continue;
    const eq = a.indexOf("=");
    if (eq > 0) {
      out.set(a.slice(2, eq), a.slice(eq + 1));
    } else if (i + 1 < args.length && !args[i + 1]!.startsWith("--")) {
      out.set(a.slice(2), args[++i]!);
    } else {
      out.set(a.slice(2), "true");
    }
  }
  return out;
}

/** A required integer argument, or the default. */
export function intArg(
  args: Map<string, string>,
  name: string,
  def?: number,
): number {
  const v = args.get(name);
  if (v === undefined) {
    if (def === undefined) throw new Error(`Missing --${name}`);
    return def;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`--${name} must be a non-negative integer: ${v}`);
  }
  return n;
}

/** Prints one JSON line on stdout (the orchestrator reads these). */
export function emit(value: unknown): void {
  console.log(JSON.stringify(value));
}

/** Percentile (0..1) of a sorted array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil(p * sorted.length) - 1),
  );
  return sorted[i]!;
}
