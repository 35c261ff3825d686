// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode SpooledQueue}: the engine's queue with a disk spool behind it
 * (option `spool`). Private to the package.
 *
 * - Frames go to the memory queue ({@linkcode FrameQueue}) while it has
 *   room and the spool holds nothing; a frame that would overflow it goes
 *   to the spool ({@linkcode DiskSpool}) instead of being dropped, and so
 *   does every later frame while the spool holds any: the memory queue
 *   then holds only frames older than the spool's, and order is kept.
 * - When the memory queue is down to half its bounds, frames are loaded
 *   back from the spool (a quarter of the bounds at a time) and sent
 *   from memory; the spool forgets them once they have left for good
 *   (`done`, after they were sent or acknowledged).
 * - At close or exit, `persist` saves every frame still in memory (and
 *   those written and not acknowledged) before the spool's own, so that
 *   the next process that opens the same directory sends them all, in
 *   order. Frames found in the spool at open count as queued (the engine
 *   counts them as emitted).
 * - Sequence numbers run over both: a frame's number is its place in the
 *   queue order; a spooled frame takes its number when it is loaded back,
 *   which is the same (see `skipSeq` for the spool's own drops).
 * - The spool's drops (its oldest frames beyond `maxBytes`, a frame too
 *   large for it, frames it could not read back) are counted as
 *   `"overflow"`; a corrupt part found when loading as `"corrupt"`.
 *   Writes go to disk in blocks: at most {@linkcode SPOOL_FLUSH_MS} ms
 *   after a frame was spooled, and at close or exit.
 *
 * @module
 */
import type { DropReason } from "./drops.ts";
import {
  FrameQueue,
  type FrameQueueOptions,
  type FrameRoom,
  type FrameStore,
  type Keeper,
  type TakenFrames,
} from "./frame_queue.ts";
import { DiskSpool, type SpoolHooks, type SpoolOptions } from "./spool.ts";
import { setKeepAlive } from "./clock.ts";

/** Milliseconds within which a spooled frame is written to disk. */
export const SPOOL_FLUSH_MS = 200;

/** What the spooled queue reports to the engine. */
export interface SpooledQueueHooks {
  /**
   * A problem of the spool (I/O, corruption), for `onError`.
   *
   * @param error What happened.
   */
  report(error: Error): void;
}

/** The memory queue in front of a disk spool. */
export class SpooledQueue implements FrameStore {
  #mem: FrameQueue;
  #spool: DiskSpool;
  #onDrop: (reason: DropReason, count: number) => void;
  #hooks: SpooledQueueHooks;
  #maxRecords: number;
  #maxBytes: number;
  /** The largest frame admitted. */
  #maxFrame: number;
  /** Runs [start, end) of sequence numbers of frames loaded from the spool and not released. */
  #loaded: number[] = [];
  /** Drops the spool reported during a call: overflow, corrupt. */
  #deferred: [number, number] = [0, 0];
  #deferScheduled = false;
  /** Drops the spool made during the current append. */
  #appendDrops = 0;
  #appending = false;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #spoolOptions: SpoolOptions;
  #spoolHooks: SpoolHooks;
  /** The room lent by the last room(). */
  #room: FrameRoom | undefined;
  /** Frames found in the spool at open. */
  readonly inherited: number;
  /**
   * Frames of the spool's corrupt parts found at open, where their count
   * was readable (the engine counts them as emitted and dropped).
   */
  readonly corruptAtOpen: number;
  /** Whether the spool was closed (after persist at close or exit). */
  #closed = false;

  /**
   * Opens the spool and creates the memory queue.
   *
   * @param options The memory queue's options.
   * @param spool The spool's options.
   * @param hooks Reports.
   * @throws {SpoolError} If the spool's directory cannot be used (the engine
   * then reports it and keeps a memory queue).
   */
  constructor(
    options: FrameQueueOptions,
    spool: SpoolOptions,
    hooks: SpooledQueueHooks,
  ) {
    this.#mem = new FrameQueue(options);
    this.#onDrop = options.onDrop;
    this.#hooks = hooks;
    this.#maxRecords = options.maxRecords;
    this.#maxBytes = options.maxBytes;
    this.#maxFrame = Math.min(
      options.maxFrameBytes ?? options.maxBytes,
      options.maxBytes,
    );
    let opening = true;
    let corrupt = 0;
    this.#spoolOptions = spool;
    this.#spool = DiskSpool.open(
      spool,
      this.#spoolHooks = {
        onDrop: (count) => {
          if (this.#appending) {
            this.#appendDrops += count;
            return;
          }
          if (opening) return; // not counted as queued: never emitted
          // The oldest frames not yet loaded, or frames that could not be
          // read back: the next frames to load. (Counted once the spool's
          // call has returned: the engine's accounting may call it.)
          this.#mem.skipSeq(count);
          this.#deferred[0] += count;
          this.#afterSpoolCall();
        },
        onCorrupt: (error, records) => {
          hooks.report(error);
          if (records === undefined || records <= 0) return;
          if (opening) {
            corrupt += records;
            return;
          }
          this.#mem.skipSeq(records);
          this.#deferred[1] += records;
          this.#afterSpoolCall();
        },
        onError: (error) => hooks.report(error),
      },
    );
    opening = false;
    this.inherited = this.#spool.records;
    this.corruptAtOpen = corrupt;
  }

  /** Pending frames: in memory (including those being written) and spooled. */
  get records(): number {
    return this.#mem.records + this.#spool.records;
  }

  /** Bytes of the pending frames (spooled ones at their size on disk). */
  get bytes(): number {
    return this.#mem.bytes + this.#spool.bytes;
  }

  /** Frames handed out by `takeBatch` and not settled yet. */
  get inFlight(): number {
    return this.#mem.inFlight;
  }

  /** Sequence number of the oldest pending frame. */
  get firstSeq(): number {
    return this.#mem.firstSeq;
  }

  /** Sequence number the next queued frame gets. */
  get nextSeq(): number {
    return this.#mem.nextSeq + this.#spool.records;
  }

  /** Bytes of the frames the last `settle` counted as sent. */
  get settledBytes(): number {
    return this.#mem.settledBytes;
  }

  /** Frames in the spool, not yet loaded back. */
  get spooled(): number {
    return this.#spool.records;
  }

  /**
   * Queues a copy of a frame: in memory while it fits and nothing is
   * spooled, else in the spool.
   *
   * @param frame The frame.
   * @returns Whether it was queued.
   */
  push(frame: Uint8Array): boolean {
    if (this.#toSpool(frame.length)) return this.#append(frame);
    return this.#mem.push(frame);
  }

  /**
   * Lends room in the memory queue's ring.
   *
   * @param n The most bytes the frame will take.
   * @returns The room.
   */
  room(n: number): FrameRoom {
    return this.#room = this.#mem.room(n);
  }

  /**
   * Keeps the frame written into the last room: in memory, or in the
   * spool.
   *
   * @param end Where the frame ends in the room's `buf`.
   * @returns Whether it was queued.
   */
  commit(end: number): boolean {
    const room = this.#room!;
    const size = end - room.pos;
    if (this.#toSpool(size)) {
      return this.#append(room.buf.subarray(room.pos, end));
    }
    return this.#mem.commit(end);
  }

  /**
   * Whether a frame of `size` bytes goes to the spool (not one over the
   * record bound: the memory queue drops it as `"oversize"`).
   */
  #toSpool(size: number): boolean {
    if (this.#closed || size > this.#maxFrame) return false;
    return this.#spool.records > 0 || !this.#mem.fits(size);
  }

  #append(frame: Uint8Array): boolean {
    this.#appending = true;
    this.#appendDrops = 0;
    let kept: boolean;
    try {
      kept = this.#spool.append(frame);
    } catch (e) {
      // A frame that is not whole (a custom makePickle): never spooled.
      this.#appending = false;
      this.#hooks.report(e as Error);
      this.#onDrop("encode", 1);
      return false;
    }
    this.#appending = false;
    const drops = this.#appendDrops;
    const older = kept ? drops : drops - 1;
    if (older > 0) this.#mem.skipSeq(older);
    if (drops > 0) this.#onDrop("overflow", drops);
    this.#scheduleFlush();
    return kept;
  }

  /** Counts the spool's deferred drops once its call has returned. */
  #afterSpoolCall(): void {
    if (this.#deferScheduled) return;
    this.#deferScheduled = true;
    queueMicrotask(() => {
      this.#deferScheduled = false;
      const [overflow, corrupt] = this.#deferred;
      this.#deferred = [0, 0];
      if (overflow > 0) this.#onDrop("overflow", overflow);
      if (corrupt > 0) this.#onDrop("corrupt", corrupt);
    });
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      if (!this.#closed) this.#spool.flush();
    }, SPOOL_FLUSH_MS);
    setKeepAlive(this.#flushTimer, false);
  }

  /**
   * Hands out the head frames (loading frames back from the spool first
   * when the memory queue is low).
   *
   * @param limit Byte limit of the batch.
   * @returns The bytes, or undefined.
   */
  takeBatch(limit: number): Uint8Array | undefined {
    this.#pump();
    return this.#mem.takeBatch(limit);
  }

  /** Loads frames back from the spool while memory is below half its bounds. */
  #pump(): void {
    if (this.#closed || this.#spool.records === 0) return;
    const mem = this.#mem;
    if (mem.inFlight > 0) return;
    const free = mem.free();
    if (
      free.records * 2 < this.#maxRecords || free.bytes * 2 < this.#maxBytes
    ) return;
    const batch = this.#spool.load(
      Math.max(1, Math.floor(this.#maxRecords / 4)),
      Math.max(1, Math.floor(this.#maxBytes / 4)),
    );
    if (batch === undefined) return;
    const start = mem.nextSeq;
    const frames = batch.frames;
    let pos = 0;
    for (let k = 0; k < batch.count; k++) {
      const size = 4 +
        new DataView(frames.buffer, frames.byteOffset + pos, 4).getUint32(0);
      mem.push(frames.subarray(pos, pos + size));
      pos += size;
    }
    const runs = this.#loaded;
    if (runs.length > 0 && runs[runs.length - 1] === start) {
      runs[runs.length - 1] = start + batch.count;
    } else runs.push(start, start + batch.count);
  }

  /**
   * Ends the write of the batch (see `FrameQueue.settle`).
   *
   * @param written Bytes of the batch known to be written.
   * @param dropReason Drop the frames not written instead.
   * @param keep Receives the frames written.
   * @returns The number of frames sent.
   */
  settle(written: number, dropReason?: DropReason, keep?: Keeper): number {
    return this.#mem.settle(written, dropReason, keep);
  }

  /**
   * Puts frames back at the head (see `FrameQueue.requeue`).
   *
   * @param bytes The frames' bytes.
   * @param lengths Their lengths.
   * @param seqs Their sequence numbers.
   * @param count How many.
   */
  requeue(
    bytes: Uint8Array,
    lengths: Uint32Array,
    seqs: Float64Array,
    count: number,
  ): void {
    this.#mem.requeue(bytes, lengths, seqs, count);
  }

  /**
   * Frames held elsewhere that count against the memory bounds.
   *
   * @param records How many.
   * @param bytes Their bytes.
   */
  reserve(records: number, bytes: number): void {
    this.#mem.reserve(records, bytes);
  }

  /**
   * Frames before `firstSeq` have left for good: the spool forgets those
   * it had loaded.
   *
   * @param firstSeq Sequence number of the oldest frame still pending.
   */
  done(firstSeq: number): void {
    const runs = this.#loaded;
    if (runs.length === 0 || runs[0]! >= firstSeq) return;
    let released = 0;
    while (runs.length > 0 && runs[0]! < firstSeq) {
      const end = Math.min(runs[1]!, firstSeq);
      released += end - runs[0]!;
      if (end === runs[1]) runs.splice(0, 2);
      else runs[0] = end;
    }
    const n = Math.min(released, this.#spool.loaded);
    if (n > 0) this.#spool.release(n);
  }

  /**
   * Saves every pending frame (after `front`) to the spool, before its own
   * frames, and closes it.
   *
   * @param front Older frames (written, not acknowledged) to save first.
   * @returns How many frames were saved (they leave the memory queue).
   */
  persist(front: TakenFrames | undefined): number {
    if (this.#closed) return 0;
    const mem = this.#mem.takeAll();
    const frontCount = front?.count ?? 0;
    let frontBytes = 0;
    for (let k = 0; k < frontCount; k++) frontBytes += front!.lengths[k]!;
    const all = new Uint8Array(frontBytes + mem.bytes.length);
    if (front !== undefined) all.set(front.bytes.subarray(0, frontBytes));
    all.set(mem.bytes, frontBytes);
    const count = frontCount + mem.count;
    this.#appending = true; // saveHead's drops are counted by the caller
    this.#appendDrops = 0;
    try {
      this.#spool.saveHead(all, count);
    } finally {
      this.#appending = false;
    }
    this.close();
    const lost = Math.min(this.#appendDrops, count);
    if (lost > 0) this.#onDrop("exit", lost);
    return count - lost;
  }

  /**
   * Opens the spool again after a close (the engine re-opens): it finds the
   * frames saved at close.
   */
  reopen(): void {
    if (!this.#closed) return;
    try {
      this.#spool = DiskSpool.open(this.#spoolOptions, this.#spoolHooks);
      this.#closed = false;
      this.#loaded = [];
    } catch (e) {
      this.#hooks.report(e as Error);
    }
  }

  /** Closes the spool (its lock is released); later frames stay in memory. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#spool.close();
  }

  /**
   * Drops every frame in memory (the spool's stay on disk).
   *
   * @param reason The drop reason.
   * @returns How many were dropped.
   */
  dropAll(reason: DropReason): number {
    return this.#mem.dropAll(reason);
  }

  /**
   * Drops the oldest frame in memory.
   *
   * @param reason The drop reason.
   * @returns Whether one was dropped.
   */
  dropFirst(reason: DropReason): boolean {
    return this.#mem.dropFirst(reason);
  }
}
