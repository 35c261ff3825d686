// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Terminal-safe text: what the receiver CLI prints of a record never holds
 * a character a terminal would act on. {@linkcode escapeControls} shows
 * every control character as an escape (`\x1b`, `\r`, `\t`, `\x9b`) and
 * every bidirectional override or isolate as `\u202e`; {@linkcode indented}
 * also indents each line after the first, so that a sender cannot forge a
 * line that looks like a record of its own; {@linkcode oneLine} escapes
 * newlines too, for a column (a logger or level name).
 *
 * Escaped: C0 controls (U+0000–U+001F) except the newline, DEL (U+007F), C1
 * controls (U+0080–U+009F), the bidi embeddings and overrides
 * (U+202A–U+202E) and isolates (U+2066–U+2069). A backslash is left as it
 * is: the text stays readable, and it cannot move the cursor.
 *
 * @module
 */

// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
// deno-lint-ignore no-control-regex
const UNSAFE_TEST = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const NAMED: Record<string, string> = { "\t": "\\t", "\r": "\\r" };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const n = c.charCodeAt(0);
  return n < 0x100
    ? `\\x${n.toString(16).padStart(2, "0")}`
    : `\\u${n.toString(16).padStart(4, "0")}`;
}

/**
 * Escapes the characters a terminal would act on (see the module docs);
 * newlines are kept.
 *
 * @param text The text.
 * @returns The text, safe to print.
 *
 * @example Usage
 * ```ts ignore
 * escapeControls("a\x1b[2Jb\r\u202e"); // "a\\x1b[2Jb\\r\\u202e"
 * ```
 */
export function escapeControls(text: string): string {
  return UNSAFE_TEST.test(text) ? text.replace(UNSAFE, escapeChar) : text;
}

/**
 * Escapes the text ({@linkcode escapeControls}) and starts each line after
 * the first with `indent`.
 *
 * @param text The text.
 * @param indent What every continuation line starts with.
 * @returns The safe text.
 */
export function indented(text: string, indent: string): string {
  const safe = escapeControls(text);
  return safe.includes("\n") ? safe.replaceAll("\n", "\n" + indent) : safe;
}

/**
 * Escapes the text ({@linkcode escapeControls}) and its newlines (`\n`):
 * for a field shown in a column, such as a logger name.
 *
 * @param text The text.
 * @returns The safe text, on one line.
 */
export function oneLine(text: string): string {
  const safe = escapeControls(text);
  return safe.includes("\n") ? safe.replaceAll("\n", "\\n") : safe;
}
