// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Where a receiver forwards its records: the {@linkcode ForwardTarget}
 * option (a URL, or an object with the URL and its TLS, facility and queue
 * options) and the validation of the receiver's `forward` option
 * ({@linkcode resolveForwardTargets}, the URLs read by `url.ts`), done
 * once when the receiver is created. Private to the package.
 *
 * @example Usage
 * ```ts
 * import { resolveForwardTargets } from "./target.ts";
 * import { equal, throws } from "node:assert/strict";
 *
 * const [target] = resolveForwardTargets([{ url: "syslog+tcp://[::1]:514", facility: "local0" }]);
 * equal(target!.hostname, "::1");
 * equal(target!.facility, 16);
 * throws(
 *   () => resolveForwardTargets([{ url: "ndjson+tcp://h:1", tls: {} }]),
 *   new TypeError(
 *     `Cannot create LogReceiver as 'forward[0].tls' needs a syslog+tls:// or ndjson+tls:// URL: current value is "ndjson+tcp://h:1"`,
 *   ),
 * );
 * ```
 *
 * @module
 */
import { type TlsOptions, validateTlsOptions } from "../transport/options.ts";
import {
  DEFAULT_FACILITY,
  syslogFacility,
  type SyslogFacilityName,
} from "./syslog_pri.ts";
import { type ForwardUrl, parseForwardUrl } from "./url.ts";

export type { ForwardUrl, SyslogFacilityName, TlsOptions };

/**
 * A forward target of `LogReceiver`: where to send each record it
 * delivers, and how. A bare URL string stands for `{ url }`.
 */
export interface ForwardTarget {
  /**
   * `syslog+tcp://HOST:PORT`, `syslog+tls://HOST:PORT`,
   * `ndjson+tcp://HOST:PORT` or `ndjson+tls://HOST:PORT` (an IPv6 HOST in
   * brackets).
   */
  url: string;
  /**
   * TLS options of a `+tls` URL (not allowed with `+tcp`), as the
   * handler's `tls` option: trusted `caCerts` (PEM, added to the default
   * roots), a client `cert` and `key` for mutual TLS, the `serverName` to
   * verify, `handshakeTimeout` and `settleTimeout`. There is never a
   * fallback to plaintext: a certificate error is reported and retried
   * with backoff, the records kept (bounded).
   *
   * @default {{} for a `+tls` URL: the default roots}
   */
  tls?: TlsOptions;
  /**
   * The syslog facility, by name or number (0–23); syslog targets only.
   *
   * @default {"user"}
   */
  facility?: SyslogFacilityName | number;
  /**
   * Most records queued for this target (including those being written):
   * beyond it the oldest are dropped and counted (`overflow`). Larger than
   * the handler's default (10,000): a receiver forwards for many senders.
   *
   * @default {100000}
   */
  maxQueueRecords?: number;
  /**
   * Most bytes queued for this target (including those being written):
   * beyond it the oldest records are dropped and counted (`overflow`); a
   * single record larger than it is dropped as `oversize`. Larger than the
   * handler's default (8 MiB).
   *
   * @default {67108864} (64 MiB)
   */
  maxQueueBytes?: number;
  /**
   * Milliseconds for which records written to the target are kept, to be
   * sent again first if the connection is lost within that time. A syslog
   * daemon that restarts stops reading before it closes its connections
   * (rsyslog: measured in docs/engines.md): what it had not read is sent
   * again, at the price of duplicates of what it had. 0 keeps nothing
   * (at most once, as TCP).
   *
   * @default {1000}
   */
  resendWindow?: number;
}

/** The default of {@linkcode ForwardTarget.resendWindow}, in ms. */
export const DEFAULT_RESEND_WINDOW = 1000;

/** The default of {@linkcode ForwardTarget.maxQueueRecords}. */
export const DEFAULT_FORWARD_QUEUE_RECORDS = 100_000;
/** The default of {@linkcode ForwardTarget.maxQueueBytes} (64 MiB). */
export const DEFAULT_FORWARD_QUEUE_BYTES = 64 * 1024 * 1024;

/** A validated forward target, with its defaults. */
export interface ResolvedTarget extends ForwardUrl {
  /** The URL as given. */
  url: string;
  /** TLS options (`{}` for default roots) of a `+tls` URL, else undefined. */
  tls: TlsOptions | undefined;
  /** Facility number (syslog). */
  facility: number;
  /** Queue bound in records. */
  maxQueueRecords: number;
  /** Queue bound in bytes. */
  maxQueueBytes: number;
  /** Resend window, ms. */
  resendWindow: number;
}

const TARGET_KEYS = [
  "url",
  "tls",
  "facility",
  "maxQueueRecords",
  "maxQueueBytes",
  "resendWindow",
] as const;

/** How a current value is shown in a message. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return String(value);
}

function integerIn(
  prefix: string,
  name: string,
  value: unknown,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `${prefix} '${name}' must be an integer from 1 to ${max}: current value is ${
        show(value)
      }`,
    );
  }
  if (value < 1 || value > max) {
    throw new RangeError(
      `${prefix} '${name}' must be an integer from 1 to ${max}: current value is ${value}`,
    );
  }
  return value;
}

/**
 * Validates one forward target (a URL or a {@linkcode ForwardTarget}) and
 * applies its defaults.
 *
 * @param target The target.
 * @param prefix The first words of the messages (`Cannot create LogReceiver as`).
 * @param name How the messages name it (`forward[0]`).
 * @returns The target.
 * @throws {TypeError} If the URL, a key or a value is wrong, or options do
 * not fit the URL (`tls` with `+tcp`, `facility` with `ndjson`).
 * @throws {RangeError} If a port or bound is out of range.
 */
export function resolveForwardTarget(
  target: unknown,
  prefix: string,
  name: string,
): ResolvedTarget {
  const o: Record<string, unknown> = typeof target === "string"
    ? { url: target }
    : target !== null && typeof target === "object" && !Array.isArray(target)
    ? target as Record<string, unknown>
    : (() => {
      throw new TypeError(
        `${prefix} '${name}' must be a URL or an object with 'url': current value is ${
          show(target)
        }`,
      );
    })();
  for (const key of Object.keys(o)) {
    if (!(TARGET_KEYS as readonly string[]).includes(key)) {
      throw new TypeError(
        `${prefix} '${name}.${key}' is not an option of a forward target: use ${
          TARGET_KEYS.join(", ")
        }`,
      );
    }
  }
  const label = typeof target === "string" ? `'${name}'` : `'${name}.url'`;
  const url = o.url as string;
  const parts = parseForwardUrl(url, prefix, label);
  let tls: TlsOptions | undefined = undefined;
  if (o.tls !== undefined) {
    if (!parts.secure) {
      throw new TypeError(
        `${prefix} '${name}.tls' needs a syslog+tls:// or ndjson+tls:// URL: current value is ${
          JSON.stringify(url)
        }`,
      );
    }
    validateTlsOptions(prefix, o.tls, `${name}.tls`);
    const given = o.tls as TlsOptions;
    tls = { ...given, ...(given.caCerts && { caCerts: [...given.caCerts] }) };
  } else if (parts.secure) tls = {};
  let facility = DEFAULT_FACILITY;
  if (o.facility !== undefined) {
    if (parts.format !== "syslog") {
      throw new TypeError(
        `${prefix} '${name}.facility' needs a syslog+tcp:// or syslog+tls:// URL: current value is ${
          JSON.stringify(url)
        }`,
      );
    }
    const n = syslogFacility(o.facility);
    if (n === undefined) {
      throw new TypeError(
        `${prefix} '${name}.facility' must be a facility name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 to local7) or a number from 0 to 23: current value is ${
          show(o.facility)
        }`,
      );
    }
    facility = n;
  }
  return {
    url,
    ...parts,
    tls,
    facility,
    maxQueueRecords: integerIn(
      prefix,
      `${name}.maxQueueRecords`,
      o.maxQueueRecords,
      2 ** 30,
      DEFAULT_FORWARD_QUEUE_RECORDS,
    ),
    maxQueueBytes: integerIn(
      prefix,
      `${name}.maxQueueBytes`,
      o.maxQueueBytes,
      2 ** 52,
      DEFAULT_FORWARD_QUEUE_BYTES,
    ),
    resendWindow: resendWindowOf(prefix, name, o.resendWindow),
  };
}

function resendWindowOf(prefix: string, name: string, value: unknown): number {
  if (value === undefined) return DEFAULT_RESEND_WINDOW;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `${prefix} '${name}.resendWindow' must be a number from 0 to 600000: current value is ${
        show(value)
      }`,
    );
  }
  if (value < 0 || value > 600_000) {
    throw new RangeError(
      `${prefix} '${name}.resendWindow' must be a number from 0 to 600000: current value is ${value}`,
    );
  }
  return value;
}

/**
 * Validates a receiver's `forward` option.
 *
 * @param forward The option's value.
 * @returns The targets (none for `undefined` or an empty array).
 * @throws {TypeError} If it is not an array, or a target is wrong (see
 * {@linkcode resolveForwardTarget}).
 * @throws {RangeError} If a port or bound is out of range.
 */
export function resolveForwardTargets(forward: unknown): ResolvedTarget[] {
  const prefix = "Cannot create LogReceiver as";
  if (forward === undefined) return [];
  if (!Array.isArray(forward)) {
    throw new TypeError(
      `${prefix} 'forward' must be an array of URLs or forward targets: current value is ${
        show(forward)
      }`,
    );
  }
  return forward.map((t, i) =>
    resolveForwardTarget(t, prefix, `forward[${i}]`)
  );
}
