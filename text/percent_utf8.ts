// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode PercentUtf8}: the common case of `percentFormat` — a template
 * whose conversions are bare `%s`, `%d` and `%%`, every argument used, each
 * a string, a number, a boolean, null or undefined — written straight into
 * a byte buffer as UTF-8 (surrogatepass), the bytes the framer would write
 * for `percentFormat(template, args).text`, without building that string:
 * integers are written digit by digit, strings and the template copied code
 * unit by code unit. Anything else is declined (`measure` returns -1) and
 * goes through `percentFormat`.
 *
 * @example Usage
 * ```ts
 * import { PercentUtf8 } from "./percent_utf8.ts";
 * import { equal } from "node:assert/strict";
 *
 * const p = new PercentUtf8();
 * const text = "200 GET in 12.5 ms, 100% True";
 * equal(p.measure("%d %s in %s ms, 100%% %s", [200, "GET", 12.5, true]), text.length);
 * const buf = new Uint8Array(3 * text.length);
 * const end = p.write(buf, 0);
 * equal(new TextDecoder().decode(buf.subarray(0, end)), text);
 * equal(p.measure("%x", [255]), -1); // not a bare %s or %d: percentFormat
 * ```
 *
 * @module
 */
import { pyFloatRepr, pyStr } from "./python_text.ts";
import { utf8Into } from "../pickle/utf8.ts";

/** The most conversions a template may have here (more: percentFormat). */
const MAX_CONVERSIONS = 32;
/** The most templates kept parsed (the cache is cleared when full). */
const MAX_TEMPLATES = 256;
/** The longest template kept parsed. */
const MAX_TEMPLATE_LENGTH = 4096;

const S = 0x73; // %s
const D = 0x64; // %d

/** Whether a UTF-16 code unit is a high (leading) surrogate. */
function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** The number of decimal digits of a non-negative safe integer. */
function digitCount(a: number): number {
  let d = 1;
  for (let t = 10; t <= a; t *= 10) d++;
  return d;
}

// The reprs of recent floats, by value (direct-mapped on the bits of the
// double): a float that recurs (a constant, a common ratio) is written
// without a new string. Any other allocates its repr (V8 has no way to
// print a double's shortest digits without a string).
const REPR_SLOTS = 64;
// Every slot starts as 0.0 (a key must always map to its own repr).
const reprKeys = new Float64Array(REPR_SLOTS);
const reprValues: string[] = new Array(REPR_SLOTS).fill(pyFloatRepr(0));
const bits = new Float64Array(1);
const bitWords = new Uint32Array(bits.buffer);

/** `pyFloatRepr(x)`, from the cache when `x` was printed lately. */
function floatRepr(x: number): string {
  bits[0] = x;
  const slot = (bitWords[0]! ^ bitWords[1]! ^ (bitWords[1]! >>> 16)) &
    (REPR_SLOTS - 1);
  // Object.is: NaN finds itself, -0 is not 0.
  if (Object.is(reprKeys[slot], x)) return reprValues[slot]!;
  const repr = pyFloatRepr(x);
  reprKeys[slot] = x;
  reprValues[slot] = repr;
  return repr;
}

/**
 * A template this writer takes, parsed once: its conversions (`%s`, `%d`),
 * and the text around them (`%%` already turned into `%`) as UTF-8.
 */
interface Parsed {
  /** The conversions, in order: 0x73 (`s`) or 0x64 (`d`). */
  convs: Uint8Array;
  /** The text before each conversion, then after the last, as UTF-8. */
  texts: Uint8Array[];
  /** The length of that text in UTF-16 code units. */
  textLength: number;
}

/** A template it declines (cached too). */
const DECLINED: Parsed = {
  convs: new Uint8Array(0),
  texts: [],
  textLength: -1,
};

/**
 * Parses a template: DECLINED unless every `%` is `%s`, `%d` or `%%`, at
 * most 32 conversions, and no text before a conversion ends with a high
 * surrogate (it could pair with the value's first code unit).
 */
function parse(template: string): Parsed {
  const convs: number[] = [];
  const texts: Uint8Array[] = [];
  let text = "";
  let textLength = 0;
  let last = 0;
  let pct = template.indexOf("%");
  while (pct >= 0) {
    text += template.slice(last, pct);
    const c = template.charCodeAt(pct + 1);
    if (c === 0x25) {
      text += "%";
    } else if (c === S || c === D) {
      if (convs.length === MAX_CONVERSIONS) return DECLINED;
      if (text.length > 0 && isHigh(text.charCodeAt(text.length - 1))) {
        return DECLINED;
      }
      convs.push(c);
      texts.push(utf8(text));
      textLength += text.length;
      text = "";
    } else {
      return DECLINED;
    }
    last = pct + 2;
    pct = template.indexOf("%", last);
  }
  if (convs.length === 0) return DECLINED;
  text += template.slice(last);
  texts.push(utf8(text));
  return {
    convs: new Uint8Array(convs),
    texts,
    textLength: textLength + text.length,
  };
}

/** A string as UTF-8 (surrogatepass). */
function utf8(text: string): Uint8Array {
  const buf = new Uint8Array(3 * text.length);
  return buf.slice(0, utf8Into(buf, text, 0, 0));
}

/**
 * Measures, then writes, `template % args` for the templates and arguments
 * it takes (see the module documentation). Templates are parsed once (up
 * to 256 kept). One instance holds the last measured text's parts until it
 * is written; `measure` and `write` are called back to back, with nothing
 * else in between.
 */
export class PercentUtf8 {
  #parsed = new Map<string, Parsed>();
  #lastTemplate = "";
  #last: Parsed = DECLINED;
  /** The template being written. */
  #current: Parsed = DECLINED;
  /** Each conversion's text: a string, or an integer to write as digits. */
  #parts: (string | number)[] = new Array(MAX_CONVERSIONS).fill("");

  /**
   * The length (in UTF-16 code units) of `template % args`, when it is the
   * common case, else -1. Keeps what {@linkcode PercentUtf8.prototype.write}
   * writes.
   *
   * @param template The format string.
   * @param args The arguments.
   * @returns The text's length, or -1. Never throws.
   */
  measure(template: string, args: readonly unknown[]): number {
    let t = this.#last;
    if (template !== this.#lastTemplate) {
      if (template.length > MAX_TEMPLATE_LENGTH) return -1;
      const cache = this.#parsed;
      let found = cache.get(template);
      if (found === undefined) {
        if (cache.size === MAX_TEMPLATES) cache.clear();
        found = parse(template);
        cache.set(template, found);
      }
      this.#lastTemplate = template;
      this.#last = t = found;
    }
    const convs = t.convs;
    const count = convs.length;
    if (count === 0 || args.length !== count) return -1;
    const parts = this.#parts;
    let len = t.textLength;
    for (let k = 0; k < count; k++) {
      const v = args[k];
      const c = convs[k];
      let part: string | number;
      if (typeof v === "number") {
        if (Number.isSafeInteger(v) && (c === D || !Object.is(v, -0))) {
          part = v; // -0 prints "0" for %d
          len += v < 0 ? 1 + digitCount(-v) : digitCount(v);
        } else if (c === S) {
          part = floatRepr(v);
          len += part.length;
        } else {
          return -1;
        }
      } else if (c === D) {
        return -1;
      } else if (typeof v === "string") {
        if (v.length > 0 && isHigh(v.charCodeAt(v.length - 1))) return -1;
        part = v;
        len += v.length;
      } else if (typeof v === "boolean" || v === null || v === undefined) {
        part = pyStr(v); // True, False, None
        len += part.length;
      } else {
        return -1;
      }
      parts[k] = part;
    }
    this.#current = t;
    return len;
  }

  /**
   * Writes the text last measured into `buf` at `pos` (which must have
   * room for 3 bytes per code unit) and lets go of its parts.
   *
   * @param buf The output.
   * @param pos Where to write.
   * @returns Where the text ends.
   */
  write(buf: Uint8Array, pos: number): number {
    const t = this.#current;
    const texts = t.texts;
    const parts = this.#parts;
    const count = t.convs.length;
    for (let k = 0; k < count; k++) {
      pos = putBytes(buf, pos, texts[k]!);
      const part = parts[k]!;
      if (typeof part === "number") {
        pos = putInt(buf, pos, part);
      } else {
        pos = utf8Into(buf, part, 0, pos);
        parts[k] = "";
      }
    }
    this.#current = DECLINED;
    return putBytes(buf, pos, texts[count]!);
  }
}

/** Copies bytes (a loop for the few bytes between conversions). */
function putBytes(buf: Uint8Array, pos: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n > 64) {
    buf.set(bytes, pos);
  } else {
    for (let i = 0; i < n; i++) buf[pos + i] = bytes[i]!;
  }
  return pos + n;
}

/** "00" to "99": two digits per division. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 0x30 + ((i / 10) | 0);
  PAIRS[2 * i + 1] = 0x30 + (i % 10);
}

/** Writes a safe integer's decimal digits (-0 as "0"). */
function putInt(buf: Uint8Array, pos: number, v: number): number {
  let a = v;
  if (a < 0) {
    buf[pos++] = 0x2d;
    a = -a;
  }
  let p = pos + digitCount(a);
  const end = p;
  while (a > 0x7fffffff) {
    const r = a % 100; // exact, as are a - r and its hundredth
    buf[--p] = PAIRS[2 * r + 1]!;
    buf[--p] = PAIRS[2 * r]!;
    a = (a - r) / 100;
  }
  let i = a | 0;
  while (i >= 100) {
    const q = (i / 100) | 0;
    const r = 2 * (i - q * 100);
    buf[--p] = PAIRS[r + 1]!;
    buf[--p] = PAIRS[r]!;
    i = q;
  }
  if (i >= 10) {
    buf[--p] = PAIRS[2 * i + 1]!;
    buf[--p] = PAIRS[2 * i]!;
  } else {
    buf[--p] = 0x30 + i;
  }
  return end;
}
