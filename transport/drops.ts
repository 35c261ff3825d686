// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Drop accounting: why records were dropped ({@linkcode DropReason}), the
 * counts by reason, and the drops not yet announced to the receiver
 * ({@linkcode DropNotice}), with the text of the announcement
 * ({@linkcode formatDropNotice}). Private to the package.
 *
 * @module
 */

/**
 * Why a record was dropped.
 *
 * - `"overflow"`: the queue bounds were exceeded.
 * - `"oversize"`: a single frame was larger than `maxQueueBytes` (or, for a
 *   datagram, than `maxDatagramBytes`); it is never truncated.
 * - `"encode"`: the record could not be encoded (counted by the handler).
 * - `"closed"`: the engine was closed (pending at close, or handled later).
 * - `"permission"`: Deno's permission system refused the connection or the
 *   datagram (`--allow-net`).
 * - `"exit"`: still pending when the process exited.
 * - `"send"`: the operating system refused the datagram (e.g. no route, an
 *   unresolvable host name); stream connections never drop for this reason.
 * - `"refused"`: the receiver closed the connection while this frame was
 *   being written, three times in a row (e.g. it is over the receiver's
 *   frame limit): it is dropped so that the frames behind it are delivered.
 * - `"corrupt"`: a spooled frame whose part of a spool segment was found
 *   corrupt when it was read back (option `spool`).
 */
export type DropReason =
  | "overflow"
  | "oversize"
  | "encode"
  | "closed"
  | "permission"
  | "exit"
  | "send"
  | "refused"
  | "corrupt";

/** Every drop reason, in the order of the counters. */
export const DROP_REASONS: readonly DropReason[] = Object.freeze([
  "overflow",
  "oversize",
  "encode",
  "closed",
  "permission",
  "exit",
  "send",
  "refused",
  "corrupt",
]);

/** The drops not yet announced to the receiver. */
export interface DropNotice {
  /** Records dropped since the last notice. */
  dropped: number;
  /** The same, by reason. */
  byReason: Readonly<Record<DropReason, number>>;
  /** Clock time (ms) of the first of these drops. */
  firstDropMs: number;
  /** Clock time (ms) of the last of these drops. */
  lastDropMs: number;
}

/**
 * A counter per drop reason, all zero.
 *
 * @returns The counters.
 */
export function zeroByReason(): Record<DropReason, number> {
  const counters = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) counters[reason] = 0;
  return counters;
}

/** Drops that may share one clock reading (see DropLedger's dropTime). */
const DROP_CLOCK_EVERY = 256;

/** Counts drops by reason and keeps the drops not yet announced. */
export class DropLedger {
  /** Records dropped, all reasons. */
  dropped = 0;
  /** Records dropped, by reason. */
  readonly byReason: Record<DropReason, number> = zeroByReason();
  /** Drop notices written. */
  noticesSent = 0;
  #now: () => number;
  #onDrop: ((reason: DropReason, count: number) => void) | undefined;
  #unannounced = 0;
  #unannouncedByReason = zeroByReason();
  #firstDropMs = 0;
  #lastDropMs = 0;
  #clock = 0;
  #clockUses = 0;

  /**
   * Creates the ledger.
   *
   * @param now The clock (milliseconds).
   * @param onDrop Called after every drop (exceptions it throws are ignored).
   */
  constructor(
    now: () => number,
    onDrop?: (reason: DropReason, count: number) => void,
  ) {
    this.#now = now;
    this.#onDrop = onDrop;
  }

  /** Drops not yet announced. */
  get unannounced(): number {
    return this.#unannounced;
  }

  /**
   * Counts `n` records dropped for `reason`.
   *
   * @param reason The reason.
   * @param n How many.
   */
  count(reason: DropReason, n = 1): void {
    if (n <= 0) return;
    this.dropped += n;
    this.byReason[reason] += n;
    const now = this.#dropTime();
    if (this.#unannounced === 0) this.#firstDropMs = now;
    this.#lastDropMs = now;
    this.#unannounced += n;
    this.#unannouncedByReason[reason] += n;
    if (this.#onDrop === undefined) return;
    try {
      this.#onDrop(reason, n);
    } catch { /* never throw into the caller */ }
  }

  /**
   * The drops not yet announced, as a snapshot to announce.
   *
   * @returns The notice, or undefined if there is nothing to announce.
   */
  notice(): DropNotice | undefined {
    if (this.#unannounced === 0) return undefined;
    return {
      dropped: this.#unannounced,
      byReason: { ...this.#unannouncedByReason },
      firstDropMs: this.#firstDropMs,
      lastDropMs: this.#lastDropMs,
    };
  }

  /**
   * Marks the drops of a notice as announced; drops counted since the
   * snapshot stay unannounced.
   *
   * @param notice A snapshot from {@linkcode DropLedger.prototype.notice}.
   */
  announced(notice: DropNotice): void {
    this.#unannounced -= notice.dropped;
    for (const r of DROP_REASONS) {
      this.#unannouncedByReason[r] -= notice.byReason[r];
    }
    if (this.#unannounced > 0) this.#firstDropMs = this.#lastDropMs;
  }

  /**
   * Writes the notice of the drops not yet announced, if any. A notice whose
   * frame cannot be built (`build` returns undefined, or throws: see
   * `onBuildError`) counts as announced.
   *
   * @param build Builds the notice's frame.
   * @param write Writes a frame.
   * @param onBuildError Receives what `build` threw.
   * @returns Resolves once written (or skipped).
   * @throws What `write` throws; the drops then stay unannounced.
   */
  async announce(
    build: (notice: DropNotice) => Uint8Array | undefined,
    write: (frame: Uint8Array) => Promise<void>,
    onBuildError: (error: unknown) => void,
  ): Promise<void> {
    const notice = this.notice();
    if (notice === undefined) return;
    let frame: Uint8Array | undefined;
    try {
      frame = build(notice);
    } catch (e) {
      onBuildError(e);
    }
    if (frame instanceof Uint8Array && frame.byteLength > 0) {
      await write(frame);
      this.noticesSent++;
    }
    this.announced(notice);
  }

  /**
   * The time of a drop. Reading the clock costs about 50 ns (a third of a
   * dropped record's cost), so drops in one synchronous run share a reading,
   * refreshed every DROP_CLOCK_EVERY drops: the notice's times are then off
   * by at most that many drops' duration (well under a millisecond).
   */
  #dropTime(): number {
    if (this.#clockUses === 0) {
      this.#clock = this.#now();
      queueMicrotask(this.#resetClock);
    }
    if (++this.#clockUses >= DROP_CLOCK_EVERY) this.#clockUses = 0;
    return this.#clock;
  }

  #resetClock = (): void => {
    this.#clockUses = 0;
  };
}

/**
 * The text of the dropped-records notice, e.g. `3 records dropped between
 * 2026-01-01T00:00:00.000Z and 2026-01-01T00:00:01.000Z (overflow: 3)`.
 *
 * @param notice The drop counts.
 * @returns The message.
 */
export function formatDropNotice(notice: DropNotice): string {
  const reasons = Object.entries(notice.byReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(", ");
  const first = new Date(notice.firstDropMs).toISOString();
  const last = new Date(notice.lastDropMs).toISOString();
  return `${notice.dropped} record${
    notice.dropped === 1 ? "" : "s"
  } dropped between ${first} and ${last} (${reasons})`;
}
