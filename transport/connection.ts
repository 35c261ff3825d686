// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The connection lifecycle: connect attempts bounded by a timeout (an
 * attempt is abandoned, and its late connection closed, even when the
 * factory ignores the abort signal) and spaced by the backoff schedule; a
 * refused net permission that stops all further attempts; the read side of
 * an open connection (a dead peer shows as EOF or an error there; incoming
 * bytes go to the engine, which reads acknowledgements from them);
 * the loss of a connection (reconnect at once if it proved good, else back
 * off); and shutdown's last chance. Durations are in milliseconds. Private
 * to the package.
 *
 * @module
 */
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { type EngineClock, startDeadline } from "./clock.ts";
import { isPermissionError, messageOf } from "./errors.ts";

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

/** What the connector tells the engine. */
export interface ConnectorHooks<C extends Connection> {
  /**
   * Whether the engine is closed: a late connection is then closed and a
   * failure is not reported.
   *
   * @returns True once closed.
   */
  closed(): boolean;
  /**
   * The connection state changed.
   *
   * @param state The new state.
   */
  state(state: "connecting" | "connected" | "backoff" | "idle"): void;
  /**
   * Reports an error through the rate-limited `onError`.
   *
   * @param error The error.
   * @param kind The rate-limiting key.
   */
  report(error: Error, kind: string): void;
  /**
   * An attempt failed after the engine was closed: only record the text.
   *
   * @param message The error's text.
   */
  failedSilently(message: string): void;
  /** The net permission was refused: no attempt will be made again (until reopened). */
  permissionDenied(): void;
  /**
   * The next attempt is scheduled.
   *
   * @param retryTime Its clock time (ms).
   */
  retryScheduled(retryTime: number): void;
  /**
   * The open connection was lost (it is closed already).
   *
   * @param proven Whether it had proved good (stayed up for `retryStart`).
   */
  lost(proven: boolean): void;
  /**
   * The read side of the open connection ended (EOF or an error): the peer
   * is gone. The engine decides what to say, then calls
   * {@linkcode Connector.prototype.lost}.
   *
   * @param conn The connection.
   * @param reason What the read side said.
   */
  peerGone(conn: C, reason: string): void;
  /**
   * Bytes arrived on the open connection (acknowledgements).
   *
   * @param conn The connection.
   * @param bytes The bytes (valid during the call).
   */
  received(conn: C, bytes: Uint8Array): void;
}

/** Options of {@linkcode Connector}. */
export interface ConnectorOptions<C extends Connection> {
  /** The connection factory; it should honour `signal`. */
  connect: (signal: AbortSignal) => Promise<C>;
  /** Timeout of one attempt, in milliseconds. */
  connectTimeout: number;
  /** The backoff schedule. */
  backoff: BackoffOptions;
  /** The clock. */
  clock: EngineClock;
  /** The engine's side. */
  hooks: ConnectorHooks<C>;
}

/** Keeps the engine's connection: opens, watches and closes it, following the backoff. */
export class Connector<C extends Connection> {
  /** The open connection. */
  conn: C | undefined;
  /** Whether the open connection proved good (it delivered a whole batch). */
  proven = false;
  /** The reconnection schedule. */
  readonly backoff: Backoff;
  /** Whether the net permission was refused (no more attempts). */
  permissionDenied = false;
  /** Successful connections. */
  connects = 0;
  /** Successful connections after the first. */
  reconnects = 0;
  /** Failed attempts. */
  connectFailures = 0;
  /** Clock time (ms) of the last successful connection. */
  lastConnectedAt: number | undefined;
  #options: ConnectorOptions<C>;
  #hooks: ConnectorHooks<C>;
  #clock: EngineClock;
  #connecting: Promise<boolean> | undefined;
  #lastChanceUsed = false;
  #abort: AbortController | undefined;
  #readers = new Set<Promise<void>>();
  #readBuf = new Uint8Array(512);

  /**
   * Creates the connector.
   *
   * @param options Factory, timeout, backoff, clock and the engine's hooks.
   */
  constructor(options: ConnectorOptions<C>) {
    this.#options = options;
    this.#hooks = options.hooks;
    this.#clock = options.clock;
    this.backoff = new Backoff(options.backoff, () => this.#clock.random());
  }

  /** Whether an attempt is in progress. */
  get connecting(): boolean {
    return this.#connecting !== undefined;
  }

  /**
   * Makes one attempt now, or joins the one in progress.
   *
   * @returns Whether a connection is open afterwards.
   */
  connect(): Promise<boolean> {
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /**
   * Connects now if the backoff schedule allows (Python's `createSocket`).
   *
   * @returns Whether a connection is open afterwards.
   */
  async createSocket(): Promise<boolean> {
    if (this.#hooks.closed() || this.permissionDenied) return false;
    if (this.conn !== undefined) return true;
    if (this.#connecting) return await this.#connecting;
    if (!this.backoff.due(this.#clock.now())) return false;
    return await this.connect() && this.conn !== undefined;
  }

  /** Closes the open connection, if any; the next write reconnects at once. */
  closeSocket(): void {
    const conn = this.conn;
    if (conn === undefined) return;
    this.close(conn);
    this.#hooks.state("idle");
  }

  /**
   * The loss of a live connection: close it; reconnect at once if it proved
   * good, else count it as a failed attempt (next backoff step), so that a
   * peer that accepts and resets at once cannot cause a hot loop.
   *
   * @param conn The connection (nothing happens if it is not the open one).
   * @param reason What happened.
   */
  lost(conn: C, reason: string): void {
    if (this.conn !== conn) return;
    // A connection that lived long enough proved good even if it was idle;
    // one lost sooner did not, whatever it took (an accept-and-close peer).
    const lived = this.#clock.now() - (this.lastConnectedAt ?? 0);
    const proven = this.proven || lived >= this.backoff.provenAfter;
    if (proven && !this.proven) this.backoff.proven();
    this.close(conn);
    if (!proven && !this.#hooks.closed()) this.#retryLater(this.#clock.now());
    this.#hooks.report(
      new Error(
        `Lost the connection to the log receiver: ${reason}; ${
          proven ? "reconnecting" : "retrying with backoff"
        }`,
      ),
      "send",
    );
    this.#hooks.state("idle");
    this.#hooks.lost(proven);
  }

  /**
   * A whole batch was delivered on `conn`: it proved good, the backoff
   * schedule starts over.
   *
   * @param conn The connection.
   */
  delivered(conn: C): void {
    if (this.proven || this.conn !== conn) return;
    // Written is not read: a peer that accepts and closes takes the first
    // writes too. Proven once it has also stayed up for retryStart.
    const lived = this.#clock.now() - (this.lastConnectedAt ?? 0);
    if (lived < this.backoff.provenAfter) return;
    this.proven = true;
    this.backoff.proven();
  }

  /**
   * Shutdown's last chance: when the next scheduled attempt would come after
   * the deadline, allow one now instead of giving up on the queue (the
   * receiver may be back). Once per close or exit.
   *
   * @param deadline Clock time (ms) of the deadline.
   * @returns True if an attempt may now be made at once.
   */
  lastChance(deadline: number): boolean {
    const now = this.#clock.now();
    const retryTime = this.backoff.retryTime;
    if (
      this.#lastChanceUsed || deadline <= now || this.conn !== undefined ||
      this.#connecting !== undefined || retryTime === undefined ||
      retryTime <= deadline
    ) return false;
    this.#lastChanceUsed = true;
    this.backoff.retryTime = now;
    return true;
  }

  /**
   * Whether a connection is up, coming, or scheduled by `deadline`.
   *
   * @param deadline Clock time (ms).
   * @returns Undefined when no attempt is scheduled at all.
   */
  upBy(deadline: number): boolean | undefined {
    if (this.permissionDenied) return false;
    if (this.conn !== undefined || this.#connecting !== undefined) return true;
    const retryTime = this.backoff.retryTime;
    return retryTime === undefined ? undefined : retryTime <= deadline;
  }

  /** Allows attempts again after a close (the engine re-opens). */
  reopen(): void {
    this.permissionDenied = false;
    this.#lastChanceUsed = false;
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
   * Waits for the attempt in progress, if any, and for the read sides of
   * every connection opened so far to end.
   *
   * @returns Resolves when they have.
   */
  async settled(): Promise<void> {
    await this.#connecting?.catch(() => {});
    this.closeSocket();
    await Promise.allSettled([...this.#readers]);
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

  async #open(): Promise<boolean> {
    const now = this.#clock.now();
    this.#hooks.state("connecting");
    let conn: C;
    try {
      conn = await this.#attempt();
    } catch (e) {
      this.#failed(e, now);
      return false;
    }
    if (this.#hooks.closed()) {
      this.close(conn);
      return false;
    }
    this.#watch(conn);
    this.backoff.connected();
    if (this.connects > 0) this.reconnects++;
    this.connects++;
    this.lastConnectedAt = this.#clock.now();
    this.#hooks.state("connected");
    return true;
  }

  #failed(e: unknown, now: number): void {
    if (this.#hooks.closed()) {
      this.#hooks.failedSilently(messageOf(e));
      return;
    }
    this.connectFailures++;
    if (isPermissionError(e)) {
      this.permissionDenied = true;
      this.#hooks.report(
        new Error(
          `Cannot connect to the log receiver: ${
            messageOf(e)
          } (a TCP receiver needs --allow-net=HOST:PORT; a Unix socket needs --allow-read=PATH, --allow-write=PATH and --allow-net=unix:PATH); log records are dropped`,
        ),
        "permission",
      );
      this.#hooks.permissionDenied();
      return;
    }
    const retryTime = this.#retryLater(now);
    this.#hooks.report(
      new Error(
        `Cannot connect to the log receiver: ${messageOf(e)}; retrying in ${
          Math.round(retryTime - now) / 1000
        } s`,
      ),
      "connect",
    );
  }

  #retryLater(now: number): number {
    const retryTime = this.backoff.failed(now);
    this.#hooks.state("backoff");
    this.#hooks.retryScheduled(retryTime);
    return retryTime;
  }

  /**
   * One attempt, aborted after `connectTimeout`; a connection that arrives
   * after the abort is closed.
   */
  async #attempt(): Promise<C> {
    const { connect, connectTimeout } = this.#options;
    const clock = this.#clock;
    const ac = new AbortController();
    this.#abort = ac;
    const cancel = startDeadline(
      clock,
      () =>
        ac.abort(
          new DOMException(
            `Connect timed out after ${connectTimeout} ms`,
            "TimeoutError",
          ),
        ),
      connectTimeout,
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
      cancel();
      this.#abort = undefined;
    }
  }

  /**
   * Makes `conn` the open connection and reads from it: EOF or a read
   * error means the peer is gone. The connection and its read do not keep
   * the process alive.
   */
  #watch(conn: C): void {
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
        let n: number | null;
        while ((n = await conn.read(buf)) !== null) {
          if (this.conn === conn) {
            this.#hooks.received(conn, buf.subarray(0, n));
          }
        }
      } catch (e) {
        reason = messageOf(e);
      }
      if (this.conn === conn && !this.#hooks.closed()) {
        this.#hooks.peerGone(conn, reason);
      }
    })().catch(() => {});
    this.#readers.add(reader);
    reader.finally(() => this.#readers.delete(reader));
  }
}

function closeQuietly(conn: Connection): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
