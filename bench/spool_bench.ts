// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The disk spool (`transport/spool.ts`) on realistic frames: pickled
 * LogRecord dicts (`dumpsFrame`) with varied loggers, levels, messages
 * (ids, durations, random request ids) and advancing times.
 *
 * Measures, per round (median of `--rounds`, default 3):
 *
 * - the compression ratio (raw frame bytes / bytes of the segment files)
 *   and how many such frames the default 64 MiB bound holds;
 * - append throughput (frames/s: copy, compression, writes; `flush()` at
 *   the end), with the default options and with `fsync: true`;
 * - open (scan of the segments), then load + release throughput (frames/s:
 *   reads, CRC, inflate; batches of at most 10,000 frames or 8 MiB).
 *
 *   deno run --allow-read --allow-write bench/spool_bench.ts [--frames 300000] [--rounds 3]
 *
 * @module
 */
import { dumpsFrame, pyFloat } from "../pickle.ts";
import { DiskSpool } from "../transport/spool.ts";
import { intArg, parseArgs } from "./_common.ts";

const args = parseArgs(Deno.args);
const FRAMES = intArg(args, "frames", 300_000);
const ROUNDS = Math.max(1, intArg(args, "rounds", 3));
const FSYNC_FRAMES = Math.min(FRAMES, 50_000);

/** A deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LOGGERS = [
  ["app.http.server", "/srv/app/http/server.ts", "server", "handleRequest"],
  ["app.db.pool", "/srv/app/db/pool.ts", "pool", "query"],
  ["app.worker.queue", "/srv/app/worker/queue.ts", "queue", "runJob"],
  ["app.cache", "/srv/app/cache/redis.ts", "redis", "get"],
  ["app.auth", "/srv/app/auth/session.ts", "session", "verify"],
] as const;
const LEVELS = [["INFO", 20], ["INFO", 20], ["INFO", 20], ["DEBUG", 10], [
  "WARNING",
  30,
], ["ERROR", 40]] as const;
const PATHS = ["/api/v1/users", "/api/v1/orders", "/health", "/api/v2/search"];

/** Builds `n` frames of record dicts as `SocketHandler` pickles them. */
function makeFrames(n: number): Uint8Array[] {
  const rand = prng(42);
  const int = (k: number) => Math.floor(rand() * k);
  const hex = (k: number) =>
    Array.from({ length: k }, () => int(16).toString(16)).join("");
  const out: Uint8Array[] = [];
  let created = 1_760_000_000.0;
  for (let i = 0; i < n; i++) {
    created += rand() * 0.02;
    const [name, pathname, module, funcName] = LOGGERS[int(LOGGERS.length)]!;
    const [levelname, levelno] = LEVELS[int(LEVELS.length)]!;
    let msg: string;
    switch (int(5)) {
      case 0:
        msg = `GET ${PATHS[int(4)]}/${int(100000)} ${
          [200, 200, 201, 404, 500][int(5)]
        } in ${(rand() * 300).toFixed(1)} ms request_id=${hex(32)}`;
        break;
      case 1:
        msg = `query users by id took ${(rand() * 50).toFixed(2)} ms, ${
          int(500)
        } rows`;
        break;
      case 2:
        msg = `job ${hex(8)}-${hex(4)} done: ${int(1000)} items, ${
          int(20)
        } retries`;
        break;
      case 3:
        msg = `cache miss for key user:${int(1000000)}:profile`;
        break;
      default:
        msg = `session ${hex(16)} verified for user ${int(100000)}`;
    }
    out.push(dumpsFrame({
      name,
      msg,
      args: null,
      levelname,
      levelno,
      pathname,
      filename: pathname.slice(pathname.lastIndexOf("/") + 1),
      module,
      exc_info: null,
      exc_text: null,
      stack_info: null,
      lineno: 20 + int(400),
      funcName,
      created: pyFloat(created),
      msecs: pyFloat(Math.floor((created % 1) * 1000)),
      relativeCreated: pyFloat((created - 1_760_000_000) * 1000),
      thread: 140234567890123,
      threadName: "MainThread",
      processName: "MainProcess",
      process: 31337,
      taskName: null,
    }));
  }
  return out;
}

function diskBytes(dir: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.endsWith(".seg")) n += Deno.statSync(`${dir}/${e.name}`).size;
  }
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const frames = makeFrames(FRAMES);
const raw = frames.reduce((n, f) => n + f.length, 0);
const drops = { n: 0 };
const hooks = {
  onDrop: (k: number) => drops.n += k,
  onCorrupt: (e: Error) => console.error(e.message),
  onError: (e: Error) => console.error(e.message),
};

const appendRates: number[] = [];
const fsyncRates: number[] = [];
const openMs: number[] = [];
const loadRates: number[] = [];
let ratio = 0;
let disk = 0;
for (let round = 0; round < ROUNDS; round++) {
  const dir = await Deno.makeTempDir({ prefix: "spool_bench_" });
  try {
    let spool = DiskSpool.open({ dir }, hooks);
    let t = performance.now();
    for (const f of frames) spool.append(f);
    spool.flush();
    appendRates.push(FRAMES / ((performance.now() - t) / 1000));
    disk = diskBytes(dir);
    ratio = raw / disk;
    spool.close();

    t = performance.now();
    spool = DiskSpool.open({ dir }, hooks);
    openMs.push(performance.now() - t);
    if (spool.records !== FRAMES) throw new Error(`records ${spool.records}`);
    t = performance.now();
    let loaded = 0;
    for (let k = 0; k < FRAMES; k++) {
      const batch = spool.load(10_000, 8 << 20);
      if (batch === undefined) break;
      loaded += batch.count;
      spool.release(batch.count);
    }
    loadRates.push(loaded / ((performance.now() - t) / 1000));
    if (loaded !== FRAMES) throw new Error(`loaded ${loaded}`);
    spool.close();

    spool = DiskSpool.open({ dir, fsync: true }, hooks);
    t = performance.now();
    for (let i = 0; i < FSYNC_FRAMES; i++) spool.append(frames[i]!);
    spool.flush();
    fsyncRates.push(FSYNC_FRAMES / ((performance.now() - t) / 1000));
    spool.load(FSYNC_FRAMES, 1 << 30);
    spool.release(FSYNC_FRAMES);
    spool.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const k = (x: number) => `${Math.round(x / 1000)}k`;
console.log(
  `${FRAMES} frames, ${(raw / FRAMES).toFixed(0)} bytes on average (${
    (raw / 1048576).toFixed(1)
  } MiB), ${ROUNDS} rounds, medians:`,
);
console.log(
  `  on disk: ${(disk / 1048576).toFixed(2)} MiB, ratio ${ratio.toFixed(2)}x, ${
    (disk / FRAMES).toFixed(1)
  } bytes/frame: 64 MiB holds ~${
    k(64 * 1048576 / (disk / FRAMES))
  } such frames; drops ${drops.n}`,
);
console.log(`  append + flush: ${k(median(appendRates))} frames/s`);
console.log(
  `  append + flush, fsync: true (${FSYNC_FRAMES} frames): ${
    k(median(fsyncRates))
  } frames/s`,
);
console.log(
  `  open (scan ${(disk / 1048576).toFixed(1)} MiB): ${
    median(openMs).toFixed(1)
  } ms`,
);
console.log(`  load + release: ${k(median(loadRates))} frames/s`);
