// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode AckWindow}: the frames written on the current connection and
 * not yet acknowledged by the receiver, kept so that they can be sent
 * again on the next connection. Private to the package.
 *
 * A receiver started with `ack: true` acknowledges with a cumulative count
 * of the frames it read from the connection and is done with (see
 * `ack.ts`). The window numbers the frames written on the connection in
 * order — records and drop notices alike — and maps each count to the
 * frames it covers:
 *
 * - `plain(n, notice)`: `n` frames were written before the window kept
 *   any (the receiver had not acknowledged yet): they count as sent
 *   already; an acknowledgement that covers them says how many records
 *   among them the receiver confirmed (`plainAcked`).
 * - `keep(...)`/`keepNotice()`: frames written, kept (copied) until
 *   acknowledged.
 * - `ack(count)`: the kept frames the count covers leave the window; the
 *   records among them are returned (they are now sent).
 * - `takeBack()`: the connection is gone: the kept records (never the
 *   notices) are handed back, in order, to go back to the head of the
 *   queue; the numbering starts over for the next connection.
 *
 * The copies live in one byte buffer that grows by doubling; the frames'
 * lengths, queue sequence numbers and kinds in typed arrays: nothing is
 * allocated per frame once they have grown.
 *
 * @example Usage
 * ```ts
 * import { AckWindow } from "./ack_window.ts";
 * import { equal } from "node:assert/strict";
 *
 * const window = new AckWindow();
 * window.plain(1, false); // frame 0 was written before acknowledgements began
 * const frames = new Uint8Array([0, 0, 0, 1, 0x2e, 0, 0, 0, 1, 0x2e]);
 * window.keep(frames, new Uint32Array([5, 5]), new Float64Array([7, 8]), 2);
 * equal(window.records, 2);
 * equal(window.ack(2), 1); // frames 0 and 1: the first kept record
 * equal(window.plainAcked, 1); // and the record written plain
 * equal(window.firstSeq, 8);
 * equal(window.takeBack().count, 1);
 * equal(window.records, 0);
 * ```
 *
 * @module
 */
import type { TakenFrames } from "./frame_queue.ts";

/** Kind of a kept frame: a record (counted), or a drop notice (not). */
const RECORD = 0;
const NOTICE = 1;

/** The written, unacknowledged frames of the current connection. */
export class AckWindow {
  #buf = new Uint8Array(0);
  #head = 0;
  #tail = 0;
  #lengths = new Uint32Array(16);
  #seqs = new Float64Array(16);
  #kinds = new Uint8Array(16);
  #times = new Float64Array(16);
  #first = 0;
  #count = 0;
  #records = 0;
  #recordBytes = 0;
  /** Connection frame number of the first kept frame. */
  #base = 0;
  /** Connection frame number of the next frame written. */
  #written = 0;
  /** Frames written plain (numbers 0 to #plainEnd − 1). */
  #plainEnd = 0;
  /** Numbers of the drop notices among them. */
  #plainNotices: number[] = [];
  /** The last count acknowledged. */
  #ackedCount = 0;
  /**
   * Records written plain that the last {@linkcode AckWindow.prototype.ack}
   * covered (already counted as sent).
   */
  plainAcked = 0;

  /** Kept records (not notices). */
  get records(): number {
    return this.#records;
  }

  /** Bytes of the kept records. */
  get bytes(): number {
    return this.#recordBytes;
  }

  /** Frames written on this connection (records and notices). */
  get written(): number {
    return this.#written;
  }

  /** Queue sequence number of the first kept record (Infinity if none). */
  get firstSeq(): number {
    for (let k = 0; k < this.#count; k++) {
      const i = this.#first + k;
      if (this.#kinds[i] === RECORD) return this.#seqs[i]!;
    }
    return Infinity;
  }

  /**
   * Counts frames written and not kept (before acknowledgements began on
   * this connection). Only before anything was kept on this connection.
   *
   * @param n How many.
   * @param notice Whether it is a drop notice (n = 1), not records.
   */
  plain(n: number, notice: boolean): void {
    if (this.#plainEnd !== this.#written) return; // keeping began
    if (notice) this.#plainNotices.push(this.#written);
    this.#written += n;
    this.#plainEnd = this.#base = this.#written;
  }

  /**
   * Keeps copies of written records.
   *
   * @param bytes Their bytes, in order (copied).
   * @param lengths Their lengths (the first `count`).
   * @param seqs Their queue sequence numbers (the first `count`).
   * @param count How many.
   * @param time Clock time (ms) of the write (for `expire`).
   */
  keep(
    bytes: Uint8Array,
    lengths: Uint32Array,
    seqs: Float64Array,
    count: number,
    time = 0,
  ): void {
    let total = 0;
    for (let k = 0; k < count; k++) total += lengths[k]!;
    this.#copyIn(bytes.subarray(0, total));
    for (let k = 0; k < count; k++) {
      this.#slot(lengths[k]!, seqs[k]!, RECORD, time);
    }
    this.#records += count;
    this.#recordBytes += total;
  }

  /**
   * Notes a drop notice written while keeping: it takes a frame number (the
   * receiver counts it), and is never sent again.
   */
  keepNotice(time = 0): void {
    this.#slot(0, -1, NOTICE, time);
  }

  /**
   * Lets the kept frames written before `before` leave, acknowledged or
   * not (a receiver that does not acknowledge: only the recent ones are
   * sent again after a loss).
   *
   * @param before Clock time (ms).
   * @returns How many records left (their bytes: `lastBytes`).
   */
  expire(before: number): number {
    let records = 0;
    const bytes = this.#recordBytes;
    while (this.#count > 0 && this.#times[this.#first]! < before) {
      if (this.#shift()) records++;
    }
    this.lastBytes = bytes - this.#recordBytes;
    if (this.#count === 0) this.#head = this.#tail = this.#first = 0;
    return records;
  }

  /** Bytes of the records the last `expire` let leave. */
  lastBytes = 0;

  /** Lets the first kept frame leave; true if it is a record. */
  #shift(): boolean {
    const i = this.#first;
    const length = this.#lengths[i]!;
    const record = this.#kinds[i] === RECORD;
    if (record) {
      this.#records--;
      this.#recordBytes -= length;
    }
    this.#head += length;
    this.#first++;
    this.#count--;
    this.#base++;
    return record;
  }

  /**
   * Applies an acknowledgement count: the kept frames it covers leave.
   *
   * @param count The receiver's cumulative count for this connection.
   * @returns How many records it acknowledged.
   * @throws {RangeError} If the count exceeds the frames written.
   */
  ack(count: number): number {
    if (count > this.#written) {
      throw new RangeError(
        `Cannot apply an acknowledgement of ${count} frames: only ${this.#written} were written on this connection`,
      );
    }
    const prev = this.#ackedCount;
    this.plainAcked = 0;
    if (count > prev) {
      this.#ackedCount = count;
      const end = Math.min(count, this.#plainEnd);
      if (end > prev) {
        let notices = 0;
        for (const at of this.#plainNotices) {
          if (at >= prev && at < end) notices++;
        }
        this.plainAcked = end - prev - notices;
      }
    }
    let acked = 0;
    while (this.#base < count && this.#count > 0) {
      if (this.#shift()) acked++;
    }
    if (this.#count === 0) {
      this.#base = Math.max(this.#base, count);
      this.#head = this.#tail = this.#first = 0;
    }
    return acked;
  }

  /**
   * The connection is gone: hands back the kept records, in order, and
   * starts the numbering over.
   *
   * @returns The records (valid until the window is used again).
   */
  takeBack(): TakenFrames {
    // Compact the records in place: notices take no bytes.
    const lengths = new Uint32Array(this.#records);
    const seqs = new Float64Array(this.#records);
    let n = 0;
    for (let k = 0; k < this.#count; k++) {
      const i = this.#first + k;
      if (this.#kinds[i] !== RECORD) continue;
      lengths[n] = this.#lengths[i]!;
      seqs[n] = this.#seqs[i]!;
      n++;
    }
    const bytes = this.#buf.subarray(this.#head, this.#tail);
    this.#head =
      this.#tail =
      this.#first =
      this.#count =
        0;
    this.#records = this.#recordBytes = 0;
    this.#base =
      this.#written =
      this.#plainEnd =
      this.#ackedCount =
        0;
    this.#plainNotices.length = 0;
    this.plainAcked = 0;
    return { bytes, lengths, seqs, count: n };
  }

  #copyIn(bytes: Uint8Array): void {
    const need = this.#tail + bytes.length;
    if (need > this.#buf.length) {
      const live = this.#tail - this.#head;
      if (live + bytes.length <= this.#buf.length >> 1) {
        this.#buf.copyWithin(0, this.#head, this.#tail);
      } else {
        let size = Math.max(this.#buf.length * 2, 4096);
        while (size < live + bytes.length) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(this.#buf.subarray(this.#head, this.#tail));
        this.#buf = grown;
      }
      this.#head = 0;
      this.#tail = live;
    }
    this.#buf.set(bytes, this.#tail);
    this.#tail += bytes.length;
  }

  #slot(length: number, seq: number, kind: number, time: number): void {
    let end = this.#first + this.#count;
    if (end === this.#lengths.length) {
      const size = this.#count * 2 > this.#lengths.length
        ? this.#lengths.length * 2
        : this.#lengths.length;
      const lengths = new Uint32Array(size);
      const seqs = new Float64Array(size);
      const kinds = new Uint8Array(size);
      const times = new Float64Array(size);
      lengths.set(this.#lengths.subarray(this.#first, end));
      seqs.set(this.#seqs.subarray(this.#first, end));
      kinds.set(this.#kinds.subarray(this.#first, end));
      times.set(this.#times.subarray(this.#first, end));
      this.#lengths = lengths;
      this.#seqs = seqs;
      this.#kinds = kinds;
      this.#times = times;
      this.#first = 0;
      end = this.#count;
    }
    this.#lengths[end] = length;
    this.#seqs[end] = seq;
    this.#kinds[end] = kind;
    this.#times[end] = time;
    this.#count++;
    this.#written++;
  }
}
