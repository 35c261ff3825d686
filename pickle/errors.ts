// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The codec's two errors: {@linkcode PickleError} (encoding) and
 * {@linkcode UnpicklingError} (decoding).
 *
 * @module
 */

/**
 * Thrown by `dumps` and `dumpsFrame` when a value cannot be pickled. The
 * message names the path of the value, such as
 * `Cannot pickle value at 'value.args[2]': functions are not supported`.
 */
export class PickleError extends Error {
  /**
   * Makes an error.
   *
   * @param message The message.
   * @param options Standard error options, such as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PickleError";
  }
}

/**
 * The error `loads` throws for every malformed, truncated, hostile or
 * over-limit input. The message names the opcode and its byte offset, e.g.
 * `Cannot unpickle opcode 'REDUCE' (0x52) at offset 57: it would call an
 * arbitrary callable`.
 */
export class UnpicklingError extends Error {
  /**
   * Creates an error.
   *
   * @param message What went wrong, and where.
   * @param options The error's cause, if any.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnpicklingError";
  }
}
