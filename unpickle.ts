// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A safe, data-only decoder for Python pickles, protocols 0 to 5.
 *
 * `pickle.loads` in Python runs code: a pickle can name any importable
 * callable and call it. {@linkcode loads} instead accepts only the opcodes
 * that describe plain data, and refuses every opcode that would import a
 * global, call it, or set an object's state (`GLOBAL`, `STACK_GLOBAL`,
 * `REDUCE`, `BUILD`, `INST`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`, `PERSID`,
 * `BINPERSID`, `EXT1`, `EXT2`, `EXT4`, `NEXT_BUFFER`, `READONLY_BUFFER`)
 * with an {@linkcode UnpicklingError} that names the opcode and its byte
 * offset. The only exceptions are the fixed constructions CPython itself
 * writes for plain data under old protocols, matched exactly by name and
 * argument shape: `_codecs.encode(str, "latin1")` (bytes),
 * `builtins.bytes()` (empty bytes), `builtins.bytearray()` /
 * `bytearray(bytes)` / `bytearray(str, "latin-1")`, and
 * `builtins.set(list)` / `builtins.frozenset(list)` (with the
 * `__builtin__` module name too). Nothing is ever imported or called.
 *
 * Python values become JavaScript values as follows:
 *
 * | Python | JavaScript |
 * |---|---|
 * | `None` | `null` |
 * | `bool` | `boolean` |
 * | `int` | `number` if `Number.isSafeInteger`, else `bigint` |
 * | `float` | `number` (NaN, ±Infinity and −0 kept) |
 * | `str` | `string`; lone surrogates are kept (UTF-8 is decoded with `surrogatepass`, as CPython does) |
 * | Python 2 `str` (`STRING`, `BINSTRING`, `SHORT_BINSTRING`) | `string`, decoded as UTF-8 when the bytes are well-formed UTF-8 (what Python 2 programs almost always hold), otherwise as Latin-1 (like `pickle.loads(..., encoding="latin1")`), so decoding never fails; CPython's default `"ASCII"` would fail on non-ASCII bytes |
 * | `bytes`, `bytearray` | `Uint8Array` (a copy, never a view of the input) |
 * | `list` | `Array` |
 * | `tuple` | {@linkcode PyTuple} |
 * | `set`, `frozenset` | `Set` |
 * | `dict` whose keys are all `str` | an object with a `null` prototype; every key, `"__proto__"` included, is an own property |
 * | any other `dict` | `Map` |
 *
 * Shared and self-referential containers keep their identity: a list that
 * contains itself decodes to an array that contains itself, so walk results
 * with a cycle guard. Keys of a `Map` and members of a `Set` compare by
 * JavaScript identity (`SameValueZero`): two equal tuples that are distinct
 * objects are two keys, `NaN` members collapse into one, and a `-0.0` key
 * becomes `0`. Plain objects
 * list integer-like keys (`"1"`, `"42"`) first, whatever the pickle's order.
 *
 * Limits (see {@linkcode LoadsOptions}) bound the input size, the nesting
 * depth, the memo and the length of each container; every declared length
 * is checked against the remaining input before anything is allocated, and
 * decimal text integers may have at most 4300 digits (CPython's default
 * `int` limit). Any malformed, truncated or hostile input throws
 * {@linkcode UnpicklingError}, never another error.
 *
 * Stricter than CPython: the stack must hold exactly one value and no open
 * `MARK` at `STOP`, and bytes after `STOP` are an error. Text `INT`/`LONG`
 * arguments must be plain decimal (no `0x` prefixes or underscores), and a
 * `dict` key or `set` member that is a list, dict or set is refused, as
 * CPython refuses unhashable keys.
 *
 * @example Decode the frame body a Python `SocketHandler` sends
 * ```ts
 * import { loads } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * // pickle.dumps({'name': 'a', 'levelno': 30}, 1)
 * const body = Uint8Array.from(
 *   "}q\x00(X\x04\x00\x00\x00nameq\x01X\x01\x00\x00\x00aq\x02" +
 *     "X\x07\x00\x00\x00levelnoq\x03K\x1eu.",
 *   (c) => c.charCodeAt(0),
 * );
 * const record = loads(body);
 * deepEqual(record, Object.assign(Object.create(null), { name: "a", levelno: 30 }));
 * ```
 *
 * @example Hostile input is refused, never executed
 * ```ts
 * import { loads } from "@pylogging/socket-handler/pickle";
 * import { throws } from "node:assert/strict";
 *
 * // pickle.dumps(os.system-calling object, 0)
 * const evil = new TextEncoder().encode("cposix\nsystem\n(Vtouch /tmp/x\ntR.");
 * throws(() => loads(evil), { name: "UnpicklingError" });
 * ```
 *
 * @module
 */
import { PyTuple } from "./py_types.ts";

/** Limits that {@linkcode loads} enforces while decoding. */
export interface LoadsOptions {
  /**
   * Maximum input size in bytes.
   *
   * @default {67108864}
   */
  maxInputBytes?: number;
  /**
   * Maximum nesting depth of containers as they are built, and maximum
   * number of open `MARK`s. Containers reached again through memo
   * references (shared or cyclic structures) may form deeper or cyclic
   * graphs after they were first nested, so consumers that recurse should
   * still guard against cycles. (Conversely, a list appended to itself one
   * `APPEND` at a time counts one level per append; CPython never writes
   * that.)
   *
   * @default {1000}
   */
  maxDepth?: number;
  /**
   * Maximum number of memo entries.
   *
   * @default {1000000}
   */
  maxMemo?: number;
  /**
   * Maximum number of items in one container. The unpickler's stack may
   * hold `maxContainerLength + maxDepth` values.
   *
   * @default {10000000}
   */
  maxContainerLength?: number;
}

/**
 * The error {@linkcode loads} throws for every malformed, truncated, hostile
 * or over-limit input. The message names the opcode and its byte offset,
 * e.g. `Cannot unpickle opcode 'REDUCE' (0x52) at offset 57: it would call
 * an arbitrary callable`.
 */
export class UnpicklingError extends Error {
  /**
   * Creates an error.
   *
   * @param message What went wrong, and where.
   * @param options The error's cause, if any.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnpicklingError";
  }
}

interface Limits {
  maxInputBytes: number;
  maxDepth: number;
  maxMemo: number;
  maxContainerLength: number;
}

const DEFAULTS: Limits = {
  maxInputBytes: 67108864,
  maxDepth: 1000,
  maxMemo: 1000000,
  maxContainerLength: 10000000,
};

/** CPython's default `sys.get_int_max_str_digits()`. */
const MAX_TEXT_DIGITS = 4300;
const MAX_TEXT_FLOAT_CHARS = 4300;

// Opcode names, for messages.
const NAMES: string[] = [];
for (
  const [code, name] of [
    [0x28, "MARK"],
    [0x2e, "STOP"],
    [0x30, "POP"],
    [0x31, "POP_MARK"],
    [0x32, "DUP"],
    [0x46, "FLOAT"],
    [0x49, "INT"],
    [0x4a, "BININT"],
    [0x4b, "BININT1"],
    [0x4c, "LONG"],
    [0x4d, "BININT2"],
    [0x4e, "NONE"],
    [0x50, "PERSID"],
    [0x51, "BINPERSID"],
    [0x52, "REDUCE"],
    [0x53, "STRING"],
    [0x54, "BINSTRING"],
    [0x55, "SHORT_BINSTRING"],
    [0x56, "UNICODE"],
    [0x58, "BINUNICODE"],
    [0x61, "APPEND"],
    [0x62, "BUILD"],
    [0x63, "GLOBAL"],
    [0x64, "DICT"],
    [0x7d, "EMPTY_DICT"],
    [0x65, "APPENDS"],
    [0x67, "GET"],
    [0x68, "BINGET"],
    [0x69, "INST"],
    [0x6a, "LONG_BINGET"],
    [0x6c, "LIST"],
    [0x5d, "EMPTY_LIST"],
    [0x6f, "OBJ"],
    [0x70, "PUT"],
    [0x71, "BINPUT"],
    [0x72, "LONG_BINPUT"],
    [0x73, "SETITEM"],
    [0x74, "TUPLE"],
    [0x29, "EMPTY_TUPLE"],
    [0x75, "SETITEMS"],
    [0x47, "BINFLOAT"],
    [0x80, "PROTO"],
    [0x81, "NEWOBJ"],
    [0x82, "EXT1"],
    [0x83, "EXT2"],
    [0x84, "EXT4"],
    [0x85, "TUPLE1"],
    [0x86, "TUPLE2"],
    [0x87, "TUPLE3"],
    [0x88, "NEWTRUE"],
    [0x89, "NEWFALSE"],
    [0x8a, "LONG1"],
    [0x8b, "LONG4"],
    [0x42, "BINBYTES"],
    [0x43, "SHORT_BINBYTES"],
    [0x8c, "SHORT_BINUNICODE"],
    [0x8d, "BINUNICODE8"],
    [0x8e, "BINBYTES8"],
    [0x8f, "EMPTY_SET"],
    [0x90, "ADDITEMS"],
    [0x91, "FROZENSET"],
    [0x92, "NEWOBJ_EX"],
    [0x93, "STACK_GLOBAL"],
    [0x94, "MEMOIZE"],
    [0x95, "FRAME"],
    [0x96, "BYTEARRAY8"],
    [0x97, "NEXT_BUFFER"],
    [0x98, "READONLY_BUFFER"],
  ] as const
) NAMES[code] = name;

function hex2(n: number): string {
  return "0x" + n.toString(16).padStart(2, "0");
}

function describe(op: number): string {
  const name = NAMES[op];
  return name === undefined
    ? `opcode ${hex2(op)}`
    : `opcode '${name}' (${hex2(op)})`;
}

/** Quotes untrusted text for a message: escaped and at most 80 chars. */
function quote(text: string): string {
  const cut = text.length > 80 ? text.slice(0, 80) + "..." : text;
  return "'" +
    cut.replace(
      /[^\x20-\x26\x28-\x5b\x5d-\x7e]/g,
      (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
    ) + "'";
}

/** Decoder state that the slow paths share with the main loop. */
class State {
  /** Offset of the current opcode. */
  at = 0;
  readonly data: Uint8Array;
  readonly lim: Limits;
  /** Pass 2: ordinals of the dicts that must be built as Maps. */
  readonly mapDicts: Set<number> | null;
  /** Pass 1: every object-dict created, by ordinal. */
  readonly dicts: object[] = [];
  /** Pass 1, after the first upgrade: each dict's ordinal. */
  ordinals: Map<object, number> | undefined;
  dictOrdinal = 0;
  /** Pass 1: object-dicts that received a non-str key, with a Map shadow. */
  shadows: Map<object, Map<unknown, unknown>> | undefined;
  upgraded: Set<number> | undefined;
  /** Total keys ever set on object-dicts (bounds each dict's size). */
  dictInserts = 0;
  sizes: Map<object, number> | undefined;
  /**
   * Depths of containers deeper than 1: the last one recorded in two
   * fields (most pickles nest one container in the root), the rest in a Map.
   */
  depths: Map<object, number> | undefined;
  lastNested: object | undefined;
  lastDepth = 0;
  frozen: Set<unknown> | undefined;
  /** Whether an allow-listed global (a marker) may be on the stack or memo. */
  markers = false;

  constructor(data: Uint8Array, lim: Limits, mapDicts: Set<number> | null) {
    this.data = data;
    this.lim = lim;
    this.mapDicts = mapDicts;
  }

  fail(reason: string): never {
    throw new UnpicklingError(
      `Cannot unpickle ${
        describe(this.data[this.at]!)
      } at offset ${this.at}: ${reason}`,
    );
  }

  eod(offset: number): never {
    this.fail(`unexpected end of data at offset ${offset}`);
  }
}

// Allow-listed globals: inert markers, only ever consumed by REDUCE.
const K_ENCODE = 0;
const K_BYTES = 1;
const K_BYTEARRAY = 2;
const K_SET = 3;
const K_FROZENSET = 4;

class Callable {
  readonly kind: number;
  readonly label: string;
  constructor(kind: number, label: string) {
    this.kind = kind;
    this.label = label;
  }
}

function allowGlobal(module: string, name: string): Callable | undefined {
  if (module === "_codecs") {
    return name === "encode"
      ? new Callable(K_ENCODE, "_codecs.encode")
      : undefined;
  }
  if (module !== "builtins" && module !== "__builtin__") return undefined;
  switch (name) {
    case "bytes":
      return new Callable(K_BYTES, module + ".bytes");
    case "bytearray":
      return new Callable(K_BYTEARRAY, module + ".bytearray");
    case "set":
      return new Callable(K_SET, module + ".set");
    case "frozenset":
      return new Callable(K_FROZENSET, module + ".frozenset");
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Text helpers

const UTF8 = new TextDecoder("utf-8");
let scratch = new Uint16Array(1024);
const CHUNK = 8192;
const CACHED_MAX = 32;
const CACHE_BITS = 11;
const CACHE_MASK = (1 << CACHE_BITS) - 1;
const cache: string[] = new Array<string>(CACHE_MASK + 1).fill("");
const cacheLen = new Uint8Array(CACHE_MASK + 1);
const cacheBytes = new Uint8Array((CACHE_MASK + 1) * CACHED_MAX);

/** A cache slot from the length and three of the bytes. */
function cacheSlot(data: Uint8Array, a: number, b: number, n: number): number {
  const h = (n << 24) ^ (data[a]! << 16) ^ (data[a + (n >> 1)]! << 8) ^
    data[b - 1]!;
  return Math.imul(h, 0x9e3779b1) >>> (32 - CACHE_BITS);
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A Python 2 `str` (bytes) as text: UTF-8 when it is well-formed UTF-8,
 * else Latin-1. `s` holds the bytes as code points 0..255.
 */
function py2Text(s: string): string {
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
function latin1(data: Uint8Array, a: number, b: number): string {
  const n = b - a;
  if (n <= CACHED_MAX) {
    // Keys and short values repeat from record to record: a small cache of
    // recent strings, checked byte for byte, saves building them again.
    if (n === 0) return "";
    const slot = cacheSlot(data, a, b, n);
    const base = slot * CACHED_MAX;
    if (cacheLen[slot] === n) {
      let i = 0;
      while (i < n && cacheBytes[base + i] === data[a + i]) i++;
      if (i === n) return cache[slot]!;
    }
    let s = "";
    let ascii = true;
    for (let i = a; i < b; i++) {
      const c = data[i]!;
      if (c >= 0x80) ascii = false;
      s += String.fromCharCode(c);
    }
    // Only ASCII is cached, so a hit is also right for UTF-8 text.
    if (ascii) {
      cache[slot] = s;
      cacheLen[slot] = n;
      cacheBytes.set(data.subarray(a, b), base);
    }
    return s;
  }
  if (n <= CHUNK) {
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
function utf8(st: State, data: Uint8Array, a: number, b: number): string {
  const n = b - a;
  if (n <= CACHED_MAX) {
    if (n === 0) return "";
    // cacheSlot(), inlined: this is the hottest path.
    const slot = Math.imul(
      (n << 24) ^ (data[a]! << 16) ^ (data[a + (n >> 1)]! << 8) ^ data[b - 1]!,
      0x9e3779b1,
    ) >>> (32 - CACHE_BITS);
    if (cacheLen[slot] === n) {
      const base = slot * CACHED_MAX;
      let i = 0;
      while (i < n && cacheBytes[base + i] === data[a + i]) i++;
      if (i === n) return cache[slot]!;
    }
  }
  return utf8Slow(st, data, a, b);
}

function utf8Slow(st: State, data: Uint8Array, a: number, b: number): string {
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
function rawUnicodeEscape(
  st: State,
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
function escapeDecode(
  st: State,
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

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function normalize(v: bigint): number | bigint {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/** A plain decimal integer: optional sign, no leading zeros (but "0…0"). */
function parseDecimal(st: State, text: string, what: string): number | bigint {
  let k = 0;
  if (text.charCodeAt(0) === 0x2b || text.charCodeAt(0) === 0x2d) k = 1;
  const digits = text.length - k;
  if (digits === 0) st.fail(`invalid ${what} literal ${quote(text)}`);
  if (digits > MAX_TEXT_DIGITS) {
    st.fail(
      `${what} literal has ${digits} digits, more than the limit of ${MAX_TEXT_DIGITS}`,
    );
  }
  let zeros = true;
  for (let i = k; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) st.fail(`invalid ${what} literal ${quote(text)}`);
    if (c !== 0x30) zeros = false;
  }
  if (zeros) return 0;
  if (text.charCodeAt(k) === 0x30) {
    st.fail(`invalid ${what} literal ${quote(text)}: leading zeros`);
  }
  if (digits <= 15) return Number(text);
  const v = BigInt(text);
  return normalize(v);
}

const FLOAT_RE = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;
const SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;

function parseFloatText(st: State, text: string): number {
  if (FLOAT_RE.test(text)) return Number(text);
  const m = SPECIAL_RE.exec(text);
  if (m === null) st.fail(`invalid FLOAT literal ${quote(text)}`);
  if (m[2]!.toLowerCase() === "nan") return NaN;
  return m[1] === "-" ? -Infinity : Infinity;
}

/** Little-endian two's complement, as LONG1/LONG4 store it. */
function decodeLong(data: Uint8Array, a: number, n: number): number | bigint {
  if (n === 0) return 0;
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + data[a + i]!;
    if (data[a + n - 1]! >= 0x80) v -= 2 ** (8 * n);
    return v;
  }
  const parts: string[] = [];
  for (let end = a + n; end > a;) {
    const start = Math.max(a, end - 4096);
    let s = "";
    for (let i = end - 1; i >= start; i--) {
      s += (data[i]! < 16 ? "0" : "") + data[i]!.toString(16);
    }
    parts.push(s);
    end = start;
  }
  return normalize(BigInt.asIntN(8 * n, BigInt("0x" + parts.join(""))));
}

// ---------------------------------------------------------------------------
// Containers

function isDictObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null &&
    Object.getPrototypeOf(v) === null;
}

function unhashable(st: State, k: unknown): boolean {
  if (typeof k !== "object" || k === null) return false;
  if (k instanceof PyTuple || k instanceof Uint8Array) return false;
  if (k instanceof Set) return st.frozen === undefined || !st.frozen.has(k);
  return true; // list, dict, marker
}

function checkKey(st: State, k: unknown): void {
  if (unhashable(st, k)) {
    st.fail(
      `unhashable ${
        Array.isArray(k)
          ? "list"
          : k instanceof Set
          ? "set"
          : k instanceof Callable
          ? "global"
          : "dict"
      } used as a dict key or set member`,
    );
  }
}

function noMarkers(st: State, items: unknown[], from: number, to: number) {
  for (let i = from; i < to; i++) {
    const v = items[i];
    if (v instanceof Callable) {
      st.fail(
        `the global ${quote(v.label)} may only be called with REDUCE`,
      );
    }
  }
}

/** Depth of an item: 0 for scalars, 1 for a container of scalars. */
function depthOf(st: State, v: unknown): number {
  if (typeof v !== "object" || v === null) return 0;
  if (v === st.lastNested) return st.lastDepth;
  return st.depths?.get(v) ?? 1;
}

/** Records that `container` now holds `items[from..to)`, checking depth. */
function nest(
  st: State,
  container: object,
  isNew: boolean,
  items: readonly unknown[],
  from: number,
  to: number,
): void {
  let max = 0;
  for (let i = from; i < to; i++) {
    const v = items[i];
    if (typeof v === "object" && v !== null) {
      const d = depthOf(st, v);
      if (d > max) max = d;
    }
  }
  if (max !== 0) deepen(st, container, isNew, max + 1);
}

/** Raises the recorded depth of `container` to `depth`, checking the limit. */
function deepen(
  st: State,
  container: object,
  isNew: boolean,
  depth: number,
): void {
  const cur = isNew ? 1 : depthOf(st, container);
  if (depth <= cur) return;
  if (depth > st.lim.maxDepth) {
    st.fail(`containers nest deeper than maxDepth (${st.lim.maxDepth})`);
  }
  const last = st.lastNested;
  if (last !== undefined && last !== container) {
    (st.depths ??= new Map()).set(last, st.lastDepth);
  }
  st.lastNested = container;
  st.lastDepth = depth;
}

function tooLong(st: State, n: number): never {
  st.fail(
    `a container would hold ${n} items, more than maxContainerLength (${st.lim.maxContainerLength})`,
  );
}

function newDict(st: State): Record<string, unknown> | Map<unknown, unknown> {
  const ordinal = st.dictOrdinal++;
  if (st.mapDicts !== null) {
    if (st.mapDicts.has(ordinal)) return new Map();
    return Object.create(null);
  }
  const d = Object.create(null);
  st.ordinals?.set(d, st.dicts.length);
  st.dicts.push(d);
  return d;
}

/** Sets `items[from..to)` as key/value pairs on the dict `d`. */
function setItems(
  st: State,
  d: unknown,
  items: unknown[],
  from: number,
  to: number,
): void {
  if (st.markers) noMarkers(st, items, from, to);
  if (d instanceof Map) {
    for (let i = from; i < to; i += 2) {
      checkKey(st, items[i]);
      d.set(items[i], items[i + 1]);
    }
    if (d.size > st.lim.maxContainerLength) tooLong(st, d.size);
  } else if (isDictObject(d)) {
    const shadow = st.shadows?.get(d);
    if (shadow === undefined) {
      if (st.dictInserts + ((to - from) >> 1) > st.lim.maxContainerLength) {
        countedSet(st, d, items, from, to);
        return;
      }
      let max = 0;
      for (let i = from; i < to; i += 2) {
        const k = items[i];
        if (typeof k !== "string") {
          upgrade(st, d, items, i, to);
          max = 0;
          nest(st, d, false, items, from, to);
          break;
        }
        const v = items[i + 1];
        if (typeof v === "object" && v !== null) {
          const depth = depthOf(st, v);
          if (depth > max) max = depth;
        }
        d[k] = v;
      }
      st.dictInserts += (to - from) >> 1;
      if (max !== 0) deepen(st, d, false, max + 1);
      return;
    } else {
      for (let i = from; i < to; i += 2) {
        checkKey(st, items[i]);
        shadow.set(items[i], items[i + 1]);
      }
      if (shadow.size > st.lim.maxContainerLength) tooLong(st, shadow.size);
    }
  } else {
    st.fail(`the target is a ${kindOf(st, d)}, not a dict`);
  }
  nest(st, d as object, false, items, from, to);
}

/**
 * Sets items on an object-dict once so many keys were set overall that this
 * dict might exceed `maxContainerLength`: counts its keys exactly.
 */
function countedSet(
  st: State,
  d: Record<string, unknown>,
  items: unknown[],
  from: number,
  to: number,
): void {
  const sizes = st.sizes ??= new Map();
  let size = sizes.get(d) ?? Object.keys(d).length;
  for (let i = from; i < to; i += 2) {
    const k = items[i];
    if (typeof k !== "string") {
      sizes.set(d, size);
      upgrade(st, d, items, i, to);
      break;
    }
    if (!Object.hasOwn(d, k)) {
      if (++size > st.lim.maxContainerLength) tooLong(st, size);
    }
    d[k] = items[i + 1];
  }
  sizes.set(d, size);
  st.dictInserts += (to - from) >> 1;
  nest(st, d, false, items, from, to);
}

/**
 * A str-keyed dict received a non-str key. Its identity may already be
 * shared (memo, other containers, itself), so pass 1 notes its ordinal,
 * keeps decoding into a Map shadow, and {@linkcode loads} runs pass 2 with
 * that dict built as a Map from the start.
 */
function upgrade(
  st: State,
  d: Record<string, unknown>,
  items: unknown[],
  from: number,
  to: number,
): void {
  if (st.mapDicts !== null) {
    st.fail("internal error: dict representation changed in pass 2");
  }
  // Built on the first upgrade, so that many upgrades cost no more than one
  // scan of the dicts.
  const ordinals = st.ordinals ??= new Map(st.dicts.map((x, i) => [x, i]));
  const ordinal = ordinals.get(d);
  if (ordinal === undefined) st.fail("internal error: unknown dict");
  (st.upgraded ??= new Set()).add(ordinal);
  const shadow = new Map<unknown, unknown>(Object.entries(d));
  (st.shadows ??= new Map()).set(d, shadow);
  for (let i = from; i < to; i += 2) {
    checkKey(st, items[i]);
    shadow.set(items[i], items[i + 1]);
  }
  if (shadow.size > st.lim.maxContainerLength) tooLong(st, shadow.size);
}

function kindOf(st: State, v: unknown): string {
  if (v === null) return "None";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "number";
  if (typeof v !== "object") return typeof v;
  if (Array.isArray(v)) return "list";
  if (v instanceof PyTuple) return "tuple";
  if (v instanceof Set) return st.frozen?.has(v) ? "frozenset" : "set";
  if (v instanceof Map || isDictObject(v)) return "dict";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Callable) return "global";
  return "object";
}

function dictFrom(
  st: State,
  items: unknown[],
  from: number,
  to: number,
): unknown {
  if (st.markers) noMarkers(st, items, from, to);
  let allStr = true;
  for (let i = from; i < to; i += 2) {
    if (typeof items[i] !== "string") {
      allStr = false;
      break;
    }
  }
  const ordinal = st.dictOrdinal++;
  let d: unknown;
  if (allStr && (st.mapDicts === null || !st.mapDicts.has(ordinal))) {
    const o = Object.create(null) as Record<string, unknown>;
    for (let i = from; i < to; i += 2) o[items[i] as string] = items[i + 1];
    st.dictInserts += (to - from) >> 1;
    if (st.dictInserts > st.lim.maxContainerLength) {
      const size = Object.keys(o).length;
      (st.sizes ??= new Map()).set(o, size);
      if (size > st.lim.maxContainerLength) tooLong(st, size);
    }
    if (st.mapDicts === null) {
      st.ordinals?.set(o, st.dicts.length);
      st.dicts.push(o);
    }
    d = o;
  } else {
    const m = new Map<unknown, unknown>();
    for (let i = from; i < to; i += 2) {
      checkKey(st, items[i]);
      m.set(items[i], items[i + 1]);
    }
    if (m.size > st.lim.maxContainerLength) tooLong(st, m.size);
    if (st.mapDicts === null) {
      st.ordinals?.set(m, st.dicts.length);
      st.dicts.push(m);
    }
    d = m;
  }
  nest(st, d as object, true, items, from, to);
  return d;
}

function addItems(
  st: State,
  s: Set<unknown>,
  isNew: boolean,
  items: readonly unknown[],
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    checkKey(st, items[i]);
    s.add(items[i]);
  }
  if (s.size > st.lim.maxContainerLength) tooLong(st, s.size);
  nest(st, s, isNew, items, from, to);
}

function latin1Bytes(st: State, s: string, label: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      st.fail(
        `${label} with a str that is not Latin-1 (code point ${c} at index ${i})`,
      );
    }
    out[i] = c;
  }
  return out;
}

/** REDUCE on an allow-listed global with exactly the arguments CPython writes. */
function reduce(st: State, fn: unknown, args: unknown): unknown {
  if (!(fn instanceof Callable)) {
    st.fail("it would call an arbitrary callable");
  }
  const bad = (): never =>
    st.fail(
      `it would call ${
        quote(fn.label)
      } with arguments other than those CPython writes for plain data`,
    );
  if (!(args instanceof PyTuple)) bad();
  const a = (args as PyTuple).items;
  const latinName = (v: unknown) => v === "latin1" || v === "latin-1";
  switch (fn.kind) {
    case K_ENCODE:
      if (a.length === 2 && typeof a[0] === "string" && latinName(a[1])) {
        return latin1Bytes(st, a[0], "_codecs.encode");
      }
      break;
    case K_BYTES:
      if (a.length === 0) return new Uint8Array(0);
      break;
    case K_BYTEARRAY:
      if (a.length === 0) return new Uint8Array(0);
      if (a.length === 1 && a[0] instanceof Uint8Array) return a[0].slice();
      if (a.length === 2 && typeof a[0] === "string" && latinName(a[1])) {
        return latin1Bytes(st, a[0], "bytearray");
      }
      break;
    case K_SET:
    case K_FROZENSET: {
      if (a.length === 0 || (a.length === 1 && Array.isArray(a[0]))) {
        const s = new Set<unknown>();
        if (a.length === 1) {
          const list = a[0] as unknown[];
          addItems(st, s, true, list, 0, list.length);
        }
        if (fn.kind === K_FROZENSET) (st.frozen ??= new Set()).add(s);
        return s;
      }
      break;
    }
  }
  return bad();
}

// ---------------------------------------------------------------------------
// The machine

function resolveLimits(options: LoadsOptions | undefined): Limits {
  if (options === undefined) return DEFAULTS;
  const lim = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof Limits)[]) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== "number") {
      throw new TypeError(
        `Cannot use option '${key}': expected a number, got ${typeof v}`,
      );
    }
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(
        `Cannot use option '${key}': expected a non-negative integer, got ${v}`,
      );
    }
    lim[key] = v;
  }
  return lim;
}

/**
 * Decodes a pickle (protocols 0 to 5) into plain JavaScript data, without
 * ever importing or calling anything. See the module documentation for the
 * value mapping and the few allow-listed constructions.
 *
 * @param data The pickle bytes, ending with `STOP` (`.`). For a
 * `SocketHandler` frame, strip the 4-byte length prefix first.
 * @param options Limits on size, depth, memo and container length.
 * @returns The decoded value.
 * @throws {UnpicklingError} If the input is malformed, truncated, exceeds a
 * limit, or uses an opcode that would import, call or build an object; the
 * message names the opcode and its byte offset.
 * @throws {TypeError} If `data` is not a `Uint8Array` or an option is not a
 * number.
 * @throws {RangeError} If an option is negative or not an integer.
 *
 * @example Usage
 * ```ts
 * import { loads } from "@pylogging/socket-handler/pickle";
 * import { PyTuple } from "@pylogging/socket-handler";
 * import { deepEqual } from "node:assert/strict";
 *
 * // pickle.dumps([1, 2**70, (None, True), {1.5}], 4)
 * const data = Uint8Array.from([
 *   0x80, 0x04, 0x95, 0x1b, 0, 0, 0, 0, 0, 0, 0, 0x5d, 0x94, 0x28, 0x4b,
 *   0x01, 0x8a, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x4e, 0x88, 0x86, 0x94,
 *   0x8f, 0x94, 0x28, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x90, 0x65, 0x2e,
 * ]);
 * deepEqual(loads(data), [1, 2n ** 70n, new PyTuple([null, true]), new Set([1.5])]);
 * ```
 */
export function loads(data: Uint8Array, options?: LoadsOptions): unknown {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot unpickle a ${typeof data}: expected a Uint8Array`,
    );
  }
  const lim = resolveLimits(options);
  if (data.length > lim.maxInputBytes) {
    throw new UnpicklingError(
      `Cannot unpickle ${data.length} bytes: more than maxInputBytes (${lim.maxInputBytes})`,
    );
  }
  const first = new State(data, lim, null);
  const value = run(first, data);
  if (first.upgraded === undefined) return value;
  return run(new State(data, lim, first.upgraded), data);
}

function run(st: State, data: Uint8Array): unknown {
  try {
    return decode(st, data);
  } catch (e) {
    if (e instanceof UnpicklingError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new UnpicklingError(
      `Cannot unpickle ${
        describe(st.data[st.at]!)
      } at offset ${st.at}: ${reason}`,
      { cause: e },
    );
  }
}

function decode(st: State, data: Uint8Array): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const end = data.length;
  const lim = st.lim;
  const maxStack = lim.maxContainerLength + lim.maxDepth;
  const stack: unknown[] = [];
  const marks: number[] = [];
  let fence = 0;
  const memo: unknown[] = [];
  let memoCount = 0;
  let pos = 0;

  for (;;) {
    if (pos >= end) {
      throw new UnpicklingError(
        `Unexpected end of data at offset ${pos}: no STOP opcode`,
      );
    }
    const op = data[st.at = pos++]!;
    if (stack.length > maxStack) {
      st.fail(
        `the stack holds ${stack.length} values, more than maxContainerLength + maxDepth (${maxStack})`,
      );
    }
    switch (op) {
      // --- structure -------------------------------------------------------
      case 0x28: // MARK
        if (marks.length >= lim.maxDepth) {
          st.fail(`more than maxDepth (${lim.maxDepth}) open MARKs`);
        }
        marks.push(fence = stack.length);
        break;
      case 0x2e: { // STOP
        if (marks.length !== 0) st.fail(`${marks.length} MARK(s) still open`);
        if (stack.length !== 1) {
          st.fail(`the stack holds ${stack.length} values, expected 1`);
        }
        const value = stack[0];
        if (value instanceof Callable) noMarkers(st, stack, 0, 1);
        if (pos !== end) {
          st.fail(`${end - pos} unexpected byte(s) after STOP`);
        }
        return value;
      }
      case 0x30: // POP
        if (stack.length > fence) stack.pop();
        else if (
          marks.length !== 0 && marks[marks.length - 1] === stack.length
        ) {
          marks.pop();
          fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        } else st.fail("stack underflow");
        break;
      case 0x31: { // POP_MARK
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        stack.length = m;
        break;
      }
      case 0x32: // DUP
        if (stack.length <= fence) st.fail("stack underflow");
        stack.push(stack[stack.length - 1]);
        break;
      case 0x80: { // PROTO
        if (pos >= end) st.eod(pos);
        const v = data[pos++]!;
        if (v > 5) st.fail(`unsupported pickle protocol ${v}`);
        break;
      }
      case 0x95: { // FRAME
        if (pos + 8 > end) st.eod(end);
        const lo = view.getUint32(pos, true);
        const hi = view.getUint32(pos + 4, true);
        pos += 8;
        if (hi !== 0 || lo > end - pos) {
          st.fail(
            `unexpected end of data at offset ${end}: frame of ${
              hi * 2 ** 32 + lo
            } bytes exceeds the ${end - pos} remaining bytes`,
          );
        }
        break;
      }

      // --- scalars ---------------------------------------------------------
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        if (pos >= end) st.eod(pos);
        stack.push(data[pos++]!);
        break;
      case 0x4d: // BININT2
        if (pos + 2 > end) st.eod(end);
        stack.push(data[pos]! | (data[pos + 1]! << 8));
        pos += 2;
        break;
      case 0x4a: // BININT
        if (pos + 4 > end) st.eod(end);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x47: // BINFLOAT
        if (pos + 8 > end) st.eod(end);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x8a: { // LONG1
        if (pos >= end) st.eod(pos);
        const n = data[pos++]!;
        if (n > end - pos) st.eod(end);
        stack.push(decodeLong(data, pos, n));
        pos += n;
        break;
      }
      case 0x8b: { // LONG4
        if (pos + 4 > end) st.eod(end);
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) st.fail(`negative byte count ${n}`);
        if (n > end - pos) tooShort(st, n, end - pos);
        stack.push(decodeLong(data, pos, n));
        pos += n;
        break;
      }
      case 0x49: { // INT
        const nl = lineEnd(
          st,
          data,
          pos,
          MAX_TEXT_DIGITS + 1,
          `the INT literal (at most ${MAX_TEXT_DIGITS} digits)`,
        );
        const n = nl - pos;
        if (n === 2 && data[pos] === 0x30 && data[pos + 1] === 0x31) {
          stack.push(true);
        } else if (n === 2 && data[pos] === 0x30 && data[pos + 1] === 0x30) {
          stack.push(false);
        } else stack.push(parseDecimal(st, latin1(data, pos, nl), "INT"));
        pos = nl + 1;
        break;
      }
      case 0x4c: { // LONG
        const nl = lineEnd(
          st,
          data,
          pos,
          MAX_TEXT_DIGITS + 2,
          `the LONG literal (at most ${MAX_TEXT_DIGITS} digits)`,
        );
        let stop = nl;
        if (stop > pos && data[stop - 1] === 0x4c) stop--;
        stack.push(parseDecimal(st, latin1(data, pos, stop), "LONG"));
        pos = nl + 1;
        break;
      }
      case 0x46: { // FLOAT
        const nl = lineEnd(st, data, pos, MAX_TEXT_FLOAT_CHARS);
        stack.push(parseFloatText(st, latin1(data, pos, nl)));
        pos = nl + 1;
        break;
      }

      // --- strings and bytes -----------------------------------------------
      case 0x58: { // BINUNICODE
        if (pos + 4 > end) st.eod(end);
        const n = view.getUint32(pos, true);
        pos += 4;
        if (n > end - pos) tooShort(st, n, end - pos);
        const str = utf8(st, data, pos, pos += n);
        stack.push(str);
        // CPython memoises every str: the BINPUT that follows, fused.
        if (
          pos + 2 <= end && data[pos] === 0x71 &&
          data[pos + 1] === memo.length && memoCount < lim.maxMemo
        ) {
          memoCount++;
          memo.push(str);
          pos += 2;
        }
        break;
      }
      case 0x8c: { // SHORT_BINUNICODE
        if (pos >= end) st.eod(pos);
        const n = data[pos++]!;
        if (n > end - pos) tooShort(st, n, end - pos);
        stack.push(utf8(st, data, pos, pos += n));
        break;
      }
      case 0x8d: { // BINUNICODE8
        const n = len8(st, view, pos, end);
        pos += 8;
        stack.push(utf8(st, data, pos, pos += n));
        break;
      }
      case 0x56: { // UNICODE
        const nl = lineEnd(st, data, pos, Infinity);
        stack.push(rawUnicodeEscape(st, data, pos, nl));
        pos = nl + 1;
        break;
      }
      case 0x53: { // STRING
        const nl = lineEnd(st, data, pos, Infinity);
        const q = data[pos];
        if (nl - pos < 2 || (q !== 0x27 && q !== 0x22) || data[nl - 1] !== q) {
          st.fail("the STRING argument must be quoted");
        }
        stack.push(py2Text(escapeDecode(st, data, pos + 1, nl - 1)));
        pos = nl + 1;
        break;
      }
      case 0x54: { // BINSTRING
        if (pos + 4 > end) st.eod(end);
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) st.fail(`negative byte count ${n}`);
        if (n > end - pos) tooShort(st, n, end - pos);
        stack.push(py2Text(latin1(data, pos, pos += n)));
        break;
      }
      case 0x55: { // SHORT_BINSTRING
        if (pos >= end) st.eod(pos);
        const n = data[pos++]!;
        if (n > end - pos) tooShort(st, n, end - pos);
        stack.push(py2Text(latin1(data, pos, pos += n)));
        break;
      }
      case 0x42: { // BINBYTES
        if (pos + 4 > end) st.eod(end);
        const n = view.getUint32(pos, true);
        pos += 4;
        if (n > end - pos) tooShort(st, n, end - pos);
        stack.push(data.slice(pos, pos += n));
        break;
      }
      case 0x43: { // SHORT_BINBYTES
        if (pos >= end) st.eod(pos);
        const n = data[pos++]!;
        if (n > end - pos) tooShort(st, n, end - pos);
        stack.push(data.slice(pos, pos += n));
        break;
      }
      case 0x8e: // BINBYTES8
      case 0x96: { // BYTEARRAY8
        const n = len8(st, view, pos, end);
        pos += 8;
        stack.push(data.slice(pos, pos += n));
        break;
      }

      // --- containers ------------------------------------------------------
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(newDict(st));
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: { // TUPLE3
        const n = op - 0x84;
        const from = stack.length - n;
        if (from < fence) st.fail("stack underflow");
        stack.push(tupleFrom(st, stack, from));
        break;
      }
      case 0x74: { // TUPLE
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        stack.push(tupleFrom(st, stack, m));
        break;
      }
      case 0x6c: { // LIST
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if (st.markers) noMarkers(st, stack, m, stack.length);
        if (stack.length - m > lim.maxContainerLength) {
          tooLong(st, stack.length - m);
        }
        const list = stack.splice(m);
        nest(st, list, true, list, 0, list.length);
        stack.push(list);
        break;
      }
      case 0x64: { // DICT
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if ((stack.length - m) & 1) st.fail("odd number of items");
        const d = dictFrom(st, stack, m, stack.length);
        stack.length = m;
        stack.push(d);
        break;
      }
      case 0x91: { // FROZENSET
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if (st.markers) noMarkers(st, stack, m, stack.length);
        const s = new Set<unknown>();
        addItems(st, s, true, stack, m, stack.length);
        (st.frozen ??= new Set()).add(s);
        stack.length = m;
        stack.push(s);
        break;
      }
      case 0x61: { // APPEND
        const len = stack.length;
        if (len - 2 < fence) st.fail("stack underflow");
        const list = stack[len - 2];
        if (!Array.isArray(list)) {
          st.fail(`the target is a ${kindOf(st, list)}, not a list`);
        }
        if (st.markers) noMarkers(st, stack, len - 1, len);
        if (list.length >= lim.maxContainerLength) tooLong(st, list.length + 1);
        list.push(stack[len - 1]);
        nest(st, list, false, stack, len - 1, len);
        stack.length = len - 1;
        break;
      }
      case 0x65: { // APPENDS
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if (m - 1 < fence) st.fail("stack underflow");
        const list = stack[m - 1];
        if (!Array.isArray(list)) {
          st.fail(`the target is a ${kindOf(st, list)}, not a list`);
        }
        const len = stack.length;
        if (st.markers) noMarkers(st, stack, m, len);
        if (list.length + (len - m) > lim.maxContainerLength) {
          tooLong(st, list.length + (len - m));
        }
        for (let i = m; i < len; i++) list.push(stack[i]);
        nest(st, list, false, stack, m, len);
        stack.length = m;
        break;
      }
      case 0x73: { // SETITEM
        const len = stack.length;
        if (len - 3 < fence) st.fail("stack underflow");
        setItems(st, stack[len - 3], stack, len - 2, len);
        stack.length = len - 2;
        break;
      }
      case 0x75: { // SETITEMS
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if (m - 1 < fence) st.fail("stack underflow");
        if ((stack.length - m) & 1) st.fail("odd number of items");
        setItems(st, stack[m - 1], stack, m, stack.length);
        stack.length = m;
        break;
      }
      case 0x90: { // ADDITEMS
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if (m - 1 < fence) st.fail("stack underflow");
        const s = stack[m - 1];
        if (!(s instanceof Set) || st.frozen?.has(s)) {
          st.fail(`the target is a ${kindOf(st, s)}, not a set`);
        }
        if (st.markers) noMarkers(st, stack, m, stack.length);
        addItems(st, s, false, stack, m, stack.length);
        stack.length = m;
        break;
      }

      // --- memo ------------------------------------------------------------
      case 0x71: { // BINPUT
        if (pos >= end) st.eod(pos);
        if (stack.length <= fence) st.fail("stack underflow");
        const idx = data[pos++]!;
        if (idx === memo.length && memoCount < lim.maxMemo) {
          memoCount++;
          memo.push(stack[stack.length - 1]);
        } else {memoCount = put(
            st,
            memo,
            memoCount,
            idx,
            stack[stack.length - 1],
          );}
        break;
      }
      case 0x72: // LONG_BINPUT
      case 0x70: // PUT
      case 0x94: { // MEMOIZE
        let idx: number;
        if (op === 0x72) {
          if (pos + 4 > end) st.eod(end);
          idx = view.getUint32(pos, true);
          pos += 4;
        } else if (op === 0x70) {
          const nl = lineEnd(st, data, pos, 20);
          idx = memoIndex(st, data, pos, nl);
          pos = nl + 1;
        } else idx = memoCount;
        if (stack.length <= fence) st.fail("stack underflow");
        memoCount = put(st, memo, memoCount, idx, stack[stack.length - 1]);
        break;
      }
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: { // GET
        let idx: number;
        if (op === 0x68) {
          if (pos >= end) st.eod(pos);
          idx = data[pos++]!;
        } else if (op === 0x6a) {
          if (pos + 4 > end) st.eod(end);
          idx = view.getUint32(pos, true);
          pos += 4;
        } else {
          const nl = lineEnd(st, data, pos, 20);
          idx = memoIndex(st, data, pos, nl);
          pos = nl + 1;
        }
        const v = memo[idx];
        if (v === undefined) st.fail(`memo key ${idx} not found`);
        stack.push(v);
        break;
      }

      // --- the allow-listed globals ----------------------------------------
      case 0x63: { // GLOBAL
        const nl1 = lineEnd(st, data, pos, 256);
        const nl2 = lineEnd(st, data, nl1 + 1, 256);
        const module = latin1(data, pos, nl1);
        const name = latin1(data, nl1 + 1, nl2);
        pos = nl2 + 1;
        stack.push(global(st, module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const len = stack.length;
        if (len - 2 < fence) st.fail("stack underflow");
        const module = stack[len - 2];
        const name = stack[len - 1];
        if (typeof module !== "string" || typeof name !== "string") {
          st.fail("it would import a global named by non-str values");
        }
        stack.length = len - 2;
        stack.push(global(st, module, name));
        break;
      }
      case 0x52: { // REDUCE
        const len = stack.length;
        if (len - 2 < fence) st.fail("stack underflow");
        const value = reduce(st, stack[len - 2], stack[len - 1]);
        stack.length = len - 2;
        stack.push(value);
        break;
      }

      // --- refused ---------------------------------------------------------
      case 0x62: // BUILD
        st.fail("it would set an object's state");
        break;
      case 0x69: // INST
      case 0x6f: // OBJ
      case 0x81: // NEWOBJ
      case 0x92: // NEWOBJ_EX
        st.fail("it would construct an arbitrary object");
        break;
      case 0x50: // PERSID
      case 0x51: // BINPERSID
        st.fail("it would load a persistent id");
        break;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        st.fail("it would import a global from the extension registry");
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        st.fail("out-of-band buffers are not supported");
        break;
      default:
        st.fail("unknown opcode");
    }
  }
}

function global(st: State, module: string, name: string): Callable {
  const fn = allowGlobal(module, name);
  if (fn === undefined) {
    st.fail(`it would import ${quote(module + "." + name)}`);
  }
  st.markers = true;
  return fn;
}

/** Stores a memo entry; returns the new entry count. */
function put(
  st: State,
  memo: unknown[],
  count: number,
  idx: number,
  value: unknown,
): number {
  if (memo[idx] === undefined) {
    if (count >= st.lim.maxMemo) {
      st.fail(`more than maxMemo (${st.lim.maxMemo}) memo entries`);
    }
    count++;
  }
  memo[idx] = value;
  return count;
}

function popMark(st: State, marks: number[]): number {
  const m = marks.pop();
  if (m === undefined) st.fail("no MARK on the stack");
  return m;
}

function tupleFrom(st: State, stack: unknown[], from: number): PyTuple {
  const n = stack.length - from;
  if (n > st.lim.maxContainerLength) tooLong(st, n);
  if (st.markers) noMarkers(st, stack, from, stack.length);
  const t = new PyTuple(stack.splice(from));
  nest(st, t, true, t.items, 0, t.items.length);
  return t;
}

function tooShort(st: State, n: number, left: number): never {
  st.fail(
    `unexpected end of data at offset ${st.data.length}: declared length ${n} exceeds the ${left} remaining bytes`,
  );
}

/** Reads a u64 length and checks it against the remaining input. */
function len8(st: State, view: DataView, pos: number, end: number): number {
  if (pos + 8 > end) st.eod(end);
  const lo = view.getUint32(pos, true);
  const hi = view.getUint32(pos + 4, true);
  const left = end - pos - 8;
  if (hi !== 0 || lo > left) tooShort(st, hi * 2 ** 32 + lo, left);
  return lo;
}

/** Offset of the newline ending a text argument that starts at `pos`. */
function lineEnd(
  st: State,
  data: Uint8Array,
  pos: number,
  max: number,
  what = "the text argument",
): number {
  const limit = Math.min(data.length, pos + max + 1);
  const nl = data.indexOf(0x0a, pos);
  if (nl < 0 || nl >= limit) {
    if (limit < data.length) st.fail(`${what} is longer than ${max} bytes`);
    st.eod(data.length);
  }
  return nl;
}

function memoIndex(st: State, data: Uint8Array, a: number, b: number): number {
  if (a === b) st.fail("empty memo index");
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = data[i]!;
    if (c < 0x30 || c > 0x39) {
      st.fail(`invalid memo index ${quote(latin1(data, a, b))}`);
    }
    v = v * 10 + (c - 0x30);
  }
  if (v > Number.MAX_SAFE_INTEGER) st.fail("memo index out of range");
  return v;
}
