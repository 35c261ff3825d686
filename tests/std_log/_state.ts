// Test stand-in for jsr:@std/log@0.224.14 (_state.ts): module-global state.
import type { BaseHandler } from "./base_handler.ts";
import { DEFAULT_CONFIG } from "./_config.ts";
import type { Logger } from "./logger.ts";

export const state = {
  handlers: new Map<string, BaseHandler>(),
  loggers: new Map<string, Logger>(),
  config: DEFAULT_CONFIG,
};
