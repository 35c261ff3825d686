// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The receiver's model of a Python `LogRecord`: {@linkcode makeLogRecord},
 * which builds a {@linkcode PythonLogRecord} (typed in
 * `python_log_record.ts`) from a decoded record dict as Python's
 * `logging.makeLogRecord()` does and checks every standard field's type.
 *
 * What each standard field accepts is in `fields.ts`; the defaults are the
 * initial values of {@linkcode LogRecordImpl}. Both follow `STANDARD_FIELDS`
 * of `record/schema.ts`, checked when the modules load.
 *
 * @module
 */
import {
  PyByteArray,
  PyFloat,
  PyFrozenSet,
  PyTuple,
} from "../pickle/py_types.ts";
import { PyObject } from "../pickle/py_object.ts";
import { setPairs } from "../pickle/decoder_values.ts";
import { STANDARD_FIELDS } from "../record/schema.ts";
import { pythonLevelName } from "../record/levels.ts";
import { percentFormat } from "../text/percent_format.ts";
import { keyString, pyRepr, pyStr } from "../text/python_text.ts";
import { TextBudget } from "../text/text_budget.ts";
import {
  accepts,
  type Field,
  FIELDS_BY_NAME,
  keepsBigInt,
  SEEN_LEVELNAME,
  SEEN_LEVELNO,
  SEEN_MSECS,
  WANT,
} from "./fields.ts";
import type { PythonLogRecord } from "./python_log_record.ts";

// ---------------------------------------------------------------------------
// Python value helpers
// ---------------------------------------------------------------------------

/** Python's `type(v).__name__` for a decoded value. */
function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  switch (typeof v) {
    case "string":
      return "str";
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return Number.isInteger(v) ? "int" : "float";
    case "object":
      if (v instanceof PyTuple) return "tuple";
      if (v instanceof PyFloat) return "float";
      if (Array.isArray(v)) return "list";
      if (v instanceof PyByteArray) return "bytearray";
      if (v instanceof Uint8Array) return "bytes";
      if (v instanceof PyFrozenSet) return "frozenset";
      if (v instanceof Set) return "set";
      if (v instanceof PyObject) return v.kind === "global" ? "type" : v.name;
      return "dict";
    default:
      return typeof v;
  }
}

/** Python truthiness of a decoded value. */
function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") {
    return false;
  }
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v !== "object") return true;
  if (v instanceof PyTuple) return v.items.length > 0;
  if (v instanceof PyFloat) return v.value !== 0;
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length > 0;
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  if (v instanceof PyObject) return true;
  for (const _ in v) return true;
  return false;
}

// ---------------------------------------------------------------------------
// The record
// ---------------------------------------------------------------------------

const START_MS = Date.now();
const PID: number = (() => {
  try {
    return Deno.pid;
  } catch {
    return 0;
  }
})();
const NO_PROBLEMS: string[] = [];

/**
 * A record with what Python's `makeLogRecord()` starts from: one initial
 * value per standard field, in `STANDARD_FIELDS` order (checked when this
 * module loads). Literal initializers, not a loop over a table of defaults:
 * they build a record about four times faster.
 */
class LogRecordImpl implements PythonLogRecord {
  name: string | null = null;
  msg: unknown = "";
  args: unknown = null; // Python: (), equally falsy
  levelname = "Level None";
  levelno: number | null = null;
  pathname: string | null = "";
  filename: string | null = "";
  module: string | null = "";
  exc_info: unknown = null;
  exc_text: string | null = null;
  stack_info: string | null = null;
  lineno = 0;
  funcName: string | null = null;
  created = NaN; // NaN (never accepted): set by makeLogRecord()
  msecs = NaN;
  relativeCreated = NaN;
  thread: number | bigint | null = null;
  threadName: string | null = "MainThread";
  processName: string | null = "MainProcess";
  process: number | null = PID;
  taskName: string | null = null;
  extra: Record<string, unknown> = Object.create(null);
  problems: string[] = NO_PROBLEMS;
  #message: string | undefined = undefined;
  #misfit = false;

  getMessage(): string {
    if (this.#message === undefined) {
      this.#message = this.renderMessage(new TextBudget());
    }
    return this.#message;
  }

  /**
   * The message rendered within `budget`, which the record's other values
   * share (not cached: it depends on what was rendered before it).
   */
  renderMessage(budget: TextBudget): string {
    const msg = this.msg;
    const args = this.args;
    if (!pyTruthy(args)) return pyStr(msg, budget);
    let template: string;
    if (typeof msg === "string") {
      template = msg;
    } else {
      // The formatting charges the text it writes, template included.
      const left = budget.left;
      template = pyStr(msg, budget);
      budget.left = left;
    }
    let expected = 1;
    let result;
    if (args instanceof PyTuple) {
      expected = args.items.length;
      result = percentFormat(template, args.items, undefined, budget);
    } else if (args instanceof Map) {
      const mapping: Record<string, unknown> = Object.create(null);
      for (const [k, v] of args) {
        mapping[typeof k === "string" ? k : keyString(k, [], 0)] = v;
      }
      expected = 0;
      result = percentFormat(template, [args], mapping, budget);
    } else if (
      typeof args === "object" && !Array.isArray(args) &&
      !(args instanceof Uint8Array) && !(args instanceof Set)
    ) {
      expected = 0;
      result = percentFormat(
        template,
        [args],
        args as Record<string, unknown>,
        budget,
      );
    } else {
      result = percentFormat(template, [args], undefined, budget);
    }
    if (result.used < expected && !this.#misfit) {
      this.#misfit = true;
      this.problem(
        `'args' do not fit 'msg': not all arguments converted (${result.used} of ${expected})`,
      );
    }
    return result.text;
  }

  problem(text: string): void {
    if (this.problems === NO_PROBLEMS) this.problems = [];
    this.problems.push(text);
  }
}

/**
 * A record's message rendered within `budget`, the text budget of the
 * record's output (see `text/text_budget.ts`): the budget and its shared
 * containers are those of the record's other values, so a container
 * already expanded prints as `<shared list>`, and the text stops where the
 * budget does. A record not built by {@linkcode makeLogRecord} gives its
 * `getMessage()`, cut to the budget.
 *
 * @param record The record.
 * @param budget The record's text budget.
 * @returns The message.
 */
export function recordMessage(
  record: PythonLogRecord,
  budget: TextBudget,
): string {
  return record instanceof LogRecordImpl
    ? record.renderMessage(budget)
    : budget.cut(record.getMessage());
}

/**
 * Builds a record from a decoded record dict, as Python's
 * `logging.makeLogRecord(dict)` does, and validates every standard field's
 * type.
 *
 * Like Python, it starts from a default record and overlays the received
 * keys. Defaults: `name` `null`, `msg` `""`, `args` `null` (Python: `()`,
 * equally falsy), `levelname` `"Level None"`, `levelno` `null`, `pathname`,
 * `filename`, `module` `""`, `lineno` `0`, `exc_info`/`exc_text`/
 * `stack_info`/`funcName`/`taskName`/`thread` `null`, `threadName`
 * `"MainThread"`, `processName` `"MainProcess"`, `process` the receiver's
 * pid, and `created`/`msecs`/`relativeCreated` from the receiver's clock
 * (`relativeCreated` counts from loading this module).
 *
 * Two deliberate differences from Python, which silently keeps the
 * receiver's values: a missing `msecs` is derived from the received
 * `created`, and a missing `levelname` is derived from `levelno`
 * (`"WARNING"` for 30, `"Level 25"` for unregistered numbers).
 *
 * Never throws. Instead, each missing `levelno`, each mistyped standard
 * field (the field keeps its default), a payload that is not a dict and a
 * non-str key are listed in `problems`. Fields where Python accepts any
 * value (`msg`, `args`) are not checked; `getMessage()` adds a problem when
 * `args` do not fit `msg`.
 *
 * @param dict The decoded pickle payload (a dict with str keys).
 * @returns The record.
 *
 * @example Usage
 * ```ts
 * import { makeLogRecord } from "@pylogging/socket-handler/receiver";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const r = makeLogRecord({ name: "app", msg: "hi %s", args: ["bob"], levelno: "x" });
 * equal(r.name, "app");
 * equal(r.levelno, null);
 * equal(r.getMessage(), "hi ['bob']");
 * deepEqual(r.problems, ["'levelno' must be an int or float: got str 'x'"]);
 * ```
 */
export function makeLogRecord(dict: unknown): PythonLogRecord {
  const r = new LogRecordImpl();
  let seen = 0;
  if (dict instanceof Map) {
    for (const [k, v] of dict) {
      if (typeof k === "string") seen |= setField(r, k, v);
      else r.problem(`Record keys must be str: got ${pyTypeName(k)} key`);
    }
  } else if (
    dict === null || typeof dict !== "object" || Array.isArray(dict) ||
    dict instanceof PyTuple || dict instanceof Uint8Array ||
    dict instanceof Set || dict instanceof PyObject
  ) {
    r.problem(`Record must be a dict: got ${pyTypeName(dict)}`);
  } else {
    const d = dict as { [key: string]: unknown };
    if (Object.getPrototypeOf(d) === null) {
      // loads() dicts: null-prototype objects in V8's dictionary mode, where
      // Object.keys is ~1.6x faster than for-in (same keys, same order).
      const keys = Object.keys(d);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        seen |= setField(r, key, d[key]);
      }
    } else {
      for (const key in d) seen |= setField(r, key, d[key]);
    }
  }
  return finish(r, seen);
}

/**
 * {@linkcode makeLogRecord} of a dict whose keys and values the decoder
 * listed in the order they were set (`loadsRecord`'s `pairs`): the same
 * record, without listing the dict's keys again. The standard field of
 * each key is looked up once per sequence of keys (the keys of the records
 * of a sender repeat); a sequence with a key that may be an array index
 * (listed first by `Object.keys`) or a key set twice goes through
 * `makeLogRecord`, with a deferred dict first filled with its pairs.
 *
 * @param dict The decoded record dict.
 * @param pairs Its keys and values, `[k0, v0, k1, v1…]`, or `undefined`.
 * @param deferred Whether `dict` was left empty, its content only in
 * `pairs` (`loadsRecord`'s `deferred`).
 * @returns The record.
 */
export function makeLogRecordFrom(
  dict: unknown,
  pairs: readonly unknown[] | undefined,
  deferred = false,
): PythonLogRecord {
  const fields = pairs === undefined ? undefined : fieldsOf(pairs);
  if (fields === undefined) {
    if (deferred && pairs !== undefined) setPairs(dict as object, pairs);
    return makeLogRecord(dict);
  }
  const r = new LogRecordImpl();
  let seen = 0;
  for (let i = 0, j = 0; i < fields.length; i++, j += 2) {
    const f = fields[i];
    const key = pairs![j] as string;
    if (f === undefined) r.extra[key] = pairs![j + 1];
    else seen |= setKnown(r, f, key, pairs![j + 1]);
  }
  return finish(r, seen);
}

/** The keys of the sequence seen last by {@linkcode fieldsOf}. */
let planKeys: readonly unknown[] = [];
/** Their standard fields (`undefined` for other keys). */
let planFields: readonly (Field | undefined)[] = [];

/**
 * The standard field of each key of `pairs`, or `undefined` when a key may
 * be an array index or is set twice (`Object.keys` would not list the keys
 * as set).
 */
function fieldsOf(
  pairs: readonly unknown[],
): readonly (Field | undefined)[] | undefined {
  const n = pairs.length >> 1;
  if (n === planKeys.length) {
    let i = 0;
    while (i < n && pairs[2 * i] === planKeys[i]) i++;
    if (i === n) return planFields;
  }
  const keys: unknown[] = [];
  const fields: (Field | undefined)[] = [];
  const distinct = new Set<unknown>();
  for (let j = 0; j < pairs.length; j += 2) {
    const key = pairs[j];
    if (typeof key !== "string") return undefined;
    const c = key.charCodeAt(0);
    if ((c >= 0x30 && c <= 0x39) || distinct.has(key)) return undefined;
    distinct.add(key);
    keys.push(key);
    fields.push(FIELDS_BY_NAME.get(key));
  }
  planKeys = keys;
  planFields = fields;
  return fields;
}

/** The end of `makeLogRecord`: the defaults that depend on what came. */
function finish(r: LogRecordImpl, seen: number): PythonLogRecord {
  if ((seen & SEEN_LEVELNO) === 0) r.problem("'levelno' is missing");
  if ((seen & SEEN_LEVELNAME) === 0 && r.levelno !== null) {
    r.levelname = pythonLevelName(r.levelno);
  }
  // The time fields still NaN were not received, or not valid: they come
  // from the receiver's clock, read only then (it costs about as much as
  // checking every field). A missing msecs comes from created.
  if (
    Number.isNaN(r.created) || Number.isNaN(r.relativeCreated) ||
    Number.isNaN(r.msecs)
  ) {
    const nowMs = Date.now();
    if (Number.isNaN(r.created)) r.created = nowMs / 1000;
    if (Number.isNaN(r.relativeCreated)) r.relativeCreated = nowMs - START_MS;
    if ((seen & SEEN_MSECS) === 0) {
      r.msecs = Math.floor((r.created * 1000) % 1000);
    } else if (Number.isNaN(r.msecs)) r.msecs = nowMs % 1000 - nowMs % 1;
  }
  return r;
}

/** Sets one received key on the record; returns the field's `seen` bit. */
function setField(r: LogRecordImpl, key: string, v: unknown): number {
  const f = FIELDS_BY_NAME.get(key);
  if (f === undefined) {
    r.extra[key] = v;
    return 0;
  }
  return setKnown(r, f, key, v);
}

/** Sets the standard field `f` (named `key`); returns its `seen` bit. */
function setKnown(r: LogRecordImpl, f: Field, key: string, v: unknown): number {
  const type = f.type;
  // An integral float (`loads` with `exact: true`) is a number here.
  if (v instanceof PyFloat && !accepts(type, v)) v = v.value;
  if (!accepts(type, v)) mistyped(r, key, WANT[type]!, v);
  // An int beyond 2⁵³ stays a bigint only where the type says so.
  else if (typeof v === "bigint" && !keepsBigInt(type)) f.set(r, Number(v));
  else f.set(r, v);
  return f.seen;
}

function mistyped(
  r: LogRecordImpl,
  key: string,
  want: string,
  v: unknown,
): void {
  let shown: string;
  try {
    shown = pyRepr(v);
  } catch {
    shown = "?";
  }
  if (shown.length > 60) shown = shown.slice(0, 57) + "...";
  r.problem(`'${key}' must be ${want}: got ${pyTypeName(v)} ${shown}`);
}

// The record's fields must be STANDARD_FIELDS, in order.
{
  const expected = [...STANDARD_FIELDS, "extra", "problems"].join();
  const fields = Object.keys(new LogRecordImpl()).join();
  if (fields !== expected) {
    throw new Error(
      `Cannot load the receiver's record model as its fields are not STANDARD_FIELDS (${STANDARD_FIELDS}): current fields are ${fields}`,
    );
  }
}
