// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The options of `dumps` and `dumpsFrame`.
 *
 * @module
 */

/** A pickle protocol version that `dumps` can write. */
export type PickleProtocol = 1 | 2 | 3 | 4 | 5;

/** Options for `dumps` and `dumpsFrame`. */
export interface DumpsOptions {
  /**
   * Pickle protocol. Python's `logging.handlers.SocketHandler` sends
   * protocol 1.
   *
   * @default {4} (CPython ≥3.8's default)
   */
  protocol?: PickleProtocol;
  /**
   * Converts a value the encoder cannot pickle (function, symbol, class
   * instance…) into one it can; called with the value and its path (e.g.
   * `"value.args[2]"`). Returning `undefined` means `None`. The returned value
   * is pickled in place of the original; if it cannot be pickled either, a
   * `PickleError` is thrown (the fallback is not called again for
   * the value it returned, but it is for values nested inside it).
   */
  fallback?: (value: unknown, path: string) => unknown;
  /**
   * Maximum nesting depth of containers (lists, tuples, dicts, sets): the
   * top-level container is at depth 1.
   *
   * @default {1000}
   */
  maxDepth?: number;
  /**
   * Return a view into a pooled `ArrayBuffer` (a slab of 64 KiB shared by
   * consecutive results, as Node.js pools small `Buffer`s) rather than an
   * `ArrayBuffer` of its own. Allocating an `ArrayBuffer` costs about as much
   * as pickling a whole log record, so pooling is the default: one
   * allocation per slab, and consecutive results lie back to back, so a
   * writer can send many of them with one write and no copy. A slab is
   * never reused or overwritten, so a result stays valid for as long as it
   * is kept; the slab is freed when no result in it is left. Read a result
   * through the view (or its `byteOffset`), never through its whole
   * `.buffer`, which holds other results too, and do not transfer that
   * buffer to a worker. Pass `false` for a buffer of its own (e.g. to
   * transfer it). Results larger than 16 KiB always get their own buffer.
   *
   * @default {true}
   */
  pooled?: boolean;
}
