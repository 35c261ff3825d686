// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The fields of the common record: an event without caller information,
 * extras or error, whose args (if any) are all primitives. Its dict is the
 * plain one (the `None` fields `None`), so the framer can write it from
 * these fields without the dict being built.
 *
 * @module
 */
import type { RecordInput } from "./input.ts";
import { pythonLevelName } from "./levels.ts";
import { LIMITS } from "./extras.ts";
import {
  PROCESS,
  PROCESS_NAME,
  START_MS,
  THREAD_ID,
  THREAD_NAME,
} from "./process.ts";
import { percentFormat } from "../text/percent_format.ts";
import { pyStr, safeString } from "../text/python_text.ts";

/**
 * The fields of a Python LogRecord dict with no extras or exception text,
 * for `RecordFramer.frameFields`: the dict's other keys
 * (`args`, `exc_info`, `exc_text`, `stack_info`, `taskName`) are None, and
 * the three times are floats.
 */
export interface RecordFields {
  /** The logger name. */
  name: string;
  /** The message, formatted. */
  msg: string;
  /** The level name, such as `INFO`. */
  levelname: string;
  /** The level number, such as 20. */
  levelno: number;
  /** The caller's path, or `(unknown file)`. */
  pathname: string;
  /** The caller's file name, or `(unknown file)`. */
  filename: string;
  /** The caller's module, or `(unknown file)`. */
  module: string;
  /** The caller's line, or 0. */
  lineno: number;
  /** The caller's function, or `(unknown function)`. */
  funcName: string;
  /** Seconds since the epoch. */
  created: number;
  /** Milliseconds of the second. */
  msecs: number;
  /** Milliseconds since logging started. */
  relativeCreated: number;
  /** The thread id. */
  thread: number;
  /** The thread name. */
  threadName: string;
  /** The process name. */
  processName: string;
  /** The process id (None when unknown). */
  process: number | null;
}

/**
 * {@linkcode RecordFields} as the framer reads them: the message's args
 * may be left for it to apply (it writes `msg % args` straight into its
 * buffer).
 */
export interface HeadFields extends RecordFields {
  /**
   * When not undefined, `msg` is still the template and these are its args,
   * all primitives; else `msg` is final.
   */
  args: readonly unknown[] | undefined;
}

/** `pathname`, `filename` and `module` of a record without a caller. */
export const UNKNOWN_FILE = "(unknown file)";
/** `funcName` of a record without a caller. */
export const UNKNOWN_FUNCTION = "(unknown function)";

/**
 * A new fields object: the varying fields empty, those of a record without
 * a caller the constants they always are.
 *
 * @returns The fields.
 */
export function newFields(): HeadFields {
  return {
    name: "",
    msg: "",
    levelname: "",
    levelno: 0,
    pathname: UNKNOWN_FILE,
    filename: UNKNOWN_FILE,
    module: UNKNOWN_FILE,
    lineno: 0,
    funcName: UNKNOWN_FUNCTION,
    created: 0,
    msecs: 0,
    relativeCreated: 0,
    thread: THREAD_ID,
    threadName: THREAD_NAME,
    processName: PROCESS_NAME,
    process: PROCESS,
    args: undefined,
  };
}

// The fields of the last event plainRecordFields read.
const plain: HeadFields = newFields();

/**
 * Reads an event's name, level, message and time into `out` as its record
 * dict holds them, and formats the message when the args are all primitives
 * and there are no extras or error. Writes `out` only after everything that
 * can run user code, so a re-entrant call (a `toString` that logs) cannot
 * interleave with the caller's reads of `out`.
 *
 * @param input The event.
 * @param out Where to write the fields read (the others are left alone).
 * @param defer Leave primitive args for the caller to apply (in
 * `out.args`, `out.msg` then being the template).
 * @returns Whether the message is final (formatted, no args, or deferred)
 * and the dict has no extras and no `exc_text`.
 * @throws What reading a hostile `input` throws.
 */
export function readHead(
  input: RecordInput,
  out: HeadFields,
  defer = false,
): boolean {
  const name = typeof input.name === "string"
    ? input.name
    : safeString(input.name);
  let level = input.level;
  if (typeof level !== "number") level = toLevel(level);
  const levelName = typeof input.levelName === "string"
    ? input.levelName
    : pythonLevelName(level);
  let msg = typeof input.msg === "string" ? input.msg : pyStr(input.msg);
  let timeMs = input.timeMs;
  if (typeof timeMs !== "number" || !Number.isFinite(timeMs)) {
    timeMs = Date.now();
  }
  const args = input.args;
  const extra = input.extra;
  let final = (extra === undefined || extra === null) &&
    input.error === undefined;
  let deferred: readonly unknown[] | undefined;
  if (final && args !== undefined && args !== null && args.length > 0) {
    if (!allPrimitives(args)) {
      final = false;
    } else if (defer) {
      deferred = args;
    } else {
      const formatted = primitiveArgsMessage(msg, args);
      if (formatted === undefined) final = false;
      else msg = formatted;
    }
  }

  // CPython 3.13: ct = time_ns(); created = ct / 1e9;
  // msecs = (ct % 1e9) // 1e6 + 0.0; relativeCreated = (ct - start) / 1e6.
  // For whole milliseconds msecs and relativeCreated are the same; created
  // is timeMs / 1000 correctly rounded (ct / 1e9 rounds twice and is 1 ulp
  // lower for about one time in five: 1700000000.2499998 for ...250 ms).
  // msecs is floor(((timeMs % 1000) + 1000) % 1000); for whole
  // milliseconds (the rest is exact then), without the (slow) remainders.
  const created = timeMs / 1000;
  const rem = timeMs - Math.floor(created) * 1000;
  let msecs = rem >= 0 && rem < 1000 && rem === Math.floor(rem)
    ? rem
    : Math.floor(((timeMs % 1000) + 1000) % 1000);
  if (
    msecs === 999 && Math.floor(created) !== Math.floor((timeMs - 999) / 1000)
  ) {
    msecs = 0; // created rounded up to the next second (as CPython 3.13)
  }
  out.name = name;
  out.levelname = levelName;
  out.levelno = level;
  out.msg = msg;
  out.created = created;
  out.msecs = msecs;
  out.relativeCreated = timeMs - START_MS;
  out.args = deferred;
  return final;
}

/**
 * The fields of `recordDict(input)` for an event without caller
 * information, extras or error, whose args (if any) are all primitives:
 * what `RecordFramer.frameFields` frames without the dict being
 * built. Undefined for any other event (build the dict).
 *
 * @param input The event.
 * @returns One shared object, overwritten by the next call of this function
 * or of {@linkcode recordDict} (read it at once), or undefined. Never
 * throws.
 *
 * @example Usage
 * ```ts
 * import { plainRecordFields } from "./fields.ts";
 * import { recordDict } from "./dict.ts";
 * import { equal } from "node:assert/strict";
 *
 * const input = { name: "app", level: 20, msg: "hi %s", args: ["al"], timeMs: 0 };
 * equal(plainRecordFields(input)?.msg, recordDict(input).msg);
 * equal(plainRecordFields({ ...input, extra: { user: "bob" } }), undefined);
 * ```
 */
export function plainRecordFields(
  input: RecordInput,
): RecordFields | undefined {
  return readPlainFields(input, plain, false) ? plain : undefined;
}

/**
 * Reads a plain event (see {@linkcode plainRecordFields}) into `out`. The
 * framer passes its own `out` (made by {@linkcode newFields}, never handed
 * to anyone else, so its caller fields stay those of a record without a
 * caller) and `defer`: primitive args are then left in `out.args` for it to
 * apply.
 *
 * @param input The event.
 * @param out Where to read it.
 * @param defer Leave the args to the caller.
 * @returns Whether the event is a plain one (then `out` holds it). Never
 * throws.
 */
export function readPlainFields(
  input: RecordInput,
  out: HeadFields,
  defer: boolean,
): boolean {
  try {
    return input.caller === undefined && readHead(input, out, defer);
  } catch {
    return false; // recordDict salvages what it can
  }
}

/**
 * Whether no arg is an object (null is a primitive here): args that a
 * message takes as `%` values, never as extras.
 *
 * @param args The args.
 * @returns Whether all are primitives.
 * @throws What reading a hostile array throws.
 */
export function allPrimitives(args: readonly unknown[]): boolean {
  const n = args.length;
  for (let i = 0; i < n; i++) {
    const a = args[i];
    if (typeof a === "object" && a !== null) return false;
  }
  return true;
}

/**
 * The message for args that are all primitives (no extras, no errors, no
 * mapping), without the `Extras` machinery: exactly what
 * `Extras.applyArgs` returns for them. Undefined when an arg is an object,
 * reading one throws, or a leftover arg's text would hit a string limit; the
 * caller then takes the general path.
 *
 * @param msg The template.
 * @param args The args.
 * @returns The message, or undefined. Never throws.
 */
export function primitiveArgsMessage(
  msg: string,
  args: readonly unknown[],
): string | undefined {
  try {
    const n = args.length;
    if (!allPrimitives(args)) return undefined;
    let text = msg;
    let used = 0;
    if (msg.includes("%")) {
      const r = percentFormat(msg, args);
      text = r.text;
      used = r.used;
    }
    let total = 0;
    for (let i = used; i < n; i++) {
      const s = pyStr(args[i]);
      total += s.length;
      if (
        s.length > LIMITS.stringLength || total > LIMITS.totalStringLength
      ) {
        return undefined;
      }
      text += " " + s;
    }
    return text;
  } catch {
    return undefined;
  }
}

/**
 * A level (or line number) from a value that should have been a number:
 * the number, or 0 when it is not finite.
 *
 * @param v The value.
 * @returns The number. Never throws.
 */
export function toLevel(v: unknown): number {
  try {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}
