// Test stand-in for jsr:@std/log@0.224.14 (get_logger.ts).
import { Logger } from "./logger.ts";
import { state } from "./_state.ts";

export type { Logger };

/** Returns the named logger; unknown names get a handler-less NOTSET logger. */
export function getLogger(name?: string): Logger {
  if (!name) {
    const d = state.loggers.get("default");
    if (d === undefined) {
      throw new Error(
        `"default" logger must be set for getting logger without name`,
      );
    }
    return d;
  }
  let result = state.loggers.get(name);
  if (!result) {
    result = new Logger(name, "NOTSET", { handlers: [] });
    state.loggers.set(name, result);
  }
  return result;
}
