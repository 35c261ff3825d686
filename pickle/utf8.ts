// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * UTF-8 as CPython writes a `str` into a pickle (`surrogatepass`).
 *
 * @module
 */

/**
 * Writes `value` from index `i` up to `end` into `buf` at `pos` as UTF-8
 * with surrogatepass (a lone surrogate becomes its 3-byte form, as CPython
 * writes it; a high surrogate at `end - 1` counts as lone); returns the new
 * position. `buf` must have room for 3 bytes per code unit written.
 *
 * @param buf The output.
 * @param value The string.
 * @param i The first code unit to write.
 * @param pos Where to write it.
 * @param end Where to stop in `value` (its length by default).
 * @returns The position after the last byte written.
 */
export function utf8Into(
  buf: Uint8Array,
  value: string,
  i: number,
  pos: number,
  end: number = value.length,
): number {
  // ASCII first: a tight loop for the common text.
  for (; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) return utf8Tail(buf, value, i, pos, end);
    buf[pos++] = c;
  }
  return pos;
}

/** The rest of {@linkcode utf8Into}, from its first non-ASCII code unit. */
function utf8Tail(
  buf: Uint8Array,
  value: string,
  i: number,
  pos: number,
  n: number,
): number {
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = value.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          buf[pos++] = 0xf0 | (cp >> 18);
          buf[pos++] = 0x80 | ((cp >> 12) & 0x3f);
          buf[pos++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[pos++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
      }
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}
