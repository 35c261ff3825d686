// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: frames stamped as a handler with `sequence: true` stamps
 * them. The record dict is pickled by `dumpsFrame`, its STOP byte is
 * replaced by a second MARK … SETITEMS on the root dict, and the length
 * prefix is fixed:
 *
 * ```text
 * <dumpsFrame(dict) without '.'> ( X'seq' J<int32> X'sender' X'<id>' u .
 * ```
 *
 * so that Python's `pickle.loads` sees a dict with two more keys, `seq` and
 * `sender`.
 *
 * ```ts ignore
 * import { stampedFrame } from "./_stamped.ts";
 * const frame = stampedFrame({ name: "app", msg: "hi", levelno: 20 }, 1, "h:1:ab");
 * ```
 *
 * @module
 */
import { dumpsFrame, type DumpsOptions } from "../pickle.ts";

const encoder = new TextEncoder();

/** BINUNICODE (`X`): a 4-byte little-endian length, then UTF-8. */
function binUnicode(text: string): number[] {
  const b = encoder.encode(text);
  const n = b.length;
  return [0x58, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24, ...b];
}

/** BININT (`J`, 4-byte signed little-endian) or LONG1 beyond 32 bits. */
function pickleInt(n: number): number[] {
  if (n >= -(2 ** 31) && n < 2 ** 31) {
    return [0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
  }
  let v = BigInt(n);
  const bytes: number[] = [];
  while (v > 0n || bytes.length === 0 || (bytes.at(-1)! & 0x80) !== 0) {
    bytes.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return [0x8a, bytes.length, ...bytes]; // LONG1 (non-negative only)
}

/**
 * A frame of `dict` with `seq` and `sender` appended by a second SETITEMS.
 *
 * @param dict The record dict.
 * @param seq The sequence number (a non-negative integer).
 * @param sender The sender id.
 * @param options Pickling options of the first part.
 * @returns The frame: length prefix and pickle.
 */
export function stampedFrame(
  dict: Record<string, unknown>,
  seq: number,
  sender: string,
  options?: DumpsOptions,
): Uint8Array {
  const plain = dumpsFrame(dict, options);
  if (plain.at(-1) !== 0x2e) {
    throw new Error("Expected a pickle ending in STOP");
  }
  const tail = [
    0x28, // MARK
    ...binUnicode("seq"),
    ...pickleInt(seq),
    ...binUnicode("sender"),
    ...binUnicode(sender),
    0x75, // SETITEMS
    0x2e, // STOP
  ];
  const out = new Uint8Array(plain.length - 1 + tail.length);
  out.set(plain.subarray(0, plain.length - 1));
  out.set(tail, plain.length - 1);
  new DataView(out.buffer).setUint32(0, out.length - 4);
  return out;
}
