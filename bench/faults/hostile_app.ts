// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 7's app: logs 50+ hostile values (cycles, throwing getters and
 * Proxies, symbols, functions, BigInt, a 100 MB string, 10,000-deep
 * nesting, lone surrogates, …) in every position (message, %-argument,
 * extra object, nested extra), counting any exception escaping the logging
 * call. Prints `RESULT <json>` with the handler's stats. Argument: port.
 *
 * @module
 */
import * as log from "@std/log";
import { LogRecord } from "@std/log/logger";
import { SocketHandler } from "../../handler.ts";

const port = Number(Deno.args[0]);
const handler = new SocketHandler("DEBUG", {
  hostname: "127.0.0.1",
  port,
  onError: () => {},
});
log.setup({
  handlers: { h: handler },
  loggers: { hostile: { level: "DEBUG", handlers: ["h"] } },
});
const logger = log.getLogger("hostile");

function deep(n: number, leaf: unknown): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < n; i++) v = { d: v };
  return v;
}
function deepArray(n: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < n; i++) v = [v];
  return v;
}
const cyc: Record<string, unknown> = { a: 1 };
cyc.self = cyc;
const cycArr: unknown[] = [1];
cycArr.push(cycArr);
const throwingGetter = {
  get boom(): never {
    throw new Error("getter");
  },
};
const throwingToString = {
  toString(): never {
    throw new Error("toString");
  },
};
const throwingToJSON = {
  toJSON(): never {
    throw new Error("toJSON");
  },
};
const proxyThrowAll = new Proxy({}, {
  get() {
    throw new Error("proxy get");
  },
  ownKeys() {
    throw new Error("proxy ownKeys");
  },
  getPrototypeOf() {
    throw new Error("proxy proto");
  },
  has() {
    throw new Error("proxy has");
  },
  getOwnPropertyDescriptor() {
    throw new Error("proxy gopd");
  },
});
const revocable = Proxy.revocable({}, {});
revocable.revoke();
const proxyArray = new Proxy([1, 2, 3], {
  get(t, k) {
    if (k === "length") throw new Error("length");
    return Reflect.get(t, k);
  },
});
const errWithCycle = new Error("cyclic cause") as Error & { cause?: unknown };
errWithCycle.cause = errWithCycle;
const errThrowingStack = new Error("stack");
Object.defineProperty(errThrowingStack, "stack", {
  get() {
    throw new Error("stack getter");
  },
});
const nullProto = Object.create(null);
nullProto.x = 1;
const symKeyed = { [Symbol("k")]: 1, ok: 2 };
const wideKeys: Record<string, number> = {};
for (let i = 0; i < 100000; i++) wideKeys["k" + i] = i;
const bigArray = new Array(1_000_000).fill(7);
const sparse: unknown[] = [];
sparse[1e6] = 1;
const big100 = "x".repeat(100 * 1024 * 1024);

const values: [string, unknown][] = [
  ["undefined", undefined],
  ["null", null],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-0", -0],
  ["max bigint", 2n ** 4096n],
  ["negative bigint", -(2n ** 70n)],
  ["symbol", Symbol("s")],
  ["symbol.for", Symbol.for("g")],
  ["function", function f() {}],
  ["arrow", () => 1],
  ["class", class K {}],
  ["async fn", async () => {}],
  ["generator", (function* () {})()],
  ["cycle object", cyc],
  ["cycle array", cycArr],
  ["throwing getter", throwingGetter],
  ["throwing toString", throwingToString],
  ["throwing toJSON", throwingToJSON],
  ["proxy throwing everything", proxyThrowAll],
  ["revoked proxy", revocable.proxy],
  ["proxy array", proxyArray],
  ["error with cyclic cause", errWithCycle],
  ["error with throwing stack", errThrowingStack],
  ["AggregateError", new AggregateError([new Error("a"), 1], "agg")],
  ["null prototype", nullProto],
  ["symbol keys", symKeyed],
  ["100 MB string", big100],
  ["1 MB string", "y".repeat(1 << 20)],
  ["10,000-deep object", deep(10000, 1)],
  ["10,000-deep array", deepArray(10000)],
  ["100,000 keys", wideKeys],
  ["1M-element array", bigArray],
  ["sparse array", sparse],
  ["lone high surrogate", "a\uD800b"],
  ["lone low surrogate", "\uDC00"],
  ["reversed pair", "\uDC00\uD800"],
  ["NUL and controls", "\0\x01\x1b[31m\u2028\u2029"],
  ["astral", "😀𝕏"],
  ["format specifiers", "%s %d %(x)s %%"],
  ["Date invalid", new Date(NaN)],
  ["Date", new Date(0)],
  ["RegExp", /x+/g],
  ["Map", new Map<unknown, unknown>([[{}, 1], [Symbol("m"), cyc]])],
  ["Set", new Set([cyc, 1n])],
  ["WeakMap", new WeakMap()],
  ["Uint8Array", new Uint8Array([0, 255])],
  ["Float64Array", new Float64Array([NaN, -0])],
  ["ArrayBuffer", new ArrayBuffer(16)],
  ["DataView", new DataView(new ArrayBuffer(4))],
  ["SharedArrayBuffer", new SharedArrayBuffer(8)],
  ["Promise", Promise.resolve(1)],
  ["boxed primitives", [new Number(1), new String("s"), Object(1n)]],
  ["URL", new URL("http://127.0.0.1/")],
  ["object with __proto__ key", JSON.parse('{"__proto__": {"x": 1}}')],
  ["key 'msg'/'args' collisions", { msg: "m", args: [1], levelno: "x" }],
  ["deep + cycle", deep(500, cyc)],
];

// Direct handler calls (the handler's contract: handle() never throws) and
// the same values through @std/log's Logger (whose own message rendering,
// `asString`, may throw before the handler is reached: counted apart).
let threw = 0;
let calls = 0;
let stdLogCalls = 0;
let stdLogThrew = 0;
let stdLogReached = 0;
const threwWhere: string[] = [];
let maxLatencyMs = 0;
let current = "";
const direct = (msg: unknown, args: unknown[], level = 20) => {
  calls++;
  const a = performance.now();
  try {
    handler.handle(
      new LogRecord({
        msg: msg as string,
        args,
        level: level as log.LogLevel,
        loggerName: "hostile",
      }),
    );
  } catch (e) {
    threw++;
    if (threwWhere.length < 30) {
      threwWhere.push(`${current}: ${(e as Error)?.message ?? e}`);
    }
  }
  maxLatencyMs = Math.max(maxLatencyMs, performance.now() - a);
};
const viaLogger = (f: () => void) => {
  stdLogCalls++;
  const before = handler.stats().emitted;
  try {
    f();
  } catch {
    stdLogThrew++;
  }
  stdLogReached += handler.stats().emitted - before;
};
for (const [name, v] of values) {
  current = name;
  direct(v, []);
  direct(`${name}: %s %d %r`, [v, v, v]);
  direct(`${name} as arg`, [v]);
  direct(`${name} as extra`, [{ value: v, [name]: v }]);
  direct(`${name} nested`, [{ a: [v, { b: v }] }, v], 40);
  direct(`${name} %(value)s`, [{ value: v }], 30);
  viaLogger(() => logger.info(v as string));
  viaLogger(() => logger.info(`${name}: %s`, v));
  viaLogger(() => logger.info(`${name} as extra`, { value: v }));
  viaLogger(() => logger.warn(() => v as string));
  await new Promise((r) => setTimeout(r, 0));
}
const closeResult = await handler.close(30000);
const hwm = (() => {
  try {
    return Number(
      /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1],
    );
  } catch {
    return 0;
  }
})();
console.log(
  "RESULT " + JSON.stringify({
    values: values.length,
    logged: calls + stdLogReached,
    stdLogCalls,
    stdLogThrew,
    stdLogReached,
    threw,
    threwWhere,
    maxLatencyMs,
    closeResults: [closeResult],
    stats: [handler.stats()],
    hwmKb: hwm,
  }),
);
