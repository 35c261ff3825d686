// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: a real `rsyslogd` (Debian's rsyslog 8.2302) in the
 * foreground with a private configuration in a temporary directory,
 * receiving RFC 5424 messages with RFC 6587 octet-counting framing over TCP
 * (`imtcp`, optionally TLS through `rsyslog-gnutls`) on 127.0.0.1, and
 * writing one JSON object per message to a file the tests read.
 *
 * ```ts ignore
 * await using rs = await startRsyslog({ tls: true });
 * // ... send to 127.0.0.1:rs.port ...
 * const [record] = await rs.waitFor(1, 5_000);
 * record.appName; // "app.sub"
 * ```
 *
 * What the configuration does and why (see also docs/engines.md):
 *
 * - `rsyslogd -n -f CONF -i PIDFILE`: foreground, private config and pid
 *   file; no system input modules (`imuxsock`, `imklog`) are loaded, no
 *   privileges are dropped, `workDirectory` is the temporary directory and
 *   rsyslog's own messages (`processInternalMessages="on"`) go to
 *   `rsyslogd.log` there, not to the host's syslog.
 * - `parser.escapeControlCharactersOnReceive="off"`: by default rsyslog
 *   replaces control characters in received messages by `#` and three octal
 *   digits (a newline in MSG becomes `#012`, a tab `#011`); off, MSG keeps
 *   them and the template's JSON escaping writes them as `\n`, `\t`.
 * - `maxMessageSize="256k"` (the default, 8k, truncates longer messages).
 * - The input is bound to its own ruleset: `mmpstrucdata` parses
 *   STRUCTURED-DATA into `$!rfc5424-sd` (or, with `ndjson`, `mmjsonparse`
 *   parses each line into `$!`), then `omfile` writes with a `type="list"`
 *   template with `option.jsonf="on"` (and `option.caseSensitive="on"`, or
 *   the outnames of `$!` properties are lower-cased) and one
 *   `property(outname=… name=… format="jsonf")` per field (PRI, facility and
 *   severity as JSON numbers with `datatype="number"`), so each line of the
 *   file is one JSON object; `omfile` writes synchronously
 *   (`asyncWriting="off"`) and flushes at the end of each batch
 *   (`flushOnTXEnd="on"`), so a test sees a message as soon as rsyslog has
 *   processed it.
 *
 * @module
 */

import type { TestCerts } from "./_certs.ts";
import { makeCerts } from "./_certs.ts";
import { freePort } from "./_free_port.ts";

/** One received message, as the harness's template writes it. */
export interface RsyslogRecord {
  /** `%pri%`: facility * 8 + severity. */
  pri: number;
  /** `%syslogfacility%`. */
  facility: number;
  /** `%syslogseverity%`. */
  severity: number;
  /** `%timereported:::date-rfc3339%`: the TIMESTAMP the sender wrote. */
  timestamp: string;
  /** `%hostname%`. */
  hostname: string;
  /** `%app-name%` ("-" when the sender wrote NILVALUE). */
  appName: string;
  /** `%procid%`. */
  procId: string;
  /** `%msgid%`. */
  msgId: string;
  /** `%structured-data%`: the SD elements as sent ("-" when none). */
  structuredData: string;
  /**
   * STRUCTURED-DATA as `mmpstrucdata` parsed it (`$!rfc5424-sd`, with
   * `sd_name.lowercase="off"`): SD-ID → PARAM-NAME → unescaped PARAM-VALUE;
   * null when there is none.
   */
  sdParsed: Record<string, Record<string, string>> | null;
  /** `%msg%`: MSG (a UTF-8 BOM the sender wrote is kept). */
  msg: string;
  /** `%rawmsg%`: the whole message as received, without its framing. */
  rawMsg: string;
  /**
   * `ndjson` only (else null): the line as `mmjsonparse` parsed it (`$!`);
   * a line that is not a JSON object comes out as `{ msg: line }`
   * (mmjsonparse's fallback). The syslog fields above are then rsyslog's
   * reading of a JSON line as a legacy syslog message: meaningless.
   */
  json: Record<string, unknown> | null;
}

/** Options for {@linkcode startRsyslog}. */
export interface RsyslogOptions {
  /**
   * Listen with TLS (`gtls`, `StreamDriver.Mode="1"`, anonymous clients)
   * with `certs.server` as the server's certificate.
   */
  tls?: boolean;
  /**
   * Receive NDJSON instead of RFC 5424: one JSON object per line (imtcp
   * splits on LF; a frame that starts with `{` is never taken for an
   * octet count), parsed by `mmjsonparse` (`useRawMsg="on" cookie=""`).
   */
  ndjson?: boolean;
  /** Certificates for `tls`; generated (and removed at stop) when absent. */
  certs?: TestCerts;
  /**
   * Keep rsyslog's default `parser.escapeControlCharactersOnReceive="on"`
   * (control characters in MSG arrive as `#012` and the like). Default
   * false: they are kept.
   */
  escapeControlCharacters?: boolean;
  /** Extra `main_queue()` parameters, e.g. `{ "queue.timeoutShutdown": "10000" }`. */
  mainQueue?: Record<string, string>;
  /** Extra `global()` parameters. */
  global?: Record<string, string>;
  /** Extra parameters of the `imtcp` `input()`. */
  input?: Record<string, string>;
  /** Bound for start-up and for each stop, in ms; default 15,000. */
  timeoutMs?: number;
}

/** A running rsyslogd (see {@linkcode startRsyslog}). */
export interface Rsyslog extends AsyncDisposable {
  /** The TCP port it listens on (127.0.0.1), the same after restarts. */
  readonly port: number;
  /** The file with one JSON object per received message. */
  readonly outFile: string;
  /** The temporary directory (config, pid file, work directory). */
  readonly dir: string;
  /** The configuration file's text. */
  readonly config: string;
  /** The certificates in use (TLS only). */
  readonly certs: TestCerts | undefined;
  /** rsyslogd's stderr and stdout so far, over all its runs. */
  readonly stderr: string;
  /** rsyslog's own log messages so far (`rsyslogd.log`). */
  internalLog(): Promise<string>;
  /** The messages written so far (a partly written last line is left out). */
  records(): Promise<RsyslogRecord[]>;
  /**
   * How many messages are written so far (complete lines), counted
   * incrementally without parsing: cheap to poll for large counts.
   */
  count(): Promise<number>;
  /**
   * Polls until at least `n` messages are written or `ms` pass.
   *
   * @throws {Error} On timeout (with rsyslog's stderr and log).
   */
  waitFor(n: number, ms: number): Promise<RsyslogRecord[]>;
  /**
   * Graceful restart: SIGTERM, wait for the process to exit, start it again
   * with the same config on the same port and wait until the port accepts
   * connections.
   */
  restart(): Promise<void>;
  /**
   * Stops it (SIGTERM, SIGKILL after `timeoutMs`) and removes the directory
   * (and certificates it generated). Idempotent.
   */
  stop(): Promise<void>;
}

/** What to do when rsyslogd is missing. */
export const INSTALL_HINT =
  "rsyslogd is not installed: run .ci/run (it installs it) or " +
  "`apt-get install rsyslog rsyslog-gnutls`";

let rsyslogdCache: string | null | undefined;

/**
 * The rsyslogd executable: `rsyslogd` on PATH, else `/usr/sbin/rsyslogd`
 * (not on a non-root user's PATH on Debian).
 *
 * @returns Its path, or undefined when it cannot be started.
 */
export function rsyslogdPath(): string | undefined {
  if (rsyslogdCache !== undefined) return rsyslogdCache ?? undefined;
  rsyslogdCache = null;
  for (const cmd of ["rsyslogd", "/usr/sbin/rsyslogd"]) {
    try {
      const out = new Deno.Command(cmd, {
        args: ["-v"],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).outputSync();
      if (out.success) {
        rsyslogdCache = cmd;
        break;
      }
    } catch {
      // try the next one
    }
  }
  return rsyslogdCache ?? undefined;
}

/**
 * Whether the gtls network stream driver (package `rsyslog-gnutls`) is
 * installed.
 *
 * @returns True when `lmnsd_gtls.so` is in one of rsyslog's module
 * directories.
 */
export function gtlsAvailable(): boolean {
  for (
    const dir of [
      "/usr/lib/x86_64-linux-gnu/rsyslog",
      "/usr/lib/aarch64-linux-gnu/rsyslog",
      "/usr/lib/rsyslog",
      "/usr/lib64/rsyslog",
    ]
  ) {
    try {
      Deno.statSync(`${dir}/lmnsd_gtls.so`);
      return true;
    } catch {
      // not there
    }
  }
  return false;
}

/** A rsyslog config string literal (paths, values). */
function q(value: string): string {
  if (/["\\\n]/.test(value)) {
    throw new Error(`cannot quote ${JSON.stringify(value)} for rsyslog.conf`);
  }
  return `"${value}"`;
}

function params(extra: Record<string, string> | undefined): string {
  return Object.entries(extra ?? {}).map(([k, v]) => ` ${k}=${q(v)}`).join(
    "",
  );
}

/**
 * The template: one JSON object per message. `option.jsonf="on"` makes
 * rsyslog write the braces and commas; `format="jsonf"` writes each
 * property as `"outname":"value"` with JSON escaping.
 */
export const RSYSLOG_TEMPLATE =
  `template(name="pylogging_json" type="list" option.jsonf="on" option.caseSensitive="on") {
  property(outname="pri" name="pri" format="jsonf" datatype="number")
  property(outname="facility" name="syslogfacility" format="jsonf" datatype="number")
  property(outname="severity" name="syslogseverity" format="jsonf" datatype="number")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="appName" name="app-name" format="jsonf")
  property(outname="procId" name="procid" format="jsonf")
  property(outname="msgId" name="msgid" format="jsonf")
  property(outname="structuredData" name="structured-data" format="jsonf")
  property(outname="sdParsed" name="$!rfc5424-sd" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="rawMsg" name="rawmsg" format="jsonf")
}`;

/**
 * The configuration file's text.
 *
 * @param o Where things are and the options.
 * @returns rsyslog.conf text.
 */
export function rsyslogConfig(o: {
  dir: string;
  port: number;
  outFile: string;
  certs?: TestCerts | undefined;
  options: RsyslogOptions;
}): string {
  const { options } = o;
  const global: Record<string, string> = {
    workDirectory: o.dir,
    processInternalMessages: "on",
    maxMessageSize: "256k",
    "net.enableDNS": "off",
    "parser.escapeControlCharactersOnReceive": options.escapeControlCharacters
      ? "on"
      : "off",
  };
  let module = `module(load="imtcp")`;
  const parser = options.ndjson
    ? `module(load="mmjsonparse")`
    : `module(load="mmpstrucdata")`;
  const parse = options.ndjson
    ? `  action(type="mmjsonparse" useRawMsg="on" cookie="")`
    : `  action(type="mmpstrucdata" sd_name.lowercase="off")`;
  const template = options.ndjson
    ? RSYSLOG_TEMPLATE.replace(
      `  property(outname="sdParsed" name="$!rfc5424-sd" format="jsonf")\n`,
      `  property(outname="json" name="$!" format="jsonf")\n`,
    )
    : RSYSLOG_TEMPLATE;
  if (options.tls) {
    if (!o.certs) throw new Error("tls needs certificates");
    global.defaultNetstreamDriver = "gtls";
    global.defaultNetstreamDriverCAFile = o.certs.ca.certPath;
    global.defaultNetstreamDriverCertFile = o.certs.server.certPath;
    global.defaultNetstreamDriverKeyFile = o.certs.server.keyPath;
    module = `module(load="imtcp" StreamDriver.Name="gtls" ` +
      `StreamDriver.Mode="1" StreamDriver.AuthMode="anon")`;
  }
  const lines = [
    "# Generated by tests/_rsyslog.ts",
    `global(${params({ ...global, ...options.global }).trim()})`,
  ];
  if (options.mainQueue) {
    lines.push(`main_queue(${params(options.mainQueue).trim()})`);
  }
  lines.push(
    module,
    parser,
    template,
    `ruleset(name="received") {`,
    parse,
    `  action(type="omfile" file=${q(o.outFile)} template="pylogging_json"` +
      ` asyncWriting="off" flushOnTXEnd="on")`,
    `}`,
    `input(type="imtcp" address="127.0.0.1" port=${q(String(o.port))}` +
      ` ruleset="received"${params(options.input)})`,
    `# rsyslog's own messages (start, stop, errors)`,
    `*.* action(type="omfile" file=${q(`${o.dir}/rsyslogd.log`)})`,
    "",
  );
  return lines.join("\n");
}

async function readTextOr(path: string, fallback: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return fallback;
  }
}

class RunningRsyslog implements Rsyslog {
  readonly port: number;
  readonly outFile: string;
  readonly dir: string;
  readonly config: string;
  readonly certs: TestCerts | undefined;
  #exe: string;
  #confPath: string;
  #ownCerts: boolean;
  #timeoutMs: number;
  #child: Deno.ChildProcess | undefined;
  #output: Promise<void> | undefined;
  #stderr = "";
  #stopped = false;
  #countedBytes = 0;
  #countedLines = 0;

  constructor(
    exe: string,
    dir: string,
    port: number,
    config: string,
    certs: TestCerts | undefined,
    ownCerts: boolean,
    timeoutMs: number,
  ) {
    this.#exe = exe;
    this.dir = dir;
    this.port = port;
    this.outFile = `${dir}/received.json`;
    this.#confPath = `${dir}/rsyslog.conf`;
    this.config = config;
    this.certs = certs;
    this.#ownCerts = ownCerts;
    this.#timeoutMs = timeoutMs;
  }

  get stderr(): string {
    return this.#stderr;
  }

  internalLog(): Promise<string> {
    return readTextOr(`${this.dir}/rsyslogd.log`, "");
  }

  async #diagnostics(): Promise<string> {
    return `rsyslogd stderr:\n${this.#stderr}\nrsyslogd.log:\n${await this
      .internalLog()}`;
  }

  async start(): Promise<void> {
    const child = new Deno.Command(this.#exe, {
      args: ["-n", "-f", this.#confPath, "-i", `${this.dir}/rsyslogd.pid`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    const decoder = new TextDecoder();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        this.#stderr += decoder.decode(chunk, { stream: true });
      }
    };
    this.#output = Promise.all([collect(child.stdout), collect(child.stderr)])
      .then(() => {});
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    const deadline = Date.now() + this.#timeoutMs;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      if (exited) {
        await this.#output;
        throw new Error(
          `rsyslogd exited with status ${
            (await status).code
          } at start-up\n${await this.#diagnostics()}`,
        );
      }
      try {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: this.port,
        });
        if (this.certs === undefined) {
          conn.close();
          return;
        }
        // TLS: a full handshake (a bare connect makes gtls log an error).
        const tls = await Deno.startTls(conn, {
          hostname: "127.0.0.1",
          caCerts: [this.certs.ca.cert],
        });
        try {
          await tls.handshake();
        } finally {
          tls.close();
        }
        return;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(10 + attempt * 5, 50)));
      }
    }
    await this.#kill();
    throw new Error(
      `rsyslogd did not accept connections on 127.0.0.1:${this.port} within ${this.#timeoutMs} ms\n${await this
        .#diagnostics()}`,
    );
  }

  /** SIGTERM, then SIGKILL if it has not exited within the bound. */
  async #terminate(): Promise<Deno.CommandStatus | undefined> {
    const child = this.#child;
    if (!child) return undefined;
    this.#child = undefined;
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), this.#timeoutMs);
    });
    const result = await Promise.race([child.status, timedOut]);
    clearTimeout(timer);
    if (result === "timeout") {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
      await child.status;
      await this.#output;
      throw new Error(
        `rsyslogd did not exit within ${this.#timeoutMs} ms of SIGTERM\n${await this
          .#diagnostics()}`,
      );
    }
    await this.#output;
    return result;
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await this.#output;
  }

  async records(): Promise<RsyslogRecord[]> {
    const text = await readTextOr(this.outFile, "");
    const end = text.lastIndexOf("\n");
    if (end < 0) return [];
    return text.slice(0, end).split("\n").map((line) => {
      const r = JSON.parse(line) as
        & Omit<RsyslogRecord, "sdParsed" | "json">
        & { sdParsed?: string; json?: string };
      const parsed = (text: string | undefined) =>
        text === undefined || text === "" ? null : JSON.parse(text);
      return { ...r, sdParsed: parsed(r.sdParsed), json: parsed(r.json) };
    });
  }

  async count(): Promise<number> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.outFile, { read: true });
    } catch {
      return this.#countedLines;
    }
    try {
      await file.seek(this.#countedBytes, Deno.SeekMode.Start);
      const buf = new Uint8Array(1 << 20);
      for (;;) {
        const n = await file.read(buf);
        if (n === null) break;
        for (let i = 0; i < n; i++) if (buf[i] === 0x0a) this.#countedLines++;
        this.#countedBytes += n;
      }
    } finally {
      file.close();
    }
    return this.#countedLines;
  }

  async waitFor(n: number, ms: number): Promise<RsyslogRecord[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const records = await this.records();
      if (records.length >= n) return records;
      if (Date.now() >= deadline) {
        throw new Error(
          `rsyslog wrote ${records.length} of ${n} messages within ${ms} ms\n${await this
            .#diagnostics()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async restart(): Promise<void> {
    if (this.#stopped) throw new Error("rsyslog harness already stopped");
    const status = await this.#terminate();
    if (status && !status.success) {
      throw new Error(
        `rsyslogd exited with status ${status.code} on SIGTERM\n${await this
          .#diagnostics()}`,
      );
    }
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      await this.#terminate();
    } finally {
      await Deno.remove(this.dir, { recursive: true }).catch(() => {});
      if (this.#ownCerts) await this.certs?.cleanup().catch(() => {});
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * Starts rsyslogd on a free 127.0.0.1 port and waits until the port accepts
 * connections.
 *
 * @param options TLS and extra settings.
 * @returns The running instance; always `stop()` it (or `await using`).
 * @throws {Error} If rsyslogd (or, for TLS, rsyslog-gnutls) is not
 * installed (saying how to install it), or it does not start.
 */
export async function startRsyslog(
  options: RsyslogOptions = {},
): Promise<Rsyslog> {
  const exe = rsyslogdPath();
  if (exe === undefined) throw new Error(INSTALL_HINT);
  if (options.tls && !gtlsAvailable()) {
    throw new Error(
      "rsyslog's gtls driver (package rsyslog-gnutls) is not installed: " +
        "run .ci/run (it installs it) or `apt-get install rsyslog rsyslog-gnutls`",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "pylogging_rsyslog_" });
  let certs = options.certs;
  const ownCerts = options.tls === true && certs === undefined;
  try {
    if (ownCerts) certs = await makeCerts();
    const port = await freePort();
    const outFile = `${dir}/received.json`;
    const config = rsyslogConfig({
      dir,
      port,
      outFile,
      certs: options.tls ? certs : undefined,
      options,
    });
    await Deno.writeTextFile(`${dir}/rsyslog.conf`, config);
    const rs = new RunningRsyslog(
      exe,
      dir,
      port,
      config,
      options.tls ? certs : undefined,
      ownCerts,
      options.timeoutMs ?? 15_000,
    );
    await rs.start();
    return rs;
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    if (ownCerts) await certs?.cleanup().catch(() => {});
    throw e;
  }
}
