// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The bytes of a forward target's frame ({@linkcode utf8Frame}): a text
 * as UTF-8, after an ASCII head that may depend on the text's byte length
 * (RFC 6587's `"<length> "`) and before an optional last byte (NDJSON's
 * `\n`), in one array of exactly the frame's size. The text is encoded
 * with `encodeInto` into a reusable scratch buffer and copied out once, so
 * a record costs one allocation, not three (`encode`, the frame, the
 * head). Private to the package.
 *
 * @example Usage
 * ```ts
 * import { utf8Frame } from "./utf8_frame.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(utf8Frame("é", (n) => `${n} `), new Uint8Array([0x32, 0x20, 0xc3, 0xa9]));
 * deepEqual(utf8Frame("a", undefined, 0x0a), new Uint8Array([0x61, 0x0a]));
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();

/** Room kept before the text for the head (digits of a length and a space). */
const HEAD_ROOM = 24;

/** Largest scratch buffer kept between calls (a larger one is temporary). */
const MAX_SCRATCH = 1024 * 1024;

let scratch = new Uint8Array(64 * 1024);

/**
 * A text as one frame: `head(byte length of text)`, the text as UTF-8
 * (lone surrogates become U+FFFD), then `last` if given.
 *
 * @param text The text.
 * @param head The ASCII head, from the text's length in UTF-8 bytes (at
 * most 24 characters).
 * @param last A last byte.
 * @returns The frame, a new array.
 */
export function utf8Frame(
  text: string,
  head?: (bytes: number) => string,
  last?: number,
): Uint8Array {
  const most = HEAD_ROOM + text.length * 3 + 1;
  let buf = scratch;
  if (most > buf.length) {
    buf = new Uint8Array(most);
    if (most <= MAX_SCRATCH) scratch = buf;
  }
  const written = encoder.encodeInto(text, buf.subarray(HEAD_ROOM)).written;
  let end = HEAD_ROOM + written;
  if (last !== undefined) buf[end++] = last;
  let start = HEAD_ROOM;
  if (head !== undefined) {
    const h = head(written);
    start -= h.length;
    for (let i = 0; i < h.length; i++) buf[start + i] = h.charCodeAt(i);
  }
  return buf.slice(start, end);
}
