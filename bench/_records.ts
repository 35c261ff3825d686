// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Record dicts for the codec benchmarks (pickle_bench.ts, pickle_variants_bench.ts).

import { pyFloat } from "../pickle.ts";

/** How many distinct records a stream cycles through. */
export const N = 64;

// Each kind of dict is built by its own object literal: V8's JSON.stringify
// slows down by a third on objects whose hidden class later gained a
// transition (a property added to a copy), so neither side is handed that.

/** A LogRecord dict as SocketHandler pickles it; floats as `float`s. */
export function pickled(k: number): Record<string, unknown> {
  return {
    name: "app.http.server",
    msg: `GET /users/${k} 200 ${k % 97}ms`,
    args: null,
    levelname: "INFO",
    levelno: 20,
    pathname: "/srv/app/server.ts",
    filename: "server.ts",
    module: "server",
    exc_info: null,
    exc_text: null,
    stack_info: null,
    lineno: 187,
    funcName: "handleRequest",
    created: pyFloat(1700000000.25 + k * 0.001),
    msecs: pyFloat(250.5 + k % 7),
    relativeCreated: pyFloat(1234.5 + k),
    thread: 140000000000000,
    threadName: "MainThread",
    processName: "MainProcess",
    process: 70000,
    taskName: null,
  };
}

/** The same with two extras (`extra={"user": ..., "tags": [...]}`). */
export function pickledExtras(k: number): Record<string, unknown> {
  return {
    name: "app.http.server",
    msg: `GET /users/${k} 200 ${k % 97}ms`,
    args: null,
    levelname: "INFO",
    levelno: 20,
    pathname: "/srv/app/server.ts",
    filename: "server.ts",
    module: "server",
    exc_info: null,
    exc_text: null,
    stack_info: null,
    lineno: 187,
    funcName: "handleRequest",
    created: pyFloat(1700000000.25 + k * 0.001),
    msecs: pyFloat(250.5 + k % 7),
    relativeCreated: pyFloat(1234.5 + k),
    thread: 140000000000000,
    threadName: "MainThread",
    processName: "MainProcess",
    process: 70000,
    taskName: null,
    user: "bob",
    tags: ["http", "api"],
  };
}

/** pickled(k) as JSON would carry it: the floats as plain numbers. */
export function json(k: number): Record<string, unknown> {
  return {
    name: "app.http.server",
    msg: `GET /users/${k} 200 ${k % 97}ms`,
    args: null,
    levelname: "INFO",
    levelno: 20,
    pathname: "/srv/app/server.ts",
    filename: "server.ts",
    module: "server",
    exc_info: null,
    exc_text: null,
    stack_info: null,
    lineno: 187,
    funcName: "handleRequest",
    created: 1700000000.25 + k * 0.001,
    msecs: 250.5 + k % 7,
    relativeCreated: 1234.5 + k,
    thread: 140000000000000,
    threadName: "MainThread",
    processName: "MainProcess",
    process: 70000,
    taskName: null,
  };
}

/** pickledExtras(k) as JSON would carry it. */
export function jsonExtras(k: number): Record<string, unknown> {
  return {
    name: "app.http.server",
    msg: `GET /users/${k} 200 ${k % 97}ms`,
    args: null,
    levelname: "INFO",
    levelno: 20,
    pathname: "/srv/app/server.ts",
    filename: "server.ts",
    module: "server",
    exc_info: null,
    exc_text: null,
    stack_info: null,
    lineno: 187,
    funcName: "handleRequest",
    created: 1700000000.25 + k * 0.001,
    msecs: 250.5 + k % 7,
    relativeCreated: 1234.5 + k,
    thread: 140000000000000,
    threadName: "MainThread",
    processName: "MainProcess",
    process: 70000,
    taskName: null,
    user: "bob",
    tags: ["http", "api"],
  };
}

/** 21-key records. */
export const plain = Array.from({ length: N }, (_, k) => pickled(k));
/** The same as JSON objects. */
export const plainJson = Array.from({ length: N }, (_, k) => json(k));
/** 23-key records (two extras). */
export const extra = Array.from({ length: N }, (_, k) => pickledExtras(k));
/** The same as JSON objects. */
export const extraJson = Array.from({ length: N }, (_, k) => jsonExtras(k));
