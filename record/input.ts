// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode RecordInput}: a log event, as every front end (`@std/log`,
 * LogTape, the drop notice) hands it to the record mapping — the one input
 * from which a record's dict or its frame is made.
 *
 * @module
 */
import type { CallerInfo } from "./caller.ts";

/** Input of `recordDict()`: everything a log event has. */
export interface RecordInput {
  /** Logger name. */
  name: string;
  /** Python level number (30 for warnings). */
  level: number;
  /**
   * Level name.
   *
   * @default {pythonLevelName(level)}
   */
  levelName?: string;
  /** Message template (may contain `%` conversions when `args` is given). */
  msg: string;
  /**
   * `@std/log`-style arguments. Plain objects become extra attributes (the
   * first one also serves `%(key)s` conversions); the others fill `%`
   * conversions in order (`msg % args`), and those left over are appended
   * to the message, separated by spaces, except Errors. Every Error (used by
   * a conversion or not) adds its stack and `cause` chain to `exc_text`.
   */
  args?: readonly unknown[];
  /** Extra attributes (LogTape properties), as Python's `extra=`. */
  extra?: Readonly<Record<string, unknown>>;
  /**
   * An exception for `exc_text`: an Error (its stack and `cause` chain) or a
   * preformatted traceback string.
   */
  error?: unknown;
  /** Event time in epoch milliseconds (`Date.getTime()`). */
  timeMs: number;
  /** Caller information (from `captureCaller`, or `callerAt`). */
  caller?: CallerInfo;
}
