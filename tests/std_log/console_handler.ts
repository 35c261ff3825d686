// Test stand-in for jsr:@std/log@0.224.14 (console_handler.ts).
import { type LevelName, LogLevels } from "./levels.ts";
import type { LogRecord } from "./logger.ts";
import { BaseHandler, type BaseHandlerOptions } from "./base_handler.ts";

/** Options for {@linkcode ConsoleHandler}. */
export interface ConsoleHandlerOptions extends BaseHandlerOptions {
  useColors?: boolean;
}

const COLOURS: Record<number, [string, string]> = {
  [LogLevels.INFO]: ["\x1b[34m", "\x1b[39m"],
  [LogLevels.WARN]: ["\x1b[33m", "\x1b[39m"],
  [LogLevels.ERROR]: ["\x1b[31m", "\x1b[39m"],
  [LogLevels.CRITICAL]: ["\x1b[1m\x1b[31m", "\x1b[39m\x1b[22m"],
};

/** Writes formatted records to the console. */
export class ConsoleHandler extends BaseHandler {
  #useColors?: boolean;
  constructor(levelName: LevelName, options: ConsoleHandlerOptions = {}) {
    super(levelName, options);
    this.#useColors = options.useColors ?? true;
  }
  override format(logRecord: LogRecord): string {
    const msg = super.format(logRecord);
    const c = this.#useColors ? COLOURS[logRecord.level] : undefined;
    return c ? c[0] + msg + c[1] : msg;
  }
  log(msg: string) {
    // deno-lint-ignore no-console
    console.log(msg);
  }
}
