// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Maps a log event to the `__dict__` of a Python `logging.LogRecord`, exactly
 * as CPython's `SocketHandler.makePickle()` sends it: `msg` already rendered,
 * `args` and `exc_info` `None`, no `message` key, every key of a CPython 3.12+
 * record in CPython's order, then the extra attributes.
 *
 * @example Usage
 * ```ts
 * import { recordDict } from "./record.ts";
 * import { equal } from "node:assert/strict";
 *
 * const d = recordDict({
 *   name: "app.db",
 *   level: 30,
 *   msg: "slow query: %d ms",
 *   args: [1200, { table: "users" }],
 *   timeMs: 1_700_000_000_250,
 * });
 * equal(d.msg, "slow query: 1200 ms");
 * equal(d.levelname, "WARNING");
 * equal(d.table, "users");
 * ```
 *
 * @module
 */
import type { LogRecord } from "@std/log/logger";
import { PyFloat, pyFloat, PyTuple } from "./py_types.ts";
import { pythonLevelName, STANDARD_FIELDS } from "./_schema.ts";
import { setOwn } from "./_own.ts";
import type { RecordFields } from "./pickle.ts";

export { pythonLevelName, STANDARD_FIELDS };
import {
  describe,
  isError,
  isPlainObject,
  keyString,
  percentFormat,
  pyStr,
  safeString,
  unreadable,
} from "./percent_format.ts";

// ---------------------------------------------------------------------------
// Levels

// ---------------------------------------------------------------------------
// Caller information

/** Caller information from a stack capture. */
export interface CallerInfo {
  /** Source path (`file://` URLs become paths; other URLs stay as they are). */
  pathname: string;
  /** Last component of `pathname`. */
  filename: string;
  /** `filename` without its extension (Python's `os.path.splitext`). */
  module: string;
  /** 1-based line number. */
  lineno: number;
  /** V8's function name, or `<module>` for top-level code and anonymous functions. */
  funcName: string;
}

/** URL prefix of this package's directory: its frames are never the caller. */
const OWN_DIR: string = new URL(".", import.meta.url).href;

function isLibraryFrame(url: string): boolean {
  if (
    url.startsWith(OWN_DIR) && !url.slice(OWN_DIR.length).includes("/")
  ) {
    return true;
  }
  return url.startsWith("ext:") || url.startsWith("node:") ||
    url.includes("/std_log/") || url.includes("@std/log") ||
    url.includes("@logtape/logtape") || url.includes("@logtape+logtape");
}

const FRAME_LOCATION = /^(.*):(\d+):(\d+)$/;

/**
 * Captures the caller of a logging call: the first stack frame outside this
 * package's directory, `@std/log` (paths containing `/std_log/` or
 * `@std/log`), LogTape (`@logtape/logtape`) and runtime internals (`ext:`,
 * `node:`, native frames). Call it synchronously at the logging call site,
 * i.e. inside a handler's `handle()`. Stack capture costs tens of
 * microseconds: only call it when caller information is wanted.
 *
 * Like Python's `stacklevel`, `stacklevel` > 1 skips that many more non-library
 * frames (e.g. 2 when the call comes through one logging wrapper of yours).
 *
 * @param stacklevel Which non-library frame to report, counting from 1.
 * @returns The caller, or undefined when no frame qualifies or the stack is
 * unavailable (e.g. a custom `Error.prepareStackTrace`).
 *
 * @example Usage
 * ```ts
 * import { captureCaller } from "./record.ts";
 * import { ok } from "node:assert/strict";
 *
 * // In a handler's handle(): where the logging call was made.
 * const caller = captureCaller();
 * ok(caller === undefined || caller.lineno > 0);
 ```
 */
export function captureCaller(stacklevel = 1): CallerInfo | undefined {
  let stack: unknown;
  try {
    const E = Error as { stackTraceLimit?: number | undefined };
    const saved = E.stackTraceLimit;
    E.stackTraceLimit = 64 + (stacklevel > 1 ? Math.min(stacklevel, 1000) : 0);
    try {
      stack = new Error().stack;
    } finally {
      E.stackTraceLimit = saved;
    }
  } catch {
    return undefined;
  }
  if (typeof stack !== "string") return undefined;
  let remaining = stacklevel >= 1 ? Math.floor(stacklevel) : 1;
  let pos = stack.indexOf("\n");
  while (pos >= 0) {
    const next = stack.indexOf("\n", pos + 1);
    const line = stack.slice(pos + 1, next < 0 ? undefined : next).trim();
    pos = next;
    if (!line.startsWith("at ")) continue;
    let rest = line.slice(3);
    if (rest.startsWith("async ")) rest = rest.slice(6);
    let fn = "";
    let loc = rest;
    if (rest.endsWith(")")) {
      const k = rest.indexOf(" (");
      if (k >= 0) {
        fn = rest.slice(0, k);
        loc = rest.slice(k + 2, -1);
      }
    }
    const m = FRAME_LOCATION.exec(loc);
    if (m === null) continue; // native / <anonymous>
    const url = m[1]!;
    if (isLibraryFrame(url)) continue;
    if (--remaining > 0) continue;
    const alias = fn.indexOf(" [as ");
    if (alias >= 0) fn = fn.slice(0, alias);
    return callerAt(url, Number(m[2]), fn === "" ? "<module>" : fn);
  }
  return undefined;
}

/**
 * Caller information for a source location: `pathname` is the path of a
 * `file:` URL (a Windows drive or UNC path where the URL names one; any
 * other text as it is), `filename` its last component and `module` that
 * without its extension, as Python's `LogRecord` derives them.
 *
 * @param url A module URL or path.
 * @param lineno The line number.
 * @param funcName The function name.
 * @returns The caller information.
 *
 * @example Usage
 * ```ts
 * import { callerAt } from "./record.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(callerAt("file:///srv/app/main.ts", 12, "handle"), {
 *   pathname: "/srv/app/main.ts",
 *   filename: "main.ts",
 *   module: "main",
 *   lineno: 12,
 *   funcName: "handle",
 * });
 * ```
 */
export function callerAt(
  url: string,
  lineno: number,
  funcName: string,
): CallerInfo {
  const pathname = urlToPath(url);
  const filename = basename(pathname);
  return {
    pathname,
    filename,
    module: splitextRoot(filename),
    lineno,
    funcName,
  };
}

function urlToPath(url: string): string {
  if (!url.startsWith("file:")) return url;
  try {
    const u = new URL(url);
    let p = decodeURIComponent(u.pathname);
    if (/^\/[A-Za-z]:\//.test(p)) p = p.slice(1).replaceAll("/", "\\");
    else if (u.hostname !== "") {
      p = "\\\\" + u.hostname + p.replaceAll("/", "\\");
    }
    return p;
  } catch {
    return url;
  }
}

function basename(p: string): string {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return i < 0 ? p : p.slice(i + 1);
}

/** Python's `os.path.splitext(name)[0]` (leading dots are not extensions). */
function splitextRoot(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return name;
  for (let i = 0; i < dot; i++) {
    if (name.charCodeAt(i) !== 0x2e) return name.slice(0, dot);
  }
  return name;
}

// ---------------------------------------------------------------------------
// Process / thread identity

/** Epoch ms when this module was loaded: the base of `relativeCreated`. */
const START_MS: number = Date.now();

function readPid(): number | null {
  try {
    const pid = (globalThis as { Deno?: { pid?: unknown } }).Deno?.pid;
    return typeof pid === "number" && Number.isSafeInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}

const PROCESS: number | null = readPid();

function inWorker(): boolean {
  try {
    const scope = (globalThis as { WorkerGlobalScope?: unknown })
      .WorkerGlobalScope;
    return typeof scope === "function" &&
      globalThis instanceof (scope as new () => unknown);
  } catch {
    return false;
  }
}

const IS_WORKER: boolean = inWorker();

/**
 * `thread` of every record from this isolate. The main isolate uses the pid
 * (the main thread's native id on Linux); a worker uses a random integer in
 * [2**32, 2**48), fixed for the worker's lifetime (Python's `get_ident()`
 * values are of that size).
 */
export const THREAD_ID: number = IS_WORKER || PROCESS === null
  ? 2 ** 32 + Math.floor(Math.random() * (2 ** 48 - 2 ** 32))
  : PROCESS;

function readThreadName(): string {
  if (!IS_WORKER) return "MainThread";
  try {
    const n = (globalThis as { name?: unknown }).name;
    if (typeof n === "string" && n !== "") return n;
  } catch {
    // ignore
  }
  return "Worker-" + THREAD_ID;
}

/**
 * `threadName` of every record from this isolate: `MainThread` in the main
 * isolate; in a worker its `name` option, or `Worker-<THREAD_ID>` when it has
 * none.
 */
export const THREAD_NAME: string = readThreadName();

// ---------------------------------------------------------------------------
// Record dict

/** Input of {@linkcode recordDict}: everything a log event has. */
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
  /** Caller information (from {@linkcode captureCaller}). */
  caller?: CallerInfo;
}

/**
 * Record keys that extras must not overwrite: the 21 keys of a CPython 3.12
 * record plus `message` and `asctime` (Python's `makeRecord` refuses them
 * too). An extra with such a key, or with a key already present, is stored
 * as `extra_<key>` (prefixed again until it is free).
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  ...STANDARD_FIELDS,
  "message",
  "asctime",
]);

/** Limits applied to extra values (see {@linkcode recordDict}). */
export const LIMITS: {
  /** Deepest nesting kept; deeper values become `"…"`. */
  readonly depth: number;
  /** Longest string kept, in UTF-16 code units; longer ones are cut. */
  readonly stringLength: number;
  /** Most values (containers and leaves) kept per record. */
  readonly values: number;
  /** Most string code units kept across all extras of a record. */
  readonly totalStringLength: number;
  /** Most `cause` links followed per exception. */
  readonly causes: number;
} = Object.freeze({
  depth: 32,
  stringLength: 1_048_576,
  values: 100_000,
  totalStringLength: 16_777_216,
  causes: 32,
});

/**
 * Builds the pickled `__dict__` of a Python `LogRecord` for a log event.
 *
 * Keys, in CPython 3.12's order: `name msg args levelname levelno pathname
 * filename module exc_info exc_text stack_info lineno funcName created msecs
 * relativeCreated thread threadName processName process taskName`, then the
 * extras in insertion order (`input.extra` first, then plain-object args).
 * `created`, `msecs` and `relativeCreated` are {@linkcode PyFloat}s (`created`
 * = ms/1000, `msecs` = whole ms of the second as CPython 3.13 computes it,
 * `relativeCreated` = ms since this module was loaded); `args`, `exc_info`,
 * `stack_info` and `taskName` are `null`; `process` is `Deno.pid`;
 * `processName` is `MainProcess`; `thread`/`threadName` are
 * {@linkcode THREAD_ID}/{@linkcode THREAD_NAME}. Without `caller` the caller
 * fields are CPython's sentinels: pathname, filename and module
 * `(unknown file)`, lineno 0, funcName `(unknown function)`.
 *
 * `msg` is rendered like Python's `str(msg) % args` (see
 * {@linkcode percentFormat}) only when there are args; see
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
 * `[...]`/`{...}`; see {@linkcode LIMITS} for depth and size caps. An
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
 * import { recordDict } from "./record.ts";
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

const UNKNOWN_FILE = "(unknown file)";
const UNKNOWN_FUNCTION = "(unknown function)";

// The fields of the last record read (readHead): the varying ones are
// overwritten by every read; those of a record without a caller are
// constants.
const plain: RecordFields = {
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
  processName: "MainProcess",
  process: PROCESS,
};

/**
 * Reads an event's name, level, message and time into `out` as its record
 * dict holds them, and formats the message when the args are all primitives
 * and there are no extras or error. Returns whether the message is final
 * (formatted, or no args) and the dict has no extras and no `exc_text`.
 * Writes `out` only after everything that can run user code, so a
 * re-entrant call (a `toString` that logs) cannot interleave with the
 * caller's reads of `out`.
 */
function readHead(input: RecordInput, out: RecordFields): boolean {
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
  if (final && args !== undefined && args !== null && args.length > 0) {
    const formatted = primitiveArgsMessage(msg, args);
    if (formatted === undefined) final = false;
    else msg = formatted;
  }

  // CPython 3.13: ct = time_ns(); created = ct / 1e9;
  // msecs = (ct % 1e9) // 1e6 + 0.0; relativeCreated = (ct - start) / 1e6.
  // For whole milliseconds msecs and relativeCreated are the same; created
  // is timeMs / 1000 correctly rounded (ct / 1e9 rounds twice and is 1 ulp
  // lower for about one time in five: 1700000000.2499998 for ...250 ms).
  const created = timeMs / 1000;
  let msecs = Math.floor(((timeMs % 1000) + 1000) % 1000);
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
  return final;
}

/**
 * The fields of `recordDict(input)` for an event without caller
 * information, extras or error, whose args (if any) are all primitives:
 * what {@linkcode RecordFramer.prototype.frameFields} frames without the
 * dict being built. Undefined for any other event (build the dict).
 *
 * @param input The event.
 * @returns One shared object, overwritten by the next call of this function
 * or of {@linkcode recordDict} (read it at once), or undefined. Never
 * throws.
 *
 * @example Usage
 * ```ts
 * import { plainRecordFields, recordDict } from "./record.ts";
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
  try {
    if (input.caller !== undefined || !readHead(input, plain)) return undefined;
  } catch {
    return undefined; // recordDict salvages what it can
  }
  return plain;
}

function buildRecord(input: RecordInput): Record<string, unknown> {
  const final = readHead(input, plain);
  const name = plain.name;
  const levelName = plain.levelname;
  const level = plain.levelno;
  let msg = plain.msg;
  const created = plain.created;
  const msecs = plain.msecs;
  const relativeCreated = plain.relativeCreated;
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
    processName: "MainProcess",
    process: PROCESS,
    taskName: null,
  };
  if (caller) sanitizeCaller(d, caller);
  if (extras !== undefined) extras.writeInto(d);
  return d;
}

/**
 * The message for args that are all primitives (no extras, no errors, no
 * mapping), without the {@linkcode Extras} machinery: exactly what
 * `Extras.applyArgs` returns for them. Undefined when an arg is an object,
 * reading one throws, or a leftover arg's text would hit a string limit; the
 * caller then takes the general path.
 */
function primitiveArgsMessage(
  msg: string,
  args: readonly unknown[],
): string | undefined {
  try {
    const n = args.length;
    for (let i = 0; i < n; i++) {
      const a = args[i];
      if (typeof a === "object" && a !== null) return undefined;
    }
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

function toLevel(v: unknown): number {
  try {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

/** Caller fields come from user-reachable objects: enforce their types. */
function sanitizeCaller(d: Record<string, unknown>, c: CallerInfo) {
  for (const k of ["pathname", "filename", "module", "funcName"]) {
    if (typeof d[k] !== "string") d[k] = safeString(d[k]);
  }
  if (typeof d.lineno !== "number" || !Number.isSafeInteger(d.lineno)) {
    d.lineno = toLevel(c.lineno) | 0;
  }
}

/** Accumulates extras, exception texts and the sanitizing budget. */
class Extras {
  #keys: string[] = [];
  #values: unknown[] = [];
  #errors: string[] = [];
  #values_left = LIMITS.values;
  #chars_left = LIMITS.totalStringLength;
  #seen: object[] = [];

  addError(e: unknown) {
    this.#errors.push(
      typeof e === "string" ? this.#cut(e, LIMITS.stringLength) : errorText(e),
    );
  }

  excText(): string | null {
    return this.#errors.length === 0 ? null : this.#errors.join("\n\n");
  }

  /** Adds `RecordInput.extra`: a plain object's keys, else one `extra` key. */
  addExtra(extra: unknown) {
    let plain = false;
    try {
      plain = isPlainObject(extra);
    } catch {
      plain = false;
    }
    if (plain) this.addObject(extra as object, true);
    else this.#push("extra", this.sanitize(extra, 1));
  }

  /** Adds every own enumerable string key of a plain object. */
  addObject(o: object, topErrors: boolean) {
    let keys: string[];
    try {
      keys = Object.keys(o);
    } catch (e) {
      this.#push("extra", unreadable(e));
      return;
    }
    for (const k of keys) {
      let v: unknown;
      try {
        v = (o as Record<string, unknown>)[k];
      } catch (e) {
        v = unreadable(e);
      }
      let isErr = false;
      if (topErrors) {
        try {
          isErr = isError(v);
        } catch {
          isErr = false;
        }
      }
      if (isErr) this.addError(v);
      this.#push(k, this.sanitize(v, 1));
    }
  }

  applyArgs(msg: string, args: readonly unknown[]): string {
    let positional: unknown[] | undefined;
    let mapping: Record<string, unknown> | undefined;
    const n = args.length;
    for (let i = 0; i < n; i++) {
      let a: unknown;
      try {
        a = args[i];
      } catch (e) {
        a = unreadable(e);
      }
      let plain = false;
      let err = false;
      if (typeof a === "object" && a !== null) {
        try {
          plain = isPlainObject(a);
          if (!plain) err = isError(a);
        } catch {
          // A proxy whose traps throw: render it as a positional value.
        }
      }
      if (plain) {
        mapping ??= a as Record<string, unknown>;
        this.addObject(a as object, true);
      } else {
        if (err) this.addError(a);
        (positional ??= []).push(a);
      }
    }
    let text = msg;
    let used = 0;
    if (msg.includes("%")) {
      try {
        const r = percentFormat(msg, positional ?? [], mapping);
        text = r.text;
        used = r.used;
      } catch {
        text = msg;
        used = 0;
      }
    }
    if (positional !== undefined) {
      for (let i = used; i < positional.length; i++) {
        const a = positional[i];
        let err = false;
        try {
          err = isError(a);
        } catch {
          err = false;
        }
        if (!err) text += " " + this.#cut(pyStr(a), LIMITS.stringLength);
      }
    }
    return text;
  }

  writeInto(d: Record<string, unknown>) {
    const keys = this.#keys;
    const values = this.#values;
    for (let i = 0; i < keys.length; i++) {
      let k = keys[i]!;
      while (RESERVED_KEYS.has(k) || Object.hasOwn(d, k)) k = "extra_" + k;
      setOwn(d, k, values[i]);
    }
  }

  #push(k: string, v: unknown) {
    this.#keys.push(k);
    this.#values.push(v);
  }

  #cut(s: string, max: number): string {
    const limit = Math.min(max, Math.max(this.#chars_left, 0));
    if (s.length <= limit) {
      this.#chars_left -= s.length;
      return s;
    }
    let end = limit;
    const c = s.charCodeAt(end - 1);
    if (end > 0 && c >= 0xd800 && c <= 0xdbff) end--;
    this.#chars_left -= end;
    return s.slice(0, end) + "…";
  }

  /** Returns a value `dumps()` can pickle and CPython can load. */
  sanitize(v: unknown, depth: number): unknown {
    if (--this.#values_left < 0) return "…";
    switch (typeof v) {
      case "string":
        return this.#cut(v, LIMITS.stringLength);
      case "number":
      case "boolean":
        return v;
      case "bigint":
        return bigintValue(v);
      case "undefined":
        return null;
      case "symbol":
      case "function":
        return this.#cut(describe(v), LIMITS.stringLength);
    }
    if (v === null) return null;
    const o = v as object;
    if (depth > LIMITS.depth) return "…";
    try {
      if (o instanceof PyFloat) return new PyFloat(Number(o.value));
      if (o instanceof Date) {
        const t = Date.prototype.getTime.call(o);
        return Number.isNaN(t)
          ? "Invalid Date"
          : Date.prototype.toISOString.call(o);
      }
      if (o instanceof Uint8Array) {
        return this.#bytes(o);
      }
      if (o instanceof ArrayBuffer) {
        return this.#bytes(new Uint8Array(o));
      }
      if (ArrayBuffer.isView(o)) {
        if (o instanceof DataView) {
          return this.#bytes(
            new Uint8Array(o.buffer, o.byteOffset, o.byteLength),
          );
        }
        const arr = o as unknown as ArrayLike<number | bigint>;
        const out: unknown[] = [];
        const n = Math.min(arr.length, Math.max(this.#values_left, 0));
        for (let i = 0; i < n; i++) out.push(arr[i]);
        this.#values_left -= n;
        return out;
      }
      if (this.#seen.includes(o)) {
        return Array.isArray(o)
          ? "[...]"
          : o instanceof PyTuple
          ? "(...)"
          : "{...}";
      }
      if (Array.isArray(o)) {
        this.#seen.push(o);
        try {
          const len = o.length;
          const out: unknown[] = [];
          for (let i = 0; i < len; i++) {
            if (this.#values_left <= 0) {
              out.push("…");
              break;
            }
            let item: unknown;
            try {
              item = o[i];
            } catch (e) {
              item = unreadable(e);
            }
            out.push(this.sanitize(item, depth + 1));
          }
          return out;
        } finally {
          this.#seen.pop();
        }
      }
      if (o instanceof PyTuple) {
        this.#seen.push(o);
        try {
          const items = o.items;
          const out: unknown[] = [];
          for (let i = 0; i < items.length && this.#values_left > 0; i++) {
            out.push(this.sanitize(items[i], depth + 1));
          }
          return new PyTuple(out);
        } finally {
          this.#seen.pop();
        }
      }
      if (o instanceof Map) {
        this.#seen.push(o);
        try {
          const out = new Map<unknown, unknown>();
          for (const [k, val] of Map.prototype.entries.call(o)) {
            if (this.#values_left <= 0) break;
            out.set(this.#key(k), this.sanitize(val, depth + 1));
          }
          return out;
        } finally {
          this.#seen.pop();
        }
      }
      if (o instanceof Set) {
        const out = new Set<unknown>();
        for (const item of Set.prototype.values.call(o)) {
          if (this.#values_left <= 0) break;
          this.#values_left--;
          out.add(this.#key(item));
        }
        return out;
      }
      if (isError(o)) {
        return this.#cut(errorLine(o), LIMITS.stringLength);
      }
      if (isPlainObject(o)) {
        this.#seen.push(o);
        try {
          const out: Record<string, unknown> = {};
          for (const k of Object.keys(o)) {
            if (this.#values_left <= 0) break;
            let val: unknown;
            try {
              val = (o as Record<string, unknown>)[k];
            } catch (e) {
              val = unreadable(e);
            }
            setOwn(out, k, this.sanitize(val, depth + 1));
          }
          return out;
        } finally {
          this.#seen.pop();
        }
      }
    } catch {
      // fall through to the description
    }
    return this.#cut(describe(o), LIMITS.stringLength);
  }

  /** A hashable Python key: primitives stay, anything else becomes a str. */
  #key(k: unknown): unknown {
    switch (typeof k) {
      case "string":
        return this.#cut(k, LIMITS.stringLength);
      case "number":
      case "boolean":
        return k;
      case "bigint":
        return bigintValue(k);
      case "undefined":
        return null;
    }
    if (k === null) return null;
    if (k instanceof PyFloat) return new PyFloat(Number(k.value));
    return this.#cut(keyString(k, this.#seen, 0), LIMITS.stringLength);
  }

  #bytes(b: Uint8Array): Uint8Array {
    const n = Math.min(b.length, LIMITS.stringLength);
    return Uint8Array.prototype.slice.call(b, 0, n);
  }
}

/** CPython ≥3.11 refuses to read ints of more than 4,300 digits. */
const BIGINT_LIMIT = 10n ** 4300n;

/** A bigint, or its decimal string when CPython could not read it back. */
function bigintValue(v: bigint): bigint | string {
  return (v < 0n ? -v : v) >= BIGINT_LIMIT ? v.toString() : v;
}

function errorLine(e: object): string {
  let name = "Error";
  let message = "";
  try {
    const n = (e as { name?: unknown }).name;
    if (typeof n === "string" && n !== "") name = n;
  } catch {
    // keep the default
  }
  try {
    const m = (e as { message?: unknown }).message;
    message = typeof m === "string" ? m : m === undefined ? "" : safeString(m);
  } catch (err) {
    message = unreadable(err);
  }
  return message === "" ? name : name + ": " + message;
}

function stackOf(e: unknown): string {
  if (typeof e !== "object" || e === null) return pyStr(e);
  let isErr = false;
  try {
    isErr = isError(e);
  } catch {
    return describe(e);
  }
  if (!isErr) return pyStr(e);
  try {
    const s = (e as { stack?: unknown }).stack;
    if (typeof s === "string" && s !== "") return s;
  } catch {
    // fall back to name: message
  }
  return errorLine(e);
}

/** An exception and its `cause` chain, Deno style ("Caused by: …"). */
function errorText(e: unknown): string {
  const seen: unknown[] = [];
  let text = "";
  let cur: unknown = e;
  for (let i = 0; i <= LIMITS.causes; i++) {
    if (i === LIMITS.causes) {
      text += "\nCaused by: …";
      break;
    }
    if (typeof cur === "object" && cur !== null) {
      if (seen.includes(cur)) {
        text += "\nCaused by: [circular]";
        break;
      }
      seen.push(cur);
    }
    let s = stackOf(cur);
    if (s.length > LIMITS.stringLength) {
      s = s.slice(0, LIMITS.stringLength) + "…";
    }
    text += i === 0 ? s : "\nCaused by: " + s;
    let next: unknown;
    try {
      if (typeof cur !== "object" || cur === null || !("cause" in cur)) break;
      next = (cur as { cause?: unknown }).cause;
    } catch (err) {
      next = unreadable(err);
    }
    cur = next;
  }
  return text;
}

// ---------------------------------------------------------------------------
// @std/log

/**
 * {@linkcode recordDict} for an `@std/log` `LogRecord`: reads `args` and
 * `datetime` once each (they are copying getters), maps the level through
 * {@linkcode pythonLevelName} (`WARN` → `WARNING`). `@std/log` turns an Error
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
 * import { fromStdLogRecord } from "./record.ts";
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
 * The {@linkcode RecordInput} of an `@std/log` `LogRecord`, as
 * {@linkcode fromStdLogRecord} reads it. Never throws.
 *
 * @param record The `@std/log` record.
 * @param caller Caller information, when wanted.
 * @returns The event.
 */
export function stdLogInput(
  record: LogRecord,
  caller?: CallerInfo,
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
  const input: RecordInput = { name, level, msg, timeMs };
  if (args !== undefined && args !== null) input.args = args;
  if (caller !== undefined) input.caller = caller;
  if (typeof msg === "string") {
    // A first line followed by a V8 frame line ("\n    at "); indexOf is
    // ~1 ns where a regex test costs ~80 ns on every message.
    const nl = msg.indexOf("\n");
    if (nl >= 0 && msg.startsWith("    at ", nl + 1)) {
      input.error = msg;
      input.msg = msg.slice(0, nl);
    }
  }
  return input;
}
