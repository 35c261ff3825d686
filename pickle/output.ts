// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Where pickles are written: the shared pool of slabs that pooled results
 * are views into, and {@linkcode Output}, the growable buffer with CPython's
 * protocol-4 framing that the encoder writes through.
 *
 * @module
 */
import { PickleError } from "./errors.ts";
import * as op from "./opcodes.ts";

// The opcodes as module constants: V8 reads these faster than imports
// in the hot paths.
const {
  FRAME,
  FRAME_HEADER_SIZE,
  FRAME_SIZE_MIN,
  FRAME_SIZE_TARGET,
} = op;

/** Size of one slab of the pool. */
const SLAB_SIZE = 64 * 1024;
/** Results larger than this get a buffer of their own. */
export const POOLED_MAX = 16 * 1024;
/** Least room asked of the slab before writing a pickle into it. */
const SLAB_RESERVE_MIN = 1024;
/** Size of a fresh private buffer. */
const INITIAL_CAPACITY = 4096;
/** A private buffer grown beyond this is dropped after the pickle. */
const RETAINED_CAPACITY = 1 << 20;

/**
 * The pool behind `pooled: true`: a slab filled front to back and never
 * reused, so every view handed out stays valid. Writers write into it
 * directly; `busy` is set while one does (a re-entrant write, from a getter,
 * must then not touch the slab).
 */
class Pool {
  /** The current slab. */
  buf: Uint8Array<ArrayBuffer> = new Uint8Array(SLAB_SIZE);
  /** A DataView of the current slab. */
  view: DataView<ArrayBuffer> = new DataView(this.buf.buffer);
  /** The first free byte of the slab. */
  pos = 0;
  /** Whether a writer is writing into the slab. */
  busy = false;

  /**
   * Makes sure `n` bytes are free at `pos`, starting a new slab if not.
   *
   * @param n The room needed.
   */
  room(n: number): void {
    // A transferred (detached) slab has length 0.
    if (this.pos + n > this.buf.length) {
      this.buf = new Uint8Array(SLAB_SIZE);
      this.view = new DataView(this.buf.buffer);
      this.pos = 0;
    }
  }

  /**
   * Copies `src[start, end)` into the pool (or a fresh buffer if large, or
   * if the slab is being written).
   *
   * @param src The bytes.
   * @param start Where they start.
   * @param end Where they end.
   * @returns A view of the copy.
   */
  copy(
    src: Uint8Array<ArrayBuffer>,
    start: number,
    end: number,
  ): Uint8Array<ArrayBuffer> {
    const n = end - start;
    if (n > POOLED_MAX || this.busy) return src.slice(start, end);
    this.room(n);
    const at = this.pos;
    this.buf.set(src.subarray(start, end), at);
    this.pos = at + n;
    return this.buf.subarray(at, this.pos);
  }
}

/** The pool that pooled results share. */
export const pool: Pool = new Pool();

/**
 * A growable output buffer with CPython's protocol-4 framing. One pickle at
 * a time: {@linkcode Output.prototype.begin} picks the buffer (the pool's
 * slab when it has room, else a private buffer kept between pickles),
 * {@linkcode Output.prototype.finish} hands out the result and
 * {@linkcode Output.prototype.release} tidies up.
 */
export class Output {
  /** The buffer being written. */
  buf: Uint8Array<ArrayBuffer> = new Uint8Array(INITIAL_CAPACITY);
  /** A DataView of `buf`. */
  view: DataView<ArrayBuffer> = new DataView(this.buf.buffer);
  /** The write position. */
  pos = 0;
  /** Where the open frame's header is, or -1. */
  frameStart = -1;
  /** The position past which the open frame is closed (Infinity: none). */
  frameLimit = Infinity;
  // The private buffer (the last one that was not a slab of the pool).
  #own = this.buf;
  #ownView = this.view;
  // Where the current pickle (or its length prefix) starts in `buf`.
  #base = 0;
  #inSlab = false;
  /** Size of the last pickle written (how much slab room to ask for). */
  #last = 0;

  /**
   * Starts a pickle. Pooled results are written straight into the slab when
   * it has room for twice the last result; a larger one grows out of it
   * into a private buffer (and is copied back).
   *
   * @param pooled Whether the result may be a view into the pool.
   * @param prefix Whether to leave 4 bytes for a length prefix.
   */
  begin(pooled: boolean, prefix: boolean): void {
    this.frameStart = -1;
    this.frameLimit = Infinity;
    const at = pooled ? this.#claimSlab() : -1;
    const base = at < 0 ? 0 : at;
    this.#inSlab = at >= 0;
    this.#base = base;
    this.pos = base + (prefix ? 4 : 0);
  }

  /**
   * Switches to the pool's slab when it is free and has (or can be given)
   * room for twice the last result; returns where in it the pickle starts,
   * or -1 to write into the private buffer.
   */
  #claimSlab(): number {
    const reserve = 2 * this.#last;
    if (pool.busy || reserve > POOLED_MAX) return -1;
    pool.room(reserve < SLAB_RESERVE_MIN ? SLAB_RESERVE_MIN : reserve);
    this.buf = pool.buf;
    this.view = pool.view;
    pool.busy = true;
    return pool.pos;
  }

  /**
   * Ends a pickle at the write position: writes the length prefix and
   * returns the result.
   *
   * @param pooled Whether the result may be a view into the pool.
   * @param prefix Whether a length prefix was left.
   * @returns The pickle (or frame).
   * @throws {PickleError} If a prefixed pickle is 4 GiB or larger.
   */
  finish(pooled: boolean, prefix: boolean): Uint8Array<ArrayBuffer> {
    // (The common case inline, the rest out of line: the encoder inlines
    // this into its hot path.)
    const base = this.#base;
    const end = this.pos;
    this.#last = end - base;
    if (prefix) this.#prefix(base, end);
    const buf = this.buf;
    if (buf === pool.buf) {
      pool.pos = end;
      return buf.subarray(base, end);
    }
    return this.#finishElsewhere(pooled, base, end);
  }

  /** Writes the length prefix at `base` of the pickle ending at `end`. */
  #prefix(base: number, end: number): void {
    const length = end - base - 4;
    if (length > 0xffffffff) {
      throw new PickleError(
        `Cannot frame the pickle as it is larger than 4 GiB: current size is ${length} bytes`,
      );
    }
    this.view.setUint32(base, length);
  }

  /** finish for a pickle that is not in the pool's current slab. */
  #finishElsewhere(
    pooled: boolean,
    base: number,
    end: number,
  ): Uint8Array<ArrayBuffer> {
    if (this.#inSlab) pool.busy = false;
    return pooled ? pool.copy(this.buf, base, end) : this.buf.slice(base, end);
  }

  /** After a pickle (finished or not): gives the slab back. */
  release(): void {
    if (this.#inSlab) {
      pool.busy = false;
      this.#inSlab = false;
      if (this.buf === pool.buf) {
        this.buf = this.#own;
        this.view = this.#ownView;
      }
    }
    if (this.buf.length > RETAINED_CAPACITY) this.#shrink();
  }

  /** Drops a private buffer grown beyond RETAINED_CAPACITY. */
  #shrink(): void {
    this.buf = this.#own = new Uint8Array(INITIAL_CAPACITY);
    this.view = this.#ownView = new DataView(this.buf.buffer);
  }

  // ---- buffer --------------------------------------------------------------

  /**
   * Makes room for `n` more bytes.
   *
   * @param n The bytes about to be written.
   */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  /**
   * Moves to a buffer with room for `n` more bytes.
   *
   * @param n The bytes about to be written.
   */
  grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const buf = new Uint8Array(size);
    buf.set(this.buf.subarray(0, this.pos));
    this.buf = this.#own = buf;
    this.view = this.#ownView = new DataView(buf.buffer);
  }

  /**
   * Writes bytes.
   *
   * @param bytes The bytes.
   */
  writeBytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Writes a float's 8 bytes at `pos` as CPython does (one NaN).
   *
   * @param pos Where.
   * @param value The float.
   */
  setFloat(pos: number, value: number): void {
    if (value !== value) {
      this.view.setUint32(pos, 0x7ff80000);
      this.view.setUint32(pos + 4, 0);
    } else {
      this.view.setFloat64(pos, value);
    }
  }

  // ---- framing (protocol ≥ 4) ---------------------------------------------

  /** Opens a frame at the write position. */
  openFrame(): void {
    this.ensure(FRAME_HEADER_SIZE);
    this.frameStart = this.pos;
    this.pos += FRAME_HEADER_SIZE;
    this.frameLimit = this.pos + FRAME_SIZE_TARGET;
  }

  /**
   * Ends the open frame at `end`, which may precede the write position.
   *
   * @param end Where the frame ends.
   */
  commitFrame(end: number): void {
    const start = this.frameStart;
    const length = end - start - FRAME_HEADER_SIZE;
    if (length >= FRAME_SIZE_MIN) {
      this.buf[start] = FRAME;
      this.view.setUint32(start + 1, length % 0x100000000, true);
      this.view.setUint32(start + 5, Math.floor(length / 0x100000000), true);
    } else {
      this.buf.copyWithin(start, start + FRAME_HEADER_SIZE, this.pos);
      this.pos -= FRAME_HEADER_SIZE;
    }
    this.frameStart = -1;
    this.frameLimit = Infinity;
  }

  /** CPython's _Pickler_OpcodeBoundary: called at the start of every save. */
  nextFrame(): void {
    this.commitFrame(this.pos);
    this.openFrame();
  }

  /**
   * Payloads ≥ 64 KiB bypass the frame: commit it before their header.
   *
   * @param headerStart Where the payload's opcode is.
   */
  bypass(headerStart: number): void {
    this.commitFrame(headerStart);
    this.openFrame();
  }
}
