// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The datagram transport: a `node:dgram` socket seen by the engine as a
 * {@linkcode Connection} whose every write is one datagram to the receiver.
 * There is no peer to lose: the read side ends only when the socket
 * closes. `node:dgram` is stable in Deno 2.9 (`Deno.listenDatagram` needs
 * `--unstable-net`). Private to the package.
 *
 * The socket is unref'd as soon as it is opened, before its first send
 * binds it: in Deno 2.9 `unref()` on a bound `node:dgram` socket does not
 * let the process exit, while a socket unref'd before binding stays so. A
 * pending send still completes before the process exits.
 *
 * @module
 */
import type dgram from "node:dgram";
import type { Connection } from "./connection.ts";

/**
 * Hands one datagram to the operating system.
 *
 * @param socket The socket.
 * @param data The datagram.
 * @param port The receiver's port.
 * @param hostname The receiver's host name or IP address (a name is resolved for every datagram).
 * @returns Resolves when the OS accepted the datagram; rejects with the OS error.
 */
export function sendDatagram(
  socket: dgram.Socket,
  data: Uint8Array,
  port: number,
  hostname: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    try {
      socket.send(data, port, hostname, (err) => {
        if (err) reject(err);
        else resolve();
      });
    } catch (e) {
      reject(e);
    }
  });
}

/** A `node:dgram` socket as the engine's connection to one receiver. */
export class DatagramConnection implements Connection {
  /** The socket. */
  readonly socket: dgram.Socket;
  /** The receiver's host name or IP address. */
  readonly hostname: string;
  /** The receiver's port. */
  readonly port: number;
  #closed: Promise<null>;

  /**
   * Wraps a socket.
   *
   * @param socket The socket (not bound yet, so that `unref()` holds).
   * @param hostname The receiver's host name or IP address.
   * @param port The receiver's port.
   */
  constructor(socket: dgram.Socket, hostname: string, port: number) {
    this.socket = socket;
    this.hostname = hostname;
    this.port = port;
    this.#closed = new Promise<null>((resolve) => {
      socket.once("close", () => resolve(null));
    });
  }

  /**
   * The read side: nothing is read; resolves with null once the socket is
   * closed.
   *
   * @param _p Unused.
   * @returns Null, at close.
   */
  read(_p: Uint8Array): Promise<number | null> {
    return this.#closed;
  }

  /**
   * Sends `p` as one datagram.
   *
   * @param p The datagram.
   * @returns Its length, once the OS accepted it.
   */
  async write(p: Uint8Array): Promise<number> {
    await sendDatagram(this.socket, p, this.port, this.hostname);
    return p.byteLength;
  }

  /** Closes the socket. */
  close(): void {
    try {
      this.socket.close();
    } catch { /* already closed */ }
  }

  /** Lets the socket keep the process alive. */
  ref(): void {
    try {
      this.socket.ref();
    } catch { /* closed */ }
  }

  /** Stops the socket from keeping the process alive. */
  unref(): void {
    try {
      this.socket.unref();
    } catch { /* closed */ }
  }
}
