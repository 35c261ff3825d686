// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, ok } from "node:assert/strict";
import { BaseHandler } from "@std/log/base-handler";
import { Logger, type LogRecord } from "@std/log/logger";
import {
  type CallerInfo,
  captureCaller,
  fromStdLogRecord,
  LIMITS,
  plainRecordFields,
  pythonLevelName,
  recordDict,
  RESERVED_KEYS,
  THREAD_ID,
  THREAD_NAME,
} from "../record.ts";
import { dumps, dumpsFrame, PyFloat, pyFloat, pyTuple } from "../pickle.ts";
import fc from "npm:fast-check@^4";
import { RECORD_KEYS as KEYS } from "./_golden.ts";

const T = 1_700_000_000_250;

function floatOf(v: unknown): number {
  ok(v instanceof PyFloat, `expected a PyFloat, got ${String(v)}`);
  return v.value;
}

/** The line of the caller of this function. */
function lineHere(): number {
  const line = new Error().stack!.split("\n")[2]!;
  return Number(/:(\d+):\d+\)?$/.exec(line)![1]);
}

Deno.test("pythonLevelName() maps levels like logging.getLevelName()", () => {
  deepEqual(
    [0, 10, 20, 30, 40, 50, 5, 25, 60, -10, 25.5, NaN].map(pythonLevelName),
    [
      "NOTSET",
      "DEBUG",
      "INFO",
      "WARNING",
      "ERROR",
      "CRITICAL",
      "Level 5",
      "Level 25",
      "Level 60",
      "Level -10",
      "Level 25.5",
      "Level nan",
    ],
  );
});

Deno.test("recordDict() builds every CPython 3.12 key in order with CPython's types and unknown-caller sentinels", () => {
  const d = recordDict({ name: "app.db", level: 30, msg: "hello", timeMs: T });
  deepEqual(Object.keys(d), KEYS);
  equal(d.name, "app.db");
  equal(d.msg, "hello");
  equal(d.args, null);
  equal(d.levelname, "WARNING");
  equal(d.levelno, 30);
  equal(d.pathname, "(unknown file)");
  equal(d.filename, "(unknown file)");
  equal(d.module, "(unknown file)");
  equal(d.exc_info, null);
  equal(d.exc_text, null);
  equal(d.stack_info, null);
  equal(d.lineno, 0);
  equal(d.funcName, "(unknown function)");
  equal(floatOf(d.created), 1700000000.25);
  equal(floatOf(d.msecs), 250);
  ok(d.relativeCreated instanceof PyFloat);
  equal(d.thread, Deno.pid);
  equal(d.thread, THREAD_ID);
  equal(d.threadName, "MainThread");
  equal(THREAD_NAME, "MainThread");
  equal(d.processName, "MainProcess");
  equal(d.process, Deno.pid);
  equal(d.taskName, null);
});

Deno.test("recordDict() computes created, msecs and relativeCreated from epoch milliseconds", () => {
  const a = recordDict({ name: "n", level: 20, msg: "", timeMs: 1000 });
  const b = recordDict({ name: "n", level: 20, msg: "", timeMs: 3500 });
  equal(floatOf(a.created), 1);
  equal(floatOf(a.msecs), 0);
  equal(floatOf(b.created), 3.5);
  equal(floatOf(b.msecs), 500);
  equal(floatOf(b.relativeCreated) - floatOf(a.relativeCreated), 2500);
  const now = Date.now();
  const c = recordDict({ name: "n", level: 20, msg: "", timeMs: now });
  const rel = floatOf(c.relativeCreated);
  ok(rel >= 0 && rel < 600_000, `relativeCreated ${rel}`);
  const neg = recordDict({ name: "n", level: 20, msg: "", timeMs: -1 });
  equal(floatOf(neg.msecs), 999);
  equal(floatOf(neg.created), -0.001);
  const frac = recordDict({ name: "n", level: 20, msg: "", timeMs: 1999.75 });
  equal(floatOf(frac.msecs), 999);
  equal(floatOf(frac.created), 1.99975);
  const bad = recordDict({ name: "n", level: 20, msg: "", timeMs: NaN });
  ok(Math.abs(floatOf(bad.created) * 1000 - Date.now()) < 60_000);
});

Deno.test("recordDict() uses caller information when given", () => {
  const caller: CallerInfo = {
    pathname: "/app/main.ts",
    filename: "main.ts",
    module: "main",
    lineno: 12,
    funcName: "main",
  };
  const d = recordDict({ name: "n", level: 40, msg: "m", timeMs: T, caller });
  deepEqual(
    [d.pathname, d.filename, d.module, d.lineno, d.funcName],
    ["/app/main.ts", "main.ts", "main", 12, "main"],
  );
  deepEqual(Object.keys(d), KEYS);
});

Deno.test("recordDict() renders msg % args and appends unused args", () => {
  const r = (msg: string, ...args: unknown[]) =>
    recordDict({ name: "n", level: 20, msg, args, timeMs: T }).msg;
  equal(r("%s has %d%% of %.1f", "disk", 93, 12.25), "disk has 93% of 12.2");
  equal(r("no args: %s %d 100%%"), "no args: %s %d 100%%");
  equal(
    r("user", "al", 3, 1.5, true, null, ["x", 1]),
    "user al 3 1.5 True None ['x', 1]",
  );
  equal(r("%s", "a", "b"), "a b");
  equal(r("%s and %s", "a"), "a and %s");
  equal(r("50% off", { sale: true }), "50% off");
  equal(r("100%% done", { a: 1 }), "100% done");
  equal(r("%(user)s from %(ip)s", { user: "al", ip: "::1" }), "al from ::1");
  equal(r("%d items", "many"), "many items");
  equal(r("v=%r", "it's"), `v="it's"`);
  equal(r("err: %s", new Error("boom")), "err: boom");
  equal(r("err", new Error("boom")), "err");
  equal(r("big %s", 10n ** 20n), "big 100000000000000000000");
});

Deno.test("recordDict() turns plain-object args and extra into extras, renaming reserved keys", () => {
  const d = recordDict({
    name: "n",
    level: 20,
    msg: "login %s",
    args: ["al", { user: "al", name: "clash", msg: "m2" }, { user: "dup" }],
    extra: { request: 7, taskName: "t", extra_name: "x" },
    timeMs: T,
  });
  deepEqual(Object.keys(d), [
    ...KEYS,
    "request",
    "extra_taskName",
    "extra_name",
    "user",
    "extra_extra_name",
    "extra_msg",
    "extra_user",
  ]);
  equal(d.msg, "login al");
  equal(d.name, "n");
  equal(d.taskName, null);
  equal(d.extra_taskName, "t");
  equal(d.extra_name, "x");
  equal(d.extra_extra_name, "clash");
  equal(d.extra_msg, "m2");
  equal(d.user, "al");
  equal(d.extra_user, "dup");
  for (const k of RESERVED_KEYS) {
    ok(k in d || k === "message" || k === "asctime");
  }
  const m = recordDict({
    name: "n",
    level: 20,
    msg: "x",
    extra: { message: 1, asctime: 2 },
    timeMs: T,
  });
  equal(m.extra_message, 1);
  equal(m.extra_asctime, 2);
  ok(!("message" in m) && !("asctime" in m));
});

Deno.test("recordDict() keeps a '__proto__' extra as a plain key", () => {
  const extra = JSON.parse(
    '{"__proto__": {"polluted": 1}, "k": {"__proto__": 2}}',
  );
  const d = recordDict({ name: "n", level: 20, msg: "x", extra, timeMs: T });
  ok(Object.hasOwn(d, "__proto__"));
  equal(Object.getPrototypeOf(d), Object.prototype);
  deepEqual(Object.keys(d).slice(-2), ["__proto__", "k"]);
  const k = d.k as Record<string, unknown>;
  ok(Object.hasOwn(k, "__proto__"));
  equal(Object.getPrototypeOf(k), Object.prototype);
  equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("recordDict() fills exc_text from Errors with their cause chain", () => {
  const inner = new TypeError("inner");
  const outer = new Error("outer", { cause: inner });
  const d = recordDict({
    name: "n",
    level: 40,
    msg: "failed %s",
    args: [outer],
    timeMs: T,
  });
  equal(d.msg, "failed outer");
  equal(d.exc_text, `${outer.stack}\nCaused by: ${inner.stack}`);
  // a cause cycle and a non-Error cause
  const a = new Error("a");
  const b = new Error("b", { cause: a });
  (a as { cause?: unknown }).cause = b;
  const c = recordDict({
    name: "n",
    level: 40,
    msg: "x",
    args: [a],
    timeMs: T,
  });
  equal(c.exc_text, `${a.stack}\nCaused by: ${b.stack}\nCaused by: [circular]`);
  const s = recordDict({
    name: "n",
    level: 40,
    msg: "x",
    args: [new Error("e", { cause: { code: 7 } })],
    timeMs: T,
  });
  ok((s.exc_text as string).endsWith("\nCaused by: {'code': 7}"));
  // several errors, the error field and Errors in extra
  const e1 = new Error("one");
  const e2 = new RangeError("two");
  const e3 = new Error("three");
  const m = recordDict({
    name: "n",
    level: 40,
    msg: "x",
    args: [e1],
    extra: { err: e2 },
    error: e3,
    timeMs: T,
  });
  equal(m.exc_text, `${e3.stack}\n\n${e2.stack}\n\n${e1.stack}`);
  equal(m.err, "RangeError: two");
  const t = recordDict({
    name: "n",
    level: 40,
    msg: "x",
    error: "Traceback…",
    timeMs: T,
  });
  equal(t.exc_text, "Traceback…");
});

Deno.test("recordDict() makes extras picklable", () => {
  class Point {
    x = 1;
  }
  const d = recordDict({
    name: "n",
    level: 20,
    msg: "x",
    extra: {
      u: undefined,
      date: new Date(0),
      f: pyFloat(2),
      tup: pyTuple([1, "a"]),
      map: new Map<unknown, unknown>([[1, "a"], [[1], "b"], [{ o: 1 }, "c"]]),
      set: new Set<unknown>([1, [2], "s"]),
      bytes: new Uint8Array([1, 2]),
      buf: new Uint8Array([3]).buffer,
      f64: new Float64Array([1.5]),
      fn: function named() {},
      sym: Symbol("s"),
      point: new Point(),
      nested: { deep: [{ x: [undefined] }] },
    },
    timeMs: T,
  });
  equal(d.u, null);
  equal(d.date, "1970-01-01T00:00:00.000Z");
  equal(floatOf(d.f), 2);
  deepEqual((d.tup as { items: unknown[] }).items, [1, "a"]);
  deepEqual(
    d.map,
    new Map<unknown, unknown>([[1, "a"], ["[1]", "b"], ["{'o': 1}", "c"]]),
  );
  deepEqual(d.set, new Set<unknown>([1, "[2]", "s"]));
  deepEqual(d.bytes, new Uint8Array([1, 2]));
  deepEqual(d.buf, new Uint8Array([3]));
  deepEqual(d.f64, [1.5]);
  equal(d.fn, "[Function: named]");
  equal(d.sym, "Symbol(s)");
  equal(d.point, "Point { x: 1 }");
  deepEqual(d.nested, { deep: [{ x: [null] }] });
});

Deno.test("recordDict() caps depth, sizes and cycles in extras", () => {
  let deep: unknown = "leaf";
  for (let i = 0; i < 10_000; i++) deep = { d: deep };
  const cyc: Record<string, unknown> = { k: 1 };
  cyc.self = cyc;
  const arr: unknown[] = [];
  arr.push(arr);
  const d = recordDict({
    name: "n",
    level: 20,
    msg: "x",
    extra: {
      deep,
      cyc,
      arr,
      long: "y".repeat(LIMITS.stringLength + 10),
      many: new Array(1_000_000).fill(1),
      sparse: new Array(2 ** 32 - 1),
    },
    timeMs: T,
  });
  let node = d.deep;
  let depth = 0;
  while (typeof node === "object" && node !== null) {
    node = (node as { d: unknown }).d;
    depth++;
  }
  equal(depth, LIMITS.depth);
  equal(node, "…");
  deepEqual(d.cyc, { k: 1, self: "{...}" });
  deepEqual(d.arr, ["[...]"]);
  equal((d.long as string).length, LIMITS.stringLength + 1);
  ok((d.long as string).endsWith("y…"));
  const many = d.many as unknown[];
  ok(many.length <= LIMITS.values + 1);
  equal(many.at(-1), "…");
  deepEqual(d.sparse, "…");
  const frame = dumpsFrame(d, { protocol: 1 });
  ok(frame.length > 100_000);
});

Deno.test("recordDict() builds records with the same key order whatever the input", () => {
  const shapes = [
    recordDict({ name: "a", level: 10, msg: "x", timeMs: T }),
    recordDict({ name: "a", level: 10, msg: "x %s", args: [1], timeMs: T }),
    recordDict({
      name: "a",
      level: 10,
      msg: "x",
      timeMs: T,
      caller: {
        pathname: "p",
        filename: "p",
        module: "p",
        lineno: 1,
        funcName: "f",
      },
    }),
  ];
  for (const s of shapes) deepEqual(Object.keys(s), KEYS);
});

// ---------------------------------------------------------------------------
// @std/log

class CaptureHandler extends BaseHandler {
  dicts: Record<string, unknown>[] = [];
  callers: (CallerInfo | undefined)[] = [];
  constructor(readonly stacklevel = 2) {
    super("NOTSET");
  }
  override handle(record: LogRecord): void {
    const caller = captureCaller(this.stacklevel);
    this.callers.push(caller);
    this.dicts.push(fromStdLogRecord(record, caller));
  }
  log(): void {}
}

Deno.test("fromStdLogRecord() maps an @std/log record (WARN → WARNING, args, time)", () => {
  const h = new CaptureHandler();
  const logger = new Logger("app", "NOTSET", { handlers: [h] });
  const before = Date.now();
  logger.warn("disk %s at %d%%", "sda", 93, { host: "db1" });
  logger.critical("down");
  logger.debug("dbg");
  logger.info({ a: 1 });
  logger.error(() => "lazy %s", "x");
  const [w, c, dbg, obj, lazy] = h.dicts;
  equal(w!.levelname, "WARNING");
  equal(w!.levelno, 30);
  equal(w!.msg, "disk sda at 93%");
  equal(w!.host, "db1");
  equal(w!.name, "app");
  const created = floatOf(w!.created) * 1000;
  ok(created >= before - 1 && created <= Date.now() + 1);
  equal(c!.levelname, "CRITICAL");
  equal(dbg!.levelname, "DEBUG");
  equal(obj!.msg, '{"a":1}');
  equal(lazy!.msg, "lazy x");
  for (const d of h.dicts) deepEqual(Object.keys(d).slice(0, 21), KEYS);
});

Deno.test("fromStdLogRecord() splits an Error message into msg and exc_text", () => {
  const h = new CaptureHandler();
  const logger = new Logger("app", "NOTSET", { handlers: [h] });
  const err = new Error("boom");
  logger.error(err);
  const d = h.dicts[0]!;
  equal(d.msg, "Error: boom");
  equal(d.exc_text, err.stack);
  logger.info("two\nlines");
  equal(h.dicts[1]!.msg, "two\nlines");
  equal(h.dicts[1]!.exc_text, null);
  // Only a frame right after the first line makes a message stack-shaped.
  logger.info("one\ntwo\n    at f (file:///a.ts:1:1)");
  equal(h.dicts[2]!.msg, "one\ntwo\n    at f (file:///a.ts:1:1)");
  equal(h.dicts[2]!.exc_text, null);
  logger.info("head\n    at g (file:///b.ts:2:3)\n    at h");
  equal(h.dicts[3]!.msg, "head");
  equal(h.dicts[3]!.exc_text, "head\n    at g (file:///b.ts:2:3)\n    at h");
  logger.info("tail\n   at x");
  equal(h.dicts[4]!.exc_text, null);
});

Deno.test("fromStdLogRecord() reads args and datetime once each and survives a hostile record", () => {
  let argsReads = 0;
  let dateReads = 0;
  const fake = {
    msg: "m %s",
    level: 20,
    levelName: "INFO",
    loggerName: "fake",
    get args() {
      argsReads++;
      return ["x"];
    },
    get datetime() {
      dateReads++;
      return new Date(T);
    },
  } as unknown as LogRecord;
  const d = fromStdLogRecord(fake);
  equal(argsReads, 1);
  equal(dateReads, 1);
  equal(d.msg, "m x");
  equal(floatOf(d.created), 1700000000.25);
  const hostile = new Proxy({}, {
    get() {
      throw new Error("no");
    },
  }) as unknown as LogRecord;
  const h = fromStdLogRecord(hostile);
  deepEqual(Object.keys(h), KEYS);
  equal(h.name, "root");
  dumps(h, { protocol: 1 });
});

Deno.test("captureCaller() finds the logging call site through @std/log", () => {
  const h = new CaptureHandler();
  const logger = new Logger("app", "NOTSET", { handlers: [h] });
  function callSite(): number {
    const line = lineHere() + 1;
    logger.info("from a function");
    return line;
  }
  class Service {
    run(): number {
      const line = lineHere() + 1;
      logger.warn("from a method");
      return line;
    }
  }
  const l1 = callSite();
  const l2 = new Service().run();
  const l3 = lineHere() + 1;
  logger.error("from the test body");
  const [c1, c2, c3] = h.callers;
  const path = new URL(import.meta.url).pathname;
  deepEqual(c1, {
    pathname: path,
    filename: "record_test.ts",
    module: "record_test",
    lineno: l1,
    funcName: "callSite",
  });
  equal(c2!.lineno, l2);
  equal(c2!.funcName, "Service.run");
  equal(c3!.lineno, l3);
  equal(c3!.funcName, "<module>");
  const d = h.dicts[0]!;
  deepEqual(
    [d.pathname, d.filename, d.module, d.lineno, d.funcName],
    [path, "record_test.ts", "record_test", l1, "callSite"],
  );
});

Deno.test("captureCaller() with the default stacklevel reports the first frame outside the package and @std/log", () => {
  const h = new CaptureHandler(1);
  const logger = new Logger("app", "NOTSET", { handlers: [h] });
  logger.info("x");
  equal(h.callers[0]!.funcName, "CaptureHandler.handle");
  equal(h.callers[0]!.filename, "record_test.ts");
  async function later() {
    await Promise.resolve();
    return captureCaller();
  }
  return later().then((c) => {
    equal(c!.funcName, "later");
  });
});

Deno.test("captureCaller() returns undefined when the stack is unusable", () => {
  const E = Error as unknown as { prepareStackTrace?: unknown };
  const saved = E.prepareStackTrace;
  E.prepareStackTrace = () => 42;
  try {
    equal(captureCaller(), undefined);
  } finally {
    E.prepareStackTrace = saved;
  }
  equal(captureCaller(1000), undefined);
});

// ---------------------------------------------------------------------------
// Hostile values

function hostileValues(): [string, unknown][] {
  const cycArr: unknown[] = [1];
  cycArr.push(cycArr);
  const cycObj: Record<string, unknown> = {};
  cycObj.me = cycObj;
  const m1: Record<string, unknown> = {};
  const m2: Record<string, unknown> = { m1 };
  m1.m2 = m2;
  const selfMap = new Map<unknown, unknown>();
  selfMap.set("me", selfMap);
  selfMap.set(selfMap, 1);
  const selfSet = new Set<unknown>();
  selfSet.add(selfSet);
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const { proxy: revokedArr, revoke: revoke2 } = Proxy.revocable([], {});
  revoke2();
  const thrower = () => {
    throw new Error("trap");
  };
  const trapAll = new Proxy({}, {
    get: thrower,
    has: thrower,
    ownKeys: thrower,
    getPrototypeOf: thrower,
    getOwnPropertyDescriptor: thrower,
  });
  const arrTrap = new Proxy([1, 2], { get: thrower });
  const fnProxy = new Proxy(function f() {}, { get: thrower });
  const selfProxy: unknown = new Proxy({}, {
    get: (_t, k) => k === Symbol.toPrimitive ? undefined : selfProxy,
    ownKeys: () => ["a", "b"],
    getOwnPropertyDescriptor: () => ({
      value: 1,
      enumerable: true,
      configurable: true,
    }),
  });
  let deepArr: unknown = 0;
  let deepObj: unknown = 0;
  let deepMap: unknown = 0;
  for (let i = 0; i < 10_000; i++) {
    deepArr = [deepArr];
    deepObj = { d: deepObj };
    deepMap = new Map([["d", deepMap]]);
  }
  const badGetter = {
    get boom() {
      throw new Error("getter");
    },
    fine: 1,
  };
  const badToString = {
    toString() {
      throw new Error("toString");
    },
  };
  const badPrim = {
    [Symbol.toPrimitive]() {
      throw new Error("prim");
    },
    valueOf() {
      throw new Error("valueOf");
    },
  };
  class WithBadProtoGetter {
    get bad() {
      throw new Error("proto getter");
    }
  }
  class Thrower {
    toString(): string {
      throw new Error("instance toString");
    }
  }
  const errBadStack = new Error("bad stack");
  Object.defineProperty(errBadStack, "stack", { get: thrower });
  const errBadMsg = new Error("x");
  Object.defineProperty(errBadMsg, "message", { get: thrower });
  const errObjMsg = new Error();
  (errObjMsg as { message: unknown }).message = { m: 1 };
  const errCycle = new Error("cycle");
  (errCycle as { cause?: unknown }).cause = errCycle;
  const errThrowCause = new Error("cause getter");
  Object.defineProperty(errThrowCause, "cause", { get: thrower });
  let longCause: Error = new Error("root");
  for (let i = 0; i < 100; i++) {
    longCause = new Error(`e${i}`, { cause: longCause });
  }
  const rejected = Promise.reject(new Error("rejected"));
  rejected.catch(() => {});
  const detached = new ArrayBuffer(8);
  detached.transfer();
  const lazy = {
    get next(): unknown {
      return { lazy: this.next, n: Math.random() };
    },
  };
  const nullProto = Object.create(null);
  nullProto.k = 1;
  nullProto["__proto__"] = "x";
  const manyKeys: Record<string, number> = {};
  for (let i = 0; i < 200_000; i++) manyKeys["k" + i] = i;
  function* gen() {
    yield 1;
  }
  return [
    ["cyclic array", cycArr],
    ["cyclic object", cycObj],
    ["mutual cycle", m1],
    ["self map", selfMap],
    ["self set", selfSet],
    ["revoked proxy", revoked],
    ["revoked array proxy", revokedArr],
    ["throwing proxy", trapAll],
    ["array proxy with throwing get", arrTrap],
    ["function proxy", fnProxy],
    ["self-returning proxy", selfProxy],
    ["10,000-deep array", deepArr],
    ["10,000-deep object", deepObj],
    ["10,000-deep map", deepMap],
    ["throwing getter", badGetter],
    ["throwing toString", badToString],
    ["throwing toPrimitive", badPrim],
    ["class with throwing prototype getter", new WithBadProtoGetter()],
    ["class with throwing toString", new Thrower()],
    ["symbol", Symbol("sym")],
    ["symbol without description", Symbol()],
    ["object with symbol keys", { [Symbol("k")]: 1, v: Symbol.iterator }],
    ["huge bigint", 10n ** 5000n],
    ["negative bigint", -(2n ** 100n)],
    ["NaN", NaN],
    ["-Infinity", -Infinity],
    ["-0", -0],
    ["undefined", undefined],
    ["null", null],
    ["lone surrogates", "\ud800x\udfff"],
    ["10 MB string", "z".repeat(10_000_000)],
    ["function", function named() {}],
    ["arrow", () => 1],
    ["async function", async () => {}],
    ["class", class Foo {}],
    ["generator object", gen()],
    ["WeakMap", new WeakMap()],
    ["WeakSet", new WeakSet()],
    ["WeakRef", new WeakRef({})],
    ["pending promise", new Promise(() => {})],
    ["rejected promise", rejected],
    ["invalid date", new Date(NaN)],
    ["date", new Date(T)],
    ["regexp", /x+/giu],
    ["URL", new URL("http://[::1]:9020/p?q#h")],
    ["error with throwing stack", errBadStack],
    ["error with throwing message", errBadMsg],
    ["error with object message", errObjMsg],
    ["error with self cause", errCycle],
    ["error with throwing cause", errThrowCause],
    ["error with 100 causes", longCause],
    ["AggregateError", new AggregateError([new Error("a")], "agg")],
    ["DOMException", new DOMException("dom", "AbortError")],
    ["Float64Array", new Float64Array([1.5, NaN])],
    ["BigInt64Array", new BigInt64Array([-1n, 2n])],
    ["10 MB Uint8Array", new Uint8Array(10_000_000)],
    ["detached buffer", detached],
    ["DataView", new DataView(new ArrayBuffer(3))],
    ["SharedArrayBuffer", new SharedArrayBuffer(4)],
    ["sparse array", new Array(2 ** 32 - 1)],
    ["array with holes", [1, , 3]],
    ["lazy getter chain", lazy],
    ["null-prototype object", nullProto],
    ["200,000 keys", manyKeys],
    [
      "map with odd keys",
      new Map<unknown, unknown>([[NaN, 1], [undefined, 2], [{}, 3], [
        Symbol("s"),
        4,
      ], [10n, 5]]),
    ],
    [
      "set with odd members",
      new Set<unknown>([[1], { a: 1 }, NaN, null, pyFloat(1)]),
    ],
    [
      "PyFloat with junk",
      Object.assign(Object.create(PyFloat.prototype), { value: "x" }),
    ],
    ["PyTuple", pyTuple([cycArr, Symbol("t")])],
    ["globalThis", globalThis],
    ["Deno.errors", Deno.errors],
    ["Math", Math],
  ];
}

/** Every hostile value in every slot: msg args, %-args, extra, error, msg itself. */
function hostileInputs(): [string, () => Record<string, unknown>][] {
  const out: [string, () => Record<string, unknown>][] = [];
  for (const [label, v] of hostileValues()) {
    out.push([label, () =>
      recordDict({
        name: "hostile",
        level: 20,
        msg: "v=%s r=%r d=%d c=%c",
        args: [v, v, v, v, v, { x: v }, [v]],
        extra: { h: v, nested: { list: [v, v] } },
        error: v,
        timeMs: T,
      })]);
    out.push([label + " as every field", () =>
      recordDict(
        {
          name: v,
          level: v,
          levelName: v,
          msg: v,
          timeMs: v,
          args: [v],
          extra: v,
        } as unknown as Parameters<typeof recordDict>[0],
      )]);
  }
  const hostileInput = new Proxy({}, {
    get() {
      throw new Error("input");
    },
  });
  out.push(["hostile input object", () => recordDict(hostileInput as never)]);
  out.push([
    "100 MB msg",
    () =>
      recordDict({
        name: "n",
        level: 20,
        msg: "m".repeat(100_000_000),
        timeMs: T,
      }),
  ]);
  return out;
}

Deno.test("recordDict() never throws on hostile values and its result always pickles and loads in CPython", async () => {
  const frames: Uint8Array[] = [];
  const labels: string[] = [];
  const inputs = hostileInputs();
  ok(inputs.length >= 100, `${inputs.length} hostile inputs`);
  for (const [label, build] of inputs) {
    let d: Record<string, unknown>;
    try {
      d = build();
    } catch (e) {
      throw new Error(`recordDict threw for ${label}: ${e}`);
    }
    // integer-like keys (extras from arrays) enumerate first in JavaScript
    const named = Object.keys(d).filter((k) => !/^(0|[1-9]\d*)$/.test(k));
    deepEqual(named.slice(0, 21), KEYS, label);
    equal(typeof d.msg, "string", label);
    equal(typeof d.name, "string", label);
    equal(typeof d.levelno, "number", label);
    ok(d.exc_text === null || typeof d.exc_text === "string", label);
    let frame: Uint8Array;
    try {
      for (const protocol of [2, 3, 4, 5] as const) dumps(d, { protocol });
      frame = dumpsFrame(d, { protocol: 1 });
    } catch (e) {
      throw new Error(`pickling failed for ${label}: ${e}`);
    }
    if (label === "100 MB msg") continue; // pickled, not sent
    frames.push(frame);
    labels.push(label);
  }
  // CPython loads every frame (one process): check it is a dict with the
  // record keys and the expected types.
  const script = `
import sys, pickle, struct
data = sys.stdin.buffer.read()
pos = 0
n = 0
while pos < len(data):
    (size,) = struct.unpack(">L", data[pos:pos + 4])
    d = pickle.loads(data[pos + 4:pos + 4 + size])
    pos += 4 + size
    assert isinstance(d, dict), n
    assert [k for k in d if not k.isdigit()][:21] == ${
    JSON.stringify(KEYS)
  }, (n, list(d)[:21])
    assert isinstance(d["msg"], str) and isinstance(d["name"], str), n
    assert isinstance(d["levelno"], (int, float)) and not isinstance(d["levelno"], bool), n
    for k in ("created", "msecs", "relativeCreated"):
        assert type(d[k]) is float, (n, k)
    assert d["exc_text"] is None or isinstance(d["exc_text"], str), n
    n += 1
print(n)
`;
  const child = new Deno.Command("python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const total = frames.reduce((s, f) => s + f.length, 0);
  const all = new Uint8Array(total);
  let off = 0;
  for (const f of frames) {
    all.set(f, off);
    off += f.length;
  }
  const [, out] = await Promise.all([
    writer.write(all).then(() => writer.close()),
    child.output(),
  ]);
  const err = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, err);
  equal(new TextDecoder().decode(out.stdout).trim(), String(frames.length));
});

Deno.test("recordDict() renders primitive-only args exactly as args with a plain object", () => {
  const sets: [string, unknown[]][] = [
    ["request %d served in %s ms", [12345, 12.5]],
    ["user", ["al", 42, true, null, undefined, 10n ** 20n, -0, 0.1]],
    ["%s %d", ["a"]],
    ["%d%%|%5.1f|%x|%r", [-3.99, 2.25, 255, "q'"]],
    ["sym", [Symbol("s"), function named() {}]],
    ["no conversions %", [NaN, -Infinity, 1e300]],
    ["%(k)s %s", ["v"]],
  ];
  for (const [msg, args] of sets) {
    const fast = recordDict({ name: "n", level: 20, msg, args, timeMs: T });
    const general = recordDict({
      name: "n",
      level: 20,
      msg,
      args: [...args, {}],
      timeMs: T,
    });
    equal(fast.msg, general.msg, msg);
    equal(fast.exc_text, null);
    deepEqual(Object.keys(fast), KEYS);
  }
  equal(
    recordDict({
      name: "n",
      level: 20,
      msg: "%d ms",
      args: [7, "x"],
      timeMs: T,
    })
      .msg,
    "7 ms x",
  );
  const long = recordDict({
    name: "n",
    level: 20,
    msg: "m",
    args: ["y".repeat(LIMITS.stringLength + 10)],
    timeMs: T,
  }).msg as string;
  equal(long.length, 2 + LIMITS.stringLength + 1);
  ok(long.startsWith("m yyy") && long.endsWith("y…"));
});

Deno.test("msecs is floor(((timeMs % 1000) + 1000) % 1000) (CPython 3.13's rounding rule aside) for 20,000 generated times", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.integer({ min: -4e12, max: 4e12 }),
        fc.double({ min: -1e15, max: 1e15, noNaN: true }),
        fc.double({ min: -3000, max: 3000, noNaN: true }),
        fc.constantFrom(0, -0, 999, -1, -999.5, 1700000000999.9998, 8e15 + 999),
      ),
      (t) => {
        let want = Math.floor(((t % 1000) + 1000) % 1000);
        const created = t / 1000;
        if (
          want === 999 &&
          Math.floor(created) !== Math.floor((t - 999) / 1000)
        ) want = 0;
        const f = plainRecordFields({
          name: "a",
          level: 20,
          msg: "m",
          timeMs: t,
        });
        equal(f?.msecs, want, `timeMs ${t}`);
        equal(f?.created, created);
      },
    ),
    { numRuns: 20_000, seed: 1206 },
  );
});
