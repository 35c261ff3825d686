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
 * With `objects: "inert"` (the receiver's setting), those opcodes decode
 * instead into inert {@linkcode PyObject} placeholders (module, name,
 * arguments, state), still without importing, looking up or calling
 * anything; well-known types (datetime, Decimal, UUID, paths, collections,
 * loggers, exceptions…) get a faithful `value`. `PERSID`, `BINPERSID`,
 * `EXT1`/`EXT2`/`EXT4` and out-of-band buffers stay refused.
 *
 * Python values become JavaScript values as follows:
 *
 * | Python | JavaScript |
 * |---|---|
 * | `None` | `null` |
 * | `bool` | `boolean` |
 * | `int` | `number` if `Number.isSafeInteger`, else `bigint` |
 * | `float` | `number` (NaN, ±Infinity and −0 kept); with `exact: true`, an integral float (−0 included) is a {@linkcode PyFloat} |
 * | `str` | `string`; lone surrogates are kept (UTF-8 is decoded with `surrogatepass`, as CPython does) |
 * | Python 2 `str` (`STRING`, `BINSTRING`, `SHORT_BINSTRING`) | `string`, decoded as UTF-8 when the bytes are well-formed UTF-8 (what Python 2 programs almost always hold), otherwise as Latin-1 (like `pickle.loads(..., encoding="latin1")`), so decoding never fails; CPython's default `"ASCII"` would fail on non-ASCII bytes |
 * | `bytes`, `bytearray` | `Uint8Array` (a copy, never a view of the input; with `exact: true`, a bytearray is a `PyByteArray`) |
 * | `list` | `Array` |
 * | `tuple` | {@linkcode PyTuple} |
 * | `set`, `frozenset` | `Set` (with `exact: true`, a frozenset is a {@linkcode PyFrozenSet}) |
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
 * `int` limit). Binary integers (`LONG1`/`LONG4`) decode in linear time and
 * may be at most `maxIntBytes` long (64 KiB by default); integers above
 * 4300 decimal digits that do decode are rendered by this package's text
 * and JSON output without decimal conversion (`<int of N bits>`). A decode
 * budget bounds the heap one input can produce: the values built may take
 * at most `maxHeapFactor` (16) heap units per input byte plus 1 MiB (a dict
 * counts 192 units, a list 32 (160 with items), 8 per item…; see
 * {@linkcode LoadsOptions.maxHeapFactor}), in both `objects` modes, so
 * frames full of empty containers are refused instead of multiplying their
 * size in memory. Memo references (`GET`) are cheap to decode, so a small
 * input may still describe a huge *tree* of shared references ("billion
 * laughs"): consumers that walk results must not expand a shared container
 * more than once. Any malformed, truncated or hostile input throws
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
import { PyFloat, PyFrozenSet, PyTuple } from "./py_types.ts";
import { PyObject } from "./py_object.ts";
import { UnpicklingError } from "./errors.ts";
import { minHeapUnits, PRESCAN_MIN_BYTES } from "./prescan.ts";
import {
  Callable,
  DEFERRING,
  describe,
  f64,
  global,
  H_DICT,
  H_ENTRY,
  H_GROWTH,
  H_ITEM,
  H_LIST,
  H_MEMBER,
  H_OBJECT,
  H_SET,
  H_TUPLE,
  HEAP_ALLOWANCE,
  i32,
  len8,
  type Limits,
  lineEnd,
  type LoadsOptions,
  MAX_TEXT_DIGITS,
  MAX_TEXT_FLOAT_CHARS,
  memoIndex,
  popMark,
  put,
  resolveLimits,
  State,
  tooShort,
  u32,
} from "./decoder_state.ts";
import {
  escapeDecode,
  latin1,
  py2Text,
  rawUnicodeEscape,
  utf8,
} from "./decoder_text.ts";
import {
  addItems,
  byteArray,
  decimalAt,
  decodeLong,
  dictFrom,
  fillRoot,
  kindOf,
  nest,
  newDict,
  noMarkers,
  parseFloatText,
  reduce,
  setItems,
  tooLong,
  tupleFrom,
} from "./decoder_values.ts";
import {
  inertAppend,
  inertBuild,
  inertGlobal,
  inertInst,
  inertNew,
  inertReduce,
  inertSetItems,
} from "./decoder_objects.ts";

export type { LoadsOptions };

/**
 * Decodes a pickle (protocols 0 to 5) into plain JavaScript data, without
 * ever importing or calling anything. See the module documentation for the
 * value mapping and the few allow-listed constructions.
 *
 * @param data The pickle bytes, ending with `STOP` (`.`). For a
 * `SocketHandler` frame, strip the 4-byte length prefix first.
 * @param options Limits on size, depth, memo and container length, and
 * `objects` (`"refuse"`, the default, or `"inert"`).
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
  return loadsMetered(data, options, undefined);
}

/** Where {@linkcode loadsMetered} reports the heap units it charged. */
export interface HeapMeter {
  /** Heap units of the values built by the last call (see `maxHeapFactor`). */
  heap: number;
}

/**
 * The options of `loads`, validated and resolved once (see
 * {@linkcode prepareLoads}), for callers that decode many inputs with the
 * same options.
 */
export interface PreparedLoads {
  /** The limits. */
  readonly lim: Limits;
  /** Whether objects decode into inert placeholders. */
  readonly inert: boolean;
  /** Whether integral floats, frozensets, bytearrays keep their type. */
  readonly exact: boolean;
}

/**
 * Validates and resolves the options of `loads` once.
 *
 * @param options As for `loads`.
 * @returns The resolved options, for {@linkcode loadsPrepared}.
 * @throws {TypeError} If an option is not a number.
 * @throws {RangeError} If an option is negative or not an integer.
 */
export function prepareLoads(
  options: LoadsOptions | undefined,
): PreparedLoads {
  return {
    lim: resolveLimits(options),
    inert: options?.objects === "inert",
    exact: options?.exact === true,
  };
}

/**
 * {@linkcode loads}, reporting the heap units of the decoded values in
 * `meter` (for a receiver's memory bound).
 *
 * @param data The pickle bytes.
 * @param options As for `loads`.
 * @param meter Receives the heap units charged.
 * @returns The decoded value.
 */
export function loadsMetered(
  data: Uint8Array,
  options: LoadsOptions | undefined,
  meter: HeapMeter | undefined,
): unknown {
  checkInput(data);
  return loadsPrepared(data, prepareLoads(options), meter);
}

/**
 * {@linkcode loadsMetered} with options resolved beforehand by
 * {@linkcode prepareLoads} (the same checks and limits, without resolving
 * the options again for every input).
 *
 * @param data The pickle bytes.
 * @param prepared The resolved options.
 * @param meter Receives the heap units charged.
 * @returns The decoded value.
 */
export function loadsPrepared(
  data: Uint8Array,
  prepared: PreparedLoads,
  meter: HeapMeter | undefined,
): unknown {
  return decodeAll(data, prepared, meter, undefined);
}

/** What {@linkcode loadsRecord} reports besides the heap units. */
export interface RecordMeter extends HeapMeter {
  /**
   * When the value is a dict created empty (`EMPTY_DICT`, as CPython's
   * `SocketHandler` pickles a record) whose every key is a str set in the
   * plain way: its keys and values in the order they were set
   * (`[k0, v0, k1, v1…]`, duplicates included). Else `undefined`.
   */
  pairs: readonly unknown[] | undefined;
  /**
   * Whether the dict was left empty, its content only in `pairs` (set them
   * on it, in order, to have the dict `loads` returns): it was the first
   * value decoded and no other value could reach it.
   */
  deferred: boolean;
}

/**
 * {@linkcode loadsPrepared} for a record dict: the same checks and limits,
 * and the dict's keys and values in the order they were set (see
 * {@linkcode RecordMeter.pairs}), so that the receiver does not list the
 * dict's keys again. The same value too, except that a dict decoded first
 * and reachable from no other value is returned empty, its content only
 * in the pairs ({@linkcode RecordMeter.deferred}): a receiver that reads
 * the pairs does not build it.
 *
 * @param data The pickle bytes.
 * @param prepared The resolved options.
 * @param meter Receives the heap units charged and the pairs.
 * @returns The decoded value.
 */
export function loadsRecord(
  data: Uint8Array,
  prepared: PreparedLoads,
  meter: RecordMeter,
): unknown {
  meter.pairs = undefined;
  meter.deferred = false;
  return decodeAll(data, prepared, meter, meter);
}

function decodeAll(
  data: Uint8Array,
  prepared: PreparedLoads,
  meter: HeapMeter | undefined,
  record: RecordMeter | undefined,
): unknown {
  checkInput(data);
  const lim = prepared.lim;
  if (data.length > lim.maxInputBytes) {
    throw new UnpicklingError(
      `Cannot unpickle ${data.length} bytes: more than maxInputBytes (${lim.maxInputBytes})`,
    );
  }
  if (data.length >= PRESCAN_MIN_BYTES) {
    const limit = lim.maxHeapFactor * data.length + HEAP_ALLOWANCE;
    if (minHeapUnits(data, limit) > limit) {
      throw new UnpicklingError(
        `Cannot unpickle ${data.length} bytes: the decoded values would take more than ${limit} heap units (maxHeapFactor ${lim.maxHeapFactor} × ${data.length} input bytes + ${HEAP_ALLOWANCE}), counting its containers alone`,
      );
    }
  }
  const { inert, exact } = prepared;
  const pairs = record !== undefined;
  let st = new State(data, lim, null, inert, exact, pairs);
  let value = run(st, data);
  if (st.upgraded !== undefined) {
    st = new State(data, lim, st.upgraded, inert, exact, pairs);
    value = run(st, data);
  }
  if (meter) meter.heap = st.heap;
  if (record && value === st.root) {
    record.pairs = st.rootPairs;
    record.deferred = st.deferred;
  }
  return value;
}

/** Throws a TypeError unless `data` is a Uint8Array. */
function checkInput(data: Uint8Array): void {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot unpickle a ${typeof data}: expected a Uint8Array`,
    );
  }
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
    if (st.deferred && DEFERRING[op] === 0) fillRoot(st);
    if (st.heap > st.heapLimit) st.overBudget();
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
        const lo = u32(data, pos);
        const hi = u32(data, pos + 4);
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
        stack.push(i32(data, pos));
        pos += 4;
        break;
      case 0x47: { // BINFLOAT
        if (pos + 8 > end) st.eod(end);
        const x = f64(data, pos);
        stack.push(st.exact && Number.isInteger(x) ? new PyFloat(x) : x);
        pos += 8;
        break;
      }
      case 0x8a: { // LONG1
        if (pos >= end) st.eod(pos);
        const n = data[pos++]!;
        if (n > end - pos) st.eod(end);
        st.heap += n;
        stack.push(decodeLong(data, pos, n));
        pos += n;
        break;
      }
      case 0x8b: { // LONG4
        if (pos + 4 > end) st.eod(end);
        const n = i32(data, pos);
        pos += 4;
        if (n < 0) st.fail(`negative byte count ${n}`);
        if (n > end - pos) tooShort(st, n, end - pos);
        if (n > lim.maxIntBytes) {
          st.fail(
            `an int of ${n} bytes is longer than maxIntBytes (${lim.maxIntBytes})`,
          );
        }
        st.heap += n;
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
        } else stack.push(decimalAt(st, data, pos, nl, "INT"));
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
        stack.push(decimalAt(st, data, pos, stop, "LONG"));
        pos = nl + 1;
        break;
      }
      case 0x46: { // FLOAT
        const nl = lineEnd(st, data, pos, MAX_TEXT_FLOAT_CHARS);
        const x = parseFloatText(st, latin1(data, pos, nl));
        stack.push(st.exact && Number.isInteger(x) ? new PyFloat(x) : x);
        pos = nl + 1;
        break;
      }

      // --- strings and bytes -----------------------------------------------
      case 0x58: { // BINUNICODE
        if (pos + 4 > end) st.eod(end);
        const n = u32(data, pos);
        pos += 4;
        if (n > end - pos) tooShort(st, n, end - pos);
        st.heap += n;
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
        st.heap += n;
        stack.push(utf8(st, data, pos, pos += n));
        break;
      }
      case 0x8d: { // BINUNICODE8
        const n = len8(st, data, pos, end);
        pos += 8;
        st.heap += n;
        stack.push(utf8(st, data, pos, pos += n));
        break;
      }
      case 0x56: { // UNICODE
        const nl = lineEnd(st, data, pos, Infinity);
        st.heap += nl - pos;
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
        st.heap += nl - pos;
        stack.push(py2Text(escapeDecode(st, data, pos + 1, nl - 1)));
        pos = nl + 1;
        break;
      }
      case 0x54: { // BINSTRING
        if (pos + 4 > end) st.eod(end);
        const n = i32(data, pos);
        pos += 4;
        if (n < 0) st.fail(`negative byte count ${n}`);
        if (n > end - pos) tooShort(st, n, end - pos);
        st.heap += n;
        stack.push(py2Text(latin1(data, pos, pos += n)));
        break;
      }
      case 0x55: { // SHORT_BINSTRING
        if (pos >= end) st.eod(pos);
        const n = data[pos++]!;
        if (n > end - pos) tooShort(st, n, end - pos);
        st.heap += n;
        stack.push(py2Text(latin1(data, pos, pos += n)));
        break;
      }
      case 0x42: { // BINBYTES
        if (pos + 4 > end) st.eod(end);
        const n = u32(data, pos);
        pos += 4;
        if (n > end - pos) tooShort(st, n, end - pos);
        st.heap += n;
        stack.push(data.slice(pos, pos += n));
        break;
      }
      case 0x43: { // SHORT_BINBYTES
        if (pos >= end) st.eod(pos);
        const n = data[pos++]!;
        if (n > end - pos) tooShort(st, n, end - pos);
        st.heap += n;
        stack.push(data.slice(pos, pos += n));
        break;
      }
      case 0x8e: // BINBYTES8
      case 0x96: { // BYTEARRAY8
        const n = len8(st, data, pos, end);
        pos += 8;
        st.heap += n;
        stack.push(
          op === 0x96 && st.exact
            ? byteArray(data.subarray(pos, pos += n))
            : data.slice(pos, pos += n),
        );
        break;
      }

      // --- containers ------------------------------------------------------
      case 0x5d: // EMPTY_LIST
        st.heap += H_LIST;
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        st.heap += H_TUPLE;
        stack.push(new PyTuple([]));
        break;
      case 0x7d: // EMPTY_DICT
        st.heap += H_DICT;
        stack.push(newDict(st, stack.length === 0));
        break;
      case 0x8f: // EMPTY_SET
        st.heap += H_SET;
        stack.push(new Set());
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: { // TUPLE3
        const n = op - 0x84;
        const from = stack.length - n;
        if (from < fence) st.fail("stack underflow");
        st.heap += H_TUPLE + n * H_ITEM;
        stack.push(tupleFrom(st, stack, from));
        break;
      }
      case 0x74: { // TUPLE
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        st.heap += H_TUPLE + (stack.length - m) * H_ITEM;
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
        st.heap += H_LIST + (stack.length - m) * H_ITEM;
        const list = stack.splice(m);
        nest(st, list, true, list, 0, list.length);
        stack.push(list);
        break;
      }
      case 0x64: { // DICT
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if ((stack.length - m) & 1) st.fail("odd number of items");
        st.heap += H_DICT + ((stack.length - m) >> 1) * H_ENTRY;
        const d = dictFrom(st, stack, m, stack.length);
        stack.length = m;
        stack.push(d);
        break;
      }
      case 0x91: { // FROZENSET
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if (st.markers) noMarkers(st, stack, m, stack.length);
        st.heap += H_SET + (stack.length - m) * H_MEMBER;
        const s = st.exact ? new PyFrozenSet<unknown>() : new Set<unknown>();
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
          if (st.inert && list instanceof PyObject) {
            inertAppend(st, list, stack, len - 1, len);
            stack.length = len - 1;
            break;
          }
          st.fail(`the target is a ${kindOf(st, list)}, not a list`);
        }
        if (st.markers) noMarkers(st, stack, len - 1, len);
        if (list.length >= lim.maxContainerLength) tooLong(st, list.length + 1);
        st.heap += list.length === 0 ? H_ITEM + H_GROWTH : H_ITEM;
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
          if (st.inert && list instanceof PyObject) {
            inertAppend(st, list, stack, m, stack.length);
            stack.length = m;
            break;
          }
          st.fail(`the target is a ${kindOf(st, list)}, not a list`);
        }
        const len = stack.length;
        if (st.markers) noMarkers(st, stack, m, len);
        if (list.length + (len - m) > lim.maxContainerLength) {
          tooLong(st, list.length + (len - m));
        }
        st.heap += (len - m) * H_ITEM +
          (list.length === 0 && len > m ? H_GROWTH : 0);
        for (let i = m; i < len; i++) list.push(stack[i]);
        nest(st, list, false, stack, m, len);
        stack.length = m;
        break;
      }
      case 0x73: { // SETITEM
        const len = stack.length;
        if (len - 3 < fence) st.fail("stack underflow");
        const d = stack[len - 3];
        st.heap += H_ENTRY;
        if (st.inert && d instanceof PyObject) {
          inertSetItems(st, d, stack, len - 2, len);
        } else setItems(st, d, stack, len - 2, len);
        stack.length = len - 2;
        break;
      }
      case 0x75: { // SETITEMS
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if (m - 1 < fence) st.fail("stack underflow");
        if ((stack.length - m) & 1) st.fail("odd number of items");
        const d = stack[m - 1];
        st.heap += ((stack.length - m) >> 1) * H_ENTRY;
        if (st.inert && d instanceof PyObject) {
          inertSetItems(st, d, stack, m, stack.length);
        } else setItems(st, d, stack, m, stack.length);
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
        st.heap += (stack.length - m) * H_MEMBER;
        addItems(st, s, false, stack, m, stack.length);
        stack.length = m;
        break;
      }

      // --- memo ------------------------------------------------------------
      case 0x71: { // BINPUT
        if (pos >= end) st.eod(pos);
        if (stack.length <= fence) st.fail("stack underflow");
        const idx = data[pos++]!;
        st.heap += H_ITEM;
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
          idx = u32(data, pos);
          pos += 4;
        } else if (op === 0x70) {
          const nl = lineEnd(st, data, pos, 20);
          idx = memoIndex(st, data, pos, nl);
          pos = nl + 1;
        } else idx = memoCount;
        if (stack.length <= fence) st.fail("stack underflow");
        st.heap += H_ITEM;
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
          idx = u32(data, pos);
          pos += 4;
        } else {
          const nl = lineEnd(st, data, pos, 20);
          idx = memoIndex(st, data, pos, nl);
          pos = nl + 1;
        }
        const v = memo[idx];
        if (v === undefined) st.fail(`memo key ${idx} not found`);
        if (v === st.root && st.deferred) fillRoot(st);
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
        st.heap += H_OBJECT;
        stack.push(
          st.inert ? inertGlobal(st, module, name) : global(st, module, name),
        );
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
        st.heap += H_OBJECT;
        stack.push(
          st.inert ? inertGlobal(st, module, name) : global(st, module, name),
        );
        break;
      }
      case 0x52: { // REDUCE
        const len = stack.length;
        if (len - 2 < fence) st.fail("stack underflow");
        st.heap += H_OBJECT;
        const value = st.inert
          ? inertReduce(st, stack[len - 2], stack[len - 1])
          : reduce(st, stack[len - 2], stack[len - 1]);
        stack.length = len - 2;
        stack.push(value);
        break;
      }

      // --- objects: inert placeholders, or refused --------------------------
      case 0x62: { // BUILD
        if (!st.inert) st.fail("it would set an object's state");
        const len = stack.length;
        if (len - 2 < fence) st.fail("stack underflow");
        st.heap += H_OBJECT;
        inertBuild(st, stack[len - 2], stack[len - 1]);
        stack.length = len - 1;
        break;
      }
      case 0x81: { // NEWOBJ
        if (!st.inert) st.fail("it would construct an arbitrary object");
        const len = stack.length;
        if (len - 2 < fence) st.fail("stack underflow");
        st.heap += H_OBJECT;
        const o = inertNew(st, stack[len - 2], stack[len - 1], null);
        stack.length = len - 2;
        stack.push(o);
        break;
      }
      case 0x92: { // NEWOBJ_EX
        if (!st.inert) st.fail("it would construct an arbitrary object");
        const len = stack.length;
        if (len - 3 < fence) st.fail("stack underflow");
        st.heap += H_OBJECT;
        const o = inertNew(st, stack[len - 3], stack[len - 2], stack[len - 1]);
        stack.length = len - 3;
        stack.push(o);
        break;
      }
      case 0x69: { // INST
        if (!st.inert) st.fail("it would construct an arbitrary object");
        const nl1 = lineEnd(st, data, pos, 256);
        const nl2 = lineEnd(st, data, nl1 + 1, 256);
        const cls = inertGlobal(
          st,
          latin1(data, pos, nl1),
          latin1(data, nl1 + 1, nl2),
        );
        pos = nl2 + 1;
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        st.heap += H_OBJECT;
        const o = inertInst(st, cls, stack, m);
        stack.length = m;
        stack.push(o);
        break;
      }
      case 0x6f: { // OBJ
        if (!st.inert) st.fail("it would construct an arbitrary object");
        const m = popMark(st, marks);
        fence = marks.length === 0 ? 0 : marks[marks.length - 1]!;
        if (stack.length - m < 1) st.fail("stack underflow");
        st.heap += H_OBJECT;
        const o = inertInst(st, stack[m], stack, m + 1);
        stack.length = m;
        stack.push(o);
        break;
      }

      // --- refused ---------------------------------------------------------
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
