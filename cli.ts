// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A command-line log receiver for Python's `logging.handlers.SocketHandler`
 * (and this package's `SocketHandler`): prints every received record.
 *
 * ```sh
 * deno run --allow-net cli.ts [--host H] [--port 9020 | --unix PATH | --udp]
 *   [--tls-cert FILE --tls-key FILE [--tls-ca FILE]]
 *   [--format pretty|json|"%(asctime)s %(levelname)s %(message)s"]
 *   [--max-frame BYTES] [--idle-timeout MS] [--count N] [--help]
 * ```
 *
 * - `pretty` (default on a terminal): local time `HH:MM:SS.mmm`, coloured
 *   level (unless `NO_COLOR` is set), logger name and message in aligned
 *   columns; extras, `exc_text` and `stack_info` indented below.
 * - `json` (default when piped): one JSON object per line with every
 *   field, then the extras, then `message` (the rendered message) and,
 *   for invalid records, `$problems`. Values with no JSON form are tagged:
 *   `{"$bigint":"123"}`, `{"$bytes":"<base64>"}`,
 *   `{"$float":"nan"|"inf"|"-inf"|"-0.0"}`, `{"$set":[...]}`,
 *   `{"$dict":[[key,value],...]}` (non-str keys); tuples are arrays.
 * - any other value is a Python `%`-style format rendered like
 *   `logging.Formatter(fmt).format(record)`: `%(message)s` is the rendered
 *   message, `%(asctime)s` is `YYYY-MM-DD HH:MM:SS,mmm` in local time, and
 *   `exc_text`/`stack_info` follow on their own lines.
 *
 * It prints `listening on HOST:PORT` (or the socket path) to stderr at
 * start, per-connection problems to stderr, and on Ctrl-C (or after
 * `--count N` records) a one-line summary. Exit codes: 0 success, 1 output
 * error, 2 bad arguments or address in use.
 *
 * @example Embed
 * ```ts ignore
 * import { main } from "@pylogging/socket-handler/cli";
 * Deno.exit(await main(["--port", "0", "--format", "json", "--count", "10"]));
 * ```
 *
 * @module
 */
import {
  LogReceiver,
  type PythonLogRecord,
  STANDARD_FIELDS,
} from "./receiver.ts";
import { PyFloat, PyTuple } from "./py_types.ts";
import { percentFormat, pyRepr } from "./percent_format.ts";

const USAGE = `Usage: deno run --allow-net cli.ts [options]

Receives records from Python's logging.handlers.SocketHandler and prints them.

Options:
  --host HOST          address to listen on (default 127.0.0.1)
  --port PORT          TCP port, 0 picks a free one (default 9020)
  --unix PATH          listen on a Unix socket instead (needs --allow-read
                       and --allow-write)
  --udp                receive UDP datagrams (Python's DatagramHandler)
                       instead of TCP; default port 9021
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
  --count N            exit after N records
  --help               show this help
`;

/** Exit code for bad arguments and a busy address. */
const USAGE_ERROR = 2;

class ArgError extends Error {}

interface Args {
  host: string;
  port: number;
  unix: string | undefined;
  udp: boolean;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  tlsCa: string | undefined;
  format: string | undefined;
  maxFrame: number | undefined;
  idleTimeout: number | undefined;
  count: number | undefined;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const out: Args = {
    host: "127.0.0.1",
    port: 9020,
    unix: undefined,
    udp: false,
    tlsCert: undefined,
    tlsKey: undefined,
    tlsCa: undefined,
    format: undefined,
    maxFrame: undefined,
    idleTimeout: undefined,
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
  if (out.udp && !portGiven) out.port = 9021;
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
  return out;
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `HH:MM:SS` (local time) of an epoch time in seconds. */
function localClock(created: number): string {
  const d = new Date(Math.floor(created) * 1000);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${
    pad(d.getSeconds(), 2)
  }`;
}

/**
 * Python's default `Formatter.formatTime`: `%Y-%m-%d %H:%M:%S,mmm` in
 * local time.
 *
 * @param record The record.
 * @returns The formatted time.
 */
export function pythonAsctime(record: PythonLogRecord): string {
  const d = new Date(Math.floor(record.created) * 1000);
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1, 2)}-${
    pad(d.getDate(), 2)
  } ${localClock(record.created)},${pad(Math.trunc(record.msecs), 3)}`;
}

/**
 * Renders a record like Python's `logging.Formatter(fmt).format(record)`.
 *
 * @param fmt A `%`-style format with `%(field)s` keys.
 * @param record The record.
 * @returns The formatted text.
 * @throws {Error} The format does not fit the record (missing key, wrong
 * type), as Python's `ValueError`/`TypeError`.
 */
export function formatPython(fmt: string, record: PythonLogRecord): string {
  const map: Record<string, unknown> = Object.create(null);
  for (const key of STANDARD_FIELDS) {
    map[key] = (record as unknown as Record<string, unknown>)[key];
  }
  for (const key in record.extra) map[key] = record.extra[key];
  // Always floats in Python, whatever their value.
  map.created = new PyFloat(record.created);
  map.msecs = new PyFloat(record.msecs);
  map.relativeCreated = new PyFloat(record.relativeCreated);
  map.message = record.getMessage();
  if (fmt.includes("%(asctime)")) map.asctime = pythonAsctime(record);
  let s = percentFormat(fmt, [], map).text;
  if (record.exc_text) {
    if (!s.endsWith("\n")) s += "\n";
    s += record.exc_text;
  }
  if (record.stack_info) {
    if (!s.endsWith("\n")) s += "\n";
    s += record.stack_info;
  }
  return s;
}

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

function jsonReplacer(_key: string, v: unknown): unknown {
  switch (typeof v) {
    case "bigint":
      return { $bigint: v.toString() };
    case "number":
      if (Number.isFinite(v)) return Object.is(v, -0) ? { $float: "-0.0" } : v;
      return { $float: Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf" };
    case "object":
      if (v === null || Array.isArray(v)) return v;
      if (v instanceof PyTuple) return v.items;
      if (v instanceof Uint8Array) return { $bytes: base64(v) };
      if (v instanceof Set) return { $set: [...v] };
      if (v instanceof Map) return { $dict: [...v] };
      return v;
    case "undefined":
    case "function":
    case "symbol":
      return null;
    default:
      return v;
  }
}

/**
 * One JSON line for a record: standard fields, extras, `message`, and
 * `$problems` when there are any. See the module docs for the tags.
 *
 * @param record The record.
 * @returns The JSON text (no newline).
 */
export function formatJson(record: PythonLogRecord): string {
  const out: Record<string, unknown> = {};
  for (const key of STANDARD_FIELDS) {
    out[key] = (record as unknown as Record<string, unknown>)[key];
  }
  for (const key in record.extra) {
    Object.defineProperty(out, key, {
      value: record.extra[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  out.message = record.getMessage();
  if (record.problems.length > 0) out.$problems = record.problems;
  return JSON.stringify(out, jsonReplacer);
}

const COLOURS: [number, string][] = [
  [50, "\x1b[1;31m"], // CRITICAL: bold red
  [40, "\x1b[31m"], // ERROR: red
  [30, "\x1b[33m"], // WARNING: yellow
  [20, "\x1b[32m"], // INFO: green
  [0, "\x1b[36m"], // DEBUG and lower: cyan
];
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

class Pretty {
  #colour: boolean;
  #nameWidth = 8;
  constructor(colour: boolean) {
    this.#colour = colour;
  }
  format(record: PythonLogRecord): string {
    const c = this.#colour;
    const time = `${localClock(record.created)}.${
      pad(Math.trunc(record.msecs), 3)
    }`;
    const level = record.levelname.padEnd(8);
    const name = record.name ?? "root";
    if (name.length > this.#nameWidth) {
      this.#nameWidth = Math.min(name.length, 32);
    }
    let line = "";
    if (c) {
      const colour = COLOURS.find(([n]) => (record.levelno ?? 0) >= n)?.[1] ??
        "";
      line = `${DIM}${time}${RESET} ${colour}${level}${RESET} ${DIM}${
        name.padEnd(this.#nameWidth)
      }${RESET} ${record.getMessage()}`;
    } else {
      line = `${time} ${level} ${
        name.padEnd(this.#nameWidth)
      } ${record.getMessage()}`;
    }
    const indent = "    ";
    for (const key in record.extra) {
      line += `\n${indent}${c ? DIM : ""}${key}=${c ? RESET : ""}${
        pyRepr(record.extra[key])
      }`;
    }
    for (const text of [record.exc_text, record.stack_info]) {
      if (text) line += "\n" + indent + text.replace(/\n/g, "\n" + indent);
    }
    for (const p of record.problems) {
      line += `\n${indent}${c ? "\x1b[33m" : ""}! ${p}${c ? RESET : ""}`;
    }
    return line;
  }
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

const encoder = new TextEncoder();

async function writeAll(
  w: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < data.length) off += await w.write(data.subarray(off));
}

async function writeErr(text: string): Promise<void> {
  try {
    await writeAll(Deno.stderr, encoder.encode(text));
  } catch {
    // stderr gone
  }
}

/**
 * Runs the receiver CLI.
 *
 * @param args Command-line arguments (without the script name).
 * @returns The exit code: 0 after `--count` records or Ctrl-C, 1 when
 * stdout fails, 2 for bad arguments or an address in use.
 */
export async function main(args: string[]): Promise<number> {
  let opts: Args;
  try {
    opts = parseArgs(args);
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    await writeErr(`error: ${e.message}\nTry '--help' for usage.\n`);
    return USAGE_ERROR;
  }
  if (opts.help) {
    await writeAll(Deno.stdout, encoder.encode(USAGE));
    return 0;
  }
  const tty = Deno.stdout.isTerminal();
  const format = opts.format ?? (tty ? "pretty" : "json");
  let render: (r: PythonLogRecord) => string;
  if (format === "json") render = formatJson;
  else if (format === "pretty") {
    const pretty = new Pretty(tty && !Deno.noColor);
    render = (r) => pretty.format(r);
  } else render = (r) => formatPython(format, r);

  let receiver: LogReceiver;
  try {
    const tls = opts.tlsCert !== undefined && opts.tlsKey !== undefined
      ? {
        cert: await Deno.readTextFile(opts.tlsCert),
        key: await Deno.readTextFile(opts.tlsKey),
        ...(opts.tlsCa !== undefined
          ? { caCerts: [await Deno.readTextFile(opts.tlsCa)] }
          : {}),
      }
      : undefined;
    receiver = new LogReceiver({
      hostname: opts.host,
      port: opts.port,
      ...(opts.unix !== undefined ? { path: opts.unix } : {}),
      ...(opts.udp ? { udp: true } : {}),
      ...(tls !== undefined ? { tls } : {}),
      ...(opts.maxFrame !== undefined ? { maxFrameBytes: opts.maxFrame } : {}),
      ...(opts.idleTimeout !== undefined
        ? { idleTimeout: opts.idleTimeout }
        : {}),
      onError: (error, conn) => {
        const where = conn ? ` [connection ${conn.id}]` : "";
        console.error(`warning: ${error.kind}: ${error.message}${where}`);
      },
    });
    await receiver.ready;
  } catch (e) {
    let text: string;
    if (
      e instanceof Deno.errors.AddrInUse ||
      (e as { code?: unknown })?.code === "EADDRINUSE"
    ) {
      text = opts.unix !== undefined
        ? `socket path '${opts.unix}' is already in use`
        : `port ${opts.port} is already in use`;
    } else if (
      e instanceof Deno.errors.NotCapable ||
      e instanceof Deno.errors.PermissionDenied
    ) {
      text = `cannot listen: ${e.message} (run with --allow-net${
        opts.unix !== undefined ? " --allow-read --allow-write" : ""
      })`;
    } else if (e instanceof Error) {
      text = `cannot listen on ${
        opts.unix ?? `${opts.host}:${opts.port}`
      }: ${e.message}`;
    } else throw e;
    await writeErr(`error: ${text}\n`);
    return USAGE_ERROR;
  }
  const addr = receiver.addr;
  let where: string;
  if ("path" in addr) where = addr.path;
  else if (addr.transport === "udp") {
    where = addr.hostname.includes(":")
      ? `udp [${addr.hostname}]:${addr.port}`
      : `udp ${addr.hostname}:${addr.port}`;
  } else if (addr.hostname.includes(":")) {
    where = `[${addr.hostname}]:${addr.port}`;
  } else where = `${addr.hostname}:${addr.port}`;
  await writeErr(`listening on ${where}\n`);

  const onSignal = () => {
    receiver.close();
  };
  let listening = false;
  try {
    Deno.addSignalListener("SIGINT", onSignal);
    listening = true;
  } catch {
    // signals unsupported here
  }
  let code = 0;
  let count = 0;
  let out = "";
  try {
    for await (const record of receiver) {
      let line: string;
      try {
        line = render(record);
      } catch (e) {
        line = `--- Cannot format record: ${
          e instanceof Error ? e.message : e
        }: ${formatJson(record)}`;
      }
      out += line + "\n";
      count++;
      const done = opts.count !== undefined && count >= opts.count;
      if (done || receiver.buffered === 0 || out.length >= 65536) {
        await writeAll(Deno.stdout, encoder.encode(out));
        out = "";
      }
      if (done) break;
    }
    if (out) await writeAll(Deno.stdout, encoder.encode(out));
  } catch (e) {
    code = e instanceof Deno.errors.BrokenPipe ? 0 : 1;
    if (code) {
      await writeErr(
        `error: cannot write output: ${e instanceof Error ? e.message : e}\n`,
      );
    }
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onSignal);
    await receiver.close();
  }
  const s = receiver.stats();
  await writeErr(
    `received ${s.records} record${
      s.records === 1 ? "" : "s"
    } over ${s.connectionsTotal} connection${
      s.connectionsTotal === 1 ? "" : "s"
    }, ${s.errors} error${s.errors === 1 ? "" : "s"}\n`,
  );
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
