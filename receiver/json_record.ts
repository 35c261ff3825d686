// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The receiver CLI's JSON lines: {@linkcode formatJson} writes a record as
 * one JSON object, {@linkcode parseJsonRecord} reads one back. Lossless for
 * records decoded as the CLI decodes them (`loads` with `exact: true`):
 * every Python type that JSON cannot tell apart is tagged, as an object
 * with one key starting with `$`:
 *
 * | Python | JSON |
 * |---|---|
 * | `None`, `bool`, `str` | `null`, `true`/`false`, a string |
 * | `int` | a number without fraction when within ±(2⁵³−1), else `{"$bigint":"123…"}` (decimal up to 4,300 digits, CPython's `int`/`str` limit; beyond it hexadecimal, `{"$bigint":"0x1f…"}` or `"-0x1f…"`, never converted to decimal) |
 * | `float` | a number when finite and not integral (`0.5`, `1e-7`), else `{"$float":"1.0"}` (Python's `repr`: `"-0.0"`, `"1e+300"`, `"nan"`, `"inf"`, `"-inf"`) |
 * | `list` / `tuple` | an array / `{"$tuple":[…]}` |
 * | `set` / `frozenset` | `{"$set":[…]}` / `{"$frozenset":[…]}` |
 * | `bytes` / `bytearray` | `{"$bytes":"<base64>"}` / `{"$bytearray":"<base64>"}` |
 * | `dict` with `str` keys, none starting with `$` | an object |
 * | any other `dict` | `{"$dict":[[key, value], …]}` |
 * | an inert `PyObject` | `{"$object":"datetime.date","repr":"datetime.date(2024, 1, 2)","str":"2024-01-02"}` |
 * | a container met again inside itself | `{"$cycle":"list"}` (or `tuple`, `set`, `dict`, `object`) |
 * | a non-empty container met again elsewhere in the record (a shared reference) | `{"$shared":"list"}` (or `tuple`, `set`, `dict`): its contents are written the first time only |
 * | a value left out as the record's budget is spent | `{"$omitted":N}` |
 *
 * A record's JSON is bounded, so that a small pickle of shared references
 * or repeated strings cannot expand without limit: its values share one
 * `TextBudget` of `MAX_RECORD_TEXT` (1 MiB) of text, spent in the order
 * written, except that the short standard fields (all but `msg`, `args`,
 * `exc_text` and `stack_info`) are charged first. When it runs out, a
 * string is cut and ends with `…[N more characters]` (N: the UTF-16 code
 * units left out), a list, tuple or set stops with a last item
 * `{"$omitted":N}` (a dict: a key `"$omitted"`), N being the items left
 * out, and an `int` or `bytes`, written whole while the budget lasts, is
 * then `{"$omitted":1}`. `message` gets what is left of the budget, with
 * shared references of its own (it is text beside `msg` and `args`: a
 * container of `args` prints in full in both).
 *
 * So a JSON number is a Python `int` when it is integral and a `float`
 * otherwise. The record object itself holds the standard fields (typed as
 * in `PythonLogRecord`: `created`, `msecs` and `relativeCreated` are plain
 * numbers), then the extras, then `message` and, for an invalid record,
 * `$problems` (a list of strings).
 *
 * The line holds no control character, not even in strings: besides JSON's
 * own escapes of C0 controls, DEL, C1 controls, U+2028/U+2029 and the bidi
 * overrides and isolates are written as `\u` escapes.
 *
 * @module
 */
import { STANDARD_FIELDS } from "../record/schema.ts";
import { setOwn } from "../record/own.ts";
import {
  PyByteArray,
  PyFloat,
  PyFrozenSet,
  PyTuple,
} from "../pickle/py_types.ts";
import { PyObject } from "../pickle/py_object.ts";
import { isHugeInt, pyFloatRepr, pyRepr, pyStr } from "../text/python_text.ts";
import { TextBudget } from "../text/text_budget.ts";
import type { PythonLogRecord } from "./python_log_record.ts";
import { recordMessage } from "./record.ts";

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A float: a number when finite and not integral, else tagged. */
function floatJson(x: number): unknown {
  return Number.isFinite(x) && !Number.isInteger(x)
    ? x
    : { $float: pyFloatRepr(x) };
}

function isPlainDict(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

/** The state of one record's conversion. */
interface JsonState {
  /** The containers above (cycles). */
  seen: object[];
  /** The record's text budget (and its shared containers). */
  budget: TextBudget;
}

function bigintJson(v: bigint): unknown {
  if (Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v) {
    return Number(v);
  }
  if (!isHugeInt(v)) return { $bigint: v.toString() };
  return {
    $bigint: v < 0n ? "-0x" + (-v).toString(16) : "0x" + v.toString(16),
  };
}

/** What stands for a value left out as the budget is spent. */
function omitted(budget: TextBudget): unknown {
  budget.cuts++;
  return { $omitted: 1 };
}

/**
 * A value JSON cannot cut (an `int`, `bytes`): written whole while the
 * budget lasts, else `{"$omitted":1}`.
 */
function whole(text: string, json: unknown, budget: TextBudget): unknown {
  if (budget.left <= 0) return omitted(budget);
  budget.left -= text.length;
  return json;
}

function containerSize(v: object): number {
  if (Array.isArray(v)) return v.length;
  if (v instanceof PyTuple) return v.items.length;
  if (v instanceof Set || v instanceof Map) return v.size;
  for (const _ in v) return 1;
  return 0;
}

/** The JSON form of a decoded value. */
function toJson(v: unknown, st: JsonState): unknown {
  const budget = st.budget;
  budget.left -= 8;
  switch (typeof v) {
    case "bigint": {
      const json = bigintJson(v);
      return typeof json === "number"
        ? json
        : whole((json as { $bigint: string }).$bigint, json, budget);
    }
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0) ? v : floatJson(v);
    case "string":
      return budget.cut(v);
    case "boolean":
      return v;
    case "object":
      break;
    default:
      return null;
  }
  if (v === null) return null;
  if (v instanceof PyFloat) return floatJson(v.value);
  if (v instanceof PyObject) {
    const $object = budget.cut(v.qualname);
    const [repr, str] = budget.alike(
      () => pyRepr(v, budget),
      () => pyStr(v, budget),
    );
    return { $object, repr, str };
  }
  if (v instanceof Uint8Array) {
    if (budget.left <= 0) return omitted(budget);
    const text = base64(v);
    return whole(
      text,
      v instanceof PyByteArray ? { $bytearray: text } : { $bytes: text },
      budget,
    );
  }
  const seen = st.seen;
  if (seen.includes(v)) return { $cycle: cycleName(v) };
  if (containerSize(v) !== 0 && !budget.firstTime(v)) {
    return { $shared: cycleName(v) };
  }
  seen.push(v);
  try {
    const all = (items: Iterable<unknown>, size: number) => {
      const out: unknown[] = [];
      for (const x of items) {
        if (budget.left <= 0) {
          out.push({ $omitted: size - out.length });
          budget.cuts++;
          break;
        }
        out.push(toJson(x, st));
      }
      return out;
    };
    if (Array.isArray(v)) return all(v, v.length);
    if (v instanceof PyTuple) return { $tuple: all(v.items, v.items.length) };
    if (v instanceof PyFrozenSet) return { $frozenset: all(v, v.size) };
    if (v instanceof Set) return { $set: all(v, v.size) };
    const entries = v instanceof Map
      ? [...v]
      : isPlainDict(v)
      ? Object.entries(v)
      : undefined;
    if (entries === undefined) return budget.cut(String(v));
    if (
      v instanceof Map &&
        entries.some(([k]) => typeof k !== "string" || k.startsWith("$")) ||
      !(v instanceof Map) && entries.some(([k]) => k.startsWith("$"))
    ) {
      const pairs: unknown[] = [];
      for (const [k, x] of entries) {
        if (budget.left <= 0) {
          pairs.push({ $omitted: entries.length - pairs.length });
          budget.cuts++;
          break;
        }
        pairs.push([toJson(k, st), toJson(x, st)]);
      }
      return { $dict: pairs };
    }
    const out: Record<string, unknown> = {};
    let written = 0;
    for (const [k, x] of entries) {
      if (budget.left <= 0) {
        setOwn(out, "$omitted", entries.length - written);
        budget.cuts++;
        break;
      }
      budget.left -= k.length;
      setOwn(out, k as string, toJson(x, st));
      written++;
    }
    return out;
  } finally {
    seen.pop();
  }
}

function cycleName(v: object): string {
  if (Array.isArray(v)) return "list";
  if (v instanceof PyTuple) return "tuple";
  if (v instanceof Set) return "set";
  return isPlainDict(v) || v instanceof Map ? "dict" : "object";
}

/**
 * The standard fields whose text may be long (`msg`, `args`, `exc_text`,
 * `stack_info`), charged to the budget after the others, so that a long
 * message cannot crowd out the level or the logger name. Only `msg` and
 * `args` may hold containers, and they keep their order: a shared
 * container is still expanded where it is first written.
 */
const LONG_FIELDS: readonly string[] = [
  "msg",
  "args",
  "exc_text",
  "stack_info",
];
/** The other standard fields: numbers, `None` and short strings. */
const SHORT_FIELDS = STANDARD_FIELDS.filter((k) => !LONG_FIELDS.includes(k));
/** The standard fields in their order, each `null`. */
const KEY_ORDER: Readonly<Record<string, null>> = Object.fromEntries(
  STANDARD_FIELDS.map((k) => [k, null]),
);

/**
 * One JSON line for a record: standard fields, extras, `message`, and
 * `$problems` when there are any. See the module docs for the tags.
 *
 * @param record The record.
 * @returns The JSON text (no newline).
 */
export function formatJson(record: PythonLogRecord): string {
  // a copy of one object keeps the keys' order, in one hidden class
  const out: Record<string, unknown> = { ...KEY_ORDER };
  const fields = record as unknown as Record<string, unknown>;
  const budget = new TextBudget();
  const st: JsonState = { seen: [], budget };
  for (const key of SHORT_FIELDS) out[key] = toJson(fields[key], st);
  for (const key of LONG_FIELDS) out[key] = toJson(fields[key], st);
  for (const key in record.extra) {
    setOwn(out, key, toJson(record.extra[key], st));
  }
  // The message is text beside the raw `msg` and `args`: what is left of
  // the budget, but shared containers of its own, so that a container of
  // `args` prints in full in both.
  out.message = recordMessage(record, new TextBudget(Math.max(budget.left, 0)));
  if (record.problems.length > 0) out.$problems = record.problems;
  const text = JSON.stringify(out);
  // JSON.stringify escapes C0 controls only: the rest too, as \uXXXX.
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, unicodeEscape) : text;
}

/**
 * One value as {@linkcode formatJson} writes it (tags and all, no control
 * character), within a record's text budget, which the record's other
 * values share: the JSON of an attribute for a text that holds one value
 * (a syslog structured-data parameter, say).
 *
 * @param value A decoded value.
 * @param budget The text budget of the record the value belongs to.
 * @returns The JSON text.
 */
export function formatJsonValue(value: unknown, budget: TextBudget): string {
  const text = JSON.stringify(toJson(value, { seen: [], budget }));
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, unicodeEscape) : text;
}

const UNSAFE = /[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

function unicodeEscape(c: string): string {
  return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
}

/**
 * The value a JSON value of the CLI's schema stands for: tags become
 * `bigint`, `PyFloat` (an integral float) or a number (`nan`, `inf`),
 * `PyTuple`, `Set`/`PyFrozenSet`, `Uint8Array`/`PyByteArray`, and a dict
 * with non-str keys a `Map`; objects become objects with a `null`
 * prototype, as `loads` gives them. `$object`, `$cycle`, `$shared` and
 * `$omitted` stay as they are (a placeholder is described, not rebuilt).
 *
 * @param v A parsed JSON value.
 * @returns The value, as `loads` with `exact: true` decodes it.
 * @throws {TypeError} If a tag's content is not of its type.
 */
export function fromJsonValue(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return v.map(fromJsonValue);
  const o = v as Record<string, unknown>;
  const tag = Object.keys(o).find((k) => k.startsWith("$"));
  const items = (x: unknown) => {
    if (!Array.isArray(x)) {
      throw new TypeError(`Cannot read tag '${tag}': expected an array`);
    }
    return x.map(fromJsonValue);
  };
  const text = (x: unknown) => {
    if (typeof x !== "string") {
      throw new TypeError(`Cannot read tag '${tag}': expected a string`);
    }
    return x;
  };
  switch (tag) {
    case undefined: {
      const out: Record<string, unknown> = Object.create(null);
      for (const k of Object.keys(o)) out[k] = fromJsonValue(o[k]);
      return out;
    }
    case "$bigint": {
      const t = text(o.$bigint);
      return t.startsWith("-0x") ? -BigInt(t.slice(1)) : BigInt(t);
    }
    case "$float": {
      const t = text(o.$float);
      const x = t === "nan"
        ? NaN
        : t === "inf"
        ? Infinity
        : t === "-inf"
        ? -Infinity
        : Number(t);
      return Number.isInteger(x) ? new PyFloat(x) : x;
    }
    case "$tuple":
      return new PyTuple(items(o.$tuple));
    case "$set":
      return new Set(items(o.$set));
    case "$frozenset":
      return new PyFrozenSet(items(o.$frozenset));
    case "$bytes":
      return fromBase64(text(o.$bytes));
    case "$bytearray": {
      const b = fromBase64(text(o.$bytearray));
      const out = new PyByteArray(b.length);
      out.set(b);
      return out;
    }
    case "$dict": {
      const entries = items(o.$dict).map((e) => {
        if (!Array.isArray(e) || e.length !== 2) {
          throw new TypeError(
            "Cannot read tag '$dict': expected [key, value] pairs",
          );
        }
        return e as [unknown, unknown];
      });
      if (entries.every(([k]) => typeof k === "string")) {
        const out: Record<string, unknown> = Object.create(null);
        for (const [k, x] of entries) out[k as string] = x;
        return out;
      }
      return new Map(entries);
    }
    default:
      return o;
  }
}

/**
 * Reads one line of the CLI's `--format json` output back into values
 * (see {@linkcode fromJsonValue}): the record's fields, extras and
 * `message` by name, and `$problems` as it is.
 *
 * @param line One JSON line.
 * @returns The fields, in an object with a `null` prototype.
 * @throws {SyntaxError} If the line is not JSON.
 * @throws {TypeError} If it is not a JSON object, or a tag is malformed.
 *
 * @example Usage
 * ```ts
 * import { parseJsonRecord } from "@pylogging/socket-handler/cli";
 * import { PyFloat } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * const r = parseJsonRecord('{"name":"app","ratio":{"$float":"1.0"}}');
 * deepEqual(r.ratio, new PyFloat(1));
 * ```
 */
export function parseJsonRecord(line: string): Record<string, unknown> {
  const o: unknown = JSON.parse(line);
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new TypeError("Cannot read the JSON record: expected an object");
  }
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(o)) {
    out[k] = k === "$problems" ? v : fromJsonValue(v);
  }
  return out;
}
