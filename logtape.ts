// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode getSocketSink}: a [LogTape](https://logtape.org) sink that sends
 * every record to a Python receiver exactly as Python's
 * `logging.handlers.SocketHandler` does (a 4-byte big-endian length, then a
 * pickle of the LogRecord `__dict__`), on the same non-blocking engine as
 * this package's `@std/log` `SocketHandler`: a bounded queue, one background
 * writer, reconnection with jittered backoff, counted drops, and a bounded
 * drain at exit.
 *
 * This module does not import LogTape: it declares the few types it needs
 * ({@linkcode LogRecord}, {@linkcode Sink}) structurally, so it works with
 * any LogTape 1.x or 2.x copy.
 *
 * @example Usage with LogTape
 * ```ts ignore
 * import { configure, dispose, getLogger } from "@logtape/logtape";
 * import { getSocketSink } from "@pylogging/socket-handler/logtape";
 *
 * await configure({
 *   sinks: { python: getSocketSink({ hostname: "127.0.0.1", port: 9020 }) },
 *   loggers: [{ category: ["app"], sinks: ["python"], lowestLevel: "debug" }],
 * });
 * const logger = getLogger(["app", "db"]);
 * logger.info("Connected to {host}", { host: "db1", request_id: 42 });
 * logger.error("Query failed", { error: new Error("timeout") });
 * await dispose(); // drains the queue (up to exitTimeout), then closes
 * ```
 *
 * @module
 */
import { callerAt, type CallerInfo } from "./record/caller.ts";
import type { RecordInput } from "./record/input.ts";
import { recordDict } from "./record/dict.ts";
import { allPrimitives } from "./record/fields.ts";
import { RecordFramer } from "./record/framer.ts";
import type { PickleProtocol } from "./pickle.ts";
import { setOwn } from "./record/own.ts";
import { isError, pyStr, unreadable } from "./text/python_text.ts";
import {
  type DropReason,
  type EngineState,
  type EngineStats,
  type FlushResult,
  type OverflowPolicy,
  SocketEngine,
} from "./socket.ts";
import { connectBudget, connectTo, socketTarget } from "./transport/connect.ts";
import {
  DEFAULTS,
  type EngineTuning,
  engineTuning,
  frameLimit,
  type SocketOptions,
  validateOptions,
} from "./transport/options.ts";
import { dropNoticeInput } from "./record/drop_notice.ts";

export type { SpoolOptions, TlsOptions } from "./transport/options.ts";
export type {
  DropReason,
  EngineState,
  EngineStats,
  EngineTuning,
  FlushResult,
  OverflowPolicy,
  PickleProtocol,
  SocketOptions,
};

/** LogTape's severity levels. */
export type LogLevel =
  | "trace"
  | "debug"
  | "info"
  | "warning"
  | "error"
  | "fatal";

/**
 * The parts of LogTape's `LogRecord` that the sink reads (structurally
 * compatible with LogTape 1.x and 2.x records).
 */
export interface LogRecord {
  /** The logger's category, e.g. `["app", "db"]`. */
  readonly category: readonly string[];
  /** The level. */
  readonly level: LogLevel;
  /**
   * The message: text at even indices, substituted values at odd indices
   * (`info("User {u}", {u: "al"})` gives `["User ", "al", ""]`).
   */
  readonly message: readonly unknown[];
  /** The message template as written. */
  readonly rawMessage: string | TemplateStringsArray;
  /** Event time in milliseconds since the epoch. */
  readonly timestamp: number;
  /** Structured properties (errors travel here, e.g. under `error`). */
  readonly properties: Record<string, unknown>;
  /** Source location, when the logger captures it (LogTape 2.4+). */
  readonly sourceLocation?: {
    readonly file: string;
    readonly line: number;
    readonly column: number;
  };
}

/** A LogTape sink: a function receiving every record. */
export type Sink = (record: LogRecord) => void;

/**
 * The sink returned by {@linkcode getSocketSink}: a LogTape sink that is
 * also async-disposable (LogTape's `dispose()`/`reset()` drain and close
 * it), with the engine's controls.
 */
export interface SocketSink extends AsyncDisposable {
  /**
   * Encodes the record synchronously and queues it. Never throws.
   *
   * @param record The LogTape record.
   */
  (record: LogRecord): void;
  /**
   * Waits until every record queued before the call is written, or until
   * the deadline.
   *
   * @param timeout Deadline in milliseconds (default: no deadline).
   * @returns Counts after the flush; never rejects.
   */
  flush(timeout?: number): Promise<FlushResult>;
  /**
   * Drains the queue (up to `timeout` ms, default `exitTimeout`), then
   * closes the connection. Records still queued, and records logged
   * afterwards, are counted as dropped (reason `"closed"`).
   *
   * @param timeout Deadline in milliseconds.
   * @returns Counts after closing; never rejects.
   */
  close(timeout?: number): Promise<FlushResult>;
  /**
   * Counters and state; `emitted` always equals
   * `sent + dropped + pendingRecords`.
   *
   * @returns A snapshot.
   */
  stats(): EngineStats;
}

/** Options of {@linkcode getSocketSink}. Durations are in milliseconds. */
export interface SocketSinkOptions extends SocketOptions {
  /**
   * Python level number of LogTape's `"trace"` (sent with level name
   * `"TRACE"`, or `"DEBUG"` when 10).
   *
   * @default {5}
   */
  traceLevel?: number;
  /**
   * Renders the record's `msg`. By default the message parts are joined:
   * text as is, values as Python's `str()` of the value sent (strings as
   * is, `true` → `True`, `null`/`undefined` → `None`, arrays and plain
   * objects in Python's repr, an Error as `Name: message`). A formatter
   * that throws falls back to the default rendering.
   */
  formatter?: (record: LogRecord) => string;
  /**
   * Fill `pathname`, `filename`, `module` and `lineno` from the record's
   * `sourceLocation` (present when the LogTape logger is configured with
   * `captureSourceLocation`). `funcName` stays `(unknown function)`.
   *
   * @default {true}
   */
  useSourceLocation?: boolean;
}

/** Python level numbers of LogTape levels (trace is set per sink). */
const LEVELS: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 5,
  debug: 10,
  info: 20,
  warning: 30,
  error: 40,
  fatal: 50,
});

/** Python level names of LogTape levels. */
const LEVEL_NAMES: Readonly<Record<LogLevel, string>> = Object.freeze({
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
});

function renderMessage(parts: readonly unknown[]): string {
  const n = parts.length;
  if (n === 1) {
    const only = parts[0];
    return typeof only === "string" ? only : pyStr(only);
  }
  let msg = "";
  for (let i = 0; i < n; i++) {
    const part = parts[i];
    msg += typeof part === "string" ? part : pyStr(part);
  }
  return msg;
}

/**
 * `"%s"` repeated n times: a message of n primitive parts is the template
 * of its length with the parts as its args — the same text as
 * {@linkcode renderMessage} (`%s` prints what `pyStr` prints), which the
 * framer then writes straight into the frame.
 */
const PART_TEMPLATES: readonly string[] = Array.from(
  { length: 65 },
  (_, n) => "%s".repeat(n),
);

/**
 * The message parts as the args of `PART_TEMPLATES[parts.length]`, when
 * there are values among them (3 to 64 parts) and none is an object;
 * else undefined (render the message).
 */
function partsAsArgs(
  parts: readonly unknown[],
): readonly unknown[] | undefined {
  const n = parts.length;
  if (n < 3 || n >= PART_TEMPLATES.length) return undefined;
  return allPrimitives(parts) ? parts : undefined;
}

function categoryName(category: readonly string[]): string {
  if (!Array.isArray(category)) return pyStr(category);
  if (category.length === 0) return "root";
  let name = "";
  for (let i = 0; i < category.length; i++) {
    const c = category[i];
    if (i > 0) name += ".";
    name += typeof c === "string" ? c : pyStr(c);
  }
  return name;
}

function callerOf(
  location: LogRecord["sourceLocation"],
): CallerInfo | undefined {
  if (location === undefined || location === null) return undefined;
  const file = location.file;
  const line = location.line;
  if (typeof file !== "string" || typeof line !== "number") return undefined;
  return callerAt(
    file,
    Number.isSafeInteger(line) ? line : 0,
    "(unknown function)",
  );
}

/** The first Error among the message values that is not also a property. */
function messageError(
  parts: readonly unknown[],
  properties: Record<string, unknown> | undefined,
): Error | undefined {
  for (let i = 1; i < parts.length; i += 2) {
    const v = parts[i];
    if (!isError(v)) continue;
    if (properties !== undefined && properties !== null) {
      let found = false;
      for (const key in properties) {
        if (properties[key] === v) {
          found = true;
          break;
        }
      }
      if (found) continue;
    }
    return v;
  }
  return undefined;
}

/** LogTape's marker of a `lazy()` value (`Symbol.for("logtape.lazy")`). */
const LAZY: unique symbol = Symbol.for("logtape.lazy") as never;

/** LogTape's marker of a sink that needs no record snapshot. */
const IMMEDIATE_SINK: symbol = Symbol.for(
  "LogTape.sinkSnapshotPolicy.immediate",
);

/**
 * LogTape's `lazy()` values among the properties, evaluated now (a getter
 * that throws gives `<unreadable: …>`): a copy when there is one, else the
 * properties themselves. LogTape resolves them for sinks it snapshots
 * records for, but hands immediate sinks (ours) the record as is.
 */
function resolveLazy(p: Record<string, unknown>): Record<string, unknown> {
  if (typeof p !== "object") return p;
  let keys: string[];
  try {
    keys = Object.keys(p);
  } catch {
    return p;
  }
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    let v: unknown;
    let lazy = false;
    try {
      v = p[k];
      if (
        typeof v === "object" && v !== null &&
        (v as { [LAZY]?: unknown })[LAZY] === true
      ) {
        const getter = (v as { getter?: unknown }).getter;
        if (typeof getter === "function") {
          lazy = true;
          v = getter();
        }
      }
    } catch (e) {
      lazy = true;
      v = unreadable(e);
    }
    if (lazy && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) {
        const kj = keys[j]!;
        let vj: unknown;
        try {
          vj = p[kj];
        } catch (e) {
          vj = unreadable(e);
        }
        setOwn(out, kj, vj);
      }
    }
    if (out !== undefined) setOwn(out, k, v);
  }
  return out ?? p;
}

/**
 * Maps a LogTape record to the Python LogRecord `__dict__`, as the sink
 * sends it (see {@linkcode getSocketSink} for the mapping). Never throws.
 *
 * @param record The LogTape record.
 * @param options The sink options that affect the mapping.
 * @returns The dict to pickle.
 *
 * @example Usage
 * ```ts
 * import { logTapeRecordDict } from "@pylogging/socket-handler/logtape";
 * import { equal } from "node:assert/strict";
 *
 * const d = logTapeRecordDict({
 *   category: ["app", "db"],
 *   level: "warning",
 *   message: ["Slow query on ", "users", ""],
 *   rawMessage: "Slow query on {table}",
 *   timestamp: 1_700_000_000_250,
 *   properties: { table: "users", ms: 1200 },
 * });
 * equal(d.name, "app.db");
 * equal(d.levelname, "WARNING");
 * equal(d.msg, "Slow query on users");
 * equal(d.ms, 1200);
 * ```
 */
export function logTapeRecordDict(
  record: LogRecord,
  options: Pick<
    SocketSinkOptions,
    "traceLevel" | "formatter" | "useSourceLocation"
  > = {},
): Record<string, unknown> {
  return recordDict(logTapeInput(record, options));
}

/** The `recordDict()` input of a LogTape record. Never throws. */
function logTapeInput(
  record: LogRecord,
  options: Pick<
    SocketSinkOptions,
    "traceLevel" | "formatter" | "useSourceLocation"
  >,
): RecordInput {
  let level = 0;
  let levelName = "NOTSET";
  let name = "root";
  let msg = "";
  let timeMs = Date.now();
  let properties: Record<string, unknown> | undefined;
  let error: Error | undefined;
  let caller: CallerInfo | undefined;
  try {
    const lv = record.level;
    if (typeof lv === "string" && Object.hasOwn(LEVELS, lv)) {
      if (lv === "trace") {
        level = options.traceLevel ?? 5;
        levelName = level === 10 ? "DEBUG" : "TRACE";
      } else {
        level = LEVELS[lv];
        levelName = LEVEL_NAMES[lv];
      }
    } else {
      levelName = pyStr(lv).toUpperCase();
    }
  } catch { /* keep NOTSET */ }
  try {
    name = categoryName(record.category);
  } catch { /* keep root */ }
  try {
    const ts = record.timestamp;
    if (typeof ts === "number" && Number.isFinite(ts)) timeMs = ts;
  } catch { /* keep now */ }
  try {
    const p = record.properties;
    if (p !== undefined && p !== null) properties = resolveLazy(p);
  } catch { /* no extras */ }
  let parts: readonly unknown[] = [];
  try {
    const m = record.message;
    parts = Array.isArray(m) ? m : [m];
  } catch { /* empty message */ }
  let rendered = false;
  if (options.formatter !== undefined) {
    try {
      const text = options.formatter(record);
      msg = typeof text === "string" ? text : pyStr(text);
      rendered = true;
    } catch { /* default rendering */ }
  }
  let args: readonly unknown[] | undefined;
  if (!rendered) {
    try {
      args = partsAsArgs(parts);
      msg = args === undefined
        ? renderMessage(parts)
        : PART_TEMPLATES[parts.length]!;
    } catch {
      msg = "<unreadable message>";
    }
  }
  try {
    error = messageError(parts, properties);
  } catch { /* none */ }
  if (options.useSourceLocation ?? true) {
    try {
      caller = callerOf(record.sourceLocation);
    } catch { /* none */ }
  }
  const input: RecordInput = { name, level, levelName, msg, timeMs };
  if (args !== undefined) input.args = args;
  // No properties and empty ones give the same dict; without them the
  // record can be framed from its fields.
  if (properties !== undefined && !isEmptyObject(properties)) {
    input.extra = properties;
  }
  if (error !== undefined) input.error = error;
  if (caller !== undefined) input.caller = caller;
  return input;
}

/** A plain object with no enumerable keys (false if looking throws). */
function isEmptyObject(value: Record<string, unknown>): boolean {
  try {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    for (const _ in value) return false;
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates a LogTape sink that sends records to a Python receiver (Python's
 * `SocketServer`/`logging.handlers` cookbook receiver, this package's
 * `LogReceiver`, or anything reading `SocketHandler` frames).
 *
 * The sink never blocks and never throws: each record is encoded
 * synchronously into a bounded queue; one background writer delivers the
 * queue in order and reconnects with jittered exponential backoff. Records
 * are counted (`stats().emitted === sent + dropped + pendingRecords`), and
 * drops are announced to the receiver by a WARNING record. No I/O happens
 * until the first record.
 *
 * Mapping of a LogTape record to the Python LogRecord:
 *
 * - `name`: `category.join(".")` (`"root"` for an empty category);
 * - `levelno`/`levelname`: trace 5 `TRACE` (see `traceLevel`), debug 10
 *   `DEBUG`, info 20 `INFO`, warning 30 `WARNING`, error 40 `ERROR`, fatal
 *   50 `CRITICAL`;
 * - `msg`: the message parts joined, values rendered as Python's `str()`
 *   (see `formatter`); `args` is None;
 * - `created`/`msecs`/`relativeCreated`: from `timestamp`, as floats;
 * - `properties`: extra attributes, as Python's `extra=`; a property named
 *   like a LogRecord attribute (`name`, `msg`, `message`, …) is renamed
 *   `extra_<key>`; values are made picklable (see `recordDict` in
 *   `record.ts`);
 * - an Error among the properties (LogTape puts the error of
 *   `logger.error(err)` / `logger.error("…", err)` under `error`), or among
 *   the message values, fills `exc_text` with its stack and `cause` chain;
 *   the property itself is sent as `Name: message`;
 * - `sourceLocation` (when captured): `pathname`, `filename`, `module`,
 *   `lineno`.
 *
 * Dispose it (LogTape's `await dispose()` does) to deliver the queue: at a
 * natural exit the engine waits up to `exitTimeout` for queued records,
 * but `Deno.exit()` does not wait. Use `configure()`, not
 * `configureSync()` (which refuses async-disposable sinks). A disposed sink
 * drops further records (`"closed"`): create a new sink for a new
 * configuration.
 *
 * The sink carries LogTape's `Symbol.for("LogTape.sinkSnapshotPolicy.immediate")`
 * marker (`true`): LogTape then passes it the live record instead of a copy
 * with its `lazy()` properties evaluated, which is safe because the sink
 * reads, evaluates and encodes everything inside the call. Properties are
 * therefore sent as they were at the logging call, even if mutated right
 * after it.
 *
 * @param options Target, queue, backoff and mapping options.
 * @returns The sink, with `flush()`, `close()`, `stats()` and
 * `[Symbol.asyncDispose]()`.
 * @throws {TypeError} If an option is unknown or has the wrong type, or
 * `path` is given together with `hostname`/`port`.
 * @throws {RangeError} If a numeric option is out of range.
 *
 * @example Usage
 * ```ts ignore
 * import { configure, dispose, getLogger } from "@logtape/logtape";
 * import { getSocketSink } from "@pylogging/socket-handler/logtape";
 *
 * const sink = getSocketSink({ port: 9020 });
 * await configure({
 *   sinks: { python: sink },
 *   loggers: [{ category: "app", sinks: ["python"], lowestLevel: "info" }],
 * });
 * getLogger("app").info("Started in {ms} ms", { ms: 120 });
 * console.log(sink.stats().emitted); // 1
 * await dispose();
 * ```
 */
export function getSocketSink(options: SocketSinkOptions = {}): SocketSink {
  validateOptions("socket sink", options);
  const { traceLevel, formatter, useSourceLocation } = options;
  const mapping: Pick<
    SocketSinkOptions,
    "traceLevel" | "formatter" | "useSourceLocation"
  > = {};
  if (traceLevel !== undefined) mapping.traceLevel = traceLevel;
  if (formatter !== undefined) mapping.formatter = formatter;
  if (useSourceLocation !== undefined) {
    mapping.useSourceLocation = Boolean(useSourceLocation);
  }
  const protocol: PickleProtocol = options.protocol ?? DEFAULTS.protocol;
  const noticeName = options.noticeLoggerName ?? DEFAULTS.noticeLoggerName;
  const target = socketTarget(options);
  const framer = new RecordFramer(protocol);
  const limit = frameLimit(options);
  const maxText = limit.bytes;
  const engine = new SocketEngine({
    connect: (signal) => connectTo(target, signal),
    dropNotice: (notice) =>
      framer.frameEvent(dropNoticeInput(notice, noticeName)),
    ...engineTuning(options),
    connectTimeout: connectBudget(target),
  });

  const sink = function socketSink(record: LogRecord): void {
    let category = "?";
    try {
      // Framed straight into the engine's queue.
      const input = logTapeInput(record, mapping);
      if (framer.writeEvent(input, engine, maxText) !== undefined) return;
      engine.countDrop("oversize");
      category = input.name;
      engine.reportError(
        new RangeError(
          `Cannot queue record of category '${category}' as its message is larger than '${limit.option}' allows: current size is at least ${framer.textLength} bytes, the bound is ${maxText}`,
        ),
        "oversize",
      );
    } catch (error) {
      try {
        engine.countDrop("encode");
        try {
          category = categoryName(record.category);
        } catch { /* unreadable */ }
        const message = error instanceof Error ? error.message : pyStr(error);
        engine.reportError(
          new Error(
            `Cannot send record of category '${category}': ${message}`,
            { cause: error },
          ),
          "encode",
        );
      } catch { /* never throw into LogTape */ }
    }
  } as SocketSink;
  // LogTape copies every record (and evaluates its lazy properties) before
  // calling a sink, unless the sink is marked "immediate": then it passes
  // the live record. This sink reads and encodes the record synchronously,
  // inside the call (resolving lazy properties itself), so the copy is
  // pure overhead.
  Object.defineProperty(sink, IMMEDIATE_SINK, { value: true });
  sink.flush = (timeout?: number) => engine.flush(timeout);
  sink.close = (timeout?: number) => engine.close(timeout);
  sink.stats = () => engine.stats();
  sink[Symbol.asyncDispose] = async () => {
    await engine.close();
  };
  return sink;
}
