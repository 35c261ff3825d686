// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The bytes of the disk spool ({@linkcode DiskSpool} in `spool.ts`), without
 * any I/O: segment file names, the segment header, blocks (encode, header
 * check, decode) and the release cursor. Private to the package.
 *
 * All integers are big-endian, as the frames' own length prefixes are.
 *
 * - **Segment file** `<16-digit number>.seg`: a 16-byte header, then blocks.
 *   Header: the 8 ASCII bytes `PLSPOOL1`, then 8 random bytes that name this
 *   file (so that a cursor never applies to another file of the same name).
 * - **Block**: a 28-byte header, then `stored` bytes.
 *
 *   | offset | size | field                                         |
 *   | -----: | ---: | --------------------------------------------- |
 *   |      0 |    4 | magic `SPB1`                                  |
 *   |      4 |    1 | method: 0 stored as is, 1 `deflateRawSync`    |
 *   |      5 |    3 | zero                                          |
 *   |      8 |    4 | frame count (at least 1)                      |
 *   |     12 |    4 | raw length: the frames' bytes                 |
 *   |     16 |    4 | stored length: the bytes after the header     |
 *   |     20 |    4 | CRC-32 of the stored bytes                    |
 *   |     24 |    4 | CRC-32 of the header's first 24 bytes         |
 *
 *   The raw bytes are the block's frames, whole and in order, each a 4-byte
 *   length then that many bytes (`logging.handlers.SocketHandler` frames):
 *   decoding checks that `count` lengths add up to the raw length exactly.
 *   A header whose own CRC holds is trusted (its count and length are used
 *   to skip a block whose data is corrupt); a scan that meets any other
 *   header looks for the next one whose CRC holds (resynchronisation).
 * - **Cursor** (`cursor`, 36 bytes): where the frames known to be delivered
 *   end, so that a process that crashed does not replay them: magic `SPC1`,
 *   frames to skip in the block (4), segment number (8), segment id (8),
 *   offset of that block in the segment (8), CRC-32 of the first 32 bytes.
 *
 * @module
 */
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";

/** Bytes of a segment header. */
export const SEGMENT_HEADER_BYTES = 16;
/** Bytes of a block header. */
export const BLOCK_HEADER_BYTES = 28;
/** Bytes of the cursor file. */
export const CURSOR_BYTES = 36;
/** The largest raw length of a block (and so of a frame): 1 GiB. */
export const MAX_BLOCK_RAW = 0x40000000;
/** The number of the first segment: numbers below it are left to heads saved before it. */
export const FIRST_SEGMENT = 1_000_000_000_000_000;
/** The name of the lock file in the spool's directory. */
export const LOCK_FILE = "spool.lock";
/** The name of the cursor file in the spool's directory. */
export const CURSOR_FILE = "cursor";

/**
 * The deflate level of blocks: 3 compresses pickled log records about 8×
 * at twice the speed of the default level 6 (9×); decoding does not depend
 * on it.
 */
export const DEFLATE_LEVEL = 3;

/** Method byte of a block stored as is. */
export const METHOD_STORED = 0;
/** Method byte of a block compressed with raw deflate. */
export const METHOD_DEFLATE = 1;

const SEGMENT_MAGIC = [0x50, 0x4c, 0x53, 0x50, 0x4f, 0x4f, 0x4c, 0x31]; // PLSPOOL1
const BLOCK_MAGIC = 0x53504231; // SPB1
const CURSOR_MAGIC = 0x53504331; // SPC1
const SEGMENT_NAME = /^(\d{16})\.seg$/;
const TEMP_NAME = /^\d{16}\.seg\.tmp$/;

/** The header of one block, as read from the file. */
export interface BlockHeader {
  /** 0 stored as is, 1 raw deflate. */
  readonly method: number;
  /** Frames in the block. */
  readonly count: number;
  /** Bytes of the frames. */
  readonly raw: number;
  /** Bytes after the header. */
  readonly stored: number;
  /** CRC-32 of the stored bytes. */
  readonly crc: number;
}

/** Where the delivered frames end: skip `skip` frames of the block at `offset` of the segment. */
export interface Cursor {
  /** Segment number. */
  readonly segment: number;
  /** Segment id (8 bytes of its header). */
  readonly id: Uint8Array;
  /** Offset of the block in the segment file. */
  readonly offset: number;
  /** Frames of that block already delivered. */
  readonly skip: number;
}

/**
 * The file name of segment `n`.
 *
 * @param n The segment number.
 * @returns `<16 digits>.seg`.
 */
export function segmentName(n: number): string {
  return `${String(n).padStart(16, "0")}.seg`;
}

/**
 * The number of a segment file name.
 *
 * @param name A file name.
 * @returns The number, or undefined if the name is not a segment's (or its
 * number is beyond `Number.MAX_SAFE_INTEGER`).
 */
export function segmentNumber(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Whether a file name is a segment being written by `saveHead` (left by a
 * process that ended before renaming it).
 *
 * @param name A file name.
 * @returns Whether it is `<16 digits>.seg.tmp`.
 */
export function isTempSegment(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * A new segment header.
 *
 * @param id The segment's 8 random bytes.
 * @returns The 16 bytes.
 */
export function encodeSegmentHeader(id: Uint8Array): Uint8Array {
  const out = new Uint8Array(SEGMENT_HEADER_BYTES);
  out.set(SEGMENT_MAGIC, 0);
  out.set(id.subarray(0, 8), 8);
  return out;
}

/**
 * The id of a segment header.
 *
 * @param bytes The file's first bytes (at least 16).
 * @returns The 8-byte id, or undefined if the magic is wrong.
 */
export function decodeSegmentHeader(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < SEGMENT_HEADER_BYTES) return undefined;
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== SEGMENT_MAGIC[i]) return undefined;
  }
  return bytes.slice(8, 16);
}

/**
 * Counts the frames of `raw` and checks that they are whole: each a 4-byte
 * big-endian length then that many bytes, ending exactly at `raw`'s end.
 *
 * @param raw Concatenated frames.
 * @returns The number of frames, or -1 if the lengths do not add up.
 */
export function countFrames(raw: Uint8Array): number {
  const end = raw.length;
  let pos = 0;
  let n = 0;
  while (pos < end) {
    if (end - pos < 4) return -1;
    const size = ((raw[pos]! << 24) | (raw[pos + 1]! << 16) |
      (raw[pos + 2]! << 8) | raw[pos + 3]!) >>> 0;
    pos += 4 + size;
    n++;
  }
  return pos === end ? n : -1;
}

/**
 * The size of the frame at `pos` (its 4-byte length plus 4).
 *
 * @param bytes Concatenated whole frames.
 * @param pos Where a frame starts.
 * @returns Its size in bytes.
 */
export function frameSize(bytes: Uint8Array, pos: number): number {
  return (((bytes[pos]! << 24) | (bytes[pos + 1]! << 16) |
    (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0) + 4;
}

/**
 * Encodes whole frames as one block: header and stored bytes, compressed
 * unless compression does not make them smaller.
 *
 * @param raw The frames (at most {@linkcode MAX_BLOCK_RAW} bytes).
 * @param count How many frames `raw` holds.
 * @returns The block's bytes.
 */
export function encodeBlock(raw: Uint8Array, count: number): Uint8Array {
  const packed = deflateRawSync(raw, { level: DEFLATE_LEVEL });
  const method = packed.length < raw.length ? METHOD_DEFLATE : METHOD_STORED;
  const stored = method === METHOD_DEFLATE ? packed : raw;
  const out = new Uint8Array(BLOCK_HEADER_BYTES + stored.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, BLOCK_MAGIC);
  out[4] = method;
  view.setUint32(8, count);
  view.setUint32(12, raw.length);
  view.setUint32(16, stored.length);
  view.setUint32(20, crc32(stored));
  view.setUint32(24, crc32(out.subarray(0, 24)));
  out.set(stored, BLOCK_HEADER_BYTES);
  return out;
}

/**
 * Reads and checks a block header: its magic, its own CRC, the method, the
 * zero bytes and the consistency of the counts.
 *
 * @param bytes At least {@linkcode BLOCK_HEADER_BYTES} bytes from `at`.
 * @param at Where the header starts in `bytes`.
 * @returns The header, or a description of what is wrong with it.
 */
export function decodeBlockHeader(
  bytes: Uint8Array,
  at = 0,
): BlockHeader | string {
  if (bytes.length - at < BLOCK_HEADER_BYTES) return "it is cut short";
  const view = new DataView(bytes.buffer, bytes.byteOffset + at);
  if (view.getUint32(0) !== BLOCK_MAGIC) return "its magic is not SPB1";
  const own = crc32(bytes.subarray(at, at + 24));
  if (view.getUint32(24) !== own) return "its header CRC does not match";
  const method = bytes[at + 4]!;
  const count = view.getUint32(8);
  const raw = view.getUint32(12);
  const stored = view.getUint32(16);
  if (method > METHOD_DEFLATE) return `its method is ${method}, not 0 or 1`;
  if ((bytes[at + 5]! | bytes[at + 6]! | bytes[at + 7]!) !== 0) {
    return "its reserved bytes are not zero";
  }
  if (
    count === 0 || raw < 4 * count || raw > MAX_BLOCK_RAW || stored === 0 ||
    (method === METHOD_STORED && stored !== raw)
  ) {
    return `its counts are inconsistent (${count} frames, ${raw} raw bytes, ${stored} stored)`;
  }
  return { method, count, raw, stored, crc: view.getUint32(20) };
}

/**
 * Decodes a block's stored bytes into its frames, checking the CRC, the
 * raw length and that the frames are whole and `count` in number.
 *
 * @param header The block's header.
 * @param stored Its stored bytes.
 * @returns The frames, or a description of what is wrong.
 */
export function decodeBlock(
  header: BlockHeader,
  stored: Uint8Array,
): Uint8Array | string {
  if (stored.length !== header.stored) return "its data is cut short";
  if (crc32(stored) !== header.crc) return "its data CRC does not match";
  let raw: Uint8Array;
  if (header.method === METHOD_STORED) {
    raw = stored;
  } else {
    try {
      const out = inflateRawSync(stored, { maxOutputLength: header.raw });
      raw = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      return `its data does not inflate (${(e as Error).message})`;
    }
  }
  if (raw.length !== header.raw) {
    return `its data inflates to ${raw.length} bytes, not ${header.raw}`;
  }
  const n = countFrames(raw);
  if (n !== header.count) {
    return n < 0
      ? "its frames' lengths do not add up to its raw length"
      : `it holds ${n} frames, not ${header.count}`;
  }
  return raw;
}

/**
 * Finds the next offset, from `from`, where a block header whose CRC holds
 * starts.
 *
 * @param bytes The bytes to search.
 * @param from Where to start.
 * @returns The offset, or -1 if there is none.
 */
export function findBlockHeader(bytes: Uint8Array, from: number): number {
  const last = bytes.length - BLOCK_HEADER_BYTES;
  for (let i = from; i <= last; i++) {
    if (
      bytes[i] === 0x53 && bytes[i + 1] === 0x50 && bytes[i + 2] === 0x42 &&
      bytes[i + 3] === 0x31 && typeof decodeBlockHeader(bytes, i) !== "string"
    ) {
      return i;
    }
  }
  return -1;
}

/**
 * Encodes the cursor file.
 *
 * @param cursor The cursor.
 * @returns Its {@linkcode CURSOR_BYTES} bytes.
 */
export function encodeCursor(cursor: Cursor): Uint8Array {
  const out = new Uint8Array(CURSOR_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, CURSOR_MAGIC);
  view.setUint32(4, cursor.skip);
  view.setBigUint64(8, BigInt(cursor.segment));
  out.set(cursor.id.subarray(0, 8), 16);
  view.setBigUint64(24, BigInt(cursor.offset));
  view.setUint32(32, crc32(out.subarray(0, 32)));
  return out;
}

/**
 * Decodes the cursor file.
 *
 * @param bytes The file's bytes.
 * @returns The cursor, or undefined if the bytes are not a whole cursor.
 */
export function decodeCursor(bytes: Uint8Array): Cursor | undefined {
  if (bytes.length !== CURSOR_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, CURSOR_BYTES);
  if (view.getUint32(0) !== CURSOR_MAGIC) return undefined;
  if (view.getUint32(32) !== crc32(bytes.subarray(0, 32))) return undefined;
  const segment = Number(view.getBigUint64(8));
  const offset = Number(view.getBigUint64(24));
  if (!Number.isSafeInteger(segment) || !Number.isSafeInteger(offset)) {
    return undefined;
  }
  return {
    segment,
    id: bytes.slice(16, 24),
    offset,
    skip: view.getUint32(4),
  };
}
