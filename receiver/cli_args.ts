// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The arguments of the receiver CLI: its usage text and their parsing and
 * validation into {@linkcode Args}.
 *
 * @module
 */
import {
  DEFAULT_TCP_LOGGING_PORT,
  DEFAULT_UDP_LOGGING_PORT,
} from "../transport/options.ts";
import { parseForwardUrl } from "../forward/url.ts";
import { syslogFacility } from "../forward/syslog_pri.ts";

/** The text of `--help`. */
export const USAGE = `Usage: deno run --allow-net cli.ts [options]

Receives records from Python's logging.handlers.SocketHandler and prints them.

Options:
  --host HOST          address to listen on (default 127.0.0.1)
  --port PORT          TCP port, 0 picks a free one (default ${DEFAULT_TCP_LOGGING_PORT})
  --unix PATH          listen on a Unix socket instead (needs --allow-read
                       and --allow-write)
  --udp                receive UDP datagrams (Python's DatagramHandler)
                       instead of TCP; default port ${DEFAULT_UDP_LOGGING_PORT}
  --tls-cert FILE      serve TLS with this PEM certificate chain (needs
                       --tls-key and --allow-read)
  --tls-key FILE       PEM private key of --tls-cert
  --tls-ca FILE        require client certificates signed by this PEM CA
  --format FORMAT      pretty (default on a terminal), json (default when
                       piped), or a Python format such as
                       "%(asctime)s %(levelname)s %(name)s %(message)s"
  --max-frame BYTES    largest accepted frame (default 4194304)
  --idle-timeout MS    close connections silent for MS milliseconds
                       (default 0: never)
  --max-connections N  most open connections; at the limit a new one evicts
                       the oldest that has delivered no record, else the
                       longest-idle one (default 512; keep it below
                       ulimit -n)
  --max-buffered-bytes BYTES
                       most bytes held in partial frames and unprinted
                       records; reading pauses beyond it (default 67108864)
  --min-read-rate B/S  close a connection holding a partial frame that
                       reads slower than this over 10 s (default 1024;
                       0: never)
  --frame-timeout MS   close a connection that has not completed a started
                       frame within MS milliseconds (default 30000; 0: never)
  --ack                acknowledge records to senders with sequence: true
                       (16-byte frames on the same connection counting the
                       frames printed, i.e. written to stdout, skipped as
                       duplicates or refused); connections whose records
                       have no 'sender' attribute, such as Python's
                       SocketHandler, are never written to. Not with --udp
  --gap-timeout MS     announce records of a sequence: true sender as
                       missing (a WARNING record) once a gap in its 'seq'
                       numbers has been open for MS milliseconds (default
                       2000). Each (sender, seq) is printed once: duplicates
                       are skipped
  --forward URL        also send every record printed (after duplicates are
                       skipped; missing-record warnings included) to URL;
                       repeatable:
                         syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT
                           RFC 5424 in RFC 6587 octet counting, the
                           record's fields in [python@32473 ...]
                         ndjson+tcp://HOST:PORT, ndjson+tls://HOST:PORT
                           one JSON object per line, as --format json
                       (an IPv6 HOST in brackets: [::1]:6514). Each target
                       has its own queue (100000 records, 64 MiB; beyond
                       it the oldest are dropped) and reconnects with
                       backoff; at the end (--count, Ctrl-C or SIGTERM)
                       the queues get up to 2 s, and the summary says what
                       each target was sent. Syslog HOSTNAME: the record's
                       'hostname' or 'sender', else this host's name with
                       --allow-sys=hostname, else '-'
  --forward-ca FILE    trust this PEM CA for the +tls targets, besides the
                       default roots (repeatable, or FILE,FILE)
  --forward-cert FILE  PEM client certificate for the +tls targets (mutual
                       TLS; needs --forward-key)
  --forward-key FILE   PEM private key of --forward-cert
  --forward-facility NAME|N
                       syslog facility of the syslog targets: kern, user
                       (default), mail, daemon, auth, syslog, lpr, news,
                       uucp, cron, authpriv, ftp, local0 to local7, or a
                       number from 0 to 23
  --web [HOST:]PORT    also serve a live web viewer of the records at
                       http://HOST:PORT/ (HOST 127.0.0.1 by default; an
                       IPv6 HOST in brackets; PORT 0 picks a free one; the
                       page files need --allow-read from a checkout). Each
                       browser has its own queue (10000 records, 16 MiB;
                       a slow one loses its oldest records, and is told);
                       32 browsers at most.
                       Off loopback, a token is required: a random one is
                       printed at start
  --web-token TOKEN    the token of --web (?token=TOKEN on every request),
                       instead of a random one; also on loopback
  --count N            exit after N records
  --help               show this help
`;

/** Exit code for bad arguments and a busy address. */
export const USAGE_ERROR = 2;

/** A bad command line; its message says what is wrong. */
export class ArgError extends Error {}

/** The parsed command line. */
export interface Args {
  /** `--host`. */
  host: string;
  /** `--port` (9021 with `--udp`, else 9020, by default). */
  port: number;
  /** `--unix`. */
  unix: string | undefined;
  /** `--udp`. */
  udp: boolean;
  /** `--tls-cert`. */
  tlsCert: string | undefined;
  /** `--tls-key`. */
  tlsKey: string | undefined;
  /** `--tls-ca`. */
  tlsCa: string | undefined;
  /** `--format`. */
  format: string | undefined;
  /** `--max-frame`. */
  maxFrame: number | undefined;
  /** `--idle-timeout`. */
  idleTimeout: number | undefined;
  /** `--max-connections`. */
  maxConnections: number | undefined;
  /** `--max-buffered-bytes`. */
  maxBufferedBytes: number | undefined;
  /** `--min-read-rate`. */
  minReadRate: number | undefined;
  /** `--frame-timeout`. */
  frameTimeout: number | undefined;
  /** `--ack`. */
  ack: boolean;
  /** `--gap-timeout`. */
  gapTimeout: number | undefined;
  /** `--forward`, in order. */
  forward: string[];
  /** `--forward-ca`, each file once per flag or comma. */
  forwardCa: string[];
  /** `--forward-cert`. */
  forwardCert: string | undefined;
  /** `--forward-key`. */
  forwardKey: string | undefined;
  /** `--forward-facility`, as a number. */
  forwardFacility: number | undefined;
  /** `--web`: the viewer's address. */
  web: { hostname: string; port: number } | undefined;
  /** `--web-token`. */
  webToken: string | undefined;
  /** `--count`. */
  count: number | undefined;
  /** `--help` or `-h`. */
  help: boolean;
}

/**
 * Parses and checks the command line (`--opt value` or `--opt=value`).
 *
 * @param argv The arguments, without the script name.
 * @returns The parsed arguments.
 * @throws {ArgError} An unknown or malformed option, or options that
 * exclude each other.
 */
export function parseArgs(argv: string[]): Args {
  const out: Args = {
    host: "127.0.0.1",
    port: DEFAULT_TCP_LOGGING_PORT,
    unix: undefined,
    udp: false,
    tlsCert: undefined,
    tlsKey: undefined,
    tlsCa: undefined,
    format: undefined,
    maxFrame: undefined,
    idleTimeout: undefined,
    maxConnections: undefined,
    maxBufferedBytes: undefined,
    minReadRate: undefined,
    frameTimeout: undefined,
    ack: false,
    gapTimeout: undefined,
    forward: [],
    forwardCa: [],
    forwardCert: undefined,
    forwardKey: undefined,
    forwardFacility: undefined,
    web: undefined,
    webToken: undefined,
    count: undefined,
    help: false,
  };
  let portGiven = false;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const takeValue = (): string => {
      if (value !== undefined) return value;
      const next = argv[++i];
      if (next === undefined) {
        throw new ArgError(`Option '${arg}' needs a value`);
      }
      return next;
    };
    const int = (min: number, max: number): number => {
      const text = takeValue();
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < min || n > max) {
        throw new ArgError(
          `Option '${arg}' must be an integer from ${min} to ${max}: got '${text}'`,
        );
      }
      return n;
    };
    switch (arg) {
      case "-h":
      case "--help":
        out.help = true;
        break;
      case "--host":
      case "--hostname":
        out.host = takeValue();
        break;
      case "--port":
        out.port = int(0, 65535);
        portGiven = true;
        break;
      case "--unix":
        out.unix = takeValue();
        break;
      case "--udp":
        out.udp = true;
        break;
      case "--tls-cert":
        out.tlsCert = takeValue();
        break;
      case "--tls-key":
        out.tlsKey = takeValue();
        break;
      case "--tls-ca":
        out.tlsCa = takeValue();
        break;
      case "--format": {
        const f = takeValue();
        if (f !== "pretty" && f !== "json" && !f.includes("%(")) {
          throw new ArgError(
            `Unknown format '${f}': use pretty, json or a Python format such as "%(levelname)s %(message)s"`,
          );
        }
        out.format = f;
        break;
      }
      case "--max-frame":
        out.maxFrame = int(1, 0xffffffff);
        break;
      case "--idle-timeout":
        out.idleTimeout = int(0, 2 ** 31 - 1);
        break;
      case "--max-connections":
        out.maxConnections = int(1, Number.MAX_SAFE_INTEGER);
        break;
      case "--max-buffered-bytes":
        out.maxBufferedBytes = int(1, Number.MAX_SAFE_INTEGER);
        break;
      case "--min-read-rate":
        out.minReadRate = int(0, Number.MAX_SAFE_INTEGER);
        break;
      case "--frame-timeout":
        out.frameTimeout = int(0, 2 ** 31 - 1);
        break;
      case "--ack":
        out.ack = true;
        break;
      case "--gap-timeout":
        out.gapTimeout = int(0, 2 ** 31 - 1);
        break;
      case "--forward": {
        const url = takeValue();
        try {
          parseForwardUrl(url, "Cannot forward as", "'--forward'");
        } catch (e) {
          throw new ArgError((e as Error).message);
        }
        out.forward.push(url);
        break;
      }
      case "--forward-ca":
        for (const file of takeValue().split(",")) {
          if (file !== "") out.forwardCa.push(file);
        }
        break;
      case "--forward-cert":
        out.forwardCert = takeValue();
        break;
      case "--forward-key":
        out.forwardKey = takeValue();
        break;
      case "--forward-facility": {
        const text = takeValue();
        const n = syslogFacility(text);
        if (n === undefined) {
          throw new ArgError(
            `Option '--forward-facility' must be kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 to local7 or a number from 0 to 23: got '${text}'`,
          );
        }
        out.forwardFacility = n;
        break;
      }
      case "--web":
        out.web = parseWebAddr(takeValue());
        break;
      case "--web-token": {
        const token = takeValue();
        if (!/^[A-Za-z0-9._~-]+$/.test(token)) {
          throw new ArgError(
            "Option '--web-token' must be one or more letters, digits, '-', '_', '.' or '~'",
          );
        }
        out.webToken = token;
        break;
      }
      case "--count":
        out.count = int(1, Number.MAX_SAFE_INTEGER);
        break;
      default:
        throw new ArgError(`Unknown argument '${arg}'`);
    }
  }
  if (out.unix !== undefined && portGiven) {
    throw new ArgError("Options '--port' and '--unix' cannot be combined");
  }
  if (out.udp && out.unix !== undefined) {
    throw new ArgError(
      "Options '--udp' and '--unix' cannot be combined: Unix datagram sockets are not supported",
    );
  }
  if (out.udp && out.ack) {
    throw new ArgError(
      "Options '--ack' and '--udp' cannot be combined: acknowledgements need a stream connection",
    );
  }
  if (out.udp && !portGiven) out.port = DEFAULT_UDP_LOGGING_PORT;
  const tls = out.tlsCert !== undefined || out.tlsKey !== undefined ||
    out.tlsCa !== undefined;
  if (tls && (out.tlsCert === undefined || out.tlsKey === undefined)) {
    throw new ArgError("Options '--tls-cert' and '--tls-key' go together");
  }
  if (tls && (out.udp || out.unix !== undefined)) {
    throw new ArgError(
      "TLS options need TCP: they cannot be combined with '--udp' or '--unix'",
    );
  }
  if (out.webToken !== undefined && out.web === undefined) {
    throw new ArgError("Option '--web-token' needs '--web'");
  }
  checkForward(out);
  return out;
}

/**
 * The address of `--web`: `PORT`, `HOST:PORT` or `[IPv6]:PORT`.
 *
 * @param text The option's value.
 * @returns The host (127.0.0.1 when not given) and port.
 * @throws {ArgError} If it is not such an address.
 */
export function parseWebAddr(
  text: string,
): { hostname: string; port: number } {
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new ArgError(
      `Option '--web' must be [HOST:]PORT (an IPv6 HOST in brackets), PORT from 0 to 65535: got '${text}'`,
    );
  }
  const host = m[1] ?? "127.0.0.1";
  return { hostname: host.replace(/^\[(.*)\]$/, "$1"), port };
}

/** The `--forward-*` options need `--forward` targets they apply to. */
function checkForward(out: Args): void {
  const parts = out.forward.map((url) => parseForwardUrl(url, "", ""));
  if ((out.forwardCert === undefined) !== (out.forwardKey === undefined)) {
    throw new ArgError(
      "Options '--forward-cert' and '--forward-key' go together",
    );
  }
  const tls = out.forwardCa.length > 0 || out.forwardCert !== undefined;
  if (tls && !parts.some((p) => p.secure)) {
    throw new ArgError(
      "Options '--forward-ca', '--forward-cert' and '--forward-key' need a syslog+tls:// or ndjson+tls:// '--forward' target",
    );
  }
  if (
    out.forwardFacility !== undefined &&
    !parts.some((p) => p.format === "syslog")
  ) {
    throw new ArgError(
      "Option '--forward-facility' needs a syslog+tcp:// or syslog+tls:// '--forward' target",
    );
  }
}
