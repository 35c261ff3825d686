// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Rate limiting of the `bad-pickle` reports of one source (a connection, or
 * a UDP receiver): the first {@linkcode REPORT_BURST} refused frames are
 * reported one by one, then at most one report per
 * {@linkcode REPORT_INTERVAL} ms, which tells how many refusals went
 * unreported since the last one. Every refusal is counted either way.
 *
 * @module
 */

/** Refused frames reported one by one before rate limiting starts. */
export const REPORT_BURST = 10;
/** Least time between two reports once rate limited, in ms. */
export const REPORT_INTERVAL = 60_000;

/** The report state of one source. */
export class RefusalReports {
  #reported = 0;
  #suppressed = 0;
  #last = -Infinity;

  /**
   * Decides whether a refused frame is reported now.
   *
   * @param now The current time in ms.
   * @returns `undefined` to stay silent, else the number of refusals left
   * unreported before this one (0 in the burst).
   */
  next(now: number): number | undefined {
    if (this.#reported < REPORT_BURST || now - this.#last >= REPORT_INTERVAL) {
      this.#reported++;
      this.#last = now;
      const n = this.#suppressed;
      this.#suppressed = 0;
      return n;
    }
    this.#suppressed++;
    return undefined;
  }
}

/**
 * The text of a `bad-pickle` report.
 *
 * @param what `frame` or `datagram`.
 * @param len Its size.
 * @param reason Why it was refused.
 * @param suppressed Refusals not reported before it.
 * @returns The message.
 */
export function refusalText(
  what: string,
  len: number,
  reason: string,
  suppressed: number,
): string {
  const more = suppressed === 0
    ? ""
    : ` (${suppressed} more refused since the last report)`;
  return `Cannot decode ${what} of ${len} bytes, skipped it: ${reason}${more}`;
}
