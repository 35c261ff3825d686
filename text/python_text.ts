// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Python's `str()`, `repr()` and `ascii()` of JavaScript values, viewed as
 * the Python values this package pickles them as: a safe integer
 * (`Number.isSafeInteger`, not `-0`), a `bigint` or a boolean is an `int` (a
 * boolean prints `True`/`False`), any other number or a {@linkcode PyFloat} is
 * a `float`, `null`/`undefined` is `None`, an array is a `list`, a
 * {@linkcode PyTuple} a `tuple`, a plain object or a `Map` a `dict`, a `Set` a
 * `set`, a `Uint8Array` `bytes`, a `Date` its ISO string, an `Error` an
 * exception (`str()` is its message, `repr()` is `Name('message')`), and
 * anything else (functions, symbols, class instances, …) a string describing
 * it. An `int` of more than 4,300 decimal digits (CPython's default
 * `sys.get_int_max_str_digits()`) is never converted to decimal: it prints
 * `<int of N bits>` or `<negative int of N bits>` ({@linkcode intText}).
 * A container inside itself prints `[...]` as in Python. Also the helpers
 * that read values without ever throwing ({@linkcode safeString},
 * {@linkcode unreadable}, {@linkcode describe}).
 *
 * **Bounds.** Every rendering is bounded by a `TextBudget`
 * (`text_budget.ts`): the receiver's formatters pass one per record to all
 * the record's values, so these rules hold for the record as a whole; a
 * call without one gets its own (1 MiB; a `str()` of a `str` is the string
 * itself).
 * - Shared references: a non-empty container met again within the budget,
 *   but not inside itself (a shared reference, e.g. from a pickle's memo),
 *   prints its contents only the first time and then a marker such as
 *   `<shared list>` (`tuple`, `set`, `frozenset`, `dict`), so that a small
 *   pickle of shared references cannot expand into an exponential text;
 *   empty containers print as themselves.
 * - Truncation: the text stops where the budget does, visibly. A string
 *   keeps what fits and ends with `…[N more characters]`, N being the
 *   UTF-16 code units left out (inside the quotes in a `repr()`: `'abc…[5
 *   more characters]'`); other text (a number's digits, bytes, an object)
 *   is cut and ends with `…`; and when more would have followed the cut
 *   (the rest of a container, of an object, of a message), a last `…`
 *   says so: `['abc…[5 more characters]'…`. Once the budget is spent, a
 *   further value prints as its marker alone (`…`, or `'…[N more
 *   characters]'` for a string). The markers are written as they are,
 *   even by `ascii()`. The CLI's JSON follows the same rules
 *   (`receiver/json_record.ts`), with `{"$omitted":N}` for items left out.
 *
 * @example Usage
 * ```ts
 * import { pyRepr, pyStr } from "./python_text.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(pyStr(1.5), "1.5");
 * equal(pyStr(2 ** 60), "1.152921504606847e+18");
 * equal(pyRepr(["a", null, true]), "['a', None, True]");
 * ```
 *
 * @example One budget for a record's values
 * ```ts
 * import { pyRepr, pyStr } from "./python_text.ts";
 * import { TextBudget } from "./text_budget.ts";
 * import { equal } from "node:assert/strict";
 *
 * const shared = [1, 2];
 * const budget = new TextBudget(31); // 6 + 24 + 1
 * equal(pyRepr(shared, budget), "[1, 2]");
 * equal(pyRepr({ again: shared }, budget), "{'again': <shared list>}");
 * equal(pyStr("0123456789", budget), "0…[9 more characters]");
 * ```
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
import { objectRepr, objectStr, type TextSink } from "./py_object_text.ts";
import { cutPoint, moreCharacters, TextBudget } from "./text_budget.ts";

/**
 * Longest text built for one value rendered without a record's budget, in
 * UTF-16 code units.
 */
const MAX_REPR_LENGTH = 1_048_576;
/** Deepest container nesting rendered by `repr()`. */
const MAX_DEPTH = 32;

// ---------------------------------------------------------------------------
// int text.

/** CPython's default `sys.get_int_max_str_digits()`. */
export const MAX_INT_DIGITS = 4300;
const INT_DIGITS_LIMIT = 10n ** BigInt(MAX_INT_DIGITS);

/**
 * Whether an integer has more than 4,300 decimal digits, too many for
 * CPython's `str()` (and costly to convert: decimal conversion is
 * superlinear).
 *
 * @param v The integer.
 * @returns Whether it is that large.
 */
export function isHugeInt(v: bigint): boolean {
  return v >= INT_DIGITS_LIMIT || v <= -INT_DIGITS_LIMIT;
}

/**
 * The number of bits of an integer's magnitude, in linear time.
 *
 * @param v The integer.
 * @returns Its bit length (0 for 0).
 */
export function bitLength(v: bigint): number {
  if (v === 0n) return 0;
  const hex = (v < 0n ? -v : v).toString(16);
  return (hex.length - 1) * 4 + parseInt(hex[0]!, 16).toString(2).length;
}

/**
 * Python's `str()` of an `int`, or `<int of N bits>` (`<negative int of N
 * bits>`) for one of more than 4,300 decimal digits, which is never
 * converted to decimal.
 *
 * @param v The integer.
 * @returns The text.
 */
export function intText(v: bigint): string {
  if (!isHugeInt(v)) return v.toString();
  return `<${v < 0n ? "negative " : ""}int of ${bitLength(v)} bits>`;
}

// ---------------------------------------------------------------------------
// float repr.

/**
 * The exponent suffix of Python's float formatting: `e+05`, `E-12`.
 *
 * @param exp10 The decimal exponent.
 * @param upper `E` rather than `e`.
 * @returns The suffix.
 */
export function expSuffix(exp10: number, upper: boolean): string {
  const a = Math.abs(exp10);
  return (upper ? "E" : "e") + (exp10 < 0 ? "-" : "+") + (a < 10 ? "0" : "") +
    a;
}

/**
 * Python's `repr()` of a `float`: the shortest round-trip digits, fixed
 * notation for decimal exponents -4..15 (always with a `.`), else scientific
 * (`1e+16`, `1.5e-07`).
 *
 * @param x The number.
 * @returns Python's `repr(float(x))`.
 */
export function pyFloatRepr(x: number): string {
  if (!Number.isFinite(x)) {
    return Number.isNaN(x) ? "nan" : x < 0 ? "-inf" : "inf";
  }
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const ax = x < 0 ? -x : x;
  if (ax >= 1e-4 && ax < 1e16) {
    // Both JavaScript and Python print the shortest round-trip digits, in
    // fixed notation throughout this range; JavaScript omits the ".0" of an
    // integral value.
    const t = String(x);
    return t.includes(".") ? t : t + ".0";
  }
  const s = x.toExponential(); // shortest round-trip digits
  const ePos = s.indexOf("e");
  const neg = s.charCodeAt(0) === 0x2d;
  const digits = s.slice(neg ? 1 : 0, ePos).replace(".", "");
  const e10 = Number(s.slice(ePos + 1));
  const sign = neg ? "-" : "";
  if (e10 >= -4 && e10 < 16) {
    if (e10 < 0) return sign + "0." + "0".repeat(-e10 - 1) + digits;
    const int = digits.length > e10 + 1
      ? digits.slice(0, e10 + 1)
      : digits + "0".repeat(e10 + 1 - digits.length);
    const frac = digits.slice(e10 + 1);
    return sign + int + "." + (frac === "" ? "0" : frac);
  }
  return sign + digits[0] + (digits.length > 1 ? "." + digits.slice(1) : "") +
    expSuffix(e10, false);
}

// ---------------------------------------------------------------------------
// str() / repr() of JavaScript values.

/**
 * Python's `str()` of the value this package sends for `value` (see the
 * module documentation). Never throws.
 *
 * @param value Any value.
 * @param budget The text budget of the record `value` belongs to, shared
 * with its other values (see the module documentation). Without one, a
 * string prints whole and anything else stops after 1 MiB.
 * @returns The text.
 */
export function pyStr(value: unknown, budget?: TextBudget): string {
  switch (typeof value) {
    case "string":
      return budget === undefined ? value : budget.cut(value);
    case "number":
      return within(
        Number.isSafeInteger(value) && !Object.is(value, -0)
          ? String(value)
          : pyFloatRepr(value),
        budget,
      );
    case "boolean":
      return within(value ? "True" : "False", budget);
    case "bigint":
      return within(intText(value), budget);
    case "undefined":
      return within("None", budget);
    case "symbol":
    case "function":
      return within(describe(value), budget);
  }
  if (value === null) return within("None", budget);
  try {
    if (isError(value)) {
      const message = errorMessage(value);
      return budget === undefined ? message : budget.cut(message);
    }
    if (value instanceof Date) return within(dateString(value), budget);
    if (value instanceof PyObject) {
      const st = newState(budget ?? new TextBudget(MAX_REPR_LENGTH));
      objectStr(value, sink(st, 0, false));
      return finish(st);
    }
    if (printsRepr(value)) return pyRepr(value, budget);
  } catch {
    // a hostile proxy: describe it
  }
  return within(describe(value), budget);
}

/**
 * Python's `repr()` of the value this package sends for `value` (see the
 * module documentation). Nesting deeper than 32 levels renders as `'…'`, a
 * container seen again inside itself as `[...]`/`{...}` (like Python), a
 * shared container seen again elsewhere as `<shared list>` (or `tuple`,
 * `set`, `frozenset`, `dict`), and the text stops at its budget (1 MiB by
 * default), ending with `…`. Never throws.
 *
 * @param value Any value.
 * @param budget The text budget of the record `value` belongs to, shared
 * with its other values (see the module documentation); by default 1 MiB
 * for this value alone.
 * @returns The text.
 */
export function pyRepr(value: unknown, budget?: TextBudget): string {
  return render(value, budget, false);
}

/**
 * Python's `ascii()`: {@linkcode pyRepr} with every non-ASCII character
 * escaped (the truncation markers excepted).
 *
 * @param value Any value.
 * @param budget The text budget of the record `value` belongs to, as for
 * {@linkcode pyRepr}.
 * @returns The text.
 */
export function pyAscii(value: unknown, budget?: TextBudget): string {
  return render(value, budget, true);
}

/** A text within the budget, if any (cut with `…`). */
function within(text: string, budget: TextBudget | undefined): string {
  return budget === undefined ? text : budget.take(text);
}

/** Whether Python's `str()` of a value is its `repr()`. Never throws. */
function printsRepr(v: unknown): boolean {
  try {
    return Array.isArray(v) || v instanceof PyTuple || v instanceof PyFloat ||
      v instanceof Map || v instanceof Set || v instanceof Uint8Array ||
      isPlainObject(v);
  } catch {
    return false;
  }
}

/** One rendering: its text so far, its cycle guard and its budget. */
interface ReprState {
  out: string;
  /** The containers being rendered around the current value. */
  seen: object[];
  /** The record's budget: shared containers, and the text it allows. */
  budget: TextBudget;
  /** Length of `out` at which the text is cut. */
  limit: number;
  /** Nothing more is written: the text was cut. */
  stopped: boolean;
  /** Text was left out after the cut: the result ends with `…`. */
  dropped: boolean;
}

function newState(
  budget: TextBudget,
  limit = budget.left > 0 ? budget.left : 0,
  seen: object[] = [],
): ReprState {
  return { out: "", seen, budget, limit, stopped: false, dropped: false };
}

function render(
  value: unknown,
  budget: TextBudget | undefined,
  ascii: boolean,
): string {
  if (budget !== undefined && typeof value !== "object") {
    // Fast paths: a string that fits, a number (no state to build).
    if (typeof value === "string") {
      if (value.length + 2 <= budget.left) {
        const t = strRepr(value, ascii);
        if (t.length <= budget.left) {
          budget.left -= t.length;
          return t;
        }
      }
    } else if (typeof value === "number") {
      return budget.take(pyStr(value));
    }
  }
  const st = newState(budget ?? new TextBudget(MAX_REPR_LENGTH));
  reprInto(value, st, 0, ascii);
  return finish(st);
}

/** The text of a rendering, charged to its budget. */
function finish(st: ReprState): string {
  const text = st.dropped ? st.out + "…" : st.out;
  st.budget.left -= text.length;
  if (st.stopped) st.budget.cuts++;
  return text;
}

/**
 * Appends text; what does not fit is cut and nothing more is written. A
 * string value (`more`) ends its cut with `…[N more characters]`, other
 * text with the `…` that `finish` adds.
 */
function put(st: ReprState, s: string, more = false): void {
  if (st.stopped) {
    if (s !== "") st.dropped = true;
    return;
  }
  const room = st.limit - st.out.length;
  if (s.length <= room) {
    st.out += s;
    return;
  }
  const keep = cutPoint(s, room);
  st.out += s.slice(0, keep);
  if (more) st.out += moreCharacters(s.length - keep);
  else st.dropped = true;
  st.stopped = true;
}

/** Appends a string as `str()` writes it, cut with `…[N more characters]`. */
function textInto(st: ReprState, s: string): void {
  put(st, s, true);
}

/**
 * Appends a string's `repr()` (or `ascii()`), cut inside its quotes with
 * `…[N more characters]`.
 */
function quotedInto(st: ReprState, s: string, ascii: boolean): void {
  if (st.stopped) {
    st.dropped = true;
    return;
  }
  if (s === "") {
    put(st, "''");
    return;
  }
  const room = st.limit - st.out.length;
  if (s.length + 2 <= room) {
    const t = strRepr(s, ascii);
    if (t.length <= room) {
      st.out += t;
      return;
    }
  }
  st.out += strReprCut(s, ascii, room - 2);
  st.stopped = true;
}

/** A sink writing a placeholder's text and nested values into `st`. */
function sink(st: ReprState, depth: number, ascii: boolean): TextSink {
  return {
    text: (s) => put(st, s),
    repr: (v) => reprInto(v, st, depth + 1, ascii),
    str: (v) => {
      if (typeof v === "string") textInto(st, v);
      else if (v instanceof PyObject && depth < MAX_DEPTH) {
        objectStr(v, sink(st, depth + 1, ascii));
      } else if (typeof v === "object" && v !== null && printsRepr(v)) {
        reprInto(v, st, depth + 1, ascii);
      } else put(st, pyStr(v));
    },
  };
}

/** Longest text rendered for one non-primitive Map key or Set member. */
const MAX_KEY_LENGTH = 2000;

function reprInto(v: unknown, st: ReprState, depth: number, ascii: boolean) {
  if (st.stopped) {
    st.dropped = true;
    return;
  }
  switch (typeof v) {
    case "string":
      quotedInto(st, v, ascii);
      return;
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      put(st, pyStr(v));
      return;
    case "symbol":
    case "function":
      quotedInto(st, describe(v), ascii);
      return;
  }
  if (v === null) {
    put(st, "None");
    return;
  }
  const o = v as object;
  if (depth >= MAX_DEPTH) {
    quotedInto(st, "…", ascii);
    return;
  }
  try {
    if (o instanceof PyFloat) {
      put(st, pyFloatRepr(Number(o.value)));
      return;
    }
    if (o instanceof PyObject) {
      if (st.seen.includes(o)) {
        put(st, "...");
        return;
      }
      st.seen.push(o);
      try {
        objectRepr(o, sink(st, depth, ascii));
      } finally {
        st.seen.pop();
      }
      return;
    }
    if (Array.isArray(o) || o instanceof PyTuple || o instanceof Set) {
      sequenceInto(o, st, depth, ascii);
      return;
    }
    if (o instanceof Map || isPlainObject(o)) {
      dictInto(o, st, depth, ascii);
      return;
    }
    if (o instanceof Uint8Array) {
      const n = Math.min(o.length, st.limit - st.out.length + 1);
      put(
        st,
        o instanceof PyByteArray
          ? `bytearray(${bytesRepr(o, n)})`
          : bytesRepr(o, n),
      );
      return;
    }
    if (o instanceof Date) {
      quotedInto(st, dateString(o), ascii);
      return;
    }
    if (isError(o)) {
      const msg = errorMessage(o);
      put(st, errorName(o) + "(");
      if (msg !== "") quotedInto(st, msg, ascii);
      put(st, ")");
      return;
    }
  } catch {
    // fall through to the description
  }
  quotedInto(st, describe(o), ascii);
}

/** A list, tuple, set or frozenset. */
function sequenceInto(
  o: unknown[] | PyTuple | Set<unknown>,
  st: ReprState,
  depth: number,
  ascii: boolean,
) {
  const tuple = o instanceof PyTuple;
  const set = o instanceof Set;
  if (st.seen.includes(o)) {
    put(st, tuple ? "(...)" : set ? "{...}" : "[...]");
    return;
  }
  const frozen = o instanceof PyFrozenSet;
  const size = tuple
    ? o.items.length
    : set
    ? (o as Set<unknown>).size
    : (o as unknown[]).length;
  if (size !== 0 && !st.budget.firstTime(o)) {
    put(
      st,
      tuple
        ? "<shared tuple>"
        : frozen
        ? "<shared frozenset>"
        : set
        ? "<shared set>"
        : "<shared list>",
    );
    return;
  }
  const items: readonly unknown[] | Iterable<unknown> = tuple
    ? o.items
    : set
    ? Set.prototype.values.call(o)
    : o as unknown[];
  st.seen.push(o);
  const start = st.out.length;
  put(st, frozen ? "frozenset({" : tuple ? "(" : set ? "{" : "[");
  let count = 0;
  if (Array.isArray(items)) {
    for (let i = 0; i < items.length; i++) {
      if (st.stopped) break;
      if (i > 0) put(st, ", ");
      reprInto(items[i], st, depth + 1, ascii);
      count++;
    }
  } else {
    for (const item of items) {
      if (st.stopped) break;
      if (count > 0) put(st, ", ");
      if (set) keyInto(item, st, depth + 1, ascii);
      else reprInto(item, st, depth + 1, ascii);
      count++;
    }
  }
  st.seen.pop();
  if (set && count === 0 && !st.stopped) {
    st.out = st.out.slice(0, start);
    put(st, frozen ? "frozenset()" : "set()");
    return;
  }
  put(st, tuple ? (count === 1 ? ",)" : ")") : frozen ? "})" : set ? "}" : "]");
}

/** A dict: a `Map` or a plain object. */
function dictInto(
  o: Map<unknown, unknown> | Record<string, unknown>,
  st: ReprState,
  depth: number,
  ascii: boolean,
) {
  if (st.seen.includes(o)) {
    put(st, "{...}");
    return;
  }
  const keys = o instanceof Map ? undefined : Object.keys(o);
  const size = keys === undefined
    ? (o as Map<unknown, unknown>).size
    : keys.length;
  if (size !== 0 && !st.budget.firstTime(o)) {
    put(st, "<shared dict>");
    return;
  }
  st.seen.push(o);
  put(st, "{");
  let first = true;
  if (keys === undefined) {
    for (const [k, val] of Map.prototype.entries.call(o)) {
      if (st.stopped) break;
      if (!first) put(st, ", ");
      first = false;
      keyInto(k, st, depth + 1, ascii);
      put(st, ": ");
      reprInto(val, st, depth + 1, ascii);
    }
  } else {
    for (const k of keys) {
      if (st.stopped) break;
      if (!first) put(st, ", ");
      first = false;
      quotedInto(st, k, ascii);
      put(st, ": ");
      let val: unknown;
      try {
        val = (o as Record<string, unknown>)[k];
      } catch (e) {
        val = unreadable(e);
      }
      reprInto(val, st, depth + 1, ascii);
    }
  }
  st.seen.pop();
  put(st, "}");
}

/**
 * Map keys and set members must be hashable in Python: primitives stay, other
 * values are sent as their `str()` (rendered with the caller's cycle state,
 * at most 2,000 code units), so they print as a quoted string.
 */
function keyInto(k: unknown, st: ReprState, depth: number, ascii: boolean) {
  if (
    k === null || k === undefined || typeof k === "string" ||
    typeof k === "number" || typeof k === "boolean" || typeof k === "bigint" ||
    k instanceof PyFloat
  ) {
    reprInto(k, st, depth, ascii);
    return;
  }
  quotedInto(st, keyString(k, st.seen, depth, st.budget), ascii);
}

/**
 * `str()` of a non-primitive key, bounded and cycle-safe.
 *
 * @param k The key.
 * @param seen The containers being rendered around it (cycle guard).
 * @param depth Its nesting depth.
 * @param budget The budget of the record it belongs to, for its shared
 * containers (`<shared list>`…); its text is not charged here.
 * @returns The text, cut after 2,000 code units (ending with `…`).
 */
export function keyString(
  k: unknown,
  seen: object[],
  depth: number,
  budget?: TextBudget,
): string {
  if (typeof k === "object" && k !== null) {
    const container = k instanceof PyObject || (printsRepr(k) &&
      !(k instanceof PyFloat) && !(k instanceof Uint8Array));
    if (container) {
      const st = newState(
        budget ?? new TextBudget(MAX_KEY_LENGTH),
        MAX_KEY_LENGTH,
        seen,
      );
      if (k instanceof PyObject) objectStr(k, sink(st, depth, false));
      else reprInto(k, st, depth, false);
      return st.dropped ? st.out + "…" : st.out;
    }
  }
  const s = pyStr(k);
  return s.length > MAX_KEY_LENGTH ? s.slice(0, MAX_KEY_LENGTH) + "…" : s;
}

/**
 * Whether a value is a plain object (prototype `Object.prototype` or `null`).
 * May throw for hostile proxies.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Whether a value is an Error (any realm). May throw for revoked proxies. */
export function isError(v: unknown): v is Error {
  if (v instanceof Error) return true;
  return typeof v === "object" && v !== null &&
    Object.prototype.toString.call(v) === "[object Error]";
}

function errorName(e: object): string {
  try {
    const n = (e as { name?: unknown }).name;
    if (typeof n === "string" && n !== "") return n;
  } catch {
    // ignore
  }
  return "Error";
}

function errorMessage(e: object): string {
  try {
    const m = (e as { message?: unknown }).message;
    return typeof m === "string" ? m : m === undefined ? "" : safeString(m);
  } catch (err) {
    return unreadable(err);
  }
}

function dateString(d: Date): string {
  const t = Date.prototype.getTime.call(d);
  return Number.isNaN(t) ? "Invalid Date" : Date.prototype.toISOString.call(d);
}

/** Text for a property whose getter threw. */
export function unreadable(e: unknown): string {
  let what: string;
  try {
    what = isError(e) ? errorName(e) + ": " + errorMessage(e) : safeString(e);
  } catch {
    what = "unknown error";
  }
  return "<unreadable: " + what + ">";
}

/**
 * A string for any value, never throwing and never unbounded: a string as is,
 * anything else {@linkcode pyStr} (so a sparse array of length 2³²−1 does not
 * hang like `String()` would).
 *
 * @param v Any value.
 * @returns The text.
 */
export function safeString(v: unknown): string {
  return typeof v === "string" ? v : pyStr(v);
}

const INSPECT_OPTIONS = {
  colors: false,
  compact: true,
  breakLength: Infinity,
  depth: 2,
  iterableLimit: 20,
  strAbbreviateSize: 200,
  getters: false,
  showProxy: false,
} as const;

/**
 * A one-line description of a value with no Python counterpart: a symbol's
 * `Symbol(desc)`, a function's `[Function: name]`, an object's own
 * `toString()` when it has one (`URL`, `RegExp`, …), else `Deno.inspect()`
 * (`Foo { a: 1 }`, `Promise { <pending> }`). At most 2,000 code units. Never
 * throws.
 *
 * @param v Any value.
 * @returns The description.
 */
export function describe(v: unknown): string {
  let s: string | undefined;
  try {
    if (typeof v === "symbol") {
      s = v.toString();
    } else if (typeof v === "object" && v !== null) {
      const ts = (v as { toString?: unknown }).toString;
      if (
        typeof ts === "function" && ts !== Object.prototype.toString &&
        !Array.isArray(v) && !ArrayBuffer.isView(v)
      ) {
        const r = ts.call(v);
        if (typeof r === "string") s = r;
      }
    }
  } catch {
    s = undefined;
  }
  if (s === undefined) {
    try {
      const d = (globalThis as { Deno?: { inspect?: unknown } }).Deno;
      if (d && typeof d.inspect === "function") {
        const r = d.inspect(v, INSPECT_OPTIONS);
        if (typeof r === "string") s = r;
      }
    } catch {
      s = undefined;
    }
  }
  if (s === undefined) {
    try {
      s = Object.prototype.toString.call(v);
    } catch {
      s = "<unrepresentable value>";
    }
  }
  return s.length > 2000 ? s.slice(0, 2000) + "…" : s;
}

const HEX = "0123456789abcdef";

function hex(n: number, width: number): string {
  let s = "";
  for (let i = width - 1; i >= 0; i--) s += HEX[(n >>> (i * 4)) & 15];
  return s;
}

// Python's str.isprintable(): not Cc Cf Cs Co Cn Zl Zp Zs, but " " is.
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE_ASCII = /[\x00-\x1f\x7f-\uffff'\\]/;

/**
 * Python's `repr()` of a `str`, or `ascii()` when `ascii` is true.
 *
 * @param s The string.
 * @param ascii Escape every non-ASCII character.
 * @returns The quoted literal.
 */
export function strRepr(s: string, ascii = false): string {
  const quote = quoteFor(s);
  if (!NEEDS_ESCAPE_ASCII.test(s)) return quote + s + quote;
  return quote + escapeBody(s, quote, ascii, Infinity) + quote;
}

/** The quote Python's `repr()` of a `str` uses. */
function quoteFor(s: string): string {
  return s.includes("'") && !s.includes('"') ? '"' : "'";
}

/**
 * {@linkcode strRepr} of a string too long for `max` code units (quotes
 * not counted): what fits, then `…[N more characters]` inside the quotes.
 */
function strReprCut(s: string, ascii: boolean, max: number): string {
  const quote = quoteFor(s);
  let body: string;
  if (NEEDS_ESCAPE_ASCII.test(s)) {
    body = escapeBody(s, quote, ascii, max);
  } else {
    body = s.slice(0, Math.min(Math.max(max, 0), s.length));
    escapedUnits = body.length;
  }
  return quote + body + moreCharacters(s.length - escapedUnits) + quote;
}

/** The code units of `s` covered by the last {@linkcode escapeBody}. */
let escapedUnits = 0;

/**
 * The escaped characters of a `str` literal, at most `max` code units
 * (never half an escape or a surrogate pair); sets
 * {@linkcode escapedUnits}.
 */
function escapeBody(
  s: string,
  quote: string,
  ascii: boolean,
  max: number,
): string {
  let out = "";
  const q = quote.charCodeAt(0);
  let i = 0;
  for (; i < s.length; i++) {
    let c = s.charCodeAt(i);
    let len = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        len = 2;
      }
    }
    let e: string;
    if (c === 0x5c) e = "\\\\";
    else if (c === q) e = "\\" + quote;
    else if (c === 0x09) e = "\\t";
    else if (c === 0x0a) e = "\\n";
    else if (c === 0x0d) e = "\\r";
    else if (c < 0x20 || c === 0x7f) e = "\\x" + hex(c, 2);
    else if (c < 0x7f) e = s[i]!;
    else {
      const ch = s.slice(i, i + len);
      if (!ascii && !NON_PRINTABLE.test(ch)) e = ch;
      else if (c <= 0xff) e = "\\x" + hex(c, 2);
      else if (c <= 0xffff) e = "\\u" + hex(c, 4);
      else e = "\\U" + hex(c, 8);
    }
    if (out.length + e.length > max) break;
    out += e;
    i += len - 1;
  }
  escapedUnits = i;
  return out;
}

/** Escaped form of each byte inside a `'`-quoted bytes literal. */
const BYTE_ESCAPES: readonly string[] = Array.from(
  { length: 256 },
  (_, c) =>
    c === 0x5c
      ? "\\\\"
      : c === 0x09
      ? "\\t"
      : c === 0x0a
      ? "\\n"
      : c === 0x0d
      ? "\\r"
      : c < 0x20 || c >= 0x7f
      ? "\\x" + hex(c, 2)
      : String.fromCharCode(c),
);

/**
 * Python's `repr()` of `bytes`, of its first `n` bytes (the caller cuts
 * the text when `n` is less than its length).
 */
function bytesRepr(b: Uint8Array, n: number = b.length): string {
  let hasSingle = false;
  let hasDouble = false;
  for (let i = 0; i < n; i++) {
    if (b[i] === 0x27) hasSingle = true;
    else if (b[i] === 0x22) hasDouble = true;
  }
  const q = hasSingle && !hasDouble ? '"' : "'";
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    parts.push(c === 0x27 && q === "'" ? "\\'" : BYTE_ESCAPES[c]!);
  }
  return "b" + q + parts.join("") + q;
}
