// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The decoder's shared state and checks: the limits of `loads`, the error
 * messages (opcode names, quoting), the allow-listed globals, and the
 * bounds-checked reads of lengths, lines and memo indices.
 *
 * @module
 */
import { UnpicklingError } from "./errors.ts";
import type { Failer } from "./decoder_fail.ts";
import { hex2, latin1 } from "./decoder_text.ts";

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
  /**
   * Maximum byte count of one `LONG1`/`LONG4` integer (a 64 KiB integer has
   * over 157,000 decimal digits, far beyond CPython's default 4,300-digit
   * `int`/`str` limit). Larger integers are refused.
   *
   * @default {65536}
   */
  maxIntBytes?: number;
  /**
   * Decode budget: the values one `loads` call builds may take at most
   * `maxHeapFactor × input length + 1 MiB` heap units, or the input is
   * refused. Units approximate bytes of JavaScript heap: a dict costs 192,
   * a set 160, a tuple or an inert object 64 to 128, a list 32 (160 once
   * items are appended), plus 8 per list or tuple item, 16 per set member, 24 per dict entry, 8 per memo
   * entry, and a str, bytes or int its byte length. This bounds the
   * amplification of hostile input (e.g. a frame of empty dicts, ×194 heap
   * per byte unbounded); CPython's log record pickles take 2 to 4 units per
   * byte. Shared references (memo `GET`) cost only the slot that holds them.
   *
   * @default {16}
   */
  maxHeapFactor?: number;
  /**
   * What to do with pickled objects (`GLOBAL`, `STACK_GLOBAL`, `REDUCE`,
   * `NEWOBJ`, `NEWOBJ_EX`, `BUILD`, `INST`, `OBJ`): `"refuse"` throws an
   * `UnpicklingError`; `"inert"` decodes each into a `PyObject` placeholder
   * (module, name, arguments, state) without importing, looking up or
   * calling anything. `PERSID`, `EXT1`/`EXT2`/`EXT4` and out-of-band buffers
   * are refused either way.
   *
   * @default {"refuse"}
   */
  objects?: "refuse" | "inert";
  /**
   * Keep the Python types that the default output merges: a `float` with
   * an integral value (`1.0`, `-0.0`) decodes to a `PyFloat` (not the
   * number `1`, which is an `int`), a `frozenset` to a `PyFrozenSet` (a
   * `Set`) and a `bytearray` to a `PyByteArray` (a `Uint8Array`). The
   * receiver CLI decodes this way, so that its JSON output is lossless.
   *
   * @default {false}
   */
  exact?: boolean;
}

/**
 * The error {@linkcode loads} throws for every malformed, truncated, hostile
 * or over-limit input. The message names the opcode and its byte offset,
 * e.g. `Cannot unpickle opcode 'REDUCE' (0x52) at offset 57: it would call
 * an arbitrary callable`.
 */

/** The limits of one `loads` call (every option resolved). */
export interface Limits {
  maxInputBytes: number;
  maxDepth: number;
  maxMemo: number;
  maxContainerLength: number;
  maxIntBytes: number;
  maxHeapFactor: number;
}

const DEFAULTS: Limits = {
  maxInputBytes: 67108864,
  maxDepth: 1000,
  maxMemo: 1000000,
  maxContainerLength: 10000000,
  maxIntBytes: 65536,
  maxHeapFactor: 16,
};

/** Heap units every `loads` call may use beyond `maxHeapFactor` per byte. */
export const HEAP_ALLOWANCE = 1048576;

// Heap units of the values the decoder builds (see `maxHeapFactor`).
/** A dict (an object with a null prototype, or a Map). */
export const H_DICT = 192;
/** A set. */
export const H_SET = 160;
/** A tuple. */
export const H_TUPLE = 64;
/** A list. */
export const H_LIST = 32;
/** An inert object placeholder. */
export const H_OBJECT = 128;
/** One list or tuple item, or memo entry. */
export const H_ITEM = 8;
/**
 * The spare capacity a list gets when its first item is appended (V8 grows
 * an empty array to 17 slots: a list of three small ints takes ~190 bytes).
 */
export const H_GROWTH = 128;
/** One set member. */
export const H_MEMBER = 16;
/** One dict entry. */
export const H_ENTRY = 24;

/** CPython's default `sys.get_int_max_str_digits()`. */
export const MAX_TEXT_DIGITS = 4300;
/** Longest text (protocol-0) float accepted. */
export const MAX_TEXT_FLOAT_CHARS = 4300;

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

/**
 * The opcodes that keep a record's root dict unreachable from any other
 * value (`State.deferred`): they push scalars, text or bytes, store into
 * the memo, open a MARK, set items (the only dict then is the root, held
 * once, at the bottom of the stack) or fetch from the memo (checked: a
 * fetch of the root itself ends the deferral). Any other opcode first
 * fills the root with its pairs.
 */
export const DEFERRING: Uint8Array = new Uint8Array(256);
for (
  const op of [
    0x80, // PROTO
    0x95, // FRAME
    0x28, // MARK
    0x2e, // STOP
    0x4e, // NONE
    0x88, // NEWTRUE
    0x89, // NEWFALSE
    0x4b, // BININT1
    0x4d, // BININT2
    0x4a, // BININT
    0x47, // BINFLOAT
    0x8a, // LONG1
    0x8b, // LONG4
    0x49, // INT
    0x4c, // LONG
    0x46, // FLOAT
    0x58, // BINUNICODE
    0x8c, // SHORT_BINUNICODE
    0x8d, // BINUNICODE8
    0x56, // UNICODE
    0x53, // STRING
    0x54, // BINSTRING
    0x55, // SHORT_BINSTRING
    0x42, // BINBYTES
    0x43, // SHORT_BINBYTES
    0x8e, // BINBYTES8
    0x96, // BYTEARRAY8
    0x71, // BINPUT
    0x72, // LONG_BINPUT
    0x70, // PUT
    0x94, // MEMOIZE
    0x73, // SETITEM
    0x75, // SETITEMS
    0x68, // BINGET
    0x6a, // LONG_BINGET
    0x67, // GET
  ]
) DEFERRING[op] = 1;

/**
 * An opcode for a message: `opcode 'NAME' (0x..)`.
 *
 * @param op The opcode byte.
 * @returns Its text.
 */
export function describe(op: number): string {
  const name = NAMES[op];
  return name === undefined
    ? `opcode ${hex2(op)}`
    : `opcode '${name}' (${hex2(op)})`;
}

/** Quotes untrusted text for a message: escaped and at most 80 chars. */
export function quote(text: string): string {
  const cut = text.length > 80 ? text.slice(0, 80) + "..." : text;
  return "'" +
    cut.replace(
      /[^\x20-\x26\x28-\x5b\x5d-\x7e]/g,
      (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
    ) + "'";
}

/** Decoder state that the slow paths share with the main loop. */
export class State implements Failer {
  /** Offset of the current opcode. */
  at = 0;
  /** The input. */
  readonly data: Uint8Array;
  /** The limits. */
  readonly lim: Limits;
  /** Pass 2: ordinals of the dicts that must be built as Maps. */
  readonly mapDicts: Set<number> | null;
  /** Pass 1: every object-dict created, by ordinal. */
  readonly dicts: object[] = [];
  /** Pass 1, after the first upgrade: each dict's ordinal. */
  ordinals: Map<object, number> | undefined;
  /** Ordinal of the next object-dict. */
  dictOrdinal = 0;
  /** Pass 1: object-dicts that received a non-str key, with a Map shadow. */
  shadows: Map<object, Map<unknown, unknown>> | undefined;
  /** Pass 1: ordinals of the dicts that must be Maps (a second pass). */
  upgraded: Set<number> | undefined;
  /** Total keys ever set on object-dicts (bounds each dict's size). */
  dictInserts = 0;
  /** Sizes of the object-dicts, once some dict is large. */
  sizes: Map<object, number> | undefined;
  /**
   * Depths of containers deeper than 1: the last one recorded in two
   * fields (most pickles nest one container in the root), the rest in a Map.
   */
  depths: Map<object, number> | undefined;
  /** The container recorded last in `depths`' two fields. */
  lastNested: object | undefined;
  /** Its depth. */
  lastDepth = 0;
  /** The sets built by frozenset() (they may be dict keys). */
  frozen: Set<unknown> | undefined;
  /** Whether an allow-listed global (a marker) may be on the stack or memo. */
  markers = false;
  /** Whether objects decode into inert placeholders (`objects: "inert"`). */
  readonly inert: boolean;
  /** Heap units charged so far (see `maxHeapFactor`). */
  heap = 0;
  /** The most heap units this input may take. */
  readonly heapLimit: number;
  /** Whether integral floats, frozensets, bytearrays keep their type. */
  readonly exact: boolean;
  /**
   * With `pairs` asked for: the first object-dict the input creates
   * (`EMPTY_DICT`), the root of a record's pickle.
   */
  root: object | undefined;
  /**
   * The str keys and values set on `root`, in order (`[k0, v0, k1, v1…]`),
   * while every key it received went through the plain path of
   * `setItems`; else `undefined`.
   */
  rootPairs: unknown[] | undefined;
  /** Whether to note `root` and `rootPairs`. */
  readonly pairs: boolean;
  /**
   * Whether `root` is still empty, its pairs only in `rootPairs`: it was
   * created first, on an empty stack, and the opcodes since could not
   * make it reachable from another value (see `DEFERRING`).
   */
  deferred = false;

  /**
   * Starts a decoding pass.
   *
   * @param data The input.
   * @param lim The limits.
   * @param mapDicts Pass 2: the dicts to build as Maps (null in pass 1).
   * @param inert Whether objects decode into inert placeholders.
   * @param exact Whether integral floats, frozensets, bytearrays keep their
   * type.
   * @param pairs Whether to note the root dict's pairs (`rootPairs`).
   */
  constructor(
    data: Uint8Array,
    lim: Limits,
    mapDicts: Set<number> | null,
    inert = false,
    exact = false,
    pairs = false,
  ) {
    this.data = data;
    this.pairs = pairs;
    this.root = undefined;
    this.rootPairs = undefined;
    this.lim = lim;
    this.mapDicts = mapDicts;
    this.inert = inert;
    this.exact = exact;
    this.heapLimit = lim.maxHeapFactor * data.length + HEAP_ALLOWANCE;
  }

  /** Throws once the values built exceed the decode budget. */
  overBudget(): never {
    this.fail(
      `the decoded values would take more than ${this.heapLimit} heap units (maxHeapFactor ${this.lim.maxHeapFactor} × ${this.data.length} input bytes + ${HEAP_ALLOWANCE})`,
    );
  }

  /**
   * Throws an UnpicklingError naming the current opcode and its offset.
   *
   * @param reason What is wrong.
   */
  fail(reason: string): never {
    throw new UnpicklingError(
      `Cannot unpickle ${
        describe(this.data[this.at]!)
      } at offset ${this.at}: ${reason}`,
    );
  }

  /**
   * Throws for input that ends early.
   *
   * @param offset Where it ends.
   */
  eod(offset: number): never {
    this.fail(`unexpected end of data at offset ${offset}`);
  }
}

// Allow-listed globals: inert markers, only ever consumed by REDUCE.
/** `_codecs.encode` (bytes under protocols 1–2). */
export const K_ENCODE = 0;
/** `builtins.bytes` / `__builtin__.bytes`. */
export const K_BYTES = 1;
/** `builtins.bytearray`. */
export const K_BYTEARRAY = 2;
/** `builtins.set`. */
export const K_SET = 3;
/** `builtins.frozenset`. */
export const K_FROZENSET = 4;

/** An allow-listed global on the stack: an inert marker that REDUCE reads. */
export class Callable {
  /** Which global (a K_* constant). */
  readonly kind: number;
  /** Its name, for messages. */
  readonly label: string;
  /**
   * Makes a marker.
   *
   * @param kind Which global.
   * @param label Its name.
   */
  constructor(kind: number, label: string) {
    this.kind = kind;
    this.label = label;
  }
}

/**
 * The marker of an allow-listed data construction, if `module.name` is one.
 *
 * @param module The module name.
 * @param name The global's name.
 * @returns The marker, or `undefined`.
 */
export function allowGlobal(
  module: string,
  name: string,
): Callable | undefined {
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

/**
 * The limits of a `loads` call from its options.
 *
 * @param options The options.
 * @returns The limits.
 * @throws {TypeError} If an option is not a number.
 * @throws {RangeError} If an option is not a non-negative integer.
 */
export function resolveLimits(options: LoadsOptions | undefined): Limits {
  const objects = options?.objects;
  if (objects !== undefined && objects !== "refuse" && objects !== "inert") {
    throw new TypeError(
      `Cannot use option 'objects': expected "refuse" or "inert", got ${
        quote(String(objects))
      }`,
    );
  }
  const exact = options?.exact;
  if (exact !== undefined && typeof exact !== "boolean") {
    throw new TypeError(
      `Cannot use option 'exact': expected a boolean, got ${typeof exact}`,
    );
  }
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
 * The marker of an allow-listed global, or a failure naming the import
 * refused.
 *
 * @param st The state.
 * @param module The module name.
 * @param name The global's name.
 * @returns The marker.
 */
export function global(st: State, module: string, name: string): Callable {
  const fn = allowGlobal(module, name);
  if (fn === undefined) {
    st.fail(`it would import ${quote(module + "." + name)}`);
  }
  st.markers = true;
  return fn;
}

/** Stores a memo entry; returns the new entry count. */
export function put(
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

/**
 * Pops the innermost MARK.
 *
 * @param st The state.
 * @param marks The open marks.
 * @returns The stack length at the mark.
 */
export function popMark(st: State, marks: number[]): number {
  const m = marks.pop();
  if (m === undefined) st.fail("no MARK on the stack");
  return m;
}

/**
 * Throws for a declared length beyond the input.
 *
 * @param st The state.
 * @param n The declared length.
 * @param left The bytes left.
 */
export function tooShort(st: State, n: number, left: number): never {
  st.fail(
    `unexpected end of data at offset ${st.data.length}: declared length ${n} exceeds the ${left} remaining bytes`,
  );
}

/**
 * The little-endian u32 at `data[pos]` (the caller checks the bounds).
 *
 * @param data The input.
 * @param pos Where it starts.
 * @returns The number.
 */
export function u32(data: Uint8Array, pos: number): number {
  return i32(data, pos) >>> 0;
}

/**
 * The little-endian i32 at `data[pos]` (the caller checks the bounds).
 *
 * @param data The input.
 * @param pos Where it starts.
 * @returns The number.
 */
export function i32(data: Uint8Array, pos: number): number {
  return data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16) |
    (data[pos + 3]! << 24);
}

const scratch = new DataView(new ArrayBuffer(8));

/**
 * The big-endian float64 at `data[pos]` (the caller checks the bounds), read
 * without a DataView of the input (making one costs more than decoding a
 * small record's numbers).
 *
 * @param data The input.
 * @param pos Where it starts.
 * @returns The number.
 */
export function f64(data: Uint8Array, pos: number): number {
  scratch.setInt32(
    0,
    (data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) |
      data[pos + 3]!,
  );
  scratch.setInt32(
    4,
    (data[pos + 4]! << 24) | (data[pos + 5]! << 16) | (data[pos + 6]! << 8) |
      data[pos + 7]!,
  );
  return scratch.getFloat64(0);
}

/** Reads a u64 length and checks it against the remaining input. */
export function len8(
  st: State,
  data: Uint8Array,
  pos: number,
  end: number,
): number {
  if (pos + 8 > end) st.eod(end);
  const lo = u32(data, pos);
  const hi = u32(data, pos + 4);
  const left = end - pos - 8;
  if (hi !== 0 || lo > left) tooShort(st, hi * 2 ** 32 + lo, left);
  return lo;
}

/** Offset of the newline ending a text argument that starts at `pos`. */
export function lineEnd(
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

/**
 * A protocol-0 memo index (decimal text).
 *
 * @param st The state.
 * @param data The input.
 * @param a Where the text starts.
 * @param b Where it ends.
 * @returns The index.
 */
export function memoIndex(
  st: State,
  data: Uint8Array,
  a: number,
  b: number,
): number {
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
