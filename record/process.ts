// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The identity of this process and isolate as a Python LogRecord carries
 * it: `process`, `processName`, `thread`, `threadName`, and the start time
 * that `relativeCreated` counts from.
 *
 * @module
 */

/** Epoch ms when this module was loaded: the base of `relativeCreated`. */
export const START_MS: number = Date.now();

function readPid(): number | null {
  try {
    const pid = (globalThis as { Deno?: { pid?: unknown } }).Deno?.pid;
    return typeof pid === "number" && Number.isSafeInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** `process` of every record: `Deno.pid`, or null (None) when unknown. */
export const PROCESS: number | null = readPid();

/** `processName` of every record. */
export const PROCESS_NAME = "MainProcess";

function inWorker(): boolean {
  try {
    const scope = (globalThis as { WorkerGlobalScope?: unknown })
      .WorkerGlobalScope;
    return typeof scope === "function" &&
      globalThis instanceof (scope as new () => unknown);
  } catch {
    return false;
  }
}

const IS_WORKER: boolean = inWorker();

/**
 * `thread` of every record from this isolate. The main isolate uses the pid
 * (the main thread's native id on Linux); a worker uses a random integer in
 * [2**32, 2**48), fixed for the worker's lifetime (Python's `get_ident()`
 * values are of that size).
 */
export const THREAD_ID: number = IS_WORKER || PROCESS === null
  ? 2 ** 32 + Math.floor(Math.random() * (2 ** 48 - 2 ** 32))
  : PROCESS;

function readThreadName(): string {
  if (!IS_WORKER) return "MainThread";
  try {
    const n = (globalThis as { name?: unknown }).name;
    if (typeof n === "string" && n !== "") return n;
  } catch {
    // ignore
  }
  return "Worker-" + THREAD_ID;
}

/**
 * `threadName` of every record from this isolate: `MainThread` in the main
 * isolate; in a worker its `name` option, or `Worker-<THREAD_ID>` when it has
 * none.
 */
export const THREAD_NAME: string = readThreadName();
