// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The text budget of one record's output ({@linkcode TextBudget}): how much
 * text its values may still render, and which shared containers were
 * already expanded. The receiver's formatters (`json`, `pretty`, a Python
 * `%`-format) create one per record and pass it to every value they render,
 * so that a record whose values all point at the same big structure (a
 * pickle's memo) prints it once and stays within
 * {@linkcode MAX_RECORD_TEXT} in total.
 *
 * Truncation is always visible: a string that does not fit what is left
 * keeps what fits and ends with `…[N more characters]`
 * ({@linkcode moreCharacters}), N being the UTF-16 code units left out;
 * any other text ends with `…`.
 *
 * @example Usage
 * ```ts
 * import { TextBudget } from "./text_budget.ts";
 * import { equal } from "node:assert/strict";
 *
 * const budget = new TextBudget(8);
 * equal(budget.cut("hello"), "hello");
 * equal(budget.cut("world"), "wor…[2 more characters]");
 * equal(budget.cut("again"), "…[5 more characters]");
 * ```
 *
 * @module
 */

/**
 * Text rendered for one record's values, in UTF-16 code units (1 MiB):
 * strings, container and object texts, and the message, in the order the
 * output writes them. Field names, punctuation and escapes are not counted;
 * once it is spent, each further value prints as a short marker.
 */
export const MAX_RECORD_TEXT = 1_048_576;

/**
 * The marker ending a cut string.
 *
 * @param n The UTF-16 code units left out.
 * @returns `…[N more characters]`.
 */
export function moreCharacters(n: number): string {
  return `…[${n} more characters]`;
}

/**
 * Where to cut `s` to keep at most `n` code units without splitting a
 * surrogate pair.
 *
 * @param s The text.
 * @param n The most code units to keep (`0 ≤ n < s.length`).
 * @returns The number of code units to keep.
 */
export function cutPoint(s: string, n: number): number {
  if (n <= 0) return 0;
  const c = s.charCodeAt(n - 1);
  return c >= 0xd800 && c <= 0xdbff ? n - 1 : n;
}

/**
 * One record's text budget: the code units its values may still render
 * ({@linkcode TextBudget.left}) and the non-empty containers already
 * expanded ({@linkcode TextBudget.firstTime}).
 */
export class TextBudget {
  /**
   * Code units left. It goes below zero when a text was cut (the cut
   * text's marker is charged too) or a value written whole overdrew it.
   */
  left: number;
  /** How many texts were cut so far. */
  cuts = 0;
  #done: Set<object> | undefined;
  #log: object[] | undefined;

  /**
   * Creates a budget.
   *
   * @param limit The code units that may be rendered.
   * @throws {RangeError} If `limit` is not a non-negative integer.
   */
  constructor(limit: number = MAX_RECORD_TEXT) {
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError(
        `Cannot create a text budget of ${limit} code units: expected a non-negative integer`,
      );
    }
    this.left = limit;
  }

  /**
   * Whether a container is met for the first time; it then counts as
   * expanded, and later calls with it return `false`.
   *
   * @param o The container.
   * @returns `true` the first time.
   */
  firstTime(o: object): boolean {
    const done = this.#done ??= new Set();
    if (done.has(o)) return false;
    done.add(o);
    this.#log?.push(o);
    return true;
  }

  /**
   * A string within what is left, charged: itself when it fits, else what
   * fits and `…[N more characters]`.
   *
   * @param s The string.
   * @returns The text to write.
   */
  cut(s: string): string {
    return this.#fit(s, moreCharacters);
  }

  /**
   * Text other than a string value (a number's digits, a description)
   * within what is left, charged: itself when it fits, else what fits and
   * `…`.
   *
   * @param s The text.
   * @returns The text to write.
   */
  take(s: string): string {
    return this.#fit(s, () => "…");
  }

  /** `s` within what is left, charged; a cut ends with `suffix(left out)`. */
  #fit(s: string, suffix: (leftOut: number) => string): string {
    const room = this.left > 0 ? this.left : 0;
    if (s.length <= room) {
      this.left -= s.length;
      return s;
    }
    const keep = cutPoint(s, room);
    const text = s.slice(0, keep) + suffix(s.length - keep);
    this.left -= text.length;
    this.cuts++;
    return text;
  }

  /**
   * Runs two renderings of the same value (an object's `repr()` and
   * `str()`) so that the second sees the shared containers as the first
   * did; afterwards, what either expanded counts as expanded.
   *
   * @param first The first rendering.
   * @param second The second rendering.
   * @returns Both results.
   */
  alike<A, B>(first: () => A, second: () => B): [A, B] {
    const outer = this.#log;
    const log: object[] = [];
    this.#log = log;
    let a: A;
    try {
      a = first();
    } finally {
      this.#log = outer;
    }
    const done = this.#done;
    if (done !== undefined) { for (const o of log) done.delete(o); }
    const b = second();
    for (const o of log) {
      if (done !== undefined) done.add(o);
      outer?.push(o);
    }
    return [a, b];
  }
}

/**
 * Text rendered only when a budgeted `percentFormat` reaches it (a
 * record's message in a `%(message)s` format), within the same budget:
 * it is charged as it renders, not again when written.
 */
export class DeferredText {
  /** Renders the text within a budget. */
  readonly render: (budget: TextBudget) => string;

  /**
   * Wraps a rendering.
   *
   * @param render Renders the text within a budget.
   */
  constructor(render: (budget: TextBudget) => string) {
    this.render = render;
  }
}
