// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Records stamped with `sender` and `seq` (a handler with `sequence: true`):
// their frames decoded on the receiver's fast path and by CPython, the
// SequenceTracker's rules and bounds, and LogReceiver delivering each
// (sender, seq) once, announcing gaps, over TCP and UDP.
import { deepEqual, equal, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import dgram from "node:dgram";
import { LogReceiver, type PythonLogRecord } from "../receiver.ts";
import { loads, loadsRecord, prepareLoads } from "../pickle/decoder.ts";
import type { RecordMeter } from "../pickle/decoder.ts";
import { makeLogRecord, makeLogRecordFrom } from "../receiver/record.ts";
import {
  type GapNotice,
  MAX_GAPS,
  MAX_SENDERS,
  MAX_TOTAL_GAPS,
  SequenceTracker,
} from "../receiver/sequence.ts";
import type { ConnectionInfo } from "../receiver/stats.ts";
import { dumpsFrame } from "../pickle.ts";
import { runPython } from "./_python.ts";
import { stampedFrame } from "./_stamped.ts";
import { concat } from "./_bytes.ts";

const BASE = {
  name: "app",
  msg: "request %d",
  args: null,
  levelno: 20,
  levelname: "INFO",
  created: 1700000000.25,
};

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// ---------------------------------------------------------------------------
// Decoding

Deno.test("a stamped frame (two SETITEMS batches on the root dict) decodes on the fast path and in CPython 3.11", async () => {
  const frames = [
    stampedFrame({ ...BASE, msg: "p4" }, 1, "host:12:1a2b3c4d"),
    stampedFrame({ ...BASE, msg: "p1" }, 2 ** 31 - 1, "h:1:ff", {
      protocol: 1,
    }),
    stampedFrame({ ...BASE, msg: "p2" }, 3, "h:é:00", { protocol: 2 }),
    stampedFrame({ ...BASE, msg: "big" }, 2 ** 40 + 5, "h:1:ff"),
  ];
  const want = [
    ["p4", 1, "host:12:1a2b3c4d"],
    ["p1", 2 ** 31 - 1, "h:1:ff"],
    ["p2", 3, "h:é:00"],
    ["big", 2 ** 40 + 5, "h:1:ff"],
  ];
  for (const exact of [false, true]) {
    const prepared = prepareLoads({ objects: "inert", exact });
    frames.forEach((f, i) => {
      const body = f.subarray(4);
      equal(new DataView(f.buffer).getUint32(0), body.length);
      const meter: RecordMeter = { heap: 0, pairs: undefined, deferred: false };
      const value = loadsRecord(body, prepared, meter);
      ok(meter.pairs !== undefined, "the fast path keeps the pairs");
      deepEqual(meter.pairs.slice(-4), [
        "seq",
        want[i]![1],
        "sender",
        want[i]![2],
      ]);
      const fast = makeLogRecordFrom(value, meter.pairs, meter.deferred);
      const plain = makeLogRecord(loads(body, { exact }));
      for (const r of [fast, plain]) {
        deepEqual(r.problems, []);
        equal(r.msg, want[i]![0]);
        equal(r.extra.seq, want[i]![1]);
        equal(r.extra.sender, want[i]![2]);
        equal(r.created, 1700000000.25);
      }
    });
  }
  const out = await runPython(
    [
      "import sys, pickle, logging, json",
      "for line in sys.stdin:",
      "    data = bytes.fromhex(line.strip())",
      "    r = logging.makeLogRecord(pickle.loads(data[4:]))",
      "    assert len(data) - 4 == int.from_bytes(data[:4], 'big')",
      "    print(json.dumps([r.getMessage(), r.seq, r.sender, r.levelname]))",
    ].join("\n"),
    frames.map(hex),
  );
  deepEqual(
    out.map((l) => JSON.parse(l)),
    want.map(([msg, seq, sender]) => [msg, seq, sender, "INFO"]),
  );
});

// ---------------------------------------------------------------------------
// SequenceTracker

const FROM: ConnectionInfo = {
  id: 1,
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
};

/** A tracker on a clock the test moves, with the notices it made. */
function tracker(gapTimeout = 1000) {
  let now = 0;
  const notices: GapNotice[] = [];
  const t = new SequenceTracker(
    gapTimeout,
    (n) => notices.push(n),
    () => true,
    () => now,
  );
  return {
    t,
    notices,
    advance(ms: number) {
      now += ms;
    },
    /** Admits each seq of `sender`; returns which were delivered. */
    feed(sender: string, seqs: number[]): number[] {
      return seqs.filter((s) => t.admit(sender, s, FROM));
    },
  };
}

Deno.test("SequenceTracker: in order, duplicates, reordering, a late start", () => {
  const { t, notices, feed } = tracker();
  deepEqual(feed("a", [1, 2, 3, 2, 3, 4]), [1, 2, 3, 4]);
  deepEqual(feed("a", [6, 5, 5, 6, 7]), [6, 5, 7]); // gap 5 opened and filled
  deepEqual(feed("b", [100, 101, 99, 97, 98, 99]), [100, 101, 99, 97, 98]);
  deepEqual(t.stats, {
    senders: 2,
    gaps: 0,
    missing: 0,
    duplicates: 5,
    late: 0,
  });
  equal(t.trackedGaps, 0);
  t.close();
  deepEqual(notices, []); // no gap before a sender's first record
});

Deno.test("SequenceTracker: a gap is announced after gapTimeout on the next record; a record then is late", () => {
  const { t, notices, advance, feed } = tracker(1000);
  deepEqual(feed("a", [1, 5]), [1, 5]); // gap 2–4
  advance(999);
  feed("a", [6]);
  deepEqual(notices, []);
  equal(t.stats.gaps, 1);
  advance(1);
  deepEqual(feed("a", [3]), [3]); // announced first, then late
  deepEqual(notices, [
    { sender: "a", missing: 3, first: 2, last: 4, gaps: 1, from: FROM },
  ]);
  deepEqual(t.stats, {
    senders: 1,
    gaps: 0,
    missing: 2,
    duplicates: 0,
    late: 1,
  });
  deepEqual(feed("a", [3, 2, 4, 2]), [2, 4]);
  deepEqual(t.stats, {
    senders: 1,
    gaps: 0,
    missing: 0,
    duplicates: 2,
    late: 3,
  });
  equal(t.trackedGaps, 0);
  t.close();
  equal(notices.length, 1);
});

Deno.test("SequenceTracker: gaps due together make one notice; a split gap keeps its deadline; close announces the rest", () => {
  const { t, notices, advance, feed } = tracker(1000);
  feed("a", [1, 3, 5, 10]); // gaps 2, 4, 6–9
  feed("a", [7]); // splits 6–9 into 6 and 8–9
  equal(t.stats.gaps, 4);
  advance(500);
  feed("a", [20]); // gap 11–19, due at 1500
  advance(500);
  feed("a", [21]);
  deepEqual(notices, [
    { sender: "a", missing: 5, first: 2, last: 9, gaps: 4, from: FROM },
  ]);
  equal(t.stats.gaps, 1);
  t.close();
  deepEqual(notices[1], {
    sender: "a",
    missing: 9,
    first: 11,
    last: 19,
    gaps: 1,
    from: FROM,
  });
  equal(t.stats.missing, 14);
  deepEqual(feed("a", [1, 1]), [1, 1]); // closed: nothing tracked
});

Deno.test("SequenceTracker: the timer announces a gap of a sender that went quiet", async () => {
  let wake: (n: GapNotice) => void;
  const got = new Promise<GapNotice>((r) => (wake = r));
  const t = new SequenceTracker(30, (n) => wake(n));
  const started = performance.now();
  t.admit("a", 1, FROM);
  t.admit("a", 4, FROM);
  // The tracker's timer is unref'd: something else keeps the test alive.
  const alive = setTimeout(() => {}, 10_000);
  const notice = await got;
  clearTimeout(alive);
  ok(performance.now() - started >= 29);
  deepEqual(notice, {
    sender: "a",
    missing: 2,
    first: 2,
    last: 3,
    gaps: 1,
    from: FROM,
  });
  deepEqual(t.stats, {
    senders: 1,
    gaps: 0,
    missing: 2,
    duplicates: 0,
    late: 0,
  });
  t.close();
});

Deno.test("SequenceTracker: records without a positive safe-integer seq, or with a long sender, are not tracked", () => {
  const { t, feed } = tracker();
  const bad: unknown[] = [0, -1, 1.5, "3", 2n ** 60n, 2 ** 53, NaN, null];
  for (const seq of bad) {
    ok(t.admit("a", seq, FROM));
    ok(t.admit("a", seq, FROM));
  }
  deepEqual(feed("x".repeat(257), [1, 1]), [1, 1]);
  deepEqual(feed("x".repeat(256), [1, 1]), [1]);
  equal(t.stats.senders, 1);
  t.close();
});

Deno.test("SequenceTracker: beyond 1,000 gaps a sender's lowest is announced and forgotten; numbers below it are delivered untracked", () => {
  const { t, notices, feed } = tracker(60_000);
  const odd = Array.from({ length: MAX_GAPS + 1 }, (_, i) => 2 * i + 1);
  feed("a", odd); // 1, 3, …, 2001: 1,000 gaps
  equal(t.trackedGaps, MAX_GAPS);
  deepEqual(notices, []);
  feed("a", [2005]); // gap 2002–2004: the lowest (2) goes
  equal(t.trackedGaps, MAX_GAPS);
  deepEqual(notices, [
    { sender: "a", missing: 1, first: 2, last: 2, gaps: 1, from: FROM },
  ]);
  // Below the new lowest range (3): delivered, even twice.
  deepEqual(feed("a", [1, 1, 2]), [1, 1, 2]);
  deepEqual(feed("a", [3, 4, 4]), [4]);
  equal(t.stats.missing, 1);
  t.close();
});

Deno.test("SequenceTracker: at most 10,000 senders; the least recently seen is forgotten with its gaps announced", () => {
  const { t, notices, feed } = tracker(60_000);
  feed("first", [1, 3]);
  for (let i = 1; i < MAX_SENDERS; i++) feed(`s${i}`, [1]);
  feed("first", [4]); // seen again: s1 is now the least recent
  feed("new", [1]);
  equal(t.stats.senders, MAX_SENDERS);
  deepEqual(notices, []);
  deepEqual(feed("s1", [1]), [1]); // forgotten: starts again
  feed("s2", [1]); // evicts s3…
  for (let i = 0; i < MAX_SENDERS; i++) feed(`z${i}`, [1]);
  equal(t.stats.senders, MAX_SENDERS);
  deepEqual(notices, [
    { sender: "first", missing: 1, first: 2, last: 2, gaps: 1, from: FROM },
  ]);
  equal(t.stats.gaps, 0);
  t.close();
});

Deno.test("SequenceTracker: at most 100,000 gaps across senders", () => {
  const { t, feed } = tracker(60_000);
  const odd = Array.from({ length: MAX_GAPS + 1 }, (_, i) => 2 * i + 1);
  for (let s = 0; s < 120; s++) feed(`s${s}`, odd);
  ok(t.trackedGaps <= MAX_TOTAL_GAPS, `${t.trackedGaps} gaps`);
  ok(t.trackedGaps > MAX_TOTAL_GAPS - MAX_GAPS);
  equal(t.stats.senders, MAX_TOTAL_GAPS / MAX_GAPS);
  t.close();
  equal(t.stats.gaps, 0);
});

Deno.test("SequenceTracker: random orders against a set of the numbers seen (delivery once; missing at close is what never came)", () => {
  let seed = 2026;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let round = 0; round < 50; round++) {
    const { t, notices, advance } = tracker(1 + Math.floor(random() * 50));
    const n = 1 + Math.floor(random() * 1500);
    const seen = new Set<number>();
    let announced: number;
    for (let i = 0; i < 2 * n; i++) {
      const seq = 1 + Math.floor(random() * n);
      equal(t.admit("s", seq, FROM), !seen.has(seq), `seq ${seq}`);
      seen.add(seq);
      advance(random() * 3);
      const st = t.stats;
      equal(st.duplicates, i + 1 - seen.size);
      announced = notices.reduce((m, x) => m + x.missing, 0);
      equal(st.missing, announced - st.late);
    }
    t.close();
    const lo = Math.min(...seen);
    const hi = Math.max(...seen);
    equal(t.stats.missing, hi - lo + 1 - seen.size);
    equal(t.stats.gaps, 0);
  }
});

Deno.test("SequenceTracker: 100,000 random seqs from one hostile sender keep the state bounded", () => {
  const { t, notices, advance } = tracker(2000);
  let seed = 15;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const started = performance.now();
  let delivered = 0;
  const seen = new Set<number>();
  for (let i = 0; i < 100_000; i++) {
    // Half over a wide space, half over a narrow one (duplicates, fills).
    const seq = 1 + Math.floor(random() * (i % 2 ? 2 ** 31 : 50_000));
    if (t.admit("evil", seq, FROM)) delivered++;
    else ok(seen.has(seq), "only a number seen is suppressed");
    seen.add(seq);
    if (i % 1000 === 0) advance(100);
    ok(t.trackedGaps <= MAX_GAPS);
  }
  ok(delivered >= seen.size, `${delivered} delivered, ${seen.size} distinct`);
  ok(notices.length > 0);
  ok(notices.length <= 100_000);
  equal(t.stats.senders, 1);
  ok(t.stats.gaps <= MAX_GAPS);
  const elapsed = performance.now() - started;
  ok(elapsed < 20_000, `${elapsed} ms`);
  t.close();
});

// ---------------------------------------------------------------------------
// LogReceiver

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

function frames(sender: string, seqs: number[]): Uint8Array {
  const parts = seqs.map((s) =>
    stampedFrame({ ...BASE, msg: `r${s}` }, s, sender, { protocol: 1 })
  );
  return concat(parts);
}

Deno.test("LogReceiver delivers each (sender, seq) once across connections", async () => {
  await using receiver = new LogReceiver({ port: 0 });
  {
    using a = await Deno.connect({ port: receiver.port });
    await writeAll(a, frames("h:1:aa", [1, 2, 3, 4, 5]));
    await receiver.next(5);
  }
  using b = await Deno.connect({ port: receiver.port });
  // A resend of what may not have arrived, then new records, and a plain one.
  await writeAll(b, frames("h:1:aa", [3, 4, 5, 6, 7, 8]));
  await writeAll(b, dumpsFrame({ ...BASE, msg: "plain", seq: 2 }));
  const got = await receiver.next(4);
  deepEqual(got.map((r) => r.msg), ["r6", "r7", "r8", "plain"]);
  const s = receiver.stats();
  equal(s.records, 12);
  deepEqual(s.sequence, {
    senders: 1,
    gaps: 0,
    missing: 0,
    duplicates: 3,
    late: 0,
  });
  equal(receiver.buffered, 0);
});

Deno.test("LogReceiver announces a gap with a WARNING record, then delivers the late record", async () => {
  const seen: PythonLogRecord[] = [];
  await using receiver = new LogReceiver({
    port: 0,
    gapTimeout: 50,
    buffer: true,
    onRecord: (r) => {
      seen.push(r);
    },
  });
  using conn = await Deno.connect({ port: receiver.port });
  await writeAll(conn, frames("h:1:bb", [1, 2, 6]));
  const [r1, r2, r6, warning] = await receiver.next(4, { timeout: 5000 });
  deepEqual([r1!.msg, r2!.msg, r6!.msg], ["r1", "r2", "r6"]);
  equal(warning!.name, "pylogging.receiver");
  equal(warning!.levelname, "WARNING");
  equal(warning!.levelno, 30);
  equal(warning!.getMessage(), "missing 3 records from sender h:1:bb, seq 3–5");
  deepEqual(
    [
      warning!.extra.sender,
      warning!.extra.missing,
      warning!.extra.seqFirst,
      warning!.extra.seqLast,
    ],
    ["h:1:bb", 3, 3, 5],
  );
  deepEqual(warning!.problems, []);
  ok(Math.abs(warning!.created - Date.now() / 1000) < 60);
  equal(seen.length, 4); // onRecord saw the warning too
  equal(seen[3], warning);
  await writeAll(conn, frames("h:1:bb", [4, 4]));
  const [late] = await receiver.next(1);
  equal(late!.msg, "r4");
  await new Promise((r) => setTimeout(r, 50));
  deepEqual(receiver.stats().sequence, {
    senders: 1,
    gaps: 0,
    missing: 2,
    duplicates: 1,
    late: 1,
  });
});

Deno.test("LogReceiver announces the gaps still open at close() to the iterator", async () => {
  const receiver = new LogReceiver({ port: 0, gapTimeout: 60_000 });
  using conn = await Deno.connect({ port: receiver.port });
  await writeAll(conn, frames("h:1:cc", [1, 3, 5]));
  await receiver.next(3);
  equal(receiver.stats().sequence.gaps, 2);
  const closed = receiver.close();
  const rest: PythonLogRecord[] = [];
  for await (const r of receiver) rest.push(r);
  await closed;
  deepEqual(rest.map((r) => r.getMessage()), [
    "missing 2 records from sender h:1:cc, seq 2–4 (2 gaps)",
  ]);
  deepEqual(receiver.stats().sequence, {
    senders: 1,
    gaps: 0,
    missing: 2,
    duplicates: 0,
    late: 0,
  });
});

Deno.test("LogReceiver holds the timer's announcements while its buffer is full", async () => {
  await using receiver = new LogReceiver({
    port: 0,
    gapTimeout: 20,
    maxBuffered: 3,
  });
  using conn = await Deno.connect({ port: receiver.port });
  await writeAll(conn, frames("h:1:ee", [1, 3, 5, 7]));
  const deadline = Date.now() + 5000;
  while (receiver.buffered < 3 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 300));
  equal(receiver.buffered, 3, "no announcement beyond the bound");
  equal(receiver.stats().sequence.gaps, 3);
  const got = await receiver.next(4);
  deepEqual(got.map((r) => r.msg), ["r1", "r3", "r5", "r7"]);
  const [warning] = await receiver.next(1, { timeout: 2000 });
  equal(
    warning!.getMessage(),
    "missing 3 records from sender h:1:ee, seq 2–6 (3 gaps)",
  );
  equal(receiver.stats().sequence.missing, 3);
});

Deno.test("LogReceiver tracks UDP records with the same rules", async () => {
  await using receiver = new LogReceiver({ port: 0, udp: true });
  await receiver.ready;
  const socket = dgram.createSocket("udp4");
  try {
    for (const s of [1, 2, 2, 3, 1]) {
      const f = stampedFrame({ ...BASE, msg: `u${s}` }, s, "h:9:dd");
      await new Promise<void>((resolve, reject) =>
        socket.send(
          Buffer.from(f),
          receiver.port,
          "127.0.0.1",
          (e) => e ? reject(e) : resolve(),
        )
      );
    }
    const got = await receiver.next(3, { timeout: 5000 });
    deepEqual(got.map((r) => r.msg), ["u1", "u2", "u3"]);
    const deadline = Date.now() + 5000;
    while (receiver.stats().datagrams < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    equal(receiver.stats().sequence.duplicates, 2);
    equal(receiver.buffered, 0);
  } finally {
    await new Promise<void>((r) => socket.close(() => r()));
  }
});

Deno.test("LogReceiver keeps its sequence state bounded against 100,000 random seqs on one connection", async () => {
  let records = 0;
  let warnings = 0;
  await using receiver = new LogReceiver({
    port: 0,
    gapTimeout: 100,
    onRecord: (r) => {
      if (r.name === "pylogging.receiver") warnings++;
      else records++;
    },
  });
  using conn = await Deno.connect({ port: receiver.port });
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const writer = (async () => {
    for (let i = 0; i < 100; i++) {
      const seqs = Array.from(
        { length: 1000 },
        () => 1 + Math.floor(random() * 2 ** 31),
      );
      await writeAll(conn, frames("evil:1:00", seqs));
    }
  })();
  await writer;
  const deadline = Date.now() + 60_000;
  while (receiver.stats().records < 100_000 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    ok(receiver.stats().sequence.gaps <= MAX_GAPS);
  }
  const s = receiver.stats();
  equal(s.records, 100_000);
  equal(s.sequence.senders, 1);
  ok(s.sequence.gaps <= MAX_GAPS);
  ok(records + s.sequence.duplicates === 100_000);
  ok(warnings > 0);
  equal(s.errors, 0);
});
