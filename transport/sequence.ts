// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode SequenceStamp}: numbers every frame an engine queues (option
 * `sequence: true`), so that a receiver can see gaps and drop duplicates.
 * Each record dict gains two attributes: `seq` (1, 2, 3, … per engine,
 * unbroken across reconnects; the drop notices take numbers too) and
 * `sender` (an id stable for the engine's lifetime:
 * `host:pid:8-hex-random`, or `pid:random` without `--allow-sys=hostname`).
 *
 * The stamp is added to a finished frame, whatever made it: the pickle's
 * final STOP is replaced by a second MARK … SETITEMS on the root dict and a
 * new STOP, and the length prefix is fixed:
 *
 * ```text
 * … u .   →   … u ( X"seq" J<int32 LE> X"sender" X"<id>" u .
 * ```
 *
 * Python's unpickler (2.7 to 3.13, every protocol) fills the same dict in
 * two batches, so `logging.makeLogRecord` sees two extra attributes. A seq
 * of 2**31 or more is written as LONG1. A frame that does not end with
 * STOP is left as it is.
 *
 * @example Usage
 * ```ts
 * import { SequenceStamp } from "./sequence.ts";
 * import { dumpsFrame, loads } from "../pickle.ts";
 * import { equal } from "node:assert/strict";
 *
 * const stamp = new SequenceStamp("host:1:0a0b0c0d");
 * const frame = stamp.stamp(dumpsFrame({ name: "app", msg: "hi" }));
 * const dict = loads(frame.subarray(4)) as Record<string, unknown>;
 * equal(dict.seq, 1);
 * equal(dict.sender, "host:1:0a0b0c0d");
 * equal(dict.msg, "hi");
 * ```
 *
 * @module
 */
import {
  BININT,
  BINUNICODE,
  LONG1,
  MARK,
  SETITEMS,
  STOP,
} from "../pickle/opcodes.ts";

/** Characters a sender id keeps (others become `_`). */
const UNSAFE = /[^A-Za-z0-9._:-]/g;

/**
 * A sender id: `host:pid:random` (the host when `--allow-sys=hostname` is
 * granted; never prompts).
 *
 * @returns The id.
 */
export function newSenderId(): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0]!
    .toString(16).padStart(8, "0");
  let pid = "0";
  let host = "";
  try {
    pid = String(Deno.pid);
    const status = Deno.permissions.querySync({
      name: "sys",
      kind: "hostname",
    });
    if (status.state === "granted") host = Deno.hostname();
  } catch { /* no Deno, or no permission */ }
  const id = host === "" ? `${pid}:${random}` : `${host}:${pid}:${random}`;
  return id.replace(UNSAFE, "_").slice(0, 200);
}

function binunicode(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  const n = bytes.length;
  return [
    BINUNICODE,
    n & 255,
    (n >>> 8) & 255,
    (n >>> 16) & 255,
    n >>> 24,
    ...bytes,
  ];
}

/** Numbers frames and writes the numbers into them. */
export class SequenceStamp {
  /** The sender id written into every frame. */
  readonly sender: string;
  /** The most bytes a stamp adds to a frame. */
  readonly extra: number;
  #next = 1;
  /** `( X"seq"` */
  #head: Uint8Array;
  /** `X"sender" X"<id>" u .` */
  #tail: Uint8Array;

  /**
   * Creates a stamp whose numbers start at 1.
   *
   * @param sender The sender id (default: {@linkcode newSenderId}).
   * @param first The first number (default 1; tests start higher).
   */
  constructor(sender: string = newSenderId(), first: number = 1) {
    this.sender = sender;
    this.#next = first;
    this.#head = new Uint8Array([MARK, ...binunicode("seq")]);
    this.#tail = new Uint8Array([
      ...binunicode("sender"),
      ...binunicode(sender),
      SETITEMS,
      STOP,
    ]);
    // head, LONG1 with up to 8 bytes (10), tail; minus the STOP replaced.
    this.extra = this.#head.length + 10 + this.#tail.length - 1;
  }

  /** The number the next frame gets. */
  get next(): number {
    return this.#next;
  }

  /**
   * Stamps the frame in `buf` from `start` to `end` in place: up to
   * {@linkcode SequenceStamp.prototype.extra} bytes are written after it.
   *
   * @param buf The buffer.
   * @param view A DataView of `buf`'s whole buffer (as `buf` starts at 0).
   * @param start Where the frame (its length prefix) starts.
   * @param end Where the frame ends.
   * @returns Where the stamped frame ends (`end` if it was left alone).
   */
  stampInPlace(
    buf: Uint8Array,
    view: DataView,
    start: number,
    end: number,
  ): number {
    if (end - start < 5 || buf[end - 1] !== STOP) return end;
    const seq = this.#next++;
    let pos = end - 1;
    buf.set(this.#head, pos);
    pos += this.#head.length;
    if (seq < 2 ** 31) {
      buf[pos] = BININT;
      view.setInt32(pos + 1, seq, true);
      pos += 5;
    } else {
      // LONG1: a length byte, then little-endian two's complement.
      let n = seq;
      let size = 0;
      buf[pos] = LONG1;
      const at = pos + 1;
      pos += 2;
      while (n > 0) {
        buf[pos++] = n % 256;
        n = Math.floor(n / 256);
        size++;
      }
      if ((buf[pos - 1]! & 0x80) !== 0) {
        buf[pos++] = 0;
        size++;
      }
      buf[at] = size;
    }
    buf.set(this.#tail, pos);
    pos += this.#tail.length;
    view.setUint32(start, pos - start - 4);
    return pos;
  }

  /**
   * A stamped copy of a frame.
   *
   * @param frame The frame (left unchanged).
   * @returns A new buffer with the stamped frame.
   */
  stamp(frame: Uint8Array): Uint8Array<ArrayBuffer> {
    const buf = new Uint8Array(frame.length + this.extra);
    buf.set(frame);
    const end = this.stampInPlace(
      buf,
      new DataView(buf.buffer),
      0,
      frame.length,
    );
    return buf.subarray(0, end);
  }
}
