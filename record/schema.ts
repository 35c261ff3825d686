// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The Python `LogRecord` schema: the names of the standard attributes, in
 * CPython's order, and Python's standard level names. The one list the
 * record dict, the record framer and the receiver's record model are built
 * from. Data only: it imports nothing.
 *
 * @module
 */

/**
 * Names of the standard `LogRecord` attributes, in CPython 3.12 order (the
 * order of a record's `__dict__`, and so of a pickled record).
 */
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
 * Python's standard level names by level number (`logging._levelToName`):
 * 0 `NOTSET`, 10 `DEBUG`, 20 `INFO`, 30 `WARNING`, 40 `ERROR`, 50
 * `CRITICAL`.
 */
export const LEVEL_NAMES: ReadonlyMap<number, string> = new Map([
  [0, "NOTSET"],
  [10, "DEBUG"],
  [20, "INFO"],
  [30, "WARNING"],
  [40, "ERROR"],
  [50, "CRITICAL"],
]);
