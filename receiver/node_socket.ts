// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A `node:tls` socket seen as a {@linkcode ReadConn} (pull-based reads),
 * with backpressure: the socket is paused while a read buffer's worth of
 * data waits to be read. Writes (acknowledgements) resolve once the
 * socket has flushed them, so that a caller with one write in flight
 * never makes the socket queue more.
 *
 * @module
 */
import type tls from "node:tls";
import { READ_SIZE, type ReadConn } from "./conn.ts";

/** A `node:tls` socket seen as a {@linkcode ReadConn}. */
export class NodeSocketConn implements ReadConn {
  /** The peer's address. */
  readonly remoteAddr: Deno.NetAddr;
  #socket: tls.TLSSocket;
  #chunks: Uint8Array[] = [];
  #offset = 0;
  #bufferedBytes = 0;
  #ended = false;
  #error: unknown = undefined;
  #wake: (() => void) | undefined;
  /** The rejections of the writes not flushed yet. */
  #writes = new Set<(e: Error) => void>();

  /**
   * Wraps a socket; from now on its data is kept until read.
   *
   * @param socket A connected socket.
   */
  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#bufferedBytes += chunk.length;
      if (this.#bufferedBytes >= READ_SIZE) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
      this.#failWrites();
    });
    socket.on("error", (e: unknown) => {
      this.#error ??= e;
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Reads into `p`, waiting for data.
   *
   * @param p The buffer.
   * @returns The number of bytes read, or `null` at EOF.
   * @throws The socket's error.
   */
  async read(p: Uint8Array): Promise<number | null> {
    for (;;) {
      const chunk = this.#chunks[0];
      if (chunk !== undefined) {
        const n = Math.min(p.length, chunk.length - this.#offset);
        p.set(chunk.subarray(this.#offset, this.#offset + n));
        this.#offset += n;
        this.#bufferedBytes -= n;
        if (this.#offset === chunk.length) {
          this.#chunks.shift();
          this.#offset = 0;
        }
        if (this.#bufferedBytes < READ_SIZE) this.#socket.resume();
        return n;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /**
   * Writes `p`; resolves once the socket has flushed it.
   *
   * @param p The bytes.
   * @returns `p.length`.
   * @throws The socket's error, or if it is closed.
   */
  write(p: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#ended || this.#socket.destroyed) {
        reject(new Deno.errors.BadResource("The connection is closed"));
        return;
      }
      this.#writes.add(reject);
      this.#socket.write(p, (e?: Error | null) => {
        this.#writes.delete(reject);
        if (e) reject(e);
        else resolve(p.length);
      });
    });
  }

  /** Rejects the writes not flushed (the socket is gone). */
  #failWrites(): void {
    for (const reject of this.#writes) {
      reject(new Deno.errors.BadResource("The connection is closed"));
    }
    this.#writes.clear();
  }

  /** Destroys the socket; a pending read returns `null`. */
  close(): void {
    this.#ended = true;
    this.#socket.destroy();
    this.#notify();
    this.#failWrites();
  }
}
