// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Proves tests/_rsyslog.ts against a real rsyslogd with hand-written RFC 5424
// messages in RFC 6587 octet-counting frames, over TCP and TLS, and measures
// what a graceful restart of rsyslog loses from a steady stream.
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { makeCerts, opensslAvailable } from "./_certs.ts";
import {
  INSTALL_HINT,
  type Rsyslog,
  rsyslogdPath,
  startRsyslog,
} from "./_rsyslog.ts";

if (rsyslogdPath() === undefined) {
  throw new Error(`Cannot run the rsyslog tests: ${INSTALL_HINT}`);
}
if (!opensslAvailable()) {
  throw new Error("Cannot run the rsyslog TLS tests: openssl is not installed");
}
const certs = await makeCerts();
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(certs.dir, { recursive: true });
  } catch {
    // already gone
  }
});

const encoder = new TextEncoder();
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

/** An RFC 5424 message's fields, written as they go on the wire. */
interface Syslog5424 {
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** STRUCTURED-DATA as written ("-" for none). */
  sd: string;
  /** MSG; absent: the message ends after STRUCTURED-DATA. */
  msg?: string;
  /** Put a UTF-8 BOM before MSG (RFC 5424 MSG-UTF8). */
  bom?: boolean;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One RFC 5424 message in an RFC 6587 octet-counting frame. */
function frame(m: Syslog5424): Uint8Array {
  const head = encoder.encode(
    `<${m.pri}>1 ${m.timestamp} ${m.hostname} ${m.appName} ${m.procId} ${m.msgId} ${m.sd}`,
  );
  const body = m.msg === undefined ? head : concat([
    head,
    encoder.encode(" "),
    m.bom ? BOM : new Uint8Array(0),
    encoder.encode(m.msg),
  ]);
  return concat([encoder.encode(`${body.length} `), body]);
}

/** An SD-PARAM value escaped as RFC 5424 section 6.3.3 asks. */
function sdValue(v: string): string {
  return v.replace(/["\\\]]/g, (c) => "\\" + c);
}

/** An SD-ELEMENT from an SD-ID and its params. */
function sdElement(id: string, params: Record<string, string>): string {
  return `[${id}${
    Object.entries(params).map(([k, v]) => ` ${k}="${sdValue(v)}"`).join("")
  }]`;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
}

const PYTHON_PARAMS = {
  name: "app.sub",
  levelname: "WARNING",
  pathname: "C:\\src\\app\\[main].py",
  lineno: "42",
  funcName: "handle",
  thread: "140000000000",
  threadName: "MainThread",
  process: "4242",
  quote: 'she said "hi"',
  bracket: "a]b[c",
  backslash: "x\\y\\",
  unicode: "日本語 é",
};

const MULTILINE = "first line\nsecond: é ü 日本 🎉\tand a tab\n" +
  "Traceback (most recent call last):\n" +
  '  File "app.py", line 42, in handle\n' +
  "ValueError: boom\r\nlast";

const MESSAGES: Syslog5424[] = [
  {
    pri: 1 * 8 + 4, // user.warning
    timestamp: "2026-12-06T11:50:01.123456Z",
    hostname: "host-1.example",
    appName: "app.sub",
    procId: "4242",
    msgId: "WARNING",
    sd: sdElement("python@32473", PYTHON_PARAMS) +
      sdElement("extra@32473", { user: "ann", "x.y": "1" }),
    msg: MULTILINE,
    bom: true,
  },
  {
    pri: 0, // kern.emerg
    timestamp: "2026-12-06T17:20:01.000001+05:30",
    hostname: "h",
    appName: "root",
    procId: "1",
    msgId: "CRITICAL",
    sd: "-",
    msg: "no BOM, no SD",
  },
  {
    pri: 23 * 8 + 7, // local7.debug
    timestamp: "2026-12-06T11:50:01.999999-08:00",
    hostname: "h",
    appName: "a",
    procId: "-",
    msgId: "-",
    sd: sdElement("python@32473", { name: "a" }),
  },
  {
    pri: 16 * 8 + 3, // local0.err
    timestamp: "2026-12-06T11:50:02Z",
    hostname: "h",
    appName: "big",
    procId: "7",
    msgId: "ERROR",
    sd: "-",
    msg: "x".repeat(100_000) + "\nend",
  },
];

Deno.test("rsyslog harness: RFC 5424 fields arrive as sent (imtcp, octet counting)", async () => {
  await using rs = await startRsyslog();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: rs.port });
  try {
    // All in one write: octet counting separates them, not newlines.
    await writeAll(conn, concat(MESSAGES.map(frame)));
  } finally {
    conn.close();
  }
  const got = await rs.waitFor(MESSAGES.length, 10_000);
  equal(got.length, MESSAGES.length);
  for (const [i, m] of MESSAGES.entries()) {
    const r = got[i]!;
    equal(r.pri, m.pri);
    equal(r.facility, m.pri >> 3);
    equal(r.severity, m.pri & 7);
    equal(r.timestamp, m.timestamp); // microseconds and offset kept
    equal(r.hostname, m.hostname);
    equal(r.appName, m.appName);
    equal(r.procId, m.procId);
    equal(r.msgId, m.msgId);
    equal(r.structuredData, m.sd); // escapes kept verbatim
    // %msg% keeps a BOM the sender wrote, and (with the harness's
    // escapeControlCharactersOnReceive="off") newlines, tabs and CR.
    equal(r.msg, (m.bom ? "\ufeff" : "") + (m.msg ?? ""));
  }
  // mmpstrucdata unescapes the PARAM-VALUEs back to what was escaped.
  deepEqual(got[0]!.sdParsed, {
    "python@32473": PYTHON_PARAMS,
    "extra@32473": { user: "ann", "x.y": "1" },
  });
  equal(got[1]!.sdParsed, null);
  deepEqual(got[2]!.sdParsed, { "python@32473": { name: "a" } });
  equal(rs.stderr, "");
});

Deno.test("rsyslog harness: rsyslog's default escapes control characters in MSG (#012)", async () => {
  await using rs = await startRsyslog({ escapeControlCharacters: true });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: rs.port });
  try {
    await writeAll(
      conn,
      frame({ ...MESSAGES[1]!, msg: "line 1\nline 2\tté\x1b[0m" }),
    );
  } finally {
    conn.close();
  }
  const [r] = await rs.waitFor(1, 10_000);
  equal(r!.msg, "line 1#012line 2#011té#033[0m");
});

Deno.test("rsyslog harness: TLS (gtls) accepts a client that trusts the test CA", async () => {
  await using rs = await startRsyslog({ tls: true, certs });
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: rs.port,
    caCerts: [certs.ca.cert],
  });
  try {
    await conn.handshake();
    await writeAll(conn, concat(MESSAGES.slice(0, 2).map(frame)));
  } finally {
    conn.close();
  }
  const got = await rs.waitFor(2, 10_000);
  equal(got[0]!.msg, "\ufeff" + MULTILINE);
  equal(got[0]!.structuredData, MESSAGES[0]!.sd);
  equal(got[1]!.timestamp, MESSAGES[1]!.timestamp);
});

Deno.test("rsyslog harness: a TLS client that trusts another CA sends nothing", async () => {
  await using rs = await startRsyslog({ tls: true, certs });
  const wrong = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: rs.port,
    caCerts: [certs.wrongCa.cert],
  });
  try {
    await rejects(wrong.handshake(), /certificate|issuer/i);
    await rejects(writeAll(wrong, frame(MESSAGES[1]!)));
  } finally {
    wrong.close();
  }
  // A right client afterwards: its message is the only one written.
  const right = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: rs.port,
    caCerts: [certs.ca.cert],
  });
  try {
    await writeAll(right, frame({ ...MESSAGES[1]!, msg: "from the right" }));
  } finally {
    right.close();
  }
  await rs.waitFor(1, 10_000);
  await new Promise((r) => setTimeout(r, 300));
  const got = await rs.records();
  deepEqual(got.map((r) => r.msg), ["from the right"]);
});

Deno.test("rsyslog harness: NDJSON lines arrive parsed (imtcp, mmjsonparse)", async () => {
  await using rs = await startRsyslog({ ndjson: true });
  const objects = [
    {
      name: "app.sub",
      msg: "two\nlines é 日本 \u2028 🎉",
      created: 1733486400.123456,
      big: 2 ** 53 - 1,
      levelno: 40,
      exc_text: null,
      extra: { nested: [1, "two", { three: true }] },
    },
    { name: "x", msg: "y" },
  ];
  // JSON.stringify keeps non-ASCII; Python's json.dumps writes \u escapes
  // (surrogate pairs too): both must come out the same.
  const asciiEscaped = JSON.stringify(objects[0]).replace(
    /[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
  const lines = [
    JSON.stringify(objects[0]),
    asciiEscaped,
    JSON.stringify(objects[1]),
    "not json",
  ];
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: rs.port });
  try {
    await writeAll(conn, encoder.encode(lines.map((l) => l + "\n").join("")));
  } finally {
    conn.close();
  }
  const got = await rs.waitFor(lines.length, 10_000);
  deepEqual(got.map((r) => r.json), [
    objects[0],
    objects[0],
    objects[1],
    { msg: "not json" }, // mmjsonparse's fallback: the line as $!msg
  ]);
  deepEqual(got.map((r) => r.rawMsg), lines);
});

// ---------------------------------------------------------------------------
// Restart: a steady stream over one connection while rsyslog restarts.

/** What one restart run measured. */
interface RestartLoss {
  /** Messages the client wrote in all. */
  total: number;
  /** Messages written into the old connection when SIGTERM was sent. */
  writtenAtSigterm: number;
  /** Messages written into the old connection in all. */
  writtenToOldConnection: number;
  /** How the client learnt the old connection was gone. */
  endedBy: string;
  /** Of the messages written before SIGTERM, those not in the file. */
  lostBeforeSigterm: number;
  /**
   * How far before SIGTERM the oldest of those was written, in messages
   * (0 when none is lost).
   */
  lostBeforeSigtermReach: number;
  /** Of those written after SIGTERM into the old connection, not in the file. */
  lostAfterSigterm: number;
  /** Written to the new connection and not in the file (expected 0). */
  lostNewConnection: number;
  /** Messages in the file more than once. */
  duplicates: number;
  /** SIGTERM to the port accepting connections again, in ms. */
  restartMs: number;
}

/** Options of {@linkcode restartRun}. */
interface RestartRunOptions {
  /** Messages in all (default 100,000). */
  total?: number;
  /** Messages per second (default 25,000). */
  rate?: number;
  /** Restart once this many are written (default 40 % of total). */
  restartAt?: number;
  /**
   * Write this many messages at once, as fast as the socket takes them,
   * right before SIGTERM, so that rsyslog has unread data in its socket
   * (default 0: the steady stream only).
   */
  burst?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const SEQ_DIGITS = 7;

function streamMessage(seq: number): Uint8Array {
  return frame({
    pri: 14,
    timestamp: "2026-12-06T11:50:01.123456Z",
    hostname: "h",
    appName: "stream",
    procId: "4242",
    msgId: "INFO",
    sd: '[python@32473 name="stream" lineno="1"]',
    msg: `seq=${String(seq).padStart(SEQ_DIGITS, "0")} ` + "p".repeat(100),
  });
}

/**
 * Writes `total` octet-counted messages at a steady rate over one TCP
 * connection; once `restartAt` are written, restarts rsyslog (SIGTERM, wait,
 * start on the same port). The client notices the old connection's end (EOF
 * or reset on a read it keeps pending, or a failed write), reconnects and
 * continues with the first message not completely written.
 */
async function restartRun(
  rs: Rsyslog,
  options: RestartRunOptions = {},
): Promise<RestartLoss> {
  const total = options.total ?? 100_000;
  const rate = options.rate ?? 25_000;
  const restartAt = options.restartAt ?? Math.floor(total * 0.4);
  const burst = options.burst ?? 0;
  const tickMs = 4;
  let written = 0;
  let writtenAtSigterm = -1;
  let writtenToOldConnection = -1;
  let endedBy = "";
  let restart: Promise<number> | undefined;
  let burstDone = burst === 0;
  let conn: Deno.Conn | undefined;
  let peerEnded: string | undefined;
  const watchers: Promise<void>[] = [];

  const open = async (): Promise<Deno.Conn | undefined> => {
    try {
      const c: Deno.Conn = rs.certs === undefined
        ? await Deno.connect({ hostname: "127.0.0.1", port: rs.port })
        : await Deno.connectTls({
          hostname: "127.0.0.1",
          port: rs.port,
          caCerts: [rs.certs.ca.cert],
        });
      peerEnded = undefined;
      watchers.push((async () => {
        const buf = new Uint8Array(64);
        let why = "EOF";
        try {
          while ((await c.read(buf)) !== null) {
            // rsyslog sends nothing on a plain syslog connection
          }
        } catch (e) {
          why = `read error (${(e as Error).name})`;
        }
        if (conn === c) peerEnded = why;
      })());
      return c;
    } catch {
      return undefined;
    }
  };

  const leaveOld = (why: string) => {
    if (writtenToOldConnection < 0 && writtenAtSigterm >= 0) {
      writtenToOldConnection = written;
      endedBy = why;
    }
    try {
      conn?.close();
    } catch {
      // closed by the watcher's error already
    }
    conn = undefined;
  };

  conn = await open();
  ok(conn, "first connection");
  const started = performance.now();
  const deadline = started + 60_000;
  while (written < total) {
    if (performance.now() > deadline) {
      throw new Error(`stream not done within 60 s (${written} written)`);
    }
    if (restart === undefined && written >= restartAt && burstDone) {
      writtenAtSigterm = written;
      const t0 = performance.now();
      restart = rs.restart().then(() => performance.now() - t0); // sends SIGTERM now
    }
    if (conn !== undefined && peerEnded !== undefined) leaveOld(peerEnded);
    if (conn === undefined) {
      conn = await open();
      if (conn === undefined) {
        await sleep(10);
        continue;
      }
    }
    let due = Math.min(
      total,
      Math.floor((performance.now() - started) * rate / 1000),
    );
    if (!burstDone && written >= restartAt) {
      due = Math.min(total, written + burst);
      burstDone = true;
    }
    if (due > written) {
      const frames: Uint8Array[] = [];
      for (let seq = written; seq < due; seq++) frames.push(streamMessage(seq));
      const data = concat(frames);
      let at = 0;
      try {
        while (at < data.length) at += await conn.write(data.subarray(at));
        written = due;
        if (burstDone && restart === undefined) continue; // SIGTERM now
      } catch (e) {
        // Count the messages that went completely into the socket.
        let end = 0;
        for (const f of frames) {
          if (end + f.length > at) break;
          end += f.length;
          written++;
        }
        leaveOld(`write error (${(e as Error).name})`);
        continue;
      }
    }
    await sleep(tickMs);
  }
  if (writtenAtSigterm >= 0 && writtenToOldConnection < 0) {
    // The stream ended while the old connection still took writes (rsyslog
    // still shutting down, the socket buffers not yet full).
    writtenToOldConnection = written;
    endedBy = "the stream ended first";
  }
  conn?.close();
  conn = undefined;
  const restartMs = restart ? await restart : NaN;
  await Promise.all(watchers);
  // Wait until rsyslog has written everything or nothing more comes.
  let last = -1;
  let stableSince = performance.now();
  for (let i = 0; i < 300; i++) {
    const n = await rs.count();
    if (n >= total) break;
    if (n !== last) {
      last = n;
      stableSince = performance.now();
    } else if (performance.now() - stableSince > 1_500) break;
    await sleep(100);
  }
  const seen = new Uint8Array(total);
  let duplicates = 0;
  const text = await Deno.readTextFile(rs.outFile).catch(() => "");
  const seqAt = /"msg":"seq=(\d+)/g;
  for (const m of text.matchAll(seqAt)) {
    const seq = Number(m[1]);
    if (seen[seq]) duplicates++;
    seen[seq] = 1;
  }
  const lost = (from: number, to: number) => {
    let n = 0;
    for (let i = from; i < to; i++) if (!seen[i]) n++;
    return n;
  };
  let oldestLost = writtenAtSigterm;
  for (let i = 0; i < writtenAtSigterm; i++) {
    if (!seen[i]) {
      oldestLost = i;
      break;
    }
  }
  return {
    total,
    writtenAtSigterm,
    writtenToOldConnection,
    endedBy,
    lostBeforeSigterm: lost(0, writtenAtSigterm),
    lostBeforeSigtermReach: writtenAtSigterm - oldestLost,
    lostAfterSigterm: lost(writtenAtSigterm, writtenToOldConnection),
    lostNewConnection: lost(writtenToOldConnection, total),
    duplicates,
    restartMs: Math.round(restartMs),
  };
}

/** A main queue that saves what it could not process to disk at shutdown. */
const SAVE_ON_SHUTDOWN = {
  "queue.type": "LinkedList",
  "queue.filename": "mainq",
  "queue.saveOnShutdown": "on",
};

/**
 * Dequeue one message per 100 µs at most (about 6,000/s here): a slow
 * action's backlog.
 */
const SLOW = { "queue.dequeueBatchSize": "1", "queue.dequeueSlowdown": "100" };

/**
 * Shorter, so that draining the slow queue at the end stays short: what
 * comes after SIGTERM mostly fits in the old connection's socket buffers.
 */
const BACKLOG_RUN = { total: 30_000, restartAt: 20_000 };

function report(name: string, r: RestartLoss): void {
  console.log(`rsyslog restart, ${name}: ${JSON.stringify(r)}`);
  ok(r.writtenAtSigterm > 0, "restarted mid-stream");
  ok(r.writtenToOldConnection >= r.writtenAtSigterm);
  equal(r.lostNewConnection, 0, "the new connection loses nothing");
  equal(r.duplicates, 0);
}

Deno.test("rsyslog harness: graceful restart mid-stream (steady 25,000/s, default config)", async () => {
  await using rs = await startRsyslog();
  // Lost: what the client writes between SIGTERM and the connection's end
  // (0 to ~150 here); what was written before SIGTERM rsyslog has read.
  report("steady, default", await restartRun(rs));
});

Deno.test("rsyslog harness: graceful restart mid-stream over TLS (steady 25,000/s, default config)", async () => {
  await using rs = await startRsyslog({ tls: true, certs });
  // Over gtls, the last few hundred messages written before SIGTERM are
  // lost too (not yet read and decrypted when imtcp stops reading).
  report("steady, TLS, default", await restartRun(rs));
});

Deno.test("rsyslog harness: graceful restart right after a burst loses the unread socket data, even with saveOnShutdown", async () => {
  await using rs = await startRsyslog({ mainQueue: SAVE_ON_SHUTDOWN });
  // imtcp stops reading at SIGTERM: what sits unread in the socket is
  // dropped when rsyslog closes it (thousands of the 5,000 here).
  report("burst, saveOnShutdown", await restartRun(rs, { burst: 5_000 }));
});

Deno.test("rsyslog harness: graceful restart with a backlog: the default main queue discards it, saveOnShutdown keeps it", async () => {
  let discarded: RestartLoss;
  {
    await using rs = await startRsyslog({ mainQueue: SLOW });
    discarded = await restartRun(rs, BACKLOG_RUN);
    report("backlog, default main queue", discarded);
  }
  await using rs = await startRsyslog({
    mainQueue: { ...SLOW, ...SAVE_ON_SHUTDOWN },
  });
  const kept = await restartRun(rs, BACKLOG_RUN);
  report("backlog, saveOnShutdown", kept);
  // The default waits queue.timeoutShutdown (1.5 s), then discards what is
  // left (6,000 to 7,500 of 20,000 here); the disk-assisted queue spools it to
  // mainq.* and processes it after the restart.
  ok(discarded.lostBeforeSigterm > 1_000, "the default discards the backlog");
  ok(
    kept.lostBeforeSigterm * 10 < discarded.lostBeforeSigterm,
    "saveOnShutdown keeps it",
  );
});
