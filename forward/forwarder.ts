// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode Forwarder}: sends the records a receiver delivers to one
 * forward target (`target.ts`), formatted as RFC 5424 syslog in octet
 * counting (`syslog.ts`) or as NDJSON (`ndjson.ts`), through the package's
 * own {@linkcode SocketEngine}: a bounded queue, reconnection with
 * jittered backoff, TLS (`transport/connect.ts`), drop accounting by
 * reason, and delivery of the queue at close and at a natural exit. Private
 * to the package.
 *
 * - {@linkcode Forwarder.prototype.push} formats the record and queues its
 *   bytes: synchronous, it never blocks and never throws, so forwarding
 *   cannot slow or stop receiving. A target that is down, slow or stalled
 *   fills its queue, up to its bounds (`maxQueueRecords`,
 *   `maxQueueBytes`); beyond them the oldest records are dropped.
 * - Nothing is sent to the target about drops (no notice record); they are
 *   counted (`stats().droppedByReason`) and reported through `onError`,
 *   at most once per kind per minute, with the number suppressed meanwhile.
 * - Delivery is at most once: records written into a connection that the
 *   target drops may be lost (neither syslog over TCP nor NDJSON
 *   acknowledges), as with any TCP log sender.
 * - Signals are left to the program (`exitSignals: false`): the CLI
 *   closes the receiver on SIGINT and SIGTERM, which closes its forwarders.
 *
 * @example Usage
 * ```ts
 * import { Forwarder } from "./forwarder.ts";
 * import { resolveForwardTarget } from "./target.ts";
 * import { makeLogRecord } from "../receiver/record.ts";
 * import { equal } from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const target = resolveForwardTarget(
 *   `ndjson+tcp://127.0.0.1:${listener.addr.port}`, "Cannot forward as", "url",
 * );
 * const forwarder = new Forwarder(target, { onError: () => {}, handleExit: false });
 * forwarder.push(makeLogRecord({ name: "app", msg: "hi", levelno: 20 }));
 * using conn = await listener.accept();
 * await forwarder.close(5000);
 * equal(forwarder.stats().sent, 1);
 * ```
 *
 * @module
 */
import { type EngineState, SocketEngine } from "../socket.ts";
import type { DropReason } from "../transport/drops.ts";
import type { FlushResult } from "../transport/flush_waiters.ts";
import { connectBudget, connectTo } from "../transport/connect.ts";
import { DEFAULTS } from "../transport/options.ts";
import type { PythonLogRecord } from "../receiver/python_log_record.ts";
import { ndjsonLine } from "./ndjson.ts";
import { receiverHostname, syslogFrame, type SyslogOptions } from "./syslog.ts";
import type { ResolvedTarget } from "./target.ts";

export type { FlushResult };

/** What one forward target has done: its connection, counts and queue. */
export interface ForwardStats {
  /** The target's URL, as given. */
  url: string;
  /** The connection's state. */
  state: EngineState;
  /** Records written to the target in full. */
  sent: number;
  /** Records dropped, all reasons. */
  dropped: number;
  /**
   * Records dropped, by reason: `overflow` (the queue was full: the
   * oldest), `oversize` (one record larger than `maxQueueBytes`),
   * `encode` (a record that could not be formatted), `closed` (still
   * queued when the receiver closed, after its deadline), `exit` (still
   * queued when the process ended), `permission` (no `--allow-net` for
   * the target), `refused` (a record the target closed the connection on
   * three times in a row).
   */
  droppedByReason: Record<DropReason, number>;
  /** Records queued or being written. */
  pending: number;
  /** Bytes of the pending records (at most the target's `maxQueueBytes`). */
  pendingBytes: number;
  /** Connections made to the target. */
  connects: number;
  /** The last problem, if any. */
  lastError: string | undefined;
}

/** How a {@linkcode Forwarder} reports and ends. */
export interface ForwarderOptions {
  /**
   * Receives the forwarder's problems (connect failures, drops), at most
   * once per kind per minute; the message starts with the target's URL.
   * Exceptions it throws are ignored.
   */
  onError: (error: Error) => void;
  /**
   * Whether a natural exit of the process waits (up to 2000 ms) for the
   * queue, and counts what is left as `exit`.
   *
   * @default {true}
   */
  handleExit?: boolean;
}

/** Least milliseconds between two reports of drops of one reason. */
const REPORT_INTERVAL = DEFAULTS.errorInterval;

/** Drop reasons the engine does not report itself. */
const REPORTED_HERE: readonly DropReason[] = ["overflow", "oversize"];

/** One forward target's queue and connection. */
export class Forwarder {
  #url: string;
  #engine: SocketEngine;
  #encode: (record: PythonLogRecord) => Uint8Array;
  /** The queue's bounds, for the messages. */
  #limits: [number, number];
  /** Drops reported here, by reason, and when they were last reported. */
  #dropped: Partial<Record<DropReason, number>> = {};
  #reportedAt: Partial<Record<DropReason, number>> = {};

  /**
   * Creates the forwarder; it connects when the first record comes.
   *
   * @param target The validated target.
   * @param options Where problems go, and exit handling.
   */
  constructor(target: ResolvedTarget, options: ForwarderOptions) {
    const url = this.#url = target.url;
    if (target.format === "syslog") {
      const syslog: SyslogOptions = {
        facility: target.facility,
        hostname: receiverHostname(),
      };
      this.#encode = (record) => syslogFrame(record, syslog);
    } else this.#encode = ndjsonLine;
    const address = {
      hostname: target.hostname,
      port: target.port,
      path: undefined,
      tls: target.tls,
      connectTimeout: DEFAULTS.connectTimeout,
    };
    const onError = options.onError;
    this.#engine = new SocketEngine({
      connect: (signal) => connectTo(address, signal),
      connectTimeout: connectBudget(address),
      maxQueueRecords: target.maxQueueRecords,
      maxQueueBytes: target.maxQueueBytes,
      maxRecordBytes: target.maxQueueBytes,
      resendWindow: target.resendWindow,
      exitSignals: false,
      handleExit: options.handleExit ?? true,
      onError: (error) => {
        try {
          onError(
            new Error(
              `${url}: ${
                error.message.replaceAll("the log receiver", "the target")
              }`,
              { cause: error },
            ),
          );
        } catch {
          // a throwing onError must not break forwarding
        }
      },
      onDrop: (reason, count) => {
        if (REPORTED_HERE.includes(reason)) this.#reportDrop(reason, count);
      },
    });
    this.#limits = [target.maxQueueRecords, target.maxQueueBytes];
  }

  /**
   * Reports drops the engine counts without reporting: at most one report
   * per reason per {@linkcode REPORT_INTERVAL} (a full queue drops a record
   * per record pushed), with the total so far.
   */
  #reportDrop(reason: DropReason, count: number): void {
    const total = (this.#dropped[reason] ?? 0) + count;
    this.#dropped[reason] = total;
    const now = Date.now();
    if (now - (this.#reportedAt[reason] ?? -Infinity) < REPORT_INTERVAL) {
      return;
    }
    this.#reportedAt[reason] = now;
    const [records, bytes] = this.#limits;
    const what = reason === "overflow"
      ? `its queue is full (maxQueueRecords ${records}, maxQueueBytes ${bytes}): dropped the oldest`
      : `it is larger than the queue (maxQueueBytes ${bytes}): dropped`;
    this.#engine.reportError(
      new Error(
        `Cannot keep ${
          count === 1 ? "a record" : `${count} records`
        } for the target as ${what} (${total} dropped as ${reason} so far)`,
      ),
      reason,
    );
  }

  /** The target's URL, as given. */
  get url(): string {
    return this.#url;
  }

  /**
   * Formats a record and queues it for the target: synchronous, never
   * blocks, never throws. A record that cannot be formatted is counted
   * (`encode`) and reported.
   *
   * @param record The record.
   */
  push(record: PythonLogRecord): void {
    let frame: Uint8Array;
    try {
      frame = this.#encode(record);
    } catch (e) {
      this.#engine.countDrop("encode");
      this.#engine.reportError(
        new Error(
          `Cannot format a record for the target as formatting failed: ${
            e instanceof Error ? e.message : String(e)
          }`,
        ),
        "encode",
      );
      return;
    }
    this.#engine.enqueue(frame);
  }

  /**
   * Waits until the records queued before the call are sent or dropped, or
   * the deadline passes. Never rejects.
   *
   * @param timeout Deadline in milliseconds (default: none).
   * @returns The counts of the wait.
   */
  flush(timeout?: number): Promise<FlushResult> {
    return this.#engine.flush(timeout);
  }

  /**
   * Delivers the queue, up to `timeout` ms, then closes the connection;
   * what is left is dropped (`closed`) and reported. Never rejects.
   *
   * @param timeout Deadline in milliseconds.
   * @returns The counts of the close.
   */
  close(timeout: number): Promise<FlushResult> {
    return this.#engine.close(timeout);
  }

  /**
   * A snapshot of the target's counts.
   *
   * @returns The statistics.
   */
  stats(): ForwardStats {
    const s = this.#engine.stats();
    return {
      url: this.#url,
      state: s.state,
      sent: s.sent,
      dropped: s.dropped,
      droppedByReason: s.droppedByReason,
      pending: s.pendingRecords,
      pendingBytes: s.pendingBytes,
      connects: s.connects,
      lastError: s.lastError,
    };
  }
}
