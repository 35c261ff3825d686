// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Serving one stream connection (TCP, TLS or Unix): reading the frames
 * (4-byte big-endian length + pickle) into a buffer, decoding each into a
 * record, handing it to the receiver, and ending the connection with a
 * {@linkcode CloseReason} on EOF, error or idle timeout. A frame is the
 * unit of failure: a frame whose pickle cannot be decoded is skipped,
 * counted and reported (rate limited), and the connection goes on; only a
 * framing violation (a length over `maxFrameBytes`) closes it. A problem
 * closes only this connection.
 *
 * Every byte read is first reserved from the receiver's
 * {@linkcode ByteBudget} (`maxBufferedBytes`) and stays counted until its
 * frame is consumed (or, as a record, until the record leaves the buffer):
 * with the budget spent the connection waits (backpressure), and a large
 * partial frame is read only as far as it fits. The buffer grows by
 * doubling as a frame's bytes arrive, not at once to the announced length.
 * The connection notes when its current partial frame started and how fast
 * it arrives, for the slow-sender check (`slow.ts`).
 *
 * A record stamped with a str `sender` goes through the receiver's
 * sequence tracking first (`ConnHost.admit`): a duplicate is not delivered.
 * With `ack: true`, each frame's fate is told to the connection's
 * {@linkcode ConnAcks}, which writes the acknowledgements.
 *
 * @module
 */
import {
  type LoadsOptions,
  loadsRecord,
  type PreparedLoads,
  prepareLoads,
  type RecordMeter,
} from "../pickle/decoder.ts";
import {
  type CloseReason,
  errorText,
  invalidRecord,
  ReceiverError,
} from "./errors.ts";
import type { ConnAcks } from "./acks.ts";
import type { ByteBudget } from "./byte_budget.ts";
import { Lane } from "./buffer.ts";
import type { Settings } from "./options.ts";
import type { PythonLogRecord } from "./python_log_record.ts";
import { makeLogRecordFrom } from "./record.ts";
import type { ConnectionStats, Counters } from "./stats.ts";
import { RefusalReports, refusalText } from "./refusals.ts";

/**
 * The heap units and record pairs of the frame decoded last (decoding is
 * synchronous).
 */
const meter: RecordMeter = { heap: 0, pairs: undefined, deferred: false };

/** Bytes read at a time, and the size of a connection's idle buffer. */
export const READ_SIZE = 64 * 1024;

/**
 * Most bytes reserved for a read beyond what the current frame still needs
 * (a pending read of an idle connection holds this much of the budget).
 */
export const IDLE_READ = 16 * 1024;

/** What serving needs of a connection (a `Deno.Conn` or a `node:tls` socket). */
export interface ReadConn {
  /** The peer's address. */
  readonly remoteAddr: Deno.Addr;
  /**
   * Reads into `p`.
   *
   * @param p The buffer.
   * @returns The number of bytes read, or `null` at EOF.
   */
  read(p: Uint8Array): Promise<number | null>;
  /** Closes the connection. */
  close(): void;
  /**
   * Writes some of `p` (acknowledgements); absent on a connection that
   * cannot be written to.
   *
   * @param p The bytes.
   * @returns How many were written.
   */
  write?(p: Uint8Array): Promise<number>;
}

/** The state of one open connection. */
export interface Conn {
  /** Its counters, as `stats()` shows them. */
  readonly info: ConnectionStats;
  /** The socket. */
  readonly conn: ReadConn;
  /** Set when the receiver closes it (reason given by the closer). */
  closing: CloseReason | undefined;
  /** Detail of `closing`. */
  closeDetail: string | undefined;
  /** Whether reading waits for space in the record buffer. */
  paused: boolean;
  /** Whether reading waits for the byte budget. */
  starved: boolean;
  /** Bytes of partial frames it holds in the byte budget. */
  held: number;
  /** When its last complete frame arrived (or it opened), in ms. */
  lastFrame: number;
  /** When its current partial frame started (ms); `undefined` between frames. */
  partialSince: number | undefined;
  /** Start of the current read-rate window (ms), with a partial frame. */
  rateStart: number | undefined;
  /** Bytes read since `rateStart`. */
  rateBytes: number;
  /** When a byte last arrived (ms), with an idle timeout. */
  lastActivity: number;
  /** The idle timer. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Rate limiting of its `bad-pickle` reports. */
  readonly refusals: RefusalReports;
  /** Its records waiting in the receiver's buffer. */
  readonly lane: Lane;
  /** Its acknowledgements, with `ack: true`. */
  acks: ConnAcks | undefined;
}

/** What serving a connection needs from its receiver. */
export interface ConnHost {
  /** The receiver's settings. */
  readonly settings: Settings;
  /** The receiver-wide counters. */
  readonly counters: Counters;
  /** The bound on bytes held across connections. */
  readonly budget: ByteBudget;
  /**
   * Reports a problem of a connection.
   *
   * @param error The problem.
   * @param c The connection.
   */
  report(error: ReceiverError, c: Conn): void;
  /**
   * Decides on a record stamped with a str `sender` (sequence tracking).
   *
   * @param record The record.
   * @param sender Its `sender` attribute.
   * @param c The connection it came from.
   * @returns `false` for a duplicate, not to be delivered.
   */
  admit(record: PythonLogRecord, sender: string, c: Conn): boolean;
  /**
   * Hands a decoded record over.
   *
   * @param record The record.
   * @param c The connection it came from.
   * @param bytes Its frame's bytes, reserved in the budget: the receiver
   * gives them back once the record is consumed or dropped.
   * @returns A promise when reading must wait for it, else `undefined`.
   */
  deliver(
    record: PythonLogRecord,
    c: Conn,
    bytes: number,
  ): Promise<void> | undefined;
  /**
   * Called once when the connection has ended.
   *
   * @param c The connection.
   * @param reason Why it ended.
   * @param detail The detail of a non-`eof` end.
   */
  ended(c: Conn, reason: CloseReason, detail: string | undefined): void;
}

/**
 * The state of a newly accepted connection.
 *
 * @param id Its sequence number.
 * @param conn The socket.
 * @returns The state.
 */
export function newConn(id: number, conn: ReadConn): Conn {
  const now = Date.now();
  return {
    info: {
      id,
      remoteAddr: conn.remoteAddr,
      records: 0,
      bytes: 0,
      errors: 0,
      framesRefused: 0,
      acked: 0,
      openedAt: now,
      closeReason: undefined,
      closeDetail: undefined,
    },
    conn,
    closing: undefined,
    closeDetail: undefined,
    paused: false,
    starved: false,
    held: 0,
    lastFrame: now,
    partialSince: undefined,
    rateStart: undefined,
    rateBytes: 0,
    lastActivity: 0,
    timer: undefined,
    refusals: new RefusalReports(),
    lane: new Lane(),
    acks: undefined,
  };
}

/**
 * Closes a connection (once) and records why; its serving loop then ends
 * with that reason.
 *
 * @param c The connection.
 * @param reason Why.
 * @param detail The detail.
 */
export function closeConn(
  c: Conn,
  reason: CloseReason,
  detail?: string,
): void {
  if (c.closing) return;
  c.closing = reason;
  c.closeDetail = detail;
  if (c.timer !== undefined) {
    clearTimeout(c.timer);
    c.timer = undefined;
  }
  c.acks?.stop();
  closeQuietly(c.conn);
}

/**
 * Closes a socket, ignoring that it may be closed already.
 *
 * @param conn The socket.
 */
export function closeQuietly(conn: ReadConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/**
 * The big-endian 4-byte length at `buf[at]`.
 *
 * @param buf The bytes.
 * @param at Where the length starts.
 * @returns The length.
 */
export function readLength(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) >>> 0) + (buf[at + 1]! << 16) +
    (buf[at + 2]! << 8) + buf[at + 3]!;
}

/**
 * Reads and delivers the frames of a connection until it ends, then tells
 * `host.ended()` why.
 *
 * @param c The connection.
 * @param host The receiver.
 * @returns A promise that resolves when the connection has ended.
 */
export async function serveConn(c: Conn, host: ConnHost): Promise<void> {
  const conn = c.conn;
  const { maxFrameBytes: maxFrame, idleTimeout, loadsOptions } = host.settings;
  const counters = host.counters;
  const budget = host.budget;
  const acks = c.acks;
  const buffered = host.settings.buffer;
  const decoding = prepared(loadsOptions);
  let buf = new Uint8Array(READ_SIZE);
  let start = 0;
  let end = 0;
  let reason: CloseReason = "eof";
  let detail: string | undefined;
  if (idleTimeout > 0) {
    c.lastActivity = Date.now();
    armIdle(c, host, idleTimeout);
  }
  try {
    for (;;) {
      if (end === buf.length) {
        // Only reached with a partial frame filling the buffer.
        if (start > 0) {
          buf.copyWithin(0, start, end);
          end -= start;
          start = 0;
        } else {
          // Grow by doubling up to this frame's size (validated below).
          const grown = new Uint8Array(
            Math.min(buf.length * 2, 4 + readLength(buf, 0)),
          );
          grown.set(buf.subarray(0, end));
          buf = grown;
        }
      }
      const have = end - start;
      const need = have < 4 ? 4 - have : 4 + readLength(buf, start) - have;
      const want = Math.min(buf.length - end, Math.max(IDLE_READ, need));
      const granted = budget.reserve(want, c.held + want > IDLE_READ);
      if (granted === 0) {
        c.starved = true;
        await budget.space();
        c.starved = false;
        if (c.closing) break;
        continue;
      }
      let n: number | null;
      try {
        n = await conn.read(buf.subarray(end, end + granted));
      } catch (e) {
        budget.release(granted);
        throw e;
      }
      budget.release(granted - (n ?? 0));
      if (n === null) {
        if (end > start) {
          const avail = end - start;
          reason = "torn-frame";
          detail = avail < 4
            ? `Connection closed mid-frame: got ${avail} of 4 length bytes`
            : `Connection closed mid-frame: got ${avail - 4} of ${
              readLength(buf, start)
            } bytes`;
          host.report(new ReceiverError("torn-frame", detail), c);
        }
        break;
      }
      end += n;
      c.held += n;
      c.rateBytes += n;
      c.info.bytes += n;
      counters.bytes += n;
      if (idleTimeout > 0) c.lastActivity = Date.now();
      while (end - start >= 4) {
        const len = readLength(buf, start);
        if (len > maxFrame) {
          reason = "frame-too-large";
          detail =
            `Frame of ${len} bytes exceeds 'maxFrameBytes' (${maxFrame}): closing the connection`;
          host.report(new ReceiverError(reason, detail), c);
          return;
        }
        if (end - start - 4 < len) break;
        // Once closing, no more records: they could no longer be taken.
        if (c.closing) return;
        while (budget.over && !c.closing) {
          // Records decoded earlier hold more heap than the bound: wait for
          // the consumer before building more.
          c.starved = true;
          await budget.space();
          c.starved = false;
        }
        if (c.closing) return;
        const body = buf.subarray(start + 4, start + 4 + len);
        start += 4 + len;
        c.held -= 4 + len;
        c.lastFrame = Date.now();
        c.partialSince = undefined;
        if (acks !== undefined) acks.frame();
        let value: unknown;
        try {
          value = loadsRecord(body, decoding(), meter);
        } catch (e) {
          budget.release(4 + len);
          c.info.framesRefused++;
          counters.framesRefused++;
          const suppressed = c.refusals.next(Date.now());
          if (suppressed !== undefined) {
            const text = refusalText("frame", len, errorText(e), suppressed);
            host.report(new ReceiverError("bad-pickle", text, { cause: e }), c);
          }
          if (acks !== undefined) acks.update();
          continue;
        }
        const record = makeLogRecordFrom(value, meter.pairs, meter.deferred);
        meter.pairs = undefined;
        c.info.records++;
        counters.records++;
        if (record.problems.length > 0) {
          counters.invalid++;
          host.report(invalidRecord(record), c);
        }
        const sender = record.extra.sender;
        if (typeof sender === "string") {
          if (acks !== undefined) acks.enable();
          if (!host.admit(record, sender, c)) {
            // A duplicate: done with, not delivered.
            budget.release(4 + len);
            if (acks !== undefined) acks.update();
            continue;
          }
        }
        if (acks !== undefined) acks.pending();
        // A record holds its frame's bytes, or its heap when that is more.
        const extra = meter.heap - (4 + len);
        if (extra > 0) budget.charge(extra);
        const wait = host.deliver(record, c, 4 + len + Math.max(0, extra));
        if (wait) await wait;
        // Unbuffered, a record is done once onRecord is.
        if (acks !== undefined && !buffered) acks.consumed();
        if (c.closing) return;
      }
      if (start === end) {
        start = end = 0;
        c.partialSince = c.rateStart = undefined;
        if (buf.length > READ_SIZE) buf = new Uint8Array(READ_SIZE);
      } else {
        if (c.partialSince === undefined) c.partialSince = Date.now();
        if (c.rateStart === undefined) {
          c.rateStart = Date.now();
          c.rateBytes = 0;
        }
        if (buf.length > READ_SIZE && end - start < READ_SIZE / 2) {
          // Give a large buffer back once its frame is done.
          const small = new Uint8Array(READ_SIZE);
          small.set(buf.subarray(start, end));
          buf = small;
          end -= start;
          start = 0;
        }
      }
    }
  } catch (e) {
    if (!c.closing) {
      reason = "read-error";
      detail = `Cannot read from the connection: ${errorText(e)}`;
      host.report(new ReceiverError(reason, detail, { cause: e }), c);
    }
  } finally {
    budget.release(c.held);
    c.held = 0;
    if (c.closing) {
      reason = c.closing;
      detail = c.closeDetail;
    } else {
      closeConn(c, reason, detail);
    }
    if (c.timer !== undefined) clearTimeout(c.timer);
    if (c.acks !== undefined) await c.acks.settled();
    host.ended(c, reason, detail);
  }
}

/**
 * The decoder's options resolved once for a connection; as `loads` would,
 * each frame is refused with the same error while they are invalid.
 */
function prepared(options: LoadsOptions): () => PreparedLoads {
  let ok: PreparedLoads;
  try {
    ok = prepareLoads(options);
  } catch (e) {
    return () => {
      throw e;
    };
  }
  return () => ok;
}

/** Closes `c` once it has had no byte for `idleTimeout` ms (paused time aside). */
function armIdle(c: Conn, host: ConnHost, delay: number): void {
  const idleTimeout = host.settings.idleTimeout;
  c.timer = setTimeout(() => {
    c.timer = undefined;
    if (c.closing) return;
    const idle = Date.now() - c.lastActivity;
    const paused = c.paused || c.starved;
    if (paused || idle < idleTimeout) {
      armIdle(c, host, paused ? idleTimeout : idleTimeout - idle);
      return;
    }
    const detail = `No data for ${idleTimeout} ms: closing the connection`;
    host.report(new ReceiverError("idle-timeout", detail), c);
    closeConn(c, "idle-timeout", detail);
  }, delay);
}
