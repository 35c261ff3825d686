// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The disk spool behind the engine (option `spool`), end to end with real
// sockets, files and processes: overflow goes to disk and comes back in
// order; close and exit save what is left for the next process; a
// SIGKILLed app loses nothing that was spooled; a corrupt segment is
// skipped and counted; a spool that cannot be opened is one clear error.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import * as log from "@std/log";
import { SocketHandler } from "../handler.ts";
import { loads } from "../pickle.ts";
import { FrameServer } from "./_frame_server.ts";
import { LogReceiver } from "../receiver.ts";

const APP = new URL("./_spool_app.ts", import.meta.url).pathname;
const IMPORT_MAP = new URL("./import_map.json", import.meta.url).pathname;

function msgs(server: FrameServer): string[] {
  return server.frames.map((f) =>
    (loads(f) as Record<string, unknown>).msg as string
  ).filter((m) => m.startsWith("m"));
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);
}

/** A port nothing listens on (bound, then closed). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/** Starts the app; its stdout is read line by line with `line()`. */
function spawnApp(config: Record<string, unknown>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--import-map",
      IMPORT_MAP,
      APP,
      JSON.stringify(config),
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  return {
    child,
    stderr,
    /** Reads until stdout holds `what` (or ends, or 20 s pass). */
    async until(what: string): Promise<string> {
      const deadline = Date.now() + 20_000;
      while (!text.includes(what) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      return text;
    },
    close: () => reader.cancel(),
  };
}

async function app(
  config: Record<string, unknown>,
  permissions: string[] = ["-A"],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...permissions,
      "--import-map",
      IMPORT_MAP,
      APP,
      JSON.stringify(config),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("spool: records over the memory bound go to disk and arrive in order, none dropped", async () => {
  const dir = await Deno.makeTempDir();
  await using server = FrameServer.tcp();
  await server.stop(); // the receiver is down
  const handler = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port: server.port,
    maxQueueRecords: 50,
    retryStart: 50,
    retryMax: 100,
    spool: { dir },
    onError: () => {},
  });
  const logger = new log.Logger("spool", "INFO", { handlers: [handler] });
  try {
    for (let i = 1; i <= 2000; i++) logger.info(`m${i}`);
    const down = handler.stats();
    equal(down.dropped, 0);
    ok(down.spooled >= 1900, `spooled ${down.spooled}`);
    equal(down.pendingRecords, 2000);
    server.restart();
    const result = await handler.flush(20_000);
    equal(result.pending, 0);
    await server.waitForFrames(2000);
    deepEqual(msgs(server), range(1, 2000));
    const stats = handler.stats();
    equal(stats.sent, 2000);
    equal(stats.spooled, 0);
    equal(stats.emitted, stats.sent + stats.dropped + stats.pendingRecords);
  } finally {
    await handler.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spool: close() saves what is left; the next handler on the directory sends it first, in order", async () => {
  const dir = await Deno.makeTempDir();
  await using server = FrameServer.tcp();
  await server.stop();
  const options = {
    hostname: "127.0.0.1",
    port: server.port,
    maxQueueRecords: 20,
    spool: { dir },
    onError: () => {},
  };
  const first = new SocketHandler("INFO", options);
  const a = new log.Logger("spool", "INFO", { handlers: [first] });
  for (let i = 1; i <= 300; i++) a.info(`m${i}`);
  const closed = await first.close(100);
  equal(closed.dropped, 0);
  equal(closed.pending, 300);
  equal(first.stats().spooled, 300);
  server.restart();
  const second = new SocketHandler("INFO", options);
  try {
    equal(second.stats().emitted, 300); // found in the spool
    const b = new log.Logger("spool", "INFO", { handlers: [second] });
    b.info("m301");
    const result = await second.flush(20_000);
    equal(result.pending, 0);
    await server.waitForFrames(301);
    deepEqual(msgs(server), range(1, 301));
  } finally {
    await second.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spool: a program that ends with the receiver down saves its records; the next program delivers them", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  try {
    const ended = await app({ port, dir, count: 500, mode: "exit" });
    equal(ended.code, 0, ended.stderr);
    match(ended.stderr, /saved in the spool at exit/);
    doesNotDrop(ended.stderr);
    await using server = FrameServer.tcp(port);
    const next = await app({ port, dir, count: 0, mode: "deliver" });
    equal(next.code, 0, next.stderr);
    const stats = JSON.parse(next.stdout);
    equal(stats.flush.pending, 0);
    equal(stats.sent, 500);
    await server.waitForFrames(500);
    deepEqual(msgs(server), range(1, 500));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const mode of ["deno-exit", "throw", "sigterm"] as const) {
  Deno.test(`spool: a program ended by ${mode} with the receiver down saves its records for the next`, async () => {
    const dir = await Deno.makeTempDir();
    const port = freePort();
    try {
      const run = spawnApp({ port, dir, count: 300, mode });
      if (mode === "sigterm") {
        await run.until("logged");
        run.child.kill("SIGTERM");
      }
      const status = await run.child.status;
      await run.close();
      const err = await run.stderr;
      if (mode === "throw") equal(status.code, 1, err);
      else if (mode === "sigterm") equal(status.signal, "SIGTERM", err);
      else equal(status.code, 0, err);
      // 200 went to the spool when the memory queue (100) was full.
      match(err, /100 log records saved in the spool at exit/);
      doesNotDrop(err);
      await using server = FrameServer.tcp(port);
      const next = await app({ port, dir, count: 0, mode: "deliver" });
      equal(next.code, 0, next.stderr);
      equal(JSON.parse(next.stdout).sent, 300);
      await server.waitForFrames(300);
      deepEqual(msgs(server), range(1, 300));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

function doesNotDrop(stderr: string): void {
  ok(!/dropped at exit/.test(stderr), stderr);
}

Deno.test("spool: an app SIGKILLed with records spooled (fsync) — the next process delivers every spooled record", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  try {
    const run = spawnApp({
      port,
      dir,
      count: 3000,
      fsync: true,
      maxQueueRecords: 100,
      mode: "kill",
    });
    const text = await run.until("\n");
    run.child.kill("SIGKILL");
    await run.child.status;
    await run.close();
    await run.stderr;
    const spooled = Number(/spooled (\d+)/.exec(text)?.[1]);
    equal(spooled, 2900); // the first 100 were in memory
    await using server = FrameServer.tcp(port);
    const next = await app({ port, dir, count: 0, mode: "deliver" });
    equal(next.code, 0, next.stderr);
    equal(JSON.parse(next.stdout).sent, 2900);
    await server.waitForFrames(2900);
    deepEqual(msgs(server), range(101, 3000));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spool: a corrupt segment — the rest is delivered, the corrupt part counted", async () => {
  const dir = await Deno.makeTempDir();
  await using server = FrameServer.tcp();
  await server.stop();
  const options = {
    hostname: "127.0.0.1",
    port: server.port,
    maxQueueRecords: 10,
    // Small blocks and segments: many of each.
    spool: { dir, maxBytes: 1 << 20 },
    onError: () => {},
  };
  const first = new SocketHandler("INFO", options);
  const a = new log.Logger("spool", "INFO", { handlers: [first] });
  for (let i = 1; i <= 3000; i++) a.info(`m${i} ${"x".repeat(i % 50)}`);
  await first.close(50);
  const segments = [...Deno.readDirSync(dir)].filter((e) =>
    e.name.endsWith(".seg")
  ).map((e) => `${dir}/${e.name}`).sort();
  ok(segments.length >= 2, `${segments.length} segments`);
  // Flip bytes in the middle of the second segment.
  const victim = segments[1]!;
  const bytes = Deno.readFileSync(victim);
  for (let k = 0; k < 8; k++) bytes[(bytes.length >> 1) + k]! ^= 0xff;
  Deno.writeFileSync(victim, bytes);
  server.restart();
  const errors: string[] = [];
  const second = new SocketHandler("INFO", {
    ...options,
    onError: (e, kind) => errors.push(`${kind}: ${e.message}`),
  });
  try {
    const result = await second.flush(20_000);
    equal(result.pending, 0);
    await server.waitForFrames(second.stats().sent);
    const got = msgs(server).map((m) => Number(/^m(\d+)/.exec(m)![1]));
    const stats = second.stats();
    ok(got.length < 3000 && got.length > 1000, `${got.length} delivered`);
    // In order, and the missing ones are one run (the corrupt block).
    for (let k = 1; k < got.length; k++) ok(got[k]! > got[k - 1]!);
    equal(got.length + stats.droppedByReason.corrupt, 3000);
    ok(errors.some((e) => e.startsWith("spool: ")), errors.join("\n"));
  } finally {
    await second.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spool: without --allow-write for the directory, one clear error and the handler works in memory", async () => {
  const dir = await Deno.makeTempDir();
  await using server = FrameServer.tcp();
  try {
    const out = await app(
      { port: server.port, dir, count: 5, mode: "deliver" },
      ["--allow-net=127.0.0.1", `--allow-read`, "--allow-env"],
    );
    equal(out.code, 0, out.stderr);
    const lines = out.stderr.trim().split("\n").filter((l) =>
      l.startsWith("spool: ")
    );
    equal(lines.length, 1, out.stderr);
    match(lines[0]!, /--allow-write/);
    match(lines[0]!, /in memory only/);
    equal(JSON.parse(out.stdout).sent, 5);
    await server.waitForFrames(5);
    deepEqual(msgs(server), range(1, 5));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spool: bounded by maxBytes — the oldest spooled records are dropped and counted", async () => {
  const dir = await Deno.makeTempDir();
  await using server = FrameServer.tcp();
  await server.stop();
  const handler = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port: server.port,
    maxQueueRecords: 10,
    retryStart: 50,
    retryMax: 100,
    spool: { dir, maxBytes: 65536 },
    onError: () => {},
  });
  const logger = new log.Logger("spool", "INFO", { handlers: [handler] });
  try {
    // Random text: it does not compress, so it overflows 64 KiB.
    const noise = () =>
      [...crypto.getRandomValues(new Uint8Array(300))].map((b) =>
        b.toString(36)
      ).join("");
    for (let i = 1; i <= 1000; i++) logger.info(`m${i} ${noise()}`);
    const down = handler.stats();
    ok(down.droppedByReason.overflow > 0);
    equal(down.emitted, down.sent + down.dropped + down.pendingRecords);
    server.restart();
    const result = await handler.flush(20_000);
    equal(result.pending, 0);
    await server.waitForFrames(handler.stats().sent);
    const got = msgs(server).map((m) => Number(/^m(\d+)/.exec(m)![1]));
    // The memory queue's 10, then the newest records: in order.
    for (let k = 1; k < got.length; k++) ok(got[k]! > got[k - 1]!);
    equal(got.at(-1), 1000);
    const stats = handler.stats();
    equal(got.length, 1000 - stats.dropped);
  } finally {
    await handler.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spool + sequence + acknowledgements: an outage spooled, then delivered once each and acknowledged", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const handler = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port,
    sequence: true,
    maxQueueRecords: 50,
    retryStart: 50,
    retryMax: 100,
    spool: { dir },
    onError: () => {},
  });
  const logger = new log.Logger("spool", "INFO", { handlers: [handler] });
  try {
    for (let i = 1; i <= 1000; i++) logger.info(`m${i}`);
    ok(handler.stats().spooled >= 900);
    await using receiver = new LogReceiver({
      hostname: "127.0.0.1",
      port,
      ack: true,
    });
    const got: string[] = [];
    for await (const record of receiver) {
      got.push(record.getMessage());
      if (got.length === 1000) break;
    }
    deepEqual(got, range(1, 1000));
    const result = await handler.flush(20_000);
    equal(result.pending, 0);
    const stats = handler.stats();
    equal(stats.sent, 1000);
    equal(stats.dropped, 0);
    // Every record was handed to the consumer: all get acknowledged.
    const deadline = Date.now() + 10_000;
    while (handler.stats().acked < 1000 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    equal(handler.stats().acked, 1000);
    equal(receiver.stats().sequence.duplicates, 0);
  } finally {
    await handler.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spool: a record over maxRecordBytes is dropped as oversize, never spooled", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const handler = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port,
    maxQueueRecords: 2,
    maxRecordBytes: 2000,
    spool: { dir },
    onError: () => {},
  });
  const logger = new log.Logger("spool", "INFO", { handlers: [handler] });
  try {
    for (let i = 1; i <= 5; i++) logger.info(`m${i}`);
    logger.info("extras too large", { big: "y".repeat(5000) });
    const stats = handler.stats();
    equal(stats.droppedByReason.oversize, 1);
    equal(stats.spooled, 3);
    equal(stats.pendingRecords, 5);
  } finally {
    await handler.close(0);
    await Deno.remove(dir, { recursive: true });
  }
});
