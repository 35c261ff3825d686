// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The URL of a forward target ({@linkcode parseForwardUrl}): its format,
 * whether it is TLS, its host and its port, or an error saying what is
 * wrong with it. Private to the package.
 *
 * The URLs:
 *
 * | URL                      | what is sent                                         |
 * | ------------------------ | ---------------------------------------------------- |
 * | `syslog+tcp://HOST:PORT` | RFC 5424 messages, RFC 6587 octet counting           |
 * | `syslog+tls://HOST:PORT` | the same over TLS (RFC 5425)                         |
 * | `ndjson+tcp://HOST:PORT` | one JSON object per line (the CLI's `--format json`) |
 * | `ndjson+tls://HOST:PORT` | the same over TLS                                    |
 *
 * HOST is a host name, an IPv4 address or an IPv6 address in brackets
 * (`[::1]:6514`); the port is required (1–65535). Nothing else may follow
 * (a single `/` excepted).
 *
 * @example Usage
 * ```ts
 * import { parseForwardUrl } from "./url.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 *
 * deepEqual(parseForwardUrl("syslog+tls://[::1]:6514", "Cannot forward as", "'url'"), {
 *   format: "syslog",
 *   secure: true,
 *   hostname: "::1",
 *   port: 6514,
 * });
 * throws(
 *   () => parseForwardUrl("syslog+tcp://logs", "Cannot forward as", "'url'"),
 *   new TypeError(
 *     `Cannot forward as 'url' must name a port (syslog+tcp://HOST:PORT): current value is "syslog+tcp://logs"`,
 *   ),
 * );
 * ```
 *
 * @module
 */

/** What a target is sent: syslog messages or NDJSON lines. */
export type ForwardFormat = "syslog" | "ndjson";

/** The parts of a forward URL. */
export interface ForwardUrl {
  /** What the target is sent. */
  format: ForwardFormat;
  /** Whether the connection is TLS. */
  secure: boolean;
  /** Host name or address (an IPv6 address without its brackets). */
  hostname: string;
  /** TCP port, 1–65535. */
  port: number;
}

const SCHEMES: Readonly<Record<string, [ForwardFormat, boolean]>> = {
  "syslog+tcp": ["syslog", false],
  "syslog+tls": ["syslog", true],
  "ndjson+tcp": ["ndjson", false],
  "ndjson+tls": ["ndjson", true],
};

const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$/;

/**
 * The parts of a forward URL (see the module docs).
 *
 * @param url The URL.
 * @param prefix The first words of the messages (`Cannot create LogReceiver as`).
 * @param label How the messages name the URL (`'forward[0]'`).
 * @returns The parts.
 * @throws {TypeError} If it is not such a URL: scheme, host or port
 * missing or malformed, or something after the port.
 * @throws {RangeError} If the port is not from 1 to 65535.
 */
export function parseForwardUrl(
  url: string,
  prefix: string,
  label: string,
): ForwardUrl {
  const fail = (
    what: string,
    must: string,
    E: TypeErrorConstructor | RangeErrorConstructor = TypeError,
  ) =>
    new E(`${prefix} ${what} ${must}: current value is ${JSON.stringify(url)}`);
  if (typeof url !== "string") {
    throw new TypeError(
      `${prefix} ${label} must be a string: current value is ${String(url)}`,
    );
  }
  const sep = url.indexOf("://");
  if (sep < 0) {
    throw fail(
      label,
      "must be a URL such as syslog+tcp://HOST:PORT or ndjson+tcp://HOST:PORT",
    );
  }
  const scheme = url.slice(0, sep).toLowerCase();
  const kind = Object.hasOwn(SCHEMES, scheme) ? SCHEMES[scheme] : undefined;
  if (kind === undefined) {
    throw fail(
      `the scheme of ${label}`,
      "must be syslog+tcp, syslog+tls, ndjson+tcp or ndjson+tls",
    );
  }
  let rest = url.slice(sep + 3);
  if (rest.endsWith("/")) rest = rest.slice(0, -1);
  if (/[/?#]/.test(rest)) {
    throw fail(label, `must be ${scheme}://HOST:PORT with nothing after it`);
  }
  let hostname: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    hostname = close < 0 ? "" : rest.slice(1, close);
    if (close < 0 || !IPV6.test(hostname)) {
      throw fail(
        `the host of ${label}`,
        "must be an IPv6 address in brackets ([::1])",
      );
    }
    const after = rest.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) {
      throw fail(label, `must be ${scheme}://[IPV6]:PORT`);
    }
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const colon = rest.lastIndexOf(":");
    hostname = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
    if (hostname.includes(":")) {
      throw fail(
        `the host of ${label}`,
        "must put an IPv6 address in brackets ([::1]:PORT)",
      );
    }
    if (!HOST_NAME.test(hostname)) {
      throw fail(
        `the host of ${label}`,
        "must be a host name, an IPv4 address or an IPv6 address in brackets",
      );
    }
  }
  if (portText === undefined) {
    throw fail(label, `must name a port (${scheme}://HOST:PORT)`);
  }
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
    throw fail(
      `the port of ${label}`,
      "must be an integer from 1 to 65535",
      /^\d+$/.test(portText) ? RangeError : TypeError,
    );
  }
  return { format: kind[0], secure: kind[1], hostname, port };
}
