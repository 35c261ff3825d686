// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The pickle encoder behind `dumps` and `dumpsFrame`: it writes what
 * CPython's C pickler writes for the corresponding Python value, byte for
 * byte, for protocols 1 to 5. The atoms (numbers, strs, bytes, memo
 * opcodes) are written by {@linkcode AtomEncoder}, through an `Output` (the
 * pooled buffer and protocol-4 framing); this module adds the containers.
 * A top-level dict with two or more keys is handed to
 * {@linkcode DictTemplates}, which writes the same bytes faster for a stream
 * of dicts with the same keys.
 *
 * @module
 */
import { PyFloat, PyTuple } from "./py_types.ts";
import { PickleError } from "./errors.ts";
import { AtomEncoder, describeError } from "./atoms.ts";
import { G_SET } from "./memo.ts";
import {
  SEG_INDEX,
  SEG_MAP_KEY,
  SEG_MAP_VALUE,
  SEG_PROP,
  SEG_SET_ITEM,
} from "./path.ts";
import { DictTemplates } from "./dict_template.ts";
import type { DumpsOptions } from "./options.ts";
import * as op from "./opcodes.ts";

// The opcodes as module constants: V8 reads these faster than imports
// in the hot paths.
const {
  ADDITEMS,
  APPEND,
  APPENDS,
  BATCHSIZE,
  EMPTY_DICT,
  EMPTY_LIST,
  EMPTY_SET,
  EMPTY_TUPLE,
  MARK,
  NONE,
  POP,
  POP_MARK,
  PROTO,
  REDUCE,
  SETITEM,
  SETITEMS,
  STOP,
  TUPLE,
  TUPLE1,
} = op;

const ASCII = new TextEncoder();
const GLOBAL_SET_2 = ASCII.encode("c__builtin__\nset\n");
const GLOBAL_SET_3 = ASCII.encode("cbuiltins\nset\n");

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
 * Writes one pickle at a time (see the module documentation): the atoms
 * through {@linkcode AtomEncoder}, the containers here.
 */
export class Encoder extends AtomEncoder {
  /** How many dict keys / set items enclose the value (must be hashable). */
  #hashDepth = 0;
  #templates = new DictTemplates();
  /** Whether a pickle is being written (a re-entrant call needs another). */
  busy = false;

  /**
   * Writes a pickle.
   *
   * @param value The value.
   * @param options The options of `dumps`.
   * @param prefix Whether to prefix a 4-byte big-endian length.
   * @returns The pickle or frame.
   */
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
    this.startPickle(protocol, maxDepth, fallback);
    this.#hashDepth = 0;
    const pooled = options?.pooled !== false;
    this.begin(pooled, prefix);
    try {
      this.ensure(16);
      if (protocol >= 2) {
        this.buf[this.pos++] = PROTO;
        this.buf[this.pos++] = protocol;
      }
      if (protocol >= 4) this.openFrame();
      this.value(value);
      this.ensure(1);
      this.buf[this.pos++] = STOP;
      if (protocol >= 4) this.commitFrame(this.pos);
      return this.finish(pooled, prefix);
    } catch (error) {
      if (error instanceof PickleError) throw error;
      throw new PickleError(
        `Cannot pickle value at '${this.path.text()}': reading it threw ${
          describeError(error)
        }`,
        { cause: error },
      );
    } finally {
      this.release();
      this.endPickle();
    }
  }

  #enter(value: object): number {
    if (this.#hashDepth > 0) {
      throw this.error(
        `${
          kindName(value)
        } are unhashable so they cannot be dict keys or set items`,
      );
    }
    return this.#depthFor();
  }

  /** Like #enter but tuples are hashable, so only the depth is checked. */
  #depthFor(): number {
    const depth = this.path.depth + 1;
    if (depth > this.maxDepth) {
      throw this.error(
        `containers are nested deeper than 'maxDepth' (${this.maxDepth})`,
      );
    }
    this.path.reach(depth);
    return depth;
  }

  // ---- values --------------------------------------------------------------

  /**
   * Writes any value.
   *
   * @param value The value.
   */
  override value(value: unknown): void {
    if (this.pos >= this.frameLimit) this.nextFrame();
    switch (typeof value) {
      case "string":
        this.string(value);
        return;
      case "number":
        this.number(value);
        return;
      case "boolean":
        this.bool(value);
        return;
      case "undefined":
        this.ensure(1);
        this.buf[this.pos++] = NONE;
        return;
      case "bigint":
        this.bigint(value);
        return;
      case "object":
        if (value === null) {
          this.ensure(1);
          this.buf[this.pos++] = NONE;
        } else {
          this.#object(value);
        }
        return;
      case "function":
        this.unsupported(value, "functions are not supported");
        return;
      default:
        this.unsupported(value, "symbols are not supported");
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
      this.float((value as PyFloat).value);
    } else if (Array.isArray(value)) {
      this.#list(value);
    } else if (value instanceof PyFloat) {
      const number = value.value;
      if (typeof number !== "number") {
        this.unsupported(
          value,
          `PyFloat values must be numbers: current value is of type '${typeof number}'`,
        );
      } else {
        this.float(number);
      }
    } else if (value instanceof PyTuple) {
      this.#tuple(value);
    } else if (value instanceof Map) {
      this.#map(value);
    } else if (value instanceof Set) {
      this.#set(value);
    } else if (value instanceof Uint8Array) {
      this.bytes(value, value);
    } else if (value instanceof ArrayBuffer) {
      this.bytes(value, new Uint8Array(value));
    } else if (value instanceof Date) {
      const time = value.getTime();
      if (time !== time) {
        this.unsupported(value, "invalid dates are not supported");
      } else {
        this.string(value.toISOString());
      }
    } else {
      const name = typeof proto?.constructor === "function"
        ? proto.constructor.name
        : "";
      this.unsupported(
        value,
        name === ""
          ? "objects with a custom prototype are not supported"
          : `instances of '${name}' are not supported`,
      );
    }
  }

  // ---- containers ----------------------------------------------------------

  #list(list: readonly unknown[]): void {
    const depth = this.#openContainer(list, EMPTY_LIST);
    if (depth < 0) return;
    const n = list.length;
    if (n === 0) return;
    const path = this.path;
    path.depth = depth;
    path.kind[depth] = SEG_INDEX;
    if (n === 1) {
      path.key[depth] = 0;
      this.value(list[0]);
      this.ensure(1);
      this.buf[this.pos++] = APPEND;
    } else {
      let i = 0;
      do {
        this.ensure(1);
        this.buf[this.pos++] = MARK;
        const end = Math.min(i + BATCHSIZE, n);
        for (; i < end; i++) {
          path.key[depth] = i;
          this.value(list[i]);
        }
        this.ensure(1);
        this.buf[this.pos++] = APPENDS;
      } while (i < n);
    }
    path.depth = depth - 1;
  }

  /**
   * Starts a list or dict: a BINGET if the same object was pickled before
   * (returns -1), else its EMPTY_* opcode and memo put (returns its depth).
   */
  #openContainer(value: object, empty: number): number {
    const seen = this.memo.lookup(value);
    if (seen !== undefined) {
      this.get(seen);
      return -1;
    }
    const depth = this.#enter(value);
    this.ensure(1);
    this.buf[this.pos++] = empty;
    this.memo.remember(value, this.put());
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
      // A top-level dict: the same bytes, from a template when it has the
      // keys of the one before it.
      this.#templates.writeItems(this, object, depth);
      return;
    }
    this.#dictItems(object, depth, n === 1);
  }

  /**
   * The items of a plain object whose EMPTY_DICT is written, by its
   * enumerable keys (its own: Object.prototype has none); `single` when it
   * has exactly one (a SETITEM, no MARK).
   */
  #dictItems(
    object: Record<string, unknown>,
    depth: number,
    single: boolean,
  ): void {
    const path = this.path;
    path.depth = depth;
    path.kind[depth] = SEG_PROP;
    const keys = path.key;
    if (single) {
      for (const key in object) {
        keys[depth] = key;
        if (this.pos >= this.frameLimit) this.nextFrame();
        this.string(key);
        this.value(object[key]);
      }
      this.ensure(1);
      this.buf[this.pos++] = SETITEM;
    } else {
      this.ensure(1);
      this.buf[this.pos++] = MARK;
      let batch = 0;
      for (const key in object) {
        if (batch === BATCHSIZE) {
          this.ensure(2);
          this.buf[this.pos++] = SETITEMS;
          this.buf[this.pos++] = MARK;
          batch = 0;
        }
        keys[depth] = key;
        if (this.pos >= this.frameLimit) this.nextFrame();
        this.string(key);
        this.value(object[key]);
        batch++;
      }
      this.ensure(3);
      this.buf[this.pos++] = SETITEMS;
      if (batch === BATCHSIZE) {
        this.buf[this.pos++] = MARK;
        this.buf[this.pos++] = SETITEMS;
      }
    }
    path.depth = depth - 1;
  }

  /** #dict's items when Object.prototype has enumerable keys. */
  #dictOwnKeys(object: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(object);
    const n = keys.length;
    if (n === 0) return;
    const path = this.path;
    path.depth = depth;
    path.kind[depth] = SEG_PROP;
    if (n === 1) {
      const key = keys[0] as string;
      path.key[depth] = key;
      if (this.pos >= this.frameLimit) this.nextFrame();
      this.string(key);
      this.value(object[key]);
      this.ensure(1);
      this.buf[this.pos++] = SETITEM;
    } else {
      let i = 0;
      let batch: number;
      do {
        this.ensure(1);
        this.buf[this.pos++] = MARK;
        const end = Math.min(i + BATCHSIZE, n);
        batch = end - i;
        for (; i < end; i++) {
          const key = keys[i] as string;
          path.key[depth] = key;
          if (this.pos >= this.frameLimit) this.nextFrame();
          this.string(key);
          this.value(object[key]);
        }
        this.ensure(1);
        this.buf[this.pos++] = SETITEMS;
      } while (batch === BATCHSIZE);
    }
    path.depth = depth - 1;
  }

  #map(map: Map<unknown, unknown>): void {
    const depth = this.#openContainer(map, EMPTY_DICT);
    if (depth < 0) return;
    const n = map.size;
    if (n === 0) return;
    const path = this.path;
    path.depth = depth;
    const kinds = path.kind;
    const keys = path.key;
    let i = 0;
    let batch = 0;
    if (n !== 1) {
      this.ensure(1);
      this.buf[this.pos++] = MARK;
    }
    for (const [key, value] of map) {
      if (batch === BATCHSIZE) {
        this.ensure(2);
        this.buf[this.pos++] = SETITEMS;
        this.buf[this.pos++] = MARK;
        batch = 0;
      }
      kinds[depth] = SEG_MAP_KEY;
      keys[depth] = i;
      this.#hashDepth++;
      this.value(key);
      this.#hashDepth--;
      kinds[depth] = SEG_MAP_VALUE;
      keys[depth] = key;
      this.value(value);
      i++;
      batch++;
    }
    this.ensure(3);
    if (n === 1) {
      this.buf[this.pos++] = SETITEM;
    } else {
      this.buf[this.pos++] = SETITEMS;
      if (batch === BATCHSIZE) {
        this.buf[this.pos++] = MARK;
        this.buf[this.pos++] = SETITEMS;
      }
    }
    path.depth = depth - 1;
  }

  #set(set: Set<unknown>): void {
    const seen = this.memo.lookup(set);
    if (seen !== undefined) {
      this.get(seen);
      return;
    }
    const depth = this.#enter(set);
    const proto = this.proto;
    if (proto < 4) {
      // copyreg: builtins.set([items]) via GLOBAL + REDUCE.
      this.global(G_SET, proto === 3 ? GLOBAL_SET_3 : GLOBAL_SET_2);
      this.ensure(2);
      if (proto === 1) this.buf[this.pos++] = MARK;
      this.buf[this.pos++] = EMPTY_LIST;
      this.put();
      this.#setItems(set, depth, APPEND, APPENDS, false);
      this.ensure(1);
      this.buf[this.pos++] = proto === 1 ? TUPLE : TUPLE1;
      this.put();
      this.ensure(1);
      this.buf[this.pos++] = REDUCE;
      this.memo.remember(set, this.put());
      return;
    }
    this.ensure(1);
    this.buf[this.pos++] = EMPTY_SET;
    this.memo.remember(set, this.put());
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
    const path = this.path;
    path.depth = depth;
    path.kind[depth] = SEG_SET_ITEM;
    this.#hashDepth++;
    let i = 0;
    let batch = 0;
    if (n !== 1 || one < 0) {
      this.ensure(1);
      this.buf[this.pos++] = MARK;
    }
    for (const item of set) {
      if (batch === BATCHSIZE) {
        this.ensure(2);
        this.buf[this.pos++] = many;
        this.buf[this.pos++] = MARK;
        batch = 0;
      }
      path.key[depth] = i;
      this.value(item);
      i++;
      batch++;
    }
    this.#hashDepth--;
    this.ensure(3);
    if (n === 1 && one >= 0) {
      this.buf[this.pos++] = one;
    } else {
      this.buf[this.pos++] = many;
      if (quirk && batch === BATCHSIZE) {
        this.buf[this.pos++] = MARK;
        this.buf[this.pos++] = many;
      }
    }
    path.depth = depth - 1;
  }

  #tuple(tuple: PyTuple): void {
    const memo = this.memo;
    const seen = memo.lookup(tuple);
    if (seen !== undefined) {
      this.get(seen);
      return;
    }
    const items = tuple.items;
    const n = items.length;
    const depth = this.#depthFor();
    if (n === 0) {
      this.ensure(1);
      this.buf[this.pos++] = EMPTY_TUPLE;
      return;
    }
    const small = n <= 3 && this.proto >= 2;
    if (!small) {
      this.ensure(1);
      this.buf[this.pos++] = MARK;
    }
    const path = this.path;
    path.depth = depth;
    path.kind[depth] = SEG_INDEX;
    for (let i = 0; i < n; i++) {
      path.key[depth] = i;
      this.value(items[i]);
    }
    path.depth = depth - 1;
    // A tuple memoised while its items were written is recursive: drop the
    // items and fetch it from the memo, as CPython does.
    const recursive = memo.lookup(tuple);
    if (recursive !== undefined) {
      this.ensure(n);
      if (small) {
        for (let i = 0; i < n; i++) this.buf[this.pos++] = POP;
      } else {
        this.buf[this.pos++] = POP_MARK;
      }
      this.get(recursive);
      return;
    }
    this.ensure(1);
    this.buf[this.pos++] = small ? TUPLE1 + n - 1 : TUPLE;
    memo.remember(tuple, this.put());
  }
}

const shared = new Encoder();

/**
 * Pickles a value with the shared encoder (or, re-entered from a getter or
 * fallback, with a private one).
 *
 * @param value The value.
 * @param options The options of `dumps`.
 * @param prefix Whether to prefix a 4-byte big-endian length.
 * @returns The pickle or frame.
 */
export function encode(
  value: unknown,
  options: DumpsOptions | undefined,
  prefix: boolean,
): Uint8Array<ArrayBuffer> {
  if (shared.busy) {
    return new Encoder().encode(value, options, prefix);
  }
  shared.busy = true;
  try {
    return shared.encode(value, options, prefix);
  } finally {
    shared.busy = false;
  }
}
