// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Forwards records received by a `LogReceiver` into the local
 * `@std/log` setup, like the logging cookbook's receiver calls
 * `logging.getLogger(record.name).handle(record)`.
 *
 * @example Forward every received record
 * ```ts ignore
 * import { getLogger } from "@std/log";
 * import { LogReceiver } from "@pylogging/socket-handler/receiver";
 * import { forwardToStdLog } from "@pylogging/socket-handler/receiver-std-log";
 *
 * const receiver = new LogReceiver({
 *   port: 9020,
 *   onRecord: (record) => forwardToStdLog(record, getLogger(record.name ?? "default")),
 * });
 * ```
 *
 * @module
 */
import { LogRecord } from "@std/log/logger";
import type { PythonLogRecord } from "./receiver.ts";

export type { PythonLogRecord };

/** The numeric levels of `@std/log` (`LogLevels`). */
export type StdLogLevel = 0 | 10 | 20 | 30 | 40 | 50;

/** What {@linkcode forwardToStdLog} needs from an `@std/log` handler. */
export interface StdLogHandlerLike {
  /**
   * Handles an `@std/log` `LogRecord` (applying the handler's level).
   *
   * @param record The record.
   */
  handle(record: object): void;
}

/** What {@linkcode forwardToStdLog} needs from an `@std/log` `Logger`. */
export interface StdLogLoggerLike {
  /** The logger's handlers; each gets `handle(record)`. */
  readonly handlers: readonly StdLogHandlerLike[];
}

/**
 * Maps a Python level number to an `@std/log` level: 0, 10, 20, 30, 40 and
 * 50 are kept; other numbers go to the next lower standard level (25 →
 * INFO, 5 → NOTSET, 60 → CRITICAL); `null` → NOTSET.
 *
 * @param levelno The Python level number.
 * @returns The `@std/log` level.
 */
export function toStdLogLevel(levelno: number | null): StdLogLevel {
  if (levelno === null || !(levelno >= 10)) return 0;
  if (levelno >= 50) return 50;
  return (Math.floor(levelno / 10) * 10) as StdLogLevel;
}

/** Converts a received record to an `@std/log` `LogRecord`. */
function toStdLogRecord(record: PythonLogRecord): LogRecord {
  let msg = record.getMessage();
  if (record.exc_text) {
    msg += (msg.endsWith("\n") ? "" : "\n") + record.exc_text;
  }
  if (record.stack_info) {
    msg += (msg.endsWith("\n") ? "" : "\n") + record.stack_info;
  }
  return new LogRecord({
    msg,
    args: [],
    level: toStdLogLevel(record.levelno),
    loggerName: record.name ?? "root",
  });
}

/**
 * Hands a received record to every handler of `logger`, as an `@std/log`
 * `LogRecord` whose `msg` is `getMessage()` plus `exc_text` and
 * `stack_info` on following lines, `args` is empty, the level comes from
 * {@linkcode toStdLogLevel} and `loggerName` is the Python logger name
 * (`"root"` for `None`). `@std/log` stamps its own `datetime`; the sender's
 * time stays in the Python record.
 *
 * It works as Python's
 * `Logger.handle()` does: the logger's own level is skipped, each
 * handler's level still applies. A throwing handler does not stop the
 * others; the first error is rethrown after all ran (a
 * `LogReceiver` reports it as `callback-error`).
 *
 * @param record The received record.
 * @param logger An `@std/log` `Logger` (or anything with `handlers`).
 * @throws {Error} The first error thrown by a handler.
 */
export function forwardToStdLog(
  record: PythonLogRecord,
  logger: StdLogLoggerLike,
): void {
  const r = toStdLogRecord(record);
  let failure: unknown;
  let failed = false;
  for (const handler of logger.handlers) {
    try {
      handler.handle(r);
    } catch (e) {
      if (!failed) failure = e;
      failed = true;
    }
  }
  if (failed) throw failure;
}
