// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode LogReceiver}: wires the parts of a receiver together. It
 * validates its options (`options.ts`), listens (`listeners.ts`), serves
 * each connection (`conn.ts`) or datagram (`udp.ts`), delivers records to
 * `onRecord` and the buffer (`buffer.ts`), counts, and closes. It also
 * enforces the limits against hostile senders: the byte budget shared by
 * all connections (`byte_budget.ts`), eviction of the longest-idle
 * connection at `maxConnections` and a periodic sweep closing slow ones
 * (`limits.ts`). Records stamped with `sender` and `seq` go through the
 * sequence tracking (`sequence.ts`), whose announcements of missing
 * records become WARNING records (`gap_warning.ts`); with `ack: true`,
 * stream connections are acknowledged (`acks.ts`); with `forward`, every
 * record delivered is also queued for each forward target
 * (`../forward/forwarder.ts`).
 *
 * @module
 */
import { type AckWriter, ConnAcks } from "./acks.ts";
import { Lane, type NextOptions, RecordBuffer } from "./buffer.ts";
import { ByteBudget } from "./byte_budget.ts";
import { longestIdle, slowness, sweepInterval } from "./limits.ts";
import {
  closeConn,
  type Conn,
  type ConnHost,
  newConn,
  type ReadConn,
  serveConn,
} from "./conn.ts";
import { type CloseReason, errorText, ReceiverError } from "./errors.ts";
import { listen, type Listening } from "./listeners.ts";
import {
  type LogReceiverOptions,
  resolveOptions,
  type Settings,
} from "./options.ts";
import type { PythonLogRecord } from "./python_log_record.ts";
import {
  type ConnectionInfo,
  type ConnectionStats,
  type Counters,
  newCounters,
  type ReceiverStats,
} from "./stats.ts";
import { type DatagramHost, receiveDatagram } from "./udp.ts";
import { RefusalReports } from "./refusals.ts";
import { type GapNotice, SequenceTracker } from "./sequence.ts";
import { gapWarning } from "./gap_warning.ts";
import { Forwarder } from "../forward/forwarder.ts";

/** How many ended connections `stats()` lists. */
const RECENT_CLOSED = 100;

/** Default deadline of `close()` for the forward targets' queues, in ms. */
const FORWARD_CLOSE_TIMEOUT = 2000;

/**
 * A server for Python `SocketHandler` frames over TCP or a Unix socket.
 *
 * It listens as soon as it is constructed and delivers records through an
 * async iterator (`for await (const record of receiver)`), through
 * {@linkcode LogReceiver.prototype.next} (convenient in tests), and/or
 * through the `onRecord` callback. Several iterators share one stream:
 * each record goes to one of them. Leaving a `for await` loop does not
 * close the receiver.
 *
 * Pickled objects (datetime, Decimal, enum members, dataclasses, a
 * `logging.Logger`…) arrive as inert `PyObject` placeholders: nothing is
 * imported or called. A frame is the unit of failure: one whose pickle
 * cannot be decoded is skipped, counted (`framesRefused`) and reported
 * (rate limited), and its connection stays open. Each connection has its
 * own reading task; a problem of the connection itself (oversized length,
 * torn frame, idle timeout, reset) closes that connection only, is reported
 * to `onError`, and counted in {@linkcode LogReceiver.prototype.stats}.
 *
 * Limits on by default keep hostile or broken senders from locking out
 * the others: at most `maxBufferedBytes` (64 MiB) held across connections
 * in partial frames and unconsumed records (reading pauses beyond it); at
 * `maxConnections` (512) a new connection evicts an idle one; a
 * connection holding a partial frame below `minReadRate` (1024 B/s) or for
 * longer than `frameTimeout` (30 s) is closed as `slow`.
 *
 * **At-least-once delivery.** Records stamped by a sender with
 * `sequence: true` (attributes `sender`, a str, and `seq`, 1, 2, 3, … per
 * sender) are tracked per sender, over all connections and datagrams: a
 * (sender, seq) already seen in this receiver's run is not delivered
 * (`stats().sequence.duplicates`); records may arrive out of order; a gap
 * in the numbers still open after `gapTimeout` (2000 ms) is announced by a
 * WARNING record from logger `pylogging.receiver` (`missing 3 records from
 * sender h:12:1a2b3c4d, seq 41–43`, with attributes `sender`, `missing`,
 * `seqFirst`, `seqLast`) in the record stream, and counted
 * (`sequence.missing`); a record that then arrives is delivered and
 * counted `late`. A sender's first record starts its range: history from
 * before the receiver started is not reported missing. Gaps still open at
 * `close()` are announced then. With `ack: true` the receiver writes
 * acknowledgements back on stream connections whose records carry a str
 * `sender` (see {@linkcode LogReceiverOptions.ack}), so that the sender
 * re-sends, on its next connection, what the receiver had not taken.
 *
 * **Forwarding.** With `forward`, every record delivered is also sent to
 * existing log engines, as RFC 5424 syslog (`syslog+tcp://`,
 * `syslog+tls://`) or NDJSON (`ndjson+tcp://`, `ndjson+tls://`), each
 * target through its own bounded queue, never blocking receiving (see
 * {@linkcode LogReceiverOptions.forward}).
 *
 * @example Usage
 * ```ts
 * import { LogReceiver } from "@pylogging/socket-handler/receiver";
 * import { dumpsFrame } from "@pylogging/socket-handler/pickle";
 * import { equal } from "node:assert/strict";
 *
 * await using receiver = new LogReceiver({ port: 0 });
 * using conn = await Deno.connect({ port: receiver.port });
 * const frame = dumpsFrame({ name: "app", msg: "hi", levelno: 20, levelname: "INFO" });
 * await conn.write(frame);
 * const [record] = await receiver.next(1, { timeout: 5000 });
 * equal(record!.getMessage(), "hi");
 * equal(record!.levelname, "INFO");
 * ```
 */
export class LogReceiver
  implements AsyncDisposable, AsyncIterable<PythonLogRecord> {
  #settings: Settings;
  #listening: Listening;
  #buffer: RecordBuffer;
  #budget: ByteBudget;
  #sweep: ReturnType<typeof setInterval> | undefined;
  #lastSweep = Date.now();
  #counters: Counters = newCounters();
  #conns = new Map<number, Conn>();
  #tasks = new Set<Promise<void>>();
  #nextId = 0;
  #closing = false;
  #closed: Promise<void> | undefined;
  #closedReasons: { [reason in CloseReason]?: number } = {};
  #recent: ConnectionStats[] = [];
  #sequence: SequenceTracker;
  /** The receiver's own records (missing-record warnings). */
  #notices = new Lane();
  /** What the code serving connections and datagrams sees of this receiver. */
  #host: ConnHost & DatagramHost;
  /** The forward targets (option `forward`), if any. */
  #forwarders: Forwarder[] | undefined;

  /**
   * Starts listening.
   *
   * @param options Address, limits and callbacks.
   * @throws {Deno.errors.AddrInUse} The address is in use.
   * @throws {RangeError} A limit is not a positive integer.
   */
  constructor(options: LogReceiverOptions = {}) {
    const settings = resolveOptions(options);
    this.#settings = settings;
    const budget = new ByteBudget(settings.maxBufferedBytes);
    this.#budget = budget;
    this.#buffer = new RecordBuffer(
      settings.maxBuffered,
      (bytes) => budget.releaseRecord(bytes),
    );
    this.#sequence = new SequenceTracker(
      settings.gapTimeout,
      (notice) => this.#announce(notice),
      () => !settings.buffer || this.#buffer.size < settings.maxBuffered,
    );
    const sequence = this.#sequence;
    this.#host = {
      settings,
      counters: this.#counters,
      budget,
      refusals: new RefusalReports(),
      report: (error, c) => this.#report(error, c),
      admit: (record, sender, c) =>
        sequence.admit(sender, record.extra.seq, c.info),
      deliver: (record, c, bytes) => this.#deliver(record, c, bytes),
      ended: (c, reason, detail) => this.#ended(c, reason, detail),
      notify: (error, from) => this.#notify(error, from),
      offer: (record, from) => this.#offer(record, from),
    };
    this.#listening = listen(settings.at, {
      closing: () => this.#closing,
      connection: (conn) => this.#accepted(conn),
      exhausted: () => this.#evict("Out of file descriptors"),
      datagram: (msg, from) => {
        if (!this.#closing) receiveDatagram(msg, from, this.#host);
      },
      error: (error) => this.#notify(error, undefined),
    });
    if (settings.forward.length > 0) {
      this.#forwarders = settings.forward.map((target) =>
        new Forwarder(target, {
          onError: (error) =>
            this.#notify(
              new ReceiverError("forward", error.message, {
                cause: error.cause,
              }),
              undefined,
            ),
        })
      );
    }
    const every = sweepInterval(settings);
    if (every > 0 && settings.at.transport !== "udp") {
      this.#sweep = setInterval(() => this.#closeSlow(), every);
      Deno.unrefTimer(this.#sweep);
    }
  }

  /**
   * Resolves once the receiver is bound. Immediate for TCP, TLS without
   * client certificates and Unix sockets; with `udp` or `tls.caCerts`,
   * `addr` and `port` are known only after it resolves. Rejects if binding
   * failed (e.g. the address is in use).
   *
   * @returns A promise that resolves when listening.
   */
  get ready(): Promise<void> {
    return this.#listening.ready;
  }

  /**
   * The bound address (`transport` `"tcp"`, `"udp"` or `"unix"`). With
   * `udp` or `tls.caCerts`, read it after {@linkcode LogReceiver.prototype.ready}.
   *
   * @throws {Error} If the receiver is not bound yet.
   */
  get addr(): Deno.NetAddr | Deno.UnixAddr {
    const addr = this.#listening.addr();
    if (addr === undefined) {
      throw new Error(
        "Cannot read the address as the receiver is not bound yet: await 'ready' first",
      );
    }
    return addr;
  }

  /**
   * The bound TCP or UDP port (useful with `port: 0`); 0 for a Unix socket,
   * and 0 before {@linkcode LogReceiver.prototype.ready} with `udp` or
   * `tls.caCerts`.
   */
  get port(): number {
    const a = this.#listening.addr();
    return a !== undefined && (a.transport === "tcp" || a.transport === "udp")
      ? a.port
      : 0;
  }

  /** Number of records waiting in the buffer. */
  get buffered(): number {
    return this.#buffer.size;
  }

  /** Whether {@linkcode LogReceiver.prototype.close} has been called. */
  get closed(): boolean {
    return this.#closing;
  }

  /**
   * Returns the counters, total and per connection.
   *
   * @returns A snapshot of the counters.
   */
  stats(): ReceiverStats {
    const connections: ConnectionStats[] = [];
    for (const c of this.#conns.values()) connections.push({ ...c.info });
    const n = this.#counters;
    return {
      records: n.records,
      bytes: n.bytes,
      errors: n.errors,
      invalidRecords: n.invalid,
      framesRefused: n.framesRefused,
      connectionsOpen: this.#conns.size,
      connectionsTotal: this.#nextId,
      closedReasons: { ...this.#closedReasons },
      buffered: this.buffered,
      bufferedBytes: this.#budget.used,
      bufferedBytesHighWater: this.#budget.highWater,
      datagrams: n.datagrams,
      datagramsDropped: n.datagramsDropped,
      bufferedHighWater: this.#buffer.highWater,
      sequence: this.#sequence.stats,
      acksWritten: n.acks,
      forward: this.#forwarders?.map((f) => f.stats()) ?? [],
      connections,
      recentlyClosed: this.#recent.map((c) => ({ ...c })),
    };
  }

  /**
   * Waits for the next `count` records (from the buffer first).
   *
   * @param count How many records, at least 1.
   * @param options Timeout and abort signal.
   * @returns The records, in arrival order.
   * @throws {ReceiveTimeoutError} Fewer records arrived within `timeout`
   * (its `records` holds them; they are not returned to the buffer).
   * @throws {Error} The receiver closed before `count` records arrived.
   * @throws {TypeError} Buffering is off (`onRecord` without `buffer`).
   *
   * @example Usage
   * ```ts ignore
   * const records = await receiver.next(3, { timeout: 2000 });
   * ```
   */
  next(count = 1, options: NextOptions = {}): Promise<PythonLogRecord[]> {
    if (!this.#settings.buffer) {
      return Promise.reject(
        new TypeError(
          "Cannot wait for records as buffering is off: pass 'buffer: true' with 'onRecord'",
        ),
      );
    }
    if (!(count >= 1) || !Number.isInteger(count)) {
      return Promise.reject(
        new RangeError(
          `Cannot wait for records as 'count' must be a positive integer: current value is ${count}`,
        ),
      );
    }
    return this.#buffer.next(count, options);
  }

  /**
   * Iterates over records as they arrive; ends after
   * {@linkcode LogReceiver.prototype.close} once the buffer is empty.
   *
   * @returns An async iterator of records.
   */
  [Symbol.asyncIterator](): AsyncIterator<PythonLogRecord> {
    if (this.#settings.buffer) return this.#buffer.iterator();
    // Buffering is off: there is nothing to iterate over.
    const done = (): Promise<IteratorResult<PythonLogRecord>> =>
      Promise.resolve({ value: undefined, done: true });
    return { next: done, return: done };
  }

  /**
   * Stops accepting, closes every connection, ends the iterators (after
   * the buffered records) and rejects pending `next()` calls. Resolves once
   * every internal task has ended. Records decoded but not yet buffered
   * (waiting for space) are dropped. In-flight `onRecord` promises are
   * awaited, so a callback that never settles keeps `close()` pending.
   * Gaps in senders' `seq` numbers still open are announced first (counted
   * missing; their WARNING records still reach `onRecord` and the
   * iterators). With `forward`, once every connection has ended, each
   * target is given up to `timeout` ms to receive its queue; what is left
   * is dropped, counted (`stats().forward`) and reported. Safe to call more
   * than once (the first call's `timeout` applies).
   *
   * @param timeout Milliseconds the forward targets may take to receive
   * their queues (2000 by default; `Infinity` waits until they do).
   * @returns A promise that resolves when everything is closed.
   * @throws {RangeError} `timeout` is not a non-negative number (the
   * promise rejects; nothing is closed).
   */
  close(timeout: number = FORWARD_CLOSE_TIMEOUT): Promise<void> {
    if (this.#closed) return this.#closed;
    if (typeof timeout !== "number" || !(timeout >= 0)) {
      return Promise.reject(
        new RangeError(
          `Cannot close the receiver as 'timeout' must be a non-negative number of milliseconds: current value is ${
            String(timeout)
          }`,
        ),
      );
    }
    this.#sequence.close();
    this.#closing = true;
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#listening.close();
    for (const c of this.#conns.values()) closeConn(c, "receiver-closed");
    this.#buffer.close();
    this.#budget.wakeAll();
    this.#closed = (async () => {
      await this.#listening.stopped;
      while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
      this.#listening.release();
      const forwarders = this.#forwarders;
      if (forwarders !== undefined) {
        await Promise.all(forwarders.map((f) => f.close(timeout)));
      }
    })();
    return this.#closed;
  }

  /**
   * Same as {@linkcode LogReceiver.prototype.close}.
   *
   * @returns A promise that resolves when everything is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Counts a problem and hands it to `onError` (which must not throw). */
  #notify(error: ReceiverError, from: ConnectionInfo | undefined): void {
    this.#counters.errors++;
    try {
      this.#settings.onError(error, from);
    } catch {
      // a throwing onError must not break the receiver
    }
  }

  /** Reports a problem of a connection, also counted on it. */
  #report(error: ReceiverError, c: Conn): void {
    c.info.errors++;
    this.#notify(error, c.info);
  }

  /**
   * A new connection: served; at `maxConnections` it first evicts the
   * longest-idle one.
   */
  #accepted(conn: ReadConn): void {
    const c = newConn(++this.#nextId, conn);
    if (this.#settings.ack && conn.write !== undefined) {
      const acks = new ConnAcks(conn as AckWriter, c.info, this.#counters);
      c.acks = acks;
      if (this.#settings.buffer) c.lane.onTaken = () => acks.consumed();
    }
    const max = this.#settings.maxConnections;
    let open = 0;
    for (const o of this.#conns.values()) if (!o.closing) open++;
    if (open >= max) {
      this.#evict(`${max} connections ('maxConnections') are open`);
    }
    this.#conns.set(c.info.id, c);
    const task = serveConn(c, this.#host).finally(() =>
      this.#tasks.delete(task)
    );
    this.#tasks.add(task);
  }

  /** Closes a connection to make room (see {@linkcode longestIdle}). */
  #evict(why: string): void {
    const victim = longestIdle(this.#conns.values());
    if (victim === undefined) return;
    const idle = Date.now() - victim.lastFrame;
    const detail = victim.info.records === 0
      ? `${why}: evicted the oldest connection that has not delivered a record (open for ${idle} ms)`
      : `${why}: evicted the connection without a complete frame for the longest time (${idle} ms)`;
    this.#report(new ReceiverError("evicted", detail), victim);
    closeConn(victim, "evicted", detail);
    this.#budget.wakeAll();
  }

  /** The sweep: closes the connections too slow with a partial frame. */
  #closeSlow(): void {
    const now = Date.now();
    const elapsed = now - this.#lastSweep;
    this.#lastSweep = now;
    const recordsHeld = this.#budget.recordBytes > 0;
    let closed = false;
    for (const c of this.#conns.values()) {
      const detail = slowness(c, now, elapsed, this.#settings, recordsHeld);
      if (detail === undefined) continue;
      this.#report(new ReceiverError("slow", detail), c);
      closeConn(c, "slow", detail);
      closed = true;
    }
    if (closed) this.#budget.wakeAll();
  }

  /** A connection has ended: counted, kept among the recent, `onClose`. */
  #ended(c: Conn, reason: CloseReason, detail: string | undefined): void {
    this.#conns.delete(c.info.id);
    c.info.closeReason = reason;
    c.info.closeDetail = detail;
    this.#closedReasons[reason] = (this.#closedReasons[reason] ?? 0) + 1;
    this.#recent.push(c.info);
    if (this.#recent.length > RECENT_CLOSED) this.#recent.shift();
    try {
      this.#settings.onClose?.(c.info, reason);
    } catch {
      // ignored
    }
  }

  /**
   * Hands a record out: queues it for the forward targets, if any, then
   * calls `onRecord`, reporting a throw or rejection (on connection `c`,
   * if any).
   *
   * @returns The callback's promise (settled without rejection), if any.
   */
  #handOut(
    record: PythonLogRecord,
    from: ConnectionInfo,
    c: Conn | undefined,
  ): Promise<void> | undefined {
    const forwarders = this.#forwarders;
    if (forwarders !== undefined) {
      for (let i = 0; i < forwarders.length; i++) forwarders[i]!.push(record);
    }
    const onRecord = this.#settings.onRecord;
    if (!onRecord) return undefined;
    try {
      const r = onRecord(record, from);
      if (r && typeof (r as Promise<void>).then === "function") {
        return (r as Promise<void>).then(
          undefined,
          (e) =>
            this.#callbackError(`onRecord failed: ${errorText(e)}`, e, from, c),
        );
      }
    } catch (e) {
      this.#callbackError(`onRecord threw: ${errorText(e)}`, e, from, c);
    }
    return undefined;
  }

  #callbackError(
    text: string,
    cause: unknown,
    from: ConnectionInfo,
    c: Conn | undefined,
  ): void {
    const error = new ReceiverError("callback-error", text, { cause });
    if (c) this.#report(error, c);
    else this.#notify(error, from);
  }

  /**
   * Delivers a connection's record, whose `bytes` are reserved in the
   * budget until it leaves the buffer; a promise when reading must wait.
   */
  #deliver(
    record: PythonLogRecord,
    c: Conn,
    bytes: number,
  ): Promise<void> | undefined {
    const pending = this.#handOut(record, c.info, c);
    if (!this.#settings.buffer) {
      this.#budget.release(bytes);
      return pending;
    }
    this.#budget.toRecord(bytes);
    if (!pending && this.#buffer.push(record, bytes, c.lane)) return undefined;
    return this.#pushLater(record, c, pending, bytes);
  }

  /** Buffers a record once `onRecord` is done and there is space. */
  async #pushLater(
    record: PythonLogRecord,
    c: Conn,
    pending: Promise<void> | undefined,
    bytes: number,
  ): Promise<void> {
    if (pending) await pending;
    while (!this.#buffer.push(record, bytes, c.lane)) {
      if (this.#closing || c.closing) {
        // Decoded before the close: still delivered (over the bound by at
        // most one record per connection).
        this.#buffer.push(record, bytes, c.lane, true);
        return;
      }
      c.paused = true;
      await this.#buffer.space();
      c.paused = false;
      if (this.#settings.idleTimeout > 0) c.lastActivity = Date.now();
    }
  }

  /**
   * Announces missing records: a WARNING record to `onRecord` and the
   * buffer, even when full (the timer waits for room; an arriving record
   * that announces then waits for room itself, pausing its connection).
   */
  #announce(notice: GapNotice): void {
    const record = gapWarning(notice);
    void this.#handOut(record, notice.from, undefined);
    if (this.#settings.buffer) {
      this.#buffer.push(record, 0, this.#notices, true);
    }
  }

  /** Delivers a datagram's record; `false` when the buffer was full. */
  #offer(record: PythonLogRecord, from: ConnectionInfo): boolean {
    const buffered = this.#settings.buffer;
    // A record the full buffer drops is not tracked: its number is missing.
    const full = buffered && this.#buffer.size >= this.#settings.maxBuffered;
    const sender = record.extra.sender;
    if (
      typeof sender === "string" && !full &&
      !this.#sequence.admit(sender, record.extra.seq, from)
    ) return true;
    void this.#handOut(record, from, undefined);
    return !buffered || this.#buffer.push(record);
  }
}
