// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Former home of the `LogRecord` schema, now in `record/schema.ts` (and
 * `record/levels.ts`); kept as a re-export for modules that still import
 * this path.
 *
 * @module
 */
export { STANDARD_FIELDS } from "./record/schema.ts";
export { pythonLevelName } from "./record/levels.ts";
