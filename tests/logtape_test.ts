// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// getSocketSink(): mapping of LogTape records, the sink on our LogReceiver
// and on a real CPython receiver, through the real LogTape 2.x.
import {
  deepEqual,
  equal,
  match,
  ok,
  rejects,
  throws,
} from "node:assert/strict";
import {
  configure,
  dispose,
  getLogger,
  lazy,
  reset,
} from "npm:@logtape/logtape@^2";
import {
  getSocketSink,
  type LogRecord,
  logTapeRecordDict,
} from "../logtape.ts";
import { PyFloat } from "../pickle/py_types.ts";
import { loads } from "../pickle/decoder.ts";
import { dumpsFrame } from "../pickle.ts";
import { LogReceiver } from "../receiver.ts";
import { pythons, startReceiver } from "./_py_receiver.ts";
import { makeCerts, opensslAvailable } from "./_certs.ts";
import { FrameServer } from "./_frame_server.ts";
import { pyStr } from "../text/python_text.ts";
import fc from "npm:fast-check@^4";

const TS = 1_700_000_000_250;

function rec(over: Partial<LogRecord> = {}): LogRecord {
  return {
    category: ["app", "db"],
    level: "info",
    message: ["hello"],
    rawMessage: "hello",
    timestamp: TS,
    properties: {},
    ...over,
  };
}

function float(v: unknown): number {
  ok(v instanceof PyFloat, `expected a PyFloat, got ${String(v)}`);
  return v.value;
}

/** Silences LogTape's meta logger (its console sink) in every configure(). */
const META: { category: string[]; lowestLevel: "error" } = {
  category: ["logtape", "meta"],
  lowestLevel: "error",
};

// ---------------------------------------------------------------- mapping

Deno.test("logTapeRecordDict() maps every LogTape level to Python's number and name", () => {
  const expected: [LogRecord["level"], number, string][] = [
    ["trace", 5, "TRACE"],
    ["debug", 10, "DEBUG"],
    ["info", 20, "INFO"],
    ["warning", 30, "WARNING"],
    ["error", 40, "ERROR"],
    ["fatal", 50, "CRITICAL"],
  ];
  for (const [level, no, name] of expected) {
    const d = logTapeRecordDict(rec({ level }));
    equal(d.levelno, no, level);
    equal(d.levelname, name, level);
  }
  const d10 = logTapeRecordDict(rec({ level: "trace" }), { traceLevel: 10 });
  equal(d10.levelno, 10);
  equal(d10.levelname, "DEBUG");
  const d1 = logTapeRecordDict(rec({ level: "trace" }), { traceLevel: 1 });
  equal(d1.levelno, 1);
  equal(d1.levelname, "TRACE");
});

Deno.test("logTapeRecordDict() joins the category, renders the message and sets the time", () => {
  const d = logTapeRecordDict(rec({
    message: [
      "a ",
      "s",
      " b ",
      42,
      " c ",
      true,
      " d ",
      null,
      " e ",
      [1, "x"],
      "",
    ],
    properties: {},
  }));
  equal(d.name, "app.db");
  equal(d.msg, "a s b 42 c True d None e [1, 'x']");
  equal(d.args, null);
  equal(float(d.created), 1_700_000_000.25);
  equal(float(d.msecs), 250);
  equal(logTapeRecordDict(rec({ category: [] })).name, "root");
  equal(logTapeRecordDict(rec({ category: ["x"] })).name, "x");
  equal(
    logTapeRecordDict(rec({ message: ["obj ", { k: 1 }, ""] })).msg,
    "obj {'k': 1}",
  );
  equal(
    logTapeRecordDict(rec({ message: ["big ", 10n, " und ", undefined, ""] }))
      .msg,
    "big 10 und None",
  );
});

Deno.test("logTapeRecordDict() sends properties as extras and renames reserved keys", () => {
  const d = logTapeRecordDict(rec({
    message: ["User ", "al", " logged in"],
    properties: {
      user: "al",
      request_id: 42,
      tags: ["a", "b"],
      name: "shadow",
      msg: "shadow2",
      nested: { deep: { n: 1.5 } },
    },
  }));
  equal(d.msg, "User al logged in");
  equal(d.name, "app.db");
  equal(d.user, "al");
  equal(d.request_id, 42);
  deepEqual(d.tags, ["a", "b"]);
  equal(d.extra_name, "shadow");
  equal(d.extra_msg, "shadow2");
  deepEqual(d.nested, { deep: { n: 1.5 } });
  equal(d.exc_text, null);
});

Deno.test("logTapeRecordDict() fills exc_text from an Error property with its cause", () => {
  const cause = new Error("disk full");
  const error = new TypeError("save failed", { cause });
  const d = logTapeRecordDict(rec({
    level: "error",
    message: ["Save failed: ", error, ""],
    properties: { error },
  }));
  equal(d.msg, "Save failed: save failed"); // Python's str(exception)
  equal(d.error, "TypeError: save failed");
  const text = String(d.exc_text);
  match(text, /^TypeError: save failed\n {4}at /);
  match(text, /\nCaused by: Error: disk full/);
  // Only once, although it is both a message value and a property.
  equal(text.split("save failed").length, 2);
});

Deno.test("logTapeRecordDict() fills exc_text from an Error only in the message", () => {
  const error = new RangeError("bad index");
  const d = logTapeRecordDict(rec({
    level: "error",
    message: ["failed: ", error, ""],
    rawMessage: ["failed: ", ""] as unknown as TemplateStringsArray,
    properties: {},
  }));
  equal(d.msg, "failed: bad index");
  match(String(d.exc_text), /^RangeError: bad index\n/);
});

Deno.test("logTapeRecordDict() uses sourceLocation and the formatter option", () => {
  const d = logTapeRecordDict(rec({
    sourceLocation: { file: "file:///srv/app/main.ts", line: 12, column: 3 },
  }));
  equal(d.pathname, "/srv/app/main.ts");
  equal(d.filename, "main.ts");
  equal(d.module, "main");
  equal(d.lineno, 12);
  equal(d.funcName, "(unknown function)");
  const off = logTapeRecordDict(
    rec({ sourceLocation: { file: "/x/y.ts", line: 2, column: 1 } }),
    { useSourceLocation: false },
  );
  equal(off.pathname, "(unknown file)");
  equal(off.lineno, 0);
  const f = logTapeRecordDict(rec(), {
    formatter: (r) => `[${r.level}] ${String(r.message[0])}`,
  });
  equal(f.msg, "[info] hello");
  const bad = logTapeRecordDict(rec(), {
    formatter: () => {
      throw new Error("boom");
    },
  });
  equal(bad.msg, "hello");
});

Deno.test("logTapeRecordDict() never throws on hostile records and values", () => {
  const hostile = new Proxy({}, {
    get() {
      throw new Error("trap");
    },
    ownKeys() {
      throw new Error("trap");
    },
  });
  const getterThrows = {
    get x() {
      throw new Error("getter");
    },
  };
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const values = [
    hostile,
    getterThrows,
    cyclic,
    Symbol("s"),
    () => 1,
    new Map([[{}, 1]]),
    new Date(0),
    Promise.resolve(),
  ];
  for (const v of values) {
    const d = logTapeRecordDict(rec({
      message: ["v=", v, ""],
      properties: { v },
    }));
    ok(typeof d.msg === "string");
    // The dict must always be picklable and readable back.
    const frame = dumpsFrame(d);
    const back = loads(frame.subarray(4)) as Record<string, unknown>;
    equal(back.name, "app.db");
  }
  const d = logTapeRecordDict(hostile as LogRecord);
  equal(typeof d.msg, "string");
  const d2 = logTapeRecordDict(
    rec({ level: "loud" as LogRecord["level"], timestamp: NaN }),
  );
  equal(d2.levelno, 0);
  equal(d2.levelname, "LOUD");
  ok(float(d2.created) > 1_700_000_000);
});

// ---------------------------------------------------------------- options

Deno.test("getSocketSink() validates its options", () => {
  throws(() => getSocketSink({ port: 0 }), RangeError);
  throws(() => getSocketSink({ port: 70000 }), RangeError);
  throws(() => getSocketSink({ path: "/tmp/x", port: 1 }), TypeError);
  throws(() => getSocketSink({ hostname: "" }), TypeError);
  throws(() => getSocketSink({ protocol: 9 as 1 }), RangeError);
  throws(() => getSocketSink({ jitter: 2 }), RangeError);
  throws(
    () => getSocketSink({ overflow: "drop-all" as "drop-oldest" }),
    TypeError,
  );
  throws(() => getSocketSink({ traceLevel: -1 }), RangeError);
  throws(
    () => getSocketSink({ formatter: "x" as unknown as () => string }),
    TypeError,
  );
  throws(
    () => getSocketSink({ port: 0 }),
    {
      message:
        "Cannot create socket sink as 'port' must be an integer from 1 to 65535: current value is 0",
    },
  );
});

// ------------------------------------------------- real LogTape, LogReceiver

Deno.test("getSocketSink() with LogTape delivers every level to LogReceiver and dispose() drains", async () => {
  await using receiver = new LogReceiver({ port: 0 });
  const sink = getSocketSink({ hostname: "127.0.0.1", port: receiver.port });
  await configure({
    reset: true,
    sinks: { py: sink },
    loggers: [
      { category: ["app"], sinks: ["py"], lowestLevel: "trace" },
      META,
    ],
  });
  try {
    const logger = getLogger(["app", "web"]);
    logger.trace("trace {n}", { n: 1 });
    logger.debug("debug");
    logger.info("User {user} logged in", { user: "al", request_id: 7 });
    logger.warn("warned");
    const cause = new Error("disk full");
    logger.error("Save failed", new Error("save failed", { cause }));
    logger.fatal("fatal {tags}", { tags: ["x", "y"], name: "clash" });
    logger.info`tagged ${{ a: 1 }} end`;
    equal(sink.stats().emitted, 7);
  } finally {
    await dispose(); // must deliver the records logged just above
  }
  const stats = sink.stats();
  equal(stats.sent, 7);
  equal(stats.dropped, 0);
  equal(stats.pendingRecords, 0);
  equal(stats.state, "closed");
  const records = await receiver.next(7, { timeout: 5000 });
  deepEqual(
    records.map((r) => [r.levelno, r.levelname]),
    [
      [5, "TRACE"],
      [10, "DEBUG"],
      [20, "INFO"],
      [30, "WARNING"],
      [40, "ERROR"],
      [50, "CRITICAL"],
      [20, "INFO"],
    ],
  );
  for (const r of records) {
    equal(r.name, "app.web");
    deepEqual(r.problems, []);
    equal(typeof r.created, "number");
    ok(Math.abs(r.created * 1000 - Date.now()) < 60_000);
    equal(r.msecs, Math.floor(r.msecs));
  }
  const [trace, , info, , error, fatal, tagged] = records;
  equal(trace!.getMessage(), "trace 1");
  equal(trace!.extra.n, 1);
  equal(info!.getMessage(), "User al logged in");
  deepEqual(info!.extra, { user: "al", request_id: 7 });
  equal(error!.getMessage(), "Save failed");
  equal(error!.extra.error, "Error: save failed");
  match(error!.exc_text ?? "", /^Error: save failed\n/);
  match(error!.exc_text ?? "", /Caused by: Error: disk full/);
  equal(fatal!.getMessage(), "fatal ['x', 'y']");
  deepEqual(fatal!.extra, { tags: ["x", "y"], extra_name: "clash" });
  equal(tagged!.getMessage(), "tagged {'a': 1} end");
  // Records after dispose are dropped as "closed", never thrown.
  sink(rec());
  equal(sink.stats().droppedByReason.closed, 1);
  const s = sink.stats();
  equal(s.emitted, s.sent + s.dropped + s.pendingRecords);
});

Deno.test("getSocketSink() reset() also drains, and a second sink works after it", async () => {
  await using receiver = new LogReceiver({ port: 0 });
  for (let round = 0; round < 2; round++) {
    const sink = getSocketSink({ hostname: "127.0.0.1", port: receiver.port });
    await configure({
      sinks: { py: sink },
      loggers: [{ category: "r", sinks: ["py"], lowestLevel: "info" }, META],
      reset: true,
    });
    getLogger("r").info("round {round}", { round });
    getLogger("r").debug("filtered by LogTape");
    if (round === 1) await reset();
    else await dispose();
    equal(sink.stats().sent, 1);
    const [r] = await receiver.next(1, { timeout: 5000 });
    equal(r!.getMessage(), `round ${round}`);
  }
});

Deno.test("getSocketSink() never throws when the receiver is down and counts every record", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const errors: string[] = [];
  const sink = getSocketSink({
    hostname: "127.0.0.1",
    port,
    retryStart: 10,
    retryMax: 20,
    maxQueueRecords: 3,
    onError: (e, kind) => errors.push(`${kind}: ${e.message}`),
  });
  for (let i = 0; i < 5; i++) sink(rec({ message: [`m${i}`] }));
  let s = sink.stats();
  equal(s.emitted, 5);
  equal(s.droppedByReason.overflow, 2);
  equal(s.emitted, s.sent + s.dropped + s.pendingRecords);
  const result = await sink.close(50);
  equal(result.pending, 0);
  s = sink.stats();
  equal(s.sent, 0);
  equal(s.dropped, 5);
  equal(s.droppedByReason.closed, 3);
  ok(errors.length >= 1, "connect errors are reported to onError");
  await sink[Symbol.asyncDispose](); // idempotent
});

Deno.test("getSocketSink() flush() waits for delivery and stats() counts bytes", async () => {
  await using receiver = new LogReceiver({ port: 0 });
  await using sink = getSocketSink({
    hostname: "127.0.0.1",
    port: receiver.port,
    protocol: 4,
  });
  sink(rec({ properties: { k: "v" } }));
  sink(rec({ level: "fatal", message: ["bye"] }));
  const result = await sink.flush(5000);
  deepEqual(result, { sent: 2, dropped: 0, pending: 0, timedOut: false });
  ok(sink.stats().sentBytes > 100);
  const [a, b] = await receiver.next(2, { timeout: 5000 });
  equal(a!.extra.k, "v");
  equal(b!.levelname, "CRITICAL");
  equal(a!.created, TS / 1000);
  equal(a!.msecs, 250);
});

Deno.test("getSocketSink() does not throw into LogTape for an unencodable record", async () => {
  await using receiver = new LogReceiver({ port: 0 });
  await using sink = getSocketSink({
    hostname: "127.0.0.1",
    port: receiver.port,
    onError: () => {},
  });
  const evil = new Proxy([], {
    get() {
      throw new Error("trap");
    },
  });
  sink(evil as unknown as LogRecord);
  sink(null as unknown as LogRecord);
  sink(rec());
  await sink.flush(5000);
  const s = sink.stats();
  equal(s.emitted, s.sent + s.dropped + s.pendingRecords);
  equal(s.emitted, 3);
  const got = await receiver.next(s.sent, { timeout: 5000 });
  equal(got.at(-1)!.getMessage(), "hello");
  await rejects(receiver.next(1, { timeout: 50 }));
});

// ------------------------------------------------- real LogTape, CPython

Deno.test("getSocketSink() with LogTape → CPython receiver: levels, msg, extras, exc_text, types", async () => {
  const py = pythons().available.find((p) => p.cmd === "python3")!;
  const receiver = await startReceiver(py, 7);
  const sink = getSocketSink({ hostname: "127.0.0.1", port: receiver.port });
  try {
    await configure({
      reset: true,
      sinks: { py: sink },
      loggers: [
        { category: ["svc"], sinks: ["py"], lowestLevel: "trace" },
        META,
      ],
    });
    const logger = getLogger(["svc", "api"]);
    logger.trace("trace");
    logger.debug("debug {n}", { n: 2 });
    logger.info("User {user}", { user: "bob", request_id: 42 });
    logger.warning("tags {tags}", { tags: ["a", "b"], name: "shadow" });
    const cause = new Error("disk full");
    logger.error("failed", new Error("save failed", { cause }));
    logger.fatal("fatal");
    logger.info("unicode é 😀");
  } finally {
    await dispose();
    await reset();
  }
  const { records, stderr, code } = await receiver.done();
  equal(code, 0, stderr);
  ok(!stderr.includes("Logging error"), stderr);
  equal(records.length, 7);
  deepEqual(records.map((r) => r.levelno), [5, 10, 20, 30, 40, 50, 20]);
  const names = records.map((r) => r.line.split("|")[4]);
  deepEqual(names, [
    "TRACE",
    "DEBUG",
    "INFO",
    "WARNING",
    "ERROR",
    "CRITICAL",
    "INFO",
  ]);
  deepEqual(records.map((r) => r.msg), [
    "trace",
    "debug 2",
    "User bob",
    "tags ['a', 'b']",
    "failed",
    "fatal",
    "unicode é 😀",
  ]);
  deepEqual(records[2]!.extras, { user: "bob", request_id: 42 });
  deepEqual(records[3]!.extras, { tags: ["a", "b"], extra_name: "shadow" });
  match(records[4]!.exc_text ?? "", /^Error: save failed\n/);
  match(records[4]!.exc_text ?? "", /Caused by: Error: disk full/);
  for (const r of records) {
    equal(r.name, "svc.api");
    equal(r.types.created, "float");
    equal(r.types.msecs, "float");
    equal(r.types.relativeCreated, "float");
    equal(r.types.levelno, "int");
    equal(r.types.msg, "str");
    equal(r.types.args, "NoneType");
  }
});

// ------------------------------------------------------------------ TLS

const hasOpenssl = opensslAvailable();

Deno.test({
  name: "getSocketSink() with tls delivers frames over a verified connection",
  ignore: !hasOpenssl,
  fn: async () => {
    const certs = await makeCerts();
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: certs.server.cert,
      key: certs.server.key,
    });
    const accepted = (async () => {
      const conn = await listener.accept();
      const chunks: number[] = [];
      const buf = new Uint8Array(4096);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          chunks.push(...buf.subarray(0, n));
        }
      } catch { /* closed by the sink */ }
      try {
        conn.close();
      } catch { /* closed */ }
      return new Uint8Array(chunks);
    })();
    const port = (listener.addr as Deno.NetAddr).port;
    const sink = getSocketSink({
      hostname: "127.0.0.1",
      port,
      tls: { caCerts: [certs.ca.cert] },
    });
    sink(rec({ message: ["over tls"], properties: { user: "bob" } }));
    deepEqual(await sink.flush(10_000), {
      sent: 1,
      dropped: 0,
      pending: 0,
      timedOut: false,
    });
    await sink.close();
    const bytes = await accepted;
    listener.close();
    const len = new DataView(bytes.buffer).getUint32(0);
    equal(bytes.length, 4 + len);
    const d = loads(bytes.subarray(4)) as Record<string, unknown>;
    equal(d.msg, "over tls");
    equal(d.user, "bob");

    throws(
      () => getSocketSink({ path: "/tmp/x.sock", tls: {} }),
      /Cannot create socket sink as 'tls' needs a TCP 'hostname' and 'port'/,
    );
    await Deno.remove(certs.dir, { recursive: true });
  },
});

Deno.test("getSocketSink() is an immediate LogTape sink: properties are sent as they were at the call", async () => {
  await using receiver = new LogReceiver({ port: 0 });
  const sink = getSocketSink({ hostname: "127.0.0.1", port: receiver.port });
  equal(
    (sink as unknown as Record<symbol, unknown>)[
      Symbol.for("LogTape.sinkSnapshotPolicy.immediate")
    ],
    true,
  );
  await configure({
    reset: true,
    sinks: { py: sink },
    loggers: [{ category: ["imm"], sinks: ["py"], lowestLevel: "info" }, META],
  });
  try {
    let user = "al";
    let lazyCalls = 0;
    const logger = getLogger(["imm"]).with({
      user: lazy(() => {
        lazyCalls++;
        return user;
      }),
    });
    const obj = { n: 1, tags: ["a"] };
    logger.info("first {obj}", { obj });
    obj.n = 2;
    obj.tags.push("b");
    user = "bo";
    logger.info`second ${obj}`; // logTemplate: LogTape leaves lazy() as is
    obj.n = 3;
    user = "cy";
    logger.info((l) => l`third`); // logLazily: lazy() left as is too
    user = "di";
    equal(lazyCalls, 3);
    equal(sink.stats().emitted, 3);
  } finally {
    await dispose();
  }
  const [first, second, third] = await receiver.next(3, { timeout: 5000 });
  equal(first!.getMessage(), "first {'n': 1, 'tags': ['a']}");
  deepEqual(first!.extra, { user: "al", obj: { n: 1, tags: ["a"] } });
  equal(second!.getMessage(), "second {'n': 2, 'tags': ['a', 'b']}");
  deepEqual(second!.extra, { user: "bo" });
  equal(third!.getMessage(), "third");
  deepEqual(third!.extra, { user: "cy" });
});

Deno.test("logTapeRecordDict() evaluates lazy() properties and keeps the others", () => {
  const lz = (getter: () => unknown) => ({
    [Symbol.for("logtape.lazy")]: true,
    getter,
  });
  const props = { a: 1, l: lz(() => [1, 2]), b: "x" };
  const d = logTapeRecordDict(rec({ properties: props }));
  deepEqual([d.a, d.l, d.b], [1, [1, 2], "x"]);
  equal(typeof props.l, "object"); // the caller's object is not changed
  const bad = lz(() => {
    throw new Error("nope");
  });
  const d3 = logTapeRecordDict(rec({ properties: { a: 1, bad, c: 2 } }));
  deepEqual([d3.a, d3.bad, d3.c], [1, "<unreadable: Error: nope>", 2]);
  const notLazy = { [Symbol.for("logtape.lazy")]: false, getter: () => 1 };
  const d2 = logTapeRecordDict(rec({ properties: { v: notLazy } }));
  deepEqual(d2.v, { getter: "[Function: getter]" });
});

/** The payloads a sink with these options sends for the records. */
async function sentPayloads(
  records: LogRecord[],
  options: Parameters<typeof getSocketSink>[0] = {},
): Promise<Uint8Array[]> {
  await using server = FrameServer.tcp();
  const sink = getSocketSink({
    hostname: "127.0.0.1",
    port: server.port,
    ...options,
  });
  try {
    for (const r of records) sink(r);
    await sink.flush(5000);
    await server.waitForFrames(records.length);
  } finally {
    await sink[Symbol.asyncDispose]();
  }
  return server.frames;
}

Deno.test("getSocketSink() sends the bytes of logTapeRecordDict(), also for records it frames from their fields", async () => {
  const mapping = { traceLevel: 5 } as const;
  const records = [
    rec(), // no properties: framed from its fields
    rec({ message: ["GET ", "/users", " took ", 12.5, " ms"] }),
    rec({ level: "trace", category: ["日本"] }),
    rec({ properties: { user: "al" } }), // extras: the dict
    rec({ properties: { error: new Error("boom") } }),
    rec({ message: ["failed: ", new Error("inline"), ""] }),
    rec({
      sourceLocation: { file: "file:///srv/app.ts", line: 7, column: 3 },
    } as Partial<LogRecord>),
    rec({ message: ["x"] }), // a one-character message: the dict
  ];
  const frames = await sentPayloads(records, mapping);
  const hex = (b: Uint8Array) =>
    Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  deepEqual(
    frames.map(hex),
    records.map((r) =>
      hex(
        dumpsFrame(logTapeRecordDict(r, mapping), { protocol: 1 }).subarray(4),
      )
    ),
  );
});

Deno.test("getSocketSink() frames messages of primitive parts (written straight into the frame) as their rendered text, 300 generated", async () => {
  const part = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.string({ unit: "binary", maxLength: 4 }),
    fc.constantFrom("%s", "100%", "%d%%", "\ud83d", "\ude00", ""),
    fc.integer(),
    fc.double(),
    fc.constantFrom(-0, 2 ** 53, 1e16, NaN, true, false, null, undefined, 7n),
  );
  const messages = fc.sample(
    fc.array(part, { minLength: 1, maxLength: 9 }),
    { numRuns: 300, seed: 1206 },
  );
  const records = messages.map((message) => rec({ message }));
  const frames = await sentPayloads(records);
  for (let i = 0; i < records.length; i++) {
    const parts = records[i]!.message as unknown[];
    const text = parts.map((p) => typeof p === "string" ? p : pyStr(p))
      .join("");
    const dict = logTapeRecordDict(records[i]!);
    equal(dict.msg, text, JSON.stringify(parts.map(String)));
    deepEqual(
      frames[i],
      dumpsFrame(dict, { protocol: 1 }).subarray(4),
      `record ${i}: ${JSON.stringify(parts.map(String))} ${
        JSON.stringify(loads(frames[i]!))
      }`,
    );
  }
});
