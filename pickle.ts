// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A pickle encoder that writes what CPython's C pickler writes for the
 * corresponding Python value, byte for byte, for protocols 1 to 5.
 *
 * | JavaScript | Python |
 * | --- | --- |
 * | `null`, `undefined` | `None` |
 * | `boolean` | `bool` |
 * | safe integer `number` (not `-0`) | `int` |
 * | any other `number` (fraction, `NaN`, `±Infinity`, `-0`), {@linkcode PyFloat} | `float` |
 * | `bigint` | `int` of any size |
 * | `string` (lone surrogates included, as `surrogatepass` writes them) | `str` |
 * | `Uint8Array`, `ArrayBuffer` | `bytes` |
 * | `Array` / {@linkcode PyTuple} | `list` / `tuple` |
 * | plain object (prototype `Object.prototype` or `null`) | `dict` with `str` keys |
 * | `Map` | `dict` |
 * | `Set` | `set` |
 * | `Date` | `str`, from `toISOString()` |
 *
 * The output is what CPython 3.11 writes when it pickles the value that
 * `pickle.loads` makes of it: opcodes, memo indices, batches of 1000 items,
 * and (protocol ≥4) the `FRAME` opcodes, all in the same places. Details:
 *
 * - Objects seen twice (the same JavaScript object) are written once and then
 *   fetched from the memo, so shared and cyclic arrays, objects, maps and
 *   tuples round-trip (a tuple that contains itself through a list is written
 *   as CPython writes it).
 * - Strings have no identity in JavaScript, so they are written at every
 *   occurrence, except the empty string and one-character strings below
 *   U+0100, which CPython shares and so are fetched from the memo after the
 *   first one (as are `b""` and, in protocols 1–2, one-byte `bytes`).
 * - Plain objects give their own enumerable string keys in JavaScript order:
 *   integer-like keys come first, ascending.
 * - `Map` keys and `Set` items must be hashable in Python: arrays, plain
 *   objects, maps and sets (also inside a tuple) throw. Keys that are equal
 *   in Python (`1`, `1n`, `true`, `pyFloat(1)`) collapse into one on loading.
 * - Sets are written in JavaScript insertion order; CPython writes its own
 *   hash order, so set bytes equal CPython's only where the orders agree.
 * - Protocol 1 writes big integers as decimal text, which CPython ≥3.11 does
 *   not read beyond 4300 digits, so those throw; protocols ≥2 have no limit.
 * - Anything else (functions, symbols, class instances, typed arrays other
 *   than `Uint8Array`, invalid dates…) throws a {@linkcode PickleError}
 *   naming where the value sits, unless {@linkcode DumpsOptions.fallback}
 *   converts it. Exceptions thrown while reading the value (getters, proxy
 *   traps) become a `PickleError` too.
 *
 * Speed: results are views into a pooled buffer by default (see
 * {@linkcode DumpsOptions.pooled}), and a top-level dict with the same keys
 * as the one before it (a stream of log records) reuses that one's bytes for
 * its keys and unchanged values, so only what changed is encoded. The bytes
 * are the same either way.
 *
 * {@linkcode loads} (re-exported from the safe decoder) reads pickles back.
 *
 * ```ts
 * import { dumps, dumpsFrame, pyFloat } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * // pickle.dumps({'a': 1.0, 'b': [1, None]}, 1) in Python
 * deepEqual(
 *   dumps({ a: pyFloat(1), b: [1, null] }, { protocol: 1 }),
 *   Uint8Array.from([
 *     0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01,
 *     0x47, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
 *     0x58, 0x01, 0x00, 0x00, 0x00, 0x62, 0x71, 0x02,
 *     0x5d, 0x71, 0x03, 0x28, 0x4b, 0x01, 0x4e, 0x65, 0x75, 0x2e,
 *   ]),
 * );
 *
 * // The SocketHandler wire frame: a 4-byte big-endian length, then the pickle
 * deepEqual(
 *   dumpsFrame(null, { protocol: 1 }),
 *   Uint8Array.from([0, 0, 0, 2, 0x4e, 0x2e]),
 * );
 * ```
 *
 * @module
 */

import { PyFloat, PyTuple } from "./py_types.ts";
import { STANDARD_FIELDS } from "./_schema.ts";

export { PyFloat, pyFloat, PyTuple, pyTuple } from "./py_types.ts";
export { loads, type LoadsOptions, UnpicklingError } from "./unpickle.ts";

/** A pickle protocol version that {@linkcode dumps} can write. */
export type PickleProtocol = 1 | 2 | 3 | 4 | 5;

/** Options for {@linkcode dumps} and {@linkcode dumpsFrame}. */
export interface DumpsOptions {
  /**
   * Pickle protocol. Python's `logging.handlers.SocketHandler` sends
   * protocol 1.
   *
   * @default {4} (CPython ≥3.8's default)
   */
  protocol?: PickleProtocol;
  /**
   * Converts a value the encoder cannot pickle (function, symbol, class
   * instance…) into one it can; called with the value and its path (e.g.
   * `"value.args[2]"`). Returning `undefined` means `None`. The returned value
   * is pickled in place of the original; if it cannot be pickled either, a
   * {@linkcode PickleError} is thrown (the fallback is not called again for
   * the value it returned, but it is for values nested inside it).
   */
  fallback?: (value: unknown, path: string) => unknown;
  /**
   * Maximum nesting depth of containers (lists, tuples, dicts, sets): the
   * top-level container is at depth 1.
   *
   * @default {1000}
   */
  maxDepth?: number;
  /**
   * Return a view into a pooled `ArrayBuffer` (a slab of 64 KiB shared by
   * consecutive results, as Node.js pools small `Buffer`s) rather than an
   * `ArrayBuffer` of its own. Allocating an `ArrayBuffer` costs about as much
   * as pickling a whole log record, so pooling is the default: one
   * allocation per slab, and consecutive results lie back to back, so a
   * writer can send many of them with one write and no copy. A slab is
   * never reused or overwritten, so a result stays valid for as long as it
   * is kept; the slab is freed when no result in it is left. Read a result
   * through the view (or its `byteOffset`), never through its whole
   * `.buffer`, which holds other results too, and do not transfer that
   * buffer to a worker. Pass `false` for a buffer of its own (e.g. to
   * transfer it). Results larger than 16 KiB always get their own buffer.
   *
   * @default {true}
   */
  pooled?: boolean;
}

/**
 * Thrown by {@linkcode dumps} and {@linkcode dumpsFrame} when a value cannot
 * be pickled. The message names the path of the value, such as
 * `Cannot pickle value at 'value.args[2]': functions are not supported`.
 */
export class PickleError extends Error {
  /**
   * Makes an error.
   *
   * @param message The message.
   * @param options Standard error options, such as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PickleError";
  }
}

// Opcodes.
const MARK = 0x28; // (
const STOP = 0x2e; // .
const POP = 0x30; // 0
const POP_MARK = 0x31; // 1
const BINFLOAT = 0x47; // G
const INT = 0x49; // I
const BININT = 0x4a; // J
const BININT1 = 0x4b; // K
const LONG = 0x4c; // L
const BININT2 = 0x4d; // M
const NONE = 0x4e; // N
const REDUCE = 0x52; // R
const BINUNICODE = 0x58; // X
const EMPTY_LIST = 0x5d; // ]
const APPEND = 0x61; // a
const BINBYTES = 0x42; // B
const SHORT_BINBYTES = 0x43; // C
const APPENDS = 0x65; // e
const BINGET = 0x68; // h
const LONG_BINGET = 0x6a; // j
const BINPUT = 0x71; // q
const LONG_BINPUT = 0x72; // r
const SETITEM = 0x73; // s
const TUPLE = 0x74; // t
const SETITEMS = 0x75; // u
const EMPTY_DICT = 0x7d; // }
const EMPTY_TUPLE = 0x29; // )
const PROTO = 0x80;
const TUPLE1 = 0x85;
const NEWTRUE = 0x88;
const NEWFALSE = 0x89;
const LONG1 = 0x8a;
const LONG4 = 0x8b;
const SHORT_BINUNICODE = 0x8c;
const BINBYTES8 = 0x8e;
const EMPTY_SET = 0x8f;
const ADDITEMS = 0x90;
const MEMOIZE = 0x94;
const FRAME = 0x95;

const BATCHSIZE = 1000;
const FRAME_HEADER_SIZE = 9;
const FRAME_SIZE_MIN = 4;
const FRAME_SIZE_TARGET = 64 * 1024;
/** sys.int_info.default_max_str_digits (CPython ≥3.11). */
const MAX_STR_DIGITS = 4300;
const INITIAL_CAPACITY = 4096;

// The pool behind `pooled: true`: a slab filled front to back and never
// reused, so every view handed out stays valid. The encoder writes into it
// directly; `slabBusy` is set while it does (a re-entrant encode, from a
// getter, must then not touch the slab).
const SLAB_SIZE = 64 * 1024;
const POOLED_MAX = 16 * 1024;
const SLAB_RESERVE_MIN = 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabView = new DataView(slab.buffer);
let slabPos = 0;
let slabBusy = false;

/** Makes sure `n` bytes are free at slabPos, starting a new slab if not. */
function slabRoom(n: number): void {
  // A transferred (detached) slab has length 0.
  if (slabPos + n > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    slabView = new DataView(slab.buffer);
    slabPos = 0;
  }
}

/** Copies buf[start, end) into the pool (or a fresh buffer if large). */
function pooledCopy(
  buf: Uint8Array<ArrayBuffer>,
  start: number,
  end: number,
): Uint8Array<ArrayBuffer> {
  const n = end - start;
  if (n > POOLED_MAX || slabBusy) return buf.slice(start, end);
  slabRoom(n);
  const at = slabPos;
  slab.set(buf.subarray(start, end), at);
  slabPos = at + n;
  return slab.subarray(at, slabPos);
}
/** From this length, TextEncoder.encodeInto beats a charCodeAt loop. */
const ENCODE_INTO_MIN = 48;
const RETAINED_CAPACITY = 1 << 20;

// Path segment kinds.
const SEG_PROP = 0;
const SEG_INDEX = 1;
const SEG_MAP_KEY = 2;
const SEG_MAP_VALUE = 3;
const SEG_SET_ITEM = 4;

// Slots of objects CPython keeps one copy of, memoised once per pickle.
const G_CODECS_ENCODE = 0;
const G_LATIN1 = 1;
const G_BYTES = 2;
const G_SET = 3;

// Top-level dict templates (#topDict).
const SHAPE_MAX_KEYS = BATCHSIZE;
const SHAPE_MAX_BYTES = 16 * 1024;
const SHAPE_MAX_STR = 1024;
/** Changed floats written over a template's at most, per copy. */
const SHAPE_MAX_PATCHES = 16;
/**
 * A template is rebuilt from the current dict after this many uses, so that
 * values which stopped repeating (a template built from an unusual record)
 * do not stay misses.
 */
const SHAPE_REFRESH = 256;

/** The pickle of a top-level dict, reused for dicts with the same keys. */
interface DictShape {
  /** The keys, in order. */
  keys: string[];
  /**
   * Per key, the value whose bytes the template holds (reused when the new
   * value is the same), or a marker: FLOAT_SLOT (a float, written over),
   * LIST_SLOT (a short list, see `lists`) or NOT_CONSTANT (always encoded).
   */
  values: unknown[];
  /** Offsets of each key's bytes; keyStart[n] is the closing SETITEMS. */
  keyStart: Int32Array;
  /** Offsets of each value's bytes. */
  valueStart: Int32Array;
  /** Per key marked LIST_SLOT, the list's items. */
  lists: (unknown[] | undefined)[];
  /** Memo entries made before each key (memo[n]: in all). */
  memo: Int32Array;
  /** The items' bytes, from MARK to SETITEMS inclusive. */
  bytes: Uint8Array;
  /** Calls that followed the template since it was built. */
  uses: number;
  /** Per item, a view of the bytes copied before it (made on first use). */
  views: (Uint8Array | undefined)[];
  /** Where each view starts. */
  viewFrom: Int32Array;
}

/** No value is this: marks a template value whose bytes are not reusable. */
const NOT_CONSTANT: unique symbol = Symbol("not constant");
/** Marks a template value that is a PyFloat (9 bytes, no memo entry). */
const FLOAT_SLOT: unique symbol = Symbol("float");
/** Marks a template value that is a short list of constants. */
const LIST_SLOT: unique symbol = Symbol("list");
const SHAPE_MAX_LIST = 8;

/** A plain array of 1 to SHAPE_MAX_LIST constants (see isConstant). */
function isConstantList(value: unknown): value is unknown[] {
  if (
    !Array.isArray(value) || value.length === 0 ||
    value.length > SHAPE_MAX_LIST ||
    Object.getPrototypeOf(value) !== Array.prototype
  ) {
    return false;
  }
  for (let k = 0; k < value.length; k++) {
    // Data properties only: a getter is not called again.
    const item = Object.getOwnPropertyDescriptor(value, k);
    if (item === undefined || !("value" in item) || !isConstant(item.value)) {
      return false;
    }
  }
  return true;
}

/**
 * Whether a value's bytes depend on the value alone (not on the memo): null,
 * undefined, booleans, numbers other than NaN, bigints, and strings that
 * CPython does not share, up to SHAPE_MAX_STR code units.
 */
function isConstant(value: unknown): boolean {
  switch (typeof value) {
    case "number":
      return value === value;
    case "boolean":
    case "undefined":
    case "bigint":
      return true;
    case "string":
      return value.length <= SHAPE_MAX_STR && !isSharedStr(value);
    default:
      return value === null;
  }
}

const ASCII = new TextEncoder();
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const NOT_FOUND: unique symbol = Symbol("none");

function latin1Bytes(text: string): Uint8Array {
  return ASCII.encode(text);
}

const GLOBAL_CODECS_ENCODE = latin1Bytes("c_codecs\nencode\n");
const GLOBAL_BYTES_2 = latin1Bytes("c__builtin__\nbytes\n");
const GLOBAL_SET_2 = latin1Bytes("c__builtin__\nset\n");
const GLOBAL_SET_3 = latin1Bytes("cbuiltins\nset\n");
const LATIN1_STR = latin1Bytes("X\x06\x00\x00\x00latin1");

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return `'${String(error)}'`;
  } catch {
    return "a value";
  }
}

function describeKey(key: unknown): string {
  switch (typeof key) {
    case "string":
      return JSON.stringify(key);
    case "bigint":
      return `${key}n`;
    case "number":
    case "boolean":
    case "undefined":
      return String(key);
    default:
      return key === null ? "null" : "…";
  }
}

function kindName(value: object): string {
  if (Array.isArray(value)) return "lists";
  if (value instanceof Map) return "dicts";
  if (value instanceof Set) return "sets";
  return "dicts";
}

/** True unless someone added enumerable keys to Object.prototype. */
function objectPrototypeIsClean(): boolean {
  for (const _ in Object.prototype) return false;
  return true;
}

/**
 * Writes `value` from index `i` into `buf` at `pos` as UTF-8 with
 * surrogatepass (a lone surrogate becomes its 3-byte form, as CPython
 * writes it); returns the new position. `buf` must have room for 3 bytes per
 * remaining code unit.
 */
function utf8Into(
  buf: Uint8Array,
  value: string,
  i: number,
  pos: number,
): number {
  const n = value.length;
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = value.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          buf[pos++] = 0xf0 | (cp >> 18);
          buf[pos++] = 0x80 | ((cp >> 12) & 0x3f);
          buf[pos++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[pos++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
      }
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

class Encoder {
  #buf: Uint8Array<ArrayBuffer> = new Uint8Array(INITIAL_CAPACITY);
  #view: DataView<ArrayBuffer> = new DataView(this.#buf.buffer);
  #pos = 0;
  #proto = 4;
  #maxDepth = 1000;
  #fallback: ((value: unknown, path: string) => unknown) | undefined;
  // Identity memo: a short array scanned linearly (most pickles hold a few
  // containers), then a Map once it grows.
  #memoKeys: (object | undefined)[] = [];
  #memoValues: number[] = [];
  #memoCount = 0;
  #memoMap: Map<object, number> | undefined = undefined;
  #memoNext = 0;
  #deepest = 0;
  // Value-keyed memo of the objects CPython shares: "" (slot 256), strings of
  // one code unit below 256 (slot = code), b"" (slot 256) and, in protocols
  // 1–2 where _codecs.encode returns shared objects, bytes of length 1.
  #gen = 0;
  #strGen = new Uint32Array(257);
  #strIdx = new Uint32Array(257);
  #bytesGen = new Uint32Array(257);
  #bytesIdx = new Uint32Array(257);
  #globals = new Int32Array(4);
  #frameStart = -1;
  #frameLimit = Infinity;
  #depth = 0;
  #hashDepth = 0;
  #segKind: number[] = [0];
  #segKey: unknown[] = [undefined];
  #lastFallback: unknown = NOT_FOUND;
  /** Size of the last pickle written (how much slab room to ask for). */
  #last = 0;
  // Top-level dict templates, one per protocol, and what the current
  // top-level dict wrote (to build the next template from).
  #shapes: (DictShape | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  #recKeys: string[] = [];
  #recValues: unknown[] = [];
  #recKeyAt = new Int32Array(SHAPE_MAX_KEYS + 1);
  #recValueAt = new Int32Array(SHAPE_MAX_KEYS);
  #recMemo = new Int32Array(SHAPE_MAX_KEYS + 1);
  // Floats of #topDict that changed but are not written yet: where their
  // template bytes start and their new value.
  #patches = 0;
  #patchAt = new Int32Array(SHAPE_MAX_PATCHES);
  #patchValue = new Float64Array(SHAPE_MAX_PATCHES);
  busy = false;

  encode(
    value: unknown,
    options: DumpsOptions | undefined,
    prefix: boolean,
  ): Uint8Array<ArrayBuffer> {
    const protocol = options?.protocol ?? 4;
    if (
      protocol !== 1 && protocol !== 2 && protocol !== 3 && protocol !== 4 &&
      protocol !== 5
    ) {
      throw new RangeError(
        `Cannot pickle as 'protocol' must be 1, 2, 3, 4 or 5: current value is ${
          String(protocol)
        }`,
      );
    }
    const maxDepth = options?.maxDepth ?? 1000;
    if (typeof maxDepth !== "number") {
      throw new TypeError(
        `Cannot pickle as 'maxDepth' must be a number: current value is of type '${typeof maxDepth}'`,
      );
    }
    if (!(maxDepth >= 0)) {
      throw new RangeError(
        `Cannot pickle as 'maxDepth' must be a non-negative number: current value is ${
          String(maxDepth)
        }`,
      );
    }
    const fallback = options?.fallback;
    if (fallback !== undefined && typeof fallback !== "function") {
      throw new TypeError(
        `Cannot pickle as 'fallback' must be a function: current value is ${typeof fallback}`,
      );
    }
    this.#proto = protocol;
    this.#maxDepth = maxDepth;
    this.#fallback = fallback;
    this.#memoNext = 0;
    this.#gen = (this.#gen + 1) >>> 0;
    if (this.#gen === 0) {
      this.#strGen.fill(0);
      this.#bytesGen.fill(0);
      this.#gen = 1;
    }
    const globals = this.#globals;
    globals[0] =
      globals[1] =
      globals[2] =
      globals[3] =
        -1;
    this.#depth = 0;
    this.#hashDepth = 0;
    this.#lastFallback = NOT_FOUND;
    this.#frameStart = -1;
    this.#frameLimit = Infinity;
    // Pooled results are written straight into the slab when it has room
    // for twice the last result; a larger one grows out of it into a
    // private buffer (and is copied back).
    const own = this.#buf;
    const ownView = this.#view;
    const pooled = options?.pooled !== false;
    const reserve = 2 * this.#last;
    let base = 0;
    let inSlab = false;
    if (pooled && !slabBusy && reserve <= POOLED_MAX) {
      slabRoom(reserve < SLAB_RESERVE_MIN ? SLAB_RESERVE_MIN : reserve);
      this.#buf = slab as Uint8Array<ArrayBuffer>;
      this.#view = slabView;
      base = slabPos;
      inSlab = slabBusy = true;
    }
    this.#pos = base + (prefix ? 4 : 0);
    try {
      this.#ensure(16);
      if (protocol >= 2) {
        this.#buf[this.#pos++] = PROTO;
        this.#buf[this.#pos++] = protocol;
      }
      if (protocol >= 4) this.#openFrame();
      this.#value(value);
      this.#ensure(1);
      this.#buf[this.#pos++] = STOP;
      if (protocol >= 4) this.#commitFrame(this.#pos);
      const end = this.#pos;
      this.#last = end - base;
      if (prefix) {
        const length = end - base - 4;
        if (length > 0xffffffff) {
          throw new PickleError(
            `Cannot frame the pickle as it is larger than 4 GiB: current size is ${length} bytes`,
          );
        }
        this.#view.setUint32(base, length);
      }
      if (this.#buf === slab) {
        slabPos = end;
        return slab.subarray(base, end) as Uint8Array<ArrayBuffer>;
      }
      if (inSlab) slabBusy = false;
      return pooled
        ? pooledCopy(this.#buf, base, end)
        : this.#buf.slice(base, end);
    } catch (error) {
      if (error instanceof PickleError) throw error;
      throw new PickleError(
        `Cannot pickle value at '${this.#path()}': reading it threw ${
          describeError(error)
        }`,
        { cause: error },
      );
    } finally {
      if (inSlab) {
        slabBusy = false;
        if (this.#buf === slab) {
          this.#buf = own;
          this.#view = ownView;
        }
      }
      const memoKeys = this.#memoKeys;
      for (let i = this.#memoCount - 1; i >= 0; i--) memoKeys[i] = undefined;
      this.#memoCount = 0;
      this.#memoMap = undefined;
      this.#fallback = undefined;
      this.#lastFallback = NOT_FOUND;
      const segKey = this.#segKey;
      for (let i = this.#deepest; i >= 0; i--) segKey[i] = undefined;
      this.#deepest = 0;
      if (this.#buf.length > RETAINED_CAPACITY) {
        this.#buf = new Uint8Array(INITIAL_CAPACITY);
        this.#view = new DataView(this.#buf.buffer);
      }
    }
  }

  // ---- buffer --------------------------------------------------------------

  #ensure(n: number): void {
    if (this.#pos + n > this.#buf.length) this.#grow(n);
  }

  #grow(n: number): void {
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const buf = new Uint8Array(size);
    buf.set(this.#buf.subarray(0, this.#pos));
    this.#buf = buf;
    this.#view = new DataView(buf.buffer);
  }

  #writeBytes(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  // ---- framing (protocol ≥ 4) ---------------------------------------------

  #openFrame(): void {
    this.#ensure(FRAME_HEADER_SIZE);
    this.#frameStart = this.#pos;
    this.#pos += FRAME_HEADER_SIZE;
    this.#frameLimit = this.#pos + FRAME_SIZE_TARGET;
  }

  /** Ends the open frame at `end`, which may precede the write position. */
  #commitFrame(end: number): void {
    const start = this.#frameStart;
    const length = end - start - FRAME_HEADER_SIZE;
    if (length >= FRAME_SIZE_MIN) {
      this.#buf[start] = FRAME;
      this.#view.setUint32(start + 1, length % 0x100000000, true);
      this.#view.setUint32(start + 5, Math.floor(length / 0x100000000), true);
    } else {
      this.#buf.copyWithin(start, start + FRAME_HEADER_SIZE, this.#pos);
      this.#pos -= FRAME_HEADER_SIZE;
    }
    this.#frameStart = -1;
    this.#frameLimit = Infinity;
  }

  /** CPython's _Pickler_OpcodeBoundary: called at the start of every save. */
  #nextFrame(): void {
    this.#commitFrame(this.#pos);
    this.#openFrame();
  }

  /** Payloads ≥ 64 KiB bypass the frame: commit it before their header. */
  #bypass(headerStart: number): void {
    this.#commitFrame(headerStart);
    this.#openFrame();
  }

  // ---- memo ----------------------------------------------------------------

  #put(): number {
    const index = this.#memoNext++;
    this.#ensure(5);
    if (this.#proto >= 4) {
      this.#buf[this.#pos++] = MEMOIZE;
    } else if (index < 256) {
      this.#buf[this.#pos++] = BINPUT;
      this.#buf[this.#pos++] = index;
    } else {
      this.#buf[this.#pos++] = LONG_BINPUT;
      this.#view.setUint32(this.#pos, index, true);
      this.#pos += 4;
    }
    return index;
  }

  #lookup(object: object): number | undefined {
    const map = this.#memoMap;
    if (map !== undefined) return map.get(object);
    const keys = this.#memoKeys;
    const count = this.#memoCount;
    for (let i = 0; i < count; i++) {
      if (keys[i] === object) return this.#memoValues[i];
    }
    return undefined;
  }

  #remember(object: object, index: number): void {
    const map = this.#memoMap;
    if (map !== undefined) {
      map.set(object, index);
      return;
    }
    const count = this.#memoCount;
    if (count < 16) {
      this.#memoKeys[count] = object;
      this.#memoValues[count] = index;
      this.#memoCount = count + 1;
      return;
    }
    const created = new Map<object, number>();
    for (let i = 0; i < count; i++) {
      created.set(this.#memoKeys[i] as object, this.#memoValues[i] as number);
    }
    created.set(object, index);
    this.#memoMap = created;
  }

  #get(index: number): void {
    this.#ensure(5);
    if (index < 256) {
      this.#buf[this.#pos++] = BINGET;
      this.#buf[this.#pos++] = index;
    } else {
      this.#buf[this.#pos++] = LONG_BINGET;
      this.#view.setUint32(this.#pos, index, true);
      this.#pos += 4;
    }
  }

  // ---- paths and errors ----------------------------------------------------

  #path(): string {
    let path = "value";
    for (let d = 1; d <= this.#depth; d++) {
      const key = this.#segKey[d];
      switch (this.#segKind[d]) {
        case SEG_PROP: {
          const name = String(key);
          path += IDENTIFIER.test(name)
            ? `.${name}`
            : `[${JSON.stringify(name)}]`;
          break;
        }
        case SEG_INDEX:
          path += `[${key as number}]`;
          break;
        case SEG_MAP_KEY:
          path += `.keys()[${key as number}]`;
          break;
        case SEG_MAP_VALUE:
          path += `.get(${describeKey(key)})`;
          break;
        default:
          path += `.values()[${key as number}]`;
      }
    }
    return path;
  }

  #error(reason: string): PickleError {
    return new PickleError(
      `Cannot pickle value at '${this.#path()}': ${reason}`,
    );
  }

  #enter(value: object): number {
    if (this.#hashDepth > 0) {
      throw this.#error(
        `${
          kindName(value)
        } are unhashable so they cannot be dict keys or set items`,
      );
    }
    const depth = this.#depth + 1;
    if (depth > this.#maxDepth) {
      throw this.#error(
        `containers are nested deeper than 'maxDepth' (${this.#maxDepth})`,
      );
    }
    if (depth > this.#deepest) this.#deepest = depth;
    return depth;
  }

  #unsupported(value: unknown, reason: string): void {
    const fallback = this.#fallback;
    if (fallback === undefined || value === this.#lastFallback) {
      throw this.#error(reason);
    }
    const path = this.#path();
    let replacement: unknown;
    try {
      replacement = fallback(value, path);
    } catch (error) {
      throw new PickleError(
        `Cannot pickle value at '${path}': 'fallback' threw ${
          describeError(error)
        }`,
        { cause: error },
      );
    }
    const previous = this.#lastFallback;
    this.#lastFallback = replacement;
    this.#value(replacement);
    this.#lastFallback = previous;
  }

  // ---- values --------------------------------------------------------------

  #value(value: unknown): void {
    if (this.#pos >= this.#frameLimit) this.#nextFrame();
    switch (typeof value) {
      case "string":
        this.#string(value);
        return;
      case "number":
        this.#number(value);
        return;
      case "boolean":
        this.#bool(value);
        return;
      case "undefined":
        this.#ensure(1);
        this.#buf[this.#pos++] = NONE;
        return;
      case "bigint":
        this.#bigint(value);
        return;
      case "object":
        if (value === null) {
          this.#ensure(1);
          this.#buf[this.#pos++] = NONE;
        } else {
          this.#object(value);
        }
        return;
      case "function":
        this.#unsupported(value, "functions are not supported");
        return;
      default:
        this.#unsupported(value, "symbols are not supported");
    }
  }

  #object(value: object): void {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      this.#dict(value as Record<string, unknown>);
    } else if (
      proto === PyFloat.prototype &&
      typeof (value as PyFloat).value === "number"
    ) {
      this.#float((value as PyFloat).value);
    } else if (Array.isArray(value)) {
      this.#list(value);
    } else if (value instanceof PyFloat) {
      const number = value.value;
      if (typeof number !== "number") {
        this.#unsupported(
          value,
          `PyFloat values must be numbers: current value is of type '${typeof number}'`,
        );
      } else {
        this.#float(number);
      }
    } else if (value instanceof PyTuple) {
      this.#tuple(value);
    } else if (value instanceof Map) {
      this.#map(value);
    } else if (value instanceof Set) {
      this.#set(value);
    } else if (value instanceof Uint8Array) {
      this.#bytes(value, value);
    } else if (value instanceof ArrayBuffer) {
      this.#bytes(value, new Uint8Array(value));
    } else if (value instanceof Date) {
      const time = value.getTime();
      if (time !== time) {
        this.#unsupported(value, "invalid dates are not supported");
      } else {
        this.#string(value.toISOString());
      }
    } else {
      const name = typeof proto?.constructor === "function"
        ? proto.constructor.name
        : "";
      this.#unsupported(
        value,
        name === ""
          ? "objects with a custom prototype are not supported"
          : `instances of '${name}' are not supported`,
      );
    }
  }

  #bool(value: boolean): void {
    this.#ensure(4);
    const buf = this.#buf;
    if (this.#proto >= 2) {
      buf[this.#pos++] = value ? NEWTRUE : NEWFALSE;
    } else {
      const pos = this.#pos;
      buf[pos] = INT;
      buf[pos + 1] = 0x30;
      buf[pos + 2] = value ? 0x31 : 0x30;
      buf[pos + 3] = 0x0a;
      this.#pos = pos + 4;
    }
  }

  #number(value: number): void {
    if ((value | 0) === value) {
      if (value === 0 && 1 / value < 0) this.#float(value);
      else this.#int32(value);
    } else if (Number.isSafeInteger(value)) {
      if (this.#proto >= 2) this.#long1(value);
      else this.#longText(String(value));
    } else {
      this.#float(value);
    }
  }

  #int32(value: number): void {
    this.#ensure(5);
    const buf = this.#buf;
    let pos = this.#pos;
    if (value >= 0 && value < 256) {
      buf[pos++] = BININT1;
      buf[pos++] = value;
    } else if (value >= 0 && value < 65536) {
      buf[pos++] = BININT2;
      buf[pos++] = value & 0xff;
      buf[pos++] = value >>> 8;
    } else {
      buf[pos++] = BININT;
      buf[pos++] = value & 0xff;
      buf[pos++] = (value >>> 8) & 0xff;
      buf[pos++] = (value >>> 16) & 0xff;
      buf[pos++] = value >>> 24;
    }
    this.#pos = pos;
  }

  /** LONG1 for a safe integer outside int32: minimal two's complement, LE. */
  #long1(value: number): void {
    this.#ensure(11);
    const buf = this.#buf;
    const start = this.#pos + 2;
    let pos = start;
    const negative = value < 0;
    let m = negative ? -value - 1 : value;
    while (m > 0) {
      const byte = m % 256;
      buf[pos++] = negative ? 255 - byte : byte;
      m = (m - byte) / 256;
    }
    if (((buf[pos - 1] as number) & 0x80) !== (negative ? 0x80 : 0)) {
      buf[pos++] = negative ? 0xff : 0;
    }
    buf[start - 2] = LONG1;
    buf[start - 1] = pos - start;
    this.#pos = pos;
  }

  #longText(digits: string): void {
    const n = digits.length;
    this.#ensure(n + 3);
    const buf = this.#buf;
    let pos = this.#pos;
    buf[pos++] = LONG;
    for (let i = 0; i < n; i++) buf[pos++] = digits.charCodeAt(i);
    buf[pos++] = LONG;
    buf[pos++] = 0x0a;
    this.#pos = pos;
  }

  #bigint(value: bigint): void {
    if (value >= -0x80000000n && value <= 0x7fffffffn) {
      this.#int32(Number(value));
      return;
    }
    if (this.#proto < 2) {
      const digits = value.toString();
      if (digits.length - (value < 0n ? 1 : 0) > MAX_STR_DIGITS) {
        this.#unsupported(
          value,
          `integers with more than ${MAX_STR_DIGITS} digits cannot be pickled with protocol 1 as CPython ≥3.11 refuses to read them`,
        );
        return;
      }
      this.#longText(digits);
      return;
    }
    const negative = value < 0n;
    let hex = (negative ? -value - 1n : value).toString(16);
    if (hex.length % 2 === 1) hex = "0" + hex;
    let n = hex.length / 2;
    const top = parseInt(hex.slice(0, 2), 16);
    const extend = top >= 0x80;
    if (extend) n++;
    this.#ensure(n + 5);
    const buf = this.#buf;
    let pos = this.#pos;
    if (n < 256) {
      buf[pos++] = LONG1;
      buf[pos++] = n;
    } else {
      buf[pos++] = LONG4;
      this.#view.setInt32(pos, n, true);
      pos += 4;
    }
    const flip = negative ? 0xff : 0;
    for (let i = hex.length - 2; i >= 0; i -= 2) {
      buf[pos++] = parseInt(hex.slice(i, i + 2), 16) ^ flip;
    }
    if (extend) buf[pos++] = flip;
    this.#pos = pos;
  }

  #float(value: number): void {
    this.#ensure(9);
    const pos = this.#pos;
    this.#buf[pos] = BINFLOAT;
    this.#setFloat(pos + 1, value);
    this.#pos = pos + 9;
  }

  // ---- str -------------------------------------------------------------------

  #string(value: string): void {
    const n = value.length;
    if (n <= 1 && (n === 0 || value.charCodeAt(0) < 256)) {
      this.#sharedString(value);
      return;
    }
    let pos = this.#pos;
    if (n <= ENCODE_INTO_MIN && pos + 160 <= this.#buf.length) {
      // Fast path: a short ASCII str, then its memo put.
      const buf = this.#buf;
      const proto = this.#proto;
      const start = pos + (proto >= 4 ? 2 : 5);
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        const index = this.#memoNext++;
        if (proto >= 4) {
          buf[pos] = SHORT_BINUNICODE;
          buf[pos + 1] = n;
          pos = start + n;
          buf[pos++] = MEMOIZE;
        } else {
          buf[pos] = BINUNICODE;
          buf[pos + 1] = n;
          buf[pos + 2] = 0;
          buf[pos + 3] = 0;
          buf[pos + 4] = 0;
          pos = start + n;
          if (index < 256) {
            buf[pos] = BINPUT;
            buf[pos + 1] = index;
            pos += 2;
          } else {
            buf[pos++] = LONG_BINPUT;
            this.#view.setUint32(pos, index, true);
            pos += 4;
          }
        }
        this.#pos = pos;
        return;
      }
    }
    this.#writeString(value);
    this.#put();
  }

  /** "" and one-character latin-1 strings: CPython shares these objects. */
  #sharedString(value: string): void {
    const slot = value.length === 0 ? 256 : value.charCodeAt(0);
    if (this.#strGen[slot] === this.#gen) {
      this.#get(this.#strIdx[slot] as number);
      return;
    }
    this.#writeString(value);
    this.#strGen[slot] = this.#gen;
    this.#strIdx[slot] = this.#put();
  }

  /**
   * Writes a str opcode and its UTF-8 (surrogatepass) payload, leaving room
   * for a memo opcode after it.
   */
  #writeString(value: string): void {
    const n = value.length;
    let headerStart = this.#pos;
    if (headerStart + n * 3 + 10 > this.#buf.length) {
      this.#grow(n * 3 + 10);
      headerStart = this.#pos;
    }
    const buf = this.#buf;
    const short = this.#proto >= 4 && n <= 255;
    const start = headerStart + (short ? 2 : 5);
    let pos = start;
    if (n > ENCODE_INTO_MIN && value.isWellFormed()) {
      // Long strings: TextEncoder is exact when there is no lone surrogate.
      pos += ASCII.encodeInto(value, buf.subarray(start)).written;
    } else {
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buf[pos++] = c;
      }
      if (i < n) pos = utf8Into(buf, value, i, pos);
    }
    const length = pos - start;
    if (short && length <= 255) {
      buf[headerStart] = SHORT_BINUNICODE;
      buf[headerStart + 1] = length;
    } else {
      if (short) {
        buf.copyWithin(headerStart + 5, start, pos);
        pos += 3;
      }
      buf[headerStart] = BINUNICODE;
      buf[headerStart + 1] = length & 0xff;
      buf[headerStart + 2] = (length >>> 8) & 0xff;
      buf[headerStart + 3] = (length >>> 16) & 0xff;
      buf[headerStart + 4] = length >>> 24;
    }
    this.#pos = pos;
    if (length >= FRAME_SIZE_TARGET && this.#frameStart >= 0) {
      this.#bypass(headerStart);
      this.#ensure(5);
    }
  }

  // ---- bytes -----------------------------------------------------------------

  #bytes(object: object, data: Uint8Array): void {
    const seen = this.#lookup(object);
    if (seen !== undefined) {
      this.#get(seen);
      return;
    }
    const n = data.length;
    const proto = this.#proto;
    // CPython shares b"" (and, for protocols 1–2, bytes of length 1).
    const slot = n === 0 ? 256 : n === 1 && proto < 3 ? data[0] as number : -1;
    if (slot >= 0 && this.#bytesGen[slot] === this.#gen) {
      this.#get(this.#bytesIdx[slot] as number);
      return;
    }
    if (proto >= 3) {
      this.#ensure(9 + n);
      const buf = this.#buf;
      const headerStart = this.#pos;
      let pos = headerStart;
      if (n <= 0xff) {
        buf[pos++] = SHORT_BINBYTES;
        buf[pos++] = n;
      } else if (n <= 0xffffffff) {
        buf[pos++] = BINBYTES;
        this.#view.setUint32(pos, n, true);
        pos += 4;
      } else if (proto >= 4) {
        buf[pos++] = BINBYTES8;
        this.#view.setUint32(pos, n % 0x100000000, true);
        this.#view.setUint32(pos + 4, Math.floor(n / 0x100000000), true);
        pos += 8;
      } else {
        this.#unsupported(
          object,
          "bytes larger than 4 GiB need protocol 4 or later",
        );
        return;
      }
      buf.set(data, pos);
      this.#pos = pos + n;
      if (n >= FRAME_SIZE_TARGET && this.#frameStart >= 0) {
        this.#bypass(headerStart);
      }
    } else if (n === 0) {
      // copyreg reduce of bytes(): c__builtin__ bytes ) R
      this.#global(G_BYTES, GLOBAL_BYTES_2);
      this.#ensure(2);
      this.#buf[this.#pos++] = EMPTY_TUPLE;
      this.#buf[this.#pos++] = REDUCE;
    } else {
      // _codecs.encode(bytes.decode('latin1'), 'latin1')
      this.#global(G_CODECS_ENCODE, GLOBAL_CODECS_ENCODE);
      if (proto === 1) {
        this.#ensure(1);
        this.#buf[this.#pos++] = MARK;
      }
      this.#latin1String(data);
      const latin1 = this.#globals[G_LATIN1] as number;
      if (latin1 >= 0) {
        this.#get(latin1);
      } else {
        this.#writeBytes(LATIN1_STR);
        this.#globals[G_LATIN1] = this.#put();
      }
      this.#ensure(1);
      this.#buf[this.#pos++] = proto === 1 ? TUPLE : TUPLE1 + 1;
      this.#put();
      this.#ensure(1);
      this.#buf[this.#pos++] = REDUCE;
    }
    const index = this.#put();
    this.#remember(object, index);
    if (slot >= 0) {
      this.#bytesGen[slot] = this.#gen;
      this.#bytesIdx[slot] = index;
    }
  }

  /** The str `bytes.decode('latin1')`, memoised as CPython does. */
  #latin1String(data: Uint8Array): void {
    const n = data.length;
    if (n === 1) {
      const slot = data[0] as number;
      if (this.#strGen[slot] === this.#gen) {
        this.#get(this.#strIdx[slot] as number);
        return;
      }
    }
    this.#ensure(5 + 2 * n);
    const buf = this.#buf;
    const headerStart = this.#pos;
    let pos = headerStart + 5;
    for (let i = 0; i < n; i++) {
      const b = data[i] as number;
      if (b < 0x80) {
        buf[pos++] = b;
      } else {
        buf[pos++] = 0xc0 | (b >> 6);
        buf[pos++] = 0x80 | (b & 0x3f);
      }
    }
    buf[headerStart] = BINUNICODE;
    this.#view.setUint32(headerStart + 1, pos - headerStart - 5, true);
    this.#pos = pos;
    const index = this.#put();
    if (n === 1) {
      const slot = data[0] as number;
      this.#strGen[slot] = this.#gen;
      this.#strIdx[slot] = index;
    }
  }

  #global(slot: number, opcode: Uint8Array): void {
    const index = this.#globals[slot] as number;
    if (index >= 0) {
      this.#get(index);
    } else {
      this.#writeBytes(opcode);
      this.#globals[slot] = this.#put();
    }
  }

  // ---- containers ------------------------------------------------------------

  #list(list: readonly unknown[]): void {
    const depth = this.#openContainer(list, EMPTY_LIST);
    if (depth < 0) return;
    const n = list.length;
    if (n === 0) return;
    this.#depth = depth;
    this.#segKind[depth] = SEG_INDEX;
    if (n === 1) {
      this.#segKey[depth] = 0;
      this.#value(list[0]);
      this.#ensure(1);
      this.#buf[this.#pos++] = APPEND;
    } else {
      let i = 0;
      do {
        this.#ensure(1);
        this.#buf[this.#pos++] = MARK;
        const end = Math.min(i + BATCHSIZE, n);
        for (; i < end; i++) {
          this.#segKey[depth] = i;
          this.#value(list[i]);
        }
        this.#ensure(1);
        this.#buf[this.#pos++] = APPENDS;
      } while (i < n);
    }
    this.#depth = depth - 1;
  }

  /**
   * Starts a list or dict: a BINGET if the same object was pickled before
   * (returns -1), else its EMPTY_* opcode and memo put (returns its depth).
   */
  #openContainer(value: object, empty: number): number {
    const seen = this.#lookup(value);
    if (seen !== undefined) {
      this.#get(seen);
      return -1;
    }
    const depth = this.#enter(value);
    this.#ensure(1);
    this.#buf[this.#pos++] = empty;
    this.#remember(value, this.#put());
    return depth;
  }

  #dict(object: Record<string, unknown>): void {
    const depth = this.#openContainer(object, EMPTY_DICT);
    if (depth < 0) return;
    if (!objectPrototypeIsClean()) {
      this.#dictOwnKeys(object, depth);
      return;
    }
    // for-in is ~3x faster than Object.keys + keyed loads; with no
    // enumerable keys on Object.prototype it visits the same own enumerable
    // string keys in the same order.
    let n = 0;
    for (const _ in object) if (++n > 1) break;
    if (n === 0) return;
    if (n > 1 && depth === 1) {
      this.#topDict(object, depth);
      return;
    }
    this.#depth = depth;
    this.#segKind[depth] = SEG_PROP;
    const keys = this.#segKey;
    if (n === 1) {
      for (const key in object) {
        keys[depth] = key;
        if (this.#pos >= this.#frameLimit) this.#nextFrame();
        this.#string(key);
        this.#value(object[key]);
      }
      this.#ensure(1);
      this.#buf[this.#pos++] = SETITEM;
    } else {
      this.#ensure(1);
      this.#buf[this.#pos++] = MARK;
      let batch = 0;
      for (const key in object) {
        if (batch === BATCHSIZE) {
          this.#ensure(2);
          this.#buf[this.#pos++] = SETITEMS;
          this.#buf[this.#pos++] = MARK;
          batch = 0;
        }
        keys[depth] = key;
        if (this.#pos >= this.#frameLimit) this.#nextFrame();
        this.#string(key);
        this.#value(object[key]);
        batch++;
      }
      this.#ensure(3);
      this.#buf[this.#pos++] = SETITEMS;
      if (batch === BATCHSIZE) {
        this.#buf[this.#pos++] = MARK;
        this.#buf[this.#pos++] = SETITEMS;
      }
    }
    this.#depth = depth - 1;
  }

  /**
   * The items of a top-level dict with two or more keys. Writes exactly what
   * #dict's loop writes, but while the dict has the keys, in order, of the
   * last top-level dict seen with this protocol (its template), it copies
   * the bytes of the keys and of the values that are unchanged (primitives
   * whose encoding does not depend on the memo, short lists of them) from
   * the template's pickle, and writes changed floats over the template's: a
   * record dict then costs little more than its message. A template is
   * built by #topDictRecording from a dict it writes plainly, and rebuilt
   * every SHAPE_REFRESH dicts.
   */
  #topDict(object: Record<string, unknown>, depth: number): void {
    const shape = this.#shapes[this.#proto];
    if (shape === undefined || shape.uses >= SHAPE_REFRESH) {
      this.#topDictRecording(object, depth);
    } else {
      this.#topDictFromTemplate(object, depth, shape);
    }
  }

  /**
   * #topDict with a template. Any difference from it (other keys, a memo
   * index that moved, a frame boundary) continues with the plain loop from
   * that key on (from the first key: #topDictRecording). Kept free of the
   * recording code, which runs once per SHAPE_REFRESH dicts: code that an
   * optimised function has never run costs it a deoptimisation.
   */
  #topDictFromTemplate(
    object: Record<string, unknown>,
    depth: number,
    s: DictShape,
  ): void {
    this.#depth = depth;
    this.#segKind[depth] = SEG_PROP;
    const segKey = this.#segKey;
    const proto = this.#proto;
    const memo0 = this.#memoNext;
    const keys = s.keys;
    const n = keys.length;
    const values = s.values;
    this.#patches = 0; // (left over if the last dict threw)
    // Template bytes [runStart, keyStart[i]) are due but not yet copied;
    // the output so far is what the template's first i items give.
    let runStart = 0;
    let i = 0;
    // Memo entries made beyond the template's (by changed values); while
    // there are none, the memo indices in the template bytes are right
    // (protocols ≥4 write none).
    let drift = 0;
    let aligned = true;
    // Whether the rest of the template ends before the frame limit, so that
    // no frame boundary can fall inside the bytes copied from it.
    const end = s.bytes.length;
    let fits = this.#pos + end < this.#frameLimit;
    let live = true;
    let batch = 0;
    for (const key in object) {
      if (live) {
        if (
          i < n && key === keys[i] && aligned &&
          (fits ||
            this.#pos + (s.valueStart[i] as number) - runStart <
              this.#frameLimit)
        ) {
          let value: unknown;
          try {
            value = object[key];
          } catch (error) {
            segKey[depth] = key;
            throw error;
          }
          // values[i] is NOT_CONSTANT where the bytes depend on the memo,
          // FLOAT_SLOT where they are a BINFLOAT, LIST_SLOT for a list.
          const same = values[i];
          if (
            value !== same ||
            (value === 0 && 1 / value !== 1 / (same as number))
          ) {
            if (
              same === FLOAT_SLOT && value instanceof PyFloat &&
              typeof value.value === "number" &&
              this.#patches < SHAPE_MAX_PATCHES
            ) {
              // Same size, no memo: copy the old float, then overwrite it.
              const k = this.#patches++;
              this.#patchAt[k] = s.valueStart[i] as number;
              this.#patchValue[k] = value.value;
              i++;
              continue;
            }
            if (
              same === LIST_SLOT &&
              this.#sameList(value, s.lists[i] as unknown[], depth, key)
            ) {
              // The same short list again: its bytes, and its memo entry.
              this.#remember(
                value as object,
                memo0 + (s.memo[i] as number) + drift + 1,
              );
              i++;
              continue;
            }
            segKey[depth] = key;
            this.#run(s, i, runStart, s.valueStart[i] as number);
            this.#memoNext = memo0 + (s.memo[i] as number) + drift + 1;
            this.#changed(value);
            drift = this.#memoNext - memo0 - (s.memo[i + 1] as number);
            aligned = drift === 0 || proto >= 4;
            runStart = s.keyStart[i + 1] as number;
            fits = this.#pos + end - runStart < this.#frameLimit;
          }
          i++;
          continue;
        }
        if (i === 0) {
          // Nothing written yet: another shape, written plainly.
          this.#topDictRecording(object, depth);
          return;
        }
        // Off the template from this key on: plain items follow, and the
        // next dict builds a new template.
        this.#run(s, i, runStart, s.keyStart[i] as number);
        this.#memoNext = memo0 + (s.memo[i] as number) + drift;
        live = false;
        batch = i;
        s.uses = SHAPE_REFRESH;
      }
      if (batch === BATCHSIZE) {
        this.#ensure(2);
        this.#buf[this.#pos++] = SETITEMS;
        this.#buf[this.#pos++] = MARK;
        batch = 0;
      }
      segKey[depth] = key;
      if (this.#pos >= this.#frameLimit) this.#nextFrame();
      this.#string(key);
      this.#value(object[key]);
      batch++;
      i++;
    }
    if (live && i === n) {
      this.#memoNext = memo0 + (s.memo[i] as number) + drift;
      this.#run(s, i, runStart, end);
      s.uses++;
    } else {
      if (live) {
        // Fewer keys than the template.
        this.#run(s, i, runStart, s.keyStart[i] as number);
        this.#memoNext = memo0 + (s.memo[i] as number) + drift;
        batch = i;
        s.uses = SHAPE_REFRESH;
      }
      this.#ensure(3);
      this.#buf[this.#pos++] = SETITEMS;
      if (batch === BATCHSIZE) {
        this.#buf[this.#pos++] = MARK;
        this.#buf[this.#pos++] = SETITEMS;
      }
    }
    this.#depth = depth - 1;
  }

  /**
   * #topDict without a template (or with one due for a refresh): #dict's
   * loop, keeping where each key and value went, then a template built
   * from what it wrote.
   */
  #topDictRecording(object: Record<string, unknown>, depth: number): void {
    this.#depth = depth;
    this.#segKind[depth] = SEG_PROP;
    const segKey = this.#segKey;
    const bodyStart = this.#pos;
    const memo0 = this.#memoNext;
    const frameStart = this.#frameStart;
    const recKeys = this.#recKeys;
    const recValues = this.#recValues;
    const recKeyAt = this.#recKeyAt;
    const recValueAt = this.#recValueAt;
    const recMemo = this.#recMemo;
    this.#ensure(1);
    this.#buf[this.#pos++] = MARK;
    let i = 0;
    let batch = 0;
    for (const key in object) {
      if (batch === BATCHSIZE) {
        this.#ensure(2);
        this.#buf[this.#pos++] = SETITEMS;
        this.#buf[this.#pos++] = MARK;
        batch = 0;
      }
      segKey[depth] = key;
      if (this.#pos >= this.#frameLimit) this.#nextFrame();
      if (i < SHAPE_MAX_KEYS) {
        recKeys[i] = key;
        recKeyAt[i] = this.#pos;
        recMemo[i] = this.#memoNext - memo0;
      }
      this.#string(key);
      const value = object[key];
      if (i < SHAPE_MAX_KEYS) {
        recValues[i] = value;
        recValueAt[i] = this.#pos;
      }
      this.#value(value);
      batch++;
      i++;
    }
    if (i <= SHAPE_MAX_KEYS) {
      recKeyAt[i] = this.#pos;
      recMemo[i] = this.#memoNext - memo0;
    }
    this.#ensure(3);
    this.#buf[this.#pos++] = SETITEMS;
    if (batch === BATCHSIZE) {
      this.#buf[this.#pos++] = MARK;
      this.#buf[this.#pos++] = SETITEMS;
    }
    this.#depth = depth - 1;
    const proto = this.#proto;
    if (
      i >= 2 && i <= SHAPE_MAX_KEYS && this.#frameStart === frameStart &&
      this.#pos - bodyStart <= SHAPE_MAX_BYTES
    ) {
      this.#shapes[proto] = this.#shapeOf(i, bodyStart, memo0);
    } else {
      this.#shapes[proto] = undefined;
    }
    // Hold no reference to the caller's values.
    const kept = i < SHAPE_MAX_KEYS ? i : SHAPE_MAX_KEYS;
    for (let j = 0; j < kept; j++) recValues[j] = undefined;
  }

  /**
   * Whether `value` is a plain array not yet in the memo with the same items
   * as `items` (constants, see isConstant), so that its bytes are the
   * template's.
   */
  #sameList(
    value: unknown,
    items: readonly unknown[],
    depth: number,
    key: string,
  ): boolean {
    if (
      !Array.isArray(value) || value.length !== items.length ||
      Object.getPrototypeOf(value) !== Array.prototype ||
      this.#maxDepth <= depth || this.#lookup(value) !== undefined
    ) {
      return false;
    }
    let k = 0;
    try {
      for (; k < items.length; k++) {
        const item = value[k];
        const same = items[k];
        if (
          item !== same || (item === 0 && 1 / item !== 1 / (same as number))
        ) {
          return false;
        }
      }
    } catch (error) {
      // Where the plain encoder would have been reading.
      this.#segKey[depth] = key;
      this.#depth = depth + 1;
      if (depth + 1 > this.#deepest) this.#deepest = depth + 1;
      this.#segKind[depth + 1] = SEG_INDEX;
      this.#segKey[depth + 1] = k;
      throw error;
    }
    return true;
  }

  /**
   * A value of #topDict's that differs from the template's: as #value, with
   * the common record values (strings and floats) first.
   */
  #changed(value: unknown): void {
    if (typeof value === "string") {
      this.#string(value);
    } else if (
      value instanceof PyFloat && typeof value.value === "number"
    ) {
      this.#float(value.value);
    } else {
      this.#value(value);
    }
  }

  /**
   * Copies template bytes [from, to) to the output; `to` is where item `i`
   * (or, for i = n, the end) starts. Copies of more than a few bytes go
   * through a view of the template kept per item, made once.
   */
  #run(s: DictShape, i: number, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.#ensure(n);
    const buf = this.#buf;
    const bytes = s.bytes;
    let pos = this.#pos;
    if (n <= 24) {
      for (let k = from; k < to; k++) buf[pos++] = bytes[k] as number;
    } else {
      let view = s.views[i];
      if (view === undefined || s.viewFrom[i] !== from || view.length !== n) {
        view = bytes.subarray(from, to);
        s.views[i] = view;
        s.viewFrom[i] = from;
      }
      buf.set(view, pos);
      pos += n;
    }
    const patches = this.#patches;
    if (patches > 0) {
      // Floats that changed inside the run: write them over the old ones.
      const at = this.#pos - from + 1;
      for (let k = 0; k < patches; k++) {
        this.#setFloat(
          at + (this.#patchAt[k] as number),
          this.#patchValue[k] as number,
        );
      }
      this.#patches = 0;
    }
    this.#pos = pos;
  }

  /** Writes a float's 8 bytes as CPython does (one NaN). */
  #setFloat(pos: number, value: number): void {
    if (value !== value) {
      this.#view.setUint32(pos, 0x7ff80000);
      this.#view.setUint32(pos + 4, 0);
    } else {
      this.#view.setFloat64(pos, value);
    }
  }

  /** A template from what #topDict just wrote (n items from bodyStart). */
  #shapeOf(
    n: number,
    bodyStart: number,
    memo0: number,
  ): DictShape | undefined {
    const recKeys = this.#recKeys;
    const recValues = this.#recValues;
    const keys: string[] = new Array(n);
    const values: unknown[] = new Array(n);
    const keyStart = new Int32Array(n + 1);
    const valueStart = new Int32Array(n);
    const lists: (unknown[] | undefined)[] = new Array(n);
    const memo = new Int32Array(n + 1);
    for (let j = 0; j < n; j++) {
      const key = recKeys[j] as string;
      if (isSharedStr(key)) return undefined;
      keys[j] = key;
      const value = recValues[j];
      keyStart[j] = (this.#recKeyAt[j] as number) - bodyStart;
      valueStart[j] = (this.#recValueAt[j] as number) - bodyStart;
      memo[j] = this.#recMemo[j] as number;
      if (isConstant(value)) {
        values[j] = value;
      } else if (floatOf(value) !== undefined) {
        values[j] = FLOAT_SLOT;
      } else if (
        isConstantList(value) &&
        this.#buf[this.#recValueAt[j] as number] === EMPTY_LIST
      ) {
        // (Not a memo get: the list's first occurrence.)
        values[j] = LIST_SLOT;
        lists[j] = [...value];
      } else {
        values[j] = NOT_CONSTANT;
      }
    }
    keyStart[n] = (this.#recKeyAt[n] as number) - bodyStart;
    memo[n] = this.#memoNext - memo0;
    return {
      keys,
      values,
      keyStart,
      valueStart,
      memo,
      bytes: this.#buf.slice(bodyStart, this.#pos),
      lists,
      uses: 0,
      views: new Array(n + 1),
      viewFrom: new Int32Array(n + 1),
    };
  }

  /** #dict's items when Object.prototype has enumerable keys. */
  #dictOwnKeys(object: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(object);
    const n = keys.length;
    if (n === 0) return;
    this.#depth = depth;
    this.#segKind[depth] = SEG_PROP;
    if (n === 1) {
      const key = keys[0] as string;
      this.#segKey[depth] = key;
      if (this.#pos >= this.#frameLimit) this.#nextFrame();
      this.#string(key);
      this.#value(object[key]);
      this.#ensure(1);
      this.#buf[this.#pos++] = SETITEM;
    } else {
      let i = 0;
      let batch: number;
      do {
        this.#ensure(1);
        this.#buf[this.#pos++] = MARK;
        const end = Math.min(i + BATCHSIZE, n);
        batch = end - i;
        for (; i < end; i++) {
          const key = keys[i] as string;
          this.#segKey[depth] = key;
          if (this.#pos >= this.#frameLimit) this.#nextFrame();
          this.#string(key);
          this.#value(object[key]);
        }
        this.#ensure(1);
        this.#buf[this.#pos++] = SETITEMS;
      } while (batch === BATCHSIZE);
    }
    this.#depth = depth - 1;
  }

  #map(map: Map<unknown, unknown>): void {
    const depth = this.#openContainer(map, EMPTY_DICT);
    if (depth < 0) return;
    const n = map.size;
    if (n === 0) return;
    this.#depth = depth;
    const kinds = this.#segKind;
    const keys = this.#segKey;
    let i = 0;
    let batch = 0;
    if (n !== 1) {
      this.#ensure(1);
      this.#buf[this.#pos++] = MARK;
    }
    for (const [key, value] of map) {
      if (batch === BATCHSIZE) {
        this.#ensure(2);
        this.#buf[this.#pos++] = SETITEMS;
        this.#buf[this.#pos++] = MARK;
        batch = 0;
      }
      kinds[depth] = SEG_MAP_KEY;
      keys[depth] = i;
      this.#hashDepth++;
      this.#value(key);
      this.#hashDepth--;
      kinds[depth] = SEG_MAP_VALUE;
      keys[depth] = key;
      this.#value(value);
      i++;
      batch++;
    }
    this.#ensure(3);
    if (n === 1) {
      this.#buf[this.#pos++] = SETITEM;
    } else {
      this.#buf[this.#pos++] = SETITEMS;
      if (batch === BATCHSIZE) {
        this.#buf[this.#pos++] = MARK;
        this.#buf[this.#pos++] = SETITEMS;
      }
    }
    this.#depth = depth - 1;
  }

  #set(set: Set<unknown>): void {
    const seen = this.#lookup(set);
    if (seen !== undefined) {
      this.#get(seen);
      return;
    }
    const depth = this.#enter(set);
    const proto = this.#proto;
    if (proto < 4) {
      // copyreg: builtins.set([items]) via GLOBAL + REDUCE.
      this.#global(G_SET, proto === 3 ? GLOBAL_SET_3 : GLOBAL_SET_2);
      this.#ensure(2);
      if (proto === 1) this.#buf[this.#pos++] = MARK;
      this.#buf[this.#pos++] = EMPTY_LIST;
      this.#put();
      this.#setItems(set, depth, APPEND, APPENDS, false);
      this.#ensure(1);
      this.#buf[this.#pos++] = proto === 1 ? TUPLE : TUPLE1;
      this.#put();
      this.#ensure(1);
      this.#buf[this.#pos++] = REDUCE;
      this.#remember(set, this.#put());
      return;
    }
    this.#ensure(1);
    this.#buf[this.#pos++] = EMPTY_SET;
    this.#remember(set, this.#put());
    if (set.size !== 0) this.#setItems(set, depth, -1, ADDITEMS, true);
  }

  /**
   * Writes set items: as a list's (`one` for a single item, batches while
   * items remain) or as a set's (batches while the last one was full).
   */
  #setItems(
    set: Set<unknown>,
    depth: number,
    one: number,
    many: number,
    quirk: boolean,
  ): void {
    const n = set.size;
    if (n === 0) return;
    this.#depth = depth;
    this.#segKind[depth] = SEG_SET_ITEM;
    this.#hashDepth++;
    let i = 0;
    let batch = 0;
    if (n !== 1 || one < 0) {
      this.#ensure(1);
      this.#buf[this.#pos++] = MARK;
    }
    for (const item of set) {
      if (batch === BATCHSIZE) {
        this.#ensure(2);
        this.#buf[this.#pos++] = many;
        this.#buf[this.#pos++] = MARK;
        batch = 0;
      }
      this.#segKey[depth] = i;
      this.#value(item);
      i++;
      batch++;
    }
    this.#hashDepth--;
    this.#ensure(3);
    if (n === 1 && one >= 0) {
      this.#buf[this.#pos++] = one;
    } else {
      this.#buf[this.#pos++] = many;
      if (quirk && batch === BATCHSIZE) {
        this.#buf[this.#pos++] = MARK;
        this.#buf[this.#pos++] = many;
      }
    }
    this.#depth = depth - 1;
  }

  #tuple(tuple: PyTuple): void {
    const seen = this.#lookup(tuple);
    if (seen !== undefined) {
      this.#get(seen);
      return;
    }
    const items = tuple.items;
    const n = items.length;
    const depth = this.#depthFor();
    if (n === 0) {
      this.#ensure(1);
      this.#buf[this.#pos++] = EMPTY_TUPLE;
      return;
    }
    const small = n <= 3 && this.#proto >= 2;
    if (!small) {
      this.#ensure(1);
      this.#buf[this.#pos++] = MARK;
    }
    this.#depth = depth;
    this.#segKind[depth] = SEG_INDEX;
    for (let i = 0; i < n; i++) {
      this.#segKey[depth] = i;
      this.#value(items[i]);
    }
    this.#depth = depth - 1;
    // A tuple memoised while its items were written is recursive: drop the
    // items and fetch it from the memo, as CPython does.
    const recursive = this.#lookup(tuple);
    if (recursive !== undefined) {
      this.#ensure(n);
      if (small) {
        for (let i = 0; i < n; i++) this.#buf[this.#pos++] = POP;
      } else {
        this.#buf[this.#pos++] = POP_MARK;
      }
      this.#get(recursive);
      return;
    }
    this.#ensure(1);
    this.#buf[this.#pos++] = small ? TUPLE1 + n - 1 : TUPLE;
    this.#remember(tuple, this.#put());
  }

  /** Like #enter but tuples are hashable, so only the depth is checked. */
  #depthFor(): number {
    const depth = this.#depth + 1;
    if (depth > this.#maxDepth) {
      throw this.#error(
        `containers are nested deeper than 'maxDepth' (${this.#maxDepth})`,
      );
    }
    if (depth > this.#deepest) this.#deepest = depth;
    return depth;
  }
}

const shared = new Encoder();

function run(
  value: unknown,
  options: DumpsOptions | undefined,
  prefix: boolean,
): Uint8Array<ArrayBuffer> {
  if (shared.busy) {
    // Re-entered from a getter or fallback: use a private encoder.
    return new Encoder().encode(value, options, prefix);
  }
  shared.busy = true;
  try {
    return shared.encode(value, options, prefix);
  } finally {
    shared.busy = false;
  }
}

/**
 * Pickles a value as CPython's `pickle.dumps(value, protocol)` does for the
 * corresponding Python value (see the module documentation for the mapping).
 *
 * @param value The value to pickle.
 * @param options The protocol, a fallback for values that cannot be pickled,
 * a depth limit, and whether the result may share a pooled buffer.
 * @returns The pickle: a view into a pooled buffer unless `pooled` is
 * `false` (see {@linkcode DumpsOptions.pooled}).
 * @throws {PickleError} If a value cannot be pickled (the message names its
 * path), reading the value throws, or containers are nested deeper than
 * `maxDepth`.
 * @throws {RangeError} If `protocol` is not 1 to 5 or `maxDepth` is negative.
 * @throws {TypeError} If `fallback` is not a function or `maxDepth` is not a
 * number.
 *
 * @example Pickle a list with protocol 2
 * ```ts
 * import { dumps } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * // pickle.dumps([1, 'a'], 2)
 * deepEqual(
 *   dumps([1, "a"], { protocol: 2 }),
 *   Uint8Array.from([
 *     0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x4b, 0x01,
 *     0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01, 0x65, 0x2e,
 *   ]),
 * );
 * ```
 */
export function dumps(
  value: unknown,
  options?: DumpsOptions,
): Uint8Array<ArrayBuffer> {
  return run(value, options, false);
}

/**
 * Pickles a value and frames it as `logging.handlers.SocketHandler` does: a
 * 4-byte big-endian length followed by `dumps(value, options)`, built in one
 * buffer (the pickle is not copied).
 *
 * @param value The value to pickle.
 * @param options As for {@linkcode dumps}.
 * @returns The frame: a view into a pooled buffer unless `pooled` is `false`.
 * @throws {PickleError} As {@linkcode dumps} does, and if the pickle is
 * 4 GiB or larger.
 * @throws {RangeError} If `protocol` is not 1 to 5 or `maxDepth` is negative.
 * @throws {TypeError} If `fallback` is not a function or `maxDepth` is not a
 * number.
 *
 * @example Frame a record for a Python receiver
 * ```ts
 * import { dumpsFrame } from "@pylogging/socket-handler/pickle";
 * import { equal } from "node:assert/strict";
 *
 * const frame = dumpsFrame({ name: "a", levelno: 30 }, { protocol: 1 });
 * const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
 * equal(view.getUint32(0), frame.length - 4);
 * ```
 */
export function dumpsFrame(
  value: unknown,
  options?: DumpsOptions,
): Uint8Array<ArrayBuffer> {
  return run(value, options, true);
}

/**
 * Prefixes pickle bytes with their length as a 4-byte big-endian integer, the
 * framing of `logging.handlers.SocketHandler`.
 *
 * @param pickle The pickle.
 * @returns A fresh buffer: the length, then a copy of `pickle`.
 * @throws {RangeError} If `pickle` is 4 GiB or larger.
 *
 * @example Frame existing pickle bytes
 * ```ts
 * import { dumps, frame } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(frame(dumps(null, { protocol: 1 })), Uint8Array.from([0, 0, 0, 2, 0x4e, 0x2e]));
 * ```
 */
export function frame(pickle: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = pickle.length;
  if (n > 0xffffffff) {
    throw new RangeError(
      `Cannot frame the pickle as it must be smaller than 4 GiB: current size is ${n} bytes`,
    );
  }
  const out = new Uint8Array(n + 4);
  new DataView(out.buffer).setUint32(0, n);
  out.set(pickle, 4);
  return out;
}

// ---- record frames -----------------------------------------------------------

/** The keys of a Python 3.12+ LogRecord dict, in CPython's order. */
const RECORD_KEYS: readonly string[] = STANDARD_FIELDS;
// Positions in RECORD_KEYS of the fields a template holds constant (the
// order of RecordFramer's named reads).
const CONST_FIELDS = [0, 3, 4, 5, 6, 7, 11, 12, 16, 17, 18, 19];
const MAX_TEMPLATES = 16;
// Sample values whose encodings are found in the sample pickle.
const MSG_MARK = "\u0100\u0101";
const MSG_MARK_BYTES = [0x58, 4, 0, 0, 0, 0xc4, 0x80, 0xc4, 0x81];
const FLOAT_MARKS = [
  1.2345678901234567e-300,
  2.3456789012345678e-300,
  3.4567890123456789e-300,
];

/**
 * The fields of a Python LogRecord dict with no extras or exception text,
 * for {@linkcode RecordFramer.prototype.frameFields}: the dict's other keys
 * (`args`, `exc_info`, `exc_text`, `stack_info`, `taskName`) are None, and
 * the three times are floats.
 */
export interface RecordFields {
  /** The logger name. */
  name: string;
  /** The message, formatted. */
  msg: string;
  /** The level name, such as `INFO`. */
  levelname: string;
  /** The level number, such as 20. */
  levelno: number;
  /** The caller's path, or `(unknown file)`. */
  pathname: string;
  /** The caller's file name, or `(unknown file)`. */
  filename: string;
  /** The caller's module, or `(unknown file)`. */
  module: string;
  /** The caller's line, or 0. */
  lineno: number;
  /** The caller's function, or `(unknown function)`. */
  funcName: string;
  /** Seconds since the epoch. */
  created: number;
  /** Milliseconds of the second. */
  msecs: number;
  /** Milliseconds since logging started. */
  relativeCreated: number;
  /** The thread id. */
  thread: number;
  /** The thread name. */
  threadName: string;
  /** The process name. */
  processName: string;
  /** The process id (None when unknown). */
  process: number | null;
}

interface RecordTemplate {
  /** The constant fields' values, in CONST_FIELDS order. */
  values: unknown[];
  /** The bytes around msg and the three floats (5 segments). */
  segments: Uint8Array[];
  /** Total length of the segments. */
  fixed: number;
}

function isSharedStr(s: string): boolean {
  return s.length === 0 || (s.length === 1 && s.charCodeAt(0) < 256);
}

function floatOf(value: unknown): number | undefined {
  return value instanceof PyFloat && typeof value.value === "number"
    ? value.value
    : undefined;
}

function indexOfBytes(hay: Uint8Array, needle: readonly number[]): number {
  let found = -1;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    if (found >= 0) return -2; // not unique
    found = i;
  }
  return found;
}

function floatBytes(x: number): number[] {
  const b = new Uint8Array(9);
  b[0] = 0x47; // BINFLOAT
  new DataView(b.buffer).setFloat64(1, x);
  return [...b];
}

/**
 * Frames Python LogRecord dicts (as built by `recordDict()`) for the wire,
 * byte for byte as {@linkcode dumpsFrame} would. For the common record — one
 * whose fields other than `msg`, `created`, `msecs` and `relativeCreated`
 * repeat (same logger, level and call-site fields), with no extras or
 * exception text — it copies the constant bytes from a template and encodes
 * only the message and the three floats. It keeps up to 16 templates, one
 * per set of constant fields (built by pickling a sample record), so records
 * of several loggers and call sites interleave without a rebuild; for a
 * single stream it is about as fast as `dumpsFrame`, which reuses the last
 * dict's bytes. Any other dict — other keys or key order, extras, unusual
 * types, protocols 4–5 — goes through `dumpsFrame`.
 *
 * @example Usage
 * ```ts
 * import { dumpsFrame, pyFloat, RecordFramer } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dict = {
 *   name: "app", msg: "hello", args: null, levelname: "INFO", levelno: 20,
 *   pathname: "(unknown file)", filename: "(unknown file)",
 *   module: "(unknown file)", exc_info: null, exc_text: null,
 *   stack_info: null, lineno: 0, funcName: "(unknown function)",
 *   created: pyFloat(1700000000.25), msecs: pyFloat(250),
 *   relativeCreated: pyFloat(12.5), thread: 1, threadName: "MainThread",
 *   processName: "MainProcess", process: 1, taskName: null,
 * };
 * const framer = new RecordFramer(1);
 * deepEqual(framer.frame(dict), dumpsFrame(dict, { protocol: 1 }));
 * ```
 */
export class RecordFramer {
  /** The pickle protocol. */
  readonly protocol: PickleProtocol;
  /** How many frames were built from a template (for tests and benchmarks). */
  templated = 0;
  #templates: RecordTemplate[] = [];
  #values: unknown[] = new Array(CONST_FIELDS.length);

  /**
   * Creates a framer.
   *
   * @param protocol The pickle protocol, 1–5 (templates are used for 1–3).
   */
  constructor(protocol: PickleProtocol = 1) {
    this.protocol = protocol;
  }

  /**
   * The wire frame of a record dict: a 4-byte big-endian length, then the
   * pickle. A view into a pooled buffer, like `dumpsFrame(dict, { protocol,
   * pooled: true })`, with the same bytes.
   *
   * @param dict The record dict.
   * @returns The frame.
   * @throws {PickleError} As {@linkcode dumpsFrame} does.
   */
  frame(dict: Record<string, unknown>): Uint8Array<ArrayBuffer> {
    const protocol = this.protocol;
    if (protocol <= 3 && !slabBusy) {
      const framed = this.#templated(dict);
      if (framed !== undefined) return framed;
    }
    return dumpsFrame(dict, { protocol, pooled: true });
  }

  /**
   * The wire frame of the record dict with these fields and `args`,
   * `exc_info`, `exc_text`, `stack_info` and `taskName` None (the dict
   * `recordDict()` builds for an event with no extras or error), written
   * from a template without building the dict: the same bytes as
   * {@linkcode RecordFramer.prototype.frame} of that dict. Undefined when
   * the record does not fit a template (protocols 4–5, a message of one
   * character or over 4,096, a field of another type); then frame the dict.
   *
   * @param fields The record's fields; read at once, not kept.
   * @returns The frame (a view into a pooled buffer), or undefined.
   *
   * @example Usage
   * ```ts
   * import { dumpsFrame, pyFloat, RecordFramer } from "@pylogging/socket-handler/pickle";
   * import { deepEqual } from "node:assert/strict";
   *
   * const fields = {
   *   name: "app", msg: "hello", levelname: "INFO", levelno: 20,
   *   pathname: "(unknown file)", filename: "(unknown file)",
   *   module: "(unknown file)", lineno: 0, funcName: "(unknown function)",
   *   created: 1700000000.25, msecs: 250, relativeCreated: 12.5,
   *   thread: 1, threadName: "MainThread", processName: "MainProcess",
   *   process: 1,
   * };
   * const dict = {
   *   name: "app", msg: "hello", args: null, levelname: "INFO", levelno: 20,
   *   pathname: "(unknown file)", filename: "(unknown file)",
   *   module: "(unknown file)", exc_info: null, exc_text: null,
   *   stack_info: null, lineno: 0, funcName: "(unknown function)",
   *   created: pyFloat(1700000000.25), msecs: pyFloat(250),
   *   relativeCreated: pyFloat(12.5), thread: 1, threadName: "MainThread",
   *   processName: "MainProcess", process: 1, taskName: null,
   * };
   * deepEqual(new RecordFramer(1).frameFields(fields), dumpsFrame(dict, { protocol: 1 }));
   * ```
   */
  frameFields(fields: RecordFields): Uint8Array<ArrayBuffer> | undefined {
    if (this.protocol > 3 || slabBusy) return undefined;
    const values = this.#values;
    values[0] = fields.name;
    values[1] = fields.levelname;
    values[2] = fields.levelno;
    values[3] = fields.pathname;
    values[4] = fields.filename;
    values[5] = fields.module;
    values[6] = fields.lineno;
    values[7] = fields.funcName;
    values[8] = fields.thread;
    values[9] = fields.threadName;
    values[10] = fields.processName;
    values[11] = fields.process;
    return this.#write(
      fields.msg,
      fields.created,
      fields.msecs,
      fields.relativeCreated,
    );
  }

  #templated(
    dict: Record<string, unknown>,
  ): Uint8Array<ArrayBuffer> | undefined {
    // Exactly the 21 record keys, in order (nothing else enumerable).
    let i = 0;
    for (const key in dict) {
      if (key !== RECORD_KEYS[i]) return undefined;
      i++;
    }
    if (i !== RECORD_KEYS.length) return undefined;
    const created = floatOf(dict.created);
    const msecs = floatOf(dict.msecs);
    const relative = floatOf(dict.relativeCreated);
    if (
      created === undefined || msecs === undefined || relative === undefined
    ) {
      return undefined;
    }
    // Named reads (monomorphic for the handler's dicts), in CONST_FIELDS
    // order; the None fields must be None.
    if (
      dict.args !== null || dict.exc_info !== null || dict.exc_text !== null ||
      dict.stack_info !== null || dict.taskName !== null
    ) return undefined;
    const values = this.#values;
    values[0] = dict.name;
    values[1] = dict.levelname;
    values[2] = dict.levelno;
    values[3] = dict.pathname;
    values[4] = dict.filename;
    values[5] = dict.module;
    values[6] = dict.lineno;
    values[7] = dict.funcName;
    values[8] = dict.thread;
    values[9] = dict.threadName;
    values[10] = dict.processName;
    values[11] = dict.process;
    return this.#write(dict.msg, created, msecs, relative);
  }

  /** The frame from this.#values (constant fields) and the varying ones. */
  #write(
    msg: unknown,
    created: number,
    msecs: number,
    relative: number,
  ): Uint8Array<ArrayBuffer> | undefined {
    if (typeof msg !== "string" || isSharedStr(msg)) return undefined;
    if (msg.length > (POOLED_MAX >> 2)) return undefined;
    if (
      typeof created !== "number" || typeof msecs !== "number" ||
      typeof relative !== "number"
    ) return undefined;
    const values = this.#values;
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      if (typeof v !== "string" && typeof v !== "number") return undefined;
    }
    const template = this.#find(values) ?? this.#build(values);
    if (template === undefined) return undefined;
    this.templated++;
    return writeRecord(template, msg, created, msecs, relative);
  }

  #find(values: unknown[]): RecordTemplate | undefined {
    const templates = this.#templates;
    outer: for (let t = 0; t < templates.length; t++) {
      const have = templates[t]!.values;
      for (let j = 0; j < have.length; j++) {
        if (!Object.is(have[j], values[j])) continue outer;
      }
      return templates[t];
    }
    return undefined;
  }

  #build(values: unknown[]): RecordTemplate | undefined {
    const sample: Record<string, unknown> = {};
    for (const key of RECORD_KEYS) sample[key] = null;
    for (let j = 0; j < CONST_FIELDS.length; j++) {
      sample[RECORD_KEYS[CONST_FIELDS[j]!]!] = values[j];
    }
    sample.msg = MSG_MARK;
    sample.created = new PyFloat(FLOAT_MARKS[0]!);
    sample.msecs = new PyFloat(FLOAT_MARKS[1]!);
    sample.relativeCreated = new PyFloat(FLOAT_MARKS[2]!);
    const bytes = dumps(sample, { protocol: this.protocol });
    const at = [
      indexOfBytes(bytes, MSG_MARK_BYTES),
      ...FLOAT_MARKS.map((x) => indexOfBytes(bytes, floatBytes(x))),
    ];
    for (let k = 0; k < at.length; k++) {
      // Each marker exactly once, in key order.
      if (at[k]! < 0 || (k > 0 && at[k]! <= at[k - 1]!)) return undefined;
    }
    const segments: Uint8Array[] = [];
    let from = 0;
    for (const a of at) {
      segments.push(bytes.slice(from, a));
      from = a + 9;
    }
    segments.push(bytes.slice(from));
    const template = {
      values: [...values],
      segments,
      fixed: segments.reduce((n, s) => n + s.length, 0),
    };
    if (this.#templates.length === MAX_TEMPLATES) this.#templates.shift();
    this.#templates.push(template);
    return template;
  }
}

/** Writes a constant segment, then a BINFLOAT. */
function putFloat(
  buf: Uint8Array,
  view: DataView,
  segment: Uint8Array,
  pos: number,
  x: number,
): number {
  buf.set(segment, pos);
  pos += segment.length;
  buf[pos] = BINFLOAT;
  view.setFloat64(pos + 1, x);
  return pos + 9;
}

/** Writes a templated record frame into the pool. */
function writeRecord(
  t: RecordTemplate,
  msg: string,
  created: number,
  msecs: number,
  relative: number,
): Uint8Array<ArrayBuffer> {
  const n = msg.length;
  const bound = 4 + t.fixed + 5 + n * 3 + 27;
  slabRoom(bound);
  const buf = slab;
  const view = slabView;
  const start = slabPos;
  const seg = t.segments;
  let pos = start + 4;
  buf.set(seg[0]!, pos);
  pos += seg[0]!.length;
  // msg: BINUNICODE, u32 LE length, UTF-8 (surrogatepass)
  buf[pos] = BINUNICODE;
  const payload = pos + 5;
  let p = payload;
  let i = 0;
  for (; i < n; i++) {
    const c = msg.charCodeAt(i);
    if (c >= 0x80) break;
    buf[p++] = c;
  }
  if (i < n) p = utf8Into(buf, msg, i, p);
  view.setUint32(pos + 1, p - payload, true);
  pos = p;
  pos = putFloat(buf, view, seg[1]!, pos, created);
  pos = putFloat(buf, view, seg[2]!, pos, msecs);
  pos = putFloat(buf, view, seg[3]!, pos, relative);
  buf.set(seg[4]!, pos);
  pos += seg[4]!.length;
  view.setUint32(start, pos - start - 4);
  slabPos = pos;
  return buf.subarray(start, pos);
}
