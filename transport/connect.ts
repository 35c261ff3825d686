// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Opening stream connections to the receiver: the target of validated
 * options ({@linkcode socketTarget}), the connection itself
 * ({@linkcode connectTo}: TCP with `TCP_NODELAY`, TLS with the handshake
 * done, or a Unix stream socket), and how long the engine lets one attempt
 * take ({@linkcode connectBudget}). Durations are in milliseconds. Private to
 * the package.
 *
 * @module
 */
import { connectTls } from "./tls.ts";
import {
  DEFAULT_TCP_LOGGING_PORT,
  DEFAULTS,
  type SocketOptions,
  type TlsOptions,
} from "./options.ts";

/** Where the receiver is: a TCP host and port, or a Unix socket path. */
export interface SocketTarget {
  /** Host name (undefined for a Unix socket). */
  hostname: string | undefined;
  /** Port (undefined for a Unix socket). */
  port: number | undefined;
  /** Unix socket path (undefined for TCP). */
  path: string | undefined;
  /** TLS options, frozen (undefined for plain TCP or a Unix socket). */
  tls: Readonly<TlsOptions> | undefined;
  /** Timeout of the TCP connect alone, in milliseconds. */
  connectTimeout: number;
}

/**
 * The receiver address of validated options, with the defaults applied.
 *
 * @param options Validated options.
 * @returns The target.
 */
export function socketTarget(options: SocketOptions): SocketTarget {
  const connectTimeout = options.connectTimeout ?? DEFAULTS.connectTimeout;
  if (options.path !== undefined) {
    return {
      hostname: undefined,
      port: undefined,
      path: options.path,
      tls: undefined,
      connectTimeout,
    };
  }
  const tls = options.tls;
  return {
    hostname: options.hostname ?? DEFAULTS.hostname,
    port: options.port ?? DEFAULT_TCP_LOGGING_PORT,
    path: undefined,
    tls: tls === undefined ? undefined : Object.freeze({
      ...tls,
      ...(tls.caCerts && { caCerts: [...tls.caCerts] }),
    }),
    connectTimeout,
  };
}

/**
 * How long the engine lets one connection attempt take, in milliseconds:
 * the TCP connect, plus with TLS the handshake and the settle wait
 * ({@linkcode connectTo} bounds each separately).
 *
 * @param target The receiver address.
 * @returns The engine's `connectTimeout`.
 */
export function connectBudget(target: SocketTarget): number {
  const tls = target.tls;
  if (tls === undefined) return target.connectTimeout;
  return target.connectTimeout +
    (tls.handshakeTimeout ?? DEFAULTS.handshakeTimeout) +
    (tls.settleTimeout ?? DEFAULTS.settleTimeout);
}

/**
 * Opens a connection to the target (TCP with `TCP_NODELAY`, TLS with the
 * handshake done, or a Unix stream socket).
 *
 * @param target The receiver address.
 * @param signal Aborted on connect timeout or close (Unix connects take no
 * signal; the engine abandons a hung attempt).
 * @returns The connection.
 */
export async function connectTo(
  target: SocketTarget,
  signal: AbortSignal,
): Promise<Deno.Conn> {
  if (target.path !== undefined) {
    return await Deno.connect({ transport: "unix", path: target.path });
  }
  const hostname = target.hostname ?? DEFAULTS.hostname;
  const port = target.port ?? DEFAULT_TCP_LOGGING_PORT;
  if (target.tls !== undefined) {
    return await connectTls({
      hostname,
      port,
      tls: target.tls,
      connectTimeout: target.connectTimeout,
    }, signal);
  }
  const conn = await Deno.connect({ hostname, port, signal });
  conn.setNoDelay(true);
  return conn;
}
