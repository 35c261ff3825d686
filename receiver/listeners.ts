// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The listening sockets of a receiver, one small function per kind:
 * {@linkcode listenUnix}, {@linkcode listenTcp} (plain, or TLS through
 * `Deno.listenTls`), {@linkcode listenMutualTls} (`node:tls`, which can
 * require client certificates) and {@linkcode listenUdp} (`node:dgram`).
 * Each binds, hands new connections or datagrams to the receiver through
 * {@linkcode ListenerEvents}, and returns a {@linkcode Listening}. The
 * accept loop of `Deno.listen` survives accept errors: on EMFILE (out of
 * file descriptors) it asks the receiver to free one
 * ({@linkcode ListenerEvents.exhausted}) and retries after a few ms, and it
 * reports such errors at most once a second with a count of the others.
 *
 * @module
 */
import dgram from "node:dgram";
import tls from "node:tls";
import { closeQuietly, type ReadConn } from "./conn.ts";
import { errorText, ReceiverError } from "./errors.ts";
import { NodeSocketConn } from "./node_socket.ts";
import type { ListenAt, ReceiverTlsOptions } from "./options.ts";

/** A listening socket, as the receiver drives it. */
export interface Listening {
  /** Resolves once bound; rejects if binding failed. */
  readonly ready: Promise<void>;
  /** Resolves once it has stopped listening, or binding failed. */
  readonly stopped: Promise<void>;
  /**
   * The bound address.
   *
   * @returns The address, or `undefined` while binding.
   */
  addr(): Deno.NetAddr | Deno.UnixAddr | undefined;
  /** Stops listening (once bound, for the kinds that bind asynchronously). */
  close(): void;
  /** Removes what outlives the socket (a Unix socket's file). */
  release(): void;
}

/** What a listener hands to its receiver. */
export interface ListenerEvents {
  /**
   * Whether the receiver is closing; connections accepted meanwhile are
   * closed at once.
   *
   * @returns Whether it is closing.
   */
  closing(): boolean;
  /**
   * A new connection.
   *
   * @param conn The connection.
   */
  connection(conn: ReadConn): void;
  /**
   * Accepting failed for lack of file descriptors (EMFILE): the receiver
   * should close a connection to free one.
   */
  exhausted(): void;
  /**
   * A UDP datagram.
   *
   * @param msg Its bytes.
   * @param from The sender.
   */
  datagram(msg: Uint8Array, from: Deno.NetAddr): void;
  /**
   * A problem of the listener (not of a connection).
   *
   * @param error The problem.
   */
  error(error: ReceiverError): void;
}

/**
 * Starts listening where the settings say.
 *
 * @param at Where.
 * @param events The receiver's side.
 * @returns The listening socket.
 * @throws {Deno.errors.AddrInUse} The address is in use (TCP and Unix; the
 * other kinds reject `ready`).
 */
export function listen(at: ListenAt, events: ListenerEvents): Listening {
  switch (at.transport) {
    case "unix":
      return listenUnix(at.path, events);
    case "udp":
      return listenUdp(at.hostname, at.port, events);
    case "tcp":
      return at.tls?.caCerts !== undefined
        ? listenMutualTls(at.hostname, at.port, at.tls, events)
        : listenTcp(at.hostname, at.port, at.tls, events);
  }
}

/**
 * Listens on a Unix stream socket; its file is removed by `release()`.
 *
 * @param path The socket's path.
 * @param events The receiver's side.
 * @returns The listening socket.
 */
export function listenUnix(path: string, events: ListenerEvents): Listening {
  const listener = Deno.listen({ transport: "unix", path });
  return denoListening(listener, events, () => {
    try {
      Deno.removeSync(path);
    } catch {
      // gone or not permitted
    }
  });
}

/**
 * Listens on TCP, with TLS through `Deno.listenTls` when `tlsOptions` is
 * given (without client certificates).
 *
 * @param hostname The address.
 * @param port The port (0: any free one).
 * @param tlsOptions The certificate and key, for TLS.
 * @param events The receiver's side.
 * @returns The listening socket.
 */
export function listenTcp(
  hostname: string,
  port: number,
  tlsOptions: ReceiverTlsOptions | undefined,
  events: ListenerEvents,
): Listening {
  const listener = tlsOptions !== undefined
    ? Deno.listenTls({
      hostname,
      port,
      transport: "tcp",
      cert: tlsOptions.cert,
      key: tlsOptions.key,
    })
    : Deno.listen({ hostname, port, transport: "tcp" });
  return denoListening(listener, events);
}

/** A bound `Deno.Listener` and its accept loop. */
function denoListening(
  listener: Deno.Listener,
  events: ListenerEvents,
  release: () => void = () => {},
): Listening {
  return {
    ready: Promise.resolve(),
    stopped: acceptLoop(listener, events),
    addr: () => listener.addr as Deno.NetAddr | Deno.UnixAddr,
    close: () => {
      try {
        listener.close();
      } catch {
        // already closed
      }
    },
    release,
  };
}

/** Least ms between two reports of accept errors. */
const ACCEPT_REPORT_INTERVAL = 1000;
/** Ms to wait before accepting again after an error (EMFILE: the first). */
const ACCEPT_BACKOFF = 5;
const ACCEPT_BACKOFF_MAX = 100;

async function acceptLoop(
  listener: Deno.Listener,
  events: ListenerEvents,
): Promise<void> {
  let lastReport = -Infinity;
  let suppressed = 0;
  let backoff = ACCEPT_BACKOFF;
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (e) {
      if (events.closing()) return;
      if (
        e instanceof Deno.errors.BadResource ||
        e instanceof Deno.errors.Interrupted
      ) return;
      if (isOutOfFiles(e)) events.exhausted();
      const now = Date.now();
      if (now - lastReport >= ACCEPT_REPORT_INTERVAL) {
        const more = suppressed === 0
          ? ""
          : ` (${suppressed} more since the last report)`;
        events.error(
          new ReceiverError(
            "accept-error",
            `Cannot accept a connection: ${errorText(e)}${more}`,
            { cause: e },
          ),
        );
        lastReport = now;
        suppressed = 0;
      } else {
        suppressed++;
      }
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, ACCEPT_BACKOFF_MAX);
      continue;
    }
    backoff = ACCEPT_BACKOFF;
    if (events.closing()) {
      closeQuietly(conn);
      return;
    }
    events.connection(conn);
  }
}

/** Whether an accept error means the process is out of file descriptors. */
function isOutOfFiles(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === "EMFILE" || code === "ENFILE" ||
    /os error 2[34]\b|too many open files/i.test(String(e));
}

/**
 * Listens on TCP with TLS through `node:tls`, requiring client
 * certificates signed by `tlsOptions.caCerts` (`Deno.listenTls` cannot
 * request them). Binds asynchronously.
 *
 * @param hostname The address.
 * @param port The port (0: any free one).
 * @param tlsOptions The certificate, key and client CAs.
 * @param events The receiver's side.
 * @returns The listening socket.
 */
export function listenMutualTls(
  hostname: string,
  port: number,
  tlsOptions: ReceiverTlsOptions,
  events: ListenerEvents,
): Listening {
  const server = tls.createServer({
    cert: tlsOptions.cert,
    key: tlsOptions.key,
    ca: tlsOptions.caCerts,
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    if (events.closing()) {
      socket.destroy();
      return;
    }
    events.connection(new NodeSocketConn(socket));
  });
  server.on("tlsClientError", (e: Error, socket: tls.TLSSocket) => {
    // Deno's node:tls may not know the peer address at this point.
    const peer = socket.remoteAddress === undefined
      ? "a client"
      : `${socket.remoteAddress}:${socket.remotePort}`;
    socket.destroy();
    if (events.closing()) return;
    events.error(
      new ReceiverError(
        "tls-error",
        `TLS handshake with ${peer} failed: ${e.message}`,
        { cause: e },
      ),
    );
  });
  let bound: Deno.NetAddr | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      const a = server.address();
      if (a !== null && typeof a === "object") {
        bound = { transport: "tcp", hostname: a.address, port: a.port };
      }
      resolve();
    });
  });
  return nodeListening(server, ready, () => bound);
}

/**
 * Receives UDP datagrams through `node:dgram`. Binds asynchronously.
 *
 * @param hostname The address (an IPv6 one binds udp6).
 * @param port The port (0: any free one).
 * @param events The receiver's side.
 * @returns The listening socket.
 */
export function listenUdp(
  hostname: string,
  port: number,
  events: ListenerEvents,
): Listening {
  const socket = dgram.createSocket(hostname.includes(":") ? "udp6" : "udp4");
  socket.on(
    "message",
    (msg: Uint8Array, rinfo: dgram.RemoteInfo) =>
      events.datagram(msg, {
        transport: "udp",
        hostname: rinfo.address,
        port: rinfo.port,
      }),
  );
  let bound: Deno.NetAddr | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, hostname, () => {
      socket.off("error", reject);
      socket.on("error", (e: unknown) =>
        events.error(
          new ReceiverError(
            "read-error",
            `Cannot receive datagrams: ${errorText(e)}`,
            { cause: e },
          ),
        ));
      const a = socket.address();
      bound = { transport: "udp", hostname: a.address, port: a.port };
      resolve();
    });
  });
  return nodeListening(socket, ready, () => bound);
}

/** A `node:tls` server or `node:dgram` socket that binds asynchronously. */
function nodeListening(
  server: tls.Server | dgram.Socket,
  ready: Promise<void>,
  addr: () => Deno.NetAddr | undefined,
): Listening {
  const stopped = ready.then(
    () => new Promise<void>((r) => server.once("close", () => r())),
    () => {},
  );
  return {
    ready,
    stopped,
    addr,
    close: () => {
      // Only a bound server can be closed; one still binding is closed
      // once bound.
      void ready.then(() => {
        try {
          server.close();
        } catch {
          // already closed
        }
      }, () => {});
    },
    release: () => {},
  };
}
