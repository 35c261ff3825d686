// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The scan of one segment file when a spool opens: the index of its valid
 * blocks (each one's header read and the CRC of its data checked), with
 * every corrupt part reported and skipped. Private to the package.
 *
 * - A block whose header holds but whose data's CRC does not is skipped
 *   whole (its frame count is known); the scan goes on after it.
 * - A header that does not hold (wrong magic, CRC, method or counts) is
 *   skipped by looking for the next header that holds, 64 KiB at a time
 *   (resynchronisation); the bytes in between are reported (their frame
 *   count is unknown).
 * - A last block cut short (the file ends inside it: a process killed
 *   during a write) is reported, with its count if its header is whole.
 * - A segment header that is wrong is reported with the bytes up to the
 *   first block header that holds.
 *
 * @module
 */
import {
  BLOCK_HEADER_BYTES,
  type BlockHeader,
  decodeBlockHeader,
  decodeSegmentHeader,
  findBlockHeader,
  SEGMENT_HEADER_BYTES,
} from "./spool_format.ts";
import { readAtSync } from "./spool_files.ts";
import { crc32 } from "node:zlib";

/** A valid block of a segment. */
export interface BlockRef {
  /** Offset of its header in the segment file. */
  readonly offset: number;
  /** Its header. */
  readonly header: BlockHeader;
}

/** What the scan found in a segment. */
export interface SegmentScan {
  /** The id of its header, or undefined if the header is wrong. */
  readonly id: Uint8Array | undefined;
  /** Its valid blocks not yet delivered (per the cursor), in order. */
  readonly blocks: BlockRef[];
  /** Frames of the first block already delivered (per the cursor). */
  readonly skip: number;
}

/** Receives a corrupt part: what was wrong, its frames if known, its bytes. */
export type CorruptReport = (
  error: Error,
  records: number | undefined,
  bytes: number,
) => void;

/** Where delivered frames end in this segment (from the cursor file). */
export interface ScanStart {
  /** The segment's id that the cursor names. */
  readonly id: Uint8Array;
  /** Offset of the first block not wholly delivered. */
  readonly offset: number;
  /** Frames of that block delivered. */
  readonly skip: number;
}

const WINDOW = 65536;

/**
 * Scans a segment file.
 *
 * @param file The file, open for reading.
 * @param path Its path (for the messages).
 * @param size Its size in bytes.
 * @param start Where delivered frames end, if the cursor names this file.
 * @param report Receives each corrupt part.
 * @returns Its id and valid blocks.
 */
export function scanSegment(
  file: Deno.FsFile,
  path: string,
  size: number,
  start: ScanStart | undefined,
  report: CorruptReport,
): SegmentScan {
  const blocks: BlockRef[] = [];
  if (size === 0) return { id: undefined, blocks, skip: 0 };
  const head = readAtSync(file, 0, SEGMENT_HEADER_BYTES);
  const id = decodeSegmentHeader(head);
  let pos = SEGMENT_HEADER_BYTES;
  if (id === undefined) {
    pos = size < SEGMENT_HEADER_BYTES ? size : findNext(file, size, 0);
    report(
      new Error(
        `Cannot read the header of spool segment ${path} as ${
          size < SEGMENT_HEADER_BYTES
            ? `the file is cut short (${size} bytes)`
            : "its magic is not PLSPOOL1"
        }: skipped ${pos} bytes to the first block header`,
      ),
      undefined,
      pos,
    );
  }
  let skip = 0;
  if (
    id !== undefined && start !== undefined && sameId(id, start.id) &&
    start.offset >= SEGMENT_HEADER_BYTES && start.offset <= size
  ) {
    pos = start.offset;
    skip = start.skip;
  }
  const skipAt = pos;
  while (pos < size) {
    const at = `the block at byte ${pos} of spool segment ${path}`;
    if (size - pos < BLOCK_HEADER_BYTES) {
      report(
        new Error(
          `Cannot read ${at} as the file ends inside its header (${
            size - pos
          } of ${BLOCK_HEADER_BYTES} bytes): skipped`,
        ),
        undefined,
        size - pos,
      );
      break;
    }
    const header = decodeBlockHeader(readAtSync(file, pos, BLOCK_HEADER_BYTES));
    if (typeof header === "string") {
      const next = findNext(file, size, pos + 1);
      report(
        new Error(
          `Cannot read ${at} as ${header}: skipped ${
            next - pos
          } bytes to the next block header`,
        ),
        undefined,
        next - pos,
      );
      pos = next;
      continue;
    }
    const end = pos + BLOCK_HEADER_BYTES + header.stored;
    if (end > size) {
      report(
        new Error(
          `Cannot read ${at} as the file ends inside it (${size - pos} of ${
            end - pos
          } bytes): skipped its ${header.count} frames`,
        ),
        header.count,
        size - pos,
      );
      break;
    }
    const data = readAtSync(file, pos + BLOCK_HEADER_BYTES, header.stored);
    if (crc32(data) !== header.crc) {
      report(
        new Error(
          `Cannot read ${at} as its data CRC does not match: skipped its ${header.count} frames`,
        ),
        header.count,
        end - pos,
      );
    } else if (pos !== skipAt || skip < header.count) {
      blocks.push({ offset: pos, header }); // (else the cursor said the whole block was delivered)
    }
    pos = end;
  }
  // The cursor's skip applies to the block at its offset, if that is valid.
  if (blocks[0]?.offset !== skipAt) skip = 0;
  return { id, blocks, skip };
}

/** The offset of the next block header that holds, from `from`, or `size`. */
function findNext(file: Deno.FsFile, size: number, from: number): number {
  let at = from;
  while (size - at >= BLOCK_HEADER_BYTES) {
    const chunk = readAtSync(file, at, Math.min(WINDOW, size - at));
    const i = findBlockHeader(chunk, 0);
    if (i >= 0) return at + i;
    if (at + chunk.length >= size) break;
    at += chunk.length - (BLOCK_HEADER_BYTES - 1);
  }
  return size;
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
