// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The errors of opening the disk spool: {@linkcode SpoolError}, and the
 * message for a directory Deno denies access to, which names the flags
 * that allow it. Private to the package.
 *
 * @module
 */
import { isPermissionError, messageOf } from "./errors.ts";

/**
 * The spool could not be opened: its directory cannot be created or read,
 * Deno denies access to it, or another spool holds its lock.
 */
export class SpoolError extends Error {
  /** The spool's directory. */
  readonly dir: string;

  /**
   * Creates the error.
   *
   * @param dir The spool's directory.
   * @param message What happened.
   * @param options The cause.
   */
  constructor(dir: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SpoolError";
    this.dir = dir;
  }
}

/**
 * The accesses to `dir` that Deno's permissions deny outright (a `--deny-*`
 * flag); one merely not granted is tried, and may be prompted for.
 *
 * @param dir The spool's directory.
 * @returns `"read"`, `"write"`, both or none.
 */
export function deniedAccess(dir: string): ("read" | "write")[] {
  const denied: ("read" | "write")[] = [];
  for (const name of ["read", "write"] as const) {
    try {
      if (Deno.permissions.querySync({ name, path: dir }).state === "denied") {
        denied.push(name);
      }
    } catch { /* the operations below will tell */ }
  }
  return denied;
}

/**
 * The error for a directory Deno denies access to, naming the flags that
 * allow it.
 *
 * @param dir The spool's directory.
 * @param denied The accesses denied.
 * @param cause The permission error, if one was thrown.
 * @returns The error.
 */
export function permissionError(
  dir: string,
  denied: ("read" | "write")[],
  cause?: unknown,
): SpoolError {
  const what = denied.length === 1
    ? (denied[0] === "read" ? "reading it" : "writing to it")
    : "reading and writing it";
  return new SpoolError(
    dir,
    `Cannot open the spool in ${dir} as Deno denies ${what}: run with --allow-read=${dir} --allow-write=${dir} (or --allow-read --allow-write)`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Any error thrown while opening the spool as a {@linkcode SpoolError}:
 * a permission error names the flags needed.
 *
 * @param dir The spool's directory.
 * @param e The thrown value.
 * @returns The error.
 */
export function openError(dir: string, e: unknown): SpoolError {
  if (e instanceof SpoolError) return e;
  if (isPermissionError(e)) {
    const denied: ("read" | "write")[] = [];
    for (const name of ["read", "write"] as const) {
      try {
        if (
          Deno.permissions.querySync({ name, path: dir }).state !== "granted"
        ) {
          denied.push(name);
        }
      } catch { /* named below anyway */ }
    }
    return permissionError(
      dir,
      denied.length > 0 ? denied : ["read", "write"],
      e,
    );
  }
  return new SpoolError(
    dir,
    `Cannot open the spool in ${dir}: ${messageOf(e)}`,
    { cause: e },
  );
}
