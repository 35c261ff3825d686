// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Replays a file of CPython SocketHandler frames (bench/py_frames.py) to
// 127.0.0.1:--port, --repeat times over one connection, then closes.
// Prints {"startAt"} (epoch ms, before connecting).
// Usage: deno run --allow-net --allow-read bench/feeder.ts --port P \
//          --file FRAMES --repeat R

import { emit, epochMs, intArg, parseArgs } from "./_common.ts";

const args = parseArgs(Deno.args);
const port = intArg(args, "port");
const repeat = intArg(args, "repeat", 1);
const data = await Deno.readFile(args.get("file") ?? "");
const startAt = epochMs();
const conn = await Deno.connect({ hostname: "127.0.0.1", port });
for (let r = 0; r < repeat; r++) {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}
conn.close();
emit({ startAt, endAt: epochMs() });
