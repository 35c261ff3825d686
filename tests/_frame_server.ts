// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A small loopback test receiver for length-prefixed frames (4-byte
 * big-endian length + payload, i.e. Python's SocketHandler framing).
 *
 * It accepts any number of connections, parses every connection's byte
 * stream separately and records, in arrival order, the payloads of the
 * complete frames (`frames`, shared across connections) and per-connection
 * statistics (`conns`: complete frames, bytes, and `leftover` = bytes of an
 * incomplete frame at EOF, i.e. a torn frame). It can pause reading (a
 * stalled receiver: connections are accepted but not read), drop its
 * connections (FIN), and stop and re-start listening on the same port/path
 * (a receiver restart).
 *
 * ```ts ignore
 * await using server = FrameServer.tcp();
 * // connect to 127.0.0.1:server.port, send frames ...
 * await server.waitForFrames(10);
 * server.frames[0]; // payload of the first frame
 * ```
 *
 * Helpers `makeFrame(id, size)` / `frameId(payload)` / `checkPayload(payload)`
 * build and verify self-describing test frames (payload = 4-byte id +
 * deterministic filler).
 *
 * @module
 */

/** Per-connection receive statistics. */
export interface ReceivedConn {
  /** Complete frames received on this connection. */
  frames: number;
  /** Their payloads, in order. */
  payloads: Uint8Array[];
  /** Bytes received on this connection. */
  bytes: number;
  /** Bytes of an incomplete trailing frame when the connection ended (a torn frame). */
  leftover: number;
  /** Whether the connection has ended. */
  ended: boolean;
}

type Where = { transport: "tcp"; port: number } | {
  transport: "unix";
  path: string;
};

/** The loopback frame receiver. */
export class FrameServer implements AsyncDisposable {
  /** Payloads of all complete frames, in arrival order. */
  readonly frames: Uint8Array[] = [];
  /** One entry per accepted connection, in accept order. */
  readonly conns: ReceivedConn[] = [];
  /** Number of `read()` calls that returned data. */
  reads = 0;
  /** Throttling (a slow receiver): max bytes per `read()` call. */
  readChunk = Infinity;
  /** Throttling (a slow receiver): ms to sleep after each read. */
  readDelayMs = 0;
  #where: Where;
  #listener: Deno.Listener | undefined;
  #acceptLoop: Promise<void> | undefined;
  #open = new Set<Deno.Conn>();
  #loops = new Set<Promise<void>>();
  #paused = false;
  #resumers: (() => void)[] = [];
  #notify: (() => void)[] = [];

  private constructor(where: Where) {
    this.#where = where;
    this.#listen();
  }

  /**
   * Listens on 127.0.0.1.
   * @param port The port, 0 for any.
   * @returns The server.
   */
  static tcp(port = 0): FrameServer {
    return new FrameServer({ transport: "tcp", port });
  }

  /**
   * Listens on a Unix socket path.
   * @param path The socket path.
   * @returns The server.
   */
  static unix(path: string): FrameServer {
    return new FrameServer({ transport: "unix", path });
  }

  /** The TCP port (after the first listen, stable across restarts). */
  get port(): number {
    return this.#where.transport === "tcp" ? this.#where.port : 0;
  }

  /** The Unix socket path. */
  get path(): string {
    return this.#where.transport === "unix" ? this.#where.path : "";
  }

  /** Whether the listener is open. */
  get listening(): boolean {
    return this.#listener !== undefined;
  }

  /** Connections currently open. */
  get openConnections(): number {
    return this.#open.size;
  }

  #listen(): void {
    const w = this.#where;
    const listener = w.transport === "tcp"
      ? Deno.listen({ hostname: "127.0.0.1", port: w.port })
      : Deno.listen({ transport: "unix", path: w.path });
    if (w.transport === "tcp") {
      w.port = (listener.addr as Deno.NetAddr).port;
    }
    this.#listener = listener;
    this.#acceptLoop = (async () => {
      while (true) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch {
          return;
        }
        this.#open.add(conn);
        const rec: ReceivedConn = {
          frames: 0,
          payloads: [],
          bytes: 0,
          leftover: 0,
          ended: false,
        };
        this.conns.push(rec);
        this.#changed();
        const loop = this.#readLoop(conn, rec);
        this.#loops.add(loop);
        loop.finally(() => this.#loops.delete(loop));
      }
    })();
  }

  async #readLoop(conn: Deno.Conn, rec: ReceivedConn): Promise<void> {
    let buf = new Uint8Array(65536);
    let len = 0;
    try {
      while (true) {
        while (this.#paused) {
          await new Promise<void>((r) => this.#resumers.push(r));
        }
        if (len === buf.length) {
          const bigger = new Uint8Array(buf.length * 2);
          bigger.set(buf);
          buf = bigger;
        }
        const end = Math.min(buf.length, len + this.readChunk);
        const n = await conn.read(buf.subarray(len, end));
        if (n === null) break;
        if (this.readDelayMs > 0) {
          await new Promise((r) => setTimeout(r, this.readDelayMs));
        }
        this.reads++;
        rec.bytes += n;
        len += n;
        // Parse complete frames.
        let off = 0;
        while (len - off >= 4) {
          const size = new DataView(buf.buffer, buf.byteOffset + off, 4)
            .getUint32(0);
          if (len - off - 4 < size) {
            if (4 + size > buf.length) {
              let cap = buf.length;
              while (cap < 4 + size) cap *= 2;
              const bigger = new Uint8Array(cap);
              bigger.set(buf.subarray(off, len));
              buf = bigger;
              len -= off;
              off = 0;
            }
            break;
          }
          const payload = buf.slice(off + 4, off + 4 + size);
          this.frames.push(payload);
          rec.payloads.push(payload);
          rec.frames++;
          off += 4 + size;
        }
        if (off > 0) {
          buf.copyWithin(0, off, len);
          len -= off;
        }
        this.#changed();
      }
    } catch {
      // reset / closed by us
    } finally {
      rec.leftover = len;
      rec.ended = true;
      this.#open.delete(conn);
      try {
        conn.close();
      } catch { /* already closed */ }
      this.#changed();
    }
  }

  #changed(): void {
    const n = this.#notify;
    this.#notify = [];
    for (const f of n) f();
  }

  /**
   * Waits until `predicate()` holds (re-checked on every received chunk, accept and EOF).
   * @param predicate The condition.
   * @param timeoutMs Give up (reject) after this many ms.
   * @param what Description for the error message.
   */
  async waitUntil(
    predicate: () => boolean,
    timeoutMs = 10000,
    what = "condition",
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Timed out waiting for ${what} (frames=${this.frames.length}, conns=${this.conns.length})`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#notify.push(resolve);
        // Re-check periodically too (state may change outside the server).
        timer = setTimeout(resolve, Math.min(left, 20));
      });
      clearTimeout(timer);
    }
  }

  /**
   * Waits until at least `n` complete frames were received.
   * @param n Frame count.
   * @param timeoutMs Timeout in ms.
   */
  waitForFrames(n: number, timeoutMs = 10000): Promise<void> {
    return this.waitUntil(
      () => this.frames.length >= n,
      timeoutMs,
      `${n} frames`,
    );
  }

  /** Stops reading (accepted connections are kept but not read). */
  pause(): void {
    this.#paused = true;
  }

  /** Resumes reading. */
  resume(): void {
    this.#paused = false;
    const r = this.#resumers;
    this.#resumers = [];
    for (const f of r) f();
  }

  /** Closes all accepted connections (the sender sees FIN/RST); waits for their read loops. */
  async dropConnections(): Promise<void> {
    for (const c of this.#open) {
      try {
        c.close();
      } catch { /* ignore */ }
    }
    this.resume();
    await Promise.allSettled([...this.#loops]);
  }

  /** Closes the listener and all connections (a receiver outage). */
  async stop(): Promise<void> {
    if (this.#listener !== undefined) {
      this.#listener.close();
      this.#listener = undefined;
      await this.#acceptLoop;
    }
    await this.dropConnections();
  }

  /** Listens again on the same port/path (a receiver restart). */
  restart(): void {
    if (this.#listener === undefined) this.#listen();
  }

  /** Stops everything. */
  async close(): Promise<void> {
    await this.stop();
  }

  /** Same as {@linkcode FrameServer.prototype.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * A test frame: 4-byte big-endian length, then a payload of `size` bytes
 * (≥ 4) = 4-byte big-endian `id` + filler byte k = (id + k) & 0xff.
 * @param id Frame id.
 * @param size Payload size.
 * @returns The frame.
 */
export function makeFrame(id: number, size = 64): Uint8Array {
  const f = new Uint8Array(4 + size);
  const dv = new DataView(f.buffer);
  dv.setUint32(0, size);
  dv.setUint32(4, id);
  for (let k = 4; k < size; k++) f[4 + k] = (id + k) & 0xff;
  return f;
}

/**
 * The id of a test payload.
 * @param payload A payload from {@linkcode FrameServer.frames}.
 * @returns The id.
 */
export function frameId(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
}

/**
 * Whether a test payload is intact (filler matches its id).
 * @param payload A payload.
 * @returns True if intact.
 */
export function checkPayload(payload: Uint8Array): boolean {
  if (payload.length < 4) return false;
  const id = frameId(payload);
  for (let k = 4; k < payload.length; k++) {
    if (payload[k] !== ((id + k) & 0xff)) return false;
  }
  return true;
}
