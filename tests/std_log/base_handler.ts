// Test stand-in for jsr:@std/log@0.224.14 (base_handler.ts): same exports and behaviour.
import {
  getLevelByName,
  getLevelName,
  type LevelName,
  type LogLevel,
} from "./levels.ts";
import type { LogRecord } from "./logger.ts";

export type { LevelName, LogLevel, LogRecord };

/** Turns a record into the string passed to `log()`. */
export type FormatterFunction = (logRecord: LogRecord) => string;

function defaultFormatter(logRecord: LogRecord): string {
  return `${logRecord.levelName} ${logRecord.msg}`;
}

/** Options for {@linkcode BaseHandler}. */
export interface BaseHandlerOptions {
  formatter?: FormatterFunction;
}

/** Base class of every handler. */
export abstract class BaseHandler {
  #levelName: LevelName;
  #level: LogLevel;
  formatter: FormatterFunction;

  constructor(levelName: LevelName, options?: BaseHandlerOptions) {
    const { formatter = defaultFormatter } = options ?? {};
    this.#levelName = levelName;
    this.#level = getLevelByName(levelName);
    this.formatter = formatter;
  }
  get level(): LogLevel {
    return this.#level;
  }
  set level(level: LogLevel) {
    this.#level = level;
    this.#levelName = getLevelName(level);
  }
  get levelName(): LevelName {
    return this.#levelName;
  }
  set levelName(levelName: LevelName) {
    this.#levelName = levelName;
    this.#level = getLevelByName(levelName);
  }
  handle(logRecord: LogRecord) {
    if (this.level > logRecord.level) return;
    const msg = this.format(logRecord);
    this.log(msg);
  }
  format(logRecord: LogRecord): string {
    return this.formatter(logRecord);
  }
  abstract log(msg: string): void;
  setup() {}
  destroy() {}
  [Symbol.dispose]() {
    this.destroy();
  }
}
