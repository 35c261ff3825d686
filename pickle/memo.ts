// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The pickler's memo bookkeeping: which objects were written (and at which
 * memo index), and the objects CPython keeps a single copy of.
 *
 * @module
 */

/** Slot of `_codecs.encode` in {@linkcode Memo.prototype.globals}. */
export const G_CODECS_ENCODE = 0;
/** Slot of the str `'latin1'`. */
export const G_LATIN1 = 1;
/** Slot of `bytes` (protocols 1–2). */
export const G_BYTES = 2;
/** Slot of `set` (protocols 1–3). */
export const G_SET = 3;

/**
 * Whether CPython shares the str: `""` and one-character strings below
 * U+0100 are one object each, so a pickle fetches them from the memo after
 * their first occurrence.
 *
 * @param s The string.
 * @returns Whether it is shared.
 */
export function isSharedStr(s: string): boolean {
  return s.length === 0 || (s.length === 1 && s.charCodeAt(0) < 256);
}

/**
 * The memo of one pickle at a time: an identity memo of the containers and
 * bytes written (a short array scanned linearly, as most pickles hold a
 * few, then a Map once it grows), the value-keyed memo of the objects
 * CPython shares (`""` in slot 256, one-character strings below 256 in the
 * slot of their code; `b""` and, in protocols 1–2, one-byte `bytes`,
 * likewise), and the globals written once per pickle.
 */
export class Memo {
  /** The next memo index. */
  next = 0;
  #keys: (object | undefined)[] = [];
  #values: number[] = [];
  #count = 0;
  #map: Map<object, number> | undefined = undefined;
  // A slot of strGen/bytesGen holds a memo index for this pickle when it
  // equals #gen (so nothing is cleared between pickles).
  #gen = 0;
  #strGen = new Uint32Array(257);
  #strIdx = new Uint32Array(257);
  #bytesGen = new Uint32Array(257);
  #bytesIdx = new Uint32Array(257);
  /** Memo indices of the globals (G_* slots), -1 before their first use. */
  readonly globals: Int32Array = new Int32Array(4);

  /** Starts a pickle: an empty memo. */
  reset(): void {
    this.next = 0;
    this.#gen = (this.#gen + 1) >>> 0;
    if (this.#gen === 0) this.#wrap();
    const globals = this.globals;
    globals[0] =
      globals[1] =
      globals[2] =
      globals[3] =
        -1;
  }

  /** The generation wrapped around: forget every slot. */
  #wrap(): void {
    this.#strGen.fill(0);
    this.#bytesGen.fill(0);
    this.#gen = 1;
  }

  /** Ends a pickle: drops the references to its objects. */
  clear(): void {
    const keys = this.#keys;
    for (let i = this.#count - 1; i >= 0; i--) keys[i] = undefined;
    this.#count = 0;
    this.#map = undefined;
  }

  /**
   * The memo index of an object already written.
   *
   * @param object The object.
   * @returns Its index, or undefined.
   */
  lookup(object: object): number | undefined {
    const map = this.#map;
    if (map !== undefined) return map.get(object);
    const keys = this.#keys;
    const count = this.#count;
    for (let i = 0; i < count; i++) {
      if (keys[i] === object) return this.#values[i];
    }
    return undefined;
  }

  /**
   * Records that an object was written at memo index `index`.
   *
   * @param object The object.
   * @param index Its memo index.
   */
  remember(object: object, index: number): void {
    const map = this.#map;
    if (map !== undefined) {
      map.set(object, index);
      return;
    }
    const count = this.#count;
    if (count < 16) {
      this.#keys[count] = object;
      this.#values[count] = index;
      this.#count = count + 1;
      return;
    }
    const created = new Map<object, number>();
    for (let i = 0; i < count; i++) {
      created.set(this.#keys[i] as object, this.#values[i] as number);
    }
    created.set(object, index);
    this.#map = created;
  }

  /**
   * The memo index of a shared str (see {@linkcode isSharedStr}).
   *
   * @param slot 256 for `""`, else the character's code.
   * @returns Its index, or -1 if not written yet.
   */
  sharedStr(slot: number): number {
    return this.#strGen[slot] === this.#gen ? this.#strIdx[slot] as number : -1;
  }

  /**
   * Records a shared str's memo index.
   *
   * @param slot As for {@linkcode Memo.prototype.sharedStr}.
   * @param index Its memo index.
   */
  setSharedStr(slot: number, index: number): void {
    this.#strGen[slot] = this.#gen;
    this.#strIdx[slot] = index;
  }

  /**
   * The memo index of a shared bytes object.
   *
   * @param slot 256 for `b""`, else the byte (one-byte bytes, protocols 1–2).
   * @returns Its index, or -1 if not written yet.
   */
  sharedBytes(slot: number): number {
    return this.#bytesGen[slot] === this.#gen
      ? this.#bytesIdx[slot] as number
      : -1;
  }

  /**
   * Records a shared bytes object's memo index.
   *
   * @param slot As for {@linkcode Memo.prototype.sharedBytes}.
   * @param index Its memo index.
   */
  setSharedBytes(slot: number, index: number): void {
    this.#bytesGen[slot] = this.#gen;
    this.#bytesIdx[slot] = index;
  }
}
