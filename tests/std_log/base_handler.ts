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
  /** The formatter; the default gives `"<levelName> <msg>"`. */
  formatter?: FormatterFunction;
}

/** Base class of every handler. */
export abstract class BaseHandler {
  #levelName: LevelName;
  #level: LogLevel;
  /** The formatter used by `format()`. */
  formatter: FormatterFunction;

  /**
   * Creates a handler.
   *
   * @param levelName The minimum level.
   * @param options The formatter.
   */
  constructor(levelName: LevelName, options?: BaseHandlerOptions) {
    const { formatter = defaultFormatter } = options ?? {};
    this.#levelName = levelName;
    this.#level = getLevelByName(levelName);
    this.formatter = formatter;
  }
  /** The numeric level. */
  get level(): LogLevel {
    return this.#level;
  }
  set level(level: LogLevel) {
    this.#level = level;
    this.#levelName = getLevelName(level);
  }
  /** The level name. */
  get levelName(): LevelName {
    return this.#levelName;
  }
  set levelName(levelName: LevelName) {
    this.#levelName = levelName;
    this.#level = getLevelByName(levelName);
  }
  /**
   * Formats and logs the record if its level is high enough.
   *
   * @param logRecord The record.
   */
  handle(logRecord: LogRecord) {
    if (this.level > logRecord.level) return;
    const msg = this.format(logRecord);
    this.log(msg);
  }
  /**
   * Formats the record.
   *
   * @param logRecord The record.
   * @returns The formatted string.
   */
  format(logRecord: LogRecord): string {
    return this.formatter(logRecord);
  }
  /**
   * Writes a formatted record.
   *
   * @param msg The formatted record.
   */
  abstract log(msg: string): void;
  /** Called by `setup()` when the handler is installed. */
  setup() {}
  /** Called by `setup()` when the handler is replaced. */
  destroy() {}
  /** Calls `destroy()`. */
  [Symbol.dispose]() {
    this.destroy();
  }
}
