// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// LogReceiver with `ack: true` over real sockets: raw clients send stamped
// frames and read the acknowledgements (transport/ack.ts) back.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { setImmediate } from "node:timers";
import { LogReceiver } from "../receiver.ts";
import { dumpsFrame } from "../pickle.ts";
import { ACK_BYTES, AckReader } from "../transport/ack.ts";
import { makeCerts, opensslAvailable } from "./_certs.ts";
import { runPython } from "./_python.ts";
import { stampedFrame } from "./_stamped.ts";
import { concat } from "./_bytes.ts";

const SENDER = "h:42:0a0b0c0d";

function stamped(seq: number, sender = SENDER): Uint8Array {
  return stampedFrame(
    { name: "app", msg: `r${seq}`, args: null, levelno: 20 },
    seq,
    sender,
    { protocol: 1 },
  );
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

async function writeAll(
  conn: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` is true (bounded). */
async function until(fn: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** A client connection whose acknowledgements are read in the background. */
class AckClient {
  readonly conn: Deno.Conn;
  readonly reader: AckReader = new AckReader();
  /** Every count read, in order. */
  readonly counts: number[] = [];
  /** When each count was read (performance.now()). */
  readonly times: number[] = [];
  bytes = 0;
  error: unknown = undefined;
  readonly done: Promise<void>;

  constructor(conn: Deno.Conn, read = true) {
    this.conn = conn;
    this.done = read ? this.#read() : Promise.resolve();
  }

  async #read(): Promise<void> {
    const buf = new Uint8Array(4096);
    for (;;) {
      let n: number | null;
      try {
        n = await this.conn.read(buf);
      } catch {
        return;
      }
      if (n === null) return;
      try {
        // One acknowledgement at a time, so that every count is seen.
        for (let i = 0; i < n;) {
          const end = Math.min(n, i + ACK_BYTES - (this.bytes % ACK_BYTES));
          this.bytes += end - i;
          const c = this.reader.push(buf.subarray(i, end));
          i = end;
          if (c !== undefined) {
            this.counts.push(c);
            this.times.push(performance.now());
          }
        }
      } catch (e) {
        this.error = e;
        return;
      }
    }
  }

  /** Waits until an acknowledgement of at least `count` was read. */
  waitFor(count: number, ms = 10_000): Promise<void> {
    return until(
      () => this.reader.count >= count || this.error !== undefined,
      `an acknowledgement of ${count} (latest ${this.reader.count})`,
      ms,
    );
  }

  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // closed
    }
    await this.done;
  }
}

Deno.test("LogReceiver ack: a sender reads cumulative counts that never decrease, up to every frame", async () => {
  const N = 5000;
  await using receiver = new LogReceiver({ port: 0, ack: true });
  const client = new AckClient(await Deno.connect({ port: receiver.port }));
  try {
    const consumer = (async () => {
      let n = 0;
      for await (const r of receiver) {
        equal(r.msg, `r${++n}`);
        if (n === N) return;
      }
    })();
    for (let i = 1; i <= N; i += 500) {
      await writeAll(
        client.conn,
        concat(range(i, i + 499).map((s) => stamped(s))),
      );
    }
    await consumer;
    await client.waitFor(N);
    equal(client.error, undefined);
    equal(client.reader.count, N);
    for (let i = 1; i < client.counts.length; i++) {
      ok(client.counts[i]! > client.counts[i - 1]!, "counts only grow");
    }
    await sleep(20);
    equal(client.bytes, client.counts.length * ACK_BYTES);
    const s = receiver.stats();
    equal(s.acksWritten, client.counts.length);
    ok(s.acksWritten < N, `${s.acksWritten} acknowledgements (coalesced)`);
    equal(s.connections[0]!.acked, N);
  } finally {
    await client.close();
  }
});

Deno.test("LogReceiver ack: records still in the buffer are not acknowledged; taking them is, promptly", async () => {
  await using receiver = new LogReceiver({ port: 0, ack: true });
  const client = new AckClient(await Deno.connect({ port: receiver.port }));
  try {
    await writeAll(client.conn, concat(range(1, 20).map((s) => stamped(s))));
    await until(() => receiver.buffered === 20, "20 buffered records");
    await sleep(50);
    equal(client.bytes, 0, "nothing taken, nothing acknowledged");
    let taken = performance.now();
    const first = await receiver.next(10);
    deepEqual(first.map((r) => r.msg), range(1, 10).map((s) => `r${s}`));
    await client.waitFor(10);
    const latency = client.times.at(-1)! - taken;
    ok(latency < 500, `acknowledged ${latency} ms after next()`);
    await sleep(50);
    equal(client.reader.count, 10, "the rest is still buffered");
    taken = performance.now();
    await receiver.next(10);
    await client.waitFor(20);
    equal(client.reader.count, 20);
    equal(client.error, undefined);
    equal(receiver.stats().connections[0]!.acked, 20);
  } finally {
    await client.close();
  }
});

Deno.test("LogReceiver ack: refused frames, duplicates and unstamped records count; nothing before a stamped record", async () => {
  await using receiver = new LogReceiver({ port: 0, ack: true, onError() {} });
  const client = new AckClient(await Deno.connect({ port: receiver.port }));
  try {
    const garbage = Uint8Array.from([0, 0, 0, 3, 0xff, 0xff, 0xff]);
    const plain = dumpsFrame({ name: "app", msg: "plain", levelno: 20 });
    // Unstamped and refused frames first: no acknowledgement yet.
    await writeAll(client.conn, concat([garbage, plain]));
    await receiver.next(1);
    await sleep(50);
    equal(client.bytes, 0);
    // Then: stamped 1, refused, stamped 2, a duplicate of 1, plain, stamped 3.
    await writeAll(
      client.conn,
      concat([stamped(1), garbage, stamped(2), stamped(1), plain, stamped(3)]),
    );
    const got = await receiver.next(4);
    deepEqual(got.map((r) => r.msg), ["r1", "r2", "plain", "r3"]);
    await client.waitFor(8);
    equal(client.reader.count, 8);
    const s = receiver.stats();
    equal(s.framesRefused, 2);
    equal(s.sequence.duplicates, 1);
    equal(s.connections[0]!.acked, 8);
  } finally {
    await client.close();
  }
});

Deno.test("LogReceiver ack: without a buffer, a record counts once onRecord's promise settled", async () => {
  const release: (() => void)[] = [];
  await using receiver = new LogReceiver({
    port: 0,
    ack: true,
    onRecord: () => new Promise<void>((r) => release.push(r)),
  });
  const client = new AckClient(await Deno.connect({ port: receiver.port }));
  try {
    await writeAll(client.conn, concat([stamped(1), stamped(2), stamped(3)]));
    await until(() => release.length === 1, "the first onRecord call");
    await sleep(50);
    equal(client.bytes, 0);
    release[0]!();
    await client.waitFor(1);
    await until(() => release.length === 2, "the second onRecord call");
    await sleep(20);
    equal(client.reader.count, 1);
    release[1]!();
    await until(() => release.length === 3, "the third onRecord call");
    release[2]!();
    await client.waitFor(3);
    equal(client.reader.count, 3);
  } finally {
    await client.close();
  }
});

Deno.test("LogReceiver ack: a sender without a 'sender' attribute, and CPython 3.11's SocketHandler, never get a byte", async () => {
  const N = 300;
  await using receiver = new LogReceiver({ port: 0, ack: true });
  // A raw client sending plain frames (a 'seq' alone does not count).
  const client = new AckClient(await Deno.connect({ port: receiver.port }));
  try {
    await writeAll(
      client.conn,
      concat(
        range(1, 50).map((i) =>
          dumpsFrame({ name: "app", msg: `p${i}`, levelno: 20, seq: i })
        ),
      ),
    );
    await receiver.next(50);
    await sleep(50);
    equal(client.bytes, 0);
  } finally {
    await client.close();
  }
  // Python's SocketHandler: after the receiver took every record, its
  // socket has no byte to read, and its close() delivers everything.
  const python = runPython(
    [
      "import logging, logging.handlers, socket, sys, time",
      "port = int(sys.stdin.readline())",
      "h = logging.handlers.SocketHandler('127.0.0.1', port)",
      "log = logging.getLogger('py'); log.propagate = False",
      "log.addHandler(h); log.setLevel(logging.DEBUG)",
      `for i in range(${N}): log.info('py %d', i, extra={'seq': i + 1})`,
      "time.sleep(float(sys.stdin.readline()))",
      "h.sock.setblocking(False)",
      "try:",
      "    data = h.sock.recv(65536, socket.MSG_PEEK)",
      "    print('unread', len(data))",
      "except BlockingIOError:",
      "    print('unread', 0)",
      "h.sock.setblocking(True)",
      "h.close()",
      "print('closed')",
    ].join("\n"),
    [String(receiver.port), "0.5"],
  );
  const got = await receiver.next(N, { timeout: 20_000 });
  deepEqual(
    got.map((r) => r.getMessage()),
    range(0, N - 1).map((i) => `py ${i}`),
  );
  deepEqual(await python, ["unread 0", "closed"]);
  const s = receiver.stats();
  equal(s.acksWritten, 0);
  ok(s.recentlyClosed.every((c) => c.acked === 0));
  equal(s.records, 50 + N);
});

Deno.test("LogReceiver ack: a sender that never reads stalls the acknowledgements, not the receiving; reading resumes them", async () => {
  const N = 20_000;
  const dir = await Deno.makeTempDir();
  const path = `${dir}/ack.sock`;
  let got = 0;
  try {
    await using receiver = new LogReceiver({
      path,
      ack: true,
      // One record per turn of the event loop: as many acknowledgements as
      // the socket takes.
      onRecord: () => {
        got++;
        return new Promise<void>((r) => setImmediate(r));
      },
    });
    const client = new AckClient(
      await Deno.connect({ transport: "unix", path }),
      false,
    );
    try {
      const frames = concat(range(1, N).map((s) => stamped(s)));
      await writeAll(client.conn, frames);
      await until(() => got === N, `${N} records`, 60_000);
      const stalled = receiver.stats();
      await sleep(200);
      const later = receiver.stats();
      equal(later.records, N);
      equal(later.acksWritten, stalled.acksWritten, "no write completes");
      ok(later.acksWritten < N / 10, `${later.acksWritten} acknowledgements`);
      ok(later.connections[0]!.acked < N);
      ok(later.bufferedBytes <= 16 * 1024, `${later.bufferedBytes} bytes held`);
      // The sender reads: the write in flight completes, then the latest.
      const reading = new AckClient(client.conn);
      await reading.waitFor(N);
      equal(reading.error, undefined);
      equal(reading.reader.count, N);
      const s = receiver.stats();
      ok(s.acksWritten <= later.acksWritten + 2, `${s.acksWritten}`);
      equal(s.connections[0]!.acked, N);
      await reading.close();
    } finally {
      await client.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LogReceiver ack: close() does not wait for an acknowledgement that cannot be written", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/ack.sock`;
  try {
    const receiver = new LogReceiver({
      path,
      ack: true,
      onRecord: () => new Promise<void>((r) => setImmediate(r)),
    });
    const conn = await Deno.connect({ transport: "unix", path });
    try {
      await writeAll(conn, concat(range(1, 5000).map((s) => stamped(s))));
      await until(() => receiver.stats().records === 5000, "5000 records");
      const stuck = receiver.stats().acksWritten;
      await sleep(50);
      equal(receiver.stats().acksWritten, stuck);
      const started = performance.now();
      await receiver.close();
      ok(performance.now() - started < 2000);
    } finally {
      conn.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "LogReceiver ack: over TLS (Deno.listenTls) and mutual TLS (node:tls)",
  ignore: !opensslAvailable(),
  fn: async () => {
    const certs = await makeCerts();
    try {
      for (const mutual of [false, true]) {
        await using receiver = new LogReceiver({
          port: 0,
          ack: true,
          tls: {
            cert: certs.server.cert,
            key: certs.server.key,
            ...(mutual ? { caCerts: [certs.ca.cert] } : {}),
          },
        });
        await receiver.ready;
        const conn = await Deno.connectTls({
          hostname: "127.0.0.1",
          port: receiver.port,
          caCerts: [certs.ca.cert],
          ...(mutual ? { cert: certs.client.cert, key: certs.client.key } : {}),
        });
        const client = new AckClient(conn);
        try {
          await writeAll(conn, concat(range(1, 300).map((s) => stamped(s))));
          await receiver.next(300);
          await client.waitFor(300);
          equal(client.reader.count, 300, mutual ? "mutual" : "plain");
          equal(client.error, undefined);
        } finally {
          await client.close();
        }
      }
    } finally {
      await certs.cleanup();
    }
  },
});

Deno.test("LogReceiver ack: validated; not with udp", () => {
  throws(
    () => new LogReceiver({ port: 0, udp: true, ack: true }),
    /'ack' needs stream connections \(TCP, TLS or Unix\): it excludes 'udp'/,
  );
  throws(
    // deno-lint-ignore no-explicit-any
    () => new LogReceiver({ port: 0, ack: "yes" as any }),
    /'ack' must be a boolean: current value is yes \(string\)/,
  );
  throws(
    () => new LogReceiver({ port: 0, gapTimeout: -1 }),
    /'gapTimeout' must be a non-negative number: current value is -1/,
  );
});
