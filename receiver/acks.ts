// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode ConnAcks}: the acknowledgements a receiver started with
 * `ack: true` writes back on one stream connection (the frame of
 * `transport/ack.ts`).
 *
 * The count is cumulative: the frames read from the connection, in order,
 * that the receiver is done with. A frame is done when its record is
 * handed to the consumer (taken by the iterator or `next()`, or `onRecord`
 * returned when records are not buffered), when it is a duplicate
 * suppressed, or when it was refused (undecodable). Records leave in the
 * order they came, and the other frames are done as soon as they are read,
 * so the count is the number of frames before the oldest record not yet
 * handed over (all frames read when there is none).
 *
 * Nothing is written until the connection has delivered a record with a
 * str `sender` attribute: Python's `SocketHandler` never reads its socket,
 * and unread bytes make its `close()` send a reset, discarding what it had
 * not sent yet. Writes are coalesced: at most one is in flight, from one
 * 16-byte buffer; when it completes and the count has advanced, the latest
 * count is written. A write that cannot complete (a sender that never
 * reads) holds nothing more than that buffer, and never delays reading. A
 * failed write stops acknowledgements on the connection; its reading side
 * decides the connection's fate.
 *
 * @module
 */
import { ACK_BYTES, writeAck } from "../transport/ack.ts";
import { Fifo } from "./fifo.ts";
import type { ConnectionStats, Counters } from "./stats.ts";

/**
 * Most ms {@linkcode ConnAcks.prototype.settled} waits for the write in
 * flight to end once the connection is closed.
 */
export const STOP_WAIT = 1000;

/** What acknowledging needs of a connection: writing. */
export interface AckWriter {
  /**
   * Writes some of `p`.
   *
   * @param p The bytes.
   * @returns How many were written.
   */
  write(p: Uint8Array): Promise<number>;
}

/** The acknowledgement state of one connection. */
export class ConnAcks {
  #writer: AckWriter;
  #info: ConnectionStats;
  #counters: Counters;
  /** Frames read so far. */
  #read = 0;
  /** The frame numbers (1-based) of its records not handed over yet. */
  #pending = new Fifo<number>();
  /** Whether a record with a str `sender` came. */
  #eligible = false;
  /** The count of the write in flight or done last. */
  #sent = 0;
  #buf: Uint8Array | undefined;
  #writing: Promise<void> | undefined;
  #stopped = false;

  /**
   * Creates the state of a connection that has read nothing yet.
   *
   * @param writer The connection.
   * @param info Its stats (`acked` is kept up to date).
   * @param counters The receiver's counters (`acks` is counted).
   */
  constructor(writer: AckWriter, info: ConnectionStats, counters: Counters) {
    this.#writer = writer;
    this.#info = info;
    this.#counters = counters;
  }

  /** The count the connection may be acknowledged for now. */
  get count(): number {
    const oldest = this.#pending.peek();
    return oldest === undefined ? this.#read : oldest - 1;
  }

  /** A complete frame was read; it is done unless {@linkcode pending} follows. */
  frame(): void {
    this.#read++;
  }

  /** The frame read last holds a record now handed over (not done yet). */
  pending(): void {
    this.#pending.push(this.#read);
  }

  /** The oldest record not handed over has been. */
  consumed(): void {
    this.#pending.shift();
    this.update();
  }

  /** A record with a str `sender` came: acknowledgements may be written. */
  enable(): void {
    this.#eligible = true;
  }

  /** Writes the count if it advanced and no write is in flight. */
  update(): void {
    if (
      !this.#eligible || this.#stopped || this.#writing !== undefined ||
      this.count <= this.#sent
    ) return;
    this.#writing = this.#write();
  }

  /** Stops writing (the connection is closing). */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Waits for the write in flight, if any, to end (closing the connection
   * ends it), at most {@linkcode STOP_WAIT} ms.
   *
   * @returns A promise that resolves then.
   */
  settled(): Promise<void> {
    const writing = this.#writing;
    if (writing === undefined) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      writing,
      new Promise<void>((r) => (timer = setTimeout(r, STOP_WAIT))),
    ]).finally(() => clearTimeout(timer));
  }

  /** Writes the latest count, then again while it advanced. */
  async #write(): Promise<void> {
    const buf = this.#buf ??= new Uint8Array(ACK_BYTES);
    try {
      while (!this.#stopped) {
        const count = this.count;
        if (count <= this.#sent) break;
        this.#sent = count;
        writeAck(buf, 0, count);
        let off = 0;
        while (off < ACK_BYTES) {
          off += await this.#writer.write(buf.subarray(off));
        }
        this.#info.acked = count;
        this.#counters.acks++;
      }
    } catch {
      // The read side decides the connection's fate.
      this.#stopped = true;
    } finally {
      this.#writing = undefined;
    }
  }
}
