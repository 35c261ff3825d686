// Test stand-in for jsr:@std/log@0.224.14 (_config.ts).
import { ConsoleHandler } from "./console_handler.ts";
import type { LogConfig } from "./logger.ts";

export const DEFAULT_LEVEL = "INFO";

export const DEFAULT_CONFIG: LogConfig = {
  handlers: { default: new ConsoleHandler(DEFAULT_LEVEL) },
  loggers: { default: { level: DEFAULT_LEVEL, handlers: ["default"] } },
};
