// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: byte arrays joined.
 *
 * @module
 */

/**
 * Concatenates byte arrays (e.g. frames) in order.
 *
 * @param parts The arrays.
 * @returns Their bytes, in one array.
 */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
