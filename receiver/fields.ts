// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The standard `LogRecord` fields as the receiver checks them: one row per
 * name of `STANDARD_FIELDS` (`record/schema.ts`), in its order, with the type the
 * field accepts from the wire and how an accepted value is stored. Checked
 * against `STANDARD_FIELDS` when this module loads. Private to the package.
 *
 * @module
 */
import { STANDARD_FIELDS } from "../record/schema.ts";
import type { PythonLogRecord } from "./python_log_record.ts";

// What a standard field accepts: `accepts()` checks it, `WANT` words it for
// problem text ("'lineno' must be an int: …"). Numbers rather than check
// functions: a call per field would cost more than the check. The type
// parameter is the value a field of that type holds once accepted.

/** A field type: a number, tagged with the value it accepts. */
export type FieldType<T> = number & { readonly __accepts?: T };

/** Anything (Python accepts any `msg` and `args`). */
const ANY = 0 as FieldType<unknown>;
/** A str. */
const STR = 1 as FieldType<string>;
/** A str or None. */
const STR_OR_NONE = 2 as FieldType<string | null>;
/** An int or float, not NaN (`bigint` → number). */
const NUMBER = 3 as FieldType<number>;
/** A finite int or float (`bigint` → number). */
const FINITE = 4 as FieldType<number>;
/** An int that fits a number. */
const INT = 5 as FieldType<number>;
/** An int of any size (`bigint` kept), or None: a thread id. */
const BIG_INT_OR_NONE = 6 as FieldType<number | bigint | null>;
/** An int (`bigint` → number), or None: a process id. */
const INT_OR_NONE = 7 as FieldType<number | null>;
/** None: senders render `exc_info` into `exc_text`. */
const NONE = 8 as FieldType<null>;

/** What each field type accepts, as problem text says it. */
export const WANT: readonly string[] = [
  "anything",
  "a str",
  "a str or None",
  "an int or float",
  "a finite int or float",
  "an int",
  "an int or None",
  "an int or None",
  "None (senders render it into 'exc_text')",
];

/**
 * Whether a field of type `type` accepts the received value `v`.
 *
 * @param type The field's type.
 * @param v The received value.
 * @returns Whether `v` is accepted.
 */
export function accepts(type: FieldType<unknown>, v: unknown): boolean {
  switch (type) {
    case ANY:
      return true;
    case STR:
      return typeof v === "string";
    case STR_OR_NONE:
      return v === null || typeof v === "string";
    case NUMBER:
      return typeof v === "number" ? !Number.isNaN(v) : typeof v === "bigint";
    case FINITE:
      return typeof v === "number"
        ? Number.isFinite(v)
        : typeof v === "bigint" && Number.isFinite(Number(v));
    case INT:
      return typeof v === "number" && Number.isInteger(v);
    case BIG_INT_OR_NONE:
    case INT_OR_NONE:
      return v === null || typeof v === "bigint" ||
        (typeof v === "number" && Number.isInteger(v));
    case NONE:
      return v === null;
  }
  return false;
}

/**
 * Whether a field of type `type` keeps a received `bigint` as it is (other
 * types store it as a number).
 *
 * @param type The field's type.
 * @returns Whether a `bigint` is stored as is.
 */
export function keepsBigInt(type: FieldType<unknown>): boolean {
  return type === ANY || type === BIG_INT_OR_NONE;
}

/** The standard fields: the keys of {@linkcode PythonLogRecord} that are data. */
export type StandardField = Exclude<
  keyof PythonLogRecord,
  "extra" | "problems" | "getMessage"
>;

/** Bit of `levelno` in {@linkcode Field.seen}. */
export const SEEN_LEVELNO = 1;
/** Bit of `levelname` in {@linkcode Field.seen}. */
export const SEEN_LEVELNAME = 2;
/** Bit of `msecs` in {@linkcode Field.seen}. */
export const SEEN_MSECS = 4;

/** One standard field. */
export interface Field {
  /** What it accepts. */
  readonly type: FieldType<unknown>;
  /**
   * Stores an accepted value. One function per field: a named store is
   * several times faster than `record[key] = value` with varying keys.
   */
  readonly set: (r: PythonLogRecord, v: unknown) => void;
  /** Its bit among the fields whose absence matters, else 0. */
  readonly seen: number;
}

function field<T>(
  type: FieldType<T>,
  set: (r: PythonLogRecord, v: T) => void,
  seen = 0,
): Field {
  return { type, set: set as Field["set"], seen };
}

/** Every standard field, in `STANDARD_FIELDS` order. */
const FIELDS: { readonly [K in StandardField]: Field } = {
  name: field(STR_OR_NONE, (r, v) => r.name = v),
  msg: field(ANY, (r, v) => r.msg = v),
  args: field(ANY, (r, v) => r.args = v),
  levelname: field(STR, (r, v) => r.levelname = v, SEEN_LEVELNAME),
  levelno: field(NUMBER, (r, v) => r.levelno = v, SEEN_LEVELNO),
  pathname: field(STR_OR_NONE, (r, v) => r.pathname = v),
  filename: field(STR_OR_NONE, (r, v) => r.filename = v),
  module: field(STR_OR_NONE, (r, v) => r.module = v),
  exc_info: field(NONE, (r, v) => r.exc_info = v),
  exc_text: field(STR_OR_NONE, (r, v) => r.exc_text = v),
  stack_info: field(STR_OR_NONE, (r, v) => r.stack_info = v),
  lineno: field(INT, (r, v) => r.lineno = v),
  funcName: field(STR_OR_NONE, (r, v) => r.funcName = v),
  created: field(FINITE, (r, v) => r.created = v),
  msecs: field(FINITE, (r, v) => r.msecs = v, SEEN_MSECS),
  relativeCreated: field(FINITE, (r, v) => r.relativeCreated = v),
  thread: field(BIG_INT_OR_NONE, (r, v) => r.thread = v),
  threadName: field(STR_OR_NONE, (r, v) => r.threadName = v),
  processName: field(STR_OR_NONE, (r, v) => r.processName = v),
  process: field(INT_OR_NONE, (r, v) => r.process = v),
  taskName: field(STR_OR_NONE, (r, v) => r.taskName = v),
};

/** The standard fields by name. */
export const FIELDS_BY_NAME: ReadonlyMap<string, Field> = new Map(
  Object.entries(FIELDS),
);

// The rows must be STANDARD_FIELDS, in order, each storing its own field.
{
  const names = Object.keys(FIELDS);
  const probe: Record<string, unknown> = {};
  for (const [name, f] of FIELDS_BY_NAME) {
    f.set(probe as unknown as PythonLogRecord, name);
  }
  if (
    names.join() !== STANDARD_FIELDS.join() ||
    names.some((name) => probe[name] !== name)
  ) {
    throw new Error(
      `Cannot load the receiver's field table as it does not match STANDARD_FIELDS (${STANDARD_FIELDS}): current rows are ${names}`,
    );
  }
}
