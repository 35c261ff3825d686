// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Setting a key as an own property, whatever the key.
 *
 * @module
 */

/**
 * Sets `o[k] = v` as an own, enumerable property, also for the key
 * `"__proto__"`, which an assignment would treat as the prototype.
 *
 * @param o The object.
 * @param k The key.
 * @param v The value.
 */
export function setOwn(
  o: Record<string, unknown>,
  k: string,
  v: unknown,
): void {
  if (k === "__proto__") {
    Object.defineProperty(o, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    o[k] = v;
  }
}
