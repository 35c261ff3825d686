// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Former home of Python's text of JavaScript values, now in
 * `text/percent_format.ts` and `text/python_text.ts`; kept as a re-export for
 * modules that still import this path.
 *
 * @module
 */
export {
  percentFormat,
  type PercentFormatResult,
} from "./text/percent_format.ts";
export {
  describe,
  isError,
  isPlainObject,
  keyString,
  pyAscii,
  pyFloatRepr,
  pyRepr,
  pyStr,
  safeString,
  strRepr,
  unreadable,
} from "./text/python_text.ts";
