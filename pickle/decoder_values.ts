// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Values for the decoder: integers and floats from their encodings, and the
 * containers (dicts, sets, tuples), with the hashability, depth and length
 * checks CPython's unpickler makes, and the allow-listed reductions.
 *
 * @module
 */
import { PyByteArray, PyFrozenSet, PyTuple } from "./py_types.ts";
import { PyObject } from "./py_object.ts";
import {
  Callable,
  H_MEMBER,
  H_SET,
  K_BYTEARRAY,
  K_BYTES,
  K_ENCODE,
  K_FROZENSET,
  K_SET,
  MAX_TEXT_DIGITS,
  quote,
  type State,
} from "./decoder_state.ts";
import { latin1 } from "./decoder_text.ts";

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function normalize(v: bigint): number | bigint {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/** A plain decimal integer: optional sign, no leading zeros (but "0…0"). */
export function parseDecimal(
  st: State,
  text: string,
  what: string,
): number | bigint {
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

/**
 * {@linkcode parseDecimal} of the text `data[a..b)`: a plain decimal of 1
 * to 15 digits (optional sign, no leading zero) is read from the bytes
 * without building its text (the same number `Number(text)` gives); any
 * other text goes through `parseDecimal`.
 *
 * @param st The state.
 * @param data The input.
 * @param a Where the text starts.
 * @param b Where it ends.
 * @param what The literal's kind, for messages.
 * @returns The integer.
 */
export function decimalAt(
  st: State,
  data: Uint8Array,
  a: number,
  b: number,
  what: string,
): number | bigint {
  let i = a;
  const sign = i < b ? data[i] : 0;
  if (sign === 0x2d || sign === 0x2b) i++;
  if (b - i >= 1 && b - i <= 15 && data[i] !== 0x30) {
    let v = 0;
    for (; i < b; i++) {
      const d = data[i]! - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === b) return sign === 0x2d ? -v : v;
  }
  return parseDecimal(st, latin1(data, a, b), what);
}

const FLOAT_RE = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;
const SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;

/**
 * A protocol-0 FLOAT's text as a number (`inf`, `nan` included).
 *
 * @param st The state.
 * @param text The text.
 * @returns The number.
 */
export function parseFloatText(st: State, text: string): number {
  if (FLOAT_RE.test(text)) return Number(text);
  const m = SPECIAL_RE.exec(text);
  if (m === null) st.fail(`invalid FLOAT literal ${quote(text)}`);
  if (m[2]!.toLowerCase() === "nan") return NaN;
  return m[1] === "-" ? -Infinity : Infinity;
}

/** The ASCII codes of the hex digits. */
const HEX_DIGITS = new TextEncoder().encode("0123456789abcdef");
const ASCII = new TextDecoder("latin1");

/**
 * Little-endian two's complement, as LONG1/LONG4 store it, in time linear
 * in `n` (`loads` bounds `n` by `maxIntBytes`).
 */
export function decodeLong(
  data: Uint8Array,
  a: number,
  n: number,
): number | bigint {
  if (n === 0) return 0;
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + data[a + i]!;
    if (data[a + n - 1]! >= 0x80) v -= 2 ** (8 * n);
    return v;
  }
  // Hex digits, most significant byte first, written as ASCII bytes and
  // decoded at once: BigInt("0x…") is linear in V8 (decimal is not).
  const text = new Uint8Array(2 + 2 * n);
  text[0] = 0x30; // 0
  text[1] = 0x78; // x
  for (let i = a + n - 1, k = 2; i >= a; i--, k += 2) {
    const b = data[i]!;
    text[k] = HEX_DIGITS[b >> 4]!;
    text[k + 1] = HEX_DIGITS[b & 15]!;
  }
  const v = BigInt(ASCII.decode(text));
  // Two's complement: subtract 2^(8n) when the top bit is set.
  return normalize(data[a + n - 1]! >= 0x80 ? v - (1n << BigInt(8 * n)) : v);
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
  if (k instanceof PyObject) return false;
  if (k instanceof Set) return st.frozen === undefined || !st.frozen.has(k);
  return true; // list, dict, marker
}

/**
 * Fails if `k` cannot be a dict key or set member (a list, dict, set…).
 *
 * @param st The state.
 * @param k The key.
 */
export function checkKey(st: State, k: unknown): void {
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

/**
 * Fails if an allow-listed global (a marker) is among `items[from, to)`:
 * markers are only arguments of REDUCE, never values.
 *
 * @param st The state.
 * @param items The values.
 * @param from The first index.
 * @param to The index after the last.
 */
export function noMarkers(
  st: State,
  items: unknown[],
  from: number,
  to: number,
) {
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
export function nest(
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

/**
 * Throws for a container longer than `maxContainerLength`.
 *
 * @param st The state.
 * @param n Its length.
 */
export function tooLong(st: State, n: number): never {
  st.fail(
    `a container would hold ${n} items, more than maxContainerLength (${st.lim.maxContainerLength})`,
  );
}

/**
 * A new dict: an object with a null prototype, or (pass 2) a Map for a
 * dict that receives keys other than str.
 *
 * @param st The state.
 * @returns The dict.
 */
export function newDict(
  st: State,
  first: boolean,
): Record<string, unknown> | Map<unknown, unknown> {
  const ordinal = st.dictOrdinal++;
  if (st.mapDicts !== null) {
    if (st.mapDicts.has(ordinal)) return new Map();
    const o = Object.create(null);
    if (ordinal === 0 && st.pairs) noteRoot(st, o, first);
    return o;
  }
  const d = Object.create(null);
  st.ordinals?.set(d, st.dicts.length);
  st.dicts.push(d);
  if (ordinal === 0 && st.pairs) noteRoot(st, d, first);
  return d;
}

/**
 * Notes the first dict created (EMPTY_DICT): its pairs are kept, and only
 * kept (see `State.deferred`) when it is the first value on the stack.
 */
function noteRoot(st: State, d: object, first: boolean): void {
  st.root = d;
  st.rootPairs = [];
  st.deferred = first;
}

/**
 * Ends the deferral of the root dict's pairs (`State.deferred`): sets them
 * on it, in order, as `setItems` would have.
 *
 * @param st The state.
 */
export function fillRoot(st: State): void {
  st.deferred = false;
  setPairs(st.root!, st.rootPairs!);
}

/**
 * Sets str keys and their values on a dict, in order: how a deferred root
 * dict (`loadsRecord`'s `deferred`) gets its pairs.
 *
 * @param dict The dict.
 * @param pairs Its keys and values, `[k0, v0, k1, v1…]`.
 */
export function setPairs(dict: object, pairs: readonly unknown[]): void {
  const d = dict as Record<string, unknown>;
  for (let i = 0; i < pairs.length; i += 2) {
    d[pairs[i] as string] = pairs[i + 1];
  }
}

/** Sets `items[from..to)` as key/value pairs on the dict `d`. */
export function setItems(
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
    if (d === st.root && shadow !== undefined) st.rootPairs = undefined;
    if (shadow === undefined) {
      if (st.dictInserts + ((to - from) >> 1) > st.lim.maxContainerLength) {
        if (d === st.root) dropPairs(st);
        countedSet(st, d, items, from, to);
        return;
      }
      const pairs = d === st.root ? st.rootPairs : undefined;
      // A deferred root only collects its pairs (see `State.deferred`).
      const store = pairs === undefined || !st.deferred;
      let max = 0;
      for (let i = from; i < to; i += 2) {
        const k = items[i];
        if (typeof k !== "string") {
          if (pairs !== undefined) dropPairs(st);
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
        if (store) d[k] = v;
        if (pairs !== undefined) pairs.push(k, v);
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

/** The root dict gets a key other than the plain way: filled, no pairs. */
function dropPairs(st: State): void {
  if (st.deferred) fillRoot(st);
  st.rootPairs = undefined;
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

/**
 * The Python type name of a decoded value, for messages.
 *
 * @param st The state.
 * @param v The value.
 * @returns The name.
 */
export function kindOf(st: State, v: unknown): string {
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
  if (v instanceof PyObject) {
    return v.kind === "global" ? "global" : `${v.name} object`;
  }
  return "object";
}

/**
 * The dict of the key/value pairs `items[from, to)` (the DICT opcode).
 *
 * @param st The state.
 * @param items The stack.
 * @param from The first key's index.
 * @param to The index after the last value.
 * @returns The dict.
 */
export function dictFrom(
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

/**
 * Adds items to a set (ADDITEMS, or building a frozenset), checking that
 * they are hashable and the set's length.
 *
 * @param st The state.
 * @param s The set.
 * @param isNew Whether the set is being built (not yet nested).
 * @param items The items.
 * @param from The first item's index.
 * @param to The index after the last.
 */
export function addItems(
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

/**
 * A copy of some bytes as a `bytearray` (`loads` with `exact: true`).
 *
 * @param bytes The bytes.
 * @returns The copy.
 */
export function byteArray(bytes: Uint8Array): PyByteArray {
  const out = new PyByteArray(bytes.length);
  out.set(bytes);
  return out;
}

/** REDUCE on an allow-listed global with exactly the arguments CPython writes. */
export function reduce(st: State, fn: unknown, args: unknown): unknown {
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
    case K_BYTEARRAY: {
      const exact = st.exact ? byteArray : (b: Uint8Array) => b;
      if (a.length === 0) return exact(new Uint8Array(0));
      if (a.length === 1 && a[0] instanceof Uint8Array) {
        return exact(a[0].slice());
      }
      if (a.length === 2 && typeof a[0] === "string" && latinName(a[1])) {
        return exact(latin1Bytes(st, a[0], "bytearray"));
      }
      break;
    }
    case K_SET:
    case K_FROZENSET: {
      if (a.length === 0 || (a.length === 1 && Array.isArray(a[0]))) {
        const s = st.exact && fn.kind === K_FROZENSET
          ? new PyFrozenSet<unknown>()
          : new Set<unknown>();
        if (a.length === 1) {
          const list = a[0] as unknown[];
          st.heap += H_SET + list.length * H_MEMBER;
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

/**
 * The tuple of `stack[from...]`, taken off the stack.
 *
 * @param st The state.
 * @param stack The stack.
 * @param from The first item's index.
 * @returns The tuple.
 */
export function tupleFrom(st: State, stack: unknown[], from: number): PyTuple {
  const n = stack.length - from;
  if (n > st.lim.maxContainerLength) tooLong(st, n);
  if (st.markers) noMarkers(st, stack, from, stack.length);
  const t = new PyTuple(stack.splice(from));
  nest(st, t, true, t.items, 0, t.items.length);
  return t;
}
