// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Text decoding for the decoder: UTF-8 with `surrogatepass` (with a cache of
 * short strings), Latin-1, Python 2 `str` payloads, and the escapes of the
 * protocol-0 `UNICODE` and `STRING` opcodes.
 *
 * @module
 */
import type { Failer } from "./decoder_fail.ts";

/**
 * A byte as `0x..`.
 *
 * @param n The byte.
 * @returns Its text.
 */
export function hex2(n: number): string {
  return "0x" + n.toString(16).padStart(2, "0");
}

const UTF8 = new TextDecoder("utf-8");
let scratch = new Uint16Array(1024);
const CHUNK = 8192;
const CACHED_MAX = 32;
const CACHE_BITS = 11;
const CACHE_MASK = (1 << CACHE_BITS) - 1;
const cache: string[] = new Array<string>(CACHE_MASK + 1).fill("");
const cacheLen = new Uint8Array(CACHE_MASK + 1);
const cacheBytes = new Uint8Array((CACHE_MASK + 1) * CACHED_MAX);
/** `cacheBytes` as little-endian words (as {@linkcode word} reads them). */
const cacheWords = new Int32Array((CACHE_MASK + 1) * (CACHED_MAX >> 2));

/** The little-endian word at `data[i]`. */
function word(data: Uint8Array, i: number): number {
  return data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) |
    (data[i + 3]! << 24);
}

/** A cache slot from the length and three of the bytes. */
function cacheSlot(data: Uint8Array, a: number, b: number, n: number): number {
  const h = (n << 24) ^ (data[a]! << 16) ^ (data[a + (n >> 1)]! << 8) ^
    data[b - 1]!;
  return Math.imul(h, 0x9e3779b1) >>> (32 - CACHE_BITS);
}

/**
 * The cached string of `data[a..b)` (1 to `CACHED_MAX` bytes) in `slot`,
 * if the slot holds exactly these bytes; compared four bytes at a time,
 * then byte by byte.
 */
function cached(
  data: Uint8Array,
  a: number,
  b: number,
  slot: number,
): string | undefined {
  const n = b - a;
  if (cacheLen[slot] !== n) return undefined;
  let k = slot * CACHED_MAX;
  let w = slot * (CACHED_MAX >> 2);
  let i = a;
  for (; i + 4 <= b; i += 4, k += 4, w++) {
    if (word(data, i) !== cacheWords[w]) return undefined;
  }
  for (; i < b; i++, k++) if (data[i] !== cacheBytes[k]) return undefined;
  return cache[slot];
}

/** Caches the ASCII string `s` of `data[a..b)` (at most `CACHED_MAX` bytes). */
function remember(
  data: Uint8Array,
  a: number,
  b: number,
  slot: number,
  s: string,
): void {
  cache[slot] = s;
  cacheLen[slot] = b - a;
  for (let i = a, k = slot * CACHED_MAX; i < b; i++, k++) {
    cacheBytes[k] = data[i]!;
  }
  for (let i = a, w = slot * (CACHED_MAX >> 2); i + 4 <= b; i += 4, w++) {
    cacheWords[w] = word(data, i);
  }
}

/**
 * Short bytes 0..255 as code points, eight at a time (fewer intermediate
 * strings than one concatenation per byte).
 */
function shortLatin1(data: Uint8Array, a: number, b: number): string {
  let s = "";
  let i = a;
  for (; i + 8 <= b; i += 8) {
    s += String.fromCharCode(
      data[i]!,
      data[i + 1]!,
      data[i + 2]!,
      data[i + 3]!,
      data[i + 4]!,
      data[i + 5]!,
      data[i + 6]!,
      data[i + 7]!,
    );
  }
  for (; i < b; i++) s += String.fromCharCode(data[i]!);
  return s;
}

/** Whether `data[a..b)` is all ASCII (four bytes at a time, then bytes). */
function isAscii(data: Uint8Array, a: number, b: number): boolean {
  let i = a;
  for (; i + 4 <= b; i += 4) {
    if ((word(data, i) & 0x80808080) !== 0) return false;
  }
  for (; i < b; i++) if (data[i]! >= 0x80) return false;
  return true;
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A Python 2 `str` (bytes) as text: UTF-8 when it is well-formed UTF-8,
 * else Latin-1. `s` holds the bytes as code points 0..255.
 */
export function py2Text(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) < 0x80) i++;
  if (i === s.length) return s;
  const bytes = new Uint8Array(s.length);
  for (let j = 0; j < s.length; j++) bytes[j] = s.charCodeAt(j);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return s;
  }
}

/** Bytes 0..255 as code points 0..255 (ASCII or Latin-1). */
export function latin1(data: Uint8Array, a: number, b: number): string {
  const n = b - a;
  if (n <= CACHED_MAX) {
    // Keys and short values repeat from record to record: a small cache of
    // recent strings, checked byte for byte, saves building them again.
    if (n === 0) return "";
    const slot = cacheSlot(data, a, b, n);
    if (cacheLen[slot] === n) {
      const base = slot * CACHED_MAX;
      let i = 0;
      while (i < n && cacheBytes[base + i] === data[a + i]) i++;
      if (i === n) return cache[slot]!;
    }
    return latin1Short(data, a, b, slot, isAscii(data, a, b));
  }
  return latin1Long(data, a, b);
}

/**
 * Short bytes (at most `CACHED_MAX`) not in the cache as code points;
 * cached in `slot` when ASCII (so that a hit is also right for UTF-8).
 */
function latin1Short(
  data: Uint8Array,
  a: number,
  b: number,
  slot: number,
  ascii: boolean,
): string {
  const s = shortLatin1(data, a, b);
  if (ascii) remember(data, a, b, slot, s);
  return s;
}

/** Bytes (more than `CACHED_MAX`) as code points 0..255. */
function latin1Long(data: Uint8Array, a: number, b: number): string {
  if (b - a <= CHUNK) {
    return String.fromCharCode.apply(
      null,
      data.subarray(a, b) as unknown as number[],
    );
  }
  const parts: string[] = [];
  for (let i = a; i < b; i += CHUNK) {
    parts.push(
      String.fromCharCode.apply(
        null,
        data.subarray(i, Math.min(b, i + CHUNK)) as unknown as number[],
      ),
    );
  }
  return parts.join("");
}

function units(buf: Uint16Array, n: number): string {
  if (n <= CHUNK) {
    return String.fromCharCode.apply(
      null,
      buf.subarray(0, n) as unknown as number[],
    );
  }
  const parts: string[] = [];
  for (let i = 0; i < n; i += CHUNK) {
    parts.push(
      String.fromCharCode.apply(
        null,
        buf.subarray(i, Math.min(n, i + CHUNK)) as unknown as number[],
      ),
    );
  }
  return parts.join("");
}

/**
 * Decodes UTF-8 as CPython does with `errors="surrogatepass"`: encoded
 * surrogates (`ed a0 80`) become lone UTF-16 surrogates; anything else that
 * is not well-formed UTF-8 fails.
 */
export function utf8(
  st: Failer,
  data: Uint8Array,
  a: number,
  b: number,
): string {
  const n = b - a;
  if (n <= CACHED_MAX) {
    if (n === 0) return "";
    // cacheSlot(), inlined: this is the hottest path.
    const slot = Math.imul(
      (n << 24) ^ (data[a]! << 16) ^ (data[a + (n >> 1)]! << 8) ^ data[b - 1]!,
      0x9e3779b1,
    ) >>> (32 - CACHE_BITS);
    const hit = cached(data, a, b, slot);
    if (hit !== undefined) return hit;
    if (isAscii(data, a, b)) return latin1Short(data, a, b, slot, true);
  }
  return utf8Slow(st, data, a, b);
}

function utf8Slow(st: Failer, data: Uint8Array, a: number, b: number): string {
  let i = a;
  while (i < b && data[i]! < 0x80) i++;
  if (i === b) return latin1(data, a, b);
  // Long text that is well-formed without surrogates: the native decoder.
  if (b - a > 256 && wellFormed(data, i, b)) {
    return UTF8.decode(data.subarray(a, b));
  }
  let buf = scratch;
  if (buf.length < b - a) {
    // Keep the shared buffer small; very long strings get their own.
    buf = new Uint16Array(b - a);
    if (b - a <= 65536) scratch = buf;
  }
  let n = 0;
  for (let j = a; j < i; j++) buf[n++] = data[j]!;
  while (i < b) {
    const c = data[i]!;
    if (c < 0x80) {
      buf[n++] = c;
      i++;
      continue;
    }
    const len = seqLength(data, i, b);
    if (len === 0) {
      st.fail(`invalid UTF-8 byte ${hex2(c)} at offset ${i} in a str`);
    }
    if (len === 2) {
      buf[n++] = ((c & 0x1f) << 6) | (data[i + 1]! & 0x3f);
    } else if (len === 3) {
      buf[n++] = ((c & 0x0f) << 12) | ((data[i + 1]! & 0x3f) << 6) |
        (data[i + 2]! & 0x3f);
    } else {
      const cp = (((c & 0x07) << 18) | ((data[i + 1]! & 0x3f) << 12) |
        ((data[i + 2]! & 0x3f) << 6) | (data[i + 3]! & 0x3f)) - 0x10000;
      buf[n++] = 0xd800 + (cp >> 10);
      buf[n++] = 0xdc00 + (cp & 0x3ff);
    }
    i += len;
  }
  return units(buf, n);
}

/**
 * Length of the UTF-8 sequence at `i` (2, 3 or 4), or 0 if it is not
 * well-formed. Encoded surrogates (`ed a0..bf xx`) count as well-formed,
 * as with CPython's `surrogatepass`.
 */
function seqLength(data: Uint8Array, i: number, b: number): number {
  const c = data[i]!;
  if (c >= 0xc2 && c <= 0xdf) {
    return i + 1 < b && (data[i + 1]! & 0xc0) === 0x80 ? 2 : 0;
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (i + 2 >= b) return 0;
    const c1 = data[i + 1]!;
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    return c1 >= lo && c1 <= 0xbf && (data[i + 2]! & 0xc0) === 0x80 ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (i + 3 >= b) return 0;
    const c1 = data[i + 1]!;
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return c1 >= lo && c1 <= hi && (data[i + 2]! & 0xc0) === 0x80 &&
        (data[i + 3]! & 0xc0) === 0x80
      ? 4
      : 0;
  }
  return 0;
}

/** Whether `data[i..b)` is UTF-8 that TextDecoder decodes as CPython does. */
function wellFormed(data: Uint8Array, i: number, b: number): boolean {
  while (i < b) {
    const c = data[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const len = seqLength(data, i, b);
    if (len === 0 || (c === 0xed && data[i + 1]! >= 0xa0)) return false;
    i += len;
  }
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) ||
    (c >= 0x41 && c <= 0x46);
}

/** CPython's `raw-unicode-escape` decoder (protocol 0 `UNICODE`). */
export function rawUnicodeEscape(
  st: Failer,
  data: Uint8Array,
  a: number,
  b: number,
): string {
  const parts: string[] = [];
  let run = a;
  let i = a;
  while (i < b) {
    if (data[i] !== 0x5c) {
      i++;
      continue;
    }
    // A run of backslashes; \u escapes only count after an odd number.
    let j = i;
    while (j < b && data[j] === 0x5c) j++;
    const u = j < b ? data[j] : 0;
    if (((j - i) & 1) === 0 || (u !== 0x75 && u !== 0x55)) {
      i = j;
      continue;
    }
    const width = u === 0x75 ? 4 : 8;
    if (j + 1 + width > b) {
      st.fail("truncated \\uXXXX escape in a UNICODE argument");
    }
    let cp = 0;
    for (let k = j + 1; k < j + 1 + width; k++) {
      const c = data[k]!;
      if (!isHex(c)) st.fail("truncated \\uXXXX escape in a UNICODE argument");
      cp = cp * 16 + parseInt(String.fromCharCode(c), 16);
    }
    if (cp > 0x10ffff) {
      st.fail("\\Uxxxxxxxx out of range in a UNICODE argument");
    }
    parts.push(latin1(data, run, j - 1), String.fromCodePoint(cp));
    i = run = j + 1 + width;
  }
  parts.push(latin1(data, run, b));
  return parts.join("");
}

/** CPython's `codecs.escape_decode` (protocol 0 `STRING`), as Latin-1. */
export function escapeDecode(
  st: Failer,
  data: Uint8Array,
  a: number,
  b: number,
): string {
  let out = "";
  let run = a;
  let i = a;
  while (i < b) {
    if (data[i] !== 0x5c) {
      i++;
      continue;
    }
    out += latin1(data, run, i);
    i++;
    if (i >= b) st.fail("trailing \\ in a STRING argument");
    const c = data[i]!;
    i++;
    switch (c) {
      case 0x0a: // backslash-newline: nothing
        break;
      case 0x5c:
      case 0x27:
      case 0x22:
        out += String.fromCharCode(c);
        break;
      case 0x62:
        out += "\b";
        break;
      case 0x66:
        out += "\f";
        break;
      case 0x74:
        out += "\t";
        break;
      case 0x6e:
        out += "\n";
        break;
      case 0x72:
        out += "\r";
        break;
      case 0x76:
        out += "\v";
        break;
      case 0x61:
        out += "\x07";
        break;
      case 0x78: {
        if (i + 2 > b || !isHex(data[i]!) || !isHex(data[i + 1]!)) {
          st.fail("invalid \\x escape in a STRING argument");
        }
        out += String.fromCharCode(
          parseInt(String.fromCharCode(data[i]!, data[i + 1]!), 16),
        );
        i += 2;
        break;
      }
      default:
        if (c >= 0x30 && c <= 0x37) {
          let v = c - 0x30;
          if (i < b && data[i]! >= 0x30 && data[i]! <= 0x37) {
            v = v * 8 + data[i++]! - 0x30;
            if (i < b && data[i]! >= 0x30 && data[i]! <= 0x37) {
              v = v * 8 + data[i++]! - 0x30;
            }
          }
          out += String.fromCharCode(v & 0xff);
        } else {
          // Unknown escape: the backslash stays, the byte is read again.
          out += "\\";
          i--;
        }
    }
    run = i;
  }
  return out + latin1(data, run, b);
}

// ---------------------------------------------------------------------------
// Numbers
