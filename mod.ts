// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Ships `@std/log` records to Python receivers, byte for byte as Python's
 * `logging.handlers.SocketHandler` sends them.
 *
 * ```ts
 * import { pyFloat } from "@pylogging/socket-handler";
 * import { equal } from "node:assert/strict";
 * equal(pyFloat(3).value, 3);
 * ```
 *
 * @module
 */
export * from "./py_types.ts";
