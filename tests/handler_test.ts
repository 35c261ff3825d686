// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import * as log from "@std/log";
import { Logger, LogRecord } from "@std/log/logger";
import { SocketHandler } from "../handler.ts";
import { loads } from "../pickle/decoder.ts";
import { dumpsFrame } from "../pickle.ts";

/** A loopback receiver that decodes every frame with our safe loads(). */
function collector() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const records: Record<string, unknown>[] = [];
  const conns = new Set<Deno.Conn>();
  let waiters: (() => void)[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        let buf = new Uint8Array(0);
        const chunk = new Uint8Array(65536);
        try {
          for (;;) {
            const n = await conn.read(chunk);
            if (n === null) break;
            const next = new Uint8Array(buf.length + n);
            next.set(buf);
            next.set(chunk.subarray(0, n), buf.length);
            buf = next;
            while (buf.length >= 4) {
              const len = new DataView(buf.buffer, buf.byteOffset).getUint32(0);
              if (buf.length < 4 + len) break;
              records.push(
                loads(buf.subarray(4, 4 + len)) as Record<string, unknown>,
              );
              buf = buf.slice(4 + len);
              for (const w of waiters) w();
              waiters = [];
            }
          }
        } catch {
          // connection reset
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // closed
          }
        }
      })();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    records,
    async waitFor(n: number, ms = 5000) {
      const end = Date.now() + ms;
      while (records.length < n && Date.now() < end) {
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          const t = setTimeout(resolve, 50);
          waiters.push(() => clearTimeout(t));
        });
      }
      return records;
    },
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed
        }
      }
      await loop;
    },
  };
}

function record(msg: string, args: unknown[] = [], level = 20, name = "t") {
  return new LogRecord({
    msg,
    args,
    level: level as LogRecord["level"] as 20,
    loggerName: name,
  });
}

Deno.test("SocketHandler constructor rejects bad configuration clearly", () => {
  throws(() => new SocketHandler("INFO", { port: 0 }), RangeError);
  throws(
    () => new SocketHandler("INFO", { port: 70000 }),
    /'port' must be an integer from 1 to 65535: current value is 70000/,
  );
  throws(() => new SocketHandler("INFO", { port: 1.5 }), RangeError);
  throws(() => new SocketHandler("INFO", { hostname: "" }), TypeError);
  throws(
    () => new SocketHandler("INFO", { path: "/tmp/x", port: 1 }),
    /'path' excludes 'hostname' and 'port'/,
  );
  throws(() => new SocketHandler("INFO", { path: "" }), TypeError);
  throws(() => new SocketHandler("INFO", { maxQueueRecords: -1 }), RangeError);
  throws(() => new SocketHandler("INFO", { maxQueueBytes: 0 }), RangeError);
  throws(() => new SocketHandler("INFO", { retryStart: -5 }), RangeError);
  throws(() => new SocketHandler("INFO", { jitter: 2 }), RangeError);
  throws(() => new SocketHandler("INFO", { protocol: 7 as 1 }), RangeError);
  throws(
    () => new SocketHandler("INFO", { overflow: "drop-all" as "drop-oldest" }),
    /'overflow' must be "drop-oldest" or "drop-newest"/,
  );
  // deno-lint-ignore no-explicit-any
  throws(() => new SocketHandler("NOPE" as any), /no level named NOPE/);
});

Deno.test("SocketHandler defaults match CPython's SocketHandler", async () => {
  await using h = new SocketHandler("INFO");
  equal(h.hostname, "localhost");
  equal(h.port, 9020);
  equal(h.path, undefined);
  equal(h.protocol, 1);
  equal(h.closeOnError, false);
});

Deno.test("makePickle() writes the length-prefixed protocol-1 dict CPython expects", async () => {
  await using h = new SocketHandler("INFO", { port: 9 });
  const frame = h.makePickle(record("x %d", [5], 30, "app"));
  const len = new DataView(frame.buffer, frame.byteOffset).getUint32(0);
  equal(len, frame.length - 4);
  deepEqual([...frame.subarray(4, 8)], [0x7d, 0x71, 0x00, 0x28]);
  deepEqual([...frame.subarray(frame.length - 2)], [0x75, 0x2e]);
  const d = loads(frame.subarray(4)) as Record<string, unknown>;
  equal(d.name, "app");
  equal(d.msg, "x 5");
  equal(d.levelname, "WARNING");
  equal(d.levelno, 30);
  equal(d.args, null);
  equal(d.exc_info, null);
  ok(!("message" in d));
});

Deno.test("handle() applies level and filters, never throws, and counts", async () => {
  const c = collector();
  const h = new SocketHandler("INFO", { hostname: "127.0.0.1", port: c.port });
  try {
    equal(h.handle(record("debug", [], 10)), false);
    const noSecrets = (r: LogRecord) => !r.msg.includes("secret");
    h.addFilter(noSecrets);
    h.addFilter({ filter: (r: LogRecord) => r.loggerName !== "muted" });
    equal(h.handle(record("a secret")), false);
    equal(h.handle(record("hello", [], 20, "muted")), false);
    equal(h.handle(record("kept")), true);
    h.removeFilter(noSecrets);
    equal(h.handle(record("a secret now allowed")), true);
    h.addFilter(() => {
      throw new Error("filter bug");
    });
    equal(h.handle(record("rejected by a throwing filter")), false);
    h.filters.length = 0;
    h.setLevel("ERROR");
    equal(h.handle(record("info")), false);
    h.setLevel(20);
    equal(h.levelName, "INFO");
    equal((await h.flush(5000)).sent, 2);
    const got = await c.waitFor(2);
    deepEqual(got.map((r) => r.msg), ["kept", "a secret now allowed"]);
    const s = h.stats();
    equal(s.emitted, 2);
    equal(s.emitted, s.sent + s.dropped + s.pendingRecords);
  } finally {
    await h.close(1000);
    await c.close();
  }
});

Deno.test("a custom formatter renders msg; the default renders msg % args", async () => {
  await using h = new SocketHandler("INFO", {
    port: 9,
    formatter: (r) => `[${r.loggerName}] ${r.msg}`,
  });
  const d1 = loads(h.makePickle(record("hi %s", ["x"])).subarray(4)) as Record<
    string,
    unknown
  >;
  equal(d1.msg, "[t] hi %s");
  h.setFormatter(undefined);
  const d2 = loads(h.makePickle(record("hi %s", ["x"])).subarray(4)) as Record<
    string,
    unknown
  >;
  equal(d2.msg, "hi x");
});

Deno.test("@std/log setup() twice and stale Logger references are safe", async () => {
  const c = collector();
  const h = new SocketHandler("DEBUG", { hostname: "127.0.0.1", port: c.port });
  try {
    const config = {
      handlers: { py: h },
      loggers: { app: { level: "DEBUG" as const, handlers: ["py"] } },
    };
    log.setup(config);
    const stale = log.getLogger("app");
    stale.info("one");
    log.setup(config); // destroy() then setup() on the same instance
    const fresh = log.getLogger("app");
    ok(fresh !== stale);
    fresh.warn("two");
    stale.error("three from the stale logger");
    equal((await h.flush(5000)).pending, 0);
    const got = await c.waitFor(3);
    deepEqual(got.map((r) => [r.msg, r.levelname]), [
      ["one", "INFO"],
      ["two", "WARNING"],
      ["three from the stale logger", "ERROR"],
    ]);
  } finally {
    log.setup({ handlers: {}, loggers: {} });
    await h.close(1000);
    await c.close();
  }
  // after close: handle() still safe, counted as dropped
  const before = h.stats();
  const logger = new Logger("late", "INFO", { handlers: [h] });
  logger.info("after close");
  const after = h.stats();
  equal(after.emitted, before.emitted + 1);
  equal(after.droppedByReason.closed, before.droppedByReason.closed + 1);
});

Deno.test("hostile args never make logging throw and still produce valid frames", async () => {
  const c = collector();
  const h = new SocketHandler("INFO", { hostname: "127.0.0.1", port: c.port });
  try {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const getter = {
      get boom() {
        throw new Error("getter");
      },
    };
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const hostile: unknown[] = [
      cyclic,
      getter,
      revocable.proxy,
      Symbol("s"),
      () => 1,
      10n ** 30n,
      "x".repeat(1_000_000),
      new Proxy({}, {
        ownKeys() {
          throw new Error("trap");
        },
      }),
      {
        toString() {
          throw new Error("toString");
        },
      },
      "\ud800",
    ];
    const logger = new Logger("hostile", "INFO", { handlers: [h] });
    for (const v of hostile) logger.info("value %s", v);
    logger.info("all", ...hostile);
    const n = hostile.length + 1;
    equal((await h.flush(10_000)).pending, 0);
    const got = await c.waitFor(n, 10_000);
    equal(got.length, n);
    const s = h.stats();
    equal(s.emitted, n);
    equal(s.sent, n);
    equal(s.dropped, 0);
    match(String(got[9]!.msg), /^value /);
  } finally {
    await h.close(1000);
    await c.close();
  }
});

function callSite(logger: Logger): void {
  logger.info("where am I");
}

Deno.test("includeCallerInfo fills caller fields from the logging call site", async () => {
  const c = collector();
  const h = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port: c.port,
    includeCallerInfo: true,
  });
  try {
    callSite(new Logger("caller", "INFO", { handlers: [h] }));
    const [d] = await c.waitFor(1);
    equal(d!.filename, "handler_test.ts");
    equal(d!.module, "handler_test");
    equal(d!.funcName, "callSite");
    match(String(d!.pathname), /tests\/handler_test\.ts$/);
    ok(typeof d!.lineno === "number" && d!.lineno > 0);
  } finally {
    await h.close(1000);
    await c.close();
  }
});

Deno.test("a message larger than maxQueueBytes is dropped as oversize before encoding", async () => {
  const errors: string[] = [];
  await using h = new SocketHandler("INFO", {
    port: 9,
    maxQueueBytes: 1000,
    onError: (e, kind) => errors.push(`${kind}: ${e.message}`),
  });
  const logger = new Logger("big", "INFO", { handlers: [h] });
  logger.info("x".repeat(2000));
  logger.info("%s", "y".repeat(50_000_000));
  const s = h.stats();
  equal(s.emitted, 2);
  equal(s.droppedByReason.oversize, 2);
  equal(s.pendingRecords, 0);
  equal(errors.length, 1); // rate-limited: one report per kind
  match(errors[0]!, /^oversize: .*larger than 'maxQueueBytes'/);
});

Deno.test("makePickle() frames the common record from its fields with the bytes of its dict, and keeps to makeRecordDict otherwise", async () => {
  const hex = (b: Uint8Array) =>
    Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const records = [
    record("plain"),
    record("x %d of %s", [5, "y"], 30, "app.db"),
    record("unicode é \u{1F600} %s", ["\ud800"], 40, "日本"),
    record("%(a)s", [{ a: 1 }]), // a mapping arg: the dict path
    record("boom\n    at f (file:///a.ts:1:1)"), // an Error's text
    record("z", [], 50, "crit"),
  ];
  for (const protocol of [1, 2, 3, 4] as const) {
    const h = new SocketHandler("DEBUG", { port: 9, protocol });
    try {
      for (const r of records) {
        const dict = h.makeRecordDict(r);
        const fields = h.makeRecordFields(r);
        const plain = Object.keys(dict).length === 21 &&
          dict.exc_text === null;
        equal(fields !== undefined, plain, `protocol ${protocol}: ${r.msg}`);
        equal(
          hex(h.makePickle(r)),
          hex(dumpsFrame(dict, { protocol })),
          `protocol ${protocol}: ${r.msg}`,
        );
      }
    } finally {
      await h.close(0);
    }
  }
  // No fields path when the dict could differ from the plain one.
  class Custom extends SocketHandler {
    override makeRecordDict(r: LogRecord): Record<string, unknown> {
      const d = super.makeRecordDict(r);
      d.msg = `custom ${d.msg}`;
      return d;
    }
  }
  const custom = new Custom("DEBUG", { port: 9 });
  const callers = new SocketHandler("DEBUG", {
    port: 9,
    includeCallerInfo: true,
  });
  const formatted = new SocketHandler("DEBUG", { port: 9 });
  formatted.setFormatter((r) => `F ${r.msg}`);
  try {
    equal(custom.makeRecordFields(record("a b")), undefined);
    equal(
      (loads(custom.makePickle(record("a b")).subarray(4)) as {
        msg: string;
      }).msg,
      "custom a b",
    );
    equal(callers.makeRecordFields(record("a b")), undefined);
    equal(formatted.makeRecordFields(record("a b")), undefined);
    equal(
      (loads(formatted.makePickle(record("a b")).subarray(4)) as {
        msg: string;
      }).msg,
      "F a b",
    );
  } finally {
    await custom.close(0);
    await callers.close(0);
    await formatted.close(0);
  }
});

Deno.test("SocketHandler: a record logged while another is being framed (an arg's getter logs) leaves both intact", async () => {
  const c = collector();
  const handler = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port: c.port,
  });
  const logger = new Logger("nest", "INFO", { handlers: [handler] });
  let nested = 0;
  class Noisy extends Error {
    override get message(): string {
      if (nested++ === 0) logger.info("inner %d of %s", 7, "x");
      return "noisy";
    }
  }
  try {
    logger.info("plain %d", 1);
    logger.warn("outer %s and %d", new Noisy(), 2);
    logger.info("plain %d", 3);
    const got = await c.waitFor(4);
    deepEqual(got.map((r) => [r.msg, r.levelname]), [
      ["plain 1", "INFO"],
      ["inner 7 of x", "INFO"],
      ["outer noisy and 2", "WARNING"],
      ["plain 3", "INFO"],
    ]);
    equal(nested > 0, true);
  } finally {
    await handler.close();
    await c.close();
  }
});
