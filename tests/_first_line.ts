// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: reads a child process's text stream, its first line at once
 * and the rest when asked.
 *
 * @module
 */

/** A stream whose first line has been read. */
export interface FirstLine {
  /** The first line, without its newline (all of the text if none). */
  first: string;
  /**
   * Reads the next line (without its newline; what is left if none, ""
   * at the end); {@linkcode FirstLine.rest} then returns what follows it.
   */
  next(): Promise<string>;
  /** Reads to the end; returns what followed the lines read. */
  rest(): Promise<string>;
}

/**
 * Reads `stream` up to its first newline (or its end).
 *
 * @param stream A child's stdout or stderr.
 * @returns The first line, and a reader of the rest.
 */
export async function readFirstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<FirstLine> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let eof = false;
  const nextLine = async (): Promise<string> => {
    while (!buffer.includes("\n") && !eof) {
      const { value, done } = await reader.read();
      if (done) eof = true;
      else buffer += value;
    }
    const i = buffer.indexOf("\n");
    const line = i < 0 ? buffer : buffer.slice(0, i);
    buffer = i < 0 ? "" : buffer.slice(i + 1);
    return line;
  };
  const first = await nextLine();
  return {
    first,
    next: nextLine,
    async rest() {
      while (!eof) {
        const { value, done } = await reader.read();
        if (done) eof = true;
        else buffer += value;
      }
      return buffer;
    },
  };
}
