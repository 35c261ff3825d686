// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  type DropNotice,
  type EngineClock,
  type EngineStats,
  SocketEngine,
  type SocketEngineOptions,
} from "../socket.ts";
import {
  checkPayload,
  frameId,
  FrameServer,
  makeFrame,
} from "./_frame_server.ts";
import { assertBalanced } from "./_stats.ts";
import { freePort } from "./_free_port.ts";

function ids(frames: Uint8Array[]): number[] {
  return frames.map((f) => {
    ok(checkPayload(f), `torn/corrupt payload id=${frameId(f)}`);
    return frameId(f);
  });
}

const range = (a: number, b: number) =>
  Array.from({ length: b - a }, (_, i) => a + i);

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` (real time) up to `ms`. */
async function until(
  cond: () => boolean,
  what: string,
  ms = 10000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await delay(5);
  }
}

/** A manual clock: timers run only when advanced. */
class FakeClock implements EngineClock {
  t = 1_000_000;
  #seq = 1;
  timers = new Map<number, { at: number; fn: () => void }>();
  rand: () => number = () => 0.5;
  now = (): number => this.t;
  random = (): number => this.rand();
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.#seq++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (id: unknown): void => {
    this.timers.delete(id as number);
  };
  /** Lets promise continuations (and real I/O callbacks) run. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await delay(0);
  }
  /** Time of the earliest pending timer. */
  next(): number | undefined {
    let min: number | undefined;
    for (const { at } of this.timers.values()) {
      if (min === undefined || at < min) min = at;
    }
    return min;
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await this.settle();
    while (true) {
      let best: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) {
        if (e[1].at <= end && (best === undefined || e[1].at < best[1].at)) {
          best = e;
        }
      }
      if (best === undefined) break;
      this.timers.delete(best[0]);
      this.t = best[1].at;
      best[1].fn();
      await this.settle();
    }
    this.t = end;
    await this.settle();
  }
}

function refused(): Promise<Deno.Conn> {
  return Promise.reject(
    new Deno.errors.ConnectionRefused("Connection refused"),
  );
}

Deno.test("SocketEngine backoff follows CPython's schedule with jitter within [d(1-j), d]", async () => {
  const clock = new FakeClock();
  const randoms = [0, 0.999999, 0.5, 0.25, 0.75, 0.1, 0.9, 0.3];
  let r = 0;
  clock.rand = () => randoms[r++ % randoms.length]!;
  const attempts: number[] = [];
  const errors: string[] = [];
  const engine = new SocketEngine({
    connect: () => {
      attempts.push(clock.now());
      return refused();
    },
    clock,
    handleExit: false,
    onError: (e, kind) => errors.push(`${kind}: ${e.message}`),
  });
  engine.enqueue(makeFrame(1));
  await clock.settle();
  const periods = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
  for (let k = 0; k < periods.length; k++) {
    equal(attempts.length, k + 1);
    const s = engine.stats();
    equal(s.state, "backoff");
    equal(s.connectFailures, k + 1);
    const d = periods[k]!;
    equal(s.retryPeriod, d);
    const delayMs = s.retryTime! - attempts[k]!;
    ok(Math.abs(delayMs - d * (1 - 0.2 * randoms[k]!)) < 1e-6, `${delayMs}`);
    ok(delayMs >= d * 0.8 && delayMs <= d, `delay ${delayMs} for ${d}`);
    // Exactly one timer while in backoff (no busy loop); nothing before it.
    equal(clock.timers.size, 1);
    equal(clock.next(), s.retryTime);
    await clock.advance(s.retryTime! - clock.now() - 1);
    equal(attempts.length, k + 1);
    await clock.advance(1);
  }
  // Rate-limited reporting: one "connect" error in the first 60 s, then one
  // more with the suppressed count.
  ok(errors.length >= 2, String(errors.length));
  ok(errors[0]!.startsWith("connect: Cannot connect to the log receiver: "));
  ok(errors[0]!.includes("Connection refused"));
  ok(/\(\d+ similar errors suppressed\)/.test(errors[1]!), errors[1]);
  assertBalanced(engine.stats());
  const c = await engine.close(0);
  deepEqual(c, { sent: 0, dropped: 1, pending: 0, timedOut: true });
  equal(clock.timers.size, 0);
});

Deno.test("SocketEngine aborts a connect attempt after connectTimeout, even one ignoring the signal", async () => {
  const clock = new FakeClock();
  const signals: AbortSignal[] = [];
  const engine = new SocketEngine({
    connect: (signal) => {
      signals.push(signal);
      // Never settles by itself, ignores the signal.
      return new Promise<Deno.Conn>(() => {});
    },
    connectTimeout: 1000,
    retryStart: 5000, // the next attempt comes after the 1 s timeout
    clock,
    handleExit: false,
    onError: () => {},
  });
  engine.enqueue(makeFrame(1));
  await clock.settle();
  equal(engine.stats().state, "connecting");
  await clock.advance(999);
  equal(signals[0]!.aborted, false);
  equal(engine.stats().connectFailures, 0);
  await clock.advance(1);
  equal(signals[0]!.aborted, true);
  equal((signals[0]!.reason as DOMException).name, "TimeoutError");
  const s = engine.stats();
  equal(s.connectFailures, 1);
  equal(s.state, "backoff");
  equal(
    s.lastError,
    "Cannot connect to the log receiver: Connect timed out after 1000 ms; retrying in 4.5 s",
  );
  assertBalanced(s);
  await engine.close(0);
});

Deno.test("SocketEngine close() during backoff does not wait for a retry after its deadline", async () => {
  const clock = new FakeClock();
  const engine = new SocketEngine({
    connect: refused,
    retryStart: 60000,
    retryMax: 60000,
    clock,
    handleExit: false,
    onError: () => {},
  });
  for (let i = 0; i < 3; i++) engine.enqueue(makeFrame(i));
  await clock.settle();
  equal(engine.stats().state, "backoff");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const r = await Promise.race([
    engine.close(5000),
    new Promise<"hung">((res) => timer = setTimeout(() => res("hung"), 5000)),
  ]);
  clearTimeout(timer);
  deepEqual(r, { sent: 0, dropped: 3, pending: 0, timedOut: true });
  equal(engine.stats().droppedByReason.closed, 3);
  equal(clock.timers.size, 0);
});

Deno.test("SocketEngine delivers everything in order when the receiver comes up late", async () => {
  const port = await freePort();
  const engine = new SocketEngine({
    connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
    retryStart: 10,
    retryMax: 40,
    handleExit: false,
    onError: () => {},
  });
  for (let i = 0; i < 500; i++) engine.enqueue(makeFrame(i));
  await until(() => engine.stats().connectFailures >= 2, "2 failures");
  ok(engine.stats().retryPeriod! >= 20);
  for (let i = 500; i < 1000; i++) engine.enqueue(makeFrame(i));
  await using server = FrameServer.tcp(port);
  const r = await engine.flush(10000);
  equal(r.timedOut, false);
  await delay(30); // up for retryStart: the connection proves good
  engine.enqueue(makeFrame(1000));
  equal((await engine.flush(10000)).timedOut, false);
  await server.waitForFrames(1001);
  deepEqual(ids(server.frames), range(0, 1001));
  const s = engine.stats();
  equal(s.sent, 1001);
  equal(s.dropped, 0);
  equal(s.connects, 1);
  equal(s.retryPeriod, undefined); // reset once the connection proved good
  assertBalanced(s);
  await engine.close();
});

Deno.test("SocketEngine survives a receiver restart on the same port: exact counts, no torn frames", async () => {
  await using server = FrameServer.tcp();
  const port = server.port;
  const errors: string[] = [];
  const engine = new SocketEngine({
    connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
    retryStart: 20,
    retryMax: 50,
    handleExit: false,
    onError: (e, kind) => errors.push(`${kind}: ${e.message}`),
  });
  for (let i = 0; i < 500; i++) engine.enqueue(makeFrame(i, 200));
  equal((await engine.flush(10000)).sent, 500);
  await server.waitForFrames(500);
  // Outage: listener and connection go away.
  await server.stop();
  // The read watcher notices the FIN without any write.
  await until(() => engine.sock === undefined, "the watcher to notice");
  equal(engine.stats().sent, 500);
  for (let i = 500; i < 1000; i++) engine.enqueue(makeFrame(i, 200));
  await until(() => engine.stats().connectFailures >= 1, "a failed reconnect");
  for (let i = 1000; i < 1500; i++) engine.enqueue(makeFrame(i, 200));
  server.restart();
  const r = await engine.flush(10000);
  deepEqual(r, { sent: 1000, dropped: 0, pending: 0, timedOut: false });
  await server.waitForFrames(1500);
  deepEqual(ids(server.frames), range(0, 1500));
  await engine.close();
  await server.waitUntil(() => server.conns.every((c) => c.ended));
  equal(server.conns.length, 2);
  deepEqual(server.conns.map((c) => [c.frames, c.leftover]), [
    [500, 0],
    [1000, 0],
  ]);
  const s = engine.stats();
  equal(s.sent, 1500);
  equal(s.dropped, 0);
  equal(s.connects, 2);
  equal(s.reconnects, 1);
  assertBalanced(s);
  ok(errors.some((e) => e.startsWith("send: Lost the connection")), errors[0]);
});

Deno.test("SocketEngine notices a peer FIN via the read watcher and reconnects at once", async () => {
  await using server = FrameServer.tcp();
  const engine = new SocketEngine({
    connect: (signal) =>
      Deno.connect({ hostname: "127.0.0.1", port: server.port, signal }),
    retryStart: 200, // a connection up this long proved good
    retryMax: 60000, // a backoff would make this test time out
    handleExit: false,
    onError: () => {},
  });
  engine.enqueue(makeFrame(1));
  await engine.flush(5000);
  await server.waitForFrames(1);
  await delay(250);
  await server.dropConnections();
  await until(() => engine.sock === undefined, "EOF to be noticed");
  const s1 = engine.stats();
  equal(s1.state, "idle");
  equal(s1.retryTime, undefined);
  engine.enqueue(makeFrame(2));
  engine.enqueue(makeFrame(3));
  equal((await engine.flush(5000)).sent, 2);
  await server.waitForFrames(3);
  deepEqual(ids(server.frames), [1, 2, 3]);
  deepEqual(server.conns.map((c) => c.frames), [1, 2]);
  const s = engine.stats();
  equal(s.connects, 2);
  equal(s.reconnects, 1);
  assertBalanced(s);
  await engine.close();
});

Deno.test("SocketEngine backs off from a receiver that accepts and closes without reading", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let accepted = 0;
  const serving = (async () => {
    for await (const c of listener) {
      accepted++;
      c.close();
    }
  })();
  const engine = new SocketEngine({
    connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
    retryStart: 50,
    retryMax: 5000,
    jitter: 0,
    handleExit: false,
    onError: () => {},
  });
  try {
    // An application logging all along.
    for (let t = 0; t < 30; t++) {
      for (let i = 0; i < 10; i++) engine.enqueue(makeFrame(t * 10 + i));
      await delay(50);
    }
    // 0, 50, 150, 350, 750 ms…: the written frames do not prove a
    // connection the peer closes at once.
    ok(accepted >= 3 && accepted <= 7, `${accepted} connections in 1.5 s`);
    const s = engine.stats();
    ok(s.retryPeriod! >= 400, `${s.retryPeriod}`);
    // What it "sent" into those connections is unconfirmed: never read.
    ok(s.unconfirmed > 0 && s.unconfirmed === s.sent, JSON.stringify(s));
  } finally {
    await engine.close(0);
    listener.close();
    await serving;
  }
});

/** An engine whose receiver is down until `up()`; the notice frame has id 1e9 + dropped. */
function gatedEngine(
  port: number,
  extra: Partial<SocketEngineOptions>,
  notices: DropNotice[],
) {
  let isUp = false;
  const engine = new SocketEngine({
    connect: (signal) =>
      isUp ? Deno.connect({ hostname: "127.0.0.1", port, signal }) : refused(),
    retryStart: 10,
    retryMax: 10,
    handleExit: false,
    onError: () => {},
    dropNotice: (n) => {
      notices.push(structuredClone(n));
      return makeFrame(1e9 + n.dropped);
    },
    ...extra,
  });
  return { engine, up: () => isUp = true };
}

type OverflowCase = [
  string,
  Partial<SocketEngineOptions>,
  number[],
  number[],
  number,
];
for (
  const [name, opts, sizes, wantIds, wantDropped] of [
    [
      "by count, drop-oldest",
      { maxQueueRecords: 10 },
      Array(25).fill(60),
      range(15, 25),
      15,
    ],
    [
      "by count, drop-newest",
      { maxQueueRecords: 10, overflow: "drop-newest" },
      Array(25).fill(60),
      range(0, 10),
      15,
    ],
    [
      "by bytes, drop-oldest",
      { maxQueueBytes: 500 },
      [...Array(10).fill(96), 296],
      [8, 9, 10],
      8,
    ],
    [
      "by bytes, drop-newest",
      { maxQueueBytes: 500, overflow: "drop-newest" },
      [...Array(10).fill(96), 296],
      range(0, 5),
      6,
    ],
  ] as OverflowCase[]
) {
  Deno.test(`SocketEngine overflow ${name}: exact drops, notice sent first`, async () => {
    await using server = FrameServer.tcp();
    const notices: DropNotice[] = [];
    const { engine, up } = gatedEngine(server.port, opts, notices);
    const accepted: number[] = [];
    sizes.forEach((size, i) => {
      if (engine.enqueue(makeFrame(i, size))) accepted.push(i);
      assertBalanced(engine.stats());
      ok(engine.stats().pendingBytes <= (opts.maxQueueBytes ?? Infinity));
    });
    const s0 = engine.stats();
    equal(s0.dropped, wantDropped);
    equal(s0.droppedByReason.overflow, wantDropped);
    equal(s0.pendingRecords, wantIds.length);
    if (opts.overflow === "drop-newest") {
      deepEqual(accepted, wantIds);
    }
    await until(() => engine.stats().connectFailures >= 1, "a failure");
    up();
    const r = await engine.flush(10000);
    equal(r.timedOut, false);
    await server.waitForFrames(wantIds.length + 1);
    deepEqual(ids(server.frames), [1e9 + wantDropped, ...wantIds]);
    equal(notices.length, 1);
    equal(notices[0]!.dropped, wantDropped);
    equal(notices[0]!.byReason.overflow, wantDropped);
    equal(notices[0]!.byReason.closed, 0);
    ok(notices[0]!.firstDropMs <= notices[0]!.lastDropMs);
    const s = engine.stats();
    equal(s.noticesSent, 1);
    equal(s.sent, wantIds.length); // the notice is not counted
    equal(s.emitted, sizes.length);
    assertBalanced(s);
    // A later drop is announced once more, before the next frame.
    engine.countDrop("encode");
    engine.enqueue(makeFrame(78));
    await engine.flush(5000);
    await server.waitForFrames(wantIds.length + 3);
    deepEqual(ids(server.frames).slice(-2), [1e9 + 1, 78]);
    equal(notices[1]!.byReason.encode, 1);
    equal(engine.stats().noticesSent, 2);
    await engine.close();
    assertBalanced(engine.stats());
  });
}

Deno.test("SocketEngine drop-oldest never drops the frame being written", async () => {
  await using server = FrameServer.tcp();
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const notices: DropNotice[] = [];
  const engine = new SocketEngine({
    connect: (signal) =>
      Deno.connect({ hostname: "127.0.0.1", port: server.port, signal }),
    write: async (conn, data) => {
      await gate;
      let off = 0;
      while (off < data.length) off += await conn.write(data.subarray(off));
    },
    maxQueueRecords: 5,
    handleExit: false,
    onError: () => {},
    dropNotice: (n) => {
      notices.push(n);
      return makeFrame(1e9 + n.dropped);
    },
  });
  engine.enqueue(makeFrame(0));
  await until(() => engine.stats().state === "connected", "connect");
  await delay(10); // frame 0 is now in flight, blocked in write
  for (let i = 1; i <= 12; i++) engine.enqueue(makeFrame(i));
  let s = engine.stats();
  equal(s.pendingRecords, 5);
  equal(s.droppedByReason.overflow, 8); // 1..8; 0 is in flight
  release();
  await engine.flush(5000);
  await server.waitForFrames(6);
  deepEqual(ids(server.frames), [0, 1e9 + 8, 9, 10, 11, 12]);
  s = engine.stats();
  equal(s.sent, 6 - 1);
  assertBalanced(s);
  await engine.close();
});

Deno.test("SocketEngine with maxQueueRecords 1 drops the incoming frame while one is in flight", async () => {
  await using server = FrameServer.tcp();
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const engine = new SocketEngine({
    connect: (signal) =>
      Deno.connect({ hostname: "127.0.0.1", port: server.port, signal }),
    write: async (conn, data) => {
      await gate;
      await conn.write(data);
    },
    maxQueueRecords: 1,
    handleExit: false,
    onError: () => {},
  });
  engine.enqueue(makeFrame(0, 8));
  await until(() => engine.stats().state === "connected", "connect");
  await delay(10);
  equal(engine.enqueue(makeFrame(1, 8)), false);
  release();
  await engine.flush(5000);
  equal(engine.enqueue(makeFrame(2, 8)), true);
  await engine.flush(5000);
  await server.waitForFrames(2);
  deepEqual(ids(server.frames), [0, 2]);
  const s = engine.stats();
  deepEqual([s.sent, s.dropped, s.droppedByReason.overflow], [2, 1, 1]);
  await engine.close();
});

for (const custom of [false, true]) {
  Deno.test(
    `SocketEngine bounds memory against a stalled receiver and never tears a frame on a new connection (${
      custom ? "custom write via engine.writeAll" : "default write"
    })`,
    async () => {
      await using server = FrameServer.tcp();
      server.pause(); // accepts, never reads
      const maxQueueBytes = 1 << 20;
      const errors: string[] = [];
      let writes = 0;
      const engine: SocketEngine = new SocketEngine({
        ...(custom
          ? {
            write: (conn: Deno.Conn, data: Uint8Array) => {
              writes++;
              return engine.writeAll(conn, data);
            },
          }
          : {}),
        connect: (signal) =>
          Deno.connect({ hostname: "127.0.0.1", port: server.port, signal }),
        writeTimeout: 150,
        retryStart: 20,
        retryMax: 50,
        maxQueueBytes,
        maxQueueRecords: 1_000_000,
        handleExit: false,
        onError: (e, kind) => errors.push(`${kind}: ${e.message}`),
        errorInterval: 0,
      });
      let id = 0;
      const deadline = Date.now() + 10000;
      // Keep producing until at least one stall closed a connection.
      while (
        !errors.some((e) => e.includes("Write stalled for 150 ms")) ||
        engine.stats().connects < 2
      ) {
        ok(Date.now() < deadline, "no stall detected");
        for (let i = 0; i < 2000; i++) engine.enqueue(makeFrame(id++, 1020));
        const s = engine.stats();
        ok(s.pendingBytes <= maxQueueBytes, `pendingBytes=${s.pendingBytes}`);
        assertBalanced(s);
        await delay(20);
      }
      const s1 = engine.stats();
      ok(s1.droppedByReason.overflow > 0);
      equal(s1.dropped, s1.droppedByReason.overflow);
      server.resume();
      const r = await engine.flush(20000);
      equal(r.timedOut, false);
      const s = engine.stats();
      await server.waitForFrames(s.sent, 20000);
      // Per connection, complete frames only; ids strictly increasing across
      // connections in connect order (no duplicates, no reordering).
      const got = server.conns.flatMap((c) => ids(c.payloads));
      equal(got.length, s.sent);
      for (let i = 1; i < got.length; i++) {
        ok(
          got[i]! > got[i - 1]!,
          `order at ${i}: ${got[i - 1]} then ${got[i]}`,
        );
      }
      equal(s.emitted, id);
      equal(s.dropped, id - s.sent);
      equal(s.pendingRecords, 0);
      assertBalanced(s);
      await engine.close();
      await server.waitUntil(() => server.conns.every((c) => c.ended));
      // Only a connection the engine abandoned can end with a partial frame.
      equal(server.conns.at(-1)!.leftover, 0);
      equal(writes > 0, custom);
    },
  );
}

Deno.test("SocketEngine writeTimeout measures time without progress, not the whole write", async () => {
  await using server = FrameServer.tcp();
  server.readChunk = 256 * 1024;
  server.readDelayMs = 10; // ~25 MB/s: a 24 MB frame takes ~1 s
  const engine = new SocketEngine({
    connect: (signal) =>
      Deno.connect({ hostname: "127.0.0.1", port: server.port, signal }),
    writeTimeout: 300,
    maxQueueBytes: 32 << 20,
    maxRecordBytes: 32 << 20,
    handleExit: false,
    onError: () => {},
  });
  engine.enqueue(makeFrame(1, 24 << 20));
  engine.enqueue(makeFrame(2, 10));
  const r = await engine.flush(30000);
  deepEqual(r, { sent: 2, dropped: 0, pending: 0, timedOut: false });
  await server.waitForFrames(2, 30000);
  deepEqual(ids(server.frames), [1, 2]);
  const s = engine.stats();
  equal(s.connects, 1);
  equal(s.lastError, undefined);
  await engine.close();
});

Deno.test("SocketEngine abandons a custom write that hangs after writeTimeout and re-sends its batch", async () => {
  await using server = FrameServer.tcp();
  let calls = 0;
  const errors: string[] = [];
  const engine: SocketEngine = new SocketEngine({
    connect: (signal) =>
      Deno.connect({ hostname: "127.0.0.1", port: server.port, signal }),
    write: (conn, data) => {
      // The first call hangs forever (and ignores the close).
      if (calls++ === 0) return new Promise<void>(() => {});
      return engine.writeAll(conn, data);
    },
    writeTimeout: 100,
    handleExit: false,
    onError: (e, kind) => errors.push(`${kind}: ${e.message}`),
  });
  for (let i = 0; i < 10; i++) engine.enqueue(makeFrame(i));
  const r = await engine.flush(10000);
  deepEqual(r, { sent: 10, dropped: 0, pending: 0, timedOut: false });
  await server.waitForFrames(10);
  deepEqual(ids(server.frames), range(0, 10));
  deepEqual(server.conns.map((c) => c.frames), [0, 10]);
  equal(calls, 2);
  deepEqual(errors, [
    "send: Lost the connection to the log receiver: Write stalled for 100 ms; retrying with backoff",
  ]);
  const s = engine.stats();
  equal(s.connects, 2);
  assertBalanced(s);
  await engine.close();
});

// ------------------------------------------------------------ subprocesses

const SOCKET_URL = new URL("../socket.ts", import.meta.url).href;
const FRAMES_URL = new URL("./_frame_server.ts", import.meta.url).href;

const SCRIPT = `
import { SocketEngine } from "${SOCKET_URL}";
import { makeFrame } from "${FRAMES_URL}";
const [port, n, exitTimeout, retryStart] = Deno.args.map(Number);
const engine = new SocketEngine({
  connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
  exitTimeout,
  retryStart,
});
for (let i = 0; i < n; i++) engine.enqueue(makeFrame(i));
globalThis.addEventListener("unload", () => {
  console.log(JSON.stringify(engine.stats()));
});
`;

async function runScript(
  args: (string | number)[],
  allowNet = true,
): Promise<
  {
    code: number;
    stdout: string;
    stderr: string;
    ms: number;
    stats: EngineStats;
  }
> {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/script.ts`;
    await Deno.writeTextFile(file, SCRIPT);
    const t0 = Date.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--no-prompt",
        ...(allowNet ? ["--allow-net"] : []),
        "--allow-read",
        file,
        ...args.map(String),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ms = Date.now() - t0;
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    return {
      code: out.code,
      stdout,
      stderr,
      ms,
      stats: JSON.parse(stdout.trim().split("\n").at(-1) || "{}"),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SocketEngine: a program that ends naturally still delivers all 1,000 frames", async () => {
  await using server = FrameServer.tcp();
  const r = await runScript([server.port, 1000, 2000, 1000]);
  equal(r.code, 0, r.stderr);
  equal(r.stderr, "");
  await server.waitForFrames(1000);
  deepEqual(ids(server.frames), range(0, 1000));
  equal(r.stats.sent, 1000);
  assertBalanced(r.stats);
});

Deno.test("SocketEngine: a program waits for a receiver that comes up before exitTimeout", async () => {
  const port = await freePort();
  // Bring the receiver up while the child is in backoff (retryStart 100 ms).
  let server: FrameServer | undefined;
  const timer = setTimeout(() => server = FrameServer.tcp(port), 400);
  try {
    const r = await runScript([port, 1000, 5000, 100]);
    equal(r.code, 0, r.stderr);
    ok(server !== undefined);
    await server.waitForFrames(1000);
    deepEqual(ids(server.frames), range(0, 1000));
    equal(r.stats.sent, 1000);
    ok(r.stats.connectFailures >= 1);
    assertBalanced(r.stats);
  } finally {
    clearTimeout(timer);
    await server?.close();
  }
});

Deno.test("SocketEngine: with nothing listening a program exits within exitTimeout and reports the drops", async () => {
  const port = await freePort();
  const exitTimeout = 2000;
  const r = await runScript([port, 1000, exitTimeout, 1000]);
  equal(r.code, 0, r.stderr);
  ok(r.ms < exitTimeout + 1000, `took ${r.ms} ms`);
  const lines = r.stderr.trim().split("\n");
  equal(lines.length, 2, r.stderr);
  ok(
    lines[0]!.startsWith(
      "[socket-handler] connect: Cannot connect to the log receiver: ",
    ),
    lines[0],
  );
  match(
    lines[1]!,
    /^1000 log records dropped at exit \(receiver unreachable: Cannot connect to the log receiver: [^;]+\)$/,
  );
  equal(r.stats.droppedByReason.exit, 1000);
  equal(r.stats.sent, 0);
  assertBalanced(r.stats);
});

Deno.test("SocketEngine: without net permission one clear line, records dropped, exit code 0", async () => {
  const port = await freePort();
  const r = await runScript([port, 10, 2000, 1000], false);
  equal(r.code, 0, r.stderr);
  const lines = r.stderr.trim().split("\n");
  equal(lines.length, 1, r.stderr);
  ok(lines[0]!.startsWith("[socket-handler] permission: "), lines[0]);
  ok(lines[0]!.includes("Requires net access"), lines[0]);
  ok(lines[0]!.includes("--allow-net"), lines[0]);
  equal(r.stats.droppedByReason.permission, 10);
  equal(r.stats.connectFailures, 1);
  assertBalanced(r.stats);
});

Deno.test("SocketEngine beforeunload keeps the process only while a retry can come before the exit deadline; unload counts 'exit'", async () => {
  const clock = new FakeClock();
  clock.rand = () => 0; // delays = periods
  const engine = new SocketEngine({
    connect: refused,
    exitTimeout: 2000,
    clock,
    onError: () => {},
  });
  const fire = (type: string) => {
    const ev = new Event(type, { cancelable: true });
    globalThis.dispatchEvent(ev);
    return ev.defaultPrevented;
  };
  const stderr: unknown[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => stderr.push(args.join(" "));
  try {
    for (let i = 0; i < 7; i++) engine.enqueue(makeFrame(i));
    await clock.settle();
    equal(engine.stats().retryTime, clock.t + 1000); // next attempt at +1 s
    equal(clock.timers.size, 1);
    // Loop drained: the retry (+1 s) comes before the deadline (+2 s).
    equal(fire("beforeunload"), true);
    equal(clock.timers.size, 2); // + the ref'd exit timer
    await clock.advance(1000); // attempt 2 fails; next at +2 s > deadline
    equal(engine.stats().connectFailures, 2);
    equal(clock.timers.size, 1); // exit timer released
    // Last chance: the next retry is past the deadline, so one attempt now.
    equal(fire("beforeunload"), true);
    await clock.settle();
    equal(engine.stats().connectFailures, 3);
    equal(clock.timers.size, 1); // exit timer released again
    equal(fire("beforeunload"), false); // taken once; now the process may end
    equal(fire("unload"), false);
    deepEqual(stderr, [
      "7 log records dropped at exit (receiver unreachable: Cannot connect to the log receiver: Connection refused)",
    ]);
    const s = engine.stats();
    equal(s.droppedByReason.exit, 7);
    equal(s.pendingRecords, 0);
    assertBalanced(s);
    // After close() the listeners are gone.
    await engine.close(0);
    engine.reopen(); // re-registers
    engine.enqueue(makeFrame(8));
    await clock.settle();
    await engine.close(0);
    equal(fire("beforeunload"), false);
    fire("unload");
    equal(stderr.length, 1);
    equal(engine.stats().droppedByReason.exit, 7);
    equal(engine.stats().droppedByReason.closed, 1);
  } finally {
    console.error = error;
    await engine.close(0);
  }
});

Deno.test("SocketEngine beforeunload does not hold the process for an idle or permission-denied engine", async () => {
  const engine = new SocketEngine({
    connect: () =>
      Promise.reject(new Deno.errors.NotCapable("Requires net access")),
    onError: () => {},
  });
  const ev = () => {
    const e = new Event("beforeunload", { cancelable: true });
    globalThis.dispatchEvent(e);
    return e.defaultPrevented;
  };
  equal(ev(), false); // idle, nothing pending
  engine.enqueue(makeFrame(1));
  await delay(0);
  equal(engine.stats().droppedByReason.permission, 1);
  equal(ev(), false);
  equal(engine.enqueue(makeFrame(2)), false);
  const s = engine.stats();
  deepEqual([s.emitted, s.dropped, s.droppedByReason.permission], [2, 2, 2]);
  await engine.close();
});

Deno.test("SocketEngine unload while close() drains counts the pending frames as 'exit'", async () => {
  const clock = new FakeClock();
  const engine = new SocketEngine({
    connect: refused,
    clock,
    onError: () => {},
  });
  const stderr: unknown[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => stderr.push(args.join(" "));
  try {
    for (let i = 0; i < 3; i++) engine.enqueue(makeFrame(i));
    await clock.settle();
    const p = engine.closeSoon(5000); // `Deno.exit()` comes before the drain
    globalThis.dispatchEvent(new Event("unload"));
    equal(stderr.length, 1);
    match(
      String(stderr[0]),
      /^3 log records dropped at exit \(Deno\.exit\(\) was called before they were sent; await handler\.flush\(ms\) before it\)$/,
    );
    const r = await p;
    deepEqual(r, { sent: 0, dropped: 3, pending: 0, timedOut: false });
    const s = engine.stats();
    deepEqual([s.droppedByReason.exit, s.droppedByReason.closed], [3, 0]);
    assertBalanced(s);
  } finally {
    console.error = error;
    await engine.close(0);
  }
});

Deno.test("SocketEngine close() makes one last attempt when the next retry is past its deadline", async () => {
  await using server = FrameServer.tcp();
  await server.stop(); // receiver down
  const errors: string[] = [];
  const engine = new SocketEngine({
    connect: (signal) =>
      Deno.connect({ hostname: "127.0.0.1", port: server.port, signal }),
    handleExit: false,
    retryStart: 60_000,
    retryMax: 60_000,
    onError: (e) => errors.push(e.message),
  });
  for (let i = 0; i < 100; i++) engine.enqueue(makeFrame(i, 96));
  await until(() => engine.stats().connectFailures === 1, "a failed connect");
  equal(engine.stats().state, "backoff"); // next attempt in ~1 minute
  server.restart(); // the receiver is back
  const r = await engine.close(3000);
  deepEqual(r, { sent: 100, dropped: 0, pending: 0, timedOut: false });
  await server.waitForFrames(100);
  deepEqual(ids(server.frames), range(0, 100));
  const s = engine.stats();
  equal(s.connects, 1);
  assertBalanced(s);
});

Deno.test("SocketEngine close() still gives up by its deadline when the last attempt fails", async () => {
  const port = await freePort();
  const engine = new SocketEngine({
    connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
    handleExit: false,
    retryStart: 60_000,
    retryMax: 60_000,
    onError: () => {},
  });
  for (let i = 0; i < 10; i++) engine.enqueue(makeFrame(i, 96));
  await until(() => engine.stats().connectFailures === 1, "a failed connect");
  const t0 = performance.now();
  const r = await engine.close(2000);
  ok(performance.now() - t0 < 2000 + 1000);
  deepEqual(r, { sent: 0, dropped: 10, pending: 0, timedOut: true });
  const s = engine.stats();
  equal(s.connectFailures, 2); // the last chance was taken, once
  equal(s.droppedByReason.closed, 10);
  assertBalanced(s);
});
