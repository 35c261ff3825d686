// Test stand-in for jsr:@std/log@0.224.14 (logger.ts): same exports and behaviour.
import { getLevelByName, getLevelName, LogLevels } from "./levels.ts";
import type { LevelName, LogLevel } from "./levels.ts";
import type { BaseHandler } from "./base_handler.ts";

// deno-lint-ignore no-explicit-any
export type GenericFunction = (...args: any[]) => any;

/** Options for {@linkcode LogRecord}. */
export interface LogRecordOptions {
  /** The message. */
  msg: string;
  /** The arguments. */
  args: unknown[];
  /** The level. */
  level: LogLevel;
  /** The logger name. */
  loggerName: string;
}

/** Configuration of one logger in {@linkcode LogConfig}. */
export class LoggerConfig {
  level?: LevelName;
  handlers?: string[];
}

/** Configuration passed to `setup()`. */
export interface LogConfig {
  handlers?: { [name: string]: BaseHandler };
  loggers?: { [name: string]: LoggerConfig };
}

/** One log event; `args` and `datetime` return copies. */
export class LogRecord {
  /** The message, already converted to a string. */
  readonly msg: string;
  #args: unknown[];
  #datetime: Date;
  /** The numeric level. */
  readonly level: number;
  /** The level name. */
  readonly levelName: string;
  /** The logger name. */
  readonly loggerName: string;

  /**
   * Creates a record; its time is now.
   *
   * @param options The record's fields.
   */
  constructor(options: LogRecordOptions) {
    this.msg = options.msg;
    this.#args = [...options.args];
    this.level = options.level;
    this.loggerName = options.loggerName;
    this.#datetime = new Date();
    this.levelName = getLevelName(options.level);
  }
  /** A copy of the arguments. */
  get args(): unknown[] {
    return [...this.#args];
  }
  /** A copy of the creation time. */
  get datetime(): Date {
    return new Date(this.#datetime.getTime());
  }
}

/** Options for {@linkcode Logger}. */
export interface LoggerOptions {
  handlers?: BaseHandler[];
}

function asString(data: unknown, isProperty = false): string {
  if (typeof data === "string") return isProperty ? `"${data}"` : data;
  if (
    data === null || typeof data === "number" || typeof data === "bigint" ||
    typeof data === "boolean" || typeof data === "undefined" ||
    typeof data === "symbol"
  ) {
    return String(data);
  }
  if (data instanceof Error) return data.stack!;
  if (typeof data === "object") {
    const parts = Object.entries(data).map(([k, v]) =>
      `"${k}":${asString(v, true)}`
    );
    return `{${parts.join(",")}}`;
  }
  return "undefined";
}

/** A flat logger: calls every handler synchronously, without try/catch. */
export class Logger {
  #level: LogLevel;
  handlers: BaseHandler[];
  readonly #loggerName: string;

  constructor(
    loggerName: string,
    levelName: LevelName,
    options: LoggerOptions = {},
  ) {
    this.#loggerName = loggerName;
    this.#level = getLevelByName(levelName);
    this.handlers = options.handlers ?? [];
  }
  get level(): LogLevel {
    return this.#level;
  }
  set level(level: LogLevel) {
    try {
      this.#level = getLevelByName(getLevelName(level));
    } catch (_) {
      throw new TypeError(`Invalid log level: ${level}`);
    }
  }
  get levelName(): LevelName {
    return getLevelName(this.#level);
  }
  set levelName(levelName: LevelName) {
    this.#level = getLevelByName(levelName);
  }
  get loggerName(): string {
    return this.#loggerName;
  }

  #log<T>(level: LogLevel, msg: unknown, args: unknown[]): T | undefined {
    if (this.level > level) {
      return msg instanceof Function ? undefined : msg as T;
    }
    let fnResult: T | undefined;
    let logMessage: string;
    if (msg instanceof Function) {
      fnResult = msg();
      logMessage = asString(fnResult);
    } else {
      logMessage = asString(msg);
    }
    const record = new LogRecord({
      msg: logMessage,
      args,
      level,
      loggerName: this.loggerName,
    });
    this.handlers.forEach((handler) => {
      handler.handle(record);
    });
    return msg instanceof Function ? fnResult : msg as T;
  }

  debug<T>(msg: () => T, ...args: unknown[]): T | undefined;
  debug<T>(msg: T extends GenericFunction ? never : T, ...args: unknown[]): T;
  debug(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LogLevels.DEBUG, msg, args);
  }
  info<T>(msg: () => T, ...args: unknown[]): T | undefined;
  info<T>(msg: T extends GenericFunction ? never : T, ...args: unknown[]): T;
  info(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LogLevels.INFO, msg, args);
  }
  warn<T>(msg: () => T, ...args: unknown[]): T | undefined;
  warn<T>(msg: T extends GenericFunction ? never : T, ...args: unknown[]): T;
  warn(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LogLevels.WARN, msg, args);
  }
  error<T>(msg: () => T, ...args: unknown[]): T | undefined;
  error<T>(msg: T extends GenericFunction ? never : T, ...args: unknown[]): T;
  error(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LogLevels.ERROR, msg, args);
  }
  critical<T>(msg: () => T, ...args: unknown[]): T | undefined;
  critical<T>(
    msg: T extends GenericFunction ? never : T,
    ...args: unknown[]
  ): T;
  critical(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LogLevels.CRITICAL, msg, args);
  }
}
