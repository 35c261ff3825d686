// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Maps a log event to the `__dict__` of a Python `logging.LogRecord`, exactly
 * as CPython's `SocketHandler.makePickle()` sends it: `msg` already rendered,
 * `args` and `exc_info` `None`, no `message` key, every key of a CPython 3.12+
 * record in CPython's order, then the extra attributes — and frames it for
 * the wire ({@linkcode RecordFramer}). The public face of the `record/`
 * modules: the schema (`record/schema.ts`), the one input of an event
 * (`record/input.ts`), its dict (`record/dict.ts`), the fields of the common
 * record (`record/fields.ts`), the framer (`record/framer.ts`), caller
 * information (`record/caller.ts`, `record/std_log.ts`), the process
 * identity (`record/process.ts`) and the extras (`record/extras.ts`).
 *
 * @example Usage
 * ```ts
 * import { recordDict } from "./record.ts";
 * import { equal } from "node:assert/strict";
 *
 * const d = recordDict({
 *   name: "app.db",
 *   level: 30,
 *   msg: "slow query: %d ms",
 *   args: [1200, { table: "users" }],
 *   timeMs: 1_700_000_000_250,
 * });
 * equal(d.msg, "slow query: 1200 ms");
 * equal(d.levelname, "WARNING");
 * equal(d.table, "users");
 * ```
 *
 * @module
 */

export { callerAt, type CallerInfo } from "./record/caller.ts";
export {
  captureCaller,
  fromStdLogRecord,
  stdLogInput,
} from "./record/std_log.ts";
export { THREAD_ID, THREAD_NAME } from "./record/process.ts";
export type { RecordInput } from "./record/input.ts";
export { LIMITS, RESERVED_KEYS } from "./record/extras.ts";
export { recordDict } from "./record/dict.ts";
export { plainRecordFields, type RecordFields } from "./record/fields.ts";
export { RecordFramer } from "./record/framer.ts";
export { STANDARD_FIELDS } from "./record/schema.ts";
export { pythonLevelName } from "./record/levels.ts";
