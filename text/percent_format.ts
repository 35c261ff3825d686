// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Python's printf-style string formatting (`template % args`), used to render
 * log messages the way Python's `LogRecord.getMessage()` does. Values are
 * viewed as the Python values this package pickles them as (see
 * `python_text.ts`, which gives their `str()` and `repr()`).
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
import { PyFloat } from "../pickle/py_types.ts";
import { expSuffix, isHugeInt, pyAscii, pyRepr, pyStr } from "./python_text.ts";
import { cutPoint, DeferredText, type TextBudget } from "./text_budget.ts";

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
 * With a `budget` (the receiver's formatters pass the record's), the
 * values are rendered within it and share its shared containers, and the
 * text stops where the budget does: a string value cut ends with
 * `…[N more characters]`, other text with `…`, and once the budget is
 * spent the rest is left out (a single `…` marks it) while the arguments
 * are still counted. A {@linkcode DeferredText} value is rendered only
 * then, within the same budget.
 *
 * @param template The format string.
 * @param args Positional arguments, consumed in order.
 * @param mapping Values for `%(key)` conversions.
 * @param budget The text budget of the record being formatted; without
 * one (the sender's case), each value is bounded on its own.
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
  budget?: TextBudget,
): PercentFormatResult {
  let pct = template.indexOf("%");
  if (pct < 0 && budget === undefined) return { text: template, used: 0 };
  const bt = budget === undefined ? undefined : new BudgetedText(budget);
  const n = template.length;
  let out = "";
  let last = 0;
  let argi = 0;
  while (pct >= 0) {
    if (bt === undefined) out += template.slice(last, pct);
    else bt.add(template.slice(last, pct));
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
        if (bt !== undefined) {
          piece = bt.format(v, c1 === 0x73 ? "s" : "d", 0, -1, -1);
        } else if (c1 === 0x73) {
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
      piece = bt === undefined
        ? formatOne(value, conv, flags, width, prec)
        : bt.format(value, conv, flags, width, prec);
    }
    if (piece === INVALID) {
      argi = startArg;
      // Copy the broken conversion as is; a lone trailing "%" stays "%".
      piece = template.slice(pct, Math.min(j, n));
      if (piece === "") piece = "%";
    }
    if (bt === undefined) out += piece;
    else bt.add(piece);
    last = Math.max(j, pct + 1);
    pct = last < n ? template.indexOf("%", last) : -1;
  }
  if (bt === undefined) return { text: out + template.slice(last), used: argi };
  bt.add(template.slice(last));
  return { text: bt.end(), used: argi };
}

/**
 * The text of a budgeted {@linkcode percentFormat}: each piece (template
 * text or a conversion) is charged as it is written, and once one is cut
 * nothing more is written.
 */
class BudgetedText {
  text = "";
  /** Nothing more is written: a piece was cut. */
  stopped = false;
  /** Text was left out after the cut: the result ends with `…`. */
  dropped = false;
  /** The value text of the piece just formatted was cut by the budget. */
  cut = false;
  readonly budget: TextBudget;

  constructor(budget: TextBudget) {
    this.budget = budget;
  }

  /**
   * Formats one conversion, its value rendered within what is left of the
   * budget; {@linkcode BudgetedText.add} charges what is written.
   */
  format(
    value: unknown,
    conv: string,
    flags: number,
    width: number,
    prec: number,
  ): string {
    if (this.stopped) {
      this.dropped = true;
      return "";
    }
    const b = this.budget;
    const left = b.left;
    // Fast paths: a bare %s of a string that fits, a bare %d of an int.
    if (flags === 0 && width < 0 && prec < 0) {
      if (conv === "s" && typeof value === "string" && value.length <= left) {
        return value;
      }
      if (
        conv === "d" && typeof value === "number" && Number.isSafeInteger(value)
      ) {
        return String(value); // -0 prints "0", as Python's "%d" % -0.0
      }
    }
    const cuts = b.cuts;
    let piece: string;
    if (value instanceof DeferredText) {
      const s = value.render(b);
      piece = conv === "s"
        ? pad(
          prec >= 0 ? truncateCodePoints(s, prec) : s,
          flags & F_LJUST,
          width,
        )
        : formatOne(s, conv, flags, width, prec, b);
    } else {
      piece = formatOne(value, conv, flags, width, prec, b);
    }
    // A value cut by the budget ends with its marker: written whole.
    this.cut = b.cuts !== cuts && prec < 0;
    b.left = left;
    b.cuts = cuts;
    return piece;
  }

  /** Writes a piece, cut with `…` when it does not fit. */
  add(piece: string): void {
    const cut = this.cut;
    this.cut = false;
    if (this.stopped) {
      if (piece !== "") this.dropped = true;
      return;
    }
    const b = this.budget;
    const room = b.left > 0 ? b.left : 0;
    if (!cut && piece.length <= room) {
      this.text += piece;
      b.left -= piece.length;
      return;
    }
    b.cuts++;
    this.stopped = true;
    if (cut) {
      this.text += piece;
      b.left -= piece.length;
      return;
    }
    this.text += piece.slice(0, cutPoint(piece, room));
    b.left -= room;
    this.dropped = true;
  }

  /** The text, with `…` when some was left out. */
  end(): string {
    if (!this.dropped) return this.text;
    this.budget.left -= 1;
    return this.text + "…";
  }
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
  budget?: TextBudget,
): string {
  let body: string | undefined;
  switch (conv) {
    case "s":
    case "r":
    case "a": {
      let s = conv === "s"
        ? pyStr(value, budget)
        : conv === "r"
        ? pyRepr(value, budget)
        : pyAscii(value, budget);
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
      // A huge int is never converted to decimal (CPython raises
      // ValueError): rendered as %s, `<int of N bits>`.
      if (i === undefined || typeof i === "bigint" && isHugeInt(i)) break;
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
    return pad(pyStr(value, budget), flags & F_LJUST, width);
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
