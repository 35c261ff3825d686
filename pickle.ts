// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A pickle encoder that writes what CPython's C pickler writes for the
 * corresponding Python value, byte for byte, for protocols 1 to 5.
 *
 * | JavaScript | Python |
 * | --- | --- |
 * | `null`, `undefined` | `None` |
 * | `boolean` | `bool` |
 * | safe integer `number` (not `-0`) | `int` |
 * | any other `number` (fraction, `NaN`, `±Infinity`, `-0`), {@linkcode PyFloat} | `float` |
 * | `bigint` | `int` of any size |
 * | `string` (lone surrogates included, as `surrogatepass` writes them) | `str` |
 * | `Uint8Array`, `ArrayBuffer` | `bytes` |
 * | `Array` / {@linkcode PyTuple} | `list` / `tuple` |
 * | plain object (prototype `Object.prototype` or `null`) | `dict` with `str` keys |
 * | `Map` | `dict` |
 * | `Set` | `set` |
 * | `Date` | `str`, from `toISOString()` |
 *
 * The output is what CPython 3.11 writes when it pickles the value that
 * `pickle.loads` makes of it: opcodes, memo indices, batches of 1000 items,
 * and (protocol ≥4) the `FRAME` opcodes, all in the same places. Details:
 *
 * - Objects seen twice (the same JavaScript object) are written once and then
 *   fetched from the memo, so shared and cyclic arrays, objects, maps and
 *   tuples round-trip (a tuple that contains itself through a list is written
 *   as CPython writes it).
 * - Strings have no identity in JavaScript, so they are written at every
 *   occurrence, except the empty string and one-character strings below
 *   U+0100, which CPython shares and so are fetched from the memo after the
 *   first one (as are `b""` and, in protocols 1–2, one-byte `bytes`).
 * - Plain objects give their own enumerable string keys in JavaScript order:
 *   integer-like keys come first, ascending.
 * - `Map` keys and `Set` items must be hashable in Python: arrays, plain
 *   objects, maps and sets (also inside a tuple) throw. Keys that are equal
 *   in Python (`1`, `1n`, `true`, `pyFloat(1)`) collapse into one on loading.
 * - Sets are written in JavaScript insertion order; CPython writes its own
 *   hash order, so set bytes equal CPython's only where the orders agree.
 * - Protocol 1 writes big integers as decimal text, which CPython ≥3.11 does
 *   not read beyond 4300 digits, so those throw; protocols ≥2 have no limit.
 * - Anything else (functions, symbols, class instances, typed arrays other
 *   than `Uint8Array`, invalid dates…) throws a {@linkcode PickleError}
 *   naming where the value sits, unless {@linkcode DumpsOptions.fallback}
 *   converts it. Exceptions thrown while reading the value (getters, proxy
 *   traps) become a `PickleError` too.
 *
 * Speed: results are views into a pooled buffer by default (see
 * {@linkcode DumpsOptions.pooled}), and a top-level dict with the same keys
 * as the one before it (a stream of log records) reuses that one's bytes for
 * its keys and unchanged values, so only what changed is encoded. The bytes
 * are the same either way.
 *
 * {@linkcode loads} (re-exported from the safe decoder) reads pickles back.
 *
 * ```ts
 * import { dumps, dumpsFrame, pyFloat } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * // pickle.dumps({'a': 1.0, 'b': [1, None]}, 1) in Python
 * deepEqual(
 *   dumps({ a: pyFloat(1), b: [1, null] }, { protocol: 1 }),
 *   Uint8Array.from([
 *     0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01,
 *     0x47, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
 *     0x58, 0x01, 0x00, 0x00, 0x00, 0x62, 0x71, 0x02,
 *     0x5d, 0x71, 0x03, 0x28, 0x4b, 0x01, 0x4e, 0x65, 0x75, 0x2e,
 *   ]),
 * );
 *
 * // The SocketHandler wire frame: a 4-byte big-endian length, then the pickle
 * deepEqual(
 *   dumpsFrame(null, { protocol: 1 }),
 *   Uint8Array.from([0, 0, 0, 2, 0x4e, 0x2e]),
 * );
 * ```
 *
 * @module
 */

import { encode } from "./pickle/encoder.ts";
import type { DumpsOptions } from "./pickle/options.ts";

export type { DumpsOptions, PickleProtocol } from "./pickle/options.ts";
export { PickleError, UnpicklingError } from "./pickle/errors.ts";
export {
  PyByteArray,
  PyFloat,
  pyFloat,
  PyFrozenSet,
  PyTuple,
  pyTuple,
} from "./pickle/py_types.ts";
export { loads, type LoadsOptions } from "./pickle/decoder.ts";
export {
  type PyDate,
  type PyDateTime,
  PyObject,
  type PyObjectKind,
  type PyObjectValue,
  type PyTime,
  type PyTimedelta,
  type PyTimezone,
} from "./pickle/py_object.ts";

/**
 * Pickles a value as CPython's `pickle.dumps(value, protocol)` does for the
 * corresponding Python value (see the module documentation for the mapping).
 *
 * @param value The value to pickle.
 * @param options The protocol, a fallback for values that cannot be pickled,
 * a depth limit, and whether the result may share a pooled buffer.
 * @returns The pickle: a view into a pooled buffer unless `pooled` is
 * `false` (see {@linkcode DumpsOptions.pooled}).
 * @throws {PickleError} If a value cannot be pickled (the message names its
 * path), reading the value throws, or containers are nested deeper than
 * `maxDepth`.
 * @throws {RangeError} If `protocol` is not 1 to 5 or `maxDepth` is negative.
 * @throws {TypeError} If `fallback` is not a function or `maxDepth` is not a
 * number.
 *
 * @example Pickle a list with protocol 2
 * ```ts
 * import { dumps } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * // pickle.dumps([1, 'a'], 2)
 * deepEqual(
 *   dumps([1, "a"], { protocol: 2 }),
 *   Uint8Array.from([
 *     0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x4b, 0x01,
 *     0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01, 0x65, 0x2e,
 *   ]),
 * );
 * ```
 */
export function dumps(
  value: unknown,
  options?: DumpsOptions,
): Uint8Array<ArrayBuffer> {
  return encode(value, options, false);
}

/**
 * Pickles a value and frames it as `logging.handlers.SocketHandler` does: a
 * 4-byte big-endian length followed by `dumps(value, options)`, built in one
 * buffer (the pickle is not copied).
 *
 * @param value The value to pickle.
 * @param options As for {@linkcode dumps}.
 * @returns The frame: a view into a pooled buffer unless `pooled` is `false`.
 * @throws {PickleError} As {@linkcode dumps} does, and if the pickle is
 * 4 GiB or larger.
 * @throws {RangeError} If `protocol` is not 1 to 5 or `maxDepth` is negative.
 * @throws {TypeError} If `fallback` is not a function or `maxDepth` is not a
 * number.
 *
 * @example Frame a record for a Python receiver
 * ```ts
 * import { dumpsFrame } from "@pylogging/socket-handler/pickle";
 * import { equal } from "node:assert/strict";
 *
 * const frame = dumpsFrame({ name: "a", levelno: 30 }, { protocol: 1 });
 * const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
 * equal(view.getUint32(0), frame.length - 4);
 * ```
 */
export function dumpsFrame(
  value: unknown,
  options?: DumpsOptions,
): Uint8Array<ArrayBuffer> {
  return encode(value, options, true);
}

/**
 * Prefixes pickle bytes with their length as a 4-byte big-endian integer, the
 * framing of `logging.handlers.SocketHandler`.
 *
 * @param pickle The pickle.
 * @returns A fresh buffer: the length, then a copy of `pickle`.
 * @throws {RangeError} If `pickle` is 4 GiB or larger.
 *
 * @example Frame existing pickle bytes
 * ```ts
 * import { dumps, frame } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(frame(dumps(null, { protocol: 1 })), Uint8Array.from([0, 0, 0, 2, 0x4e, 0x2e]));
 * ```
 */
export function frame(pickle: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = pickle.length;
  if (n > 0xffffffff) {
    throw new RangeError(
      `Cannot frame the pickle as it must be smaller than 4 GiB: current size is ${n} bytes`,
    );
  }
  const out = new Uint8Array(n + 4);
  new DataView(out.buffer).setUint32(0, n);
  out.set(pickle, 4);
  return out;
}
