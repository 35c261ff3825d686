// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode PyObject}: the inert placeholder that `loads(data, { objects:
 * "inert" })` (and `LogReceiver`) makes of a pickled Python object, a class
 * reference or a call, instead of importing and calling anything.
 *
 * A placeholder records what the pickle says: the global it names (`module`
 * and `name`), the arguments it would be called with (`args`, `kwargs`), the
 * state `BUILD` would set (`state`), and the items and entries appended to
 * it (`items`, `entries`). Well-known standard types also get a
 * {@linkcode PyObject.kind} and a faithful {@linkcode PyObject.value} (see
 * {@linkcode PyObjectValue}); `pyRepr`/`pyStr` of the receiver's text module
 * print them as Python does.
 *
 * @example A datetime sent as an extra
 * ```ts
 * import { loads, PyObject } from "@pylogging/socket-handler/pickle";
 * import { deepEqual, equal, ok } from "node:assert/strict";
 *
 * // pickle.dumps(datetime.date(2024, 1, 2), 2)
 * const data = Uint8Array.from([
 *   0x80, 0x02, 0x63, ..."datetime\ndate\n".split("").map((c) => c.charCodeAt(0)),
 *   0x43, 0x04, 0x07, 0xe8, 0x01, 0x02, 0x85, 0x52, 0x2e,
 * ]);
 * const d = loads(data, { objects: "inert" });
 * ok(d instanceof PyObject);
 * equal(d.qualname, "datetime.date");
 * equal(d.kind, "date");
 * deepEqual(d.value, { year: 2024, month: 1, day: 2 });
 * ```
 *
 * @module
 */

import { objectValue } from "./py_object_value.ts";
import type {
  PyDate,
  PyDateTime,
  PyObjectKind,
  PyObjectValue,
  PyTime,
  PyTimedelta,
  PyTimezone,
} from "./py_object_value.ts";

export type {
  PyDate,
  PyDateTime,
  PyObjectKind,
  PyObjectValue,
  PyTime,
  PyTimedelta,
  PyTimezone,
};

function isPyObject(v: unknown): v is PyObject {
  return v instanceof PyObject;
}

/**
 * An inert Python object, class reference or call, decoded from a pickle
 * without importing or calling anything. See the module documentation.
 */
export class PyObject {
  /** Module of the global the pickle names, e.g. `"datetime"`. */
  readonly module: string;
  /** Qualified name of the global in its module, e.g. `"datetime"`. */
  readonly name: string;
  /** What it is (see {@linkcode PyObjectKind}). */
  readonly kind: PyObjectKind;
  /** Positional arguments of the call or construction (empty for a `global`). */
  args: readonly unknown[] = [];
  /** Keyword arguments (`NEWOBJ_EX`), or `null`. */
  kwargs: unknown = null;
  /** The state `BUILD` would set (usually its `__dict__`), or `undefined`. */
  state: unknown = undefined;
  /** Items appended to it (`APPEND`, `APPENDS`: deques, list subclasses). */
  readonly items: unknown[] = [];
  /** Entries set on it (`SETITEM`, `SETITEMS`: dict subclasses). */
  readonly entries: Map<unknown, unknown> = new Map();

  /**
   * Makes a placeholder.
   *
   * @param module The global's module.
   * @param name The global's qualified name.
   * @param kind What it is.
   */
  constructor(module: string, name: string, kind: PyObjectKind) {
    this.module = module;
    this.name = name;
    this.kind = kind;
  }

  /**
   * The faithful value of a well-known type (see {@linkcode PyObjectValue}),
   * computed from `args`, `state`, `items` and `entries` when read.
   */
  get value(): PyObjectValue {
    return objectValue(this, isPyObject);
  }

  /** `module.name`, e.g. `"datetime.datetime"`. */
  get qualname(): string {
    return this.module + "." + this.name;
  }
}
