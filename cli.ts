// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A command-line log receiver for Python's `logging.handlers.SocketHandler`
 * (and this package's `SocketHandler`): prints every received record.
 *
 * ```sh
 * deno run --allow-net cli.ts [--host H] [--port 9020 | --unix PATH | --udp]
 *   [--tls-cert FILE --tls-key FILE [--tls-ca FILE]]
 *   [--format pretty|json|"%(asctime)s %(levelname)s %(message)s"]
 *   [--max-frame BYTES] [--idle-timeout MS] [--ack] [--gap-timeout MS]
 *   [--forward URL]... [--forward-ca FILE] [--forward-cert FILE
 *   --forward-key FILE] [--forward-facility NAME|N]
 *   [--web [HOST:]PORT [--web-token T]] [--count N] [--help]
 * ```
 *
 * - `pretty` (default on a terminal): local time `HH:MM:SS.mmm`, coloured
 *   level (unless `NO_COLOR` is set), logger name in a column of 20 (a
 *   longer name shows its end after `…`) and message; the message's further
 *   lines, extras, `exc_text` and `stack_info` indented below.
 * - `json` (default when piped): one JSON object per line with every
 *   field, then the extras, then `message` (the rendered message) and,
 *   for invalid records, `$problems`. Lossless: values JSON cannot tell
 *   apart are tagged (`{"$tuple":[…]}`, `{"$float":"1.0"}`,
 *   `{"$bigint":"123"}`, `{"$bytes":"<base64>"}`, `{"$frozenset":[…]}`,
 *   `{"$dict":[[key,value],…]}`, `{"$object":"datetime.date",…}`…; see
 *   docs/wire-format.md), and {@linkcode parseJsonRecord} reads a line back.
 * - any other value is a Python `%`-style format rendered like
 *   `logging.Formatter(fmt).format(record)`: `%(message)s` is the rendered
 *   message, `%(asctime)s` is `YYYY-MM-DD HH:MM:SS,mmm` in local time, and
 *   `exc_text`/`stack_info` follow on their own lines.
 *
 * Pretty and `%`-format output is terminal-safe: control characters (ESC,
 * CR, BEL, C1…) and bidi overrides of a record are shown escaped (`\x1b`,
 * `\r`, `\u202e`), and every line of a record after its first is indented
 * by four spaces, so a sender cannot forge a line; only the CLI's own
 * colours are escapes.
 *
 * Records of senders with `sequence: true` (attributes `sender` and `seq`)
 * are printed once per (sender, seq); a gap in a sender's numbers open for
 * `--gap-timeout` ms (2000) is announced by a WARNING record from
 * `pylogging.receiver` among the records. With `--ack`, such senders get
 * acknowledgements of the records printed (or skipped as duplicates or
 * refused; a record counts as printed once its line is written to stdout,
 * so a CLI killed at any moment has printed every record it acknowledged),
 * so that they re-send only what the receiver did not take;
 * senders without a `sender` attribute (Python's `SocketHandler`) are never
 * written to.
 *
 * With `--forward URL` (repeatable) every record printed is also sent to
 * existing log engines: `syslog+tcp://HOST:PORT` or `syslog+tls://…`
 * (RFC 5424 in RFC 6587 octet counting), `ndjson+tcp://HOST:PORT` or
 * `ndjson+tls://…` (the `json` lines). Each target has its own bounded
 * queue and connection, so a target that is down or slow never slows the
 * printing; at the end the queues get up to 2 s (SIGTERM then ends the CLI
 * as Ctrl-C does), and the summary has one line per target:
 * `forwarded to URL: 7 sent, 0 dropped, 0 pending`.
 *
 * With `--web [HOST:]PORT` it also serves a live web viewer of every
 * record it receives (see web/server.ts), and prints
 * `web viewer on http://HOST:PORT/` (with `?token=…` off loopback or with
 * `--web-token`) to stderr after the `listening on` line. At the end the
 * browsers get up to 0.5 s to take what their queues hold (one that
 * stopped reading cannot delay the exit longer), and the summary has one
 * line for the viewer: `web viewer: 2 browsers, 40,000 records sent,
 * 9,000 discarded` (browsers that connected; records written to them and
 * records they lost, from a queue overflowing or still queued at the end,
 * each counted once per browser).
 *
 * It prints `listening on HOST:PORT` (or the socket path) to stderr at
 * start, problems as `warning:` lines to stderr (per kind, the first 10,
 * then one a minute that counts the others: `… and 8,412 more`), and on
 * Ctrl-C (on a line of its own) or after `--count N` records a one-line
 * summary (with the records missing and the duplicates skipped, when
 * any). Exit codes: 0 success, 1 output error, 2 bad arguments or address
 * in use.
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
  type ForwardStats,
  type ForwardTarget,
  LogReceiver,
  type PythonLogRecord,
  type SequenceStats,
} from "./receiver.ts";
import { parseForwardUrl } from "./forward/url.ts";
import {
  ArgError,
  type Args,
  parseArgs,
  USAGE,
  USAGE_ERROR,
} from "./receiver/cli_args.ts";
import { AckedOutput } from "./receiver/acked_output.ts";
import { recordFormatter } from "./receiver/format.ts";
import { formatJson } from "./receiver/json_record.ts";
import { countText, WarningLines } from "./receiver/warnings.ts";
import { escapeControls } from "./text/terminal_safe.ts";
import {
  startWebViewer,
  type WebViewer,
  type WebViewerStats,
} from "./web/server.ts";

export { formatPython, pythonAsctime } from "./receiver/format.ts";
export { formatJson, parseJsonRecord } from "./receiver/json_record.ts";

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
  const render = recordFormatter(
    opts.format ?? (tty ? "pretty" : "json"),
    tty && !Deno.noColor,
  );
  let receiver: LogReceiver;
  const warnings = new WarningLines((line) => console.error(line));
  // With --ack, records are printed from onRecord and acknowledged once
  // their line is written (see receiver/acked_output.ts).
  const acked = opts.ack
    ? new AckedOutput(
      (record) => lineOf(record, render),
      (text) => writeAll(Deno.stdout, encoder.encode(text)),
      opts.count,
    )
    : undefined;
  let web: WebViewer | undefined;
  try {
    web = opts.web !== undefined
      ? await startWebViewer({
        ...opts.web,
        ...(opts.webToken !== undefined ? { token: opts.webToken } : {}),
      })
      : undefined;
  } catch (e) {
    await writeErr(`error: ${webErrorText(e, opts)}\n`);
    return USAGE_ERROR;
  }
  try {
    receiver = await startReceiver(opts, warnings, acked, web);
  } catch (e) {
    await web?.close();
    await writeErr(
      `error: ${
        e instanceof RangeError
          ? flagText(e.message)
          : e instanceof FlagFileError
          ? e.message
          : listenErrorText(e, opts)
      }\n`,
    );
    return USAGE_ERROR;
  }
  await writeErr(`listening on ${addrText(receiver.addr)}\n`);
  if (web !== undefined) await writeErr(`web viewer on ${web.url}\n`);
  // With forward targets, SIGTERM ends the CLI as Ctrl-C does: their
  // queues are delivered (up to 2 s) when the receiver closes.
  const signals: Deno.Signal[] = opts.forward.length > 0
    ? ["SIGINT", "SIGTERM"]
    : ["SIGINT"];
  const { code, interrupted } = acked !== undefined
    ? await printAcked(receiver, acked, signals)
    : await printRecords(receiver, render, opts.count, signals);
  warnings.flush("warning: ");
  await web?.close();
  const s = receiver.stats();
  await writeErr(
    `${interrupted ? "\n" : ""}received ${s.records} record${
      s.records === 1 ? "" : "s"
    } over ${s.connectionsTotal} connection${
      s.connectionsTotal === 1 ? "" : "s"
    }, ${s.errors} error${s.errors === 1 ? "" : "s"}${
      s.framesRefused > 0
        ? `, ${s.framesRefused} frame${
          s.framesRefused === 1 ? "" : "s"
        } refused`
        : ""
    }${sequenceText(s.sequence)}\n${s.forward.map(forwardText).join("")}${
      web !== undefined ? webText(web.stats()) : ""
    }`,
  );
  return code;
}

/** The summary's line of the web viewer. */
function webText(w: WebViewerStats): string {
  return `web viewer: ${countText(w.clientsTotal)} browser${
    w.clientsTotal === 1 ? "" : "s"
  }, ${countText(w.sent)} record${w.sent === 1 ? "" : "s"} sent, ${
    countText(w.discarded)
  } discarded\n`;
}

/** The summary's line of one forward target. */
function forwardText(f: ForwardStats): string {
  const reasons = Object.entries(f.droppedByReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`);
  return `forwarded to ${f.url}: ${f.sent} sent, ${f.dropped} dropped${
    reasons.length > 0 ? ` (${reasons.join(", ")})` : ""
  }, ${f.pending} pending\n`;
}

/**
 * The forward targets of the arguments: the TLS files (read here) go to
 * the `+tls` targets, the facility to the syslog targets.
 */
async function forwardTargets(opts: Args): Promise<ForwardTarget[]> {
  if (opts.forward.length === 0) return [];
  const caCerts: string[] = [];
  for (const file of opts.forwardCa) {
    caCerts.push(await readFlagFile("--forward-ca", file));
  }
  const client = opts.forwardCert !== undefined && opts.forwardKey !== undefined
    ? {
      cert: await readFlagFile("--forward-cert", opts.forwardCert),
      key: await readFlagFile("--forward-key", opts.forwardKey),
    }
    : {};
  return opts.forward.map((url) => {
    const { format, secure } = parseForwardUrl(url, "", "");
    return {
      url,
      ...(secure
        ? { tls: { ...(caCerts.length > 0 ? { caCerts } : {}), ...client } }
        : {}),
      ...(format === "syslog" && opts.forwardFacility !== undefined
        ? { facility: opts.forwardFacility }
        : {}),
    };
  });
}

/**
 * A bound receiver as the arguments say (TLS files are read first); its
 * problems go to `warnings`. It decodes with `exact: true`, so that JSON
 * output keeps every Python type apart. With `acked` (`--ack`), records go
 * to it through `onRecord`, unbuffered. With `web` (`--web`), every record
 * is also pushed to the viewer from `onRecord` (then still buffered when
 * not acked).
 */
async function startReceiver(
  opts: Args,
  warnings: WarningLines,
  acked: AckedOutput | undefined,
  web: WebViewer | undefined,
): Promise<LogReceiver> {
  const tls = opts.tlsCert !== undefined && opts.tlsKey !== undefined
    ? {
      cert: await readFlagFile("--tls-cert", opts.tlsCert),
      key: await readFlagFile("--tls-key", opts.tlsKey),
      ...(opts.tlsCa !== undefined
        ? { caCerts: [await readFlagFile("--tls-ca", opts.tlsCa)] }
        : {}),
    }
    : undefined;
  const forward = await forwardTargets(opts);
  const receiver = new LogReceiver({
    hostname: opts.host,
    port: opts.port,
    ...(opts.unix !== undefined ? { path: opts.unix } : {}),
    ...(opts.udp ? { udp: true } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(opts.maxFrame !== undefined ? { maxFrameBytes: opts.maxFrame } : {}),
    ...(opts.idleTimeout !== undefined
      ? { idleTimeout: opts.idleTimeout }
      : {}),
    ...(opts.maxConnections !== undefined
      ? { maxConnections: opts.maxConnections }
      : {}),
    ...(opts.maxBufferedBytes !== undefined
      ? { maxBufferedBytes: opts.maxBufferedBytes }
      : {}),
    ...(opts.minReadRate !== undefined
      ? { minReadRate: opts.minReadRate }
      : {}),
    ...(opts.frameTimeout !== undefined
      ? { frameTimeout: opts.frameTimeout }
      : {}),
    ...(opts.ack ? { ack: true } : {}),
    ...(opts.gapTimeout !== undefined ? { gapTimeout: opts.gapTimeout } : {}),
    ...(forward.length > 0 ? { forward } : {}),
    ...(acked !== undefined
      ? {
        onRecord: (record, from) => {
          web?.push(record, from);
          return acked.print(record);
        },
        buffer: false,
      }
      : web !== undefined
      ? { onRecord: (record, from) => web.push(record, from), buffer: true }
      : {}),
    loadsOptions: { exact: true },
    onError: (error, conn) => {
      const where = conn ? ` [connection ${conn.id}]` : "";
      warnings.warn(
        error.kind,
        `warning: ${error.kind}: ${error.message}${where}`,
      );
    },
  });
  acked?.onStop(() => void receiver.close());
  await receiver.ready;
  return receiver;
}

/** The CLI flags of the receiver options that have one. */
const FLAGS: Record<string, string> = {
  maxFrameBytes: "--max-frame",
  idleTimeout: "--idle-timeout",
  maxConnections: "--max-connections",
  maxBufferedBytes: "--max-buffered-bytes",
  minReadRate: "--min-read-rate",
  frameTimeout: "--frame-timeout",
  gapTimeout: "--gap-timeout",
  ack: "--ack",
};

/** The summary's mention of missing and duplicate records, when any. */
function sequenceText(s: SequenceStats): string {
  let text = "";
  if (s.missing > 0) text += `, ${s.missing} missing`;
  if (s.duplicates > 0) {
    text += `, ${s.duplicates} duplicate${s.duplicates === 1 ? "" : "s"}`;
  }
  if (s.late > 0) text += `, ${s.late} late`;
  return text;
}

/** An option error of `LogReceiver`, in the CLI's flag names. */
function flagText(message: string): string {
  return message.replace(
    /'(\w+)'/g,
    (whole, name: string) => FLAGS[name] ? `'${FLAGS[name]}'` : whole,
  );
}

/** A file named by a flag that cannot be read. */
class FlagFileError extends Error {
  override name = "FlagFileError";
}

/** Reads the file of `flag`, or throws a FlagFileError saying which. */
async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new FlagFileError(
      `cannot read ${flag} file '${path}': ${
        e instanceof Error ? e.message : String(e)
      }`,
    );
  }
}

/** Why the receiver could not start, for the user; rethrows a non-Error. */
function listenErrorText(e: unknown, opts: Args): string {
  if (isAddrInUse(e)) {
    return opts.unix !== undefined
      ? `socket path '${opts.unix}' is already in use`
      : `port ${opts.port} is already in use`;
  }
  if (
    e instanceof Deno.errors.NotCapable ||
    e instanceof Deno.errors.PermissionDenied
  ) {
    return `cannot listen: ${e.message}${
      opts.unix !== undefined
        ? " (a Unix socket needs --allow-read=PATH, --allow-write=PATH and --allow-net=unix:PATH)"
        : ""
    }`;
  }
  if (e instanceof Error) {
    return `cannot listen on ${
      opts.unix ?? `${opts.host}:${opts.port}`
    }: ${e.message}`;
  }
  throw e;
}

/** Why the web viewer could not start, for the user. */
function webErrorText(e: unknown, opts: Args): string {
  const where = `${opts.web?.hostname}:${opts.web?.port}`;
  if (isAddrInUse(e)) {
    return `web viewer port ${opts.web?.port} is already in use`;
  }
  return `cannot start the web viewer on ${where}: ${
    e instanceof Error ? e.message : String(e)
  }`;
}

/** Whether listening failed as the address is taken (Deno's or Node's error). */
function isAddrInUse(e: unknown): boolean {
  return e instanceof Deno.errors.AddrInUse ||
    (e as { code?: unknown })?.code === "EADDRINUSE";
}

/** `HOST:PORT`, `[IPv6]:PORT`, `udp HOST:PORT` or the socket path. */
function addrText(addr: Deno.NetAddr | Deno.UnixAddr): string {
  if ("path" in addr) return addr.path;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  return `${addr.transport === "udp" ? "udp " : ""}${host}:${addr.port}`;
}

/**
 * Prints records until `count` of them, Ctrl-C or a write error, then
 * closes the receiver.
 *
 * @returns The exit code (1 when stdout failed, else 0) and whether Ctrl-C
 * ended it.
 */
async function printRecords(
  receiver: LogReceiver,
  render: (record: PythonLogRecord) => string,
  max: number | undefined,
  signals: readonly Deno.Signal[],
): Promise<{ code: number; interrupted: boolean }> {
  let interrupted = false;
  const stop = onSignals(signals, () => {
    interrupted = true;
    receiver.close();
  });
  let code = 0;
  let count = 0;
  let out = "";
  try {
    for await (const record of receiver) {
      out += lineOf(record, render) + "\n";
      count++;
      const done = max !== undefined && count >= max;
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
    stop();
    await receiver.close();
  }
  return { code, interrupted };
}

/**
 * Calls `handler` on each of `signals` (those the platform has).
 *
 * @returns A function removing the listeners.
 */
function onSignals(
  signals: readonly Deno.Signal[],
  handler: () => void,
): () => void {
  const added: Deno.Signal[] = [];
  for (const signal of signals) {
    try {
      Deno.addSignalListener(signal, handler);
      added.push(signal);
    } catch {
      // signals unsupported here
    }
  }
  return () => {
    for (const signal of added) Deno.removeSignalListener(signal, handler);
  };
}

/** A record's line, or a line saying why it cannot be formatted. */
function lineOf(
  record: PythonLogRecord,
  render: (record: PythonLogRecord) => string,
): string {
  try {
    return render(record);
  } catch (e) {
    return `--- Cannot format record: ${
      escapeControls(e instanceof Error ? e.message : String(e))
    }: ${formatJson(record)}`;
  }
}

/**
 * With `--ack`: waits until `--count` records, Ctrl-C or a write error
 * stops the output, then closes the receiver and waits for the lines taken
 * to be written.
 *
 * @returns The exit code (1 when stdout failed, else 0) and whether Ctrl-C
 * ended it.
 */
async function printAcked(
  receiver: LogReceiver,
  acked: AckedOutput,
  signals: readonly Deno.Signal[],
): Promise<{ code: number; interrupted: boolean }> {
  let interrupted = false;
  const stop = onSignals(signals, () => {
    interrupted = true;
    acked.stop();
  });
  try {
    await acked.stopped;
  } finally {
    stop();
    await receiver.close();
    await acked.drained();
  }
  const e = acked.error;
  if (e === undefined || e instanceof Deno.errors.BrokenPipe) {
    return { code: 0, interrupted };
  }
  await writeErr(
    `error: cannot write output: ${e instanceof Error ? e.message : e}\n`,
  );
  return { code: 1, interrupted };
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
