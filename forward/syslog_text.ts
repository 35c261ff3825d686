// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The text rules of RFC 5424's fields, applied to whatever a record holds,
 * so that no record can make an invalid syslog message. Private to the
 * package.
 *
 * - {@linkcode headerField}: HOSTNAME, APP-NAME, PROCID and MSGID are
 *   1 to N characters of PRINTUSASCII (`!` to `~`, codes 33–126), or the
 *   NILVALUE `-`. Every other code point (space, control, non-ASCII, a lone
 *   surrogate) becomes `_`, and the text is cut to N characters; an empty
 *   text is `-`.
 * - {@linkcode paramName}: an SD-NAME is 1 to 32 characters of PRINTUSASCII
 *   except `=`, space, `]` and `"`; the others become `_`, the name is cut
 *   to 32, and an empty name gives `undefined` (the parameter is left out).
 * - {@linkcode paramValue}: a PARAM-VALUE is UTF-8 in which `"`, `\` and
 *   `]` are escaped with a backslash; everything else stays (RFC 5424,
 *   section 8.2, allows control characters there).
 *
 * @example Usage
 * ```ts
 * import { headerField, paramName, paramValue } from "./syslog_text.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(headerField("my app", 48), "my_app");
 * equal(headerField("", 48), "-");
 * equal(paramName("user id"), "user_id");
 * equal(paramName(""), undefined);
 * equal(paramValue('a"b]c\\'), 'a\\"b\\]c\\\\');
 * ```
 *
 * @module
 */

/** What replaces a character a field cannot hold. */
const REPLACEMENT = "_";

const NOT_PRINTUSASCII = /[^\x21-\x7e]/gu;
const PRINTUSASCII = /^[\x21-\x7e]+$/;
const SD_NAME = /^[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]+$/;
const NOT_SD_NAME = /[^\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]/gu;
const PARAM_ESCAPES = /["\\\]]/g;
const NEEDS_ESCAPE = /["\\\]]/;

/**
 * A header field (HOSTNAME, APP-NAME, PROCID, MSGID): PRINTUSASCII of at
 * most `max` characters, or `-` when empty.
 *
 * @param text The text (a record's value).
 * @param max The field's most characters (255, 48, 128 or 32).
 * @returns The field.
 */
export function headerField(text: string, max: number): string {
  if (text.length === 0) return "-";
  if (text.length <= max && PRINTUSASCII.test(text)) return text;
  const safe = text.length > max * 2 ? text.slice(0, max * 2) : text;
  return safe.replace(NOT_PRINTUSASCII, REPLACEMENT).slice(0, max);
}

/**
 * An SD-NAME (a PARAM-NAME) for a name: at most 32 characters of
 * PRINTUSASCII other than `=`, space, `]` and `"`.
 *
 * @param name The attribute's name.
 * @returns The PARAM-NAME, or `undefined` when the name is empty.
 */
export function paramName(name: string): string | undefined {
  if (name.length === 0) return undefined;
  if (name.length <= 32 && SD_NAME.test(name)) return name;
  const head = name.length > 64 ? name.slice(0, 64) : name;
  return head.replace(NOT_SD_NAME, REPLACEMENT).slice(0, 32);
}

/**
 * A PARAM-VALUE: `"`, `\` and `]` escaped with a backslash.
 *
 * @param value The value's text.
 * @returns The escaped text (UTF-8 once encoded).
 */
export function paramValue(value: string): string {
  return NEEDS_ESCAPE.test(value)
    ? value.replace(PARAM_ESCAPES, "\\$&")
    : value;
}
