// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode FrameQueue}: the bounded FIFO of encoded frames between the
 * logging call and the writer, as one reusable byte ring.
 *
 * - A frame is written in place: {@linkcode FrameQueue.prototype.room}
 *   lends contiguous free bytes at the ring's tail (the framer writes the
 *   frame there) and {@linkcode FrameQueue.prototype.commit} queues it; a
 *   frame made elsewhere is copied to the tail by
 *   {@linkcode FrameQueue.prototype.push} (it may wrap around the end). Its
 *   length and sequence number go to typed-array rings: no allocation per
 *   frame once the ring has grown. The ring starts at 64 KiB (or the byte
 *   bound, if smaller), doubles when a frame does not fit, up to the byte
 *   bound, and goes back to its initial size only when everything is
 *   dropped (close). (A plain ArrayBuffer: V8 writes bytes into one faster
 *   than into a resizable one.)
 * - The record bound (`maxRecords`) and the byte bound (`maxBytes`) count
 *   every pending frame, including those being written. A frame larger than
 *   `maxBytes` is refused (`"oversize"`); when a bound is reached,
 *   `"drop-newest"` refuses the incoming frame and `"drop-oldest"` drops the
 *   oldest queued frames, never one being written (`"overflow"`).
 * - {@linkcode FrameQueue.prototype.takeBatch} hands the writer the head
 *   frames, whole, up to a byte limit (at least one frame), as one
 *   contiguous view of the ring: no copy. When those bytes wrap around the
 *   ring's end, or the queue is more than three quarters full (so that
 *   drop-oldest may soon need their room), they are copied to one scratch
 *   buffer instead and leave the ring at once.
 * - {@linkcode FrameQueue.prototype.settle} ends the write: the frames whose
 *   bytes were all written leave the queue; the others go back to the head,
 *   whole (or are dropped, for a transport that refused them).
 *
 * A pushed frame is copied, so the caller may reuse its buffer at once.
 *
 * The engine uses the queue only through {@linkcode FrameStore}: the seam
 * where a disk spool can attach later.
 *
 * @example Usage
 * ```ts
 * import { FrameQueue } from "./frame_queue.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const drops: string[] = [];
 * const queue = new FrameQueue({
 *   maxRecords: 2,
 *   maxBytes: 1024,
 *   overflow: "drop-oldest",
 *   onDrop: (reason, n) => drops.push(`${reason} ${n}`),
 * });
 * queue.push(new Uint8Array([1, 1]));
 * queue.push(new Uint8Array([2, 2]));
 * queue.push(new Uint8Array([3, 3])); // drops the oldest
 * deepEqual(drops, ["overflow 1"]);
 * const batch = queue.takeBatch(1024)!;
 * deepEqual([...batch], [2, 2, 3, 3]);
 * equal(queue.settle(3), 1); // 3 bytes written: one whole frame sent
 * equal(queue.records, 1); // the other is back at the head, whole
 * deepEqual([...queue.takeBatch(1024)!], [3, 3]);
 * ```
 *
 * @module
 */
import type { DropReason } from "./drops.ts";

/** What to do when the queue is full: drop the oldest queued frame (never one being written) or the incoming one. */
export type OverflowPolicy = "drop-oldest" | "drop-newest";

/**
 * The engine's view of its queue of frames: pending frames in order, each
 * with a sequence number, handed out in batches and settled after the
 * write.
 *
 * This is the seam for a disk spool: an implementation that keeps a
 * {@linkcode FrameQueue} in front of an append-only file (spilling frames
 * to the file where the memory queue would drop them, and reading them
 * back once the memory queue is empty) can replace the memory queue without
 * any change to the engine.
 */
export interface FrameStore {
  /** Pending frames, including those being written. */
  readonly records: number;
  /** Bytes of the pending frames. */
  readonly bytes: number;
  /** Frames handed out by `takeBatch` and not settled yet. */
  readonly inFlight: number;
  /** Sequence number of the oldest pending frame (`nextSeq` when empty). */
  readonly firstSeq: number;
  /** Sequence number the next queued frame gets. */
  readonly nextSeq: number;
  /** Bytes of the frames the last `settle` counted as sent. */
  readonly settledBytes: number;
  /**
   * Appends a copy of a frame, applying the bounds and the overflow policy.
   *
   * @param frame The frame.
   * @returns Whether it was queued.
   */
  push(frame: Uint8Array): boolean;
  /**
   * Lends writable room for a frame of at most `n` bytes, to be written in
   * place and then kept with {@linkcode FrameStore.commit}: `n` contiguous
   * bytes of `buf` from `pos`.
   *
   * @param n The most bytes the frame will take.
   * @returns The room (the same object every call).
   */
  room(n: number): FrameRoom;
  /**
   * Keeps the frame written into the last `room()`, which ends at `end`,
   * applying the bounds and the overflow policy as `push` does.
   *
   * @param end Where the frame ends in the room's `buf`.
   * @returns Whether it was queued.
   */
  commit(end: number): boolean;
  /**
   * Hands out the head frames, whole, up to `limit` bytes (at least one
   * frame), as one contiguous view. They stay pending until `settle`.
   *
   * @param limit Byte limit of the batch.
   * @returns The bytes, or undefined if nothing is queued or a batch is out.
   */
  takeBatch(limit: number): Uint8Array | undefined;
  /**
   * Ends the write of the batch: frames whose bytes are all within the
   * first `written` bytes are sent; the others go back to the head, whole,
   * or are dropped with `dropReason`.
   *
   * @param written Bytes of the batch known to be written.
   * @param dropReason Drop the frames not written instead of re-queueing them.
   * @returns The number of frames sent.
   */
  settle(written: number, dropReason?: DropReason, keep?: Keeper): number;
  /**
   * Puts frames back at the head of the queue, in order, with their
   * sequence numbers (frames written and not acknowledged, for the next
   * connection). Nothing may be in flight.
   *
   * @param bytes The frames' bytes (copied).
   * @param lengths Their lengths (the first `count`).
   * @param seqs Their sequence numbers (the first `count`).
   * @param count How many.
   */
  requeue(
    bytes: Uint8Array,
    lengths: Uint32Array,
    seqs: Float64Array,
    count: number,
  ): void;
  /**
   * Frames held elsewhere (written, awaiting acknowledgement) that count
   * against the bounds; drop-oldest never drops them.
   *
   * @param records How many.
   * @param bytes Their bytes.
   */
  reserve(records: number, bytes: number): void;
  /**
   * Frames before `firstSeq` have left for good (sent, acknowledged, or
   * dropped): a store backed by disk may forget them.
   *
   * @param firstSeq Sequence number of the oldest frame still pending anywhere.
   */
  done(firstSeq: number): void;
  /**
   * Saves every pending frame, after `front` (frames written and not
   * acknowledged, older than the queued ones), to durable storage, at
   * close or exit. Nothing may be in flight. The frames saved leave the
   * queue without being counted as dropped.
   *
   * @param front Older frames to save first.
   * @returns How many frames were saved (0 without durable storage).
   */
  persist(front: TakenFrames | undefined): number;
  /** Frames held in durable storage (not yet back in memory). */
  readonly spooled: number;
  /**
   * Drops every pending frame, including those being written.
   *
   * @param reason The drop reason.
   * @returns The number of frames dropped.
   */
  dropAll(reason: DropReason): number;
  /**
   * Drops the oldest queued frame; nothing may be in flight.
   *
   * @param reason The drop reason.
   * @returns Whether a frame was dropped.
   */
  dropFirst(reason: DropReason): boolean;
}

/** Whole frames, in order: their bytes, lengths and sequence numbers. */
export interface TakenFrames {
  /** The frames' bytes, in order. */
  bytes: Uint8Array;
  /** Their lengths (the first `count`). */
  lengths: Uint32Array;
  /** Their sequence numbers (the first `count`). */
  seqs: Float64Array;
  /** How many. */
  count: number;
}

/**
 * Receives the frames a `settle` counted as written, before they leave the
 * queue: their bytes (in order), lengths and sequence numbers (the first
 * `count` entries). Valid only during the call.
 */
export type Keeper = (
  bytes: Uint8Array,
  lengths: Uint32Array,
  seqs: Float64Array,
  count: number,
) => void;

/**
 * Room lent by {@linkcode FrameStore.prototype.room}: bytes of `buf` from
 * `pos` on, where a frame is written in place.
 */
export interface FrameRoom {
  /** The buffer to write into. */
  buf: Uint8Array<ArrayBuffer>;
  /** A DataView of `buf`. */
  view: DataView<ArrayBuffer>;
  /** Where the frame starts in `buf`. */
  pos: number;
}

/** Options of {@linkcode FrameQueue}. */
export interface FrameQueueOptions {
  /** Maximum number of pending frames. */
  maxRecords: number;
  /** Maximum number of pending bytes. */
  maxBytes: number;
  /** Largest frame admitted (default `maxBytes`). */
  maxFrameBytes?: number;
  /** What to drop when a bound is reached. */
  overflow: OverflowPolicy;
  /** Called with every drop the queue makes (and those of `dropAll`). */
  onDrop: (reason: DropReason, count: number) => void;
}

/** Initial size of the byte ring (or the byte bound, if smaller). */
const INITIAL_BYTES = 64 * 1024;

/** Initial number of frame slots (a power of two). */
const INITIAL_SLOTS = 64;

/** A bounded FIFO of frames in one byte ring. */
export class FrameQueue implements FrameStore {
  #maxRecords: number;
  #maxBytes: number;
  #maxFrame: number;
  #dropOldest: boolean;
  #onDrop: (reason: DropReason, count: number) => void;

  // The byte ring: #held bytes from #start, wrapping at the end. They are
  // the batch's bytes when #batchInRing, then those of the queued frames.
  #ring: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  #start = 0;
  #held = 0;

  // The queued frames (not in the batch): lengths and sequence numbers in
  // rings of slots (a power of two).
  #lengths = new Uint32Array(INITIAL_SLOTS);
  #seqs = new Float64Array(INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  #first = 0;
  #queued = 0;
  #queuedBytes = 0;
  #nextSeq = 0;

  // The batch being written.
  #batchLengths = new Uint32Array(INITIAL_SLOTS);
  #batchSeqs = new Float64Array(INITIAL_SLOTS);
  #batchCount = 0;
  #batchBytes = 0;
  #batch: Uint8Array | undefined;
  #batchInRing = false;
  #scratch: Uint8Array | undefined;
  #settledBytes = 0;

  /**
   * The bounds as given (#maxRecords and #maxBytes are these less the
   * frames held elsewhere: see reserve()).
   */
  #bounds: [number, number];

  // The room lent by room(): in the ring, or in #spare when the ring has no
  // contiguous room for it.
  #ringView = new DataView(this.#ring.buffer);
  #room: FrameRoom = { buf: this.#ring, view: this.#ringView, pos: 0 };
  #spare: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  #spareView = new DataView(this.#spare.buffer);

  /**
   * Creates an empty queue; the ring is allocated by the first push.
   *
   * @param options Bounds, overflow policy and the drop callback.
   */
  constructor(options: FrameQueueOptions) {
    this.#maxRecords = options.maxRecords;
    this.#maxBytes = options.maxBytes;
    this.#bounds = [options.maxRecords, options.maxBytes];
    this.#maxFrame = Math.min(
      options.maxFrameBytes ?? options.maxBytes,
      options.maxBytes,
    );
    this.#dropOldest = options.overflow === "drop-oldest";
    this.#onDrop = options.onDrop;
  }

  /** Pending frames, including those being written. */
  get records(): number {
    return this.#queued + this.#batchCount;
  }

  /** Bytes of the pending frames. */
  get bytes(): number {
    return this.#queuedBytes + this.#batchBytes;
  }

  /** Frames handed out by `takeBatch` and not settled yet. */
  get inFlight(): number {
    return this.#batchCount;
  }

  /** Sequence number of the oldest pending frame (`nextSeq` when empty). */
  get firstSeq(): number {
    if (this.#batchCount > 0) return this.#batchSeqs[0]!;
    if (this.#queued > 0) return this.#seqs[this.#first]!;
    return this.#nextSeq;
  }

  /** Sequence number the next queued frame gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Bytes of the frames the last `settle` counted as sent. */
  get settledBytes(): number {
    return this.#settledBytes;
  }

  /** Size of the byte ring (for tests). */
  get capacity(): number {
    return this.#ring.length;
  }

  /**
   * Appends a copy of a frame. A frame larger than `maxBytes` is dropped
   * (`"oversize"`); when a bound is reached the overflow policy drops the
   * incoming frame or the oldest queued ones (`"overflow"`).
   *
   * @param frame The frame.
   * @returns Whether it was queued.
   */
  push(frame: Uint8Array): boolean {
    const size = frame.byteLength;
    if (!this.#admit(size)) return false;
    this.#place(frame);
    this.#append(size);
    return true;
  }

  /**
   * Applies the bounds and the overflow policy to an incoming frame of
   * `size` bytes: false (counted) if it is refused; else true, after
   * dropping the oldest frames it needs room for.
   */
  #admit(size: number): boolean {
    if (size > this.#maxFrame) {
      this.#onDrop("oversize", 1);
      return false;
    }
    if (
      this.#queued + this.#batchCount >= this.#maxRecords ||
      this.#queuedBytes + this.#batchBytes + size > this.#maxBytes
    ) {
      if (
        !this.#dropOldest || this.#batchCount >= this.#maxRecords ||
        this.#batchBytes + size > this.#maxBytes
      ) {
        this.#onDrop("overflow", 1);
        return false;
      }
      this.#dropOldestFor(size);
    }
    return true;
  }

  /** Copies a frame to the ring's tail (growing it if it must), wrapping. */
  #place(frame: Uint8Array): void {
    const size = frame.byteLength;
    if (this.#ring.length - this.#held < size) this.#grow(this.#held + size);
    const ring = this.#ring;
    let tail = this.#start + this.#held;
    if (tail >= ring.length) tail -= ring.length;
    const room = ring.length - tail;
    if (size <= room) {
      ring.set(frame, tail);
    } else {
      ring.set(frame.subarray(0, room), tail);
      ring.set(frame.subarray(room), 0);
    }
  }

  /**
   * Lends room for a frame of at most `n` bytes, written in place: at the
   * ring's tail when it has `n` contiguous free bytes there (growing the
   * ring, within the byte bound, if it must), else in a spare buffer that
   * {@linkcode FrameQueue.prototype.commit} copies from.
   *
   * @param n The most bytes the frame will take.
   * @returns The room (the same object every call; valid until the next
   * `push`, `room` or `commit`).
   */
  room(n: number): FrameRoom {
    const room = this.#room;
    if (
      this.#ring.length - this.#held < n && this.#held + n <= this.#maxBytes
    ) {
      this.#grow(this.#held + n);
    }
    const ring = this.#ring;
    let tail = this.#start + this.#held;
    let free: number;
    if (tail < ring.length) {
      free = ring.length - tail;
    } else {
      tail -= ring.length;
      free = this.#start - tail;
    }
    if (free >= n) {
      if (room.buf !== ring) {
        room.buf = ring;
        room.view = this.#ringView;
      }
      room.pos = tail;
      return room;
    }
    if (this.#spare.length < n) {
      this.#spare = new Uint8Array(Math.max(n, 2 * this.#spare.length));
      this.#spareView = new DataView(this.#spare.buffer);
    }
    room.buf = this.#spare;
    room.view = this.#spareView;
    room.pos = 0;
    return room;
  }

  /**
   * Keeps the frame written into the last
   * {@linkcode FrameQueue.prototype.room}, which ends at `end`: the same
   * bounds and overflow policy as {@linkcode FrameQueue.prototype.push}.
   *
   * @param end Where the frame ends in the room's `buf`.
   * @returns Whether it was queued.
   */
  commit(end: number): boolean {
    const room = this.#room;
    const ring = this.#ring;
    const pos = room.pos;
    const size = end - pos;
    if (room.buf !== ring) return this.push(room.buf.subarray(pos, end));
    if (!this.#admit(size)) return false;
    if (this.#ring !== ring) {
      // drop-oldest moved the queue to a new ring (the batch being written
      // keeps the old one): the frame follows it.
      this.#place(ring.subarray(pos, end));
    } else if (this.#held === 0 && pos !== 0) {
      // drop-oldest emptied the ring, whose tail is then its start.
      ring.copyWithin(0, pos, end);
    }
    this.#append(size);
    return true;
  }

  /**
   * Hands out the head frames, whole, up to `limit` bytes (at least one
   * frame), as one contiguous view: of the ring itself, or of a scratch
   * copy when the bytes wrap around the ring's end or the queue is more
   * than three quarters full. They stay pending until
   * {@linkcode FrameQueue.prototype.settle}.
   *
   * @param limit Byte limit of the batch.
   * @returns The bytes, or undefined if nothing is queued or a batch is out.
   */
  takeBatch(limit: number): Uint8Array | undefined {
    if (this.#queued === 0 || this.#batchCount > 0) return undefined;
    let count = 0;
    let total = 0;
    let i = this.#first;
    while (count < this.#queued) {
      const length = this.#lengths[i]!;
      if (count > 0 && total + length > limit) break;
      if (count === this.#batchLengths.length) this.#growBatchSlots();
      this.#batchLengths[count] = length;
      this.#batchSeqs[count] = this.#seqs[i]!;
      total += length;
      count++;
      i = (i + 1) & this.#mask;
    }
    this.#first = i;
    this.#queued -= count;
    this.#queuedBytes -= total;
    this.#batchCount = count;
    this.#batchBytes = total;
    const ring = this.#ring;
    const pending = this.#queued + count;
    const crowded = pending * 4 > this.#maxRecords * 3 ||
      (this.#queuedBytes + total) * 4 > this.#maxBytes * 3;
    if (!crowded && this.#start + total <= ring.length) {
      this.#batch = ring.subarray(this.#start, this.#start + total);
      this.#batchInRing = true;
      return this.#batch;
    }
    let copy = this.#scratch;
    if (total > limit) {
      copy = new Uint8Array(total); // a single frame larger than the limit
    } else if (copy === undefined || copy.length < total) {
      copy = this.#scratch = new Uint8Array(limit);
    }
    const batch = copy.subarray(0, total);
    this.#copyOut(batch);
    this.#release(total);
    this.#batch = batch;
    this.#batchInRing = false;
    return batch;
  }

  /**
   * Ends the write of the batch: frames whose bytes are all within the
   * first `written` bytes leave the queue as sent; the others go back to
   * the head, whole (or are dropped with `dropReason`).
   *
   * @param written Bytes of the batch known to be written.
   * @param dropReason Drop the frames not written instead of re-queueing them.
   * @param keep Receives the frames written, before they leave.
   * @returns The number of frames sent (their bytes: `settledBytes`).
   */
  settle(written: number, dropReason?: DropReason, keep?: Keeper): number {
    const count = this.#batchCount;
    const batch = this.#batch;
    let sent = 0;
    let sentBytes = 0;
    while (
      sent < count && sentBytes + this.#batchLengths[sent]! <= written
    ) {
      sentBytes += this.#batchLengths[sent]!;
      sent++;
    }
    if (keep !== undefined && sent > 0) {
      keep(batch!, this.#batchLengths, this.#batchSeqs, sent);
    }
    const inRing = this.#batchInRing;
    const rest = this.#batchBytes - sentBytes;
    this.#batchCount = 0;
    this.#batchBytes = 0;
    this.#batch = undefined;
    this.#batchInRing = false;
    this.#settledBytes = sentBytes;
    if (inRing) this.#release(sentBytes);
    if (sent < count) {
      if (dropReason !== undefined) {
        if (inRing) this.#release(rest);
        this.#onDrop(dropReason, count - sent);
      } else {
        if (!inRing) this.#prepend(batch!.subarray(sentBytes));
        this.#unshift(this.#batchLengths, this.#batchSeqs, sent, count, rest);
      }
    }
    return sent;
  }

  /** Puts slots `from` to `to` (exclusive) of these arrays back at the head. */
  #unshift(
    lengths: Uint32Array,
    seqs: Float64Array,
    from: number,
    to: number,
    bytes: number,
  ): void {
    for (let k = to - 1; k >= from; k--) {
      if (this.#queued > this.#mask) this.#growSlots();
      this.#first = (this.#first - 1) & this.#mask;
      this.#lengths[this.#first] = lengths[k]!;
      this.#seqs[this.#first] = seqs[k]!;
      this.#queued++;
    }
    this.#queuedBytes += bytes;
  }

  /**
   * Puts frames back at the head, in order, with their sequence numbers
   * (frames written and not acknowledged). Nothing may be in flight.
   *
   * @param bytes The frames' bytes (copied).
   * @param lengths Their lengths (the first `count`).
   * @param seqs Their sequence numbers (the first `count`).
   * @param count How many.
   */
  requeue(
    bytes: Uint8Array,
    lengths: Uint32Array,
    seqs: Float64Array,
    count: number,
  ): void {
    if (count === 0) return;
    let total = 0;
    for (let k = 0; k < count; k++) total += lengths[k]!;
    if (this.#batchInRing) {
      // Cannot happen (nothing is in flight), but never corrupt the ring.
      throw new Error("Cannot requeue frames while a batch is in flight");
    }
    this.#prepend(bytes.subarray(0, total));
    this.#unshift(lengths, seqs, 0, count, total);
  }

  /**
   * Frames held elsewhere (written, awaiting acknowledgement) that count
   * against the bounds; drop-oldest never drops them.
   *
   * @param records How many.
   * @param bytes Their bytes.
   */
  reserve(records: number, bytes: number): void {
    // The bounds shrink by what is held elsewhere.
    this.#maxRecords = Math.max(0, this.#bounds[0] - records);
    this.#maxBytes = Math.max(0, this.#bounds[1] - bytes);
  }

  /** A memory queue forgets frames as they leave: nothing to do. */
  done(_firstSeq: number): void {}

  /**
   * A memory queue has no durable storage.
   *
   * @returns 0.
   */
  persist(_front: TakenFrames | undefined): number {
    return 0;
  }

  /** A memory queue holds nothing on disk. */
  get spooled(): number {
    return 0;
  }

  /**
   * Whether a frame of `size` bytes fits within the bounds without
   * dropping anything.
   *
   * @param size The frame's size.
   * @returns True if it fits.
   */
  fits(size: number): boolean {
    return size <= this.#maxFrame &&
      this.#queued + this.#batchCount < this.#maxRecords &&
      this.#queuedBytes + this.#batchBytes + size <= this.#maxBytes;
  }

  /**
   * The room left within the bounds.
   *
   * @returns Frames and bytes that would still fit.
   */
  free(): { records: number; bytes: number } {
    return {
      records: this.#maxRecords - this.#queued - this.#batchCount,
      bytes: this.#maxBytes - this.#queuedBytes - this.#batchBytes,
    };
  }

  /**
   * Skips sequence numbers (frames numbered elsewhere that will never be
   * queued here).
   *
   * @param n How many.
   */
  skipSeq(n: number): void {
    this.#nextSeq += n;
  }

  /**
   * Takes every queued frame out, in order, without counting a drop.
   * Nothing may be in flight.
   *
   * @returns A copy of their bytes and their count.
   */
  takeAll(): { bytes: Uint8Array; count: number } {
    if (this.#batchCount > 0) {
      throw new Error(
        "Cannot take the queued frames while a batch is in flight",
      );
    }
    const bytes = new Uint8Array(this.#queuedBytes);
    this.#copyOut(bytes);
    const count = this.#queued;
    this.#start = this.#held = 0;
    this.#first = this.#queued = this.#queuedBytes = 0;
    return { bytes, count };
  }

  /**
   * Drops every pending frame, including those being written (whose write
   * may go on: its bytes are left alone), and shrinks the ring back to its
   * initial size.
   *
   * @param reason The drop reason.
   * @returns The number of frames dropped.
   */
  dropAll(reason: DropReason): number {
    const n = this.#queued + this.#batchCount;
    if (this.#batchInRing || this.#ring.length > INITIAL_BYTES) {
      this.#setRing(new Uint8Array(0));
    }
    this.#start = 0;
    this.#held = 0;
    this.#first = 0;
    this.#queued = 0;
    this.#queuedBytes = 0;
    this.#batchCount = 0;
    this.#batchBytes = 0;
    this.#batch = undefined;
    this.#batchInRing = false;
    if (n > 0) this.#onDrop(reason, n);
    return n;
  }

  /**
   * Drops the oldest queued frames until a frame of `size` bytes fits. The
   * bounds guarantee that dropping every queued frame is enough. If the
   * batch's bytes are in the ring, the queued frames first move to a new
   * ring: the write still reads the old one.
   */
  /**
   * Drops the oldest queued frame; nothing may be in flight (a batch taken
   * and not settled).
   *
   * @param reason The drop reason.
   * @returns Whether a frame was dropped.
   */
  dropFirst(reason: DropReason): boolean {
    if (this.#batchCount > 0 || this.#queued === 0) return false;
    const length = this.#lengths[this.#first]!;
    this.#first = (this.#first + 1) & this.#mask;
    this.#queued--;
    this.#queuedBytes -= length;
    this.#release(length);
    this.#onDrop(reason, 1);
    return true;
  }

  #dropOldestFor(size: number): void {
    if (this.#batchInRing) {
      const old = this.#ring;
      const queuedBytes = this.#held - this.#batchBytes;
      this.#release(this.#batchBytes);
      this.#setRing(new Uint8Array(old.length));
      this.#copyFrom(old, this.#start, queuedBytes, 0);
      this.#start = 0;
      this.#batchInRing = false;
    }
    let n = 0;
    while (
      this.#queued + this.#batchCount >= this.#maxRecords ||
      this.#queuedBytes + this.#batchBytes + size > this.#maxBytes
    ) {
      const length = this.#lengths[this.#first]!;
      this.#first = (this.#first + 1) & this.#mask;
      this.#queued--;
      this.#queuedBytes -= length;
      this.#release(length);
      n++;
    }
    this.#onDrop("overflow", n);
  }

  /** Counts a frame of `size` bytes just written at the ring's tail. */
  #append(size: number): void {
    this.#held += size;
    if (this.#queued > this.#mask) this.#growSlots();
    const i = (this.#first + this.#queued) & this.#mask;
    this.#lengths[i] = size;
    this.#seqs[i] = this.#nextSeq++;
    this.#queued++;
    this.#queuedBytes += size;
  }

  /** Replaces the ring (and its DataView). */
  #setRing(ring: Uint8Array<ArrayBuffer>): void {
    this.#ring = ring;
    this.#ringView = new DataView(ring.buffer);
  }

  /** Frees `n` bytes at the ring's start. */
  #release(n: number): void {
    this.#held -= n;
    if (this.#held === 0) {
      this.#start = 0;
      return;
    }
    this.#start += n;
    if (this.#start >= this.#ring.length) this.#start -= this.#ring.length;
  }

  /** Copies the first `out.length` held bytes to `out`. */
  #copyOut(out: Uint8Array): void {
    const ring = this.#ring;
    const end = this.#start + out.length;
    if (end <= ring.length) {
      out.set(ring.subarray(this.#start, end));
    } else {
      const first = ring.length - this.#start;
      out.set(ring.subarray(this.#start), 0);
      out.set(ring.subarray(0, out.length - first), first);
    }
  }

  /** Copies `n` bytes of ring `from`, starting at `start` (wrapping), to this ring at `at`. */
  #copyFrom(from: Uint8Array, start: number, n: number, at: number): void {
    const end = start + n;
    if (end <= from.length) {
      this.#ring.set(from.subarray(start, end), at);
    } else {
      this.#ring.set(from.subarray(start), at);
      this.#ring.set(
        from.subarray(0, end - from.length),
        at + from.length - start,
      );
    }
  }

  /** Puts bytes back before the ring's start. */
  #prepend(bytes: Uint8Array): void {
    const size = bytes.length;
    if (this.#ring.length - this.#held < size) this.#grow(this.#held + size);
    const ring = this.#ring;
    let at = this.#start - size;
    if (at < 0) at += ring.length;
    const room = ring.length - at;
    if (size <= room) {
      ring.set(bytes, at);
    } else {
      ring.set(bytes.subarray(0, room), at);
      ring.set(bytes.subarray(room), 0);
    }
    this.#start = at;
    this.#held += size;
  }

  /**
   * Grows the ring (doubling, up to the byte bound) to hold `need` bytes:
   * the held bytes move to the start of a new ring. A batch being written
   * from the old ring keeps reading it.
   */
  #grow(need: number): void {
    const old = this.#ring;
    const oldSize = old.length;
    let size = oldSize === 0
      ? Math.min(INITIAL_BYTES, this.#bounds[1])
      : oldSize * 2;
    while (size < need) size *= 2;
    size = Math.max(need, Math.min(size, this.#bounds[1]));
    this.#setRing(new Uint8Array(size));
    if (this.#held > 0) this.#copyFrom(old, this.#start, this.#held, 0);
    this.#start = 0;
  }

  /** Doubles the frame slots, oldest first. */
  #growSlots(): void {
    const size = (this.#mask + 1) * 2;
    const lengths = new Uint32Array(size);
    const seqs = new Float64Array(size);
    for (let k = 0; k < this.#queued; k++) {
      const i = (this.#first + k) & this.#mask;
      lengths[k] = this.#lengths[i]!;
      seqs[k] = this.#seqs[i]!;
    }
    this.#lengths = lengths;
    this.#seqs = seqs;
    this.#mask = size - 1;
    this.#first = 0;
  }

  /** Doubles the batch's slots. */
  #growBatchSlots(): void {
    const lengths = new Uint32Array(this.#batchLengths.length * 2);
    const seqs = new Float64Array(this.#batchSeqs.length * 2);
    lengths.set(this.#batchLengths);
    seqs.set(this.#batchSeqs);
    this.#batchLengths = lengths;
    this.#batchSeqs = seqs;
  }
}
