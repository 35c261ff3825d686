// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The sender's side of acknowledgements: against a loopback receiver that
// writes ack frames (transport/ack.ts) by a policy of each test, the
// handler keeps written records until acknowledged, sends the
// unacknowledged ones again on the next connection, falls back when a
// receiver stops acknowledging, and stays plain with a receiver that
// never writes back.
import { deepEqual, equal, ok } from "node:assert/strict";
import * as log from "@std/log";
import { SocketHandler } from "../handler.ts";
import { loads } from "../pickle.ts";
import { ACK_BYTES, writeAck } from "../transport/ack.ts";

interface Got {
  conn: number;
  seq: number;
  msg: string;
}

/**
 * A receiver whose connections call `policy(connIndex, framesSoFar)` after
 * each frame: it returns the count to acknowledge (or undefined for none),
 * or "close" to close the connection.
 */
class AckServer implements AsyncDisposable {
  readonly got: Got[] = [];
  readonly listener: Deno.TcpListener;
  #conns: Deno.TcpConn[] = [];
  #tasks: Promise<void>[] = [];
  #accepting: Promise<void>;
  constructor(
    public policy: (
      conn: number,
      frames: number,
    ) => number | undefined | "close",
  ) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.listener = listener;
    this.#accepting = (async () => {
      try {
        for await (const conn of listener) {
          const index = this.#conns.length;
          this.#conns.push(conn);
          this.#tasks.push(this.#serve(conn, index));
        }
      } catch { /* closed */ }
    })();
  }

  get port(): number {
    return this.listener.addr.port;
  }

  async #serve(conn: Deno.TcpConn, index: number): Promise<void> {
    let buf = new Uint8Array(0);
    let frames = 0;
    const chunk = new Uint8Array(65536);
    const ack = new Uint8Array(ACK_BYTES);
    try {
      for (;;) {
        const n = await conn.read(chunk);
        if (n === null) return;
        const joined = new Uint8Array(buf.length + n);
        joined.set(buf);
        joined.set(chunk.subarray(0, n), buf.length);
        buf = joined;
        while (buf.length >= 4) {
          const len = new DataView(buf.buffer, buf.byteOffset).getUint32(0);
          if (buf.length < 4 + len) break;
          const dict = loads(buf.subarray(4, 4 + len)) as Record<
            string,
            unknown
          >;
          buf = buf.slice(4 + len);
          frames++;
          this.got.push({
            conn: index,
            seq: dict.seq as number,
            msg: dict.msg as string,
          });
          const answer = this.policy(index, frames);
          if (answer === "close") {
            conn.close();
            return;
          }
          if (answer !== undefined) {
            writeAck(ack, 0, answer);
            let off = 0;
            while (off < ACK_BYTES) off += await conn.write(ack.subarray(off));
          }
        }
      }
    } catch {
      /* closed */
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }

  async waitFor(pred: () => boolean, what: string, ms = 10_000) {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}: ${this.got.length}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.listener.close();
    await this.#accepting;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Promise.allSettled(this.#tasks);
  }
}

/**
 * Logs m1 and waits for its acknowledgement: the handler keeps records
 * from then on (those written before a connection's first acknowledgement
 * count as sent at once).
 */
async function firstAck(
  handler: SocketHandler,
  logger: log.Logger,
): Promise<void> {
  logger.info("m1");
  const deadline = Date.now() + 10_000;
  while (handler.stats().acked < 1) {
    if (Date.now() > deadline) throw new Error("no acknowledgement of m1");
    await new Promise((r) => setTimeout(r, 5));
  }
}

function setup(port: number, extra: Record<string, unknown> = {}) {
  const errors: string[] = [];
  const handler = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port,
    sequence: true,
    onError: (e, kind) => errors.push(`${kind}: ${e.message}`),
    ...extra,
  });
  const logger = new log.Logger("ack", "DEBUG", { handlers: [handler] });
  return { handler, logger, errors };
}

Deno.test("acks: every record acknowledged counts as sent; flush waits for the acknowledgements", async () => {
  let release = false;
  // Acknowledge each frame, but hold the acknowledgements of the last 5
  // until `release`.
  await using server = new AckServer((_, n) =>
    n <= 5 || release ? n : undefined
  );
  const { handler, logger } = setup(server.port);
  try {
    await firstAck(handler, logger);
    for (let i = 2; i <= 10; i++) logger.info(`m${i}`);
    await server.waitFor(() => server.got.length === 10, "10 frames");
    await server.waitFor(() => handler.stats().acked === 5, "5 acked");
    const early = await handler.flush(200);
    equal(early.timedOut, true);
    equal(early.pending, 5);
    let stats = handler.stats();
    equal(stats.unacked, 5);
    equal(stats.sent, 5);
    equal(stats.pendingRecords, 5);
    release = true;
    logger.info("m11"); // its acknowledgement covers all before it
    const result = await handler.flush(5000);
    equal(result.timedOut, false);
    equal(result.pending, 0);
    stats = handler.stats();
    equal(stats.acked, 11);
    equal(stats.sent, 11);
    equal(stats.unacked, 0);
    equal(stats.emitted, stats.sent + stats.dropped + stats.pendingRecords);
  } finally {
    await handler.close();
  }
});

Deno.test("acks: the unacknowledged records are sent again, in order, on the next connection", async () => {
  // Connection 0 acknowledges 3 of the first 6 frames, then closes;
  // connection 1 acknowledges everything.
  await using server = new AckServer((conn, n) => {
    if (conn === 0) return n === 6 ? "close" : n <= 3 ? n : undefined;
    return n;
  });
  const { handler, logger } = setup(server.port);
  try {
    await firstAck(handler, logger);
    for (let i = 2; i <= 6; i++) logger.info(`m${i}`);
    await server.waitFor(() => server.got.length >= 6, "6 frames");
    for (let i = 7; i <= 9; i++) logger.info(`m${i}`);
    const result = await handler.flush(10_000);
    equal(result.pending, 0);
  } finally {
    await handler.close();
  }
  const first = server.got.filter((g) => g.conn === 0).map((g) => g.seq);
  const second = server.got.filter((g) => g.conn === 1).map((g) => g.seq);
  deepEqual(first, [1, 2, 3, 4, 5, 6]);
  // 4–6 were written and not acknowledged: sent again, before 7–9.
  deepEqual(second, [4, 5, 6, 7, 8, 9]);
  const stats = handler.stats();
  equal(stats.acked, 9);
  equal(stats.sent, 9);
  equal(stats.dropped, 0);
});

Deno.test("acks: a receiver that never writes back leaves the handler plain (nothing kept)", async () => {
  await using server = new AckServer(() => undefined);
  const { handler, logger } = setup(server.port);
  try {
    for (let i = 1; i <= 5; i++) logger.info(`m${i}`);
    const result = await handler.flush(5000);
    equal(result.pending, 0);
    const stats = handler.stats();
    equal(stats.sent, 5);
    equal(stats.acked, 0);
    equal(stats.unacked, 0);
  } finally {
    await handler.close();
  }
});

Deno.test("acks: after an acknowledging receiver, one that does not acknowledge is given up on after writeTimeout", async () => {
  await using server = new AckServer((conn, n) =>
    conn === 0 ? (n === 2 ? "close" : n) : undefined
  );
  const { handler, logger, errors } = setup(server.port, {
    writeTimeout: 300,
  });
  try {
    await firstAck(handler, logger);
    logger.info("m2");
    await server.waitFor(() => server.got.length >= 2, "2 frames");
    await server.waitFor(() => handler.stats().state !== "connected", "loss");
    for (let i = 3; i <= 5; i++) logger.info(`m${i}`);
    const result = await handler.flush(5000);
    equal(result.pending, 0);
    const stats = handler.stats();
    equal(stats.acked, 1);
    equal(stats.sent, 5);
    ok(errors.some((e) => e.startsWith("ack: ")), errors.join("\n"));
  } finally {
    await handler.close();
  }
  // m2 was unacknowledged on connection 0: sent again on connection 1.
  deepEqual(server.got.filter((g) => g.conn === 1).map((g) => g.msg), [
    "m2",
    "m3",
    "m4",
    "m5",
  ]);
});

Deno.test("acks: a receiver that stops acknowledging is dropped after writeTimeout and the records go again", async () => {
  // Connection 0 acknowledges the first frame only; connection 1 all.
  await using server = new AckServer((conn, n) =>
    conn === 0 ? (n === 1 ? 1 : undefined) : n
  );
  const { handler, logger, errors } = setup(server.port, {
    writeTimeout: 300,
  });
  try {
    await firstAck(handler, logger);
    logger.info("m2");
    logger.info("m3");
    await server.waitFor(() => errors.length > 0, "the stall's report");
    ok(errors[0]!.includes("no acknowledgement for 300 ms"), errors[0]);
    const result = await handler.flush(5000);
    equal(result.pending, 0);
    equal(handler.stats().acked, 3);
    ok(handler.stats().reconnects >= 1);
  } finally {
    await handler.close();
  }
  deepEqual(server.got.filter((g) => g.conn === 1).map((g) => g.msg), [
    "m2",
    "m3",
  ]);
});

Deno.test("acks: bytes that are not acknowledgements are ignored and reported", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { handler, logger, errors } = setup(listener.addr.port);
  try {
    logger.info("m1");
    const conn = await listener.accept();
    await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n"));
    const buf = new Uint8Array(4096);
    await conn.read(buf);
    logger.info("m2");
    const result = await handler.flush(5000);
    equal(result.pending, 0);
    equal(handler.stats().sent, 2);
    equal(handler.stats().acked, 0);
    const deadline = Date.now() + 5000;
    while (!errors.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    ok(errors.some((e) => e.startsWith("ack: Ignoring")), errors.join("\n"));
    conn.close();
  } finally {
    listener.close();
    await handler.close();
  }
});

Deno.test("acks: records awaiting acknowledgement count against maxQueueRecords and are dropped as 'closed' at close", async () => {
  await using server = new AckServer((_, n) => n === 1 ? 1 : undefined);
  const { handler, logger } = setup(server.port, {
    maxQueueRecords: 3,
    overflow: "drop-oldest",
  });
  await firstAck(handler, logger);
  for (let i = 2; i <= 6; i++) logger.info(`m${i}`);
  await server.waitFor(() => server.got.length >= 4, "m1–m4");
  const before = handler.stats();
  ok(before.pendingRecords <= 3, `${before.pendingRecords}`);
  equal(before.emitted, before.sent + before.dropped + before.pendingRecords);
  const result = await handler.close(200);
  const stats = handler.stats();
  equal(stats.pendingRecords, 0);
  equal(stats.unacked, 0);
  equal(stats.sent, 1);
  equal(stats.emitted, stats.sent + stats.dropped);
  ok(result.dropped >= 1);
});

Deno.test("acks: a receiver that acknowledges after one that did not (the first connection lost before any acknowledgement) is acknowledged", async () => {
  // Connection 0 never acknowledges and closes after 3 frames (a receiver
  // without ack, or killed before its first acknowledgement); connection 1
  // acknowledges every frame. The frame numbering starts over on each
  // connection: connection 1's counts must not be taken for connection 0's.
  await using server = new AckServer((conn, n) =>
    conn === 0 ? (n === 3 ? "close" : undefined) : n
  );
  const { handler, logger, errors } = setup(server.port);
  try {
    for (let i = 1; i <= 3; i++) logger.info(`m${i}`);
    await server.waitFor(() => server.got.length >= 3, "3 frames");
    await server.waitFor(() => handler.stats().state !== "connected", "loss");
    for (let i = 4; i <= 6; i++) logger.info(`m${i}`);
    await server.waitFor(() => handler.stats().acked === 3, "3 acked");
    equal((await handler.flush(5000)).pending, 0);
    // Acknowledging again: connection 1 keeps what it writes until
    // acknowledged.
    logger.info("m7");
    await server.waitFor(() => handler.stats().acked === 4, "4 acked");
    const stats = handler.stats();
    equal(stats.sent, 7);
    equal(stats.unacked, 0);
    deepEqual(errors.filter((e) => e.startsWith("ack:")), []);
  } finally {
    await handler.close();
  }
  deepEqual(server.got.filter((g) => g.conn === 1).map((g) => g.msg), [
    "m4",
    "m5",
    "m6",
    "m7",
  ]);
});
