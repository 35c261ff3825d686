// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// LogReceiver's forward targets over real loopback sockets: CPython's
// SocketHandler → LogReceiver → an NDJSON target; a syslog target down,
// then up; a stalled target; the CLI's --forward; TLS with the right and a
// wrong CA; missing-record warnings, duplicates and UDP.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import dgram from "node:dgram";
import {
  LogReceiver,
  type PythonLogRecord,
  type ReceiverError,
} from "../receiver.ts";
import { formatJson } from "../receiver/json_record.ts";
import { dumpsFrame } from "../pickle.ts";
import { ByteSink } from "./_byte_sink.ts";
import { parseSyslog, splitFrames, type Syslog } from "./_syslog.ts";
import { pythonCommand, runScript } from "./_python.ts";
import { freePort } from "./_free_port.ts";
import { stampedFrame } from "./_stamped.ts";
import { startCli } from "./_cli_run.ts";
import { makeCerts, opensslAvailable } from "./_certs.ts";
import { concat } from "./_bytes.ts";

const SENDER = new URL("./py/sender_socket_handler.py", import.meta.url)
  .pathname;

/** A record dict as a sender's `SocketHandler` would pickle it. */
function frame(msg: string, extra: Record<string, unknown> = {}): Uint8Array {
  return dumpsFrame({
    name: "app",
    msg,
    args: null,
    levelname: "INFO",
    levelno: 20,
    created: 1765021814.5,
    process: 4242,
    ...extra,
  });
}

/** Writes frames on one connection, then closes it. */
async function send(port: number, frames: Uint8Array[]): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = concat(frames);
    let at = 0;
    while (at < bytes.length) at += await conn.write(bytes.subarray(at));
  } finally {
    conn.close();
  }
}

/** The syslog messages a sink has received in full. */
function syslogOf(sink: ByteSink): Syslog[] {
  return splitFrames(sink.bytes()).frames.map(parseSyslog);
}

/** Waits until `done()` holds (polling every 10 ms), at most `timeout` ms. */
async function until(
  done: () => boolean,
  timeout: number,
  what: () => string,
): Promise<void> {
  const end = Date.now() + timeout;
  while (!done()) {
    if (Date.now() > end) {
      throw new Error(`Cannot wait any longer (${timeout} ms): ${what()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("CPython SocketHandler → LogReceiver → ndjson+tcp: each line is the CLI's JSON of its record", async () => {
  await using sink = new ByteSink();
  const errors: string[] = [];
  const receiver = new LogReceiver({
    port: 0,
    loadsOptions: { exact: true }, // as the CLI decodes
    // resendWindow 0: records count as sent once written (default: 1 s later).
    forward: [{ url: `ndjson+tcp://127.0.0.1:${sink.port}`, resendWindow: 0 }],
    onError: (e) => errors.push(`${e.kind}: ${e.message}`),
  });
  let records: PythonLogRecord[];
  try {
    const sent = await runScript(pythonCommand(), SENDER, [
      "127.0.0.1",
      String(receiver.port),
    ]);
    equal(sent.length, 7);
    records = await receiver.next(7, { timeout: 10_000 });
    await sink.until(() => sink.lines().length >= 7, 10_000);
    const f = receiver.stats().forward;
    equal(f.length, 1);
    equal(f[0]!.url, `ndjson+tcp://127.0.0.1:${sink.port}`);
    equal(f[0]!.sent, 7);
    equal(f[0]!.dropped, 0);
    equal(f[0]!.pending, 0);
    equal(f[0]!.connects, 1);
    equal(f[0]!.state, "connected");
  } finally {
    await receiver.close();
  }
  deepEqual(sink.lines(), records.map(formatJson));
  equal(sink.conns.length, 1);
  equal(JSON.parse(sink.lines()[2]!).user, "bob");
  match(JSON.parse(sink.lines()[3]!).exc_text, /ZeroDivisionError/);
  deepEqual(errors, []);
  equal(receiver.stats().forward[0]!.state, "closed");
});

Deno.test("a syslog target down, then up: records queue (bounded), arrive in order, drops counted", async () => {
  const port = await freePort();
  const errors: ReceiverError[] = [];
  const receiver = new LogReceiver({
    port: 0,
    forward: [{
      url: `syslog+tcp://127.0.0.1:${port}`,
      maxQueueRecords: 50,
      resendWindow: 0,
    }],
    onError: (e) => errors.push(e),
  });
  try {
    const frames = Array.from(
      { length: 80 },
      (_, i) => frame(`record ${i + 1}`),
    );
    await send(receiver.port, frames);
    await receiver.next(80, { timeout: 10_000 });
    const down = receiver.stats().forward[0]!;
    equal(down.sent, 0);
    equal(down.pending, 50);
    equal(down.dropped, 30);
    equal(down.droppedByReason.overflow, 30);
    await until(
      () =>
        errors.some((e) =>
          /^syslog\+tcp:\/\/127\.0\.0\.1:\d+: Cannot connect to the target: /
            .test(e.message)
        ),
      5000,
      () => errors.map((e) => e.message).join("\n"),
    );
    ok(errors.every((e) => e.kind === "forward"));
    ok(
      errors.some((e) => /queue is full .*dropped the oldest/.test(e.message)),
      errors.map((e) => e.message).join("\n"),
    );
    // Up: the 50 newest arrive, in order, then what comes next.
    await using sink = new ByteSink({ port });
    await sink.until(() => syslogOf(sink).length >= 50, 15_000);
    await send(receiver.port, [frame("after 1"), frame("after 2")]);
    await receiver.next(2, { timeout: 10_000 });
    await sink.until(() => syslogOf(sink).length >= 52, 10_000);
    const got = syslogOf(sink);
    deepEqual(
      got.map((s) => s.msg),
      [
        ...Array.from({ length: 50 }, (_, i) => `record ${i + 31}`),
        "after 1",
        "after 2",
      ],
    );
    ok(got.every((s) => s.pri === 14 && s.appName === "app"));
    const up = receiver.stats().forward[0]!;
    equal(up.sent, 52);
    equal(up.dropped, 30);
    equal(up.pending, 0);
  } finally {
    await receiver.close();
  }
});

Deno.test("a stalled target (accepts, never reads): receiving goes on, its queue stays bounded", async () => {
  await using sink = new ByteSink({ stall: true });
  const maxQueueBytes = 256 * 1024;
  let received = 0;
  let peakPendingBytes = 0;
  const receiver = new LogReceiver({
    port: 0,
    onRecord: () => {
      received++;
    },
    forward: [{
      url: `ndjson+tcp://127.0.0.1:${sink.port}`,
      maxQueueRecords: 1000,
      maxQueueBytes,
    }],
    onError: () => {},
  });
  const watch = setInterval(() => {
    const f = receiver.stats().forward[0]!;
    peakPendingBytes = Math.max(peakPendingBytes, f.pendingBytes);
  }, 5);
  const n = 2000;
  const big = "x".repeat(16 * 1024);
  const started = Date.now();
  try {
    // 32 MB of records: more than the target's queue and the kernel's
    // socket buffers hold.
    for (let batch = 0; batch < n; batch += 200) {
      await send(
        receiver.port,
        Array.from({ length: 200 }, (_, i) => frame(`${batch + i} ${big}`)),
      );
    }
    await until(() => received === n, 20_000, () => `${received} of ${n}`);
    const elapsed = Date.now() - started;
    ok(elapsed < 20_000, `${elapsed} ms`);
    const f = receiver.stats().forward[0]!;
    ok(f.pendingBytes <= maxQueueBytes, `${f.pendingBytes}`);
    ok(f.pending <= 1000);
    ok(f.dropped > 0, JSON.stringify(f));
    equal(f.droppedByReason.overflow, f.dropped);
    equal(f.sent + f.dropped + f.pending, n);
    ok(f.sent < n / 2, JSON.stringify(f)); // the kernel took a few MB only
    ok(peakPendingBytes <= maxQueueBytes, `${peakPendingBytes}`);
    equal(receiver.stats().records, n);
  } finally {
    clearInterval(watch);
    const t0 = Date.now();
    await receiver.close(100);
    ok(Date.now() - t0 < 5000);
  }
  const f = receiver.stats().forward[0]!;
  equal(f.pending, 0);
  equal(f.sent + f.dropped, n);
});

Deno.test("the CLI --forward sends what it prints, as NDJSON and syslog, and sums them up", async () => {
  await using ndjson = new ByteSink();
  await using syslog = new ByteSink();
  const cli = await startCli([
    "--port",
    "0",
    "--format",
    "json",
    "--count",
    "7",
    "--forward",
    `ndjson+tcp://127.0.0.1:${ndjson.port}`,
    `--forward=syslog+tcp://127.0.0.1:${syslog.port}`,
    "--forward-facility",
    "local0",
  ]);
  ok(cli.port > 0, cli.listening);
  await runScript(pythonCommand(), SENDER, ["127.0.0.1", String(cli.port)]);
  const { stdout, stderr, code } = await cli.done();
  equal(code, 0, stderr);
  equal(
    stderr,
    `received 7 records over 1 connection, 0 errors
forwarded to ndjson+tcp://127.0.0.1:${ndjson.port}: 7 sent, 0 dropped, 0 pending
forwarded to syslog+tcp://127.0.0.1:${syslog.port}: 7 sent, 0 dropped, 0 pending
`,
  );
  const printed = stdout.trimEnd().split("\n");
  equal(printed.length, 7);
  await ndjson.until(() => ndjson.lines().length >= 7, 5000);
  deepEqual(ndjson.lines(), printed);
  await syslog.until(() => syslogOf(syslog).length >= 7, 5000);
  const messages = syslogOf(syslog);
  for (let i = 0; i < 7; i++) {
    const json = JSON.parse(printed[i]!);
    const s = messages[i]!;
    equal(s.pri >> 3, 16); // local0
    equal(s.appName, "interop.sender");
    equal(s.procId, String(json.process));
    equal(s.msgId, json.levelname.replace(" ", "_"));
    const params = Object.fromEntries(s.sd[0]!.params);
    equal(params.lineno, String(json.lineno));
    equal(params.pathname, json.pathname);
    equal(
      s.msg,
      [json.message, json.exc_text, json.stack_info].filter((t) => t).join(
        "\n",
      ),
    );
  }
  deepEqual(
    messages.map((s) => s.pri & 7),
    [7, 6, 4, 3, 3, 2, 6],
  );
});

Deno.test("the CLI delivers its forward queues on SIGTERM and counts what a down target missed", async () => {
  await using up = new ByteSink();
  const down = await freePort();
  const cli = await startCli([
    "--port",
    "0",
    "--format",
    "json",
    "--forward",
    `ndjson+tcp://127.0.0.1:${up.port}`,
    "--forward",
    `syslog+tcp://127.0.0.1:${down}`,
  ]);
  ok(cli.port > 0, cli.listening);
  await send(cli.port, [frame("one"), frame("two"), frame("three")]);
  await up.until(() => up.lines().length >= 3, 10_000);
  const t0 = Date.now();
  cli.kill("SIGTERM");
  const { stdout, stderr, code } = await cli.done();
  ok(Date.now() - t0 < 4000, `${Date.now() - t0} ms`);
  equal(code, 0, stderr);
  deepEqual(stdout.trimEnd().split("\n"), up.lines());
  match(
    stderr,
    new RegExp(
      `\\nreceived 3 records over 1 connection, \\d+ errors?\\n` +
        `forwarded to ndjson\\+tcp://127\\.0\\.0\\.1:${up.port}: 3 sent, 0 dropped, 0 pending\\n` +
        `forwarded to syslog\\+tcp://127\\.0\\.0\\.1:${down}: 0 sent, 3 dropped \\(closed 3\\), 0 pending\\n$`,
    ),
  );
  match(stderr, /warning: forward: syslog\+tcp:.*Cannot connect to the target/);
});

Deno.test({
  name:
    "ndjson+tls: delivered with the test CA; refused with a wrong one, nothing sent in plaintext",
  ignore: !opensslAvailable(),
  fn: async () => {
    const certs = await makeCerts();
    try {
      await using tlsSink = new ByteSink({
        tls: { cert: certs.server.cert, key: certs.server.key },
      });
      // The right CA.
      const goodErrors: string[] = [];
      const good = new LogReceiver({
        port: 0,
        forward: [{
          url: `ndjson+tls://127.0.0.1:${tlsSink.port}`,
          tls: { caCerts: [certs.ca.cert] },
          resendWindow: 0,
        }],
        onError: (e) => goodErrors.push(e.message),
      });
      try {
        await send(good.port, [frame("over tls 1"), frame("over tls 2")]);
        const records = await good.next(2, { timeout: 10_000 });
        await tlsSink.until(() => tlsSink.lines().length >= 2, 10_000);
        deepEqual(tlsSink.lines(), records.map(formatJson));
        equal(good.stats().forward[0]!.sent, 2);
      } finally {
        await good.close();
      }
      deepEqual(goodErrors, []);
      // A wrong CA, through a tap that keeps what the client writes.
      await using tap = new Tap(tlsSink.port);
      const errors: string[] = [];
      const bad = new LogReceiver({
        port: 0,
        forward: [{
          url: `ndjson+tls://127.0.0.1:${tap.port}`,
          tls: { caCerts: [certs.wrongCa.cert] },
        }],
        onError: (e) => errors.push(`${e.kind}: ${e.message}`),
      });
      try {
        await send(bad.port, [frame("secret-marker-4711")]);
        await bad.next(1, { timeout: 10_000 });
        await until(
          () => errors.some((e) => /Cannot connect to the target/.test(e)),
          10_000,
          () => errors.join("; "),
        );
        match(errors[0]!, /^forward: ndjson\+tls:.*(certificate|issuer)/i);
        const f = bad.stats().forward[0]!;
        equal(f.sent, 0);
        equal(f.pending, 1);
        equal(f.connects, 0);
      } finally {
        await bad.close(0);
      }
      equal(bad.stats().forward[0]!.droppedByReason.closed, 1);
      equal(tlsSink.lines().length, 2); // nothing more
      const written = tap.fromClient();
      ok(written.length > 0);
      equal(written[0], 0x16); // a TLS handshake record
      ok(!new TextDecoder().decode(written).includes("secret-marker"));
    } finally {
      await certs.cleanup();
    }
  },
});

/** A TCP relay to a port that keeps the bytes its clients write. */
class Tap implements AsyncDisposable {
  #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  #chunks: Uint8Array[] = [];
  #conns: Deno.Conn[] = [];
  #tasks: Promise<void>[] = [];

  constructor(to: number) {
    this.#tasks.push(this.#accept(to));
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  fromClient(): Uint8Array {
    return concat(this.#chunks);
  }

  async #accept(to: number): Promise<void> {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await this.#listener.accept();
      } catch {
        return;
      }
      const server = await Deno.connect({ hostname: "127.0.0.1", port: to });
      this.#conns.push(client, server);
      this.#tasks.push(this.#pipe(client, server, this.#chunks));
      this.#tasks.push(this.#pipe(server, client, undefined));
    }
  }

  async #pipe(
    from: Deno.Conn,
    to: Deno.Conn,
    keep: Uint8Array[] | undefined,
  ): Promise<void> {
    const buf = new Uint8Array(16384);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        keep?.push(buf.slice(0, n));
        let at = 0;
        while (at < n) at += await to.write(buf.subarray(at, n));
      }
    } catch {
      // either side closed
    }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Promise.all(this.#tasks);
  }
}

Deno.test("missing-record warnings are forwarded, duplicates are not; onRecord without a buffer; HOSTNAME from the sender", async () => {
  await using sink = new ByteSink();
  const got: PythonLogRecord[] = [];
  const receiver = new LogReceiver({
    port: 0,
    gapTimeout: 50,
    onRecord: (r) => {
      got.push(r);
    },
    forward: [{ url: `syslog+tcp://127.0.0.1:${sink.port}`, resendWindow: 0 }],
  });
  try {
    const sender = "h1:12:abcd0123";
    const base = { name: "app", args: null, levelno: 20, levelname: "INFO" };
    await send(receiver.port, [
      stampedFrame({ ...base, msg: "one" }, 1, sender),
      stampedFrame({ ...base, msg: "three" }, 3, sender),
      stampedFrame({ ...base, msg: "three" }, 3, sender),
    ]);
    await until(() => got.length >= 3, 10_000, () => `${got.length}`);
    await sink.until(() => syslogOf(sink).length >= 3, 10_000);
    const s = syslogOf(sink);
    deepEqual(s.map((m) => m.msg), [
      "one",
      "three",
      "missing 1 record from sender h1:12:abcd0123, seq 2",
    ]);
    deepEqual(s.map((m) => m.hostname), ["h1", "h1", "h1"]);
    equal(s[2]!.appName, "pylogging.receiver");
    equal(s[2]!.pri, 12);
    const params = Object.fromEntries(s[0]!.sd[0]!.params);
    equal(params.seq, "1");
    equal(params.sender, sender);
    equal(receiver.stats().sequence.duplicates, 1);
    equal(receiver.stats().forward[0]!.sent, 3);
  } finally {
    await receiver.close();
  }
});

Deno.test("a UDP receiver forwards its datagrams' records too", async () => {
  await using sink = new ByteSink();
  const receiver = new LogReceiver({
    port: 0,
    udp: true,
    forward: [`ndjson+tcp://127.0.0.1:${sink.port}`],
  });
  const socket = dgram.createSocket("udp4");
  try {
    await receiver.ready;
    for (const msg of ["u1", "u2"]) {
      await new Promise<void>((resolve, reject) =>
        socket.send(
          Buffer.from(frame(msg)),
          receiver.port,
          "127.0.0.1",
          (e) => e ? reject(e) : resolve(),
        )
      );
    }
    const records = await receiver.next(2, { timeout: 10_000 });
    await sink.until(() => sink.lines().length >= 2, 10_000);
    deepEqual(sink.lines(), records.map(formatJson));
  } finally {
    socket.close();
    await receiver.close();
  }
});

Deno.test("close() gives a down target its deadline, then counts and reports what is left", async () => {
  const port = await freePort();
  const errors: string[] = [];
  const receiver = new LogReceiver({
    port: 0,
    forward: [`ndjson+tcp://127.0.0.1:${port}`],
    onError: (e) => errors.push(e.message),
  });
  await send(receiver.port, [frame("a"), frame("b")]);
  await receiver.next(2, { timeout: 10_000 });
  const t0 = Date.now();
  await receiver.close(300);
  ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
  const f = receiver.stats().forward[0]!;
  equal(f.state, "closed");
  equal(f.dropped, 2);
  equal(f.droppedByReason.closed, 2);
  ok(
    errors.some((m) => /2 log records were dropped by close\(\)/.test(m)),
    errors.join("\n"),
  );
  await receiver.close(); // again: the same promise, resolved
  let rejected: unknown;
  const other = new LogReceiver({ port: 0 });
  await other.close(-1).catch((e) => rejected = e);
  ok(rejected instanceof RangeError);
  equal(
    (rejected as Error).message,
    "Cannot close the receiver as 'timeout' must be a non-negative number of milliseconds: current value is -1",
  );
  equal(other.closed, false);
  await other.close();
  deepEqual(other.stats().forward, []);
});

Deno.test("the resend window: written records count as sent when it passes, or at close; none is counted dropped", async () => {
  await using sink = new ByteSink();
  const receiver = new LogReceiver({
    port: 0,
    forward: [{
      url: `ndjson+tcp://127.0.0.1:${sink.port}`,
      resendWindow: 300,
    }],
  });
  try {
    await send(receiver.port, [frame("w1"), frame("w2")]);
    await receiver.next(2, { timeout: 10_000 });
    await sink.until(() => sink.lines().length >= 2, 10_000);
    let f = receiver.stats().forward[0]!;
    equal(f.sent + f.pending, 2); // kept until the window passes
    const deadline = Date.now() + 5000;
    while (receiver.stats().forward[0]!.sent < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    f = receiver.stats().forward[0]!;
    equal(f.sent, 2);
    equal(f.pending, 0);
    await send(receiver.port, [frame("w3")]);
    await receiver.next(1, { timeout: 10_000 });
    await sink.until(() => sink.lines().length >= 3, 10_000);
  } finally {
    await receiver.close(50); // shorter than the window: w3 counts as sent
  }
  const f = receiver.stats().forward[0]!;
  equal(f.sent, 3);
  equal(f.dropped, 0);
  equal(f.pending, 0);
});
