// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode recordDict}: the `__dict__` of a Python `LogRecord` for a log
 * event, exactly as CPython's `SocketHandler.makePickle()` sends it.
 *
 * @module
 */
import { pyFloat } from "../pickle/py_types.ts";
import { STANDARD_FIELDS } from "./schema.ts";
import type { CallerInfo } from "./caller.ts";
import type { RecordInput } from "./input.ts";
import { Extras } from "./extras.ts";
import {
  newFields,
  readHead,
  toLevel,
  UNKNOWN_FILE,
  UNKNOWN_FUNCTION,
} from "./fields.ts";
import { PROCESS, PROCESS_NAME, THREAD_ID, THREAD_NAME } from "./process.ts";
import { safeString } from "../text/python_text.ts";

/**
 * Builds the pickled `__dict__` of a Python `LogRecord` for a log event.
 *
 * Keys, in CPython 3.12's order: `name msg args levelname levelno pathname
 * filename module exc_info exc_text stack_info lineno funcName created msecs
 * relativeCreated thread threadName processName process taskName`, then the
 * extras in insertion order (`input.extra` first, then plain-object args).
 * `created`, `msecs` and `relativeCreated` are `PyFloat`s (`created`
 * = ms/1000, `msecs` = whole ms of the second as CPython 3.13 computes it,
 * `relativeCreated` = ms since this module was loaded); `args`, `exc_info`,
 * `stack_info` and `taskName` are `null`; `process` is `Deno.pid`;
 * `processName` is `MainProcess`; `thread`/`threadName` are
 * `THREAD_ID`/`THREAD_NAME`. Without `caller` the caller
 * fields are CPython's sentinels: pathname, filename and module
 * `(unknown file)`, lineno 0, funcName `(unknown function)`.
 *
 * `msg` is rendered like Python's `str(msg) % args` (see
 * `percentFormat`) only when there are args; see
 * {@linkcode RecordInput.args} for how each arg is used. Errors (from args,
 * `error`, or top-level extra values) fill `exc_text`: the stack, then
 * `Caused by: <stack>` for each `cause` (Deno's style), several errors
 * separated by a blank line.
 *
 * Extra values are made picklable: `null`, booleans, numbers, bigints,
 * strings, arrays, plain objects, `Map`s, `Set`s, `Uint8Array`s (copied),
 * `PyFloat`s and `PyTuple`s are kept (recursively); `undefined` becomes
 * `null`, a bigint of more than 4,300 digits its decimal string (CPython
 * ≥3.11 refuses to read longer ints), a `Date` its ISO string, an `ArrayBuffer` a `Uint8Array`, other
 * typed arrays lists of numbers, an Error `Name: message`; Map keys and Set
 * members that are not primitives become strings (Python needs hashable
 * keys); anything else (functions, symbols, class instances, proxies that
 * throw, promises, …) becomes a descriptive string. A getter that throws
 * gives `<unreadable: …>`. A container met again inside itself becomes
 * `[...]`/`{...}`; see `LIMITS` for depth and size caps. An
 * `extra` that is not a plain object is kept whole under the key `extra`.
 * JavaScript enumerates integer-like keys (`"0"`, `"42"`) before all others,
 * so such extras come first in the pickle (receivers do not depend on the
 * order).
 *
 * @param input The event.
 * @returns The record dict, ready for `dumps()`. Never throws.
 *
 * @example Usage
 * ```ts
 * import { recordDict } from "./dict.ts";
 * import { equal } from "node:assert/strict";
 *
 * const d = recordDict({ name: "app", level: 20, msg: "hi %s", args: ["al"], timeMs: 0 });
 * equal(d.msg, "hi al");
 * equal(d.funcName, "(unknown function)");
 * ```
 */
export function recordDict(input: RecordInput): Record<string, unknown> {
  try {
    return buildRecord(input);
  } catch {
    // Only a hostile `input` object itself (throwing getters on its own
    // fields) gets here: fall back to a record from what can be read.
    try {
      return buildRecord(salvageInput(input));
    } catch {
      return buildRecord({
        name: "root",
        level: 0,
        msg: "<unreadable log event>",
        timeMs: Date.now(),
      });
    }
  }
}

function salvageInput(input: RecordInput): RecordInput {
  const read = (k: keyof RecordInput): unknown => {
    try {
      return (input as unknown as Record<string, unknown>)[k];
    } catch {
      return undefined;
    }
  };
  const out: RecordInput = {
    name: safeString(read("name") ?? "root"),
    level: typeof read("level") === "number" ? read("level") as number : 0,
    msg: safeString(read("msg") ?? ""),
    timeMs: typeof read("timeMs") === "number"
      ? read("timeMs") as number
      : Date.now(),
  };
  return out;
}

// The fields buildRecord reads first (name, level, message, times).
const head = newFields();

/**
 * The dict. Its keys are the schema's (STANDARD_FIELDS), in its order, then
 * the extras: the object literal is checked against the schema when this
 * module loads. (A literal is how V8 builds the dict fastest; spreading a
 * blank dict made from the schema and assigning the values costs about
 * twice as much.)
 */
function buildRecord(input: RecordInput): Record<string, unknown> {
  const final = readHead(input, head);
  const name = head.name;
  const levelName = head.levelname;
  const level = head.levelno;
  let msg = head.msg;
  const created = head.created;
  const msecs = head.msecs;
  const relativeCreated = head.relativeCreated;
  const caller = input.caller;
  // Common case: the message is final; no allocation but the dict.
  let excText: string | null = null;
  let extras: Extras | undefined;
  if (!final) {
    const args = input.args;
    const extra = input.extra;
    const error = input.error;
    const slow = new Extras();
    if (error !== undefined && error !== null) {
      slow.addError(error);
    }
    if (extra !== undefined && extra !== null) slow.addExtra(extra);
    if (args !== undefined && args !== null && args.length > 0) {
      msg = slow.applyArgs(msg, args);
    }
    excText = slow.excText();
    extras = slow;
  }

  const d: Record<string, unknown> = {
    name,
    msg,
    args: null,
    levelname: levelName,
    levelno: level,
    pathname: caller ? caller.pathname : UNKNOWN_FILE,
    filename: caller ? caller.filename : UNKNOWN_FILE,
    module: caller ? caller.module : UNKNOWN_FILE,
    exc_info: null,
    exc_text: excText,
    stack_info: null,
    lineno: caller ? caller.lineno : 0,
    funcName: caller ? caller.funcName : UNKNOWN_FUNCTION,
    created: pyFloat(created),
    msecs: pyFloat(msecs),
    relativeCreated: pyFloat(relativeCreated),
    thread: THREAD_ID,
    threadName: THREAD_NAME,
    processName: PROCESS_NAME,
    process: PROCESS,
    taskName: null,
  };
  if (caller) sanitizeCaller(d, caller);
  if (extras !== undefined) extras.writeInto(d);
  return d;
}

/**

/** Caller fields come from user-reachable objects: enforce their types. */
function sanitizeCaller(d: Record<string, unknown>, c: CallerInfo) {
  for (const k of ["pathname", "filename", "module", "funcName"]) {
    if (typeof d[k] !== "string") d[k] = safeString(d[k]);
  }
  if (typeof d.lineno !== "number" || !Number.isSafeInteger(d.lineno)) {
    d.lineno = toLevel(c.lineno) | 0;
  }
}

// The literal in buildRecord must follow the schema.
if (
  Object.keys(buildRecord({ name: "", level: 0, msg: "", timeMs: 0 }))
    .join() !==
    STANDARD_FIELDS.join()
) {
  throw new Error("The record dict's keys are not STANDARD_FIELDS");
}
