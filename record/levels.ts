// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Python's level name of any numeric level.
 *
 * @module
 */
import { LEVEL_NAMES } from "./schema.ts";
import { pyStr } from "../text/python_text.ts";

// LEVEL_NAMES by index, for a lookup without hashing on every record.
const BY_NUMBER: (string | undefined)[] = [];
for (const [level, name] of LEVEL_NAMES) BY_NUMBER[level] = name;

/**
 * Python's level name for a numeric level, as `logging.getLevelName()`:
 * 0 `NOTSET`, 10 `DEBUG`, 20 `INFO`, 30 `WARNING`, 40 `ERROR`, 50 `CRITICAL`,
 * any other number `Level N` (`Level 5`, `Level 25.5`, `Level nan`).
 *
 * @param level The numeric level.
 * @returns The level name.
 *
 * @example Usage
 * ```ts
 * import { pythonLevelName } from "./levels.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(pythonLevelName(30), "WARNING");
 * equal(pythonLevelName(5), "Level 5");
 * ```
 */
export function pythonLevelName(level: number): string {
  const name = (level | 0) === level && level >= 0
    ? BY_NUMBER[level]
    : undefined;
  return name ?? "Level " + pyStr(level);
}
