// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Frame-counting sink: accepts connections, parses only the 4-byte
// big-endian length prefixes and counts frames. Prints {"port"} once
// listening, then {"frames","bytes","firstByteAt","doneAt"} (epoch ms) when
// --n frames have arrived (--n 0: count forever). Keeps reading until every
// connection ends or --timeout ms pass.
//
// Usage: deno run --allow-net bench/sink.ts --n 1000000 [--timeout 600000]

import { emit, epochMs, intArg, parseArgs } from "./_common.ts";

const args = parseArgs(Deno.args);
const n = intArg(args, "n");
const timeout = intArg(args, "timeout", 600_000);

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
emit({ port: listener.addr.port });

let frames = 0;
let bytes = 0;
let firstByteAt = 0;
let reported = false;
const deadline = setTimeout(() => {
  emit({ error: "timeout", frames, bytes });
  Deno.exit(2);
}, timeout);

function done(): void {
  if (reported || n === 0 || frames < n) return;
  reported = true;
  emit({ frames, bytes, firstByteAt, doneAt: epochMs() });
  // No new connections; the open ones are read until they end.
  listener.close();
}

async function serve(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(1 << 20);
  // State across chunks: body bytes still to skip, and a partial header.
  let inBody = false;
  let skip = 0;
  let header = 0;
  let headerHave = 0;
  try {
    while (true) {
      const got = await conn.read(buf);
      if (got === null) break;
      if (firstByteAt === 0) firstByteAt = epochMs();
      bytes += got;
      let p = 0;
      while (p < got) {
        if (!inBody) {
          if (headerHave === 0 && got - p >= 4) {
            skip = ((buf[p]! << 24) >>> 0) + (buf[p + 1]! << 16) +
              (buf[p + 2]! << 8) + buf[p + 3]!;
            p += 4;
          } else {
            header = header * 256 + buf[p++]!;
            if (++headerHave < 4) continue;
            skip = header;
            header = 0;
            headerHave = 0;
          }
          inBody = true;
        }
        const k = Math.min(skip, got - p);
        skip -= k;
        p += k;
        if (skip === 0) {
          inBody = false;
          if (++frames === n) done();
        }
      }
    }
  } catch {
    // a reset peer (e.g. a killed sender) just ends the connection
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

const conns: Promise<void>[] = [];
try {
  for await (const conn of listener) conns.push(serve(conn));
} catch {
  // listener closed by done()
}
await Promise.all(conns);
clearTimeout(deadline);
