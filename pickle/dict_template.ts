// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Dict templates: the items of a top-level dict written from the bytes of
 * the last top-level dict with the same keys. A stream of dicts with the
 * same keys (log records, rows) then costs little more than what changed:
 * the bytes of the keys and of the unchanged values (primitives whose
 * encoding does not depend on the memo, short lists of them) are copied,
 * changed floats are written over the template's, and only other changed
 * values are encoded. The bytes are exactly what the plain loop writes.
 *
 * The templates write through the encoder as an {@linkcode AtomEncoder}
 * (whose `value` writes any value), so that this module does not import
 * `encoder.ts`, which uses it.
 *
 * @module
 */
import type { AtomEncoder } from "./atoms.ts";
import { PyFloat } from "./py_types.ts";
import { isSharedStr } from "./memo.ts";
import { SEG_INDEX, SEG_PROP } from "./path.ts";
import * as op from "./opcodes.ts";

// The opcodes as module constants: V8 reads these faster than imports
// in the hot paths.
const {
  BATCHSIZE,
  EMPTY_LIST,
  MARK,
  SETITEMS,
} = op;

/** Most keys a template holds. */
const SHAPE_MAX_KEYS = BATCHSIZE;
/** Most bytes a template holds. */
const SHAPE_MAX_BYTES = 16 * 1024;
/** Longest str a template holds as a constant. */
const SHAPE_MAX_STR = 1024;
/** Changed floats written over a template's at most, per copy. */
const SHAPE_MAX_PATCHES = 16;
/** Longest list a template holds as a constant. */
const SHAPE_MAX_LIST = 8;
/**
 * A template is rebuilt from the current dict after this many uses, so that
 * values which stopped repeating (a template built from an unusual dict) do
 * not stay misses.
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
  /**
   * Per key, how the new value is compared with `values` (a K_* constant):
   * each kind has its own comparison, which V8 then compiles for that type
   * alone.
   */
  kinds: Uint8Array;
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
  /**
   * Whether the template holds only the first keys of its dict: those
   * before a key CPython shares (`""`, one character below U+0100), whose
   * bytes depend on the memo. Keys after them are written plainly, and a
   * dict that goes on past the template does not make it stale.
   */
  partial: boolean;
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

// How a template value is compared (DictShape.kinds).
/** A str: the same str. */
const K_STR = 0;
/** A number: the same number (and sign of zero). */
const K_NUM = 1;
/** null, undefined, a boolean or a bigint: `===`. */
const K_SAME = 2;
/** A marker: never the same. */
const K_MARK = 3;

function kindOf(value: unknown): number {
  switch (typeof value) {
    case "string":
      return K_STR;
    case "number":
      return K_NUM;
    case "symbol":
      return K_MARK;
    default:
      return K_SAME;
  }
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

function isFloat(value: unknown): boolean {
  return value instanceof PyFloat && typeof value.value === "number";
}

/**
 * The templates of one encoder (one per protocol) and what the current
 * top-level dict wrote (to build the next template from).
 */
export class DictTemplates {
  // (A packed array: reads need no hole check.)
  #shapes: (DictShape | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  // Where each key and value of the dict being recorded went.
  #recKeys: string[] = [];
  #recValues: unknown[] = [];
  #recKeyAt = new Int32Array(SHAPE_MAX_KEYS + 1);
  #recValueAt = new Int32Array(SHAPE_MAX_KEYS);
  #recMemo = new Int32Array(SHAPE_MAX_KEYS + 1);
  // Floats that changed but are not written yet: where their template
  // bytes start and their new value.
  #patches = 0;
  #patchAt = new Int32Array(SHAPE_MAX_PATCHES);
  #patchValue = new Float64Array(SHAPE_MAX_PATCHES);

  /**
   * Writes the items of a top-level dict with two or more keys (its
   * EMPTY_DICT and memo put are written): exactly what the encoder's plain
   * loop writes, but while the dict has the keys, in order, of the last
   * top-level dict seen with this protocol (its template), from the
   * template's bytes. A template is built from a dict written plainly, and
   * rebuilt every SHAPE_REFRESH dicts.
   *
   * @param enc The encoder.
   * @param object The dict.
   * @param depth Its depth (1).
   */
  writeItems(
    enc: AtomEncoder,
    object: Record<string, unknown>,
    depth: number,
  ): void {
    const shape = this.#shapes[enc.proto];
    if (shape === undefined || shape.uses >= SHAPE_REFRESH) {
      this.#recording(enc, object, depth);
    } else {
      this.#fromTemplate(enc, object, depth, shape);
    }
  }

  /**
   * writeItems with a template. Any difference from it (other keys, a memo
   * index that moved, a frame boundary) continues with the plain loop from
   * that key on (from the first key: #recording). Kept free of the
   * recording code, which runs once per SHAPE_REFRESH dicts: code that an
   * optimised function has never run costs it a deoptimisation.
   */
  #fromTemplate(
    enc: AtomEncoder,
    object: Record<string, unknown>,
    depth: number,
    s: DictShape,
  ): void {
    const path = enc.path;
    path.depth = depth;
    path.kind[depth] = SEG_PROP;
    const segKey = path.key;
    const proto = enc.proto;
    const memo = enc.memo;
    const memo0 = memo.next;
    const keys = s.keys;
    const n = keys.length;
    const values = s.values;
    const kinds = s.kinds;
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
    let fits = enc.pos + end < enc.frameLimit;
    let live = true;
    let batch = 0;
    for (const key in object) {
      if (live) {
        if (
          i < n && key === keys[i] && aligned &&
          (fits ||
            enc.pos + (s.valueStart[i] as number) - runStart < enc.frameLimit)
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
          const kind = kinds[i];
          let hit: boolean;
          if (kind === K_STR) {
            hit = typeof value === "string" && value === same;
          } else if (kind === K_NUM) {
            hit = typeof value === "number" && value === same &&
              (value !== 0 || 1 / value === 1 / (same as number));
          } else {
            hit = kind === K_SAME && value === same;
          }
          if (!hit) {
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
              this.#sameList(enc, value, s.lists[i] as unknown[], depth, key)
            ) {
              // The same short list again: its bytes, and its memo entry.
              memo.remember(
                value as object,
                memo0 + (s.memo[i] as number) + drift + 1,
              );
              i++;
              continue;
            }
            segKey[depth] = key;
            this.#run(enc, s, i, runStart, s.valueStart[i] as number);
            memo.next = memo0 + (s.memo[i] as number) + drift + 1;
            changed(enc, value);
            drift = memo.next - memo0 - (s.memo[i + 1] as number);
            aligned = drift === 0 || proto >= 4;
            runStart = s.keyStart[i + 1] as number;
            fits = enc.pos + end - runStart < enc.frameLimit;
          }
          i++;
          continue;
        }
        if (i === 0) {
          // Nothing written yet: another shape, written plainly.
          this.#recording(enc, object, depth);
          return;
        }
        // Off the template from this key on: plain items follow, and the
        // next dict builds a new template (unless the template is partial
        // and ends here).
        this.#run(enc, s, i, runStart, s.keyStart[i] as number);
        memo.next = memo0 + (s.memo[i] as number) + drift;
        live = false;
        batch = i;
        s.uses = i === n && s.partial ? s.uses + 1 : SHAPE_REFRESH;
      }
      if (batch === BATCHSIZE) {
        enc.ensure(2);
        enc.buf[enc.pos++] = SETITEMS;
        enc.buf[enc.pos++] = MARK;
        batch = 0;
      }
      segKey[depth] = key;
      if (enc.pos >= enc.frameLimit) enc.nextFrame();
      enc.string(key);
      enc.value(object[key]);
      batch++;
      i++;
    }
    if (live && i === n && !s.partial) {
      memo.next = memo0 + (s.memo[i] as number) + drift;
      this.#run(enc, s, i, runStart, end);
      s.uses++;
    } else {
      if (live) {
        // Fewer keys than the template, or all of a partial one's.
        this.#run(enc, s, i, runStart, s.keyStart[i] as number);
        memo.next = memo0 + (s.memo[i] as number) + drift;
        batch = i;
        s.uses = i === n ? s.uses + 1 : SHAPE_REFRESH;
      }
      enc.ensure(3);
      enc.buf[enc.pos++] = SETITEMS;
      if (batch === BATCHSIZE) {
        enc.buf[enc.pos++] = MARK;
        enc.buf[enc.pos++] = SETITEMS;
      }
    }
    path.depth = depth - 1;
  }

  /**
   * writeItems without a template (or with one due for a refresh): the
   * encoder's plain loop, keeping where each key and value went, then a
   * template built from what it wrote.
   */
  #recording(
    enc: AtomEncoder,
    object: Record<string, unknown>,
    depth: number,
  ): void {
    const path = enc.path;
    path.depth = depth;
    path.kind[depth] = SEG_PROP;
    const segKey = path.key;
    const memo = enc.memo;
    const bodyStart = enc.pos;
    const memo0 = memo.next;
    const frameStart = enc.frameStart;
    const recKeys = this.#recKeys;
    const recValues = this.#recValues;
    const recKeyAt = this.#recKeyAt;
    const recValueAt = this.#recValueAt;
    const recMemo = this.#recMemo;
    enc.ensure(1);
    enc.buf[enc.pos++] = MARK;
    let i = 0;
    let batch = 0;
    for (const key in object) {
      if (batch === BATCHSIZE) {
        enc.ensure(2);
        enc.buf[enc.pos++] = SETITEMS;
        enc.buf[enc.pos++] = MARK;
        batch = 0;
      }
      segKey[depth] = key;
      if (enc.pos >= enc.frameLimit) enc.nextFrame();
      if (i < SHAPE_MAX_KEYS) {
        recKeys[i] = key;
        recKeyAt[i] = enc.pos;
        recMemo[i] = memo.next - memo0;
      }
      enc.string(key);
      const value = object[key];
      if (i < SHAPE_MAX_KEYS) {
        recValues[i] = value;
        recValueAt[i] = enc.pos;
      }
      enc.value(value);
      batch++;
      i++;
    }
    if (i <= SHAPE_MAX_KEYS) {
      recKeyAt[i] = enc.pos;
      recMemo[i] = memo.next - memo0;
    }
    enc.ensure(3);
    enc.buf[enc.pos++] = SETITEMS;
    if (batch === BATCHSIZE) {
      enc.buf[enc.pos++] = MARK;
      enc.buf[enc.pos++] = SETITEMS;
    }
    path.depth = depth - 1;
    if (
      i >= 2 && i <= SHAPE_MAX_KEYS && enc.frameStart === frameStart &&
      enc.pos - bodyStart <= SHAPE_MAX_BYTES
    ) {
      this.#shapes[enc.proto] = this.#shapeOf(enc, i, bodyStart, memo0);
    } else {
      this.#shapes[enc.proto] = undefined;
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
    enc: AtomEncoder,
    value: unknown,
    items: readonly unknown[],
    depth: number,
    key: string,
  ): boolean {
    if (
      !Array.isArray(value) || value.length !== items.length ||
      Object.getPrototypeOf(value) !== Array.prototype ||
      enc.maxDepth <= depth || enc.memo.lookup(value) !== undefined
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
      const path = enc.path;
      path.key[depth] = key;
      path.depth = depth + 1;
      path.reach(depth + 1);
      path.kind[depth + 1] = SEG_INDEX;
      path.key[depth + 1] = k;
      throw error;
    }
    return true;
  }

  /**
   * Copies template bytes [from, to) to the output; `to` is where item `i`
   * (or, for i = n, the end) starts. Copies of more than a few bytes go
   * through a view of the template kept per item, made once.
   */
  #run(
    enc: AtomEncoder,
    s: DictShape,
    i: number,
    from: number,
    to: number,
  ): void {
    const n = to - from;
    if (n <= 0) return;
    enc.ensure(n);
    const buf = enc.buf;
    const bytes = s.bytes;
    let pos = enc.pos;
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
      const at = enc.pos - from + 1;
      for (let k = 0; k < patches; k++) {
        enc.setFloat(
          at + (this.#patchAt[k] as number),
          this.#patchValue[k] as number,
        );
      }
      this.#patches = 0;
    }
    enc.pos = pos;
  }

  /** A template from what #recording just wrote (n items from bodyStart). */
  #shapeOf(
    enc: AtomEncoder,
    n: number,
    bodyStart: number,
    memo0: number,
  ): DictShape | undefined {
    const recKeys = this.#recKeys;
    const recValues = this.#recValues;
    // The template ends before the first key CPython shares.
    let m = 0;
    while (m < n && !isSharedStr(recKeys[m] as string)) m++;
    if (m < 2) return undefined;
    const partial = m < n;
    n = m;
    const keys: string[] = new Array(n);
    const values: unknown[] = new Array(n);
    const keyStart = new Int32Array(n + 1);
    const valueStart = new Int32Array(n);
    const lists: (unknown[] | undefined)[] = new Array(n);
    const memo = new Int32Array(n + 1);
    for (let j = 0; j < n; j++) {
      keys[j] = recKeys[j] as string;
      const value = recValues[j];
      keyStart[j] = (this.#recKeyAt[j] as number) - bodyStart;
      valueStart[j] = (this.#recValueAt[j] as number) - bodyStart;
      memo[j] = this.#recMemo[j] as number;
      if (isConstant(value)) {
        values[j] = value;
      } else if (isFloat(value)) {
        values[j] = FLOAT_SLOT;
      } else if (
        isConstantList(value) &&
        enc.buf[this.#recValueAt[j] as number] === EMPTY_LIST
      ) {
        // (Not a memo get: the list's first occurrence.)
        values[j] = LIST_SLOT;
        lists[j] = [...value];
      } else {
        values[j] = NOT_CONSTANT;
      }
    }
    keyStart[n] = (this.#recKeyAt[n] as number) - bodyStart;
    memo[n] = partial ? this.#recMemo[n] as number : enc.memo.next - memo0;
    const kinds = new Uint8Array(n);
    for (let j = 0; j < n; j++) kinds[j] = kindOf(values[j]);
    return {
      keys,
      values,
      kinds,
      keyStart,
      valueStart,
      memo,
      bytes: enc.buf.slice(
        bodyStart,
        partial ? bodyStart + (keyStart[n] as number) : enc.pos,
      ),
      lists,
      uses: 0,
      partial,
      views: new Array(n + 1),
      viewFrom: new Int32Array(n + 1),
    };
  }
}

/**
 * A value of a templated dict that differs from the template's: as
 * `enc.value`, with the common record values (strings and floats) first.
 */
function changed(enc: AtomEncoder, value: unknown): void {
  if (typeof value === "string") {
    enc.string(value);
  } else if (value instanceof PyFloat && typeof value.value === "number") {
    enc.float(value.value);
  } else {
    enc.value(value);
  }
}
