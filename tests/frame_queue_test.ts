// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, ok } from "node:assert/strict";
import { FrameQueue, type OverflowPolicy } from "../transport/frame_queue.ts";
import type { DropReason } from "../transport/drops.ts";

/** A deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A frame whose bytes say which frame it is: id (4 bytes), then id + i. */
function frame(id: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let i = 0; i < size; i++) f[i] = (id * 7 + i) & 0xff;
  if (size >= 4) new DataView(f.buffer).setUint32(0, id);
  return f;
}

interface ModelFrame {
  id: number;
  seq: number;
  bytes: Uint8Array;
}

/** The queue's rules on a plain array of frames. */
class Model {
  queued: ModelFrame[] = [];
  batch: ModelFrame[] = [];
  drops: Record<string, number> = {};
  nextSeq = 0;
  constructor(
    readonly maxRecords: number,
    readonly maxBytes: number,
    readonly overflow: OverflowPolicy,
  ) {}
  get records(): number {
    return this.queued.length + this.batch.length;
  }
  get bytes(): number {
    return [...this.queued, ...this.batch].reduce(
      (n, f) => n + f.bytes.length,
      0,
    );
  }
  drop(reason: string, n: number): void {
    if (n > 0) this.drops[reason] = (this.drops[reason] ?? 0) + n;
  }
  push(id: number, bytes: Uint8Array): boolean {
    const size = bytes.length;
    if (size > this.maxBytes) {
      this.drop("oversize", 1);
      return false;
    }
    const full = () =>
      this.records >= this.maxRecords || this.bytes + size > this.maxBytes;
    if (full()) {
      const batchBytes = this.batch.reduce((n, f) => n + f.bytes.length, 0);
      if (
        this.overflow === "drop-newest" ||
        this.batch.length >= this.maxRecords ||
        batchBytes + size > this.maxBytes
      ) {
        this.drop("overflow", 1);
        return false;
      }
      let n = 0;
      while (full()) {
        this.queued.shift();
        n++;
      }
      this.drop("overflow", n);
    }
    this.queued.push({ id, seq: this.nextSeq++, bytes });
    return true;
  }
  take(limit: number): ModelFrame[] | undefined {
    if (this.queued.length === 0 || this.batch.length > 0) return undefined;
    let total = 0;
    let k = 0;
    while (k < this.queued.length) {
      const size = this.queued[k]!.bytes.length;
      if (k > 0 && total + size > limit) break;
      total += size;
      k++;
    }
    this.batch = this.queued.splice(0, k);
    return this.batch;
  }
  settle(written: number, reason?: DropReason): number {
    let sent = 0;
    let bytes = 0;
    while (
      sent < this.batch.length &&
      bytes + this.batch[sent]!.bytes.length <= written
    ) {
      bytes += this.batch[sent]!.bytes.length;
      sent++;
    }
    const rest = this.batch.slice(sent);
    this.batch = [];
    if (reason !== undefined) this.drop(reason, rest.length);
    else this.queued.unshift(...rest);
    return sent;
  }
  dropAll(reason: string): void {
    this.drop(reason, this.records);
    this.queued = [];
    this.batch = [];
  }
  get firstSeq(): number {
    return (this.batch[0] ?? this.queued[0])?.seq ?? this.nextSeq;
  }
}

function concat(frames: ModelFrame[]): number[] {
  return frames.flatMap((f) => [...f.bytes]);
}

for (
  const [name, maxRecords, maxBytes, overflow, seed] of [
    ["drop-oldest, byte bound", 1000, 4096, "drop-oldest", 1],
    ["drop-oldest, record bound", 12, 1 << 20, "drop-oldest", 2],
    ["drop-newest, byte bound", 1000, 4096, "drop-newest", 3],
    ["drop-oldest, both bounds tight", 6, 700, "drop-oldest", 4],
    [
      "drop-oldest, large bound (ring grows)",
      100_000,
      300_000,
      "drop-oldest",
      5,
    ],
  ] as [string, number, number, OverflowPolicy, number][]
) {
  Deno.test(`FrameQueue matches the model: ${name}`, () => {
    const random = prng(seed);
    const drops: Record<string, number> = {};
    const queue = new FrameQueue({
      maxRecords,
      maxBytes,
      overflow,
      onDrop: (reason, n) => drops[reason] = (drops[reason] ?? 0) + n,
    });
    const model = new Model(maxRecords, maxBytes, overflow);
    let id = 0;
    let batch: Uint8Array | undefined;
    let batchBytes: number[] = [];
    const sizeOf = (): number => {
      const r = random();
      if (r < 0.02) return maxBytes + 1 + Math.floor(random() * 10); // oversize
      if (r < 0.1) {
        return 4 + Math.floor(random() * Math.min(maxBytes / 2, 8192)); // large
      }
      return 4 + Math.floor(random() * 200);
    };
    for (let step = 0; step < 20_000; step++) {
      const op = random();
      if (op < 0.6) {
        const size = sizeOf();
        const f = frame(id, size);
        if (random() < 0.5) {
          equal(queue.push(f), model.push(id, f.slice()), `push ${id}`);
          f.fill(0); // the queue holds a copy
        } else {
          // Written in place into the room the queue lends (which may be
          // larger than the frame: the rest is scribbled over).
          const n = size + Math.floor(random() * 64);
          const room = queue.room(n);
          ok(room.pos + n <= room.buf.length, `room for ${n} bytes`);
          room.buf.fill(0xee, room.pos, room.pos + n);
          room.buf.set(f, room.pos);
          equal(
            queue.commit(room.pos + size),
            model.push(id, f.slice()),
            `commit ${id}`,
          );
        }
        id++;
      } else if (op < 0.75 && batch === undefined) {
        const limit = 1 + Math.floor(random() * 2000);
        batch = queue.takeBatch(limit);
        const want = model.take(limit);
        equal(batch === undefined, want === undefined);
        if (want !== undefined) {
          batchBytes = concat(want);
          deepEqual([...batch!], batchBytes, `batch at step ${step}`);
        }
      } else if (op < 0.9 && batch !== undefined) {
        // The write's bytes are intact whatever happened meanwhile.
        deepEqual([...batch], batchBytes, `batch kept at step ${step}`);
        const written = random() < 0.6
          ? batch.length
          : Math.floor(random() * (batch.length + 1));
        const reason: DropReason | undefined = random() < 0.2
          ? "send"
          : undefined;
        const sent = queue.settle(written, reason);
        equal(sent, model.settle(written, reason));
        batch = undefined;
      } else if (op < 0.905) {
        queue.dropAll("closed");
        model.dropAll("closed");
        batch = undefined;
      }
      equal(queue.records, model.records);
      equal(queue.bytes, model.bytes);
      equal(queue.inFlight, model.batch.length);
      equal(queue.firstSeq, model.firstSeq);
      equal(queue.nextSeq, model.nextSeq);
      ok(queue.capacity <= maxBytes);
    }
    deepEqual(drops, model.drops);
    // Drain: every queued frame comes out whole and in order.
    if (batch !== undefined) queue.settle(0);
    model.settle(0);
    const rest: number[] = [];
    for (let b = queue.takeBatch(1 << 20); b; b = queue.takeBatch(1 << 20)) {
      rest.push(...b);
      queue.settle(b.length);
    }
    deepEqual(rest, concat(model.queued));
    equal(queue.records, 0);
    equal(queue.bytes, 0);
  });
}

Deno.test("FrameQueue grows its ring up to the byte bound, and wraps", () => {
  const queue = new FrameQueue({
    maxRecords: 1_000_000,
    maxBytes: 1 << 20,
    overflow: "drop-oldest",
    onDrop: () => {},
  });
  equal(queue.capacity, 0); // nothing allocated before the first frame
  queue.push(frame(0, 100));
  equal(queue.capacity, 64 * 1024);
  // Move the start forward, then fill past the end: the data wraps.
  const b = queue.takeBatch(100)!;
  equal(b.length, 100);
  queue.settle(100);
  for (let i = 1; i <= 700; i++) queue.push(frame(i, 100)); // 70,000 bytes
  equal(queue.capacity, 128 * 1024);
  let next = 1;
  for (
    let batch = queue.takeBatch(5000);
    batch;
    batch = queue.takeBatch(5000)
  ) {
    for (let off = 0; off < batch.length; off += 100) {
      equal(
        new DataView(batch.buffer, batch.byteOffset + off).getUint32(0),
        next++,
      );
    }
    queue.settle(batch.length);
  }
  equal(next, 701);
  for (let i = 0; i < 20_000; i++) queue.push(frame(i, 100));
  equal(queue.capacity, 1 << 20); // capped at the byte bound
  equal(queue.bytes, Math.floor((1 << 20) / 100) * 100);
});

Deno.test("FrameQueue drop-oldest never drops the batch, and keeps its bytes while the queue turns over", () => {
  const dropped: string[] = [];
  const queue = new FrameQueue({
    maxRecords: 4,
    maxBytes: 1 << 20,
    overflow: "drop-oldest",
    onDrop: (reason, n) => dropped.push(`${reason} ${n}`),
  });
  queue.push(frame(0, 10));
  const batch = queue.takeBatch(1000)!;
  const before = [...batch];
  for (let i = 1; i <= 10; i++) queue.push(frame(i, 10));
  deepEqual([...batch], before);
  equal(queue.records, 4); // the bound counts the batch: 0, then 8, 9, 10
  deepEqual(dropped, Array(7).fill("overflow 1"));
  // The write failed after 5 bytes: frame 0 goes back to the head, whole.
  equal(queue.settle(5), 0);
  equal(queue.records, 4);
  const ids: number[] = [];
  for (let b = queue.takeBatch(10); b; b = queue.takeBatch(10)) {
    ids.push(new DataView(b.buffer, b.byteOffset).getUint32(0));
    queue.settle(b.length);
  }
  deepEqual(ids, [0, 8, 9, 10]);
});

Deno.test("FrameQueue refuses an oversize frame and, with drop-newest, the incoming one", () => {
  const dropped: string[] = [];
  const queue = new FrameQueue({
    maxRecords: 2,
    maxBytes: 100,
    overflow: "drop-newest",
    onDrop: (reason, n) => dropped.push(`${reason} ${n}`),
  });
  equal(queue.push(frame(0, 101)), false);
  equal(queue.push(frame(1, 50)), true);
  equal(queue.push(frame(2, 51)), false);
  equal(queue.push(frame(3, 50)), true);
  equal(queue.push(frame(4, 1)), false);
  deepEqual(dropped, ["oversize 1", "overflow 1", "overflow 1"]);
  equal(queue.dropAll("closed"), 2);
  deepEqual(dropped.at(-1), "closed 2");
  equal(queue.records, 0);
});
