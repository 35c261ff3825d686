// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The attacker process of scenario 10:
 * `attacker.ts <mode> <port> <seconds> <connections> [files…]`. It runs for
 * `seconds` against 127.0.0.1:`port` with `connections` connections, each
 * reopened (after 50 ms; 2 s in the floods) whenever the receiver closes
 * it, as a persistent attacker would:
 *
 * - `send`: each connection writes the frames of `files` (each file one or
 *   more length-prefixed frames) round-robin, as fast as the receiver reads.
 * - `idle`: each connection is opened and never written to.
 * - `slowloris`: each connection writes a header announcing a 64 KiB frame,
 *   then one byte every 2 s.
 * - `partial`: each connection writes all but the last byte of the first
 *   frame of `files[0]`, then holds it.
 *
 * Prints `READY <open>` once every connection has been opened (or after
 * 3 s), then `DONE <json>` with counts: connections opened, most open at
 * once, closed by the receiver, connect errors, frames and bytes written.
 *
 * @module
 */

const [mode, portText, secondsText, connsText, ...files] = Deno.args;
const port = Number(portText);
const seconds = Number(secondsText);
const conns = Number(connsText);
if (
  !["send", "idle", "slowloris", "partial"].includes(mode ?? "") ||
  !(port > 0) || !(seconds > 0) || !(conns > 0)
) {
  console.error(
    "usage: attacker.ts send|idle|slowloris|partial PORT SECONDS CONNECTIONS [FILES…]",
  );
  Deno.exit(2);
}
const frames: Uint8Array[] = files.map((f) => Deno.readFileSync(f));
const end = performance.now() + seconds * 1000;
const stats = {
  opened: 0,
  closedByReceiver: 0,
  connectErrors: 0,
  framesWritten: 0,
  bytesWritten: 0,
  openAtReady: 0,
  peakOpen: 0,
};
let open = 0;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Sleeps until `ms` from now or the end, whichever is first. */
function nap(ms: number): Promise<void> {
  return sleep(Math.max(0, Math.min(ms, end - performance.now())));
}

async function writeAll(c: Deno.Conn, b: Uint8Array): Promise<void> {
  let off = 0;
  while (off < b.length) {
    if (performance.now() >= end) throw new Error("time is up");
    off += await c.write(b.subarray(off));
  }
  stats.bytesWritten += b.length;
}

/** Resolves when the receiver closes `c` (a read ends or fails). */
async function closed(c: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(1024);
  try {
    while ((await c.read(buf)) !== null) { /* discard */ }
  } catch { /* reset */ }
}

/** Counts frames in a buffer of whole frames. */
function frameCount(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let n = 0;
  for (let off = 0; off + 4 <= b.length; off += 4 + dv.getUint32(off)) n++;
  return n;
}

async function attack(c: Deno.Conn, gone: Promise<void>): Promise<void> {
  let stop = false;
  void gone.then(() => stop = true);
  switch (mode) {
    case "send": {
      for (let i = 0; !stop && performance.now() < end; i++) {
        const f = frames[i % frames.length]!;
        await writeAll(c, f);
        stats.framesWritten += frameCount(f);
      }
      return;
    }
    case "idle":
      await Promise.race([gone, nap(end - performance.now())]);
      return;
    case "slowloris": {
      await writeAll(c, new Uint8Array([0, 1, 0, 0]));
      while (!stop && performance.now() < end) {
        await Promise.race([gone, nap(2000)]);
        if (stop || performance.now() >= end) return;
        await writeAll(c, new Uint8Array([0x80]));
      }
      return;
    }
    case "partial": {
      const f = frames[0]!;
      const len = 4 + new DataView(f.buffer, f.byteOffset).getUint32(0);
      await writeAll(c, f.subarray(0, len - 1));
      await Promise.race([gone, nap(end - performance.now())]);
      return;
    }
  }
}

const flood = mode === "idle" || mode === "slowloris";
let ready: () => void = () => {};
const allOpen = new Promise<void>((r) => ready = r);

async function worker(): Promise<void> {
  let first = true;
  while (performance.now() < end) {
    let c: Deno.Conn;
    try {
      c = await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      stats.connectErrors++;
      await nap(50);
      continue;
    }
    stats.opened++;
    open++;
    if (open > stats.peakOpen) stats.peakOpen = open;
    if (first) {
      first = false;
      if (open >= conns) ready();
    }
    const gone = closed(c);
    try {
      await attack(c, gone);
    } catch { /* closed by the receiver, or time is up */ }
    const byReceiver = await Promise.race([
      gone.then(() => true),
      sleep(0).then(() => false),
    ]);
    if (byReceiver && performance.now() < end) stats.closedByReceiver++;
    open--;
    try {
      c.close();
    } catch { /* closed */ }
    await gone;
    // Floods reopen after 2 s: at ~550 connections/s, loopback's ephemeral
    // ports (shared with the legitimate sender, held 60 s in TIME_WAIT)
    // last the attack.
    if (performance.now() < end) await nap(flood ? 2000 : 50);
  }
}

const workers: Promise<void>[] = [];
for (let i = 0; i < conns; i++) {
  workers.push(worker());
  if (i % 64 === 63) await sleep(1);
}
await Promise.race([allOpen, sleep(Math.min(3000, seconds * 500))]);
stats.openAtReady = open;
console.log(`READY ${open}`);
await Promise.all(workers);
console.log(`DONE ${JSON.stringify(stats)}`);
