// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  type DropNotice,
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

function tcpEngine(
  port: number,
  extra: Partial<SocketEngineOptions> = {},
): SocketEngine {
  return new SocketEngine({
    connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
    handleExit: false,
    onError: () => {},
    ...extra,
  });
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

function assertInOrder(frames: Uint8Array[], ids: number[]): void {
  equal(frames.length, ids.length);
  for (let i = 0; i < ids.length; i++) {
    if (frameId(frames[i]!) !== ids[i] || !checkPayload(frames[i]!)) {
      throw new Error(
        `frame ${i}: got id ${frameId(frames[i]!)}, want ${ids[i]} (intact=${
          checkPayload(frames[i]!)
        })`,
      );
    }
  }
}

const range = (a: number, b: number) =>
  Array.from({ length: b - a }, (_, i) => a + i);

Deno.test("SocketEngine delivers 10,000 frames in order over TCP in 4 batched writes", async () => {
  await using server = FrameServer.tcp();
  let writes = 0;
  const engine = tcpEngine(server.port, {
    write: async (conn, data) => {
      writes++;
      await writeAll(conn, data);
    },
  });
  for (let i = 0; i < 10000; i++) {
    equal(engine.enqueue(makeFrame(i, 96)), true); // 100-byte frames
  }
  const s0 = engine.stats();
  assertBalanced(s0);
  equal(s0.pendingRecords, 10000);
  equal(s0.pendingBytes, 1000000);
  const r = await engine.flush(10000);
  deepEqual(r, { sent: 10000, dropped: 0, pending: 0, timedOut: false });
  await server.waitForFrames(10000);
  assertInOrder(server.frames, range(0, 10000));
  // 262144-byte batches of whole 100-byte frames: 2621 per write.
  equal(writes, Math.ceil(10000 / 2621));
  const s = engine.stats();
  equal(s.sent, 10000);
  equal(s.sentBytes, 1000000);
  equal(s.connects, 1);
  equal(s.state, "connected");
  assertBalanced(s);
  await engine.close();
  equal(engine.stats().state, "closed");
  equal(server.conns.length, 1);
  await server.waitUntil(() => server.conns[0]!.ended);
  equal(server.conns[0]!.leftover, 0);
});

Deno.test("SocketEngine default writer coalesces frames (fewer reads than frames)", async () => {
  await using server = FrameServer.tcp();
  const engine = tcpEngine(server.port, { maxBatchBytes: 4096 });
  for (let i = 0; i < 2000; i++) engine.enqueue(makeFrame(i, 28)); // 32 B
  await engine.flush(10000);
  await server.waitForFrames(2000);
  assertInOrder(server.frames, range(0, 2000));
  ok(server.reads < 2000, `reads=${server.reads}`);
  await engine.close();
  assertBalanced(engine.stats());
});

Deno.test("SocketEngine delivers 10,000 frames in order over a Unix socket", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/recv.sock`;
  try {
    await using server = FrameServer.unix(path);
    const engine = new SocketEngine({
      // Unix connect has no `signal`; the engine abandons a hung attempt itself.
      connect: () => Deno.connect({ transport: "unix", path }),
      handleExit: false,
      onError: () => {},
    });
    for (let i = 0; i < 10000; i++) engine.enqueue(makeFrame(i, 60));
    const r = await engine.flush(10000);
    equal(r.sent, 10000);
    await server.waitForFrames(10000);
    assertInOrder(server.frames, range(0, 10000));
    await engine.close();
    const s = engine.stats();
    equal(s.sent, 10000);
    assertBalanced(s);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SocketEngine sends a 10 MB frame intact between small ones", async () => {
  await using server = FrameServer.tcp();
  const engine = tcpEngine(server.port, {
    maxQueueBytes: 16 * 1024 * 1024,
    maxRecordBytes: 16 * 1024 * 1024,
  });
  engine.enqueue(makeFrame(1, 100));
  engine.enqueue(makeFrame(2, 10 * 1024 * 1024));
  engine.enqueue(makeFrame(3, 100));
  const r = await engine.flush(20000);
  deepEqual(r, { sent: 3, dropped: 0, pending: 0, timedOut: false });
  await server.waitForFrames(3, 20000);
  assertInOrder(server.frames, [1, 2, 3]);
  equal(server.frames[1]!.length, 10 * 1024 * 1024);
  await engine.close();
  equal(engine.stats().sentBytes, 3 * 4 + 200 + 10 * 1024 * 1024);
});

Deno.test("SocketEngine drops a frame larger than maxQueueBytes as oversize", async () => {
  const engine = tcpEngine(1, { maxQueueBytes: 100 });
  equal(engine.enqueue(makeFrame(1, 97)), false); // 101 bytes
  const s = engine.stats();
  equal(s.droppedByReason.oversize, 1);
  equal(s.pendingRecords, 0);
  equal(s.state, "idle"); // nothing to send: no connect
  assertBalanced(s);
  await engine.close();
});

Deno.test("SocketEngine flush() times out against a silent connect and close() drops as closed", async () => {
  // A connect that never resolves until aborted.
  let aborted = 0;
  const engine = new SocketEngine({
    connect: (signal) =>
      new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          aborted++;
          reject(signal.reason);
        });
      }),
    connectTimeout: 60000,
    handleExit: false,
    onError: () => {},
  });
  for (let i = 0; i < 5; i++) engine.enqueue(makeFrame(i));
  equal(engine.stats().state, "connecting");
  const r = await engine.flush(50);
  deepEqual(r, { sent: 0, dropped: 0, pending: 5, timedOut: true });
  assertBalanced(engine.stats());
  const c = await engine.close(30);
  deepEqual(c, { sent: 0, dropped: 5, pending: 0, timedOut: true });
  equal(aborted, 1); // close aborted the connect attempt
  const s = engine.stats();
  equal(s.state, "closed");
  equal(s.droppedByReason.closed, 5);
  assertBalanced(s);
  // After close: enqueue drops "closed".
  equal(engine.enqueue(makeFrame(9)), false);
  equal(engine.stats().droppedByReason.closed, 6);
  assertBalanced(engine.stats());
  // close() is idempotent.
  deepEqual(await engine.close(), c);
});

Deno.test("SocketEngine close() drains first, reopen() works and counters accumulate", async () => {
  await using server = FrameServer.tcp();
  const engine = tcpEngine(server.port);
  for (let i = 0; i < 100; i++) engine.enqueue(makeFrame(i));
  const c = await engine.close(5000);
  deepEqual(c, { sent: 100, dropped: 0, pending: 0, timedOut: false });
  equal(engine.enqueue(makeFrame(100)), false);
  engine.reopen();
  equal(engine.stats().state, "idle");
  for (let i = 101; i < 111; i++) equal(engine.enqueue(makeFrame(i)), true);
  const r = await engine.flush(5000);
  equal(r.sent, 10);
  await server.waitForFrames(110);
  assertInOrder(server.frames, [...range(0, 100), ...range(101, 111)]);
  await engine[Symbol.asyncDispose]();
  const s = engine.stats();
  equal(s.sent, 110);
  equal(s.dropped, 1);
  equal(s.connects, 2);
  equal(s.reconnects, 1);
  assertBalanced(s);
});

Deno.test("SocketEngine closeSoon() returns the close() promise and reopen() during closing re-opens after it", async () => {
  await using server = FrameServer.tcp();
  const engine = tcpEngine(server.port);
  engine.enqueue(makeFrame(1));
  const p = engine.closeSoon(5000);
  equal(engine.close(), p);
  engine.reopen(); // @std/log setup() right after destroy()
  const r = await p;
  equal(r.sent, 1);
  equal(engine.stats().state, "idle");
  equal(engine.enqueue(makeFrame(2)), true);
  await engine.flush(5000);
  await engine.close();
  await server.waitForFrames(2);
  assertInOrder(server.frames, [1, 2]);
});

Deno.test("SocketEngine flush() waits only for frames queued before the call", async () => {
  await using server = FrameServer.tcp();
  const engine = tcpEngine(server.port);
  equal((await engine.flush(10)).timedOut, false); // nothing queued
  for (let i = 0; i < 10; i++) engine.enqueue(makeFrame(i));
  const p = engine.flush(5000);
  for (let i = 10; i < 20; i++) engine.enqueue(makeFrame(i));
  const r = await p;
  equal(r.timedOut, false);
  ok(r.sent >= 10);
  await engine.close();
  equal(engine.stats().sent, 20);
});

Deno.test("SocketEngine createSocket() and closeSocket() follow CPython's semantics", async () => {
  await using server = FrameServer.tcp();
  const engine = tcpEngine(server.port);
  equal(engine.sock, undefined);
  equal(await engine.createSocket(), true);
  ok(engine.sock !== undefined);
  equal(engine.stats().state, "connected");
  equal(await engine.createSocket(), true);
  equal(engine.stats().connects, 1);
  engine.closeSocket();
  equal(engine.sock, undefined);
  equal(engine.stats().retryTime, undefined); // no backoff after closeOnError
  engine.enqueue(makeFrame(7));
  await engine.flush(5000);
  await server.waitForFrames(1);
  equal(engine.stats().connects, 2);
  await engine.close();
  equal(await engine.createSocket(), false);
});

Deno.test("SocketEngine acquire()/release() serialise use of the connection", async () => {
  const engine = tcpEngine(1);
  await engine.acquire();
  let second = false;
  const p = engine.acquire().then(() => {
    second = true;
  });
  await Promise.resolve();
  equal(second, false);
  engine.release();
  await p;
  equal(second, true);
  engine.release();
  await engine.acquire(); // free again
  engine.release();
  await engine.close();
});

Deno.test("SocketEngine countDrop() and reportError() are rate-limited and counted", async () => {
  let t = 0;
  const calls: [string, string][] = [];
  const engine = new SocketEngine({
    connect: () => Promise.reject(new Error("unused")),
    handleExit: false,
    errorInterval: 1000,
    onError: (e, kind) => {
      calls.push([kind, e.message]);
      throw new Error("onError may throw");
    },
    clock: { now: () => t },
  });
  engine.countDrop("encode");
  engine.reportError(new Error("bad value"), "encode");
  engine.reportError(new Error("bad value"), "encode");
  engine.reportError("not an Error", "encode");
  engine.reportError(new Error("other"), "other");
  t = 1000;
  engine.reportError(new Error("bad again"), "encode");
  deepEqual(calls, [
    ["encode", "bad value"],
    ["other", "other"],
    ["encode", "bad again (2 similar errors suppressed)"],
  ]);
  const s = engine.stats();
  equal(s.emitted, 1);
  equal(s.droppedByReason.encode, 1);
  equal(s.lastError, "bad again");
  assertBalanced(s);
  await engine.close();
});

Deno.test("SocketEngine rejects bad options", () => {
  const connect = () => Promise.reject(new Error("x"));
  throws(
    () => new SocketEngine({} as SocketEngineOptions),
    new TypeError(
      "Cannot create SocketEngine as 'connect' must be a function: current value is undefined",
    ),
  );
  throws(
    () => new SocketEngine({ connect, retryStart: 0, handleExit: false }),
    new RangeError(
      "Cannot create SocketEngine as 'retryStart' must be a number from 1 to 9007199254740991: current value is 0",
    ),
  );
  throws(
    () => new SocketEngine({ connect, jitter: 1.5, handleExit: false }),
    RangeError,
  );
  throws(
    () => new SocketEngine({ connect, maxQueueRecords: 0, handleExit: false }),
    RangeError,
  );
  throws(
    () =>
      new SocketEngine({
        connect,
        // deno-lint-ignore no-explicit-any
        overflow: "block" as any,
        handleExit: false,
      }),
    TypeError,
  );
  throws(
    // deno-lint-ignore no-explicit-any
    () => new SocketEngine({ connect, retryMax: "1" as any }),
    TypeError,
  );
});

Deno.test("SocketEngine copies frames into its ring at enqueue and writes them as one view of it, without a copy per batch", async () => {
  await using server = FrameServer.tcp();
  const slab = new Uint8Array(100 * 50);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 50; i++) {
    const f = makeFrame(i, 96);
    slab.set(f, i * 100);
    frames.push(slab.subarray(i * 100, i * 100 + 100));
  }
  const seen: { buffer: ArrayBufferLike; offset: number; length: number }[] =
    [];
  const engine = tcpEngine(server.port, {
    write: async (conn, data) => {
      seen.push({
        buffer: data.buffer,
        offset: data.byteOffset,
        length: data.byteLength,
      });
      await writeAll(conn, data);
    },
  });
  for (const f of frames) engine.enqueue(f);
  slab.fill(0); // the queue holds copies: the caller may reuse its buffer
  await engine.flush(10000);
  // one write, of a view of the queue's ring (not of the caller's buffer)
  equal(seen.length, 1);
  ok(seen[0]!.buffer !== slab.buffer);
  equal(seen[0]!.offset, 0);
  equal(seen[0]!.length, 5000);
  // frames from different buffers lie back to back in the same ring:
  // one write, and no new buffer
  const a = makeFrame(50, 96);
  const b = makeFrame(51, 96);
  engine.enqueue(a);
  engine.enqueue(b);
  await engine.flush(10000);
  equal(seen.length, 2);
  equal(seen[1]!.length, 200);
  ok(seen[1]!.buffer !== a.buffer && seen[1]!.buffer !== b.buffer);
  equal(seen[1]!.buffer, seen[0]!.buffer);
  await server.waitForFrames(52);
  assertInOrder(server.frames, range(0, 52));
  assertBalanced(engine.stats());
  await engine.close();
});

Deno.test("SocketEngine reads the clock once per run of drops, and the notice has the first and last drop times", async () => {
  await using server = FrameServer.tcp();
  let t = 1_000;
  let reads = 0;
  const notices: DropNotice[] = [];
  const engine = tcpEngine(server.port, {
    clock: {
      now: () => {
        reads++;
        return t;
      },
    },
    dropNotice: (notice) => {
      notices.push(notice);
      return makeFrame(1e9, 16);
    },
  });
  // One synchronous run of 1,000 drops: the clock is read once per 256.
  const before = reads;
  for (let i = 0; i < 1_000; i++) engine.countDrop("encode");
  equal(reads - before, 4);
  // A later drop, after the run, reads the clock again.
  await Promise.resolve();
  t = 5_000;
  engine.countDrop("encode");
  engine.enqueue(makeFrame(1, 16)); // work: the engine connects
  await server.waitForFrames(2);
  equal(notices.length, 1);
  equal(notices[0]!.dropped, 1_001);
  equal(notices[0]!.firstDropMs, 1_000);
  equal(notices[0]!.lastDropMs, 5_000);
  await engine.close();
});

Deno.test("SocketEngine: a connect delayed by the program's own busy event loop is not a timeout", async () => {
  await using server = FrameServer.tcp();
  const errors: string[] = [];
  const engine = tcpEngine(server.port, {
    connectTimeout: 200,
    onError: (e, kind) => errors.push(`${kind}: ${e.message}`),
  });
  equal(engine.enqueue(makeFrame(0)), true);
  // synchronous work right after the first record, longer than the timeout
  const until = performance.now() + 600;
  while (performance.now() < until) { /* busy */ }
  const r = await engine.flush(5000);
  deepEqual(errors, []);
  deepEqual(r, { sent: 1, dropped: 0, pending: 0, timedOut: false });
  equal(engine.stats().connects, 1);
  await engine.close();
});
