// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Wrappers for Python values that have no direct JavaScript counterpart:
 * a `float` that happens to be integral, a `tuple`, and (from `loads` with
 * `exact: true` only) a `frozenset` and a `bytearray`.
 *
 * @module
 */

/**
 * A number that pickles as a Python `float` even when it is integral
 * (`pyFloat(3)` is `3.0`, whereas a bare `3` pickles as the `int` 3).
 */
export class PyFloat {
  /** The wrapped value. */
  readonly value: number;
  /**
   * Wraps a number.
   *
   * @param value The number to pickle as a float.
   */
  constructor(value: number) {
    this.value = value;
  }
}

/**
 * Wraps a number so that it pickles as a Python `float`.
 *
 * @param value The number to wrap.
 * @returns The wrapper.
 */
export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/** A Python `tuple`: an immutable sequence, distinct from a `list`. */
export class PyTuple {
  /** The tuple's items, frozen. */
  readonly items: readonly unknown[];
  /**
   * Wraps a sequence of items.
   *
   * @param items The tuple's items.
   */
  constructor(items: Iterable<unknown>) {
    this.items = Object.freeze([...items]);
  }
}

/**
 * Makes a Python `tuple`.
 *
 * @param items The tuple's items.
 * @returns The tuple.
 */
export function pyTuple(items: Iterable<unknown>): PyTuple {
  return new PyTuple(items);
}

/**
 * A Python `frozenset`, as `loads` decodes it with `exact: true`: a `Set`
 * (so code that handles sets handles it) that prints as `frozenset({…})`.
 * `dumps` pickles it as a `set`.
 */
export class PyFrozenSet<T = unknown> extends Set<T> {}

/**
 * A Python `bytearray`, as `loads` decodes it with `exact: true`: a
 * `Uint8Array` (so code that handles bytes handles it) that prints as
 * `bytearray(b'…')`. `dumps` pickles it as `bytes`.
 */
export class PyByteArray extends Uint8Array {}
