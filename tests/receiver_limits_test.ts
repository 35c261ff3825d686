// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The receiver's limits against hostile senders over real loopback sockets:
// a flood of idle connections (eviction), slowloris (close as "slow"), many
// partial large frames and a stalled consumer (the byte budget), while a
// legitimate sender (CPython's SocketHandler or raw frames) is served.
import { equal, ok } from "node:assert/strict";
import { type CloseReason, LogReceiver } from "../receiver.ts";
import { dumpsFrame } from "../pickle.ts";

function rec(fields: Record<string, unknown>): Uint8Array {
  return dumpsFrame({ name: "t", levelno: 20, levelname: "INFO", ...fields });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(fn: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Options that keep the test quiet and count the close reasons. */
function quiet(): {
  closed: CloseReason[];
  onError: () => void;
  onClose: (_c: unknown, r: CloseReason) => void;
} {
  const closed: CloseReason[] = [];
  return { closed, onError: () => {}, onClose: (_c, r) => closed.push(r) };
}

/** CPython's SocketHandler sending `n` records, one every `gapMs`. */
function pythonSender(port: number, n: number, gapMs: number) {
  const code = `
import logging, logging.handlers, sys, time
h = logging.handlers.SocketHandler("127.0.0.1", ${port})
log = logging.getLogger("legit")
log.propagate = False
log.addHandler(h)
log.setLevel(logging.INFO)
for i in range(${n}):
    log.info("legit %d", i)
    time.sleep(${gapMs / 1000})
h.close()
`;
  return new Deno.Command("python3", {
    args: ["-c", code],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
}

/** Takes records until `n` with name "legit" arrived; returns their messages. */
async function legitMessages(receiver: LogReceiver, n: number) {
  const got: string[] = [];
  const deadline = Date.now() + 20_000;
  while (got.length < n && Date.now() < deadline) {
    const [r] = await receiver.next(1, { timeout: deadline - Date.now() });
    if (r!.name === "legit") got.push(r!.getMessage());
  }
  return got;
}

function expected(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `legit ${i}`);
}

Deno.test("LogReceiver serves a CPython sender through a flood of idle connections beyond maxConnections", async () => {
  const q = quiet();
  await using receiver = new LogReceiver({ port: 0, maxConnections: 20, ...q });
  const N = 100;
  const sender = pythonSender(receiver.port, N, 10);
  const flood: Deno.Conn[] = [];
  const flooding = (async () => {
    for (let i = 0; i < 80; i++) {
      flood.push(await Deno.connect({ port: receiver.port }));
      await sleep(5);
    }
  })();
  try {
    const got = await legitMessages(receiver, N);
    await flooding;
    equal(got.join("\n"), expected(N).join("\n"));
    ok((await sender.status).success);
    await until(
      () => (q.closed.filter((r) => r === "evicted").length >= 60),
      "evictions",
    );
    ok(receiver.stats().connectionsOpen <= 21);
  } finally {
    await flooding.catch(() => {});
    for (const c of flood) c.close();
  }
});

Deno.test("LogReceiver closes slowloris connections as slow and serves a CPython sender", async () => {
  const q = quiet();
  await using receiver = new LogReceiver({
    port: 0,
    minReadRate: 100,
    readRateWindow: 500,
    ...q,
  });
  const slow = await Promise.all(
    Array.from({ length: 5 }, () => Deno.connect({ port: receiver.port })),
  );
  const frame = rec({ msg: "x".repeat(1000) });
  const dribbling = slow.map(async (c) => {
    try {
      for (let i = 0; i < 40; i++) { // 1 byte / 200 ms, at most 8 s
        await c.write(frame.subarray(i, i + 1));
        await sleep(200);
      }
    } catch {
      // closed by the receiver
    }
  });
  const N = 50;
  const sender = pythonSender(receiver.port, N, 20);
  try {
    const got = await legitMessages(receiver, N);
    equal(got.join("\n"), expected(N).join("\n"));
    ok((await sender.status).success);
    await until(() => receiver.stats().closedReasons.slow === 5, "5 slow");
    await Promise.all(dribbling);
  } finally {
    for (const c of slow) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
  }
});

/** Starts writing without waiting; the write may block on backpressure. */
function writeLater(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  return (async () => {
    let off = 0;
    while (off < data.length) off += await conn.write(data.subarray(off));
  })().catch(() => {});
}

Deno.test("LogReceiver bounds the bytes of partial large frames and keeps serving", async () => {
  const q = quiet();
  const MAX = 1024 * 1024;
  await using receiver = new LogReceiver({
    port: 0,
    maxFrameBytes: 256 * 1024,
    maxBufferedBytes: MAX,
    ...q,
  });
  const big = rec({ msg: "y".repeat(250 * 1024) });
  const holders = await Promise.all(
    Array.from({ length: 16 }, () => Deno.connect({ port: receiver.port })),
  );
  // Each holds a partial frame: all but the last 1000 bytes.
  const writes = holders.map((c) =>
    writeLater(c, big.subarray(0, big.length - 1000))
  );
  try {
    await sleep(300);
    ok(receiver.stats().bufferedBytes > MAX / 2);
    using legit = await Deno.connect({ port: receiver.port });
    for (let i = 0; i < 20; i++) {
      await legit.write(rec({ name: "legit", msg: `legit ${i}` }));
      await sleep(5);
    }
    const got = await legitMessages(receiver, 20);
    equal(got.join("\n"), expected(20).join("\n"));
    const s = receiver.stats();
    ok(s.bufferedBytesHighWater <= MAX, `${s.bufferedBytesHighWater}`);
    ok(s.bufferedBytes <= MAX);
  } finally {
    for (const c of holders) c.close();
    await Promise.all(writes);
  }
});

Deno.test("LogReceiver applies backpressure by bytes to a stalled consumer, then resumes", async () => {
  const q = quiet();
  const MAX = 1024 * 1024;
  await using receiver = new LogReceiver({
    port: 0,
    maxFrameBytes: 256 * 1024,
    maxBufferedBytes: MAX,
    buffer: true,
    ...q,
  });
  const N = 40; // 40 × 100 KiB = 4 MiB, four times the bound
  const frames = Array.from(
    { length: N },
    (_, i) =>
      rec({ name: "legit", msg: `legit ${i}` + "z".repeat(100 * 1024) }),
  );
  using conn = await Deno.connect({ port: receiver.port });
  const writing = (async () => {
    for (const f of frames) await writeLater(conn, f);
  })();
  await until(() => receiver.buffered > 0, "records buffered");
  await sleep(500); // the consumer stalls
  let s = receiver.stats();
  ok(s.bufferedBytesHighWater <= MAX, `${s.bufferedBytesHighWater}`);
  ok(s.records < N, `read ${s.records} of ${N} while stalled`);
  const got: string[] = [];
  for (let i = 0; i < N; i++) {
    const [r] = await receiver.next(1, { timeout: 10_000 });
    got.push(r!.getMessage().replace(/z+$/, ""));
  }
  await writing;
  equal(got.join("\n"), expected(N).join("\n"));
  s = receiver.stats();
  ok(s.bufferedBytesHighWater <= MAX);
  ok(s.bufferedBytes <= 16 * 1024, `${s.bufferedBytes}`); // the pending read
});

Deno.test("LogReceiver counts a decoded record's heap in the byte budget when it exceeds its frame", async () => {
  const q = quiet();
  const MAX = 2 * (512 * 1024 + 4);
  await using receiver = new LogReceiver({
    port: 0,
    maxFrameBytes: 512 * 1024,
    maxBufferedBytes: MAX,
    buffer: true,
    ...q,
  });
  // 100 KB frames of lists of three small ints: about 7 heap units per
  // byte, so two decoded records are over the 1 MiB bound.
  const lists = Array.from({ length: 10_000 }, () => [1, 2, 3]);
  const N = 12;
  const frames = Array.from(
    { length: N },
    (_, i) => rec({ msg: `heavy ${i}`, lists }),
  );
  ok(frames[0]!.length < 110_000 && frames[0]!.length > 90_000);
  using conn = await Deno.connect({ port: receiver.port });
  const writing = (async () => {
    for (const f of frames) await writeLater(conn, f);
  })();
  await until(() => receiver.buffered > 0, "records buffered");
  await sleep(500); // the consumer stalls
  const s = receiver.stats();
  // Counted by frame length, 10 records would fit; by heap, 2 at most.
  ok(receiver.buffered <= 2, `${receiver.buffered} records buffered`);
  ok(s.bufferedBytesHighWater > MAX / 2, `${s.bufferedBytesHighWater}`);
  // Over the bound by at most one record's heap beyond its frame.
  ok(
    s.bufferedBytesHighWater < MAX + 16 * 110_000,
    `${s.bufferedBytesHighWater}`,
  );
  const got: string[] = [];
  for (let i = 0; i < N; i++) {
    const [r] = await receiver.next(1, { timeout: 10_000 });
    got.push(r!.getMessage());
  }
  await writing;
  equal(got.join(","), frames.map((_, i) => `heavy ${i}`).join(","));
  equal(receiver.stats().bufferedBytes <= 16 * 1024, true);
});

Deno.test("LogReceiver takes buffered records from its connections in turn", async () => {
  const q = quiet();
  await using receiver = new LogReceiver({ port: 0, buffer: true, ...q });
  using a = await Deno.connect({ port: receiver.port });
  using b = await Deno.connect({ port: receiver.port });
  // a: 300 records of 4 KB; b: 40 small ones.
  const pad = "x".repeat(4000);
  const many = new Uint8Array(
    Array.from({ length: 300 }, (_, i) => [...rec({ msg: `a ${i}`, pad })])
      .flat(),
  );
  await writeLater(a, many);
  await until(() => receiver.buffered === 300, "300 records from a");
  const few = new Uint8Array(
    Array.from({ length: 40 }, (_, i) => [...rec({ msg: `b ${i}` })]).flat(),
  );
  await writeLater(b, few);
  await until(() => receiver.buffered === 340, "40 records from b");
  const got = (await receiver.next(340)).map((r) => r.getMessage());
  // Turns of 16 KiB, a record counting at least 4 KiB: a's and b's
  // records alternate four at a time (a's are a little over 4 KiB: three
  // in a turn, then four), not b after all of a's 300.
  const firstB = got.indexOf("b 0");
  ok(firstB >= 1 && firstB <= 4, `b 0 at ${firstB}`);
  equal(
    got.slice(firstB, firstB + 4).join(","),
    "b 0,b 1,b 2,b 3",
  );
  const lastB = got.indexOf("b 39");
  ok(lastB < 100, `b 39 at ${lastB}`);
  // Each connection's records in order.
  equal(
    got.filter((m) => m.startsWith("a ")).join(","),
    Array.from({ length: 300 }, (_, i) => `a ${i}`).join(","),
  );
});

Deno.test("LogReceiver keeps a sender that has delivered records through a flood of new idle connections", async () => {
  const q = quiet();
  await using receiver = new LogReceiver({
    port: 0,
    maxConnections: 8,
    buffer: true,
    ...q,
  });
  using sender = await Deno.connect({ port: receiver.port });
  await writeLater(sender, rec({ msg: "legit 0" }));
  await receiver.next(1);
  await sleep(50); // now the longest-idle connection
  const flood: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 40; i++) {
      flood.push(await Deno.connect({ port: receiver.port }));
      await sleep(2);
    }
    await until(() => q.closed.length >= 32, "32 evictions");
    await writeLater(sender, rec({ msg: "legit 1" }));
    const [r] = await receiver.next(1);
    equal(r!.getMessage(), "legit 1");
    equal(q.closed.filter((x) => x === "evicted").length, q.closed.length);
    equal(receiver.stats().connectionsOpen, 8);
  } finally {
    for (const c of flood) c.close();
  }
});
