// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The Python `LogRecord` schema shared by the sender side (`record.ts`) and
 * the receiver (`receiver.ts`): the standard attribute names and Python's
 * level names.
 *
 * @module
 */
import { pyStr } from "./percent_format.ts";

/** Names of the standard `LogRecord` attributes, in CPython 3.12 order. */
export const STANDARD_FIELDS: readonly string[] = Object.freeze([
  "name",
  "msg",
  "args",
  "levelname",
  "levelno",
  "pathname",
  "filename",
  "module",
  "exc_info",
  "exc_text",
  "stack_info",
  "lineno",
  "funcName",
  "created",
  "msecs",
  "relativeCreated",
  "thread",
  "threadName",
  "processName",
  "process",
  "taskName",
]);

/**
 * Python's level name for a numeric level, as `logging.getLevelName()`:
 * 0 `NOTSET`, 10 `DEBUG`, 20 `INFO`, 30 `WARNING`, 40 `ERROR`, 50 `CRITICAL`,
 * any other number `Level N` (`Level 5`, `Level 25.5`, `Level nan`).
 *
 * @param level The numeric level.
 * @returns The level name.
 *
 * @example Usage
 * ```ts
 * import { pythonLevelName } from "./record.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(pythonLevelName(30), "WARNING");
 * equal(pythonLevelName(5), "Level 5");
 * ```
 */
export function pythonLevelName(level: number): string {
  switch (level) {
    case 0:
      return "NOTSET";
    case 10:
      return "DEBUG";
    case 20:
      return "INFO";
    case 30:
      return "WARNING";
    case 40:
      return "ERROR";
    case 50:
      return "CRITICAL";
  }
  return "Level " + pyStr(level);
}
