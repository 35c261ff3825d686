// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * What a pickled global is ({@linkcode objectKind}: well-known standard
 * types by module and name) and the faithful value of a placeholder of a
 * well-known type ({@linkcode objectValue}), read from its arguments, state,
 * items and entries. Works on the fields of `PyObject` (`py_object.ts`,
 * which imports this module) through {@linkcode ObjectData}.
 *
 * @module
 */
import { PyFloat, PyTuple } from "./py_types.ts";

/**
 * What a {@linkcode PyObject} is, as far as its global's name tells:
 * - `"global"`: a reference to a class or function, not called;
 * - a well-known standard type: `"datetime"`, `"date"`, `"time"`,
 *   `"timedelta"`, `"timezone"`, `"decimal"`, `"uuid"`, `"path"`
 *   (`pathlib` paths), `"ordereddict"`, `"defaultdict"`, `"deque"`,
 *   `"counter"`, `"complex"`, `"range"`, `"logger"` (`logging.getLogger`),
 *   `"exception"` (builtin exceptions, and classes named `…Error`,
 *   `…Exception` or `…Warning`);
 * - `"object"`: any other call or construction (enum members, dataclasses,
 *   namedtuples, plain objects…).
 */
export type PyObjectKind =
  | "global"
  | "datetime"
  | "date"
  | "time"
  | "timedelta"
  | "timezone"
  | "decimal"
  | "uuid"
  | "path"
  | "ordereddict"
  | "defaultdict"
  | "deque"
  | "counter"
  | "complex"
  | "range"
  | "logger"
  | "exception"
  | "object";

/** `datetime.date` fields. */
export interface PyDate {
  /** 1–9999. */
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31. */
  day: number;
}

/** `datetime.time` fields. */
export interface PyTime {
  /** 0–23. */
  hour: number;
  /** 0–59. */
  minute: number;
  /** 0–59. */
  second: number;
  /** 0–999999. */
  microsecond: number;
  /** 0 or 1. */
  fold: number;
  /** The `tzinfo` (usually a `timezone` placeholder), or `null`. */
  tzinfo: unknown;
}

/** `datetime.datetime` fields. */
export interface PyDateTime extends PyDate, PyTime {}

/** `datetime.timedelta` fields, normalised as Python stores them. */
export interface PyTimedelta {
  /** Days, may be negative. */
  days: number;
  /** 0–86399. */
  seconds: number;
  /** 0–999999. */
  microseconds: number;
}

/** `datetime.timezone` fields. */
export interface PyTimezone {
  /** The UTC offset (a `timedelta` placeholder). */
  offset: unknown;
  /** The name given to the constructor, or `null`. */
  name: string | null;
}

/**
 * The faithful value of a well-known {@linkcode PyObject}, by kind:
 *
 * | kind | value |
 * |---|---|
 * | `datetime`, `date`, `time` | {@linkcode PyDateTime}, {@linkcode PyDate}, {@linkcode PyTime} |
 * | `timedelta` / `timezone` | {@linkcode PyTimedelta} / {@linkcode PyTimezone} |
 * | `decimal` | its text, e.g. `"1.10"` |
 * | `uuid` | its 32 hex digits, lower case |
 * | `path` | the path text, e.g. `"/tmp/x"` |
 * | `ordereddict`, `counter`, `defaultdict` | a `Map` of the entries |
 * | `deque` | an array of the items |
 * | `complex` | `{ real, imag }` |
 * | `range` | `{ start, stop, step }` |
 * | `logger` | the logger's name (`"root"` for the root logger) |
 * | `exception` | the exception's `args` (an array) |
 * | `global`, `object` | `undefined` |
 *
 * It is also `undefined` when the pickle's data do not fit the type.
 */
export type PyObjectValue =
  | PyDateTime
  | PyDate
  | PyTime
  | PyTimedelta
  | PyTimezone
  | string
  | Map<unknown, unknown>
  | unknown[]
  | { real: number; imag: number }
  | { start: number | bigint; stop: number | bigint; step: number | bigint }
  | undefined;

/** The fields of a `PyObject` that its value is read from. */
export interface ObjectData {
  /** The global's module. */
  readonly module: string;
  /** The global's qualified name. */
  readonly name: string;
  /** What it is. */
  readonly kind: PyObjectKind;
  /** Positional arguments. */
  readonly args: readonly unknown[];
  /** The state set by `BUILD`. */
  readonly state: unknown;
  /** Appended items. */
  readonly items: readonly unknown[];
  /** Set entries. */
  readonly entries: ReadonlyMap<unknown, unknown>;
}

const BUILTINS = new Set(["builtins", "__builtin__", "exceptions"]);
const PATHS = new Set([
  "Path",
  "PosixPath",
  "WindowsPath",
  "PurePath",
  "PurePosixPath",
  "PureWindowsPath",
]);
const DATETIME: Record<string, PyObjectKind> = {
  datetime: "datetime",
  date: "date",
  time: "time",
  timedelta: "timedelta",
  timezone: "timezone",
};
const COLLECTIONS: Record<string, PyObjectKind> = {
  OrderedDict: "ordereddict",
  defaultdict: "defaultdict",
  deque: "deque",
  Counter: "counter",
};
const EXCEPTION_NAME =
  /(?:Error|Exception|Warning|Exit|Interrupt|StopIteration|StopAsyncIteration|GeneratorExit)$/;

/**
 * The kind of a placeholder made by calling or constructing a global.
 *
 * @param module The global's module.
 * @param name The global's qualified name.
 * @returns Its kind (`"object"` when not a well-known type).
 */
export function objectKind(module: string, name: string): PyObjectKind {
  if (module === "datetime" || module === "_pydatetime") {
    return Object.hasOwn(DATETIME, name) ? DATETIME[name]! : "object";
  }
  if (
    name === "Decimal" &&
    (module === "decimal" || module === "_pydecimal" || module === "cdecimal")
  ) return "decimal";
  if (module === "uuid" && name === "UUID") return "uuid";
  if (
    (module === "pathlib" || module === "pathlib._local") && PATHS.has(name)
  ) {
    return "path";
  }
  if (module === "collections" && Object.hasOwn(COLLECTIONS, name)) {
    return COLLECTIONS[name]!;
  }
  if (module === "logging" && name === "getLogger") return "logger";
  if (BUILTINS.has(module)) {
    if (name === "complex") return "complex";
    if (name === "range" || name === "xrange") return "range";
  }
  if (EXCEPTION_NAME.test(name)) return "exception";
  return "object";
}

type IsObject = (v: unknown) => v is ObjectData;

/**
 * The faithful value of a placeholder (see {@linkcode PyObjectValue}).
 *
 * @param o The placeholder.
 * @param isObject Whether a value is a placeholder.
 * @returns The value, or `undefined` when the data do not fit the type.
 */
export function objectValue(o: ObjectData, isObject: IsObject): PyObjectValue {
  const a = o.args;
  switch (o.kind) {
    case "datetime":
      return dateTime(a, 10, isObject);
    case "date":
      return dateTime(a, 4, isObject);
    case "time":
      return dateTime(a, 6, isObject);
    case "timedelta":
      return timedelta(a);
    case "timezone": {
      const offset = a[0];
      const name = a.length > 1 ? a[1] : null;
      if (a.length > 2 || (name !== null && typeof name !== "string")) break;
      if (!isObject(offset) || offset.kind !== "timedelta") break;
      if (timedelta(offset.args) === undefined) break;
      return { offset, name };
    }
    case "decimal":
      return a.length === 1 && typeof a[0] === "string" ? a[0] : undefined;
    case "uuid": {
      const n = fieldOf(o.state, "int") ?? (a.length === 1 ? a[0] : undefined);
      if (typeof n === "string" && /^[0-9a-fA-F-]{32,36}$/.test(n)) {
        const hex = n.replace(/-/g, "").toLowerCase();
        return hex.length === 32 ? hex : undefined;
      }
      if (typeof n !== "number" && typeof n !== "bigint") break;
      const big = BigInt(n);
      if (big < 0n || big >= 1n << 128n) break;
      return big.toString(16).padStart(32, "0");
    }
    case "path":
      return pathText(o.name, a);
    case "ordereddict":
    case "counter":
    case "defaultdict":
      return dictValue(o);
    case "deque": {
      const first = a[0] instanceof PyTuple ? a[0].items : a[0];
      if (first !== undefined && !Array.isArray(first)) break;
      return [...(first ?? []), ...o.items];
    }
    case "complex": {
      // `loads` with `exact: true` gives integral floats as PyFloat.
      const [re = 0, im = 0] = a.map((x) => x instanceof PyFloat ? x.value : x);
      if (a.length > 2 || typeof re !== "number" || typeof im !== "number") {
        break;
      }
      return { real: re, imag: im };
    }
    case "range": {
      const ints = a.every((x) =>
        typeof x === "number" || typeof x === "bigint"
      );
      if (!ints || a.length < 1 || a.length > 3) break;
      const [x, y, z] = a as (number | bigint)[];
      return a.length === 1
        ? { start: 0, stop: x!, step: 1 }
        : { start: x!, stop: y!, step: z ?? 1 };
    }
    case "logger":
      if (a.length === 0 || a[0] === null) return "root";
      return a.length === 1 && typeof a[0] === "string" ? a[0] : undefined;
    case "exception":
      return [...a];
  }
  return undefined;
}

/** A key of a str-keyed state dict (or of the dict of a `(dict, slots)` pair). */
export function fieldOf(state: unknown, key: string): unknown {
  if (state instanceof PyTuple && state.items.length === 2) {
    return fieldOf(state.items[1], key) ?? fieldOf(state.items[0], key);
  }
  if (state instanceof Map) return state.get(key);
  if (
    typeof state === "object" && state !== null &&
    Object.getPrototypeOf(state) === null && Object.hasOwn(state, key)
  ) return (state as Record<string, unknown>)[key];
  return undefined;
}

/**
 * The bytes of a datetime state: bytes, or a str (Python 2 `str`, decoded
 * as UTF-8 when valid, else Latin-1) turned back into `size` bytes.
 */
function stateBytes(v: unknown, size: number): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v.length === size ? v : undefined;
  if (typeof v !== "string") return undefined;
  if (v.length === size) {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const c = v.charCodeAt(i);
      if (c > 0xff) return undefined;
      out[i] = c;
    }
    return out;
  }
  const utf8 = new TextEncoder().encode(v);
  return utf8.length === size ? utf8 : undefined;
}

const DT_FIELDS = [
  "year",
  "month",
  "day",
  "hour",
  "minute",
  "second",
  "microsecond",
] as const;

function dateTime(
  a: readonly unknown[],
  size: 10 | 4 | 6,
  isObject: IsObject,
): PyDateTime | PyDate | PyTime | undefined {
  const b = stateBytes(a[0], size);
  let f: number[];
  let fold = 0;
  let tzinfo: unknown = null;
  if (b !== undefined) {
    if (a.length > (size === 4 ? 1 : 2)) return undefined;
    tzinfo = a.length > 1 ? a[1] : null;
    if (size === 6) {
      fold = b[0]! >> 7;
      f = [b[0]! & 0x7f, b[1]!, b[2]!, (b[3]! << 16) | (b[4]! << 8) | b[5]!];
    } else {
      fold = b[2]! >> 7;
      f = [b[0]! * 256 + b[1]!, b[2]! & 0x7f, b[3]!];
      if (size === 10) {
        f.push(b[4]!, b[5]!, b[6]!, (b[7]! << 16) | (b[8]! << 8) | b[9]!);
      }
    }
  } else {
    // The pure-Python form: the fields as ints, then tzinfo.
    const n = size === 10 ? 7 : size === 4 ? 3 : 4;
    f = [];
    for (let i = 0; i < a.length && i < n; i++) {
      if (typeof a[i] !== "number") return undefined;
      f.push(a[i] as number);
    }
    if (f.length < (size === 6 ? 0 : 3)) return undefined;
    while (f.length < n) f.push(0);
    if (a.length > n + (size === 4 ? 0 : 1)) return undefined;
    tzinfo = a.length > n ? a[n] : null;
  }
  if (tzinfo !== null && !isObject(tzinfo)) return undefined;
  const names = size === 6 ? DT_FIELDS.slice(3) : DT_FIELDS.slice(0, f.length);
  const out: Record<string, unknown> = {};
  names.forEach((k, i) => out[k] = f[i]);
  if (size !== 4) {
    out.fold = fold;
    out.tzinfo = tzinfo;
  }
  return out as unknown as PyDateTime;
}

function timedelta(a: readonly unknown[]): PyTimedelta | undefined {
  if (a.length > 3 || !a.every((x) => typeof x === "number")) return undefined;
  const [days = 0, seconds = 0, microseconds = 0] = a as number[];
  if (seconds < 0 || seconds >= 86400 || microseconds < 0) return undefined;
  if (microseconds >= 1e6) return undefined;
  return { days, seconds, microseconds };
}

function pathText(name: string, a: readonly unknown[]): string | undefined {
  if (!a.every((x) => typeof x === "string")) return undefined;
  const windows = name.includes("Windows");
  const sep = windows ? "\\" : "/";
  let out = "";
  for (const part of a as string[]) {
    if (part === "") continue;
    if (part.startsWith("/") || (windows && /^([a-zA-Z]:)?[\\/]/.test(part))) {
      out = part;
    } else if (out === "" || out.endsWith(sep) || out.endsWith("/")) {
      out += part;
    } else out += sep + part;
  }
  return out === "" ? "." : out;
}

function dictValue(o: ObjectData): Map<unknown, unknown> | undefined {
  const out = new Map<unknown, unknown>();
  const a = o.args;
  const first = o.kind === "defaultdict" ? a[1] : a[0];
  if (first instanceof Map) {
    for (const [k, v] of first) out.set(k, v);
  } else if (Array.isArray(first)) {
    for (const pair of first) {
      const kv = pair instanceof PyTuple ? pair.items : pair;
      if (!Array.isArray(kv) || kv.length !== 2) return undefined;
      out.set(kv[0], kv[1]);
    }
  } else if (typeof first === "object" && first !== null) {
    if (Object.getPrototypeOf(first) !== null) return undefined;
    for (const k of Object.keys(first)) {
      out.set(k, (first as Record<string, unknown>)[k]);
    }
  } else if (first !== undefined && first !== null) return undefined;
  for (const [k, v] of o.entries) out.set(k, v);
  return out;
}
