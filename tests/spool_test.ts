// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import fc from "npm:fast-check@^4";
import { DiskSpool, SpoolError } from "../transport/spool.ts";
import type { SpoolHooks, SpoolOptions } from "../transport/spool_options.ts";
import {
  BLOCK_HEADER_BYTES,
  decodeBlockHeader,
  encodeBlock,
  encodeSegmentHeader,
  SEGMENT_HEADER_BYTES,
} from "../transport/spool_format.ts";
import { concatFrames, frame, ids } from "./_spool_frames.ts";

const CHILD = new URL("./_spool_child.ts", import.meta.url).pathname;

/** Hooks that record what they are told. */
class Hooks implements SpoolHooks {
  drops = 0;
  corrupt: { error: Error; records: number | undefined; bytes: number }[] = [];
  errors: Error[] = [];
  onDrop(count: number): void {
    this.drops += count;
  }
  onCorrupt(error: Error, records: number | undefined, bytes: number): void {
    this.corrupt.push({ error, records, bytes });
  }
  onError(error: Error): void {
    this.errors.push(error);
  }
}

/** Runs `fn` with a new temporary directory, removed after. */
async function withDir(fn: (dir: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "spool_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Loads everything left (in batches of the given limits), returning the ids. */
function loadAll(spool: DiskSpool, maxRecords = 1000, maxBytes = 1 << 20) {
  const out: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const batch = spool.load(maxRecords, maxBytes);
    if (batch === undefined) return out;
    const got = ids(batch.frames);
    equal(got.length, batch.count);
    out.push(...got);
  }
  throw new Error("load did not end");
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => from + i);

/** The segment files of a directory, sorted. */
function segments(dir: string): string[] {
  return [...Deno.readDirSync(dir)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".seg"))
    .sort();
}

/** The blocks of a segment file: offset, frame count and size. */
function blocksOf(path: string) {
  const bytes = Deno.readFileSync(path);
  const out: { offset: number; count: number; size: number }[] = [];
  let pos = SEGMENT_HEADER_BYTES;
  while (pos < bytes.length) {
    const h = decodeBlockHeader(bytes, pos);
    if (typeof h === "string") throw new Error(`block at ${pos}: ${h}`);
    const size = BLOCK_HEADER_BYTES + h.stored;
    out.push({ offset: pos, count: h.count, size });
    pos += size;
  }
  return out;
}

/** Copies the spool's files (not its lock): the directory as a crash would leave it. */
function snapshot(from: string, to: string): void {
  for (const e of Deno.readDirSync(from)) {
    if (e.isFile && e.name !== "spool.lock") {
      Deno.copyFileSync(join(from, e.name), join(to, e.name));
    }
  }
}

function open(dir: string, hooks: Hooks, options: Partial<SpoolOptions> = {}) {
  return DiskSpool.open({ dir, ...options }, hooks);
}

Deno.test("spool: frames come back in order across blocks and segments, within the load limits", async () => {
  await withDir((dir) => {
    const hooks = new Hooks();
    const spool = open(dir, hooks, { blockBytes: 200, segmentBytes: 1024 });
    const sizes = range(0, 500).map((i) => 40 + (i * 37) % 260);
    for (let i = 0; i < 500; i++) ok(spool.append(frame(i, sizes[i])));
    equal(spool.records, 500);
    ok(segments(dir).length > 3, `segments: ${segments(dir).length}`);
    const got: number[] = [];
    for (let k = 0; k < 1000 && spool.records > 0; k++) {
      const batch = spool.load(7, 500)!;
      ok(batch.count >= 1 && batch.count <= 7);
      ok(batch.count === 1 || batch.frames.length <= 500);
      got.push(...ids(batch.frames));
    }
    deepEqual(got, range(0, 500));
    equal(spool.load(1, 1), undefined);
    equal(spool.records, 0);
    equal(spool.loaded, 500);
    spool.release(500);
    equal(spool.loaded, 0);
    equal(segments(dir).length, 1, "the segment being written stays");
    spool.close();
    spool.close(); // idempotent
    deepEqual(segments(dir), []);
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["spool.lock"]);
    deepEqual(hooks, new Hooks());
  });
});

Deno.test("spool: load hands out at least one frame, even one larger than maxBytes", async () => {
  await withDir((dir) => {
    const spool = open(dir, new Hooks());
    spool.append(frame(1, 5000));
    spool.append(frame(2, 10));
    spool.flush();
    const first = spool.load(10, 100)!;
    equal(first.count, 1);
    equal(first.frames.length, 5000);
    deepEqual(ids(spool.load(10, 100)!.frames), [2]);
    spool.close();
  });
});

Deno.test("spool: pending frames load without being written; the rest are written at flush", async () => {
  await withDir((dir) => {
    const hooks = new Hooks();
    const spool = open(dir, hooks);
    for (let i = 0; i < 3; i++) spool.append(frame(i));
    equal(spool.bytes, 120);
    deepEqual(ids(spool.load(1, 1000)!.frames), [0]);
    deepEqual(segments(dir), [], "nothing written yet");
    spool.flush();
    equal(segments(dir).length, 1);
    spool.release(1);
    spool.close();
    const again = open(dir, hooks);
    equal(again.records, 2);
    deepEqual(loadAll(again), [1, 2]);
    again.close();
  });
});

Deno.test("spool: a new spool on the directory replays everything, in order", async () => {
  await withDir((dir) => {
    const hooks = new Hooks();
    const spool = open(dir, hooks, { blockBytes: 300, segmentBytes: 2048 });
    for (let i = 0; i < 300; i++) spool.append(frame(i, 50 + i % 90));
    spool.close();
    const again = open(dir, hooks, { blockBytes: 300, segmentBytes: 2048 });
    equal(again.records, 300);
    for (let i = 300; i < 350; i++) again.append(frame(i));
    deepEqual(loadAll(again, 13, 999), range(0, 350));
    again.release(350);
    again.close();
    deepEqual(segments(dir), []);
    deepEqual(hooks, new Hooks());
  });
});

Deno.test("spool: saveHead puts the caller's frames, loaded ones included, before the rest", async () => {
  await withDir((dir) => {
    const hooks = new Hooks();
    const opts = { blockBytes: 200, segmentBytes: 1000 };
    const spool = open(dir, hooks, opts);
    for (let i = 0; i < 100; i++) spool.append(frame(i));
    spool.flush();
    const before = segments(dir);
    deepEqual(loadAll(spool, 30, 1 << 20).slice(0, 0), []); // (exercise load)
    spool.close();
    // A fresh spool: load 30 (ending inside a block), release 10, save
    // 5 frames of memory then the 20 loaded ones.
    const s2 = open(dir, hooks, opts);
    deepEqual(ids(s2.load(30, 1 << 20)!.frames), range(0, 30));
    s2.release(10);
    const memory = range(1000, 1005).map((i) => frame(i));
    const loaded = range(10, 30).map((i) => frame(i));
    s2.saveHead(concatFrames([...memory, ...loaded]), 25);
    equal(s2.loaded, 0);
    equal(s2.records, 95);
    ok(segments(dir)[0]! < before[0]!, "the head is numbered first");
    s2.close();
    const s3 = open(dir, hooks, opts);
    equal(s3.records, 95);
    deepEqual(loadAll(s3, 17, 700), [...range(1000, 1005), ...range(10, 100)]);
    s3.release(95);
    s3.close();
    deepEqual(segments(dir), []);
    deepEqual(hooks, new Hooks());
  });
});

Deno.test("spool: saveHead keeps the pending frames after everything, and the same spool loads the head first", async () => {
  await withDir((dir) => {
    const hooks = new Hooks();
    const spool = open(dir, hooks, { blockBytes: 100 });
    for (let i = 0; i < 10; i++) spool.append(frame(i));
    deepEqual(ids(spool.load(4, 1000)!.frames), range(0, 4));
    spool.append(frame(10)); // pending
    spool.saveHead(
      concatFrames([frame(99), ...range(0, 4).map((i) => frame(i))]),
      5,
    );
    equal(spool.records, 5 + 6 + 1);
    deepEqual(loadAll(spool, 3, 1000), [99, ...range(0, 11)]);
    spool.release(12);
    spool.saveHead(new Uint8Array(0), 0); // nothing loaded: nothing to do
    spool.close();
    deepEqual(segments(dir), []);
    deepEqual(hooks, new Hooks());
  });
});

Deno.test("spool: a crash (no close) keeps the written blocks and the cursor of released frames", async () => {
  await withDir(async (dir) => {
    const hooks = new Hooks();
    const opts = { blockBytes: 400, segmentBytes: 1500 };
    const spool = open(dir, hooks, opts);
    for (let i = 0; i < 100; i++) spool.append(frame(i));
    spool.flush();
    deepEqual(ids(spool.load(40, 1 << 20)!.frames), range(0, 40));
    spool.release(25);
    spool.flush(); // writes the cursor: 0..24 are delivered
    spool.release(5); // not yet in the cursor: replayed after a crash
    for (let i = 100; i < 105; i++) spool.append(frame(i)); // pending: lost
    const crashed = await Deno.makeTempDir({ dir, prefix: "crash" });
    snapshot(dir, crashed);
    spool.close();
    const after = open(crashed, hooks, opts);
    deepEqual(loadAll(after), range(25, 100));
    after.close();
    deepEqual(hooks, new Hooks());
  });
});

Deno.test("spool: a process killed with SIGKILL after a flush loses nothing flushed", async () => {
  await withDir(async (dir) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        CHILD,
        "kill",
        dir,
        "2000",
      ],
      stdout: "piped",
      stderr: "inherit",
      stdin: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    equal(new TextDecoder().decode(value).trim(), "ready");
    child.kill("SIGKILL");
    const status = await child.status;
    equal(status.signal, "SIGKILL");
    await reader.cancel();
    const hooks = new Hooks();
    const spool = open(dir, hooks); // the kernel released the lock
    equal(spool.records, 2000);
    deepEqual(loadAll(spool, 500, 1 << 20), range(0, 2000));
    spool.release(2000);
    spool.close();
    deepEqual(hooks, new Hooks());
  });
});

Deno.test("spool: a process killed with SIGKILL while writing leaves an in-order prefix", async () => {
  await withDir(async (dir) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", CHILD, "stream", dir],
      stdout: "piped",
      stderr: "inherit",
      stdin: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    equal(new TextDecoder().decode(value).trim(), "started");
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGKILL");
    equal((await child.status).signal, "SIGKILL");
    await reader.cancel();
    const hooks = new Hooks();
    const spool = open(dir, hooks);
    const got = loadAll(spool, 5000, 1 << 20);
    ok(got.length > 1000, `frames ${got.length}`);
    deepEqual(got, range(0, got.length));
    ok(hooks.corrupt.length <= 1, "at most the block being written is torn");
    deepEqual(hooks.errors, []);
    spool.release(got.length);
    spool.close();
  });
});

/** Writes 100 frames of 60 bytes in blocks of about 8 and closes; returns the segment's path and its blocks. */
function writeBlocks(dir: string) {
  const spool = open(dir, new Hooks(), { blockBytes: 480 });
  for (let i = 0; i < 100; i++) spool.append(frame(i, 60));
  spool.close();
  const [name] = segments(dir);
  const path = join(dir, name!);
  const blocks = blocksOf(path);
  equal(blocks.length, 13);
  return { path, blocks };
}

/** The ids of the blocks other than `skip`. */
function idsWithout(blocks: { count: number }[], ...skip: number[]): number[] {
  const out: number[] = [];
  let id = 0;
  blocks.forEach((b, k) => {
    if (!skip.includes(k)) out.push(...range(id, id + b.count));
    id += b.count;
  });
  return out;
}

Deno.test("spool: a torn last block is skipped and reported, the rest delivered", async () => {
  await withDir((dir) => {
    const { path, blocks } = writeBlocks(dir);
    const last = blocks.at(-1)!;
    const file = Deno.openSync(path, { write: true });
    file.truncateSync(last.offset + last.size - 3);
    file.close();
    const hooks = new Hooks();
    const spool = open(dir, hooks);
    equal(hooks.corrupt.length, 1);
    equal(hooks.corrupt[0]!.records, last.count);
    equal(hooks.corrupt[0]!.bytes, last.size - 3);
    match(hooks.corrupt[0]!.error.message, /ends inside it/);
    equal(spool.records, 100 - last.count);
    deepEqual(loadAll(spool), idsWithout(blocks, 12));
    spool.close();
  });
});

Deno.test("spool: a file cut inside the last block's header is reported without a count", async () => {
  await withDir((dir) => {
    const { path, blocks } = writeBlocks(dir);
    const last = blocks.at(-1)!;
    const file = Deno.openSync(path, { write: true });
    file.truncateSync(last.offset + 10);
    file.close();
    const hooks = new Hooks();
    const spool = open(dir, hooks);
    deepEqual(hooks.corrupt.map((c) => [c.records, c.bytes]), [[
      undefined,
      10,
    ]]);
    deepEqual(loadAll(spool), idsWithout(blocks, 12));
    spool.close();
  });
});

Deno.test("spool: a flipped byte in a middle block skips that block with its count", async () => {
  await withDir((dir) => {
    const { path, blocks } = writeBlocks(dir);
    const bytes = Deno.readFileSync(path);
    bytes[blocks[5]!.offset + BLOCK_HEADER_BYTES + 7]! ^= 0x10;
    Deno.writeFileSync(path, bytes);
    const hooks = new Hooks();
    const spool = open(dir, hooks);
    deepEqual(hooks.corrupt.map((c) => [c.records, c.bytes]), [[
      blocks[5]!.count,
      blocks[5]!.size,
    ]]);
    match(hooks.corrupt[0]!.error.message, /data CRC does not match/);
    deepEqual(loadAll(spool), idsWithout(blocks, 5));
    spool.close();
  });
});

Deno.test("spool: a block corrupted after open is skipped when loaded, with its count", async () => {
  await withDir((dir) => {
    const { path, blocks } = writeBlocks(dir);
    const hooks = new Hooks();
    const spool = open(dir, hooks);
    equal(spool.records, 100);
    const bytes = Deno.readFileSync(path);
    bytes[blocks[3]!.offset + BLOCK_HEADER_BYTES + 2]! ^= 0xff;
    Deno.writeFileSync(path, bytes);
    deepEqual(loadAll(spool), idsWithout(blocks, 3));
    deepEqual(hooks.corrupt.map((c) => c.records), [blocks[3]!.count]);
    equal(spool.records, 0);
    spool.close();
  });
});

Deno.test("spool: a block whose frames do not add up is skipped when loaded", async () => {
  await withDir((dir) => {
    const good1 = concatFrames(range(0, 10).map((i) => frame(i)));
    const bad = concatFrames(range(10, 13).map((i) => frame(i)));
    bad[0] = 9; // the first frame's length now runs past the block
    const good2 = concatFrames(range(13, 23).map((i) => frame(i)));
    Deno.writeFileSync(
      join(dir, "1000000000000000.seg"),
      concatFrames([
        encodeSegmentHeader(new Uint8Array(8)),
        encodeBlock(good1, 10),
        encodeBlock(bad, 3),
        encodeBlock(good2, 10),
        encodeBlock(good2, 11), // the count is wrong
      ]),
    );
    const hooks = new Hooks();
    const spool = open(dir, hooks);
    equal(spool.records, 34);
    deepEqual(loadAll(spool), [...range(0, 10), ...range(13, 23)]);
    deepEqual(hooks.corrupt.map((c) => c.records), [3, 11]);
    match(hooks.corrupt[0]!.error.message, /lengths do not add up/);
    match(hooks.corrupt[1]!.error.message, /holds 10 frames, not 11/);
    spool.close();
  });
});

Deno.test("spool: a garbage block header is skipped up to the next header that holds", async () => {
  await withDir((dir) => {
    const { path, blocks } = writeBlocks(dir);
    const bytes = Deno.readFileSync(path);
    bytes.fill(0x55, blocks[4]!.offset, blocks[4]!.offset + 12);
    Deno.writeFileSync(path, bytes);
    const hooks = new Hooks();
    const spool = open(dir, hooks);
    deepEqual(hooks.corrupt.map((c) => [c.records, c.bytes]), [[
      undefined,
      blocks[4]!.size,
    ]]);
    match(hooks.corrupt[0]!.error.message, /magic is not SPB1/);
    deepEqual(loadAll(spool), idsWithout(blocks, 4));
    spool.close();
  });
});

Deno.test("spool: garbage between blocks and in the segment header is skipped, every block delivered", async () => {
  await withDir((dir) => {
    const { path, blocks } = writeBlocks(dir);
    const bytes = Deno.readFileSync(path);
    const at = blocks[7]!.offset;
    const garbage = new Uint8Array(100_000).map((_, i) => (i * 31) % 251);
    garbage.set([0x53, 0x50, 0x42, 0x31], 500); // a magic without a header
    const out = concatFrames([
      bytes.subarray(0, at),
      garbage,
      bytes.subarray(at),
    ]);
    out.fill(0, 0, 8); // the segment header's magic
    Deno.writeFileSync(path, out);
    const hooks = new Hooks();
    const spool = open(dir, hooks);
    deepEqual(hooks.corrupt.map((c) => [c.records, c.bytes]), [
      [undefined, SEGMENT_HEADER_BYTES],
      [undefined, 100_000],
    ]);
    deepEqual(loadAll(spool), range(0, 100));
    spool.close();
  });
});

Deno.test("spool: beyond maxBytes the oldest frames not yet loaded are dropped and counted", async () => {
  await withDir((dir) => {
    const hooks = new Hooks();
    const maxBytes = 16384;
    const spool = open(dir, hooks, {
      maxBytes,
      segmentBytes: 2048,
      blockBytes: 512,
    });
    const diskBytes = () =>
      segments(dir).reduce((n, s) => n + Deno.statSync(join(dir, s)).size, 0);
    equal(spool.load(5, 1 << 20), undefined);
    for (let i = 0; i < 2000; i++) {
      ok(spool.append(frame(i, 100, true)));
      if (i === 50) deepEqual(ids(spool.load(5, 1 << 20)!.frames), range(0, 5));
      ok(spool.bytes <= maxBytes, `bytes ${spool.bytes}`);
      if (i % 50 === 0) ok(diskBytes() <= maxBytes, `disk ${diskBytes()}`);
      equal(spool.records + spool.loaded + hooks.drops, i + 1);
    }
    ok(hooks.drops > 1500, `drops ${hooks.drops}`);
    const rest = loadAll(spool);
    equal(rest.length + 5 + hooks.drops, 2000);
    deepEqual(rest, range(2000 - rest.length, 2000), "the newest, in order");
    // A frame too large for the bound is dropped itself.
    ok(!spool.append(frame(5000, maxBytes)));
    equal(hooks.errors.length, 1);
    match(hooks.errors[0]!.message, /must be at most 16340 bytes/);
    spool.release(spool.loaded);
    spool.close();
    // A spool reopened with a smaller bound drops what does not fit.
    const big = open(dir, hooks, { segmentBytes: 4096, blockBytes: 1024 });
    for (let i = 0; i < 500; i++) big.append(frame(i, 100, true));
    big.close();
    const small = new Hooks();
    const again = open(dir, small, { maxBytes: 8192 });
    ok(small.drops > 0);
    const kept = again.records;
    equal(kept + small.drops, 500);
    deepEqual(loadAll(again), range(500 - kept, 500));
    again.close();
  });
});

Deno.test("spool: release deletes the segments whose frames are all released", async () => {
  await withDir((dir) => {
    const hooks = new Hooks();
    const spool = open(dir, hooks, { blockBytes: 200, segmentBytes: 1024 });
    for (let i = 0; i < 400; i++) spool.append(frame(i));
    spool.flush();
    const n = segments(dir).length;
    ok(n >= 5, `segments ${n}`);
    equal(loadAll(spool).length, 400);
    let last = n;
    for (let i = 0; i < 40; i++) {
      spool.release(10);
      const now = segments(dir).length;
      ok(now <= last);
      last = now;
    }
    equal(last, 1);
    spool.close();
    deepEqual(segments(dir), []);
  });
});

Deno.test("spool: a second spool on the directory gets a clear error, in this process and another", async () => {
  await withDir(async (dir) => {
    const first = open(dir, new Hooks());
    throws(() => open(dir, new Hooks()), (e: Error) => {
      ok(e instanceof SpoolError);
      equal(e.dir, dir);
      match(e.message, /another spool holds its lock/);
      match(e.message, new RegExp(dir));
      return true;
    });
    first.close();
    open(dir, new Hooks()).close();

    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", CHILD, "hold", dir],
      stdout: "piped",
      stdin: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    equal(new TextDecoder().decode(value).trim(), "ready");
    throws(() => open(dir, new Hooks()), /another spool holds its lock/);
    await child.stdin.close();
    await reader.cancel();
    equal((await child.status).code, 0);
    open(dir, new Hooks()).close();
  });
});

/** Runs the child's `open` mode with the given permission flags. */
async function openIn(dir: string, flags: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, CHILD, "open", dir],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("spool: missing permissions are one SpoolError naming the directory and the flags", async () => {
  await withDir(async (base) => {
    const dir = join(base, "spool");
    const readOnly = await openIn(dir, [`--allow-read=${base}`]);
    equal(readOnly.name, "SpoolError");
    equal(
      readOnly.message,
      `Cannot open the spool in ${dir} as Deno denies writing to it: run with --allow-read=${dir} --allow-write=${dir} (or --allow-read --allow-write)`,
    );
    const none = await openIn(dir, []);
    equal(none.name, "SpoolError");
    match(
      none.message,
      /denies reading and writing it: run with --allow-read=/,
    );
    const denied = await openIn(dir, [
      `--allow-read=${base}`,
      `--allow-write=${base}`,
      `--deny-write=${dir}`,
    ]);
    equal(denied.name, "SpoolError");
    match(denied.message, /denies writing to it/);
    deepEqual(
      await openIn(dir, [`--allow-read=${dir}`, `--allow-write=${dir}`]),
      {
        ok: true,
      },
    );
  });
});

Deno.test("spool: I/O errors after open are reported, counted, and the spool goes on", async () => {
  await withDir(async (dir) => {
    // A write refused (write access revoked): its frames are dropped.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", CHILD, "revoke", dir],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    equal(out.code, 0);
    const result = JSON.parse(new TextDecoder().decode(out.stdout));
    deepEqual(result.drops, [10]);
    equal(result.records, 10);
    equal(result.loaded, 10);
    match(
      result.errors[0],
      /Cannot write 10 frames to the spool in .*: .*dropped/,
    );
  });
  await withDir((dir) => {
    // A segment removed behind the spool's back: its frames are dropped.
    const hooks = new Hooks();
    const spool = open(dir, hooks, { blockBytes: 200, segmentBytes: 1024 });
    for (let i = 0; i < 200; i++) spool.append(frame(i));
    spool.close();
    const files = segments(dir);
    const again = open(dir, hooks, { blockBytes: 200, segmentBytes: 1024 });
    const first = again.records;
    Deno.removeSync(join(dir, files[0]!));
    const got = loadAll(again);
    equal(hooks.errors.length, 1);
    match(hooks.errors[0]!.message, /Cannot read spool segment/);
    equal(got.length + hooks.drops, first);
    deepEqual(got, range(200 - got.length, 200));
    again.append(frame(1));
    again.close();
  });
});

Deno.test("spool: options, hooks and arguments are checked", async () => {
  await withDir((dir) => {
    const hooks = new Hooks();
    const bad: [unknown, ErrorConstructor, RegExp][] = [
      [
        {},
        TypeError,
        /'dir' must be a non-empty path: current value is undefined/,
      ],
      [{ dir: "" }, TypeError, /'dir' must be a non-empty path/],
      [
        { dir: 5 },
        TypeError,
        /'dir' must be a non-empty path: current value is 5/,
      ],
      [{ dir, size: 5 }, TypeError, /'size' is not an option/],
      [{ dir, fsync: "yes" }, TypeError, /'fsync' must be a boolean/],
      [{ dir, maxBytes: "1" }, TypeError, /'maxBytes' must be a number/],
      [
        { dir, maxBytes: 4095 },
        RangeError,
        /'maxBytes' must be an integer from 4096 to/,
      ],
      [{ dir, maxBytes: 5000.5 }, RangeError, /current value is 5000.5/],
      [
        { dir, maxBytes: 8192, segmentBytes: 8193 },
        RangeError,
        /'segmentBytes' must be an integer from 64 to 8192/,
      ],
      [
        { dir, maxBytes: 8192, blockBytes: 4097 },
        RangeError,
        /'blockBytes' must be an integer from 1 to 4096/,
      ],
      [null, TypeError, /options must be an object/],
    ];
    for (const [options, type, message] of bad) {
      throws(
        () => DiskSpool.open(options as SpoolOptions, hooks),
        (e: Error) => {
          ok(e instanceof type, `${e}`);
          match(e.message, message);
          return true;
        },
      );
    }
    throws(
      () => DiskSpool.open({ dir }, { onDrop() {} } as unknown as SpoolHooks),
      new TypeError(
        "Cannot open the spool as the hook 'onCorrupt' must be a function: current value is undefined",
      ),
    );
    deepEqual([...Deno.readDirSync(dir)], [], "nothing created");
    const spool = open(dir, hooks);
    throws(() => spool.append(new Uint8Array(3)), RangeError);
    throws(
      () => spool.append(Uint8Array.of(0, 0, 0, 2, 1)),
      /its 4-byte length must be its size less 4: current value is 2 for a frame of 5 bytes/,
    );
    throws(() => spool.load(0, 10), /'maxRecords' must be a positive integer/);
    throws(() => spool.load(1, 0.5), /'maxBytes' must be a positive integer/);
    throws(
      () => spool.release(1),
      /from 0 to the 0 frames loaded: current value is 1/,
    );
    throws(
      () => spool.saveHead(frame(1), 2),
      /holds 1 frames for a count of 2/,
    );
    throws(
      () => spool.saveHead(frame(1).subarray(0, 10), 1),
      /lengths do not add up/,
    );
    spool.close();
    // After close: nothing throws, appends are dropped and reported.
    ok(!spool.append(frame(1)));
    equal(spool.load(1, 1), undefined);
    spool.flush();
    spool.saveHead(frame(2), 1);
    equal(hooks.drops, 2);
    equal(hooks.errors.length, 2);
  });
});

Deno.test("spool: a hook that throws does not break the spool", async () => {
  await withDir((dir) => {
    const boom = () => {
      throw new Error("boom");
    };
    const spool = DiskSpool.open({
      dir,
      maxBytes: 4096,
      blockBytes: 100,
      segmentBytes: 512,
    }, {
      onDrop: boom,
      onCorrupt: boom,
      onError: boom,
    });
    for (let i = 0; i < 200; i++) spool.append(frame(i, 60, true));
    ok(spool.records < 200);
    ok(!spool.append(frame(1, 5000)));
    spool.close();
  });
});

Deno.test("spool: fsync mode writes and replays the same", async () => {
  await withDir((dir) => {
    const hooks = new Hooks();
    const spool = open(dir, hooks, {
      fsync: true,
      blockBytes: 500,
      segmentBytes: 2000,
    });
    for (let i = 0; i < 100; i++) spool.append(frame(i));
    deepEqual(ids(spool.load(10, 1 << 20)!.frames), range(0, 10));
    spool.release(3);
    spool.saveHead(concatFrames(range(3, 10).map((i) => frame(i))), 7);
    spool.close();
    const again = open(dir, hooks);
    deepEqual(loadAll(again), range(3, 100));
    again.close();
    deepEqual(hooks, new Hooks());
  });
});

// ---------------------------------------------------------------------------
// Property tests against a model.

type Command =
  | { op: "append"; size: number }
  | { op: "load"; records: number; bytes: number }
  | { op: "release"; fraction: number }
  | { op: "flush" }
  | { op: "saveHead"; memory: number }
  | { op: "reopen" }
  | { op: "crash" };

const command = (crash: boolean): fc.Arbitrary<Command> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant("append" as const),
        size: fc.integer({ min: 8, max: 300 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("load" as const),
        records: fc.integer({ min: 1, max: 20 }),
        bytes: fc.integer({ min: 1, max: 3000 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("release" as const),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("flush" as const) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("saveHead" as const),
        memory: fc.integer({ min: 0, max: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("reopen" as const) }) },
    ...(crash
      ? [{
        weight: 1,
        arbitrary: fc.record({ op: fc.constant("crash" as const) }),
      }]
      : []),
  );

interface ModelFrame {
  id: number;
  size: number;
  onDisk: boolean;
}

Deno.test("spool: random operations match a model (order kept, nothing lost, crash replays what was written)", () => {
  const blockBytes = 256;
  const opts = { blockBytes, segmentBytes: 700 };
  const started = Date.now();
  fc.assert(
    fc.property(
      fc.array(command(true), { minLength: 1, maxLength: 200, size: "max" }),
      (commands) => {
        const base = Deno.makeTempDirSync({ prefix: "spool_prop_" });
        let dir = base;
        const hooks = new Hooks();
        let spool = open(dir, hooks, opts);
        let unloaded: ModelFrame[] = [];
        let loaded: ModelFrame[] = [];
        let nextId = 0;
        const frames = new Map<number, Uint8Array>();
        const make = (size: number) => {
          const f = frame(nextId, size, nextId % 3 === 0);
          frames.set(nextId, f);
          return { id: nextId++, size, onDisk: false };
        };
        const pendingBytes = () =>
          unloaded.filter((f) => !f.onDisk).reduce((n, f) => n + f.size, 0);
        try {
          for (const c of commands) {
            switch (c.op) {
              case "append": {
                const f = make(c.size);
                spool.append(frames.get(f.id)!);
                unloaded.push(f);
                if (pendingBytes() >= blockBytes) {
                  unloaded.forEach((u) => u.onDisk = true);
                }
                break;
              }
              case "load": {
                const batch = spool.load(c.records, c.bytes);
                let n = 0;
                let bytes = 0;
                while (
                  n < unloaded.length && n < c.records &&
                  (n === 0 || bytes + unloaded[n]!.size <= c.bytes)
                ) bytes += unloaded[n++]!.size;
                const expected = unloaded.splice(0, n);
                deepEqual(
                  batch === undefined ? [] : ids(batch.frames),
                  expected.map((f) => f.id),
                );
                loaded.push(...expected);
                break;
              }
              case "release": {
                const n = Math.floor(c.fraction * loaded.length);
                spool.release(n);
                loaded.splice(0, n);
                break;
              }
              case "flush":
                spool.flush();
                unloaded.forEach((u) => u.onDisk = true);
                break;
              case "saveHead":
              case "reopen": {
                const memory = c.op === "saveHead"
                  ? range(0, c.memory).map(() => make(50))
                  : [];
                const head = [...memory, ...loaded];
                spool.saveHead(
                  concatFrames(head.map((f) => frames.get(f.id)!)),
                  head.length,
                );
                unloaded = [...head, ...unloaded];
                unloaded.forEach((u) => u.onDisk = true);
                loaded = [];
                if (c.op === "reopen") {
                  spool.close();
                  spool = open(dir, hooks, opts);
                }
                break;
              }
              case "crash": {
                spool.flush();
                unloaded.forEach((u) => u.onDisk = true);
                const copy = Deno.makeTempDirSync({
                  dir: base,
                  prefix: "crash",
                });
                snapshot(dir, copy);
                spool.close();
                dir = copy;
                spool = open(dir, hooks, opts);
                unloaded = [...loaded.filter((f) => f.onDisk), ...unloaded];
                loaded = [];
                break;
              }
            }
            equal(spool.records, unloaded.length, `records after ${c.op}`);
            equal(spool.loaded, loaded.length, `loaded after ${c.op}`);
          }
          const rest = loadAll(spool, 50, 5000);
          deepEqual(rest, unloaded.map((f) => f.id));
          spool.release(spool.loaded);
          spool.close();
          deepEqual(segments(dir), [], "every segment deleted");
          deepEqual(hooks, new Hooks(), "no drop, corruption or error");
        } finally {
          spool.close();
          Deno.removeSync(base, { recursive: true });
        }
      },
    ),
    { numRuns: 100, interruptAfterTimeLimit: 60_000 },
  );
  ok(Date.now() - started < 90_000);
});

Deno.test("spool: random operations within a small bound keep order and count every drop", () => {
  const maxBytes = 4096;
  const opts = { maxBytes, blockBytes: 128, segmentBytes: 512 };
  fc.assert(
    fc.property(
      fc.array(command(false), { minLength: 1, maxLength: 200, size: "max" }),
      (commands) => {
        const dir = Deno.makeTempDirSync({ prefix: "spool_prop_" });
        const hooks = new Hooks();
        let spool = open(dir, hooks, opts);
        let appended = 0;
        const frames = new Map<number, Uint8Array>();
        const released: number[] = [];
        let loaded: number[] = [];
        const disk = () =>
          segments(dir).reduce(
            (n, s) => n + Deno.statSync(join(dir, s)).size,
            0,
          );
        try {
          for (const c of commands) {
            switch (c.op) {
              case "append": {
                const f = frame(appended, c.size, true);
                frames.set(appended++, f);
                spool.append(f);
                break;
              }
              case "load": {
                const batch = spool.load(c.records, c.bytes);
                if (batch !== undefined) loaded.push(...ids(batch.frames));
                break;
              }
              case "release": {
                const n = Math.floor(c.fraction * loaded.length);
                spool.release(n);
                released.push(...loaded.splice(0, n));
                break;
              }
              case "flush":
                spool.flush();
                break;
              case "saveHead":
              case "reopen":
                spool.saveHead(
                  concatFrames(loaded.map((id) => frames.get(id)!)),
                  loaded.length,
                );
                loaded = [];
                if (c.op === "reopen") {
                  spool.close();
                  spool = open(dir, hooks, opts);
                }
                break;
            }
            ok(spool.bytes <= maxBytes, `bytes ${spool.bytes}`);
            ok(disk() <= maxBytes, `disk ${disk()}`);
            equal(spool.loaded, loaded.length);
            equal(
              released.length + loaded.length + spool.records + hooks.drops,
              appended,
            );
          }
          loaded.push(...loadAll(spool));
          spool.release(spool.loaded);
          released.push(...loaded);
          equal(released.length + hooks.drops, appended);
          for (let i = 1; i < released.length; i++) {
            ok(
              released[i - 1]! < released[i]!,
              "in order",
            );
          }
          deepEqual(hooks.corrupt, []);
          deepEqual(hooks.errors, []);
        } finally {
          spool.close();
          Deno.removeSync(dir, { recursive: true });
        }
      },
    ),
    { numRuns: 100, interruptAfterTimeLimit: 60_000 },
  );
});
