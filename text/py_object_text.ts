// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Python's `repr()` and `str()` of a `PyObject` placeholder, as the sending
 * Python program would print the object: `datetime.datetime(2024, 1, 2, 3,
 * 4, 5)` / `2024-01-02 03:04:05`, `Decimal('1.10')` / `1.10`,
 * `UUID('…')`, `PosixPath('/tmp/x')`, `deque([1, 2], maxlen=5)`, `(1+2j)`,
 * `range(1, 10, 2)`, `ValueError('bad', 3)`…
 *
 * What a pickle does not hold is shown as the construction it does hold:
 * an enum member as `Color(1)` (its value, not its name), a namedtuple as
 * `P(1, 2)` (no field names), a dataclass or plain object as
 * `Order(id=7, total=2.5)` (its class and `__dict__`; a dataclass's own
 * repr is not knowable from the pickle, and a plain object's `<… object at
 * 0x…>` address is meaningless elsewhere), a `logging.Logger` as
 * `<Logger app (level not sent)>`, `OrderedDict` in Python 3.12's form
 * (`OrderedDict({'a': 1})`), and a class reference as `<class 'mod.Name'>`.
 * Nested values are written through the caller's {@linkcode TextSink}, so
 * depth, cycle and length limits are the caller's.
 *
 * @module
 */
import { PyObject } from "../pickle/py_object.ts";
import type {
  PyDateTime,
  PyTimedelta,
  PyTimezone,
} from "../pickle/py_object_value.ts";

import { PyTuple } from "../pickle/py_types.ts";

/** Where object text is written: literal text, and nested values. */
export interface TextSink {
  /**
   * Appends literal text.
   *
   * @param s The text.
   */
  text(s: string): void;
  /**
   * Appends the `repr()` of a nested value.
   *
   * @param v The value.
   */
  repr(v: unknown): void;
  /**
   * Appends the `str()` of a nested value.
   *
   * @param v The value.
   */
  str(v: unknown): void;
}

const BUILTIN_MODULES = new Set(["builtins", "__builtin__", "exceptions"]);

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/** A float as `repr()` writes it inside a complex: no `.0` suffix. */
function floatText(x: number): string {
  if (!Number.isFinite(x)) {
    return Number.isNaN(x) ? "nan" : x < 0 ? "-inf" : "inf";
  }
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const ax = Math.abs(x);
  if (ax >= 1e-4 && ax < 1e16) return String(x);
  const s = x.toExponential();
  const e = s.indexOf("e");
  const exp = Number(s.slice(e + 1));
  return s.slice(0, e) + "e" + (exp < 0 ? "-" : "+") + pad(Math.abs(exp), 2);
}

function offsetText(td: PyTimedelta, sep: string): string {
  let us = (td.days * 86400 + td.seconds) * 1e6 + td.microseconds;
  const sign = us < 0 ? "-" : "+";
  us = Math.abs(us);
  const secs = Math.floor(us / 1e6);
  const frac = us - secs * 1e6;
  let s = sign + pad(Math.floor(secs / 3600), 2) + sep +
    pad(Math.floor(secs / 60) % 60, 2);
  if (secs % 60 !== 0 || frac !== 0) s += sep + pad(secs % 60, 2);
  if (frac !== 0) s += "." + pad(frac, 6);
  return s;
}

function tzOffset(tz: unknown): PyTimedelta | undefined {
  if (!(tz instanceof PyObject) || tz.kind !== "timezone") return undefined;
  const v = tz.value as PyTimezone | undefined;
  return v === undefined
    ? undefined
    : v.offset instanceof PyObject
    ? v.offset.value as PyTimedelta | undefined
    : undefined;
}

function timeText(t: PyDateTime): string {
  let s = pad(t.hour, 2) + ":" + pad(t.minute, 2) + ":" + pad(t.second, 2);
  if (t.microsecond) s += "." + pad(t.microsecond, 6);
  const off = tzOffset(t.tzinfo);
  if (off !== undefined) s += offsetText(off, ":");
  return s;
}

function deltaStr(td: PyTimedelta): string {
  const h = Math.floor(td.seconds / 3600);
  let s = `${h}:${pad(Math.floor(td.seconds / 60) % 60, 2)}:${
    pad(td.seconds % 60, 2)
  }`;
  if (td.days) s = `${td.days} day${Math.abs(td.days) !== 1 ? "s" : ""}, ` + s;
  if (td.microseconds) s += "." + pad(td.microseconds, 6);
  return s;
}

function deltaRepr(td: PyTimedelta): string {
  const parts: string[] = [];
  if (td.days) parts.push(`days=${td.days}`);
  if (td.seconds) parts.push(`seconds=${td.seconds}`);
  if (td.microseconds) parts.push(`microseconds=${td.microseconds}`);
  return `datetime.timedelta(${parts.length ? parts.join(", ") : "0"})`;
}

/** The class name Python shows: the last part of the qualified name. */
function shortName(o: PyObject): string {
  return o.name;
}

function isStrDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null &&
    Object.getPrototypeOf(v) === null;
}

/** `k=v` pairs of a state (a dict, or a `(dict, slots)` pair). */
function stateEntries(state: unknown): [string, unknown][] | undefined {
  if (state === undefined || state === null) return [];
  if (state instanceof PyTuple && state.items.length === 2) {
    const a = stateEntries(state.items[0]);
    const b = stateEntries(state.items[1]);
    return a && b ? [...a, ...b] : undefined;
  }
  if (isStrDict(state)) return Object.keys(state).map((k) => [k, state[k]]);
  if (state instanceof Map) {
    const out: [string, unknown][] = [];
    for (const [k, v] of state) {
      if (typeof k !== "string") return undefined;
      out.push([k, v]);
    }
    return out;
  }
  return undefined;
}

/** `Name(arg, …, key=value, …)` from the arguments, kwargs and state. */
function callRepr(o: PyObject, out: TextSink): void {
  out.text(shortName(o) + "(");
  let n = 0;
  const sep = () => {
    if (n++ > 0) out.text(", ");
  };
  for (const a of o.args) {
    sep();
    out.repr(a);
  }
  for (const source of [o.kwargs, o.state]) {
    const entries = stateEntries(source);
    if (entries === undefined) {
      sep();
      out.repr(source);
      continue;
    }
    for (const [k, v] of entries) {
      sep();
      out.text(k + "=");
      out.repr(v);
    }
  }
  if (o.entries.size > 0) {
    sep();
    out.repr(o.entries);
  }
  if (o.items.length > 0) {
    sep();
    out.repr(o.items);
  }
  out.text(")");
}

function mapRepr(m: Map<unknown, unknown>, out: TextSink): void {
  out.text("{");
  let first = true;
  for (const [k, v] of m) {
    if (!first) out.text(", ");
    first = false;
    out.repr(k);
    out.text(": ");
    out.repr(v);
  }
  out.text("}");
}

function globalName(o: PyObject): string {
  return BUILTIN_MODULES.has(o.module) ? o.name : o.qualname;
}

/**
 * Writes Python's `repr()` of a placeholder.
 *
 * @param o The placeholder.
 * @param out Where to write.
 */
export function objectRepr(o: PyObject, out: TextSink): void {
  const v = o.value;
  if (o.kind === "global") {
    out.text(`<class '${globalName(o)}'>`);
    return;
  }
  if (v === undefined && o.kind !== "object") {
    callRepr(o, out);
    return;
  }
  switch (o.kind) {
    case "datetime":
    case "date":
    case "time": {
      const t = v as PyDateTime;
      const f = o.kind === "date"
        ? [t.year, t.month, t.day]
        : o.kind === "time"
        ? [t.hour, t.minute, t.second, t.microsecond]
        : [t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond];
      const min = o.kind === "time" ? 2 : o.kind === "date" ? 3 : 5;
      while (f.length > min && f[f.length - 1] === 0) f.pop();
      out.text(`datetime.${o.kind}(${f.join(", ")}`);
      if (o.kind !== "date" && t.tzinfo !== null) {
        out.text(", tzinfo=");
        out.repr(t.tzinfo);
      }
      if (o.kind !== "date" && t.fold) out.text(", fold=1");
      out.text(")");
      return;
    }
    case "timedelta":
      out.text(deltaRepr(v as PyTimedelta));
      return;
    case "timezone": {
      const tz = v as PyTimezone;
      const off = (tz.offset as PyObject).value as PyTimedelta;
      if (tz.name === null && !off.days && !off.seconds && !off.microseconds) {
        out.text("datetime.timezone.utc");
        return;
      }
      out.text(`datetime.timezone(${deltaRepr(off)}`);
      if (tz.name !== null) {
        out.text(", ");
        out.repr(tz.name);
      }
      out.text(")");
      return;
    }
    case "decimal":
      out.text("Decimal(");
      out.repr(v);
      out.text(")");
      return;
    case "uuid":
      out.text(`UUID('${uuidText(v as string)}')`);
      return;
    case "path":
      out.text(shortName(o) === "Path" ? "PosixPath(" : shortName(o) + "(");
      out.repr(v);
      out.text(")");
      return;
    case "ordereddict":
    case "counter": {
      const m = v as Map<unknown, unknown>;
      out.text(shortName(o) + "(");
      if (m.size > 0) {
        mapRepr(o.kind === "counter" ? byCount(m) : m, out);
      }
      out.text(")");
      return;
    }
    case "defaultdict":
      out.text("defaultdict(");
      out.repr(o.args.length > 0 ? o.args[0] : null);
      out.text(", ");
      mapRepr(v as Map<unknown, unknown>, out);
      out.text(")");
      return;
    case "deque": {
      out.text("deque(");
      out.repr(v);
      const maxlen = o.args[1];
      if (maxlen !== undefined && maxlen !== null) {
        out.text(", maxlen=");
        out.repr(maxlen);
      }
      out.text(")");
      return;
    }
    case "complex": {
      const { real, imag } = v as { real: number; imag: number };
      if (real === 0 && !Object.is(real, -0)) {
        out.text(floatText(imag) + "j");
        return;
      }
      const neg = imag < 0 || Object.is(imag, -0);
      out.text(
        `(${floatText(real)}${neg ? "" : "+"}${floatText(imag)}j)`,
      );
      return;
    }
    case "range": {
      const r = v as { start: unknown; stop: unknown; step: unknown };
      out.text(
        `range(${r.start}, ${r.stop}${
          r.step === 1 || r.step === 1n ? "" : ", " + r.step
        })`,
      );
      return;
    }
    case "exception":
      out.text(shortName(o) + "(");
      (v as unknown[]).forEach((a, i) => {
        if (i > 0) out.text(", ");
        out.repr(a);
      });
      out.text(")");
      return;
    case "logger":
      out.text(
        v === "root" && o.args.length === 0
          ? "<RootLogger root (level not sent)>"
          : `<Logger ${v} (level not sent)>`,
      );
      return;
  }
  callRepr(o, out);
}

/**
 * Writes Python's `str()` of a placeholder (its `repr()` where Python's
 * `str()` is the same).
 *
 * @param o The placeholder.
 * @param out Where to write.
 */
export function objectStr(o: PyObject, out: TextSink): void {
  const v = o.value;
  if (v === undefined) {
    objectRepr(o, out);
    return;
  }
  switch (o.kind) {
    case "datetime": {
      const t = v as PyDateTime;
      out.text(
        `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)} ${timeText(t)}`,
      );
      return;
    }
    case "date": {
      const t = v as PyDateTime;
      out.text(`${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}`);
      return;
    }
    case "time":
      out.text(timeText(v as PyDateTime));
      return;
    case "timedelta":
      out.text(deltaStr(v as PyTimedelta));
      return;
    case "timezone": {
      const tz = v as PyTimezone;
      if (tz.name !== null) {
        out.text(tz.name);
        return;
      }
      const off = (tz.offset as PyObject).value as PyTimedelta;
      out.text(
        !off.days && !off.seconds && !off.microseconds
          ? "UTC"
          : "UTC" + offsetText(off, ":"),
      );
      return;
    }
    case "decimal":
    case "path":
      out.text(v as string);
      return;
    case "uuid":
      out.text(uuidText(v as string));
      return;
    case "exception": {
      const args = v as unknown[];
      // KeyError's str() is the repr() of its key.
      if (args.length === 1 && o.name === "KeyError") out.repr(args[0]);
      else if (args.length === 1) out.str(args[0]);
      else if (args.length > 1) out.repr(new PyTuple(args));
      return;
    }
  }
  objectRepr(o, out);
}

function uuidText(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${
    hex.slice(16, 20)
  }-${hex.slice(20)}`;
}

/** A Counter's entries as `most_common()` orders them (stable, by count). */
function byCount(m: Map<unknown, unknown>): Map<unknown, unknown> {
  const entries = [...m];
  if (!entries.every(([, c]) => typeof c === "number")) return m;
  entries.sort((a, b) => (b[1] as number) - (a[1] as number));
  return new Map(entries);
}
