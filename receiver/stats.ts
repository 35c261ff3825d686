// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * What a receiver tells about its connections and counts: the
 * {@linkcode ConnectionInfo} given to callbacks, and the counters of
 * `LogReceiver.prototype.stats` ({@linkcode ReceiverStats}).
 *
 * @module
 */
import type { CloseReason } from "./errors.ts";
import type { ForwardStats } from "../forward/forwarder.ts";

export type { ForwardStats };

/** Identifies one accepted connection in callbacks and stats. */
export interface ConnectionInfo {
  /** Sequence number of the connection (1, 2, …) within this receiver. */
  readonly id: number;
  /** The peer's address (`transport` `"unix"` for Unix sockets). */
  readonly remoteAddr: Deno.Addr;
}

/** Counters of one connection. */
export interface ConnectionStats extends ConnectionInfo {
  /** Records received. */
  records: number;
  /** Bytes received. */
  bytes: number;
  /** Problems reported (`onError` calls). */
  errors: number;
  /** Frames skipped as their pickle could not be decoded. */
  framesRefused: number;
  /**
   * With `ack: true`: the count of the last acknowledgement written
   * completely (frames read from it and done with); 0 before the first.
   */
  acked: number;
  /** When it was accepted (ms since the epoch). */
  openedAt: number;
  /** Why it ended; `undefined` while open. */
  closeReason: CloseReason | undefined;
  /** Detail of a non-`eof` end. */
  closeDetail: string | undefined;
}

/**
 * What a receiver tells of the records stamped with `sender` and `seq`
 * (senders with `sequence: true`).
 */
export interface SequenceStats {
  /** Senders tracked now (at most 10,000). */
  senders: number;
  /** Gaps open now: not filled, not announced yet. */
  gaps: number;
  /**
   * Records announced missing (gaps open for `gapTimeout` ms, or at close,
   * or of a forgotten sender), less those that came late.
   */
  missing: number;
  /** Records not delivered as their (sender, seq) was already seen. */
  duplicates: number;
  /** Records delivered after their gap was announced. */
  late: number;
}

/** Counters of a {@linkcode LogReceiver}. */
export interface ReceiverStats {
  /**
   * Records received (delivered, buffered, or not delivered as
   * duplicates).
   */
  records: number;
  /** Bytes received. */
  bytes: number;
  /** Problems reported through `onError`. */
  errors: number;
  /** Records delivered with non-empty `problems`. */
  invalidRecords: number;
  /**
   * Frames (and datagrams) skipped as their pickle could not be decoded;
   * the connection stays open.
   */
  framesRefused: number;
  /** Connections currently open. */
  connectionsOpen: number;
  /** Connections accepted so far. */
  connectionsTotal: number;
  /** Count of ended connections by reason. */
  closedReasons: { [reason in CloseReason]?: number };
  /** Records waiting in the buffer. */
  buffered: number;
  /**
   * Bytes held now: partial frames being assembled plus records not yet
   * consumed, plus the space reserved for reads in progress (up to 16 KiB
   * per idle connection); ≤ `maxBufferedBytes`.
   */
  bufferedBytes: number;
  /** Most bytes ever held (≤ `maxBufferedBytes`). */
  bufferedBytesHighWater: number;
  /** UDP only: datagrams received (valid or not). */
  datagrams: number;
  /** UDP only: records dropped because the buffer was full. */
  datagramsDropped: number;
  /** Most records ever waiting in the buffer (≤ `maxBuffered`). */
  bufferedHighWater: number;
  /**
   * Records stamped with `sender` and `seq` (senders with
   * `sequence: true`): senders tracked, gaps open, records missing,
   * duplicates suppressed and records that came late.
   */
  sequence: SequenceStats;
  /** With `ack: true`: acknowledgement frames written. */
  acksWritten: number;
  /**
   * The forward targets (option `forward`), in the order given: URL,
   * connection state, records sent, dropped (and why) and pending; none
   * without the option.
   */
  forward: ForwardStats[];
  /** Open connections. */
  connections: ConnectionStats[];
  /** The last 100 ended connections, oldest first. */
  recentlyClosed: ConnectionStats[];
}

/** The receiver-wide counters that the reading code updates. */
export interface Counters {
  /** Records decoded. */
  records: number;
  /** Bytes read. */
  bytes: number;
  /** Problems reported. */
  errors: number;
  /** Records with problems. */
  invalid: number;
  /** Frames refused by the decoder. */
  framesRefused: number;
  /** Datagrams received. */
  datagrams: number;
  /** Datagrams whose record was dropped. */
  datagramsDropped: number;
  /** Acknowledgements written. */
  acks: number;
}

/**
 * A new set of counters, all 0.
 *
 * @returns The counters.
 */
export function newCounters(): Counters {
  return {
    records: 0,
    bytes: 0,
    errors: 0,
    invalid: 0,
    framesRefused: 0,
    datagrams: 0,
    datagramsDropped: 0,
    acks: 0,
  };
}
