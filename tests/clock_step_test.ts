// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The engine measures durations on the monotonic clock: a wall-clock step of
// an hour (backward or forward; Date.now replaced for the test) changes
// neither the reconnect backoff nor the write watchdog. Record timestamps
// still come from the wall clock.
import { deepEqual, equal, ok } from "node:assert/strict";
import { SocketEngine } from "../socket.ts";
import {
  checkPayload,
  frameId,
  FrameServer,
  makeFrame,
} from "./_frame_server.ts";
import { freePort } from "./_free_port.ts";

const HOUR = 3_600_000;

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(cond: () => boolean, what: string, ms = 10000) {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await delay(5);
  }
}

/** Runs `fn` with the wall clock stepped by `step` ms. */
async function stepped<T>(step: number, fn: () => Promise<T>): Promise<T> {
  const real = Date.now;
  Date.now = () => real() + step;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

Deno.test("SocketEngine reconnects on schedule across a 1-hour backward wall-clock step", async () => {
  const port = await freePort();
  const engine = new SocketEngine({
    connect: (signal) => Deno.connect({ hostname: "127.0.0.1", port, signal }),
    retryStart: 20,
    retryMax: 50,
    handleExit: false,
    onError: () => {},
  });
  try {
    for (let i = 0; i < 100; i++) engine.enqueue(makeFrame(i));
    await until(() => engine.stats().connectFailures >= 2, "2 failures");
    await stepped(-HOUR, async () => {
      await using server = FrameServer.tcp(port);
      const t0 = performance.now();
      await server.waitForFrames(100, 5000);
      ok(performance.now() - t0 < 2000);
      deepEqual(server.frames.map(frameId), [...Array(100).keys()]);
      equal(engine.stats().connects, 1);
    });
  } finally {
    await engine.close(0);
  }
});

Deno.test("SocketEngine's write watchdog ignores a 1-hour forward wall-clock step mid-write", async () => {
  await using server = FrameServer.tcp();
  server.readChunk = 256 * 1024;
  server.readDelayMs = 10; // ~25 MB/s: the 32 MB frame takes over 1 s
  const engine = new SocketEngine({
    connect: (signal) =>
      Deno.connect({ hostname: "127.0.0.1", port: server.port, signal }),
    writeTimeout: 1000,
    maxQueueBytes: 48 << 20,
    maxRecordBytes: 40 << 20,
    handleExit: false,
    onError: () => {},
  });
  try {
    engine.enqueue(makeFrame(1, 32 << 20));
    engine.enqueue(makeFrame(2, 10));
    await until(() => engine.stats().connects === 1, "connected");
    await delay(600);
    // No progress for 600 ms (under writeTimeout) while the watchdog's
    // check comes due, and the wall clock jumps an hour meanwhile.
    server.pause();
    const r = await stepped(HOUR, async () => {
      await delay(600);
      server.resume();
      return await engine.flush(30000);
    });
    deepEqual(r, { sent: 2, dropped: 0, pending: 0, timedOut: false });
    await server.waitForFrames(2, 30000);
    ok(server.frames.every(checkPayload));
    deepEqual(server.frames.map(frameId), [1, 2]);
    const s = engine.stats();
    equal(s.connects, 1);
    equal(s.lastError, undefined);
  } finally {
    await engine.close(0);
  }
});
