// Test stand-in for jsr:@std/log@0.224.14 (levels.ts): same exports and behaviour.
// Used only through tests/import_map.json; never published.

/** Log levels by name. */
export const LogLevels = {
  NOTSET: 0,
  DEBUG: 10,
  INFO: 20,
  WARN: 30,
  ERROR: 40,
  CRITICAL: 50,
} as const;

/** A numeric log level. */
export type LogLevel = typeof LogLevels[LevelName];
/** A log level name. */
export type LevelName = Exclude<keyof typeof LogLevels, number>;

/** All level names. */
export const LogLevelNames: LevelName[] = Object.keys(LogLevels).filter((
  key,
) => isNaN(Number(key))) as LevelName[];

const byLevel: Record<LogLevel, LevelName> = {
  0: "NOTSET",
  10: "DEBUG",
  20: "INFO",
  30: "WARN",
  40: "ERROR",
  50: "CRITICAL",
};

/** Returns the numeric level for a name; throws for an unknown name. */
export function getLevelByName(name: LevelName): LogLevel {
  const level = LogLevels[name];
  if (level !== undefined) return level;
  throw new Error(`Cannot get log level: no level named ${name}`);
}

/** Returns the name for a numeric level; throws for an unknown level. */
export function getLevelName(level: LogLevel): LevelName {
  const name = byLevel[level];
  if (name) return name;
  throw new Error(`Cannot get log level: no name for level: ${level}`);
}
