// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The connection lifecycle: one connect attempt bounded by a timeout
 * (abandoned, and its late connection closed, even when the factory ignores
 * the abort signal), the read side of an open connection (a dead peer shows
 * as EOF or an error there; incoming bytes are ignored for now, a later
 * protocol may read acknowledgements), and closing. Durations are in
 * milliseconds. Private to the package.
 *
 * @module
 */
import { type EngineClock, startTimer } from "./clock.ts";
import { messageOf } from "./errors.ts";

/**
 * What the engine needs of a connection. `Deno.Conn` (TCP, TLS, Unix) is
 * one; the datagram transport wraps a `node:dgram` socket as one.
 */
export interface Connection {
  /**
   * Reads into `p`.
   *
   * @param p The buffer.
   * @returns The number of bytes read, or null at EOF.
   */
  read(p: Uint8Array): Promise<number | null>;
  /**
   * Writes some or all of `p`.
   *
   * @param p The bytes.
   * @returns The number of bytes written.
   */
  write(p: Uint8Array): Promise<number>;
  /** Closes the connection; a pending read or write then rejects. */
  close(): void;
  /** Lets the connection keep the process alive. */
  ref?(): void;
  /** Stops the connection from keeping the process alive. */
  unref?(): void;
}

/** Options of {@linkcode Connector}. */
export interface ConnectorOptions<C extends Connection> {
  /** The connection factory; it should honour `signal`. */
  connect: (signal: AbortSignal) => Promise<C>;
  /** Timeout of one attempt, in milliseconds. */
  connectTimeout: number;
  /** The clock. */
  clock: EngineClock;
  /** Called when the peer of the open connection is gone (EOF or error on its read side). */
  onPeerGone: (conn: C, reason: string) => void;
}

/** Opens, watches and closes the engine's connection. */
export class Connector<C extends Connection> {
  /** The open connection. */
  conn: C | undefined;
  /** Whether the open connection proved good (it delivered a whole batch). */
  proven = false;
  #options: ConnectorOptions<C>;
  #abort: AbortController | undefined;
  #readers = new Set<Promise<void>>();
  #readBuf = new Uint8Array(512);

  /**
   * Creates the connector.
   *
   * @param options Factory, timeout, clock and the dead-peer callback.
   */
  constructor(options: ConnectorOptions<C>) {
    this.#options = options;
  }

  /**
   * Makes one connection attempt, aborted after `connectTimeout`. A
   * connection that arrives after the abort is closed.
   *
   * @returns The connection, not yet open (see {@linkcode Connector.prototype.open}).
   * @throws The factory's error, or the abort reason (a `TimeoutError` DOMException on timeout).
   */
  async attempt(): Promise<C> {
    const { connect, connectTimeout, clock } = this.#options;
    const ac = new AbortController();
    this.#abort = ac;
    const timer = startTimer(
      clock,
      () =>
        ac.abort(
          new DOMException(
            `Connect timed out after ${connectTimeout} ms`,
            "TimeoutError",
          ),
        ),
      connectTimeout,
      false,
    );
    try {
      return await new Promise<C>((resolve, reject) => {
        const onAbort = () => reject(ac.signal.reason);
        ac.signal.addEventListener("abort", onAbort, { once: true });
        let p: Promise<C>;
        try {
          p = Promise.resolve(connect(ac.signal));
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then((c) => {
          ac.signal.removeEventListener("abort", onAbort);
          if (ac.signal.aborted) {
            closeQuietly(c); // too late: the attempt was abandoned
            return;
          }
          resolve(c);
        }, (e) => {
          ac.signal.removeEventListener("abort", onAbort);
          reject(e);
        });
      });
    } finally {
      clock.clearTimeout(timer);
      this.#abort = undefined;
    }
  }

  /**
   * Aborts the attempt in progress, if any.
   *
   * @param reason The abort reason.
   */
  abort(reason: unknown): void {
    this.#abort?.abort(reason);
  }

  /**
   * Makes `conn` the open connection and starts reading from it: EOF or a
   * read error calls `onPeerGone`. The connection and its read do not keep
   * the process alive.
   *
   * @param conn A connection from {@linkcode Connector.prototype.attempt}.
   */
  open(conn: C): void {
    this.conn = conn;
    this.proven = false;
    try {
      (conn as unknown as Deno.TcpConn).setNoDelay?.(true);
    } catch { /* not TCP */ }
    try {
      conn.unref?.();
    } catch { /* ignore */ }
    const buf = this.#readBuf;
    const reader = (async () => {
      let reason = "the receiver closed the connection";
      try {
        while ((await conn.read(buf)) !== null) { /* ignored */ }
      } catch (e) {
        reason = messageOf(e);
      }
      if (this.conn === conn) this.#options.onPeerGone(conn, reason);
    })().catch(() => {});
    this.#readers.add(reader);
    reader.finally(() => this.#readers.delete(reader));
  }

  /**
   * Closes a connection, and forgets it if it is the open one.
   *
   * @param conn The connection.
   */
  close(conn: C): void {
    if (this.conn === conn) {
      this.conn = undefined;
      this.proven = false;
    }
    try {
      // Re-ref so that the cancelled read settles before the event loop
      // may exit (the engine's close() waits for it).
      conn.ref?.();
    } catch { /* already closed */ }
    closeQuietly(conn);
  }

  /**
   * Waits until the reads of every connection opened so far have ended.
   *
   * @returns Resolves when they have.
   */
  async readersDone(): Promise<void> {
    await Promise.allSettled([...this.#readers]);
  }
}

function closeQuietly(conn: Connection): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
