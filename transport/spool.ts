// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode DiskSpool}: the frames that overflow the memory queue, kept in
 * order in segment files of one directory, synchronously (it runs inside a
 * logging call, and in Deno's `unload` event). Private to the package.
 *
 * **Files** (the bytes are described in `spool_format.ts`):
 *
 * - `<16-digit number>.seg`: segments, replayed in the order of their
 *   numbers. Each is a 16-byte header (magic and a random id), then blocks:
 *   a 28-byte header (magic, method, frame count, raw length, stored
 *   length, CRC-32 of the stored bytes, CRC-32 of the header) and the
 *   block's whole frames, concatenated and compressed with
 *   `deflateRawSync` at level 3 (stored as they are when that is not
 *   smaller).
 *   Appended segments are numbered from 10^15 up; a head saved at exit
 *   (`saveHead`) takes the number below the lowest one.
 * - `cursor`: where the frames released (delivered) end, in the segment of
 *   the last one released (segment number and id, block offset, frames of
 *   that block), so that a process that dies does not replay them: written
 *   by `flush()` and `close()` when it moved.
 * - `spool.lock`: locked exclusively (`flock`) while a spool is open, so
 *   that a second spool on the directory, in this process or another,
 *   fails to open.
 * - `<number>.seg.tmp`: a head being saved; one left by a process that
 *   ended before renaming it is removed at open (its frames are still in
 *   the segments it was to replace).
 *
 * **Life of a frame**: `append` copies it into the pending block, which is
 * compressed and written to the last segment when its raw size reaches
 * `blockBytes` (64 KiB by default) and at `flush()`; a new segment begins when the
 * last one would pass `segmentBytes`. `load` hands out the next whole frames
 * in order (from the segments, then from the pending block, which is then
 * not written: those frames are the caller's now). `release` counts the
 * first loaded frames as delivered; a segment whose frames are all loaded
 * and released is deleted (the segment being written once another one
 * begins, or at `close()`). `saveHead` writes the frames the caller still
 * holds, loaded ones included, as a new first segment, with the frames not
 * yet loaded of the segment being read (those of the partly loaded block
 * re-encoded, the later blocks copied as they are), then deletes the
 * segments whose frames were loaded.
 *
 * **Guarantees**:
 *
 * - Order: frames are loaded in the order they were appended, after those
 *   saved by `saveHead`; a new process opening the directory replays what
 *   is left in that order.
 * - A process killed (SIGKILL) loses only the pending block (written at the
 *   next `flush()`, which the caller runs on a short timer); a block cut
 *   short by the kill is reported through `onCorrupt` at the next open and
 *   skipped. Loaded frames not yet released when it died are replayed
 *   (at-least-once), and so are those released since the last `flush()`.
 *   `fsync: true` extends this to a power loss.
 * - `saveHead` is crash-safe: its segment is written to a temporary file and
 *   renamed; the segments it replaces are deleted after. A crash before the
 *   rename leaves the directory as it was; after it, frames may be replayed
 *   twice, never lost.
 * - The bytes on disk plus the pending block stay within `maxBytes`: beyond
 *   it the oldest segment is deleted and its frames not yet loaded are
 *   counted through `onDrop` (a segment at a time; then the oldest pending
 *   frames). A head saved at exit drops its own first blocks if it would
 *   pass the bound.
 * - Corruption is never fatal: a block whose header or CRC is wrong, whose
 *   data does not inflate, or whose frames' lengths do not add up, is
 *   skipped and reported through `onCorrupt` (with its frame count when its
 *   header is trustworthy); after a wrong header the scan resumes at the
 *   next header that holds.
 * - After `open`, no method throws for an I/O error: it is reported through
 *   `onError` and the spool goes on (frames it cannot write or read back
 *   are counted through `onDrop`; a segment whose write failed is cut back
 *   and a new one begun). Only a wrong argument throws (`RangeError`).
 *
 * Hooks must not call the spool's methods.
 *
 * @example Usage
 * ```ts
 * import { DiskSpool } from "./spool.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const hooks = { onDrop() {}, onCorrupt() {}, onError() {} };
 * const frame = (b: number) => Uint8Array.of(0, 0, 0, 1, b);
 * const spool = DiskSpool.open({ dir }, hooks);
 * spool.append(frame(1));
 * spool.append(frame(2));
 * spool.flush(); // written: survives a killed process
 * const batch = spool.load(1, 1024)!;
 * deepEqual([...batch.frames], [0, 0, 0, 1, 1]);
 * spool.saveHead(batch.frames, 1); // not delivered: back before frame 2
 * spool.close();
 *
 * const again = DiskSpool.open({ dir }, hooks);
 * equal(again.records, 2);
 * deepEqual([...again.load(10, 1024)!.frames], [0, 0, 0, 1, 1, 0, 0, 0, 1, 2]);
 * again.release(2); // delivered: the segments go
 * again.close();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { messageOf, toError } from "./errors.ts";
import {
  deniedAccess,
  openError,
  permissionError,
  SpoolError,
} from "./spool_errors.ts";
import {
  BLOCK_HEADER_BYTES,
  type BlockHeader,
  countFrames,
  CURSOR_BYTES,
  CURSOR_FILE,
  decodeBlock,
  decodeBlockHeader,
  decodeCursor,
  encodeBlock,
  encodeCursor,
  encodeSegmentHeader,
  FIRST_SEGMENT,
  frameSize,
  isTempSegment,
  LOCK_FILE,
  MAX_BLOCK_RAW,
  SEGMENT_HEADER_BYTES,
  segmentName,
  segmentNumber,
} from "./spool_format.ts";
import {
  openIfExistsSync,
  readAtSync,
  removeFileSync,
  syncDirSync,
  writeAllSync,
} from "./spool_files.ts";
import {
  checkSpoolHooks,
  type ResolvedSpoolOptions,
  resolveSpoolOptions,
  type SpoolHooks,
  type SpoolOptions,
} from "./spool_options.ts";
import { type BlockRef, scanSegment, type SegmentScan } from "./spool_scan.ts";

export type { SpoolHooks, SpoolOptions } from "./spool_options.ts";
export { SpoolError } from "./spool_errors.ts";

/** Headers a frame may cost on disk beyond its bytes: a segment's and a block's. */
const OVERHEAD = SEGMENT_HEADER_BYTES + BLOCK_HEADER_BYTES;

/** Frames handed out by {@linkcode DiskSpool.prototype.load}. */
export interface SpoolBatch {
  /** Whole frames, concatenated, in order (the caller's to keep). */
  readonly frames: Uint8Array;
  /** How many. */
  readonly count: number;
}

/** A segment file and what is known of it. */
interface Segment {
  readonly number: number;
  readonly path: string;
  /** The id of its header (undefined if the header was wrong). */
  readonly id: Uint8Array | undefined;
  /** Bytes on disk. */
  size: number;
  /** Its valid blocks, in order. */
  readonly blocks: BlockRef[];
  /** Index of the next block to load. */
  next: number;
  /** Frames of `blocks[0]` delivered before this process (the cursor). */
  skip: number;
  /** Frames loaded from it and not released. */
  unreleased: number;
  /** The handle it is appended through (the segment being written). */
  file: Deno.FsFile | undefined;
  /** Deleted (all released, dropped, or replaced by a saved head). */
  gone: boolean;
}

/** The block being loaded, decoded. */
interface Current {
  readonly seg: Segment;
  readonly block: BlockRef;
  readonly bytes: Uint8Array;
  /** Where its next frame starts. */
  pos: number;
  /** Index of its next frame. */
  index: number;
  /** Frames not yet loaded. */
  left: number;
}

/** Loaded frames not yet released: `count` frames of one block (or of the pending block) from index `first`. */
interface Run {
  readonly seg: Segment | undefined;
  readonly block: BlockRef | undefined;
  first: number;
  count: number;
}

/** A block of a head being saved. */
interface Part {
  readonly bytes: Uint8Array;
  readonly count: number;
}

/**
 * A bounded, crash-safe FIFO of whole frames in segment files of one
 * directory (see the module documentation). Synchronous; one per
 * directory.
 */
export class DiskSpool {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #fsync: boolean;
  readonly #segmentBytes: number;
  readonly #blockBytes: number;
  readonly #hooks: SpoolHooks;
  readonly #lock: Deno.FsFile;
  #segments: Segment[] = [];
  #nextNumber = FIRST_SEGMENT;
  #writeSeg: Segment | undefined;
  #reader: { seg: Segment; file: Deno.FsFile } | undefined;
  #cursorFile: Deno.FsFile | undefined;
  #cur: Current | undefined;
  #pending = new Uint8Array(0);
  #pendStart = 0;
  #pendEnd = 0;
  #pendCount = 0;
  #runs: Run[] = [];
  #records = 0;
  #diskBytes = 0;
  #loaded = 0;
  #releasedAt: { seg: Segment; offset: number; skip: number } | undefined;
  #cursorDirty = false;
  #closed = false;

  private constructor(
    options: ResolvedSpoolOptions,
    hooks: SpoolHooks,
    lock: Deno.FsFile,
  ) {
    this.#dir = options.dir;
    this.#maxBytes = options.maxBytes;
    this.#fsync = options.fsync;
    this.#segmentBytes = options.segmentBytes;
    this.#blockBytes = options.blockBytes;
    this.#hooks = hooks;
    this.#lock = lock;
  }

  /**
   * Opens the spool of a directory: checks the options, creates the
   * directory (and its parents), takes its lock and scans its segments
   * (reporting corrupt parts through `onCorrupt`, and dropping the oldest
   * segments if they pass `maxBytes`).
   *
   * @param options The options.
   * @param hooks What the spool reports.
   * @returns The open spool.
   * @throws {TypeError} On an option or hook of a wrong type, or an unknown option.
   * @throws {RangeError} On a size out of its bounds.
   * @throws {SpoolError} If Deno denies reading or writing the directory,
   * another spool holds its lock, or it cannot be created or read.
   */
  static open(options: SpoolOptions, hooks: SpoolHooks): DiskSpool {
    const resolved = resolveSpoolOptions(options);
    checkSpoolHooks(hooks);
    const dir = resolved.dir;
    const denied = deniedAccess(dir);
    if (denied.length > 0) throw permissionError(dir, denied);
    const lockPath = join(dir, LOCK_FILE);
    let lock: Deno.FsFile;
    try {
      Deno.mkdirSync(dir, { recursive: true });
      lock = Deno.openSync(lockPath, { read: true, write: true, create: true });
    } catch (e) {
      throw openError(dir, e);
    }
    let locked: boolean;
    try {
      locked = lock.tryLockSync(true);
    } catch (e) {
      lock.close();
      throw openError(dir, e);
    }
    if (!locked) {
      lock.close();
      throw new SpoolError(
        dir,
        `Cannot open the spool in ${dir} as another spool holds its lock ${lockPath} (in this process or another): expected one open spool per directory`,
      );
    }
    const spool = new DiskSpool(resolved, hooks, lock);
    try {
      spool.#scan();
    } catch (e) {
      spool.#closeFiles();
      throw openError(dir, e);
    }
    return spool;
  }

  /** Frames stored and not yet loaded (the pending block's included). */
  get records(): number {
    return this.#records;
  }

  /** Bytes of the segment files, plus the raw bytes of the pending block. */
  get bytes(): number {
    return this.#diskBytes + this.#pendEnd - this.#pendStart;
  }

  /** Frames loaded and not yet released. */
  get loaded(): number {
    return this.#loaded;
  }

  /** Whether {@linkcode DiskSpool.prototype.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Appends a copy of one whole frame (a 4-byte big-endian length, then
   * that many bytes) to the pending block, which is written when its raw
   * size reaches `blockBytes`. To stay within `maxBytes`, the oldest frames
   * not yet loaded are dropped first; a frame larger than `maxBytes` less
   * 44 bytes of headers is dropped itself (as is one appended after
   * `close()`), counted through `onDrop` and reported through `onError`.
   *
   * @param frame The frame.
   * @returns Whether it was kept.
   * @throws {RangeError} If `frame`'s length prefix is not its size less 4.
   */
  append(frame: Uint8Array): boolean {
    const size = frame.length;
    if (size < 4 || frameSize(frame, 0) !== size) {
      throw new RangeError(
        `Cannot append the frame to the spool as its 4-byte length must be its size less 4: current value is ${
          size < 4 ? `a frame of ${size} bytes` : frameSize(frame, 0) - 4
        } for a frame of ${size} bytes`,
      );
    }
    if (this.#closed) {
      this.#drop(1);
      this.#error(
        new Error(
          `Cannot append a frame to the spool in ${this.#dir} as it is closed: dropped`,
        ),
      );
      return false;
    }
    const max = Math.min(this.#maxBytes - OVERHEAD, MAX_BLOCK_RAW);
    if (size > max) {
      this.#drop(1);
      this.#error(
        new Error(
          `Cannot append a frame to the spool in ${this.#dir} as it must be at most ${max} bytes (maxBytes less ${OVERHEAD} bytes of headers): current size is ${size} bytes; dropped`,
        ),
      );
      return false;
    }
    const dropped = this.#makeRoom(size);
    this.#reservePending(size);
    this.#pending.set(frame, this.#pendEnd);
    this.#pendEnd += size;
    this.#pendCount++;
    this.#records++;
    if (this.#pendEnd - this.#pendStart >= this.#blockBytes) this.#writeBlock();
    this.#drop(dropped); // (last: the hook sees a consistent spool)
    return true;
  }

  /**
   * Writes the pending block now (with `fdatasync` if asked), and the
   * cursor if frames were released since it was last written.
   */
  flush(): void {
    if (this.#closed) return;
    this.#writeBlock();
    this.#writeCursor();
  }

  /**
   * Hands out the next whole frames in order: from the segments, then from
   * the pending block; at least one if any is stored, even one larger than
   * `maxBytes`. They stay counted in `loaded` until released.
   *
   * @param maxRecords The most frames to hand out (at least 1).
   * @param maxBytes The most bytes, unless the first frame alone is larger (at least 1).
   * @returns The frames, or undefined if none is stored (or the spool is closed).
   * @throws {RangeError} If a limit is not a positive integer.
   */
  load(maxRecords: number, maxBytes: number): SpoolBatch | undefined {
    positive("load", "maxRecords", maxRecords);
    positive("load", "maxBytes", maxBytes);
    if (this.#closed) return undefined;
    const pieces: Uint8Array[] = [];
    let count = 0;
    let bytes = 0;
    let full = false;
    let diskDone = false;
    while (!full && count < maxRecords) {
      if (this.#cur === undefined && !this.#nextBlock()) {
        diskDone = true;
        break;
      }
      const cur = this.#cur!;
      const start = cur.pos;
      let n = 0;
      while (n < cur.left && count < maxRecords) {
        const size = frameSize(cur.bytes, cur.pos);
        if (count > 0 && bytes + size > maxBytes) {
          full = true;
          break;
        }
        cur.pos += size;
        bytes += size;
        count++;
        n++;
      }
      if (n > 0) {
        pieces.push(cur.bytes.subarray(start, cur.pos));
        this.#runs.push({
          seg: cur.seg,
          block: cur.block,
          first: cur.index,
          count: n,
        });
        cur.index += n;
        cur.left -= n;
        cur.seg.unreleased += n;
      }
      if (cur.left === 0) this.#cur = undefined;
    }
    if (diskDone && count < maxRecords && this.#pendCount > 0) {
      const pending = this.#pending;
      const start = this.#pendStart;
      let pos = start;
      let n = 0;
      while (n < this.#pendCount && count < maxRecords) {
        const size = frameSize(pending, pos);
        if (count > 0 && bytes + size > maxBytes) break;
        pos += size;
        bytes += size;
        count++;
        n++;
      }
      if (n > 0) {
        pieces.push(pending.slice(start, pos));
        this.#pendCount -= n;
        this.#pendStart = pos;
        if (this.#pendCount === 0) this.#pendStart = this.#pendEnd = 0;
        const last = this.#runs.at(-1);
        if (last !== undefined && last.seg === undefined) last.count += n;
        else {
          this.#runs.push({
            seg: undefined,
            block: undefined,
            first: 0,
            count: n,
          });
        }
      }
    }
    if (count === 0) return undefined;
    this.#records -= count;
    this.#loaded += count;
    return {
      frames: pieces.length === 1 ? pieces[0]! : concat(pieces, bytes),
      count,
    };
  }

  /**
   * Counts the first `count` loaded frames as delivered; deletes the
   * segments whose frames are then all loaded and released (not the one
   * being written). The cursor file follows at the next `flush()`.
   *
   * @param count How many.
   * @throws {RangeError} If `count` is not an integer from 0 to `loaded`.
   */
  release(count: number): void {
    if (!Number.isInteger(count) || count < 0 || count > this.#loaded) {
      throw new RangeError(
        `Cannot release frames of the spool as the count must be an integer from 0 to the ${this.#loaded} frames loaded: current value is ${count}`,
      );
    }
    this.#loaded -= count;
    while (count > 0) {
      const run = this.#runs[0]!;
      const k = Math.min(count, run.count);
      run.count -= k;
      run.first += k;
      count -= k;
      const seg = run.seg;
      if (seg !== undefined) {
        seg.unreleased -= k;
        const block = run.block!;
        this.#releasedAt = run.first >= block.header.count
          ? { seg, offset: blockEnd(block), skip: 0 }
          : { seg, offset: block.offset, skip: run.first };
        this.#cursorDirty = true;
      }
      if (run.count === 0) this.#runs.shift();
    }
    if (!this.#closed) this.#collect();
  }

  /**
   * At exit or close: stores `frames` (whole frames, in order) before every
   * frame not yet loaded, in place of the frames loaded and not released
   * (which the caller includes in `frames`): writes the pending block, then
   * a new first segment (through a temporary file and a rename) with
   * `frames`, followed by the frames not yet loaded of the segment being
   * read, then deletes the segments whose frames were loaded. Afterwards
   * nothing is loaded, and `load` would hand out `frames` first.
   *
   * On an I/O error nothing is deleted; the frames of `frames` that were
   * not on disk are counted through `onDrop`.
   *
   * @param frames Whole frames, concatenated.
   * @param count How many frames `frames` holds.
   * @throws {RangeError} If `frames` does not hold `count` whole frames.
   */
  saveHead(frames: Uint8Array, count: number): void {
    const found = countFrames(frames);
    if (!Number.isInteger(count) || count < 0 || found !== count) {
      throw new RangeError(
        `Cannot save the head of the spool as 'frames' must hold 'count' whole frames: current value holds ${
          found < 0 ? "frames whose lengths do not add up" : `${found} frames`
        } for a count of ${count}`,
      );
    }
    if (this.#closed) {
      if (count > 0) {
        this.#drop(count);
        this.#error(
          new Error(
            `Cannot save ${count} frames to the spool in ${this.#dir} as it is closed: dropped`,
          ),
        );
      }
      return;
    }
    this.#writeBlock();
    const consumed: Segment[] = [];
    for (const seg of this.#segments) {
      if (seg.next === 0) break; // (a segment is loaded in order, after the previous one)
      consumed.push(seg);
      if (seg.next < seg.blocks.length || this.#cur?.seg === seg) break;
    }
    if (count === 0 && consumed.length === 0) return;
    const cur = this.#cur;
    const headFrames = cur === undefined ? frames : concat(
      [frames, cur.bytes.subarray(cur.pos)],
      frames.length + cur.bytes.length - cur.pos,
    );
    const parts = this.#encodeParts(headFrames, count + (cur?.left ?? 0));
    // The blocks not yet loaded of the segment being read, copied as they are.
    const reading = consumed.at(-1);
    let copiedFrames = 0;
    let lostFrames = 0;
    if (reading !== undefined) {
      for (let i = reading.next; i < reading.blocks.length; i++) {
        const block = reading.blocks[i]!;
        copiedFrames += block.header.count;
        try {
          const bytes = readAtSync(
            this.#readerFor(reading),
            block.offset,
            BLOCK_HEADER_BYTES + block.header.stored,
          );
          parts.push({ bytes, count: block.header.count });
        } catch (e) {
          lostFrames += block.header.count;
          this.#error(
            new Error(
              `Cannot copy the block at byte ${block.offset} of spool segment ${reading.path} to the saved head: ${
                messageOf(e)
              }; dropped its ${block.header.count} frames`,
              { cause: e },
            ),
          );
        }
      }
    }
    let total = SEGMENT_HEADER_BYTES;
    for (const part of parts) total += part.bytes.length;
    let consumedBytes = 0;
    for (const seg of consumed) consumedBytes += seg.size;
    let dropped = lostFrames;
    while (
      parts.length > 0 &&
      this.#diskBytes - consumedBytes + total > this.#maxBytes
    ) {
      const part = parts.shift()!;
      total -= part.bytes.length;
      dropped += part.count;
    }
    const number = (this.#segments[0]?.number ?? this.#nextNumber) - 1;
    let head: Segment | undefined;
    if (parts.length > 0) {
      try {
        head = this.#writeHead(number, parts, total);
      } catch (e) {
        let onDisk = 0;
        for (const run of this.#runs) {
          if (run.seg !== undefined && !run.seg.gone) onDisk += run.count;
        }
        const lost = Math.max(0, count - onDisk);
        this.#error(
          new Error(
            `Cannot save the head of the spool in ${this.#dir}: ${
              messageOf(e)
            }; ${lost} frames not on disk dropped`,
            { cause: e },
          ),
        );
        this.#drop(lost);
        return;
      }
    }
    for (const seg of consumed) this.#deleteSegment(seg);
    const headCount = head === undefined
      ? 0
      : head.blocks.reduce((n, b) => n + b.header.count, 0);
    this.#records += headCount - (cur?.left ?? 0) - copiedFrames;
    if (head !== undefined) this.#segments.unshift(head);
    this.#cur = undefined;
    this.#runs = [];
    this.#loaded = 0;
    this.#releasedAt = undefined;
    this.#cursorDirty = false;
    this.#drop(dropped);
  }

  /**
   * Writes the pending block and the cursor, deletes the last segment if
   * all its frames were released, and closes the files, the lock last.
   * Frames loaded and not released stay on disk (a new spool replays them)
   * unless `saveHead` replaced them; frames loaded from the pending block
   * are the caller's. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#writeBlock();
    this.#writeCursor();
    this.#closeWriter();
    this.#collect();
    if (this.#segments.length === 0) {
      try {
        this.#cursorFile?.close();
        this.#cursorFile = undefined;
        removeFileSync(join(this.#dir, CURSOR_FILE));
      } catch (e) {
        this.#error(toError(e));
      }
    }
    this.#closed = true;
    this.#closeFiles();
  }

  /** Reads the cursor, removes left-over temporary files, scans the segments. */
  #scan(): void {
    const cursor = this.#readCursor();
    const numbers: number[] = [];
    for (const entry of Deno.readDirSync(this.#dir)) {
      if (!entry.isFile) continue;
      if (isTempSegment(entry.name)) {
        removeFileSync(join(this.#dir, entry.name));
        continue;
      }
      const n = segmentNumber(entry.name);
      if (n !== undefined) numbers.push(n);
    }
    numbers.sort((a, b) => a - b);
    for (const number of numbers) {
      const path = join(this.#dir, segmentName(number));
      const file = Deno.openSync(path, { read: true });
      let scan: SegmentScan;
      let size: number;
      try {
        size = file.statSync().size;
        scan = scanSegment(
          file,
          path,
          size,
          cursor?.segment === number ? cursor : undefined,
          (error, records, bytes) => this.#corrupt(error, records, bytes),
        );
      } finally {
        file.close();
      }
      this.#nextNumber = Math.max(this.#nextNumber, number + 1);
      if (scan.blocks.length === 0) {
        removeFileSync(path); // nothing left to load in it
        continue;
      }
      let records = -scan.skip;
      for (const block of scan.blocks) records += block.header.count;
      this.#records += records;
      this.#diskBytes += size;
      this.#segments.push({
        number,
        path,
        id: scan.id,
        size,
        blocks: scan.blocks,
        next: 0,
        skip: scan.skip,
        unreleased: 0,
        file: undefined,
        gone: false,
      });
    }
    let dropped = 0;
    while (
      this.#diskBytes + OVERHEAD > this.#maxBytes && this.#segments.length > 0
    ) {
      dropped += this.#dropSegment(this.#segments[0]!);
    }
    this.#drop(dropped);
  }

  #readCursor(): {
    segment: number;
    id: Uint8Array;
    offset: number;
    skip: number;
  } | undefined {
    const file = openIfExistsSync(join(this.#dir, CURSOR_FILE), { read: true });
    if (file === undefined) return undefined;
    try {
      return decodeCursor(readAtSync(file, 0, CURSOR_BYTES + 1));
    } finally {
      file.close();
    }
  }

  /** Decodes the next block from the segments into `#cur`; false if none is left. */
  #nextBlock(): boolean {
    for (;;) {
      const seg = this.#segments.find((s) => s.next < s.blocks.length);
      if (seg === undefined) return false;
      const block = seg.blocks[seg.next]!;
      const skip = seg.next === 0 ? seg.skip : 0;
      seg.next++;
      seg.skip = 0;
      let raw: Uint8Array | string;
      try {
        const stored = readAtSync(
          this.#readerFor(seg),
          block.offset + BLOCK_HEADER_BYTES,
          block.header.stored,
        );
        raw = decodeBlock(block.header, stored);
      } catch (e) {
        let lost = block.header.count - skip;
        for (let i = seg.next; i < seg.blocks.length; i++) {
          lost += seg.blocks[i]!.header.count;
        }
        seg.next = seg.blocks.length;
        this.#records -= lost;
        this.#error(
          new Error(
            `Cannot read spool segment ${seg.path}: ${
              messageOf(e)
            }; dropped its ${lost} frames not yet loaded`,
            { cause: e },
          ),
        );
        this.#drop(lost);
        this.#collect();
        continue;
      }
      const left = block.header.count - skip;
      if (typeof raw === "string") {
        this.#records -= left;
        this.#corrupt(
          new Error(
            `Cannot load the block at byte ${block.offset} of spool segment ${seg.path} as ${raw}: skipped its ${left} frames`,
          ),
          left,
          BLOCK_HEADER_BYTES + block.header.stored,
        );
        this.#collect();
        continue;
      }
      let pos = 0;
      for (let i = 0; i < skip; i++) pos += frameSize(raw, pos);
      this.#cur = { seg, block, bytes: raw, pos, index: skip, left };
      return true;
    }
  }

  /**
   * Drops the oldest frames not yet loaded until a frame of `size` bytes
   * fits within `maxBytes`.
   *
   * @returns How many were dropped (for the caller to report).
   */
  #makeRoom(size: number): number {
    let dropped = 0;
    while (
      this.#diskBytes + this.#pendEnd - this.#pendStart + size + OVERHEAD >
        this.#maxBytes
    ) {
      const seg = this.#segments[0];
      if (seg !== undefined) {
        dropped += this.#dropSegment(seg);
      } else if (this.#pendCount > 0) {
        this.#pendStart += frameSize(this.#pending, this.#pendStart);
        this.#pendCount--;
        this.#records--;
        dropped++;
      } else {
        break;
      }
    }
    if (this.#pendCount === 0) this.#pendStart = this.#pendEnd = 0;
    return dropped;
  }

  /** Deletes a segment, its frames not yet loaded dropped. @returns Their number. */
  #dropSegment(seg: Segment): number {
    let n = seg.next === 0 ? -seg.skip : 0;
    for (let i = seg.next; i < seg.blocks.length; i++) {
      n += seg.blocks[i]!.header.count;
    }
    if (this.#cur?.seg === seg) {
      n += this.#cur.left;
      this.#cur = undefined;
    }
    seg.next = seg.blocks.length;
    seg.skip = 0;
    this.#records -= n;
    this.#deleteSegment(seg);
    return n;
  }

  /** Deletes the segments at the head whose frames are all loaded and released. */
  #collect(): void {
    for (;;) {
      const seg = this.#segments[0];
      if (
        seg === undefined || seg === this.#writeSeg ||
        seg.next < seg.blocks.length || this.#cur?.seg === seg ||
        seg.unreleased > 0
      ) {
        return;
      }
      this.#deleteSegment(seg);
    }
  }

  /** Removes a segment file and forgets it. */
  #deleteSegment(seg: Segment): void {
    if (seg === this.#writeSeg) this.#closeWriter();
    if (this.#reader?.seg === seg) {
      try {
        this.#reader.file.close();
      } catch { /* already closed */ }
      this.#reader = undefined;
    }
    const i = this.#segments.indexOf(seg);
    if (i >= 0) this.#segments.splice(i, 1);
    seg.gone = true;
    this.#diskBytes -= seg.size;
    try {
      removeFileSync(seg.path);
    } catch (e) {
      this.#error(
        new Error(`Cannot delete spool segment ${seg.path}: ${messageOf(e)}`, {
          cause: e,
        }),
      );
    }
  }

  /** Compresses the pending block and appends it to the last segment (a new one if needed). */
  #writeBlock(): void {
    const count = this.#pendCount;
    if (count === 0) return;
    const raw = this.#pending.subarray(this.#pendStart, this.#pendEnd);
    this.#pendStart = this.#pendEnd = 0;
    this.#pendCount = 0;
    try {
      const block = encodeBlock(raw, count);
      const header = decodeBlockHeader(block) as BlockHeader;
      let seg = this.#writeSeg;
      if (
        seg !== undefined && seg.blocks.length > 0 &&
        seg.size + block.length > this.#segmentBytes
      ) {
        this.#closeWriter();
        this.#collect();
        seg = undefined;
      }
      seg ??= this.#newSegment();
      const offset = seg.size;
      try {
        writeAllSync(seg.file!, block);
        if (this.#fsync) seg.file!.syncDataSync();
      } catch (e) {
        try {
          seg.file!.truncateSync(offset);
        } catch { /* the scan at the next open will skip the torn block */ }
        this.#closeWriter();
        this.#collect();
        throw e;
      }
      seg.blocks.push({ offset, header });
      seg.size += block.length;
      this.#diskBytes += block.length;
    } catch (e) {
      this.#records -= count;
      this.#error(
        new Error(
          `Cannot write ${count} frames to the spool in ${this.#dir}: ${
            messageOf(e)
          }; dropped`,
          { cause: e },
        ),
      );
      this.#drop(count);
    }
  }

  /** Creates the next segment file with its header; it becomes the one written. */
  #newSegment(): Segment {
    const number = this.#nextNumber++;
    const path = join(this.#dir, segmentName(number));
    const id = crypto.getRandomValues(new Uint8Array(8));
    const file = Deno.openSync(path, { write: true, createNew: true });
    try {
      writeAllSync(file, encodeSegmentHeader(id));
      if (this.#fsync) {
        file.syncDataSync();
        syncDirSync(this.#dir);
      }
    } catch (e) {
      file.close();
      try {
        removeFileSync(path);
      } catch { /* reported through the write error */ }
      throw e;
    }
    const seg: Segment = {
      number,
      path,
      id,
      size: SEGMENT_HEADER_BYTES,
      blocks: [],
      next: 0,
      skip: 0,
      unreleased: 0,
      file,
      gone: false,
    };
    this.#segments.push(seg);
    this.#diskBytes += SEGMENT_HEADER_BYTES;
    this.#writeSeg = seg;
    return seg;
  }

  /** Closes the handle of the segment being written: the next block begins a new one. */
  #closeWriter(): void {
    const seg = this.#writeSeg;
    if (seg === undefined) return;
    this.#writeSeg = undefined;
    try {
      seg.file?.close();
    } catch { /* already closed */ }
    seg.file = undefined;
  }

  /** The read handle of a segment (one kept open at a time). */
  #readerFor(seg: Segment): Deno.FsFile {
    if (this.#reader?.seg === seg) return this.#reader.file;
    this.#reader?.file.close();
    this.#reader = undefined;
    const file = Deno.openSync(seg.path, { read: true });
    this.#reader = { seg, file };
    return file;
  }

  /** Splits whole frames into encoded blocks of about `blockBytes`. */
  #encodeParts(frames: Uint8Array, count: number): Part[] {
    const parts: Part[] = [];
    let start = 0;
    let pos = 0;
    let n = 0;
    for (let i = 0; i < count; i++) {
      pos += frameSize(frames, pos);
      n++;
      if (pos - start >= this.#blockBytes || i === count - 1) {
        parts.push({
          bytes: encodeBlock(frames.subarray(start, pos), n),
          count: n,
        });
        start = pos;
        n = 0;
      }
    }
    return parts;
  }

  /** Writes a saved head as segment `number`: a temporary file, renamed. */
  #writeHead(number: number, parts: Part[], total: number): Segment {
    if (number < 0) {
      throw new RangeError(
        `Cannot number the saved head as segment numbers must not be negative: current value is ${number}`,
      );
    }
    const path = join(this.#dir, segmentName(number));
    const temp = `${path}.tmp`;
    const id = crypto.getRandomValues(new Uint8Array(8));
    const blocks: BlockRef[] = [];
    const file = Deno.openSync(temp, {
      write: true,
      create: true,
      truncate: true,
    });
    try {
      writeAllSync(file, encodeSegmentHeader(id));
      let offset = SEGMENT_HEADER_BYTES;
      for (const part of parts) {
        writeAllSync(file, part.bytes);
        blocks.push({
          offset,
          header: decodeBlockHeader(part.bytes) as BlockHeader,
        });
        offset += part.bytes.length;
      }
      if (this.#fsync) file.syncDataSync();
      file.close();
      Deno.renameSync(temp, path);
      if (this.#fsync) syncDirSync(this.#dir);
    } catch (e) {
      try {
        file.close();
      } catch { /* closed above */ }
      try {
        removeFileSync(temp);
      } catch { /* removed at the next open */ }
      throw e;
    }
    this.#diskBytes += total;
    return {
      number,
      path,
      id,
      size: total,
      blocks,
      next: 0,
      skip: 0,
      unreleased: 0,
      file: undefined,
      gone: false,
    };
  }

  /** Writes the cursor file if frames were released since it was written. */
  #writeCursor(): void {
    if (!this.#cursorDirty) return;
    this.#cursorDirty = false;
    const at = this.#releasedAt;
    if (at === undefined || at.seg.gone || at.seg.id === undefined) return;
    const bytes = encodeCursor({
      segment: at.seg.number,
      id: at.seg.id,
      offset: at.offset,
      skip: at.skip,
    });
    try {
      this.#cursorFile ??= Deno.openSync(join(this.#dir, CURSOR_FILE), {
        write: true,
        create: true,
      });
      this.#cursorFile.seekSync(0, Deno.SeekMode.Start);
      writeAllSync(this.#cursorFile, bytes);
      if (this.#fsync) this.#cursorFile.syncDataSync();
    } catch (e) {
      try {
        this.#cursorFile?.close();
      } catch { /* already closed */ }
      this.#cursorFile = undefined;
      this.#error(
        new Error(
          `Cannot write the spool's cursor in ${this.#dir}: ${
            messageOf(e)
          } (delivered frames may be replayed)`,
          { cause: e },
        ),
      );
    }
  }

  /** Makes room in the pending buffer for `size` more bytes. */
  #reservePending(size: number): void {
    const need = this.#pendEnd - this.#pendStart + size;
    if (this.#pendEnd + size <= this.#pending.length) return;
    if (need <= this.#pending.length) {
      this.#pending.copyWithin(0, this.#pendStart, this.#pendEnd);
    } else {
      const bigger = new Uint8Array(
        Math.max(
          need,
          this.#pending.length * 2,
          Math.min(this.#blockBytes * 2, 1 << 17),
        ),
      );
      bigger.set(this.#pending.subarray(this.#pendStart, this.#pendEnd));
      this.#pending = bigger;
    }
    this.#pendEnd -= this.#pendStart;
    this.#pendStart = 0;
  }

  /** Closes every handle, the lock last (errors ignored). */
  #closeFiles(): void {
    this.#closeWriter();
    for (const file of [this.#reader?.file, this.#cursorFile]) {
      try {
        file?.close();
      } catch { /* already closed */ }
    }
    this.#reader = undefined;
    this.#cursorFile = undefined;
    try {
      this.#lock.unlockSync();
    } catch { /* closing releases it too */ }
    try {
      this.#lock.close();
    } catch { /* already closed */ }
  }

  #drop(count: number): void {
    if (count <= 0) return;
    try {
      this.#hooks.onDrop(count);
    } catch { /* a hook never breaks the spool */ }
  }

  #corrupt(error: Error, records: number | undefined, bytes: number): void {
    try {
      this.#hooks.onCorrupt(error, records, bytes);
    } catch { /* a hook never breaks the spool */ }
  }

  #error(error: Error): void {
    try {
      this.#hooks.onError(error);
    } catch { /* a hook never breaks the spool */ }
  }
}

/** The offset just past a block. */
function blockEnd(block: BlockRef): number {
  return block.offset + BLOCK_HEADER_BYTES + block.header.stored;
}

/** Concatenates byte arrays of `total` bytes in all. */
function concat(pieces: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

function positive(method: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot ${method} frames from the spool as '${name}' must be a positive integer: current value is ${value}`,
    );
  }
}
