// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A received record as one line of newline-delimited JSON
 * ({@linkcode ndjsonLine}), what an `ndjson+tcp://` or `ndjson+tls://`
 * forward target is sent: the object the CLI prints with `--format json`
 * (`receiver/json_record.ts`, the same function: standard fields, extras,
 * `message`, `$problems`; lossless tags such as `{"$tuple":[…]}`), then
 * `\n`. The line holds no other newline (nor any control character), so
 * a reader may split on `\n`. Private to the package.
 *
 * @example Usage
 * ```ts
 * import { ndjsonLine } from "./ndjson.ts";
 * import { makeLogRecord } from "../receiver/record.ts";
 * import { formatJson } from "../receiver/json_record.ts";
 * import { equal } from "node:assert/strict";
 *
 * const record = makeLogRecord({ name: "app", msg: "a\nb", levelno: 20 });
 * const line = new TextDecoder().decode(ndjsonLine(record));
 * equal(line, formatJson(record) + "\n");
 * equal(line.indexOf("\n"), line.length - 1);
 * ```
 *
 * @module
 */
import { formatJson } from "../receiver/json_record.ts";
import type { PythonLogRecord } from "../receiver/python_log_record.ts";
import { utf8Frame } from "./utf8_frame.ts";

/**
 * A record as one NDJSON line: the CLI's `--format json` object and `\n`,
 * as UTF-8.
 *
 * @param record The record.
 * @returns The line's bytes.
 */
export function ndjsonLine(record: PythonLogRecord): Uint8Array {
  return utf8Frame(formatJson(record), undefined, 0x0a);
}
