// Test stand-in for jsr:@std/log@0.224.14 (mod.ts). FileHandler,
// RotatingFileHandler and formatters are not part of the stand-in.
import "./setup.ts";
import { getLogger } from "./get_logger.ts";

export * from "./base_handler.ts";
export * from "./console_handler.ts";
export * from "./levels.ts";
export * from "./logger.ts";
export * from "./get_logger.ts";
export * from "./setup.ts";

/** Logs at DEBUG on the default logger. */
export function debug(msg: unknown, ...args: unknown[]): unknown {
  return getLogger("default").debug(msg, ...args);
}
/** Logs at INFO on the default logger. */
export function info(msg: unknown, ...args: unknown[]): unknown {
  return getLogger("default").info(msg, ...args);
}
/** Logs at WARN on the default logger. */
export function warn(msg: unknown, ...args: unknown[]): unknown {
  return getLogger("default").warn(msg, ...args);
}
/** Logs at ERROR on the default logger. */
export function error(msg: unknown, ...args: unknown[]): unknown {
  return getLogger("default").error(msg, ...args);
}
/** Logs at CRITICAL on the default logger. */
export function critical(msg: unknown, ...args: unknown[]): unknown {
  return getLogger("default").critical(msg, ...args);
}
