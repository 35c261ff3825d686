// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * How the receiver CLI prints a record: Python's `logging.Formatter` format
 * ({@linkcode formatPython}), one JSON line ({@linkcode formatJson}, in
 * `json_record.ts`), or aligned, optionally coloured columns
 * ({@linkcode Pretty}); the choice by `--format` ({@linkcode recordFormatter}).
 *
 * The pretty and `%`-format output is terminal-safe: no control character
 * or bidi override of a record reaches the terminal (they are shown
 * escaped, `\x1b`, `\r`, `\u202e`), and every line of a record after its
 * first starts with {@linkcode INDENT}, so a sender cannot forge a line
 * that reads as another record. The only escapes written are the CLI's own
 * colours.
 *
 * Values print as `pyRepr`/`pyStr` give them, within one
 * {@linkcode TextBudget} per record, so hostile values stay cheap: a
 * container shared anywhere in the record is expanded the first time it is
 * written and then printed as `<shared list>` (memo fan-out cannot blow
 * up), an `int` beyond 4,300 digits as `<int of N bits>`, and the record's
 * values (message, extras, `exc_text`…) print at most `MAX_RECORD_TEXT`
 * (1 MiB) in all: a string cut ends with `…[N more characters]`, other
 * text with `…`.
 *
 * @module
 */
import { STANDARD_FIELDS } from "../record/schema.ts";
import { PyFloat } from "../pickle/py_types.ts";
import { percentFormat } from "../text/percent_format.ts";
import { pyRepr } from "../text/python_text.ts";
import { DeferredText, TextBudget } from "../text/text_budget.ts";
import { indented, oneLine } from "../text/terminal_safe.ts";
import { formatJson } from "./json_record.ts";
import type { PythonLogRecord } from "./python_log_record.ts";
import { recordMessage } from "./record.ts";

export { formatJson };

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
 * The record's values print within one text budget, in the order written:
 * at most 1 MiB of them, a shared container expanded the first time (see
 * the module docs).
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
  // Rendered where the format writes it, within the same budget.
  map.message = new DeferredText((b) => recordMessage(record, b));
  if (fmt.includes("%(asctime)")) map.asctime = pythonAsctime(record);
  const budget = new TextBudget();
  let s = percentFormat(fmt, [], map, budget).text;
  for (const text of [record.exc_text, record.stack_info]) {
    if (!text) continue;
    if (!s.endsWith("\n")) s += "\n";
    s += budget.cut(text);
  }
  return s;
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

/** What every continuation line of a record starts with. */
export const INDENT = "    ";

/** Width of the pretty format's logger-name column. */
export const NAME_WIDTH = 20;

/**
 * A logger name in a column of {@linkcode NAME_WIDTH} characters: padded,
 * or, when longer, its last characters after an ellipsis (the end of a
 * dotted name tells the most: `…ice.db.pool.worker`).
 *
 * @param name The (escaped) name.
 * @returns The column's text, exactly `NAME_WIDTH` code points.
 */
export function nameColumn(name: string): string {
  const chars = [...name];
  if (chars.length <= NAME_WIDTH) {
    return name + " ".repeat(NAME_WIDTH - chars.length);
  }
  return "…" + chars.slice(chars.length - NAME_WIDTH + 1).join("");
}

/**
 * The `pretty` format: local time `HH:MM:SS.mmm`, level, logger name (a
 * column of {@linkcode NAME_WIDTH}, see {@linkcode nameColumn}) and
 * message; the message's further lines, extras, `exc_text`, `stack_info`
 * and problems indented below. Terminal-safe (see the module docs); the
 * record's values print within one text budget, in the order written.
 */
export class Pretty {
  #colour: boolean;
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
    const budget = new TextBudget();
    const time = `${localClock(record.created)}.${
      pad(Math.trunc(record.msecs), 3)
    }`;
    const level = oneLine(budget.cut(record.levelname)).padEnd(8);
    const name = nameColumn(oneLine(record.name ?? "root"));
    const message = indented(recordMessage(record, budget), INDENT);
    let line = "";
    if (c) {
      const colour = COLOURS.find(([n]) => (record.levelno ?? 0) >= n)?.[1] ??
        "";
      line =
        `${DIM}${time}${RESET} ${colour}${level}${RESET} ${DIM}${name}${RESET} ${message}`;
    } else {
      line = `${time} ${level} ${name} ${message}`;
    }
    for (const key in record.extra) {
      line += `\n${INDENT}${c ? DIM : ""}${indented(key, INDENT)}=${
        c ? RESET : ""
      }${indented(pyRepr(record.extra[key], budget), INDENT)}`;
    }
    for (const text of [record.exc_text, record.stack_info]) {
      if (text) line += "\n" + INDENT + indented(budget.cut(text), INDENT);
    }
    for (const p of record.problems) {
      line += `\n${INDENT}${c ? "\x1b[33m" : ""}! ${indented(p, INDENT)}${
        c ? RESET : ""
      }`;
    }
    return line;
  }
}

/**
 * The formatter of a `--format` value: `json`, `pretty`, or a Python
 * `%`-style format ({@linkcode formatPython}, made terminal-safe: control
 * characters escaped, continuation lines indented with {@linkcode INDENT}).
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
  return (r) => indented(formatPython(format, r), INDENT);
}
