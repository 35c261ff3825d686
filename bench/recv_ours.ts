// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// This package's LogReceiver counting records (onRecord: decode with the
// safe unpickler + makeLogRecord, no output), in its own process.
// Usage: deno run --allow-net bench/recv_ours.ts --n N
// Prints {"port"}, then {"records","firstByteAt","doneAt"} (epoch ms).

import { emit, epochMs, intArg, parseArgs } from "./_common.ts";
import { LogReceiver } from "../receiver.ts";

const n = intArg(parseArgs(Deno.args), "n");
let count = 0;
let firstAt = 0;
let finish: () => void = () => {};
const finished = new Promise<void>((resolve) => finish = resolve);
const receiver = new LogReceiver({
  hostname: "127.0.0.1",
  port: 0,
  onRecord: () => {
    if (count === 0) firstAt = epochMs();
    if (++count === n) {
      emit({ records: n, firstRecordAt: firstAt, doneAt: epochMs() });
      finish();
    }
  },
});
emit({ port: receiver.port });
const timer = setTimeout(() => {
  emit({ error: "timeout", records: count });
  Deno.exit(2);
}, 600_000);
await finished;
clearTimeout(timer);
await receiver.close();
