// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The receiver's record type: {@linkcode PythonLogRecord}, a Python
 * `LogRecord` with every standard field typed. `record.ts` builds it
 * (`makeLogRecord`) and `fields.ts` stores its fields; its own module, so
 * that `fields.ts` does not import `record.ts`, which imports it.
 *
 * @module
 */

/**
 * A log record as a Python receiver's `logging.makeLogRecord()` would build
 * it, with every standard `LogRecord` attribute typed, non-standard keys in
 * {@linkcode PythonLogRecord.extra}, and type problems listed in
 * {@linkcode PythonLogRecord.problems} instead of thrown.
 */
export interface PythonLogRecord {
  /** Logger name (`None` → `null`). */
  name: string | null;
  /**
   * The message. Senders using `SocketHandler` send it already formatted
   * (a `str`); any other value is rendered with Python's `str()` rules by
   * {@linkcode PythonLogRecord.getMessage}.
   */
  msg: unknown;
  /** Message arguments; `null` (Python `None`) on the wire. */
  args: unknown;
  /** Level name as sent, e.g. `"WARNING"`. */
  levelname: string;
  /** Numeric level, e.g. `30`; `null` when missing or mistyped. */
  levelno: number | null;
  /** Full path of the source file. */
  pathname: string | null;
  /** File name part of `pathname`. */
  filename: string | null;
  /** `filename` without its extension. */
  module: string | null;
  /** Always `null` on the wire (the sender renders it into `exc_text`). */
  exc_info: unknown;
  /** Formatted traceback, or `null`. */
  exc_text: string | null;
  /** Formatted stack (`Stack (most recent call last):…`), or `null`. */
  stack_info: string | null;
  /** Source line number. */
  lineno: number;
  /** Function name, or `null`. */
  funcName: string | null;
  /** Creation time in seconds since the epoch. */
  created: number;
  /** Millisecond part of `created` (a float in Python, e.g. `180`). */
  msecs: number;
  /** Milliseconds between the sender's `logging` import and the record. */
  relativeCreated: number;
  /** Thread identifier (may exceed 2⁵³ → `bigint`), or `null`. */
  thread: number | bigint | null;
  /** Thread name, or `null`. */
  threadName: string | null;
  /** Process name, or `null`. */
  processName: string | null;
  /** Process id, or `null`. */
  process: number | null;
  /** asyncio task name (Python 3.12+), or `null`. */
  taskName: string | null;
  /** Non-standard keys (`extra={...}` on the sender, `asctime`, …). */
  extra: Record<string, unknown>;
  /**
   * Problems found while building the record (missing or mistyped standard
   * fields, `args` that do not fit `msg`); empty for a valid record. A
   * mistyped field keeps its default value; the received value is quoted
   * in the problem text.
   */
  problems: string[];
  /**
   * The message as Python's `LogRecord.getMessage()` renders it:
   * `str(msg) % args` when `args` is truthy, else `str(msg)`. Never throws:
   * when `args` do not fit, returns `str(msg)` (and `problems` says why).
   * Bounded against hostile senders: a container shared by several
   * arguments prints once and then as `<shared list>`, and the text stops
   * after 1 MiB (`MAX_RECORD_TEXT`), a cut string ending with `…[N more
   * characters]` and other text with `…`.
   *
   * @returns The rendered message.
   */
  getMessage(): string;
}
