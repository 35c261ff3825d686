// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * TLS for the socket handler ({@linkcode TlsOptions}, in `options.ts`):
 * their validation, and {@linkcode connectTls}, which opens a verified TLS
 * connection with a connect timeout and a separate handshake timeout.
 *
 * Certificate problems (unknown CA, wrong host name, expired certificate,
 * a client certificate the receiver rejects) make the connection attempt
 * fail with the reason; the handler then follows its reconnection backoff.
 * There is never a fallback to plaintext.
 *
 * Without a client certificate the connection is `Deno.connect({ signal })`
 * followed by `Deno.startTls()`, so the connect timeout aborts a hung TCP
 * connect. `Deno.startTls()` cannot present a client certificate (Deno 2.9),
 * so with `cert`/`key` the connection is `Deno.connectTls()`, which takes no
 * signal: a hung attempt is abandoned at the timeout and closed if it
 * completes later.
 *
 * @example Usage
 * ```ts ignore
 * import { SocketHandler } from "@pylogging/socket-handler";
 *
 * const handler = new SocketHandler("INFO", {
 *   hostname: "logs.example.net",
 *   port: 9020,
 *   tls: {
 *     caCerts: [await Deno.readTextFile("ca.pem")],
 *     cert: await Deno.readTextFile("client.pem"), // mutual TLS (optional)
 *     key: await Deno.readTextFile("client.key"),
 *   },
 * });
 * ```
 *
 * The options are validated with the others (`options.ts`).
 *
 * @module
 */
import { engineClock, startDeadline } from "./clock.ts";
import { messageOf } from "./errors.ts";
import { DEFAULTS, type TlsOptions } from "./options.ts";

/** The real clock, for the connect and handshake deadlines. */
const clock = engineClock();

/** Default of {@linkcode TlsOptions.handshakeTimeout}, in milliseconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT: number = DEFAULTS.handshakeTimeout;

/** Default of {@linkcode TlsOptions.settleTimeout}, in milliseconds. */
export const DEFAULT_SETTLE_TIMEOUT: number = DEFAULTS.settleTimeout;

/** Where and how {@linkcode connectTls} connects. */
export interface TlsTarget {
  /** Host name or IP address to connect to. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** The TLS options. */
  tls: TlsOptions;
  /**
   * Timeout of the TCP connect, in milliseconds (the handshake has
   * `tls.handshakeTimeout`).
   */
  connectTimeout: number;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/**
 * Runs `p` until it settles, `ms` elapses, or `signal` aborts; a value
 * that arrives after a timeout or abort is passed to `late`.
 */
function bounded<T>(
  p: Promise<T>,
  ms: number,
  signal: AbortSignal,
  onTimeout: () => Error,
  late: (value: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      cancel();
      signal.removeEventListener("abort", onAbort);
      return true;
    };
    const onAbort = () => {
      if (finish()) reject(signal.reason);
    };
    const cancel = startDeadline(clock, () => {
      if (finish()) reject(onTimeout());
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then((value) => {
      if (finish()) resolve(value);
      else late(value);
    }, (e) => {
      if (finish()) reject(e);
    });
  });
}

/**
 * Opens a TLS connection and completes the handshake, so that certificate
 * errors surface here (as a failed connect) rather than on the first
 * write. Never falls back to plaintext.
 *
 * @param target Host, port, TLS options and connect timeout.
 * @param signal Aborts the attempt (the connection, if any, is closed).
 * @returns The connection, handshake done.
 * @throws {Error} With the reason, e.g. `TLS handshake with 127.0.0.1:9020
 * failed: invalid peer certificate: UnknownIssuer`, or a timeout.
 */
export async function connectTls(
  target: TlsTarget,
  signal: AbortSignal,
): Promise<Deno.TlsConn> {
  const { hostname, port, tls, connectTimeout } = target;
  const where = `${
    hostname.includes(":") ? `[${hostname}]` : hostname
  }:${port}`;
  signal.throwIfAborted();
  const caCerts = tls.caCerts ?? [];
  let conn: Deno.TlsConn;
  if (tls.cert !== undefined && tls.key !== undefined) {
    conn = await bounded(
      Deno.connectTls({
        hostname,
        port,
        caCerts,
        cert: tls.cert,
        key: tls.key,
      }),
      connectTimeout,
      signal,
      () =>
        new Error(
          `Cannot connect to ${where}: timed out after ${connectTimeout} ms`,
        ),
      closeQuietly,
    );
  } else {
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const cancel = startDeadline(
      clock,
      () =>
        ac.abort(
          new Error(
            `Cannot connect to ${where}: timed out after ${connectTimeout} ms`,
          ),
        ),
      connectTimeout,
    );
    let tcp: Deno.TcpConn;
    try {
      tcp = await Deno.connect({ hostname, port, signal: ac.signal });
    } finally {
      cancel();
      signal.removeEventListener("abort", onAbort);
    }
    try {
      tcp.setNoDelay(true);
      conn = await Deno.startTls(tcp, {
        hostname: tls.serverName ?? hostname,
        caCerts,
      });
    } catch (e) {
      closeQuietly(tcp);
      throw e;
    }
  }
  const handshakeTimeout = tls.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  try {
    await bounded(
      conn.handshake(),
      handshakeTimeout,
      signal,
      () =>
        new Error(
          `TLS handshake with ${where} timed out after ${handshakeTimeout} ms`,
        ),
      () => {},
    );
  } catch (e) {
    // Closing also ends a handshake still pending after a timeout/abort.
    closeQuietly(conn);
    if (signal.aborted && e === signal.reason) throw e;
    if (e instanceof Error && e.message.startsWith("TLS handshake")) throw e;
    throw new Error(`TLS handshake with ${where} failed: ${messageOf(e)}`, {
      cause: e,
    });
  }
  const settle = tls.settleTimeout ?? DEFAULT_SETTLE_TIMEOUT;
  return settle > 0 ? await settled(conn, settle, where) : conn;
}

/**
 * Waits up to `ms` for the receiver to refuse the connection (an alert or
 * EOF right after the handshake). Python receivers never send data, so a
 * read that is still pending means the connection stands; that pending
 * read is handed to the first `read()` of the returned connection.
 */
async function settled(
  conn: Deno.TlsConn,
  ms: number,
  where: string,
): Promise<Deno.TlsConn> {
  const own = new Uint8Array(4096);
  const first = conn.read(own).then(
    (n) => ({ n, error: undefined as unknown }),
    (error: unknown) => ({ n: null, error }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const outcome = await Promise.race([first, waited]);
  clearTimeout(timer);
  if (
    outcome !== undefined && (outcome.error !== undefined || outcome.n === null)
  ) {
    closeQuietly(conn);
    throw new Error(
      `TLS connection to ${where} was refused after the handshake: ${
        outcome.error === undefined
          ? "the receiver closed it (does it require a client certificate?)"
          : messageOf(outcome.error)
      }`,
      { cause: outcome.error },
    );
  }
  let handedOver = false;
  return new Proxy(conn, {
    get(target, prop) {
      if (prop === "read" && !handedOver) {
        return (p: Uint8Array): Promise<number | null> => {
          handedOver = true;
          return first.then(({ n, error }) => {
            if (error !== undefined) throw error;
            if (n === null) return null;
            const k = Math.min(n, p.length);
            p.set(own.subarray(0, k));
            return k;
          });
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
