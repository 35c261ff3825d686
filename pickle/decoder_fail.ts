// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The decoder's failure interface: {@linkcode Failer}, what the text
 * decoding of `decoder_text.ts` needs from the decoder state (`State` of
 * `decoder_state.ts`, which implements it) to reject its input. Its own
 * module, so that `decoder_text.ts` does not import `decoder_state.ts`,
 * which imports it.
 *
 * @module
 */

/** Rejects the input at the opcode being decoded. */
export interface Failer {
  /**
   * Throws an `UnpicklingError` naming the current opcode and its offset.
   *
   * @param reason What is wrong.
   */
  fail(reason: string): never;
}
