// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Python's printf-style string formatting (`template % args`), used to render
 * `@std/log` messages the way Python's `LogRecord.getMessage()` does, plus
 * Python's `str()` and `repr()` of JavaScript values.
 *
 * JavaScript values are viewed as the Python values this package pickles them
 * as: a safe integer (`Number.isSafeInteger`, not `-0`), a `bigint` or a boolean is an
 * `int` (a boolean prints `True`/`False` under `%s`), any other number or a
 * {@linkcode PyFloat} is a `float`, `null`/`undefined` is `None`, an array is a
 * `list`, a {@linkcode PyTuple} a `tuple`, a plain object or a `Map` a `dict`,
 * a `Set` a `set`, a `Uint8Array` `bytes`, a `Date` its ISO string, an `Error`
 * an exception (`str()` is its message, `repr()` is `Name('message')`), and
 * anything else (functions, symbols, class instances, …) a string describing
 * it.
 *
 * @example Usage
 * ```ts
 * import { percentFormat } from "./percent_format.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(percentFormat("%s has %05.1f%%", ["disk", 93.25]), {
 *   text: "disk has 093.2%",
 *   used: 2,
 * });
 * ```
 *
 * @module
 */
import { PyFloat, PyTuple } from "./py_types.ts";

/** Result of {@linkcode percentFormat}. */
export interface PercentFormatResult {
  /** The formatted text. */
  text: string;
  /**
   * How many leading items of `args` the conversions consumed (`*` widths and
   * precisions included); `args.slice(used)` are the unused ones.
   */
  used: number;
}

/** Widths above this render the conversion verbatim (no huge allocations). */
const MAX_WIDTH = 1_000_000;
/** Precisions above this render the conversion verbatim. */
const MAX_PRECISION = 10_000;
/** Longest `repr()` text built for one value, in UTF-16 code units. */
const MAX_REPR_LENGTH = 1_048_576;
/** Deepest container nesting rendered by `repr()`. */
const MAX_DEPTH = 32;

const F_LJUST = 1;
const F_SIGN = 2;
const F_BLANK = 4;
const F_ALT = 8;
const F_ZERO = 16;

/** Marks a conversion that cannot be applied: it is then emitted verbatim. */
const INVALID = Symbol("invalid");

/**
 * Formats `template` like Python's `template % args`.
 *
 * Supports every conversion of Python 3 (`%s %r %a %d %i %u %o %x %X %e %E %f
 * %F %g %G %c %%`), the flags `-+ #0`, widths, precisions, `*` for either,
 * the ignored length modifiers `h l L`, and `%(key)s` mapping keys (looked up
 * as own properties of `mapping`). Output is exactly Python's for every input
 * Python accepts (floats are rounded half-to-even from their exact binary
 * value, like CPython).
 *
 * It never throws. Where Python would raise, it keeps going:
 * - a conversion with no argument left, a `%(key)` whose key is missing or
 *   with no `mapping`, an unsupported conversion character, a truncated
 *   conversion, a `*` whose argument is not an integer, a width above
 *   1,000,000 or a precision above 10,000: the conversion's text is copied
 *   verbatim and consumes nothing;
 * - a numeric conversion of a value it cannot take (`%d` of a string, `%x` of
 *   a float, `%d` of NaN, `%c` of a long string, …): the value is rendered as
 *   `%s` would render it, keeping the width and the `-` flag;
 * - unused arguments are simply not consumed (see
 *   {@linkcode PercentFormatResult.used}).
 *
 * @param template The format string.
 * @param args Positional arguments, consumed in order.
 * @param mapping Values for `%(key)` conversions.
 * @returns The text and how many arguments were consumed.
 *
 * @example Mapping keys
 * ```ts
 * import { percentFormat } from "./percent_format.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(percentFormat("%(user)s: %(n)x", [], { user: "al", n: 255 }).text, "al: ff");
 * ```
 */
export function percentFormat(
  template: string,
  args: readonly unknown[],
  mapping?: Readonly<Record<string, unknown>>,
): PercentFormatResult {
  let pct = template.indexOf("%");
  if (pct < 0) return { text: template, used: 0 };
  const n = template.length;
  let out = "";
  let last = 0;
  let argi = 0;
  while (pct >= 0) {
    out += template.slice(last, pct);
    let j = pct + 1;
    const startArg = argi;
    let piece: string | typeof INVALID = INVALID;
    parse: {
      if (j >= n) break parse; // incomplete format
      const c1 = template.charCodeAt(j);
      if (c1 === 0x25) { // "%%"
        piece = "%";
        j++;
        break parse;
      }
      // Fast path: a bare %s or %d (no key, flags, width or precision).
      if ((c1 === 0x73 || c1 === 0x64) && argi < args.length) {
        const v = args[argi++];
        j++;
        if (c1 === 0x73) {
          piece = typeof v === "string" ? v : pyStr(v);
        } else if (typeof v === "number" && Number.isSafeInteger(v)) {
          piece = String(v); // -0 prints "0", as Python's "%d" % -0.0
        } else {
          piece = formatOne(v, "d", 0, -1, -1);
        }
        break parse;
      }
      let key: string | undefined;
      if (template.charCodeAt(j) === 0x28) { // "("
        let depth = 1;
        const keyStart = ++j;
        while (j < n && depth > 0) {
          const c = template.charCodeAt(j);
          if (c === 0x28) depth++;
          else if (c === 0x29) depth--;
          j++;
        }
        if (depth > 0) break parse; // incomplete format key
        key = template.slice(keyStart, j - 1);
      }
      let flags = 0;
      for (; j < n; j++) {
        const c = template.charCodeAt(j);
        if (c === 0x2d) flags |= F_LJUST;
        else if (c === 0x2b) flags |= F_SIGN;
        else if (c === 0x20) flags |= F_BLANK;
        else if (c === 0x23) flags |= F_ALT;
        else if (c === 0x30) flags |= F_ZERO;
        else break;
      }
      let width = -1;
      if (template.charCodeAt(j) === 0x2a) { // "*"
        j++;
        if (key !== undefined || argi >= args.length) break parse;
        const w = starInt(args[argi++]);
        if (w === undefined) break parse;
        if (w < 0) {
          flags |= F_LJUST;
          width = -w;
        } else {
          width = w;
        }
      } else {
        const s = j;
        while (j < n && isDigit(template.charCodeAt(j))) j++;
        if (j > s) width = digitsValue(template, s, j);
      }
      let prec = -1;
      if (template.charCodeAt(j) === 0x2e) { // "."
        j++;
        if (template.charCodeAt(j) === 0x2a) {
          j++;
          if (key !== undefined || argi >= args.length) break parse;
          const p = starInt(args[argi++]);
          if (p === undefined) break parse;
          prec = p < 0 ? 0 : p;
        } else {
          const s = j;
          while (j < n && isDigit(template.charCodeAt(j))) j++;
          prec = j > s ? digitsValue(template, s, j) : 0;
        }
      }
      while (j < n) {
        const c = template.charCodeAt(j);
        if (c !== 0x68 && c !== 0x6c && c !== 0x4c) break; // h l L
        j++;
      }
      if (j >= n) break parse; // incomplete format
      const conv = template[j]!;
      j++;
      if (!"sradiuoxXeEfFgGc".includes(conv)) break parse;
      if (width > MAX_WIDTH || prec > MAX_PRECISION) break parse;
      let value: unknown;
      if (key !== undefined) {
        if (mapping === undefined || mapping === null) break parse;
        try {
          if (!Object.hasOwn(mapping, key)) break parse;
          value = (mapping as Record<string, unknown>)[key];
        } catch {
          break parse;
        }
      } else {
        if (argi >= args.length) break parse;
        value = args[argi++];
      }
      piece = formatOne(value, conv, flags, width, prec);
    }
    if (piece === INVALID) {
      argi = startArg;
      // Copy the broken conversion as is; a lone trailing "%" stays "%".
      piece = template.slice(pct, Math.min(j, n));
      if (piece === "") piece = "%";
    }
    out += piece;
    last = Math.max(j, pct + 1);
    pct = last < n ? template.indexOf("%", last) : -1;
  }
  out += template.slice(last);
  return { text: out, used: argi };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function digitsValue(s: string, from: number, to: number): number {
  // Long digit runs saturate (they are rejected by the MAX_* checks).
  if (to - from > 9) return Number.MAX_SAFE_INTEGER;
  return Number(s.slice(from, to));
}

/** Python's `*` argument: an `int` (bool included), else undefined. */
function starInt(v: unknown): number | undefined {
  if (typeof v === "number") {
    return Number.isSafeInteger(v) && !Object.is(v, -0) ? v : undefined;
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") {
    return v >= -BigInt(MAX_WIDTH) - 1n && v <= BigInt(MAX_WIDTH) + 1n
      ? Number(v)
      : v < 0n
      ? -(MAX_WIDTH + 1)
      : MAX_WIDTH + 1;
  }
  return undefined;
}

/** Python `int` view of a value, or undefined when it is not an `int`. */
function asPyInt(v: unknown): bigint | undefined {
  if (typeof v === "number") {
    return Number.isSafeInteger(v) && !Object.is(v, -0) ? BigInt(v) : undefined;
  }
  if (typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  return undefined;
}

/**
 * {@linkcode asPyInt}, but a safe integer stays a number (no BigInt
 * allocation).
 */
function asPyIntOrSafe(v: unknown): number | bigint | undefined {
  if (typeof v === "number") {
    return Number.isSafeInteger(v) && !Object.is(v, -0) ? v : undefined;
  }
  if (typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return undefined;
}

/** Python `float` view of a value (what `%f` accepts), or undefined. */
function asPyReal(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") {
    const f = Number(v);
    return Number.isFinite(f) ? f : undefined; // OverflowError in Python
  }
  if (v instanceof PyFloat) {
    const f = v.value;
    return typeof f === "number" ? f : undefined;
  }
  return undefined;
}

function formatOne(
  value: unknown,
  conv: string,
  flags: number,
  width: number,
  prec: number,
): string {
  let body: string | undefined;
  switch (conv) {
    case "s":
    case "r":
    case "a": {
      let s = conv === "s"
        ? pyStr(value)
        : conv === "r"
        ? pyRepr(value)
        : pyAscii(value);
      if (prec >= 0) s = truncateCodePoints(s, prec);
      return pad(s, flags & F_LJUST, width);
    }
    case "c": {
      let ch: string | undefined;
      const i = asPyInt(value);
      if (i !== undefined) {
        if (i >= 0n && i <= 0x10ffffn) ch = String.fromCodePoint(Number(i));
      } else if (typeof value === "string" && codePointLength(value) === 1) {
        ch = value;
      }
      if (ch === undefined) break;
      return pad(ch, flags & F_LJUST, width);
    }
    case "d":
    case "i":
    case "u": {
      let i = asPyIntOrSafe(value);
      if (i === undefined) {
        const f = asPyReal(value);
        if (f !== undefined && Number.isFinite(f)) {
          const t = Math.trunc(f);
          i = Number.isSafeInteger(t) ? t : BigInt(t);
        }
      }
      if (i === undefined) break;
      body = intBody(i, 10, false, flags, prec);
      break;
    }
    case "o":
    case "x":
    case "X": {
      const i = asPyIntOrSafe(value);
      if (i === undefined) break;
      body = intBody(i, conv === "o" ? 8 : 16, conv === "X", flags, prec);
      if (flags & F_ALT) {
        // intBody put the "0x"/"0X"/"0o" prefix after the sign.
        return numericPad(body, conv, flags, width);
      }
      break;
    }
    default: {
      // e E f F g G
      const f = asPyReal(value);
      if (f === undefined) break;
      body = formatFloat(f, conv, prec < 0 ? 6 : prec, (flags & F_ALT) !== 0);
    }
  }
  if (body === undefined) {
    // Python raises TypeError/ValueError/OverflowError here: render as %s.
    return pad(pyStr(value), flags & F_LJUST, width);
  }
  return numericPad(body, conv, flags & ~F_ALT, width);
}

function intBody(
  i: number | bigint,
  base: number,
  upper: boolean,
  flags: number,
  prec: number,
): string {
  // A number here is a safe integer (-0 prints as "0").
  const neg = i < 0;
  let digits = (neg ? -i : i).toString(base);
  if (upper) digits = digits.toUpperCase();
  if (prec > digits.length) digits = "0".repeat(prec - digits.length) + digits;
  let prefix = "";
  if ((flags & F_ALT) && base !== 10) {
    prefix = base === 8 ? "0o" : upper ? "0X" : "0x";
  }
  return (neg ? "-" : "") + prefix + digits;
}

/** Python's unicode_format_arg_output for numeric conversions. */
function numericPad(
  body: string,
  conv: string,
  flags: number,
  width: number,
): string {
  let sign = "";
  const c0 = body.charCodeAt(0);
  if (c0 === 0x2d || c0 === 0x2b) {
    sign = body[0]!;
    body = body.slice(1);
  } else if (flags & F_SIGN) {
    sign = "+";
  } else if (flags & F_BLANK) {
    sign = " ";
  }
  let prefix = "";
  if ((flags & F_ALT) && (conv === "x" || conv === "X" || conv === "o")) {
    prefix = body.slice(0, 2);
    body = body.slice(2);
  }
  const len = sign.length + prefix.length + body.length;
  if (width <= len) return sign + prefix + body;
  const fill = width - len;
  if (flags & F_LJUST) return sign + prefix + body + " ".repeat(fill);
  if (flags & F_ZERO) return sign + prefix + "0".repeat(fill) + body;
  return " ".repeat(fill) + sign + prefix + body;
}

function pad(s: string, ljust: number, width: number): string {
  if (width <= 0) return s;
  const len = codePointLength(s);
  if (width <= len) return s;
  return ljust ? s + " ".repeat(width - len) : " ".repeat(width - len) + s;
}

/** Length in code points (a Python `str`'s `len`). */
function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function truncateCodePoints(s: string, max: number): string {
  if (s.length <= max) return s;
  let units = 0;
  for (let cps = 0; cps < max && units < s.length; cps++) {
    const c = s.charCodeAt(units);
    if (c >= 0xd800 && c <= 0xdbff && units + 1 < s.length) {
      const d = s.charCodeAt(units + 1);
      units += d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
    } else {
      units++;
    }
  }
  return s.slice(0, units);
}

// ---------------------------------------------------------------------------
// Floats: exact, round-half-even decimal conversion (as CPython's dtoa).

const F64 = new DataView(new ArrayBuffer(8));

/** Splits a finite x > 0 into [mantissa, exponent]: x = m * 2**e exactly. */
function floatParts(x: number): [bigint, number] {
  F64.setFloat64(0, x);
  const hi = F64.getUint32(0);
  const lo = F64.getUint32(4);
  const e = (hi >>> 20) & 0x7ff;
  const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return e === 0 ? [m, -1074] : [m | (1n << 52n), e - 1075];
}

function roundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Digits of round(|x| * 10**p) for finite x, p >= 0. */
function scaledDigits(x: number, p: number): string {
  if (x === 0) return "0";
  const [m, e] = floatParts(Math.abs(x));
  const scale = 10n ** BigInt(p);
  if (e >= 0) return ((m << BigInt(e)) * scale).toString();
  return roundHalfEven(m * scale, 1n << BigInt(-e)).toString();
}

/** |x| rounded to p+1 significant digits: [digits, decimal exponent]. */
function significantDigits(x: number, p: number): [string, number] {
  if (x === 0) return ["0".repeat(p + 1), 0];
  const [m, e] = floatParts(Math.abs(x));
  let exp10 = Math.floor(Math.log10(Math.abs(x)));
  const lower = 10n ** BigInt(p);
  const upper = lower * 10n;
  for (let tries = 0; tries < 4; tries++) {
    const k = p - exp10;
    let num = e > 0 ? m << BigInt(e) : m;
    let den = e < 0 ? 1n << BigInt(-e) : 1n;
    if (k >= 0) num *= 10n ** BigInt(k);
    else den *= 10n ** BigInt(-k);
    const q = num / den;
    if (q < lower) {
      exp10--;
      continue;
    }
    if (q >= upper) {
      exp10++;
      continue;
    }
    let r = roundHalfEven(num, den);
    if (r === upper) {
      r = lower;
      exp10++;
    }
    return [r.toString(), exp10];
  }
  return ["0".repeat(p + 1), 0]; // unreachable for finite x
}

function expSuffix(exp10: number, upper: boolean): string {
  const a = Math.abs(exp10);
  return (upper ? "E" : "e") + (exp10 < 0 ? "-" : "+") + (a < 10 ? "0" : "") +
    a;
}

function formatFloat(
  x: number,
  conv: string,
  prec: number,
  alt: boolean,
): string {
  const upper = conv === "E" || conv === "F" || conv === "G";
  const neg = x < 0 || Object.is(x, -0);
  if (!Number.isFinite(x)) {
    const s = Number.isNaN(x) ? "nan" : neg ? "-inf" : "inf";
    return upper ? s.toUpperCase() : s;
  }
  const sign = neg ? "-" : "";
  if (conv === "f" || conv === "F") {
    let d = scaledDigits(x, prec);
    if (d.length <= prec) d = "0".repeat(prec + 1 - d.length) + d;
    const int = d.slice(0, d.length - prec);
    const frac = d.slice(d.length - prec);
    return sign + int + (prec > 0 || alt ? "." : "") + frac;
  }
  if (conv === "e" || conv === "E") {
    const [d, e10] = significantDigits(x, prec);
    return sign + d[0] + (prec > 0 || alt ? "." : "") + d.slice(1) +
      expSuffix(e10, upper);
  }
  // g / G
  const p = prec === 0 ? 1 : prec;
  const [d, e10] = significantDigits(x, p - 1);
  if (e10 >= -4 && e10 < p) {
    let int: string;
    let frac: string;
    if (e10 >= 0) {
      int = d.slice(0, e10 + 1);
      frac = d.slice(e10 + 1);
    } else {
      int = "0";
      frac = "0".repeat(-e10 - 1) + d;
    }
    if (!alt) frac = frac.replace(/0+$/, "");
    return sign + int + (frac !== "" || alt ? "." : "") + frac;
  }
  let frac = d.slice(1);
  if (!alt) frac = frac.replace(/0+$/, "");
  return sign + d[0] + (frac !== "" || alt ? "." : "") + frac +
    expSuffix(e10, upper);
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
      return value.toString();
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
 * container seen again inside itself as `[...]`/`{...}` (like Python), and
 * the text stops with `…` after 1 MiB. Never throws.
 *
 * @param value Any value.
 * @returns The text.
 */
export function pyRepr(value: unknown): string {
  const st: ReprState = { out: "", seen: [], limit: MAX_REPR_LENGTH };
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
  const st: ReprState = { out: "", seen: [], limit: MAX_REPR_LENGTH };
  reprInto(value, st, 0, true);
  return st.out.length > st.limit
    ? st.out.slice(0, MAX_REPR_LENGTH) + "…"
    : st.out;
}

interface ReprState {
  out: string;
  seen: object[];
  limit: number;
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
    if (Array.isArray(o) || o instanceof PyTuple || o instanceof Set) {
      const tuple = o instanceof PyTuple;
      const set = o instanceof Set;
      if (st.seen.includes(o)) {
        st.out += tuple ? "(...)" : set ? "{...}" : "[...]";
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
      st.out += open;
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
        st.out = st.out.slice(0, start) + "set()";
        return;
      }
      st.out += tuple ? (count === 1 ? ",)" : ")") : set ? "}" : "]";
      return;
    }
    if (o instanceof Map || isPlainObject(o)) {
      if (st.seen.includes(o)) {
        st.out += "{...}";
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
      st.out += bytesRepr(o);
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
  st.out += strRepr(keyString(k, st.seen, depth), ascii);
}

/** `str()` of a non-primitive key, bounded and cycle-safe. */
export function keyString(k: unknown, seen: object[], depth: number): string {
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
      const sub: ReprState = { out: "", seen, limit: MAX_KEY_LENGTH };
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
