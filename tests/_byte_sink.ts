// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: a plain loopback listener standing for a log engine that a
 * receiver forwards to. It accepts connections (TCP, or TLS with a
 * certificate), keeps each connection's bytes in order, and can stall
 * (accept and never read). It can also listen on a given port, so that a
 * test can start it after the receiver tried a port nothing listened on.
 *
 * ```ts ignore
 * await using sink = ByteSink.tcp();
 * // forward to ndjson+tcp://127.0.0.1:${sink.port} …
 * await sink.until(() => sink.text().split("\n").length > 3, 5000);
 * ```
 *
 * @module
 */
import { concat } from "./_bytes.ts";

/** How the sink listens. */
export interface ByteSinkOptions {
  /** The port (0: a free one). */
  port?: number;
  /** Serve TLS with this PEM certificate and key. */
  tls?: { cert: string; key: string };
  /** Accept connections and never read them. */
  stall?: boolean;
}

/** A loopback listener keeping the bytes it receives. */
export class ByteSink implements AsyncDisposable {
  /** The bytes of each accepted connection, in accept order. */
  readonly conns: Uint8Array[][] = [];
  /** Errors of accepting or reading (a TLS handshake refused, say). */
  readonly errors: string[] = [];
  #listener: Deno.Listener;
  #open: Deno.Conn[] = [];
  #tasks: Promise<void>[] = [];
  #stall: boolean;

  /**
   * Starts listening on 127.0.0.1.
   *
   * @param options Port, TLS and stalling.
   */
  constructor(options: ByteSinkOptions = {}) {
    const port = options.port ?? 0;
    this.#stall = options.stall ?? false;
    this.#listener = options.tls
      ? Deno.listenTls({ hostname: "127.0.0.1", port, ...options.tls })
      : Deno.listen({ hostname: "127.0.0.1", port });
    this.#tasks.push(this.#accept());
  }

  /** The bound port. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /**
   * Every byte received, the connections' bytes one after the other.
   *
   * @returns The bytes.
   */
  bytes(): Uint8Array {
    return concat(this.conns.flat());
  }

  /**
   * Every byte received, as UTF-8.
   *
   * @returns The text.
   */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }

  /**
   * The complete lines received (NDJSON), without their newlines.
   *
   * @returns The lines.
   */
  lines(): string[] {
    const text = this.text();
    const end = text.lastIndexOf("\n");
    return end < 0 ? [] : text.slice(0, end).split("\n");
  }

  /**
   * Waits until `done()` holds, polling every 10 ms, at most `timeout` ms.
   *
   * @param done The condition.
   * @param timeout Milliseconds.
   * @throws {Error} If the time runs out.
   */
  async until(done: () => boolean, timeout: number): Promise<void> {
    const end = Date.now() + timeout;
    while (!done()) {
      if (Date.now() > end) {
        throw new Error(
          `Cannot see the bytes expected as the time ran out after ${timeout} ms: current bytes are ${this.bytes().length} in ${this.conns.length} connections (${
            this.errors.join("; ")
          })`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (!(e instanceof Deno.errors.BadResource)) {
          this.errors.push(String(e));
        }
        return;
      }
      const chunks: Uint8Array[] = [];
      this.conns.push(chunks);
      this.#open.push(conn);
      if (!this.#stall) this.#tasks.push(this.#read(conn, chunks));
    }
  }

  async #read(conn: Deno.Conn, chunks: Uint8Array[]): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) this.errors.push(String(e));
    }
  }

  /** Closes the listener and every connection, and waits for the tasks. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch { /* closed */ }
    for (const conn of this.#open) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await Promise.all(this.#tasks);
  }

  /**
   * Same as {@linkcode ByteSink.prototype.close}.
   *
   * @returns A promise resolving when closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
