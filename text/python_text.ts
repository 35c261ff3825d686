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
 * `<int of N bits>` or `<negative int of N bits>` ({@linkcode intText}). A container met again in the same
 * rendering, but not inside itself (a shared reference, e.g. from a pickle's
 * memo), prints its contents only the first time and then a marker such as
 * `<shared list>` (`tuple`, `set`, `frozenset`, `dict`), so that a small
 * pickle of shared references cannot expand into an exponential text;
 * empty containers print as themselves. A container inside itself prints
 * `[...]` as in Python. Also the helpers that read values without ever throwing
 * ({@linkcode safeString}, {@linkcode unreadable}, {@linkcode describe}).
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

/** Longest `repr()` text built for one value, in UTF-16 code units. */
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
 * @returns The text.
 */
export function pyStr(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return Number.isSafeInteger(value) && !Object.is(value, -0)
        ? String(value)
        : pyFloatRepr(value);
    case "boolean":
      return value ? "True" : "False";
    case "bigint":
      return intText(value);
    case "undefined":
      return "None";
    case "symbol":
    case "function":
      return describe(value);
  }
  if (value === null) return "None";
  try {
    if (isError(value)) return errorMessage(value);
    if (value instanceof Date) return dateString(value);
    if (value instanceof PyObject) {
      const st = newState(MAX_REPR_LENGTH);
      objectStr(value, sink(st, 0, false));
      return st.out.length > st.limit
        ? st.out.slice(0, MAX_REPR_LENGTH) + "…"
        : st.out;
    }
    if (
      Array.isArray(value) || value instanceof PyTuple ||
      value instanceof PyFloat || value instanceof Map ||
      value instanceof Set || value instanceof Uint8Array ||
      isPlainObject(value)
    ) {
      return pyRepr(value);
    }
  } catch {
    // a hostile proxy: describe it
  }
  return describe(value);
}

/**
 * Python's `repr()` of the value this package sends for `value` (see the
 * module documentation). Nesting deeper than 32 levels renders as `'…'`, a
 * container seen again inside itself as `[...]`/`{...}` (like Python), a
 * shared container seen again elsewhere as `<shared list>` (or `tuple`,
 * `set`, `frozenset`, `dict`), and the text stops with `…` after 1 MiB.
 * Never throws.
 *
 * @param value Any value.
 * @returns The text.
 */
export function pyRepr(value: unknown): string {
  const st = newState(MAX_REPR_LENGTH);
  reprInto(value, st, 0, false);
  return st.out.length > st.limit
    ? st.out.slice(0, MAX_REPR_LENGTH) + "…"
    : st.out;
}

/**
 * Python's `ascii()`: {@linkcode pyRepr} with every non-ASCII character
 * escaped.
 *
 * @param value Any value.
 * @returns The text.
 */
export function pyAscii(value: unknown): string {
  const st = newState(MAX_REPR_LENGTH);
  reprInto(value, st, 0, true);
  return st.out.length > st.limit
    ? st.out.slice(0, MAX_REPR_LENGTH) + "…"
    : st.out;
}

interface ReprState {
  out: string;
  seen: object[];
  /** Non-empty containers already expanded in this rendering. */
  done: Set<object>;
  limit: number;
}

function newState(
  limit: number,
  seen: object[] = [],
  done = new Set<object>(),
) {
  return { out: "", seen, done, limit };
}

/**
 * The marker of a non-empty container already expanded (not a cycle), or
 * `undefined` the first time (then it counts as expanded).
 */
function sharedMarker(st: ReprState, o: object, size: number, kind: string) {
  if (size === 0) return undefined;
  if (st.done.has(o)) return `<shared ${kind}>`;
  st.done.add(o);
  return undefined;
}

/** A sink writing a placeholder's text and nested values into `st`. */
function sink(st: ReprState, depth: number, ascii: boolean): TextSink {
  return {
    text: (s) => {
      if (st.out.length <= st.limit) st.out += s;
    },
    repr: (v) => reprInto(v, st, depth + 1, ascii),
    str: (v) => {
      if (st.out.length > st.limit) return;
      const s = typeof v === "string"
        ? v
        : v instanceof PyObject && depth < MAX_DEPTH
        ? (() => {
          const sub = newState(st.limit, st.seen, st.done);
          objectStr(v, sink(sub, depth + 1, ascii));
          return sub.out;
        })()
        : pyStr(v);
      st.out += s;
    },
  };
}

/** Longest text rendered for one non-primitive Map key or Set member. */
const MAX_KEY_LENGTH = 2000;

function reprInto(v: unknown, st: ReprState, depth: number, ascii: boolean) {
  if (st.out.length > st.limit) return;
  switch (typeof v) {
    case "string":
      st.out += strRepr(v, ascii);
      return;
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      st.out += pyStr(v);
      return;
    case "symbol":
    case "function":
      st.out += strRepr(describe(v), ascii);
      return;
  }
  if (v === null) {
    st.out += "None";
    return;
  }
  const o = v as object;
  if (depth >= MAX_DEPTH) {
    st.out += strRepr("…", ascii);
    return;
  }
  try {
    if (o instanceof PyFloat) {
      st.out += pyFloatRepr(Number(o.value));
      return;
    }
    if (o instanceof PyObject) {
      if (st.seen.includes(o)) {
        st.out += "...";
        return;
      }
      st.seen.push(o);
      objectRepr(o, sink(st, depth, ascii));
      st.seen.pop();
      return;
    }
    if (Array.isArray(o) || o instanceof PyTuple || o instanceof Set) {
      const tuple = o instanceof PyTuple;
      const set = o instanceof Set;
      if (st.seen.includes(o)) {
        st.out += tuple ? "(...)" : set ? "{...}" : "[...]";
        return;
      }
      const frozen = o instanceof PyFrozenSet;
      const shared = sharedMarker(
        st,
        o,
        tuple
          ? o.items.length
          : set
          ? (o as Set<unknown>).size
          : (o as unknown[]).length,
        tuple ? "tuple" : frozen ? "frozenset" : set ? "set" : "list",
      );
      if (shared !== undefined) {
        st.out += shared;
        return;
      }
      const items: readonly unknown[] | Iterable<unknown> = tuple
        ? o.items
        : set
        ? Set.prototype.values.call(o)
        : o;
      st.seen.push(o);
      const open = tuple ? "(" : set ? "{" : "[";
      const start = st.out.length;
      st.out += frozen ? "frozenset({" : open;
      let count = 0;
      if (Array.isArray(items)) {
        for (let i = 0; i < items.length; i++) {
          if (st.out.length > st.limit) break;
          if (i > 0) st.out += ", ";
          reprInto(items[i], st, depth + 1, ascii);
          count++;
        }
      } else {
        for (const item of items) {
          if (st.out.length > st.limit) break;
          if (count > 0) st.out += ", ";
          if (set) keyInto(item, st, depth + 1, ascii);
          else reprInto(item, st, depth + 1, ascii);
          count++;
        }
      }
      st.seen.pop();
      if (set && count === 0) {
        st.out = st.out.slice(0, start) + (frozen ? "frozenset()" : "set()");
        return;
      }
      st.out += tuple
        ? (count === 1 ? ",)" : ")")
        : frozen
        ? "})"
        : set
        ? "}"
        : "]";
      return;
    }
    if (o instanceof Map || isPlainObject(o)) {
      if (st.seen.includes(o)) {
        st.out += "{...}";
        return;
      }
      const shared = sharedMarker(
        st,
        o,
        o instanceof Map ? o.size : Object.keys(o).length === 0 ? 0 : 1,
        "dict",
      );
      if (shared !== undefined) {
        st.out += shared;
        return;
      }
      st.seen.push(o);
      st.out += "{";
      let first = true;
      if (o instanceof Map) {
        for (const [k, val] of Map.prototype.entries.call(o)) {
          if (st.out.length > st.limit) break;
          if (!first) st.out += ", ";
          first = false;
          keyInto(k, st, depth + 1, ascii);
          st.out += ": ";
          reprInto(val, st, depth + 1, ascii);
        }
      } else {
        for (const k of Object.keys(o)) {
          if (st.out.length > st.limit) break;
          if (!first) st.out += ", ";
          first = false;
          st.out += strRepr(k, ascii) + ": ";
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
      st.out += "}";
      return;
    }
    if (o instanceof Uint8Array) {
      st.out += o instanceof PyByteArray
        ? `bytearray(${bytesRepr(o)})`
        : bytesRepr(o);
      return;
    }
    if (o instanceof Date) {
      st.out += strRepr(dateString(o), ascii);
      return;
    }
    if (isError(o)) {
      const name = errorName(o);
      const msg = errorMessage(o);
      st.out += name + "(" + (msg === "" ? "" : strRepr(msg, ascii)) + ")";
      return;
    }
  } catch {
    // fall through to the description
  }
  st.out += strRepr(describe(o), ascii);
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
  st.out += strRepr(keyString(k, st.seen, depth, st.done), ascii);
}

/**
 * `str()` of a non-primitive key, bounded and cycle-safe.
 *
 * @param k The key.
 * @param seen The containers being rendered around it (cycle guard).
 * @param depth Its nesting depth.
 * @param done The containers already expanded in this rendering (shared
 * references print as `<shared list>`…).
 * @returns The text, at most 2,000 code units and `…`.
 */
export function keyString(
  k: unknown,
  seen: object[],
  depth: number,
  done: Set<object> = new Set(),
): string {
  let s: string;
  if (typeof k !== "object" || k === null) {
    s = pyStr(k);
  } else {
    let container = false;
    try {
      container = Array.isArray(k) || k instanceof PyTuple ||
        k instanceof Map || k instanceof Set || isPlainObject(k);
    } catch {
      container = false;
    }
    if (container) {
      const sub = newState(MAX_KEY_LENGTH, seen, done);
      reprInto(k, sub, depth, false);
      s = sub.out;
    } else {
      s = pyStr(k);
    }
  }
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
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  if (!NEEDS_ESCAPE_ASCII.test(s)) return quote + s + quote;
  let out = quote;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    let len = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        len = 2;
      }
    }
    if (c === 0x5c) out += "\\\\";
    else if (c === quote.charCodeAt(0)) out += "\\" + quote;
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + hex(c, 2);
    else if (c < 0x7f) out += s[i];
    else {
      const ch = s.slice(i, i + len);
      if (!ascii && !NON_PRINTABLE.test(ch)) out += ch;
      else if (c <= 0xff) out += "\\x" + hex(c, 2);
      else if (c <= 0xffff) out += "\\u" + hex(c, 4);
      else out += "\\U" + hex(c, 8);
    }
    i += len - 1;
  }
  return out + quote;
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

function bytesRepr(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  const n = Math.min(b.length, MAX_REPR_LENGTH >> 2);
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
  return "b" + q + parts.join("") + q + (n < b.length ? "…" : "");
}
