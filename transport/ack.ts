// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The acknowledgement frame: what a receiver started with `ack: true`
 * writes back on a connection, and what the sending engine reads. One
 * format, one place: `LogReceiver` writes it with
 * {@linkcode writeAck}, the engine reads it with {@linkcode AckReader}.
 *
 * An acknowledgement is 16 bytes:
 *
 * | bytes | value                                                          |
 * | ----- | -------------------------------------------------------------- |
 * | 0–3   | `00 00 00 0C`: the length of the rest (12), big-endian, as a record frame's prefix |
 * | 4–7   | `41 43 4B 31`: ASCII `ACK1` (the format and its version)       |
 * | 8–15  | the count, an unsigned 64-bit big-endian integer               |
 *
 * The count is cumulative per connection: the number of frames the
 * receiver has read from this connection, in order, and is done with (each
 * record handed to the consumer; a frame it could not decode counts too).
 * It never decreases. A sender knows which frames it wrote on the
 * connection, in order, so the count names exactly which of them are safe;
 * the rest are re-sent on the next connection.
 *
 * A receiver acknowledges only connections whose records carry a `sender`
 * attribute (records of a handler with `sequence: true`): Python's
 * `SocketHandler` never reads its socket, and unread bytes make its
 * `close()` reset the connection, discarding what it had not sent yet.
 *
 * @example Usage
 * ```ts
 * import { AckReader, ACK_BYTES, writeAck } from "./ack.ts";
 * import { equal } from "node:assert/strict";
 *
 * const buf = new Uint8Array(2 * ACK_BYTES);
 * writeAck(buf, 0, 5);
 * writeAck(buf, ACK_BYTES, 9);
 * const reader = new AckReader();
 * equal(reader.push(buf.subarray(0, 7)), undefined); // torn: waits for more
 * equal(reader.push(buf.subarray(7)), 9); // the latest count
 * ```
 *
 * @module
 */

/** Bytes of one acknowledgement frame. */
export const ACK_BYTES = 16;

/** The four bytes after the length prefix: ASCII "ACK1". */
const MAGIC = 0x41434b31;

/**
 * Writes an acknowledgement of `count` frames into `buf` at `pos`.
 *
 * @param buf The buffer (16 bytes from `pos` are written).
 * @param pos Where the acknowledgement starts.
 * @param count Frames read from the connection and done with (cumulative).
 * @throws {RangeError} If `count` is not a non-negative safe integer.
 */
export function writeAck(buf: Uint8Array, pos: number, count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(
      `Cannot write an acknowledgement of ${count} frames: expected a non-negative safe integer`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset + pos, ACK_BYTES);
  view.setUint32(0, ACK_BYTES - 4);
  view.setUint32(4, MAGIC);
  view.setUint32(8, Math.floor(count / 2 ** 32));
  view.setUint32(12, count >>> 0);
}

/**
 * Reads acknowledgements from the bytes a connection receives, across
 * reads of any size.
 */
export class AckReader {
  #buf = new Uint8Array(ACK_BYTES);
  #view = new DataView(this.#buf.buffer);
  #have = 0;
  #last = 0;

  /** The latest count read (0 before the first). */
  get count(): number {
    return this.#last;
  }

  /**
   * Reads the acknowledgements in `bytes` (the rest of a torn one is
   * awaited).
   *
   * @param bytes Bytes read from the connection.
   * @returns The latest count read, or undefined if no acknowledgement
   * was completed by these bytes.
   * @throws {RangeError} If the bytes are not acknowledgements, or a count
   * decreases: the peer does not speak this protocol.
   */
  push(bytes: Uint8Array): number | undefined {
    let latest: number | undefined;
    let i = 0;
    while (i < bytes.length) {
      const n = Math.min(ACK_BYTES - this.#have, bytes.length - i);
      this.#buf.set(bytes.subarray(i, i + n), this.#have);
      this.#have += n;
      i += n;
      if (this.#have < ACK_BYTES) break;
      this.#have = 0;
      const view = this.#view;
      if (view.getUint32(0) !== ACK_BYTES - 4 || view.getUint32(4) !== MAGIC) {
        throw new RangeError(
          "Cannot read an acknowledgement: expected 00 00 00 0C 'ACK1', got " +
            [...this.#buf.subarray(0, 8)].map((b) =>
              b.toString(16).padStart(2, "0")
            ).join(" "),
        );
      }
      const count = view.getUint32(8) * 2 ** 32 + view.getUint32(12);
      if (count < this.#last) {
        throw new RangeError(
          `Cannot read an acknowledgement of ${count} frames: the previous one acknowledged ${this.#last}, and counts never decrease`,
        );
      }
      this.#last = latest = count;
    }
    return latest;
  }
}
