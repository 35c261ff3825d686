// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A process of the disk spool's tests (`tests/spool_test.ts`):
 *
 * - `kill <dir> <n>`: appends frames 0..n-1, flushes, appends 5 more
 *   without flushing, prints `ready`, then waits to be killed (30 s at most).
 * - `stream <dir>`: prints `started`, then appends frames 0, 1, … with a
 *   `flush()` every 50 (blocks of 4 KiB, segments of 64 KiB) until killed
 *   (20 s or 2,000,000 frames at most).
 * - `hold <dir>`: opens the spool, prints `ready`, closes it when stdin ends.
 * - `open <dir>`: opens and closes the spool; prints `{"ok":true}` or the
 *   error's name and message as JSON.
 * - `revoke <dir>`: appends and flushes 10 frames, revokes write access,
 *   appends and flushes 10 more; prints the hooks' counts as JSON.
 *
 * @module
 */
import { DiskSpool } from "../transport/spool.ts";
import { frame } from "./_spool_frames.ts";

const [mode, dir, n] = Deno.args;
const drops: number[] = [];
const errors: string[] = [];
const hooks = {
  onDrop: (k: number) => drops.push(k),
  onCorrupt: (e: Error) => errors.push(e.message),
  onError: (e: Error) => errors.push(e.message),
};
const say = (s: string) =>
  Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));

if (mode === "kill") {
  const spool = DiskSpool.open({ dir: dir!, blockBytes: 1024 }, hooks);
  const count = Number(n);
  for (let i = 0; i < count; i++) spool.append(frame(i, 100));
  spool.flush();
  for (let i = count; i < count + 5; i++) spool.append(frame(i, 100));
  say("ready");
  await new Promise((r) => setTimeout(r, 30_000));
} else if (mode === "stream") {
  const spool = DiskSpool.open(
    { dir: dir!, blockBytes: 4096, segmentBytes: 65536 },
    hooks,
  );
  say("started");
  const end = Date.now() + 20_000;
  for (let i = 0; i < 2_000_000 && Date.now() < end; i++) {
    spool.append(frame(i, 100, i % 2 === 0));
    if (i % 50 === 49) spool.flush();
  }
  spool.close();
} else if (mode === "hold") {
  const spool = DiskSpool.open({ dir: dir! }, hooks);
  say("ready");
  for await (const _ of Deno.stdin.readable) { /* until EOF */ }
  spool.close();
} else if (mode === "open") {
  try {
    DiskSpool.open({ dir: dir! }, hooks).close();
    say(JSON.stringify({ ok: true }));
  } catch (e) {
    const err = e as Error;
    say(JSON.stringify({ name: err.name, message: err.message }));
  }
} else if (mode === "revoke") {
  const spool = DiskSpool.open({ dir: dir!, segmentBytes: 64 }, hooks);
  for (let i = 0; i < 10; i++) spool.append(frame(i, 100));
  spool.flush();
  Deno.permissions.revokeSync({ name: "write" });
  for (let i = 10; i < 20; i++) spool.append(frame(i, 100));
  spool.flush();
  const records = spool.records;
  const batch = spool.load(100, 1 << 20);
  say(JSON.stringify({ drops, errors, records, loaded: batch?.count ?? 0 }));
  spool.close();
}
