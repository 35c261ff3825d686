// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// LogReceiver and makeLogRecord: Deno senders over real loopback sockets.
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import {
  type CloseReason,
  LogReceiver,
  makeLogRecord,
  type PythonLogRecord,
  type ReceiverError,
  ReceiveTimeoutError,
} from "../receiver.ts";
import { forwardToStdLog, toStdLogLevel } from "../receiver_std_log.ts";
import { dumpsFrame, pyFloat } from "../pickle.ts";
import { PyTuple } from "../pickle/py_types.ts";
import type { LogRecord } from "@std/log/logger";
import { concat } from "./_bytes.ts";

function rec(fields: Record<string, unknown>): Uint8Array {
  return dumpsFrame(
    { name: "t", msg: "m", levelno: 20, levelname: "INFO", ...fields },
    { protocol: 1 },
  );
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Polls until `fn` is true (bounded). */
async function until(fn: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Collected {
  errors: ReceiverError[];
  closed: CloseReason[];
}

function collecting(): Collected & {
  onError: (e: ReceiverError) => void;
  onClose: (_c: unknown, r: CloseReason) => void;
} {
  const c: Collected = { errors: [], closed: [] };
  return {
    ...c,
    onError: (e) => c.errors.push(e),
    onClose: (_c, r) => c.closed.push(r),
  };
}

// ---------------------------------------------------------------------------
// makeLogRecord

Deno.test("makeLogRecord() starts from Python's defaults", () => {
  const before = Date.now() / 1000;
  const r = makeLogRecord({ levelno: 20 });
  equal(r.name, null);
  equal(r.msg, "");
  equal(r.args, null);
  equal(r.levelname, "INFO"); // derived from levelno (Python: "Level None")
  equal(r.levelno, 20);
  equal(r.pathname, "");
  equal(r.filename, "");
  equal(r.module, "");
  equal(r.exc_info, null);
  equal(r.exc_text, null);
  equal(r.stack_info, null);
  equal(r.lineno, 0);
  equal(r.funcName, null);
  ok(r.created >= before - 1 && r.created <= Date.now() / 1000 + 1);
  equal(r.msecs, Math.floor((r.created * 1000) % 1000));
  ok(r.relativeCreated >= 0);
  equal(r.thread, null);
  equal(r.threadName, "MainThread");
  equal(r.processName, "MainProcess");
  equal(r.process, Deno.pid);
  equal(r.taskName, null);
  deepEqual({ ...r.extra }, {});
  deepEqual(r.problems, []);
  equal(r.getMessage(), "");
  const none = makeLogRecord({});
  equal(none.levelname, "Level None");
  deepEqual(none.problems, ["'levelno' is missing"]);
});

Deno.test("makeLogRecord() overlays received fields and keeps extras apart", () => {
  const d = Object.assign(Object.create(null), {
    name: "app.db",
    msg: "done",
    args: null,
    levelname: "WARNING",
    levelno: 30,
    pathname: "/app/db.py",
    filename: "db.py",
    module: "db",
    exc_info: null,
    exc_text: "Traceback ...",
    stack_info: null,
    lineno: 12,
    funcName: "save",
    created: 1700000000.25,
    msecs: 250,
    relativeCreated: 1234.5,
    thread: 2n ** 60n,
    threadName: "Worker-1",
    processName: "MainProcess",
    process: 70000,
    taskName: "Task-1",
    user: "bob",
  });
  Object.defineProperty(d, "__proto__", {
    value: "not a prototype",
    enumerable: true,
    writable: true,
    configurable: true,
  });
  d.asctime = "2023-11-14";
  const r = makeLogRecord(d);
  deepEqual(r.problems, []);
  equal(r.name, "app.db");
  equal(r.levelname, "WARNING");
  equal(r.pathname, "/app/db.py");
  equal(r.exc_text, "Traceback ...");
  equal(r.lineno, 12);
  equal(r.funcName, "save");
  equal(r.created, 1700000000.25);
  equal(r.msecs, 250);
  equal(r.relativeCreated, 1234.5);
  equal(r.thread, 2n ** 60n);
  equal(r.threadName, "Worker-1");
  equal(r.process, 70000);
  equal(r.taskName, "Task-1");
  deepEqual(Object.keys(r.extra), ["user", "__proto__", "asctime"]);
  equal(r.extra.user, "bob");
  equal(r.extra["__proto__"], "not a prototype");
  equal(Object.getPrototypeOf(r.extra), null);
});

Deno.test("makeLogRecord() derives a missing msecs from the received created", () => {
  const r = makeLogRecord({ levelno: 10, created: 1700000000.987654 });
  equal(r.msecs, 987);
  equal(r.levelname, "DEBUG");
  equal(makeLogRecord({ levelno: 25 }).levelname, "Level 25");
});

Deno.test("makeLogRecord() reports each mistyped field and keeps its default", () => {
  const cases: [string, unknown, string][] = [
    ["name", 42, "'name' must be a str or None: got int 42"],
    ["levelname", null, "'levelname' must be a str: got NoneType None"],
    ["levelno", "20", "'levelno' must be an int or float: got str '20'"],
    ["levelno", true, "'levelno' must be an int or float: got bool True"],
    ["levelno", null, "'levelno' must be an int or float: got NoneType None"],
    ["pathname", 1.5, "'pathname' must be a str or None: got float 1.5"],
    ["filename", [1], "'filename' must be a str or None: got list [1]"],
    ["module", 0, "'module' must be a str or None: got int 0"],
    [
      "exc_info",
      new PyTuple([1]),
      "'exc_info' must be None (senders render it into 'exc_text'): got tuple (1,)",
    ],
    ["exc_text", 7, "'exc_text' must be a str or None: got int 7"],
    ["stack_info", false, "'stack_info' must be a str or None: got bool False"],
    ["lineno", "12", "'lineno' must be an int: got str '12'"],
    ["lineno", 1.5, "'lineno' must be an int: got float 1.5"],
    ["funcName", 3, "'funcName' must be a str or None: got int 3"],
    [
      "created",
      "yesterday",
      "'created' must be a finite int or float: got str 'yesterday'",
    ],
    ["created", NaN, "'created' must be a finite int or float: got float nan"],
    ["msecs", null, "'msecs' must be a finite int or float: got NoneType None"],
    [
      "relativeCreated",
      "1",
      "'relativeCreated' must be a finite int or float: got str '1'",
    ],
    ["thread", "main", "'thread' must be an int or None: got str 'main'"],
    ["threadName", 1, "'threadName' must be a str or None: got int 1"],
    ["processName", 1, "'processName' must be a str or None: got int 1"],
    ["process", "1", "'process' must be an int or None: got str '1'"],
    ["taskName", 1, "'taskName' must be a str or None: got int 1"],
  ];
  const defaults = makeLogRecord({ levelno: 20 }) as unknown as Record<
    string,
    unknown
  >;
  for (const [key, value, problem] of cases) {
    const d: Record<string, unknown> = { levelno: 20 };
    d[key] = value;
    const r = makeLogRecord(d) as unknown as Record<string, unknown>;
    deepEqual((r as unknown as PythonLogRecord).problems, [problem], key);
    if (!["created", "msecs", "relativeCreated", "levelname"].includes(key)) {
      deepEqual(r[key], key === "levelno" ? null : defaults[key], key);
    }
  }
});

Deno.test("makeLogRecord() reports payloads that are not str-keyed dicts", () => {
  deepEqual(makeLogRecord([1, 2]).problems, [
    "Record must be a dict: got list",
    "'levelno' is missing",
  ]);
  deepEqual(makeLogRecord(null).problems, [
    "Record must be a dict: got NoneType",
    "'levelno' is missing",
  ]);
  const m = new Map<unknown, unknown>([["levelno", 10], [1, "x"]]);
  const r = makeLogRecord(m);
  equal(r.levelno, 10);
  deepEqual(r.problems, ["Record keys must be str: got int key"]);
});

Deno.test("PythonLogRecord.getMessage() applies args like Python", () => {
  equal(
    makeLogRecord({ levelno: 20, msg: "%s-%d", args: new PyTuple(["a", 5]) })
      .getMessage(),
    "a-5",
  );
  equal(
    makeLogRecord({
      levelno: 20,
      msg: "%(user)s",
      args: Object.assign(Object.create(null), { user: "bob" }),
    }).getMessage(),
    "bob",
  );
  equal(
    makeLogRecord({ levelno: 20, msg: "%s", args: [1, 2] }).getMessage(),
    "[1, 2]",
  );
  equal(makeLogRecord({ levelno: 20, msg: 42 }).getMessage(), "42");
  equal(makeLogRecord({ levelno: 20, msg: null }).getMessage(), "None");
  equal(
    makeLogRecord({ levelno: 20, msg: "100%", args: new PyTuple([]) })
      .getMessage(),
    "100%",
  );
  const unfit = makeLogRecord({
    levelno: 20,
    msg: "%s",
    args: new PyTuple([1, 2]),
  });
  equal(unfit.getMessage(), "1");
  deepEqual(unfit.problems, [
    "'args' do not fit 'msg': not all arguments converted (1 of 2)",
  ]);
});

// ---------------------------------------------------------------------------
// LogReceiver over sockets

Deno.test("LogReceiver delivers via next(), the iterator and onRecord", async () => {
  const seen: string[] = [];
  await using receiver = new LogReceiver({
    port: 0,
    onRecord: (r) => {
      seen.push(r.getMessage());
    },
    buffer: true,
  });
  equal(receiver.addr.transport, "tcp");
  ok(receiver.port > 0);
  using conn = await Deno.connect({ port: receiver.port });
  await writeAll(conn, concat([1, 2, 3].map((n) => rec({ msg: `r${n}` }))));
  const [first] = await receiver.next(1);
  equal(first!.getMessage(), "r1");
  const got: string[] = [];
  for await (const r of receiver) {
    got.push(r.getMessage());
    if (got.length === 2) break;
  }
  deepEqual(got, ["r2", "r3"]);
  deepEqual(seen, ["r1", "r2", "r3"]);
  equal(receiver.closed, false);
});

Deno.test("LogReceiver keeps a connection after a mistyped levelno", async () => {
  const c = collecting();
  await using receiver = new LogReceiver({ port: 0, ...c });
  using conn = await Deno.connect({ port: receiver.port });
  await writeAll(
    conn,
    concat([
      rec({ msg: "a" }),
      rec({ msg: "b", levelno: "x" }),
      rec({ msg: "c", created: "now" }),
      rec({ msg: "d" }),
    ]),
  );
  const records = await receiver.next(4);
  deepEqual(records.map((r) => r.getMessage()), ["a", "b", "c", "d"]);
  deepEqual(records[1]!.problems, [
    "'levelno' must be an int or float: got str 'x'",
  ]);
  equal(c.errors.length, 2);
  equal(c.errors[0]!.kind, "invalid-record");
  equal(c.errors[0]!.record, records[1]);
  equal(receiver.stats().invalidRecords, 2);
  equal(receiver.stats().connectionsOpen, 1);
});

Deno.test("LogReceiver receives 50 concurrent senders × 2,000 records in per-sender order", async () => {
  const SENDERS = 50;
  const PER = 2000;
  await using receiver = new LogReceiver({ port: 0, maxBuffered: 500 });
  const send = async (s: number) => {
    using conn = await Deno.connect({ port: receiver.port });
    for (let i = 0; i < PER; i += 100) {
      const batch: Uint8Array[] = [];
      for (let j = i; j < i + 100; j++) {
        batch.push(rec({
          name: `sender.${s}`,
          msg: `record ${j}`,
          seq: j,
          created: pyFloat(1700000000 + j),
        }));
      }
      await writeAll(conn, concat(batch));
    }
  };
  const senders = Array.from({ length: SENDERS }, (_, s) => send(s));
  const next = new Array<number>(SENDERS).fill(0);
  let total = 0;
  let maxBuffered = 0;
  for await (const r of receiver) {
    maxBuffered = Math.max(maxBuffered, receiver.buffered);
    const s = Number(r.name!.slice("sender.".length));
    equal(r.extra.seq, next[s], `sender ${s} out of order`);
    equal(r.getMessage(), `record ${next[s]}`);
    next[s]!++;
    if (++total === SENDERS * PER) break;
  }
  await Promise.all(senders);
  ok(next.every((n) => n === PER));
  ok(maxBuffered <= 500);
  const stats = receiver.stats();
  equal(stats.records, SENDERS * PER);
  equal(stats.connectionsTotal, SENDERS);
  equal(stats.errors, 0);
  ok(stats.bufferedHighWater <= 500);
});

Deno.test("LogReceiver closes only the connection with an oversized length prefix", async () => {
  const c = collecting();
  await using receiver = new LogReceiver({
    port: 0,
    maxFrameBytes: 1024,
    ...c,
  });
  using good = await Deno.connect({ port: receiver.port });
  using bad = await Deno.connect({ port: receiver.port });
  await writeAll(good, rec({ msg: "before" }));
  await receiver.next(1);
  await writeAll(bad, Uint8Array.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]));
  equal(await bad.read(new Uint8Array(8)), null);
  await until(() => c.closed.length === 1, "the close");
  deepEqual(c.closed, ["frame-too-large"]);
  equal(c.errors.length, 1);
  equal(c.errors[0]!.kind, "frame-too-large");
  equal(
    c.errors[0]!.message,
    "Frame of 4294967280 bytes exceeds 'maxFrameBytes' (1024): closing the connection",
  );
  // A frame of exactly maxFrameBytes is fine; the other connection goes on.
  const base = rec({ msg: "after", pad: "" }).length - 4;
  const exact = rec({ msg: "after", pad: "y".repeat(1024 - base) });
  equal(exact.length - 4, 1024);
  await writeAll(good, exact);
  const [after] = await receiver.next(1);
  equal(after!.getMessage(), "after");
  equal(receiver.stats().connectionsOpen, 1);
  equal(receiver.stats().closedReasons["frame-too-large"], 1);
});

Deno.test("LogReceiver closes only the connection sending garbage", async () => {
  const c = collecting();
  await using receiver = new LogReceiver({ port: 0, ...c });
  using good = await Deno.connect({ port: receiver.port });
  using bad = await Deno.connect({ port: receiver.port });
  const garbage = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await writeAll(bad, garbage); // "GET " = a 1.2 GB length: too large
  equal(await bad.read(new Uint8Array(8)), null);
  await writeAll(good, rec({ msg: "still here" }));
  equal((await receiver.next(1))[0]!.getMessage(), "still here");
  await until(() => c.closed.length === 1, "the close");
  deepEqual(c.closed, ["frame-too-large"]);
});

Deno.test("LogReceiver skips and counts a bad frame between two good ones on one connection", async () => {
  const c = collecting();
  await using receiver = new LogReceiver({ port: 0, ...c });
  using conn = await Deno.connect({ port: receiver.port });
  const bad = Uint8Array.from([0, 0, 0, 5, 0x7d, 0x7d, 0x7d, 0xff, 0x00]);
  // A persistent id is refused even in inert mode.
  const persid = Uint8Array.from([0, 0, 0, 4, 0x50, 0x78, 0x0a, 0x2e]);
  await writeAll(conn, rec({ msg: "first" }));
  await writeAll(conn, bad);
  await writeAll(conn, persid);
  await writeAll(conn, rec({ msg: "second" }));
  const records = await receiver.next(2);
  deepEqual(records.map((r) => r.getMessage()), ["first", "second"]);
  deepEqual(c.closed, []);
  const refused = c.errors.filter((e) => e.kind === "bad-pickle");
  equal(refused.length, 2);
  match(refused[0]!.message, /^Cannot decode frame of 5 bytes, skipped it: /);
  match(refused[1]!.message, /PERSID/);
  equal(refused[0]!.cause instanceof Error, true);
  const stats = receiver.stats();
  equal(stats.framesRefused, 2);
  equal(stats.records, 2);
  equal(stats.connectionsOpen, 1);
  equal(stats.connections[0]!.framesRefused, 2);
});

Deno.test("LogReceiver rate-limits the reports of refused frames", async () => {
  const c = collecting();
  await using receiver = new LogReceiver({ port: 0, ...c });
  using conn = await Deno.connect({ port: receiver.port });
  const bad = Uint8Array.from([0, 0, 0, 1, 0xff]);
  for (let i = 0; i < 25; i++) await writeAll(conn, bad);
  await writeAll(conn, rec({ msg: "after" }));
  equal((await receiver.next(1))[0]!.getMessage(), "after");
  equal(receiver.stats().framesRefused, 25);
  equal(c.errors.filter((e) => e.kind === "bad-pickle").length, 10);
});

Deno.test("LogReceiver reports a torn frame at EOF once", async () => {
  const c = collecting();
  await using receiver = new LogReceiver({ port: 0, ...c });
  {
    using torn = await Deno.connect({ port: receiver.port });
    const frame = rec({ msg: "torn" });
    await writeAll(torn, frame.subarray(0, 20));
  }
  {
    using short = await Deno.connect({ port: receiver.port });
    await writeAll(short, Uint8Array.from([0, 0]));
  }
  await until(() => c.closed.length === 2, "the closes");
  deepEqual(c.closed, ["torn-frame", "torn-frame"]);
  equal(c.errors.length, 2);
  const texts = c.errors.map((e) => e.message).toSorted();
  equal(
    texts[0],
    "Connection closed mid-frame: got 16 of " +
      `${rec({ msg: "torn" }).length - 4} bytes`,
  );
  equal(texts[1], "Connection closed mid-frame: got 2 of 4 length bytes");
  equal(receiver.stats().errors, 2);
  equal(receiver.stats().records, 0);
});

Deno.test("LogReceiver handles frames split into single bytes and frames larger than its read buffer", async () => {
  await using receiver = new LogReceiver({ port: 0 });
  using conn = await Deno.connect({ port: receiver.port });
  conn.setNoDelay(true);
  const small = rec({ msg: "drip" });
  for (const byte of small) await writeAll(conn, Uint8Array.of(byte));
  equal((await receiver.next(1))[0]!.getMessage(), "drip");
  const big = "z".repeat(1_000_000);
  await writeAll(conn, concat([rec({ msg: big }), rec({ msg: "next" })]));
  const [b, n] = await receiver.next(2);
  equal(b!.getMessage(), big);
  equal(n!.getMessage(), "next");
});

Deno.test("LogReceiver pauses reading when the consumer is slow (bounded buffer, sender backpressure)", async () => {
  const MAX = 10;
  const COUNT = 6000;
  await using receiver = new LogReceiver({ port: 0, maxBuffered: MAX });
  using conn = await Deno.connect({ port: receiver.port });
  const pad = "p".repeat(8000);
  let written = 0;
  let total = 0;
  const frames: Uint8Array[] = [];
  for (let i = 0; i < COUNT; i++) {
    const f = rec({ msg: `m${i}`, seq: i, pad });
    frames.push(f);
    total += f.length;
  }
  const writer = (async () => {
    for (const f of frames) {
      await writeAll(conn, f);
      written += f.length;
    }
  })();
  // Nobody consumes: wait until the receiver stops reading.
  let last = -1;
  let stable = 0;
  while (stable < 20) {
    await new Promise((r) => setTimeout(r, 10));
    const b = receiver.stats().bytes;
    stable = b === last ? stable + 1 : 0;
    last = b;
  }
  equal(receiver.buffered, MAX);
  equal(receiver.stats().connections[0]!.records, MAX + 1); // 1 decoded, waiting
  ok(written < total, "the sender never saw backpressure");
  ok(receiver.stats().bytes < total);
  // Drain: everything arrives in order and the buffer never exceeded MAX.
  for (let i = 0; i < COUNT; i++) {
    ok(receiver.buffered <= MAX);
    const [r] = await receiver.next(1);
    equal(r!.extra.seq, i);
  }
  await writer;
  equal(written, total);
  equal(receiver.stats().bufferedHighWater, MAX);
});

Deno.test("LogReceiver.close() with open connections ends everything", async () => {
  const c = collecting();
  const receiver = new LogReceiver({ port: 0, ...c, maxBuffered: 1 });
  const idle = await Deno.connect({ port: receiver.port });
  const mid = await Deno.connect({ port: receiver.port });
  const full = await Deno.connect({ port: receiver.port });
  await writeAll(mid, rec({ msg: "half" }).subarray(0, 10));
  await writeAll(
    full,
    concat([rec({ msg: "1" }), rec({ msg: "2" }), rec({ msg: "3" })]),
  );
  await until(() => receiver.buffered === 1, "the buffer to fill");
  await until(() => receiver.stats().connectionsTotal === 3, "3 connections");
  const pending = receiver.next(5, { timeout: Infinity }).catch((e) => e);
  const iter = receiver[Symbol.asyncIterator]();
  await receiver.close();
  const error = await pending;
  ok(error instanceof Error);
  equal(
    error.message,
    "Cannot receive 5 records as the receiver is closed: got 1",
  );
  // "2", decoded before the close and waiting for space, is still
  // delivered; "3" is never decoded.
  const last = await iter.next();
  equal(last.done, false);
  equal(last.value?.getMessage(), "2");
  deepEqual(await iter.next(), { value: undefined, done: true });
  equal(receiver.stats().records, 2);
  deepEqual(c.closed, [
    "receiver-closed",
    "receiver-closed",
    "receiver-closed",
  ]);
  deepEqual(c.errors, []);
  equal(receiver.stats().connectionsOpen, 0);
  equal(receiver.closed, true);
  await receiver.close(); // idempotent
  await rejects(receiver.next(1), /receiver is closed/);
  for (const conn of [idle, mid, full]) {
    equal(await conn.read(new Uint8Array(8)), null);
    conn.close();
  }
  await rejects(
    Deno.connect({ port: receiver.port }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("LogReceiver ends the async iterator after the buffered records on close()", async () => {
  const receiver = new LogReceiver({ port: 0 });
  {
    using conn = await Deno.connect({ port: receiver.port });
    await writeAll(conn, concat([rec({ msg: "a" }), rec({ msg: "b" })]));
    await until(() => receiver.buffered === 2, "2 records");
  }
  await receiver.close();
  const got: string[] = [];
  for await (const r of receiver) got.push(r.getMessage());
  deepEqual(got, ["a", "b"]);
});

Deno.test("LogReceiver closes idle connections after idleTimeout", async () => {
  const c = collecting();
  await using receiver = new LogReceiver({ port: 0, idleTimeout: 100, ...c });
  using conn = await Deno.connect({ port: receiver.port });
  await writeAll(conn, rec({ msg: "hello" }).subarray(0, 7)); // half-sent
  equal(await conn.read(new Uint8Array(8)), null);
  deepEqual(c.closed, ["idle-timeout"]);
  equal(c.errors[0]!.message, "No data for 100 ms: closing the connection");
});

Deno.test("LogReceiver.next() rejects with ReceiveTimeoutError holding the partial records", async () => {
  await using receiver = new LogReceiver({ port: 0 });
  using conn = await Deno.connect({ port: receiver.port });
  await writeAll(conn, rec({ msg: "only" }));
  const error = await receiver.next(2, { timeout: 200 }).catch((e) => e);
  ok(error instanceof ReceiveTimeoutError);
  equal(error.message, "Cannot receive 2 records within 200 ms: got 1");
  equal(error.records.length, 1);
  equal(error.records[0]!.getMessage(), "only");
  const ac = new AbortController();
  const aborted = receiver.next(1, { signal: ac.signal, timeout: Infinity });
  ac.abort(new Error("stop"));
  await rejects(aborted, /stop/);
  await rejects(receiver.next(0), RangeError);
});

Deno.test("LogReceiver with onRecord only does not buffer, and isolates callback errors", async () => {
  const c = collecting();
  const got: string[] = [];
  await using receiver = new LogReceiver({
    port: 0,
    ...c,
    onRecord: async (r) => {
      await Promise.resolve();
      if (r.getMessage() === "boom") throw new Error("callback failed");
      got.push(r.getMessage());
    },
  });
  await rejects(receiver.next(1), TypeError);
  using conn = await Deno.connect({ port: receiver.port });
  await writeAll(conn, concat(["a", "boom", "b"].map((msg) => rec({ msg }))));
  await until(() => got.length === 2, "2 records");
  deepEqual(got, ["a", "b"]);
  equal(receiver.buffered, 0);
  equal(c.errors.length, 1);
  equal(c.errors[0]!.kind, "callback-error");
  equal(c.errors[0]!.message, "onRecord failed: Error: callback failed");
});

Deno.test("LogReceiver evicts the longest-idle connection at maxConnections", async () => {
  const c = collecting();
  await using receiver = new LogReceiver({ port: 0, maxConnections: 2, ...c });
  using idle = await Deno.connect({ port: receiver.port });
  await until(() => receiver.stats().connectionsOpen === 1, "1 connection");
  using first = await Deno.connect({ port: receiver.port });
  await writeAll(first, rec({ msg: "1" }));
  await receiver.next(1);
  using second = await Deno.connect({ port: receiver.port });
  equal(await idle.read(new Uint8Array(8)), null);
  deepEqual(c.closed, ["evicted"]);
  equal(c.errors[0]!.kind, "evicted");
  await writeAll(first, rec({ msg: "2" }));
  equal((await receiver.next(1))[0]!.getMessage(), "2");
  await writeAll(second, rec({ msg: "3" }));
  equal((await receiver.next(1))[0]!.getMessage(), "3");
});

Deno.test("LogReceiver listens on a Unix socket and removes it on close", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/r.sock`;
  try {
    const receiver = new LogReceiver({ path });
    equal((receiver.addr as Deno.UnixAddr).path, path);
    {
      using conn = await Deno.connect({ transport: "unix", path });
      await writeAll(conn, rec({ msg: "unix" }));
      equal((await receiver.next(1))[0]!.getMessage(), "unix");
    }
    await receiver.close();
    await rejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LogReceiver validates its options", () => {
  for (const bad of [0, -1, 1.5, NaN]) {
    try {
      new LogReceiver({ port: 0, maxFrameBytes: bad });
      ok(false);
    } catch (e) {
      ok(e instanceof RangeError);
    }
  }
  try {
    new LogReceiver({ port: 70000 });
    ok(false);
  } catch (e) {
    ok(e instanceof RangeError);
  }
});

Deno.test("LogReceiver throws AddrInUse for a busy port", () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    new LogReceiver({ port: (listener.addr as Deno.NetAddr).port });
    ok(false);
  } catch (e) {
    ok(e instanceof Deno.errors.AddrInUse);
  }
});

Deno.test("forwardToStdLog() hands records to every handler like Logger.handle()", () => {
  const handled: LogRecord[] = [];
  const logger = {
    handlers: [
      { handle: (r: LogRecord) => handled.push(r) },
      {
        handle: () => {
          throw new Error("bad handler");
        },
      },
      { handle: (r: LogRecord) => handled.push(r) },
    ],
  };
  const r = makeLogRecord({
    name: "py.app",
    msg: "failed",
    levelno: 40,
    levelname: "ERROR",
    exc_text: "Traceback: boom",
  });
  try {
    forwardToStdLog(r, logger);
    ok(false);
  } catch (e) {
    equal((e as Error).message, "bad handler");
  }
  equal(handled.length, 2);
  equal(handled[0]!.msg, "failed\nTraceback: boom");
  equal(handled[0]!.level, 40);
  equal(handled[0]!.loggerName, "py.app");
  const root: LogRecord[] = [];
  forwardToStdLog(makeLogRecord({ levelno: 30 }), {
    handlers: [{ handle: (r: LogRecord) => root.push(r) }],
  });
  equal(root[0]!.loggerName, "root");
  deepEqual([null, 0, 5, 10, 25, 30, 49, 50, 90].map(toStdLogLevel), [
    0,
    0,
    0,
    10,
    20,
    30,
    40,
    50,
    50,
  ]);
});
