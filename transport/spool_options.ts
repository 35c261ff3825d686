// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The options and hooks of the disk spool ({@linkcode DiskSpool} in
 * `spool.ts`), their defaults and their validation
 * ({@linkcode resolveSpoolOptions}). Private to the package.
 *
 * Messages follow the package's style: `Cannot open the spool as 'maxBytes'
 * must be an integer from 4096 to 9007199254740991: current value is 10`. A
 * wrong type is a `TypeError`, a value out of range a `RangeError`; an
 * unknown key is a `TypeError`.
 *
 * @example Usage
 * ```ts
 * import { resolveSpoolOptions } from "./spool_options.ts";
 * import { equal, throws } from "node:assert/strict";
 *
 * const o = resolveSpoolOptions({ dir: "/var/spool/app" });
 * equal(o.maxBytes, 64 * 1024 * 1024);
 * equal(o.segmentBytes, 8 * 1024 * 1024);
 * equal(o.blockBytes, 64 * 1024);
 * throws(
 *   () => resolveSpoolOptions({ dir: "x", maxBytes: 10 }),
 *   new RangeError(
 *     "Cannot open the spool as 'maxBytes' must be an integer from 4096 to 9007199254740991: current value is 10",
 *   ),
 * );
 * ```
 *
 * @module
 */

/** Options of the disk spool. Sizes are in bytes. */
export interface SpoolOptions {
  /** Directory of the segment files (created, with its parents, if missing). */
  dir: string;
  /**
   * Bound of the bytes on disk, the block not yet written included (default
   * 64 MiB, at least 4096). Beyond it the oldest frames not yet loaded are
   * dropped, a segment at a time (a handler counts them as `overflow`).
   */
  maxBytes?: number;
  /**
   * `fdatasync` after every write to disk (default false: a process that is
   * killed loses nothing already written; this adds safety against a power
   * loss, at the cost of a disk flush per block).
   */
  fsync?: boolean;
  /**
   * Size at which the segment being written is closed and a new one begun
   * (default min(maxBytes / 8, 8 MiB); from 64 to maxBytes). A segment is
   * the unit of deletion: once all its frames are released, and when the
   * bound drops the oldest frames.
   */
  segmentBytes?: number;
  /**
   * Raw size at which the pending frames are compressed and written as one
   * block (default min(maxBytes / 16, 64 KiB); from 1 to maxBytes / 2).
   */
  blockBytes?: number;
}

/** The spool's options with every default filled in. */
export interface ResolvedSpoolOptions {
  /** Directory of the segment files. */
  readonly dir: string;
  /** Bound of the bytes on disk. */
  readonly maxBytes: number;
  /** fdatasync after every write. */
  readonly fsync: boolean;
  /** Rotation size of a segment. */
  readonly segmentBytes: number;
  /** Raw size of a block. */
  readonly blockBytes: number;
}

/**
 * What the spool reports. It never throws from `append`, `flush`, `load`,
 * `release` or `saveHead` for an I/O error: it reports it and goes on.
 * A hook that throws is ignored.
 */
export interface SpoolHooks {
  /**
   * Frames dropped: the oldest frames not yet loaded, beyond `maxBytes`; a
   * frame too large for `maxBytes`; frames that could not be written or
   * read back.
   *
   * @param count How many.
   */
  onDrop(count: number): void;
  /**
   * A corrupt or torn part of a segment was skipped.
   *
   * @param error What was wrong, and where.
   * @param records Its frames, if its header could be trusted.
   * @param bytes Its bytes.
   */
  onCorrupt(error: Error, records: number | undefined, bytes: number): void;
  /**
   * An I/O error after open (the spool goes on; frames it lost are also
   * counted through `onDrop`).
   *
   * @param error The error.
   */
  onError(error: Error): void;
}

/** Default of `maxBytes`: 64 MiB. */
export const DEFAULT_SPOOL_BYTES = 64 * 1024 * 1024;
/** Smallest `maxBytes`. */
export const MIN_SPOOL_BYTES = 4096;
/** Largest default segment: 8 MiB. */
export const MAX_DEFAULT_SEGMENT = 8 * 1024 * 1024;
/** Largest default block: 64 KiB. */
export const MAX_DEFAULT_BLOCK = 64 * 1024;

const KEYS = new Set([
  "dir",
  "maxBytes",
  "fsync",
  "segmentBytes",
  "blockBytes",
]);

/**
 * Checks the options and fills in the defaults.
 *
 * @param options The options.
 * @returns The options with their defaults.
 * @throws {TypeError} On a wrong type or an unknown key.
 * @throws {RangeError} On a size out of its bounds.
 */
export function resolveSpoolOptions(
  options: SpoolOptions,
): ResolvedSpoolOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot open the spool as its options must be an object: current value is ${
        describe(options)
      }`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) {
      throw new TypeError(
        `Cannot open the spool as '${key}' is not an option: expected one of ${
          [...KEYS].map((k) => `'${k}'`).join(", ")
        }`,
      );
    }
  }
  const { dir, fsync } = options;
  if (typeof dir !== "string" || dir === "" || dir.includes("\0")) {
    throw new TypeError(
      `Cannot open the spool as 'dir' must be a non-empty path: current value is ${
        describe(dir)
      }`,
    );
  }
  if (fsync !== undefined && typeof fsync !== "boolean") {
    throw new TypeError(
      `Cannot open the spool as 'fsync' must be a boolean: current value is ${
        describe(fsync)
      }`,
    );
  }
  const maxBytes = size(
    "maxBytes",
    options.maxBytes,
    DEFAULT_SPOOL_BYTES,
    MIN_SPOOL_BYTES,
    Number.MAX_SAFE_INTEGER,
  );
  const segmentBytes = size(
    "segmentBytes",
    options.segmentBytes,
    Math.min(Math.floor(maxBytes / 8), MAX_DEFAULT_SEGMENT),
    64,
    maxBytes,
  );
  const blockBytes = size(
    "blockBytes",
    options.blockBytes,
    Math.min(Math.floor(maxBytes / 16), MAX_DEFAULT_BLOCK),
    1,
    Math.floor(maxBytes / 2),
  );
  return { dir, maxBytes, fsync: fsync ?? false, segmentBytes, blockBytes };
}

function size(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot open the spool as '${name}' must be a number: current value is ${
        describe(value)
      }`,
    );
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot open the spool as '${name}' must be an integer from ${min} to ${max}: current value is ${value}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  return String(value);
}

/**
 * Checks that every hook is a function.
 *
 * @param hooks The hooks.
 * @throws {TypeError} If one is not.
 */
export function checkSpoolHooks(hooks: SpoolHooks): void {
  for (const name of ["onDrop", "onCorrupt", "onError"] as const) {
    if (typeof hooks?.[name] !== "function") {
      throw new TypeError(
        `Cannot open the spool as the hook '${name}' must be a function: current value is ${
          hooks === null || typeof hooks !== "object"
            ? String(hooks)
            : typeof hooks[name]
        }`,
      );
    }
  }
}
