// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Caller information: the `pathname`, `filename`, `module`, `lineno` and
 * `funcName` of a source location ({@linkcode callerAt}), and the walk of a
 * V8 stack capture that finds the first frame of the application. Which
 * frames are not the application's is the caller's business (the
 * `@std/log` side is in `std_log.ts`); this module only knows this
 * package's own files, by their location relative to its own URL, and the
 * runtime's internals (`ext:`, `node:`, frames without a location).
 *
 * @module
 */

/** Caller information from a stack capture. */
export interface CallerInfo {
  /** Source path (`file://` URLs become paths; other URLs stay as they are). */
  pathname: string;
  /** Last component of `pathname`. */
  filename: string;
  /** `filename` without its extension (Python's `os.path.splitext`). */
  module: string;
  /** 1-based line number. */
  lineno: number;
  /** V8's function name, or `<module>` for top-level code and anonymous functions. */
  funcName: string;
}

/** The package's root (this file is in its `record/` folder). */
const ROOT: string = new URL("../", import.meta.url).href;
/** The package's source folders: its root and these (not tests/, bench/). */
const OWN_FOLDERS: readonly string[] = ["", "pickle/", "record/", "text/"];

/**
 * Whether a module URL is one of this package's own files (wherever the
 * package is loaded from).
 *
 * @param url The module URL of a frame.
 * @returns Whether it is this package's.
 */
export function isOwnFile(url: string): boolean {
  if (!url.startsWith(ROOT)) return false;
  const rest = url.slice(ROOT.length);
  const slash = rest.lastIndexOf("/");
  return OWN_FOLDERS.includes(slash < 0 ? "" : rest.slice(0, slash + 1));
}

/**
 * Whether a module URL is the runtime's (`ext:`, `node:`).
 *
 * @param url The module URL of a frame.
 * @returns Whether it is the runtime's.
 */
export function isRuntimeFile(url: string): boolean {
  return url.startsWith("ext:") || url.startsWith("node:");
}

/**
 * The directory of a module URL, with its trailing slash.
 *
 * @param url The module URL.
 * @returns Everything up to its last `/`.
 */
export function directoryOf(url: string): string {
  return url.slice(0, url.lastIndexOf("/") + 1);
}

/**
 * A stack capture's text: `new Error().stack`, or, with `above`, the stack
 * below the topmost call of that function (`Error.captureStackTrace`: the
 * frames of `above` and of everything it called are left out; none at all
 * when `above` is not on the stack). Up to 64 + `extra` frames.
 *
 * @param above The function whose callers are wanted, if any.
 * @param extra Frames to capture beyond 64.
 * @returns The text, or undefined when it is unavailable (a custom
 * `Error.prepareStackTrace`, say).
 */
export function stackText(
  // deno-lint-ignore ban-types
  above: Function | undefined,
  extra: number,
): string | undefined {
  let stack: unknown;
  try {
    const E = Error as { stackTraceLimit?: number | undefined };
    const saved = E.stackTraceLimit;
    E.stackTraceLimit = 64 + extra;
    try {
      if (above === undefined) {
        stack = new Error().stack;
      } else {
        const holder: { stack?: unknown } = {};
        Error.captureStackTrace(holder, above);
        stack = holder.stack;
      }
    } finally {
      E.stackTraceLimit = saved;
    }
  } catch {
    return undefined;
  }
  return typeof stack === "string" ? stack : undefined;
}

const FRAME_LOCATION = /^(.*):(\d+):(\d+)$/;

/**
 * Walks the frames of a stack text, innermost first, and returns the
 * `stacklevel`-th frame with a location that `skip` does not reject
 * (frames of the runtime are always skipped). `skip` also sees the first
 * located frame as `first` (for rules that depend on who called whom).
 *
 * @param stack The stack text.
 * @param stacklevel Which frame to report, counting from 1.
 * @param skip Whether a frame (its module URL) is not the application's.
 * @returns The caller, or undefined when no frame qualifies.
 */
export function findCaller(
  stack: string,
  stacklevel: number,
  skip: (url: string, first: string) => boolean,
): CallerInfo | undefined {
  let remaining = stacklevel >= 1 ? Math.floor(stacklevel) : 1;
  let first: string | undefined;
  let pos = stack.indexOf("\n");
  while (pos >= 0) {
    const next = stack.indexOf("\n", pos + 1);
    const line = stack.slice(pos + 1, next < 0 ? undefined : next).trim();
    pos = next;
    if (!line.startsWith("at ")) continue;
    let rest = line.slice(3);
    if (rest.startsWith("async ")) rest = rest.slice(6);
    let fn = "";
    let loc = rest;
    if (rest.endsWith(")")) {
      const k = rest.indexOf(" (");
      if (k >= 0) {
        fn = rest.slice(0, k);
        loc = rest.slice(k + 2, -1);
      }
    }
    const m = FRAME_LOCATION.exec(loc);
    if (m === null) continue; // native / <anonymous>
    const url = m[1]!;
    first ??= url;
    if (isRuntimeFile(url) || skip(url, first)) continue;
    if (--remaining > 0) continue;
    const alias = fn.indexOf(" [as ");
    if (alias >= 0) fn = fn.slice(0, alias);
    return callerAt(url, Number(m[2]), fn === "" ? "<module>" : fn);
  }
  return undefined;
}

/**
 * Caller information for a source location: `pathname` is the path of a
 * `file:` URL (a Windows drive or UNC path where the URL names one; any
 * other text as it is), `filename` its last component and `module` that
 * without its extension, as Python's `LogRecord` derives them.
 *
 * @param url A module URL or path.
 * @param lineno The line number.
 * @param funcName The function name.
 * @returns The caller information.
 *
 * @example Usage
 * ```ts
 * import { callerAt } from "./caller.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(callerAt("file:///srv/app/main.ts", 12, "handle"), {
 *   pathname: "/srv/app/main.ts",
 *   filename: "main.ts",
 *   module: "main",
 *   lineno: 12,
 *   funcName: "handle",
 * });
 * ```
 */
export function callerAt(
  url: string,
  lineno: number,
  funcName: string,
): CallerInfo {
  const pathname = urlToPath(url);
  const filename = basename(pathname);
  return {
    pathname,
    filename,
    module: splitextRoot(filename),
    lineno,
    funcName,
  };
}

function urlToPath(url: string): string {
  if (!url.startsWith("file:")) return url;
  try {
    const u = new URL(url);
    let p = decodeURIComponent(u.pathname);
    if (/^\/[A-Za-z]:\//.test(p)) p = p.slice(1).replaceAll("/", "\\");
    else if (u.hostname !== "") {
      p = "\\\\" + u.hostname + p.replaceAll("/", "\\");
    }
    return p;
  } catch {
    return url;
  }
}

function basename(p: string): string {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return i < 0 ? p : p.slice(i + 1);
}

/** Python's `os.path.splitext(name)[0]` (leading dots are not extensions). */
function splitextRoot(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return name;
  for (let i = 0; i < dot; i++) {
    if (name.charCodeAt(i) !== 0x2e) return name.slice(0, dot);
  }
  return name;
}
