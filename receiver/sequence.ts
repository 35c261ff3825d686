// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode SequenceTracker}: the receiver's side of at-least-once
 * delivery. Senders with `sequence: true` stamp every record with `sender`
 * (a str, stable for the handler's lifetime) and `seq` (1, 2, 3, … per
 * sender, unbroken across reconnects). For each sender the tracker keeps
 * the numbers seen in this receiver's run as ranges, and decides for every
 * stamped record:
 *
 * - **a duplicate** (a number already seen) is not delivered, and counted;
 * - **the first record** of a sender starts its range: a receiver started
 *   late does not report history as missing;
 * - **a number above the highest + 1** opens a gap (the numbers between);
 *   a number **below the lowest** is delivered too, and the space between
 *   it and the lowest becomes a gap; a number inside a gap fills it;
 * - **a gap still open `gapTimeout` ms after it opened** is announced: its
 *   numbers count as missing and one {@linkcode GapNotice} per sender and
 *   pass says which (the receiver turns it into a WARNING record). The
 *   check runs on a timer (unref'd, armed only while gaps are open; it
 *   waits while the receiver says it is not ready, its consumer behind) and
 *   whenever a record of that sender arrives, before the record is placed:
 *   a record arriving after its gap's deadline is always late, whatever
 *   the timer's timing;
 * - **a record inside an announced gap** is delivered and counted late
 *   (and no longer missing).
 *
 * Memory is bounded against hostile senders: at most
 * {@linkcode MAX_SENDERS} senders (the least recently seen is forgotten),
 * at most {@linkcode MAX_GAPS} gaps per sender, open or announced (beyond
 * that the lowest is announced if still open, and forgotten with the range
 * below it: numbers below the new lowest range are then delivered
 * untracked), at most {@linkcode MAX_TOTAL_GAPS} gaps across senders (the
 * least recently seen senders are forgotten), and sender ids longer than
 * {@linkcode MAX_SENDER_LENGTH} are not tracked. A sender forgotten with
 * open gaps has them announced at once. Forgetting never suppresses a
 * record: what is no longer known is delivered, possibly twice.
 *
 * Records without a str `sender` and a positive safe-integer `seq` are not
 * tracked. Durations are in ms, on the monotonic clock.
 *
 * @module
 */
import type { ConnectionInfo, SequenceStats } from "./stats.ts";

/** Most senders tracked; the least recently seen is forgotten beyond. */
export const MAX_SENDERS = 10_000;
/** Most gaps (open or announced) tracked per sender. */
export const MAX_GAPS = 1_000;
/** Most gaps tracked across all senders. */
export const MAX_TOTAL_GAPS = 100_000;
/** Longest sender id (UTF-16 units) tracked; longer ids are not tracked. */
export const MAX_SENDER_LENGTH = 256;
/** Least ms between two runs of the gap timer. */
const MIN_TICK = 10;
/** Ms between two checks of `ready` while announcements wait. */
const HOLD_TICK = 100;
/** Longest delay `setTimeout` takes. */
const MAX_DELAY = 2 ** 31 - 1;
/** The deadline of a gap already announced. */
const ANNOUNCED = -1;

/** Gaps of one sender announced together. */
export interface GapNotice {
  /** The sender id. */
  readonly sender: string;
  /** How many records are missing (the gaps' sizes added). */
  readonly missing: number;
  /** The first missing number. */
  readonly first: number;
  /** The last missing number. */
  readonly last: number;
  /** How many gaps (1 when `missing` is `last - first + 1`). */
  readonly gaps: number;
  /** The connection (or datagram source) of the sender's last record. */
  readonly from: ConnectionInfo;
}

/** What the tracker knows of one sender. */
class SenderState {
  /** The sender id. */
  readonly name: string;
  /**
   * The numbers seen, as ranges `[start0, end0, start1, end1, …]`:
   * ascending, disjoint, never adjacent (gap `i` lies between range `i`
   * and range `i + 1`).
   */
  ranges: number[];
  /** For each gap: when it is due (ms), or {@linkcode ANNOUNCED}. */
  deadlines: number[] = [];
  /** Gaps not announced yet. */
  open = 0;
  /** At most the earliest deadline of the open gaps. */
  due = Infinity;
  /** Numbers below it are no longer tracked (see `MAX_GAPS`). */
  floor = 0;
  /** Where its last record came from. */
  from: ConnectionInfo;

  constructor(name: string, seq: number, from: ConnectionInfo) {
    this.name = name;
    this.ranges = [seq, seq];
    this.from = from;
  }
}

/** Gaps of one sender being announced by one call. */
interface Pending {
  state: SenderState | undefined;
  missing: number;
  first: number;
  last: number;
  gaps: number;
}

/**
 * Per-sender duplicate suppression, reordering and gap announcement (see
 * the module documentation).
 */
export class SequenceTracker {
  #gapTimeout: number;
  #announce: (notice: GapNotice) => void;
  #ready: () => boolean;
  #now: () => number;
  /** Senders, least recently seen first. */
  #senders = new Map<string, SenderState>();
  /** The sender seen last (not moved in `#senders` again). */
  #mru: SenderState | undefined;
  /** Senders with open gaps. */
  #openSenders = new Set<SenderState>();
  /** Gaps tracked (open or announced) across senders. */
  #gaps = 0;
  #open = 0;
  #missing = 0;
  #duplicates = 0;
  #late = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastRun = -Infinity;
  #closed = false;
  #pending: Pending = {
    state: undefined,
    missing: 0,
    first: 0,
    last: 0,
    gaps: 0,
  };
  #notices: GapNotice[] = [];

  /**
   * Creates a tracker with no sender.
   *
   * @param gapTimeout Ms a gap may stay open before it is announced
   * (`Infinity`: only at close).
   * @param announce Called with each announcement, after the call that
   * made it has updated the state.
   * @param ready Whether the timer may announce now; while it says no
   * (the consumer is behind), the timer checks again every 100 ms, and
   * the gaps due meanwhile are announced together.
   * @param now The monotonic clock, in ms.
   */
  constructor(
    gapTimeout: number,
    announce: (notice: GapNotice) => void,
    ready: () => boolean = () => true,
    now: () => number = () => performance.now(),
  ) {
    this.#gapTimeout = gapTimeout;
    this.#announce = announce;
    this.#ready = ready;
    this.#now = now;
  }

  /** The counters. */
  get stats(): SequenceStats {
    return {
      senders: this.#senders.size,
      gaps: this.#open,
      missing: this.#missing,
      duplicates: this.#duplicates,
      late: this.#late,
    };
  }

  /** Gaps tracked across senders, open or announced (for tests). */
  get trackedGaps(): number {
    return this.#gaps;
  }

  /**
   * Decides on a record stamped with a str `sender`.
   *
   * @param sender Its `sender` attribute.
   * @param seq Its `seq` attribute (tracked only if a positive safe
   * integer).
   * @param from Where it came from.
   * @returns `false` for a duplicate (not to be delivered), else `true`.
   */
  admit(sender: string, seq: unknown, from: ConnectionInfo): boolean {
    if (
      typeof seq !== "number" || !(seq > 0) || !Number.isSafeInteger(seq) ||
      sender.length > MAX_SENDER_LENGTH || this.#closed
    ) return true;
    let s = this.#senders.get(sender);
    if (s === undefined) {
      s = new SenderState(sender, seq, from);
      this.#senders.set(sender, s);
      this.#mru = s;
      if (this.#senders.size > MAX_SENDERS) this.#forgetOldest();
      this.#emit();
      return true;
    }
    if (s !== this.#mru) {
      this.#senders.delete(sender);
      this.#senders.set(sender, s);
      this.#mru = s;
    }
    s.from = from;
    const delivered = this.#place(s, seq);
    this.#emit();
    return delivered;
  }

  /** Places `seq` among the numbers of `s`; `false` for a duplicate. */
  #place(s: SenderState, seq: number): boolean {
    if (s.open > 0) {
      const now = this.#now();
      if (now >= s.due) this.#announceDue(s, now);
    }
    const r = s.ranges;
    const last = r.length - 1;
    const hi = r[last]!;
    if (seq === hi + 1) {
      r[last] = seq;
      return true;
    }
    if (seq > hi) {
      r.push(seq, seq);
      this.#opened(s, s.deadlines.length);
    } else if (seq < s.floor) {
      return true;
    } else if (seq < r[0]!) {
      if (seq === r[0]! - 1) {
        r[0] = seq;
        return true;
      }
      r.unshift(seq, seq);
      this.#opened(s, 0);
    } else {
      // The last range starting at or below seq.
      let lo = 0;
      let top = (r.length >> 1) - 1;
      while (lo < top) {
        const mid = (lo + top + 1) >> 1;
        if (r[2 * mid]! <= seq) lo = mid;
        else top = mid - 1;
      }
      if (seq <= r[2 * lo + 1]!) {
        this.#duplicates++;
        return false;
      }
      this.#fill(s, lo, seq);
    }
    while (s.deadlines.length > MAX_GAPS) this.#forgetLowest(s);
    while (this.#gaps > MAX_TOTAL_GAPS) this.#forgetOldest();
    return true;
  }

  /** A new open gap at index `i` of `s` (its ranges already split). */
  #opened(s: SenderState, i: number): void {
    const deadline = this.#now() + this.#gapTimeout;
    s.deadlines.splice(i, 0, deadline);
    this.#gaps++;
    this.#addOpen(s, 1);
    if (deadline < s.due) s.due = deadline;
    this.#arm();
  }

  /** `seq` falls in gap `i` of `s`: fills it (closing or splitting it). */
  #fill(s: SenderState, i: number, seq: number): void {
    const r = s.ranges;
    const d = s.deadlines[i]!;
    const open = d !== ANNOUNCED;
    if (!open) {
      this.#late++;
      this.#missing--;
    }
    const below = seq === r[2 * i + 1]! + 1;
    const above = seq === r[2 * i + 2]! - 1;
    if (below && above) {
      r[2 * i + 1] = r[2 * i + 3]!;
      r.splice(2 * i + 2, 2);
      s.deadlines.splice(i, 1);
      this.#gaps--;
      if (open) this.#addOpen(s, -1);
    } else if (below) {
      r[2 * i + 1] = seq;
    } else if (above) {
      r[2 * i + 2] = seq;
    } else {
      r.splice(2 * i + 2, 0, seq, seq);
      s.deadlines.splice(i + 1, 0, d);
      this.#gaps++;
      if (open) this.#addOpen(s, 1);
    }
  }

  /** Counts `n` more (or fewer) open gaps of `s`. */
  #addOpen(s: SenderState, n: number): void {
    s.open += n;
    this.#open += n;
    if (s.open === 0) {
      this.#openSenders.delete(s);
      s.due = Infinity;
    } else if (s.open === n) {
      this.#openSenders.add(s);
    }
  }

  /** Announces the open gaps of `s` due by `now` (all: `Infinity`). */
  #announceDue(s: SenderState, now: number): void {
    const d = s.deadlines;
    let due = Infinity;
    for (let i = 0; i < d.length; i++) {
      const t = d[i]!;
      if (t === ANNOUNCED) continue;
      if (t <= now) this.#announceGap(s, i);
      else if (t < due) due = t;
    }
    if (s.open > 0) s.due = due;
  }

  /** Announces the open gap `i` of `s` (gathered into one notice). */
  #announceGap(s: SenderState, i: number): void {
    const r = s.ranges;
    const first = r[2 * i + 1]! + 1;
    const last = r[2 * i + 2]! - 1;
    s.deadlines[i] = ANNOUNCED;
    this.#addOpen(s, -1);
    const n = last - first + 1;
    this.#missing += n;
    const p = this.#pending;
    if (p.state !== s) {
      this.#gather();
      p.state = s;
      p.first = first;
      p.last = last;
    }
    p.missing += n;
    p.gaps++;
    if (first < p.first) p.first = first;
    if (last > p.last) p.last = last;
  }

  /** Turns the gaps being announced into a notice. */
  #gather(): void {
    const p = this.#pending;
    if (p.state !== undefined && p.gaps > 0) {
      this.#notices.push({
        sender: p.state.name,
        missing: p.missing,
        first: p.first,
        last: p.last,
        gaps: p.gaps,
        from: p.state.from,
      });
    }
    p.state = undefined;
    p.missing = p.gaps = 0;
  }

  /** Hands the notices made by the current call over. */
  #emit(): void {
    this.#gather();
    if (this.#notices.length === 0) return;
    for (const notice of this.#notices.splice(0)) this.#announce(notice);
  }

  /**
   * Forgets the lowest gap of `s` (announced first if open) and the range
   * below it: numbers below the new lowest range are no longer tracked.
   */
  #forgetLowest(s: SenderState): void {
    if (s.deadlines[0] !== ANNOUNCED) this.#announceGap(s, 0);
    s.ranges.splice(0, 2);
    s.deadlines.shift();
    s.floor = s.ranges[0]!;
    this.#gaps--;
  }

  /** Forgets the least recently seen sender, announcing its open gaps. */
  #forgetOldest(): void {
    const oldest = this.#senders.values().next();
    if (oldest.done) return;
    const s = oldest.value;
    if (s.open > 0) this.#announceDue(s, Infinity);
    this.#senders.delete(s.name);
    this.#gaps -= s.deadlines.length;
    if (this.#mru === s) this.#mru = undefined;
  }

  /**
   * Arms the gap timer for the earliest deadline, if gaps are open (in
   * `hold` ms when announcements wait).
   */
  #arm(hold = 0): void {
    if (
      this.#timer !== undefined || this.#open === 0 || this.#closed ||
      this.#gapTimeout === Infinity
    ) return;
    let due = Infinity;
    for (const s of this.#openSenders) if (s.due < due) due = s.due;
    const now = this.#now();
    const delay = Math.min(
      MAX_DELAY,
      Math.max(hold, due - now, this.#lastRun + MIN_TICK - now),
    );
    this.#timer = setTimeout(() => this.#tick(), delay);
    Deno.unrefTimer(this.#timer);
  }

  /** The gap timer: announces what is due, then re-arms. */
  #tick(): void {
    this.#timer = undefined;
    if (!this.#ready()) {
      this.#arm(HOLD_TICK);
      return;
    }
    const now = this.#now();
    this.#lastRun = now;
    for (const s of [...this.#openSenders]) {
      if (now >= s.due) this.#announceDue(s, now);
    }
    this.#arm();
    this.#emit();
  }

  /**
   * Announces every gap still open (due or not) and stops the timer;
   * later records are not tracked.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const s of [...this.#openSenders]) this.#announceDue(s, Infinity);
    this.#emit();
  }
}
