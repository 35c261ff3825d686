// Test stand-in for jsr:@std/log@0.224.14 (setup.ts): destroys the old
// handlers, then sets up the new ones and rebuilds the loggers.
import type { BaseHandler } from "./base_handler.ts";
import { DEFAULT_CONFIG, DEFAULT_LEVEL } from "./_config.ts";
import { type LogConfig, Logger } from "./logger.ts";
import { state } from "./_state.ts";

/** Configures handlers and loggers (synchronous; hooks are not awaited). */
export function setup(config: LogConfig) {
  state.config = {
    handlers: { ...DEFAULT_CONFIG.handlers, ...config.handlers },
    loggers: { ...DEFAULT_CONFIG.loggers, ...config.loggers },
  };
  state.handlers.forEach((handler) => handler.destroy());
  state.handlers.clear();
  for (const [name, handler] of Object.entries(state.config.handlers ?? {})) {
    handler.setup();
    state.handlers.set(name, handler);
  }
  state.loggers.clear();
  for (const [name, cfg] of Object.entries(state.config.loggers ?? {})) {
    const handlers: BaseHandler[] = [];
    for (const handlerName of cfg.handlers ?? []) {
      const handler = state.handlers.get(handlerName);
      if (handler) handlers.push(handler);
    }
    state.loggers.set(
      name,
      new Logger(name, cfg.level ?? DEFAULT_LEVEL, { handlers }),
    );
  }
}

setup(DEFAULT_CONFIG);
