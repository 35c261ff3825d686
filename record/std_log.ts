// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The `@std/log` side of the record mapping: reading an `@std/log`
 * `LogRecord` once into a {@linkcode RecordInput}, and finding the
 * application's call site below `@std/log`'s frames.
 *
 * Which frames are `@std/log`'s is found by structure, not by path: the
 * directory of the `@std/log` this package is linked against is where the
 * `BaseHandler` it extends runs (found once, by having
 * `BaseHandler.prototype.format` call a probe), wherever that is loaded
 * from (`jsr:`, `https:`, a vendored copy, a test stand-in).
 *
 * @module
 */
import { BaseHandler } from "@std/log/base-handler";
import { LogRecord } from "@std/log/logger";
import {
  type CallerInfo,
  directoryOf,
  findCaller,
  isOwnFile,
  stackText,
} from "./caller.ts";
import type { RecordInput } from "./input.ts";
import { recordDict } from "./dict.ts";
import { unreadable } from "../text/python_text.ts";

// ---------------------------------------------------------------------------
// Caller information

/** The directory of the linked @std/log: a URL, null if not found yet. */
let stdLogDir: string | null | undefined;

/**
 * The directory of the `@std/log` modules this package is linked against:
 * where `BaseHandler.prototype.format` runs when it calls the formatter.
 */
function stdLogDirectory(): string | null {
  if (stdLogDir === undefined) {
    stdLogDir = null;
    const probe = {
      formatter(): string {
        const stack = stackText(probe.formatter, 0);
        if (stack !== undefined) {
          findCaller(stack, 1, (url) => {
            stdLogDir ??= directoryOf(url);
            return true;
          });
        }
        return "";
      },
    };
    try {
      BaseHandler.prototype.format.call(
        probe as unknown as BaseHandler,
        undefined as unknown as LogRecord,
      );
    } catch {
      // not found: no frame is taken for @std/log's
    }
  }
  return stdLogDir;
}

/** Whether a frame is this package's or the linked @std/log's. */
function isLibraryFrame(url: string): boolean {
  return isOwnFile(url) || directoryOf(url) === stdLogDirectory();
}

/**
 * Captures the caller of a logging call: the first stack frame outside this
 * package's own files, the `@std/log` this package is linked against
 * (wherever it is loaded from) and runtime internals (`ext:`, `node:`,
 * native frames). Call it synchronously at the logging call site, i.e.
 * inside a handler's `handle()`. Stack capture costs tens of microseconds:
 * only call it when caller information is wanted.
 *
 * Like Python's `stacklevel`, `stacklevel` > 1 skips that many more
 * non-library frames (e.g. 2 when the call comes through one logging
 * wrapper of yours).
 *
 * @param stacklevel Which non-library frame to report, counting from 1.
 * @returns The caller, or undefined when no frame qualifies or the stack is
 * unavailable (e.g. a custom `Error.prepareStackTrace`).
 *
 * @example Usage
 * ```ts
 * import { captureCaller } from "./std_log.ts";
 * import { ok } from "node:assert/strict";
 *
 * // In a handler's handle(): where the logging call was made.
 * const caller = captureCaller();
 * ok(caller === undefined || caller.lineno > 0);
 * ```
 */
export function captureCaller(stacklevel = 1): CallerInfo | undefined {
  const stack = stackText(
    undefined,
    stacklevel > 1 ? Math.min(stacklevel, 1000) : 0,
  );
  if (stack === undefined) return undefined;
  return findCaller(stack, stacklevel, isLibraryFrame);
}

/**
 * Whether a record was made by another logging library than the linked
 * `@std/log` (another copy of it, say): an instance of a class other than
 * its `LogRecord` (and its subclasses). A plain object is no library's.
 */
function isForeignRecord(record: unknown): boolean {
  try {
    if (
      typeof record !== "object" || record === null ||
      record instanceof LogRecord
    ) {
      return false;
    }
    const proto = Object.getPrototypeOf(record);
    return proto !== Object.prototype && proto !== null;
  } catch {
    return false;
  }
}

/**
 * The caller of the logging call that handed `record` to a handler's
 * `handle()`, by the structure of the stack: the frames of `handle` and of
 * everything it called (the handler's own methods, overridden or not) are
 * left out; below them, the frames of the logging library that called
 * `handle()` are skipped — those of the linked `@std/log`, and, for a
 * record of another library's class, those in the directory of the frame
 * that called `handle()` — as are this package's own files and runtime
 * internals. When `handle` is not on the stack (the record is mapped
 * outside a `handle()` call), this is {@linkcode captureCaller}.
 *
 * @param handle The handler's `handle` function (the one on the stack).
 * @param record The record being handled.
 * @returns The caller, or undefined when no frame qualifies or the stack is
 * unavailable.
 */
export function handleCaller(
  // deno-lint-ignore ban-types
  handle: Function,
  record: unknown,
): CallerInfo | undefined {
  const stack = stackText(handle, 0);
  if (stack === undefined) return undefined;
  if (!stack.includes("\n")) return captureCaller();
  if (!isForeignRecord(record)) return findCaller(stack, 1, isLibraryFrame);
  return findCaller(
    stack,
    1,
    (url, first) =>
      isLibraryFrame(url) || directoryOf(url) === directoryOf(first),
  );
}

// ---------------------------------------------------------------------------
// Reading a record

/**
 * `recordDict()` for an `@std/log` `LogRecord`: reads `args` and
 * `datetime` once each (they are copying getters), maps the level through
 * `pythonLevelName` (`WARN` → `WARNING`). `@std/log` turns an Error
 * passed as the message into its stack text; such a message (a first line
 * followed by a V8 `    at ` frame) is split: the first line becomes `msg`
 * and the whole text `exc_text`.
 *
 * @param record The `@std/log` record.
 * @param caller Caller information, when wanted.
 * @returns The record dict. Never throws.
 *
 * @example Usage
 * ```ts ignore
 * import { fromStdLogRecord } from "./std_log.ts";
 *
 * // inside a BaseHandler subclass:
 * // override handle(r: LogRecord) { const d = fromStdLogRecord(r); ... }
 * ```
 */
export function fromStdLogRecord(
  record: LogRecord,
  caller?: CallerInfo,
): Record<string, unknown> {
  return recordDict(stdLogInput(record, caller));
}

/**
 * A {@linkcode RecordInput} with all its fields present (undefined when
 * absent): one shape, filled again for each record by
 * {@linkcode stdLogInput}.
 */
export type InputSlots = {
  [K in keyof RecordInput]: RecordInput[K] | undefined;
};

/**
 * An empty {@linkcode InputSlots}.
 *
 * @returns The slots.
 */
export function newInputSlots(): InputSlots {
  return {
    name: "",
    level: 0,
    levelName: undefined,
    msg: "",
    args: undefined,
    extra: undefined,
    error: undefined,
    timeMs: 0,
    caller: undefined,
  };
}

/**
 * The {@linkcode RecordInput} of an `@std/log` `LogRecord`: the one read of
 * the record (its copying `args` and `datetime` getters are read once
 * each), from which its dict or its frame is made. Never throws.
 *
 * @param record The `@std/log` record.
 * @param caller Caller information, when wanted.
 * @param out Slots to fill and return (read them before the next call);
 * new ones by default.
 * @returns The event (absent fields undefined).
 */
export function stdLogInput(
  record: LogRecord,
  caller?: CallerInfo,
  out?: InputSlots,
): RecordInput {
  let name: string = "root";
  let level = 0;
  let msg = "";
  let args: unknown[] | undefined;
  let timeMs = NaN;
  try {
    name = record.loggerName;
  } catch {
    // keep the default
  }
  try {
    level = record.level;
  } catch {
    // keep the default
  }
  try {
    msg = record.msg;
  } catch (e) {
    msg = unreadable(e);
  }
  try {
    args = record.args;
  } catch {
    args = undefined;
  }
  try {
    timeMs = record.datetime.getTime();
  } catch {
    timeMs = Date.now();
  }
  let error: string | undefined;
  if (typeof msg === "string") {
    // A first line followed by a V8 frame line ("\n    at "); indexOf is
    // ~1 ns where a regex test costs ~80 ns on every message.
    const nl = msg.indexOf("\n");
    if (nl >= 0 && msg.startsWith("    at ", nl + 1)) {
      error = msg;
      msg = msg.slice(0, nl);
    }
  }
  if (args === null) args = undefined;
  const input = out ?? newInputSlots();
  input.name = name;
  input.level = level;
  input.msg = msg;
  input.timeMs = timeMs;
  input.args = args;
  input.caller = caller;
  input.error = error;
  return input as RecordInput;
}
