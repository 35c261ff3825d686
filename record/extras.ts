// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The extra attributes and exception text of a record: {@linkcode Extras}
 * turns an event's extras, plain-object args and errors into values that
 * `dumps()` can pickle and CPython can load, within {@linkcode LIMITS}, and
 * renders the message of args that are not all primitives.
 *
 * @module
 */
import { PyFloat, PyTuple } from "../pickle/py_types.ts";
import { setOwn } from "./own.ts";
import { STANDARD_FIELDS } from "./schema.ts";
import { percentFormat } from "../text/percent_format.ts";
import {
  describe,
  isError,
  isPlainObject,
  keyString,
  pyStr,
  safeString,
  unreadable,
} from "../text/python_text.ts";

/**
 * Record keys that extras must not overwrite: the 21 keys of a CPython 3.12
 * record plus `message` and `asctime` (Python's `makeRecord` refuses them
 * too). An extra with such a key, or with a key already present, is stored
 * as `extra_<key>` (prefixed again until it is free).
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  ...STANDARD_FIELDS,
  "message",
  "asctime",
]);

/** Limits applied to extra values (see {@linkcode recordDict}). */
export const LIMITS: {
  /** Deepest nesting kept; deeper values become `"…"`. */
  readonly depth: number;
  /** Longest string kept, in UTF-16 code units; longer ones are cut. */
  readonly stringLength: number;
  /** Most values (containers and leaves) kept per record. */
  readonly values: number;
  /** Most string code units kept across all extras of a record. */
  readonly totalStringLength: number;
  /** Most `cause` links followed per exception. */
  readonly causes: number;
} = Object.freeze({
  depth: 32,
  stringLength: 1_048_576,
  values: 100_000,
  totalStringLength: 16_777_216,
  causes: 32,
});

/**

/**
 * Accumulates a record's extras and exception texts, and the budget of
 * values and characters that sanitizing them may use ({@linkcode LIMITS}).
 */
export class Extras {
  #keys: string[] = [];
  #values: unknown[] = [];
  #errors: string[] = [];
  #values_left = LIMITS.values;
  #chars_left = LIMITS.totalStringLength;
  #seen: object[] = [];

  /**
   * Adds an exception's text to `exc_text`.
   *
   * @param e An Error (its stack and `cause` chain) or a preformatted
   * traceback string.
   */
  addError(e: unknown): void {
    this.#errors.push(
      typeof e === "string" ? this.#cut(e, LIMITS.stringLength) : errorText(e),
    );
  }

  /**
   * The record's `exc_text`: the texts of the errors added, separated by a
   * blank line, or null when there are none.
   *
   * @returns The text, or null.
   */
  excText(): string | null {
    return this.#errors.length === 0 ? null : this.#errors.join("\n\n");
  }

  /**
   * Adds `RecordInput.extra`: a plain object's keys, else one `extra` key.
   *
   * @param extra The extras.
   */
  addExtra(extra: unknown): void {
    let plain = false;
    try {
      plain = isPlainObject(extra);
    } catch {
      plain = false;
    }
    if (plain) this.addObject(extra as object, true);
    else this.#push("extra", this.sanitize(extra, 1));
  }

  /**
   * Adds every own enumerable string key of a plain object.
   *
   * @param o The object.
   * @param topErrors Whether an Error among its values also adds to
   * `exc_text`.
   */
  addObject(o: object, topErrors: boolean): void {
    let keys: string[];
    try {
      keys = Object.keys(o);
    } catch (e) {
      this.#push("extra", unreadable(e));
      return;
    }
    for (const k of keys) {
      let v: unknown;
      try {
        v = (o as Record<string, unknown>)[k];
      } catch (e) {
        v = unreadable(e);
      }
      let isErr = false;
      if (topErrors) {
        try {
          isErr = isError(v);
        } catch {
          isErr = false;
        }
      }
      if (isErr) this.addError(v);
      this.#push(k, this.sanitize(v, 1));
    }
  }

  /**
   * Renders the message with `@std/log`-style args: plain objects become
   * extras (the first also serves `%(key)s`), Errors add to `exc_text`, the
   * others fill `%` conversions, and those left over (but Errors) are
   * appended, separated by spaces.
   *
   * @param msg The message template.
   * @param args The args.
   * @returns The message.
   */
  applyArgs(msg: string, args: readonly unknown[]): string {
    let positional: unknown[] | undefined;
    let mapping: Record<string, unknown> | undefined;
    const n = args.length;
    for (let i = 0; i < n; i++) {
      let a: unknown;
      try {
        a = args[i];
      } catch (e) {
        a = unreadable(e);
      }
      let plain = false;
      let err = false;
      if (typeof a === "object" && a !== null) {
        try {
          plain = isPlainObject(a);
          if (!plain) err = isError(a);
        } catch {
          // A proxy whose traps throw: render it as a positional value.
        }
      }
      if (plain) {
        mapping ??= a as Record<string, unknown>;
        this.addObject(a as object, true);
      } else {
        if (err) this.addError(a);
        (positional ??= []).push(a);
      }
    }
    let text = msg;
    let used = 0;
    if (msg.includes("%")) {
      try {
        const r = percentFormat(msg, positional ?? [], mapping);
        text = r.text;
        used = r.used;
      } catch {
        text = msg;
        used = 0;
      }
    }
    if (positional !== undefined) {
      for (let i = used; i < positional.length; i++) {
        const a = positional[i];
        let err = false;
        try {
          err = isError(a);
        } catch {
          err = false;
        }
        if (!err) text += " " + this.#cut(pyStr(a), LIMITS.stringLength);
      }
    }
    return text;
  }

  /**
   * Adds the extras to a record dict, prefixing `extra_` to a key the dict
   * holds or reserves (again until it is free).
   *
   * @param d The record dict.
   */
  writeInto(d: Record<string, unknown>): void {
    const keys = this.#keys;
    const values = this.#values;
    for (let i = 0; i < keys.length; i++) {
      let k = keys[i]!;
      while (RESERVED_KEYS.has(k) || Object.hasOwn(d, k)) k = "extra_" + k;
      setOwn(d, k, values[i]);
    }
  }

  #push(k: string, v: unknown) {
    this.#keys.push(k);
    this.#values.push(v);
  }

  #cut(s: string, max: number): string {
    const limit = Math.min(max, Math.max(this.#chars_left, 0));
    if (s.length <= limit) {
      this.#chars_left -= s.length;
      return s;
    }
    let end = limit;
    const c = s.charCodeAt(end - 1);
    if (end > 0 && c >= 0xd800 && c <= 0xdbff) end--;
    this.#chars_left -= end;
    return s.slice(0, end) + "…";
  }

  /**
   * A value `dumps()` can pickle and CPython can load (see `recordDict()`),
   * within the record's budget of values and characters.
   *
   * @param v The value.
   * @param depth Its depth (1 for an extra's value).
   * @returns The sanitized value.
   */
  sanitize(v: unknown, depth: number): unknown {
    if (--this.#values_left < 0) return "…";
    switch (typeof v) {
      case "string":
        return this.#cut(v, LIMITS.stringLength);
      case "number":
      case "boolean":
        return v;
      case "bigint":
        return bigintValue(v);
      case "undefined":
        return null;
      case "symbol":
      case "function":
        return this.#cut(describe(v), LIMITS.stringLength);
    }
    if (v === null) return null;
    const o = v as object;
    if (depth > LIMITS.depth) return "…";
    try {
      if (o instanceof PyFloat) return new PyFloat(Number(o.value));
      if (o instanceof Date) {
        const t = Date.prototype.getTime.call(o);
        return Number.isNaN(t)
          ? "Invalid Date"
          : Date.prototype.toISOString.call(o);
      }
      if (o instanceof Uint8Array) {
        return this.#bytes(o);
      }
      if (o instanceof ArrayBuffer) {
        return this.#bytes(new Uint8Array(o));
      }
      if (ArrayBuffer.isView(o)) {
        if (o instanceof DataView) {
          return this.#bytes(
            new Uint8Array(o.buffer, o.byteOffset, o.byteLength),
          );
        }
        const arr = o as unknown as ArrayLike<number | bigint>;
        const out: unknown[] = [];
        const n = Math.min(arr.length, Math.max(this.#values_left, 0));
        for (let i = 0; i < n; i++) out.push(arr[i]);
        this.#values_left -= n;
        return out;
      }
      if (this.#seen.includes(o)) {
        return Array.isArray(o)
          ? "[...]"
          : o instanceof PyTuple
          ? "(...)"
          : "{...}";
      }
      if (Array.isArray(o)) {
        this.#seen.push(o);
        try {
          const len = o.length;
          const out: unknown[] = [];
          for (let i = 0; i < len; i++) {
            if (this.#values_left <= 0) {
              out.push("…");
              break;
            }
            let item: unknown;
            try {
              item = o[i];
            } catch (e) {
              item = unreadable(e);
            }
            out.push(this.sanitize(item, depth + 1));
          }
          return out;
        } finally {
          this.#seen.pop();
        }
      }
      if (o instanceof PyTuple) {
        this.#seen.push(o);
        try {
          const items = o.items;
          const out: unknown[] = [];
          for (let i = 0; i < items.length && this.#values_left > 0; i++) {
            out.push(this.sanitize(items[i], depth + 1));
          }
          return new PyTuple(out);
        } finally {
          this.#seen.pop();
        }
      }
      if (o instanceof Map) {
        this.#seen.push(o);
        try {
          const out = new Map<unknown, unknown>();
          for (const [k, val] of Map.prototype.entries.call(o)) {
            if (this.#values_left <= 0) break;
            out.set(this.#key(k), this.sanitize(val, depth + 1));
          }
          return out;
        } finally {
          this.#seen.pop();
        }
      }
      if (o instanceof Set) {
        const out = new Set<unknown>();
        for (const item of Set.prototype.values.call(o)) {
          if (this.#values_left <= 0) break;
          this.#values_left--;
          out.add(this.#key(item));
        }
        return out;
      }
      if (isError(o)) {
        return this.#cut(errorLine(o), LIMITS.stringLength);
      }
      if (isPlainObject(o)) {
        this.#seen.push(o);
        try {
          const out: Record<string, unknown> = {};
          for (const k of Object.keys(o)) {
            if (this.#values_left <= 0) break;
            let val: unknown;
            try {
              val = (o as Record<string, unknown>)[k];
            } catch (e) {
              val = unreadable(e);
            }
            setOwn(out, k, this.sanitize(val, depth + 1));
          }
          return out;
        } finally {
          this.#seen.pop();
        }
      }
    } catch {
      // fall through to the description
    }
    return this.#cut(describe(o), LIMITS.stringLength);
  }

  /** A hashable Python key: primitives stay, anything else becomes a str. */
  #key(k: unknown): unknown {
    switch (typeof k) {
      case "string":
        return this.#cut(k, LIMITS.stringLength);
      case "number":
      case "boolean":
        return k;
      case "bigint":
        return bigintValue(k);
      case "undefined":
        return null;
    }
    if (k === null) return null;
    if (k instanceof PyFloat) return new PyFloat(Number(k.value));
    return this.#cut(keyString(k, this.#seen, 0), LIMITS.stringLength);
  }

  #bytes(b: Uint8Array): Uint8Array {
    const n = Math.min(b.length, LIMITS.stringLength);
    return Uint8Array.prototype.slice.call(b, 0, n);
  }
}

/** CPython ≥3.11 refuses to read ints of more than 4,300 digits. */
const BIGINT_LIMIT = 10n ** 4300n;

/** A bigint, or its decimal string when CPython could not read it back. */
function bigintValue(v: bigint): bigint | string {
  return (v < 0n ? -v : v) >= BIGINT_LIMIT ? v.toString() : v;
}

function errorLine(e: object): string {
  let name = "Error";
  let message = "";
  try {
    const n = (e as { name?: unknown }).name;
    if (typeof n === "string" && n !== "") name = n;
  } catch {
    // keep the default
  }
  try {
    const m = (e as { message?: unknown }).message;
    message = typeof m === "string" ? m : m === undefined ? "" : safeString(m);
  } catch (err) {
    message = unreadable(err);
  }
  return message === "" ? name : name + ": " + message;
}

function stackOf(e: unknown): string {
  if (typeof e !== "object" || e === null) return pyStr(e);
  let isErr = false;
  try {
    isErr = isError(e);
  } catch {
    return describe(e);
  }
  if (!isErr) return pyStr(e);
  try {
    const s = (e as { stack?: unknown }).stack;
    if (typeof s === "string" && s !== "") return s;
  } catch {
    // fall back to name: message
  }
  return errorLine(e);
}

/** An exception and its `cause` chain, Deno style ("Caused by: …"). */
function errorText(e: unknown): string {
  const seen: unknown[] = [];
  let text = "";
  let cur: unknown = e;
  for (let i = 0; i <= LIMITS.causes; i++) {
    if (i === LIMITS.causes) {
      text += "\nCaused by: …";
      break;
    }
    if (typeof cur === "object" && cur !== null) {
      if (seen.includes(cur)) {
        text += "\nCaused by: [circular]";
        break;
      }
      seen.push(cur);
    }
    let s = stackOf(cur);
    if (s.length > LIMITS.stringLength) {
      s = s.slice(0, LIMITS.stringLength) + "…";
    }
    text += i === 0 ? s : "\nCaused by: " + s;
    let next: unknown;
    try {
      if (typeof cur !== "object" || cur === null || !("cause" in cur)) break;
      next = (cur as { cause?: unknown }).cause;
    } catch (err) {
      next = unreadable(err);
    }
    cur = next;
  }
  return text;
}
