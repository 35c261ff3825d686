// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Former home of the safe pickle decoder, now in `pickle/decoder.ts`
 * (public entry point: `@pylogging/socket-handler/pickle`); kept as a
 * re-export for modules that still import this path.
 *
 * @module
 */
export { loads, type LoadsOptions } from "./pickle/decoder.ts";
export { UnpicklingError } from "./pickle/errors.ts";
