// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Receiver process of the fault suite. Two modes (first argument):
 *
 * - `raw <port>`: a frame counter over Deno.listen. Parses the
 *   length-prefixed frames of each connection, decodes each pickle with the
 *   package's safe decoder and reports, on stdout, the `s=<sender> seq=<n>`
 *   records it got. Controlled by stdin lines: `pause` / `resume` (stop and
 *   restart reading: a stalled receiver), `stop` (graceful: close the
 *   listener, send FIN on every connection, read until the senders close),
 *   `start` (listen again on the same port), `slow <bytes> <ms>` (read at
 *   most `bytes` per read, sleep `ms` after each), `exit`.
 * - `lr <port>`: a {@linkcode LogReceiver} (the package's receiver under
 *   test) with an `onRecord` callback; stdin `stats` prints its stats, `exit`.
 *
 * Output lines: `READY <port>`, `D <sender> <first> <last>` (a run of
 * consecutive sequence numbers, written synchronously after each read),
 * `N <dropped>` (a drop notice), `T <bytes>` (torn frame at a connection's
 * end), `E <message>` (bad frame), `A` (connection accepted),
 * `S <json>` (stats), `STOPPED`, `BYE <json>`.
 *
 * @module
 */
import { loads } from "../../pickle/decoder.ts";
import { LogReceiver } from "../../receiver.ts";

const enc = new TextEncoder();
function out(line: string): void {
  const b = enc.encode(line + "\n");
  let off = 0;
  while (off < b.length) off += Deno.stdout.writeSync(b.subarray(off));
}

function vmHwmKb(): number {
  try {
    const s = Deno.readTextFileSync("/proc/self/status");
    const m = /VmHWM:\s+(\d+)/.exec(s);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const MSG_RE = /^s=(\w+) seq=(\d+)/;
const runs = new Map<string, [number, number]>();
let pendingOut: string[] = [];
let records = 0;
let notices = 0;

function get(d: unknown, k: string): unknown {
  if (d instanceof Map) return d.get(k);
  if (d !== null && typeof d === "object") {
    return (d as Record<string, unknown>)[k];
  }
  return undefined;
}

let strict = true;
function onMsg(name: unknown, msg: unknown, dropped: unknown): void {
  records++;
  if (name === "pylogging.socket_handler") {
    notices++;
    pendingOut.push(`N ${Number(dropped)}`);
    return;
  }
  const m = typeof msg === "string" ? MSG_RE.exec(msg) : null;
  if (m === null) {
    if (!strict) return;
    pendingOut.push(`E unexpected record ${JSON.stringify(String(msg))}`);
    return;
  }
  const sid = m[1]!;
  const seq = Number(m[2]);
  const r = runs.get(sid);
  if (r !== undefined && seq === r[1] + 1) {
    r[1] = seq;
    return;
  }
  if (r !== undefined) pendingOut.push(`D ${sid} ${r[0]} ${r[1]}`);
  runs.set(sid, [seq, seq]);
}

function flush(): void {
  for (const [sid, r] of runs) pendingOut.push(`D ${sid} ${r[0]} ${r[1]}`);
  runs.clear();
  if (pendingOut.length > 0) {
    out(pendingOut.join("\n"));
    pendingOut = [];
  }
}

const [mode, portArg] = Deno.args;
const port = Number(portArg ?? 0);

async function stdinLines(onLine: (l: string) => Promise<void> | void) {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of Deno.stdin.readable) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) await onLine(line);
    }
  }
}

if (mode === "raw") {
  let listener: Deno.Listener | undefined;
  let boundPort = port;
  let paused = false;
  let resumeWaiters: (() => void)[] = [];
  let readChunk = 1 << 16;
  let readDelay = 0;
  const conns = new Set<Deno.Conn>();
  const loops = new Set<Promise<void>>();

  const serve = async (conn: Deno.Conn) => {
    out("A");
    const buf = new Uint8Array(1 << 16);
    let acc = new Uint8Array(1 << 16);
    let len = 0;
    try {
      while (true) {
        while (paused) await new Promise<void>((r) => resumeWaiters.push(r));
        let n: number | null;
        try {
          n = await conn.read(buf.subarray(0, Math.min(readChunk, buf.length)));
        } catch {
          n = null;
        }
        if (n === null) break;
        if (len + n > acc.length) {
          const next = new Uint8Array(Math.max(acc.length * 2, len + n));
          next.set(acc.subarray(0, len));
          acc = next;
        }
        acc.set(buf.subarray(0, n), len);
        len += n;
        let off = 0;
        while (len - off >= 4) {
          const size = new DataView(acc.buffer, off, 4).getUint32(0);
          if (len - off - 4 < size) break;
          const payload = acc.subarray(off + 4, off + 4 + size);
          off += 4 + size;
          try {
            const d = loads(payload);
            onMsg(get(d, "name"), get(d, "msg"), get(d, "dropped"));
          } catch (e) {
            pendingOut.push(`E ${(e as Error).message}`);
          }
        }
        if (off > 0) {
          acc.copyWithin(0, off, len);
          len -= off;
        }
        flush();
        if (readDelay > 0) await new Promise((r) => setTimeout(r, readDelay));
      }
    } finally {
      flush();
      if (len > 0) out(`T ${len}`);
      out("Z");
      conns.delete(conn);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };

  const listen = () => {
    listener = Deno.listen({ hostname: "127.0.0.1", port: boundPort });
    const l = listener;
    boundPort = (l.addr as Deno.NetAddr).port;
    (async () => {
      try {
        for await (const c of l) {
          conns.add(c);
          const p = serve(c);
          loops.add(p);
          p.finally(() => loops.delete(p));
        }
      } catch { /* listener closed */ }
    })();
    out(`READY ${(l.addr as Deno.NetAddr).port}`);
  };
  listen();
  await stdinLines(async (line) => {
    const [cmd, a, b] = line.split(" ");
    if (cmd === "pause") paused = true;
    else if (cmd === "resume") {
      paused = false;
      const w = resumeWaiters;
      resumeWaiters = [];
      for (const r of w) r();
    } else if (cmd === "slow") {
      readChunk = Number(a);
      readDelay = Number(b);
    } else if (cmd === "stop") {
      try {
        listener?.close();
      } catch { /* closed */ }
      listener = undefined;
      for (const c of conns) {
        try {
          await c.closeWrite();
        } catch { /* gone */ }
      }
      // Read until every sender closed (bounded).
      await Promise.race([
        Promise.allSettled([...loops]),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      out("STOPPED");
    } else if (cmd === "start") {
      listen();
    } else if (cmd === "exit") {
      flush();
      out(`BYE ${JSON.stringify({ records, notices, hwmKb: vmHwmKb() })}`);
      Deno.exit(0);
    }
  });
  Deno.exit(0);
} else if (mode === "lr") {
  strict = false; // hostile clients send their own records
  let scheduled = false;
  const receiver = new LogReceiver({
    port,
    buffer: false,
    maxConnections: 5000,
    onError: () => {},
    onRecord: (r) => {
      onMsg(r.name, r.msg, r.extra["dropped"]);
      if (!scheduled) {
        scheduled = true;
        setTimeout(() => {
          scheduled = false;
          flush();
        }, 5);
      }
    },
  });
  out(`READY ${receiver.port}`);
  const statsLine = () => {
    const s = receiver.stats();
    return JSON.stringify({
      records: s.records,
      bytes: s.bytes,
      errors: s.errors,
      invalidRecords: s.invalidRecords,
      framesRefused: s.framesRefused,
      connectionsOpen: s.connectionsOpen,
      connectionsTotal: s.connectionsTotal,
      closedReasons: s.closedReasons,
      hwmKb: vmHwmKb(),
    });
  };
  await stdinLines((line) => {
    if (line === "stats") {
      flush();
      out(`S ${statsLine()}`);
    } else if (line === "exit") {
      flush();
      out(`BYE ${statsLine()}`);
      Deno.exit(0);
    }
  });
  await receiver.close();
  Deno.exit(0);
}
