// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * How the receiver CLI prints a record: Python's `logging.Formatter` format
 * ({@linkcode formatPython}), one JSON line ({@linkcode formatJson}), or
 * aligned, optionally coloured columns ({@linkcode Pretty}); the choice by
 * `--format` ({@linkcode recordFormatter}).
 *
 * @module
 */
import { STANDARD_FIELDS } from "../record/schema.ts";
import { setOwn } from "../record/own.ts";
import { PyFloat, PyTuple } from "../pickle/py_types.ts";
import { percentFormat } from "../text/percent_format.ts";
import { pyRepr, pyStr } from "../text/python_text.ts";
import { PyObject } from "../pickle/py_object.ts";
import type { PythonLogRecord } from "./python_log_record.ts";

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `HH:MM:SS` (local time) of an epoch time in seconds. */
function localClock(created: number): string {
  const d = new Date(Math.floor(created) * 1000);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${
    pad(d.getSeconds(), 2)
  }`;
}

/**
 * Python's default `Formatter.formatTime`: `%Y-%m-%d %H:%M:%S,mmm` in
 * local time.
 *
 * @param record The record.
 * @returns The formatted time.
 */
export function pythonAsctime(record: PythonLogRecord): string {
  const d = new Date(Math.floor(record.created) * 1000);
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1, 2)}-${
    pad(d.getDate(), 2)
  } ${localClock(record.created)},${pad(Math.trunc(record.msecs), 3)}`;
}

/**
 * Renders a record like Python's `logging.Formatter(fmt).format(record)`.
 *
 * @param fmt A `%`-style format with `%(field)s` keys.
 * @param record The record.
 * @returns The formatted text.
 * @throws {Error} The format does not fit the record (missing key, wrong
 * type), as Python's `ValueError`/`TypeError`.
 */
export function formatPython(fmt: string, record: PythonLogRecord): string {
  const map: Record<string, unknown> = Object.create(null);
  for (const key of STANDARD_FIELDS) {
    map[key] = (record as unknown as Record<string, unknown>)[key];
  }
  for (const key in record.extra) map[key] = record.extra[key];
  // Always floats in Python, whatever their value.
  map.created = new PyFloat(record.created);
  map.msecs = new PyFloat(record.msecs);
  map.relativeCreated = new PyFloat(record.relativeCreated);
  map.message = record.getMessage();
  if (fmt.includes("%(asctime)")) map.asctime = pythonAsctime(record);
  let s = percentFormat(fmt, [], map).text;
  if (record.exc_text) {
    if (!s.endsWith("\n")) s += "\n";
    s += record.exc_text;
  }
  if (record.stack_info) {
    if (!s.endsWith("\n")) s += "\n";
    s += record.stack_info;
  }
  return s;
}

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

function jsonReplacer(_key: string, v: unknown): unknown {
  switch (typeof v) {
    case "bigint":
      return { $bigint: v.toString() };
    case "number":
      if (Number.isFinite(v)) return Object.is(v, -0) ? { $float: "-0.0" } : v;
      return { $float: Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf" };
    case "object":
      if (v === null || Array.isArray(v)) return v;
      if (v instanceof PyTuple) return v.items;
      if (v instanceof Uint8Array) return { $bytes: base64(v) };
      if (v instanceof Set) return { $set: [...v] };
      if (v instanceof Map) return { $dict: [...v] };
      if (v instanceof PyObject) {
        return { $object: v.qualname, repr: pyRepr(v), str: pyStr(v) };
      }
      return v;
    case "undefined":
    case "function":
    case "symbol":
      return null;
    default:
      return v;
  }
}

/**
 * One JSON line for a record: standard fields, extras, `message`, and
 * `$problems` when there are any. See the module docs for the tags.
 *
 * @param record The record.
 * @returns The JSON text (no newline).
 */
export function formatJson(record: PythonLogRecord): string {
  const out: Record<string, unknown> = {};
  for (const key of STANDARD_FIELDS) {
    out[key] = (record as unknown as Record<string, unknown>)[key];
  }
  for (const key in record.extra) setOwn(out, key, record.extra[key]);
  out.message = record.getMessage();
  if (record.problems.length > 0) out.$problems = record.problems;
  return JSON.stringify(out, jsonReplacer);
}

const COLOURS: [number, string][] = [
  [50, "\x1b[1;31m"], // CRITICAL: bold red
  [40, "\x1b[31m"], // ERROR: red
  [30, "\x1b[33m"], // WARNING: yellow
  [20, "\x1b[32m"], // INFO: green
  [0, "\x1b[36m"], // DEBUG and lower: cyan
];
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

/**
 * The `pretty` format: local time `HH:MM:SS.mmm`, level, logger name (a
 * column that widens to the longest name seen, up to 32) and message;
 * extras, `exc_text`, `stack_info` and problems indented below.
 */
export class Pretty {
  #colour: boolean;
  #nameWidth = 8;
  /**
   * Creates a formatter.
   *
   * @param colour Whether to colour with ANSI escapes.
   */
  constructor(colour: boolean) {
    this.#colour = colour;
  }
  /**
   * Formats one record.
   *
   * @param record The record.
   * @returns The lines (no final newline).
   */
  format(record: PythonLogRecord): string {
    const c = this.#colour;
    const time = `${localClock(record.created)}.${
      pad(Math.trunc(record.msecs), 3)
    }`;
    const level = record.levelname.padEnd(8);
    const name = record.name ?? "root";
    if (name.length > this.#nameWidth) {
      this.#nameWidth = Math.min(name.length, 32);
    }
    let line = "";
    if (c) {
      const colour = COLOURS.find(([n]) => (record.levelno ?? 0) >= n)?.[1] ??
        "";
      line = `${DIM}${time}${RESET} ${colour}${level}${RESET} ${DIM}${
        name.padEnd(this.#nameWidth)
      }${RESET} ${record.getMessage()}`;
    } else {
      line = `${time} ${level} ${
        name.padEnd(this.#nameWidth)
      } ${record.getMessage()}`;
    }
    const indent = "    ";
    for (const key in record.extra) {
      line += `\n${indent}${c ? DIM : ""}${key}=${c ? RESET : ""}${
        pyRepr(record.extra[key])
      }`;
    }
    for (const text of [record.exc_text, record.stack_info]) {
      if (text) line += "\n" + indent + text.replace(/\n/g, "\n" + indent);
    }
    for (const p of record.problems) {
      line += `\n${indent}${c ? "\x1b[33m" : ""}! ${p}${c ? RESET : ""}`;
    }
    return line;
  }
}

/**
 * The formatter of a `--format` value: `json`, `pretty`, or a Python
 * `%`-style format.
 *
 * @param format The format.
 * @param colour Whether `pretty` colours its output.
 * @returns A function formatting one record (no final newline).
 */
export function recordFormatter(
  format: string,
  colour: boolean,
): (record: PythonLogRecord) => string {
  if (format === "json") return formatJson;
  if (format === "pretty") {
    const pretty = new Pretty(colour);
    return (r) => pretty.format(r);
  }
  return (r) => formatPython(format, r);
}
