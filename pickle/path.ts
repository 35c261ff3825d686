// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Where the encoder is inside the value, for error messages such as
 * `Cannot pickle value at 'value.args[2]': …`.
 *
 * @module
 */

/** A path segment: a plain object's key. */
export const SEG_PROP = 0;
/** A path segment: a list's or tuple's index. */
export const SEG_INDEX = 1;
/** A path segment: the n-th key of a Map. */
export const SEG_MAP_KEY = 2;
/** A path segment: the value of a Map's key. */
export const SEG_MAP_VALUE = 3;
/** A path segment: the n-th item of a Set. */
export const SEG_SET_ITEM = 4;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

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

/**
 * The segments from the top-level value to the one being written: at each
 * depth d from 1, `kind[d]` (a SEG_* constant) and `key[d]`. Writers set the
 * segment of their depth before each item; only the text of an error reads
 * them.
 */
export class ValuePath {
  /** Depth of the container being written (0: the top-level value). */
  depth = 0;
  /** The deepest depth whose key may hold a reference (to clear). */
  deepest = 0;
  /** Kind of each segment. */
  readonly kind: number[] = [0];
  /** Key of each segment. */
  readonly key: unknown[] = [undefined];

  /**
   * Enters a container at `depth`.
   *
   * @param depth The container's depth.
   */
  reach(depth: number): void {
    if (depth > this.deepest) this.deepest = depth;
  }

  /** Drops the keys (references into the value) after a pickle. */
  clear(): void {
    const key = this.key;
    for (let i = this.deepest; i >= 0; i--) key[i] = undefined;
    this.deepest = 0;
    this.depth = 0;
  }

  /**
   * The path as text: `value`, `value.args[2]`, `value.get("k")`…
   *
   * @returns The text.
   */
  text(): string {
    let path = "value";
    for (let d = 1; d <= this.depth; d++) {
      const key = this.key[d];
      switch (this.kind[d]) {
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
}
