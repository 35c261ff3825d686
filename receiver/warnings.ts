// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Rate-limited warning lines on stderr, for the problems a receiver reports
 * through `onError` (the CLI's warnings and the default `onError`): per
 * kind, the first {@linkcode REPORT_BURST} are written one by one, then at
 * most one per {@linkcode REPORT_INTERVAL} ms, which says how many went
 * unwritten since the last one (`… and 8,412 more since the last one`);
 * {@linkcode WarningLines.flush} tells the rest at the end. The same
 * approach as the frame refusals of `refusals.ts`. Lines are
 * terminal-safe: a sender's text cannot hold control characters.
 *
 * @module
 */
import { RefusalReports, REPORT_BURST, REPORT_INTERVAL } from "./refusals.ts";
import { escapeControls } from "../text/terminal_safe.ts";

export { REPORT_BURST, REPORT_INTERVAL };

/** `8,412`: a count with thousands separators. */
export function countText(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ",");
}

/** Warning lines of several kinds, each rate limited on its own. */
export class WarningLines {
  #write: (line: string) => void;
  #kinds = new Map<string, { reports: RefusalReports; pending: number }>();
  #now: () => number;

  /**
   * Creates the rate limiter.
   *
   * @param write Writes one line (without its newline).
   * @param now The clock, in ms.
   */
  constructor(
    write: (line: string) => void,
    now: () => number = Date.now,
  ) {
    this.#write = write;
    this.#now = now;
  }

  /**
   * Writes a warning of a kind, unless its kind is rate limited now.
   *
   * @param kind The kind of warning (each kind is limited on its own).
   * @param line The line (escaped here).
   */
  warn(kind: string, line: string): void {
    let k = this.#kinds.get(kind);
    if (k === undefined) {
      k = { reports: new RefusalReports(), pending: 0 };
      this.#kinds.set(kind, k);
    }
    const suppressed = k.reports.next(this.#now());
    if (suppressed === undefined) {
      k.pending++;
      return;
    }
    k.pending = 0;
    const more = suppressed === 0
      ? ""
      : ` (… and ${countText(suppressed)} more since the last one)`;
    this.#write(escapeControls(line) + more);
  }

  /**
   * Writes, per kind, how many warnings were not written since its last
   * line (`warning: bad-datagram: … and 8,412 more`); call it at the end.
   *
   * @param prefix What each line starts with, before the kind.
   */
  flush(prefix: string): void {
    for (const [kind, k] of this.#kinds) {
      if (k.pending > 0) {
        this.#write(`${prefix}${kind}: … and ${countText(k.pending)} more`);
        k.pending = 0;
      }
    }
  }
}
