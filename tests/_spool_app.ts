// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * An application of the spool's engine tests (`tests/spool_engine_test.ts`):
 * a SocketHandler with a disk spool, configured by the JSON in argv[0]:
 * `{ port, dir, count, from?, maxQueueRecords?, fsync?, mode }`.
 *
 * - `mode: "exit"`: logs `count` records (`m<from+i>`) and ends by itself
 *   (exitTimeout 300 ms): what is not delivered is saved in the spool.
 * - `mode: "deno-exit"`, `"throw"`, `"sigterm"`: the same, but ends by
 *   `Deno.exit(0)`, by an uncaught error, or by the SIGTERM the test sends
 *   once it printed `logged`.
 * - `mode: "kill"`: logs `count` records, waits until the spool has written
 *   them (more than its 200 ms flush delay), prints `spooled <n>`, then
 *   waits to be killed (30 s at most).
 * - `mode: "deliver"`: logs nothing, waits until the spool's records are
 *   sent (or 20 s), prints the stats as JSON, then ends.
 *
 * @module
 */
import { Logger } from "@std/log";
import { SocketHandler } from "../handler.ts";

const config = JSON.parse(Deno.args[0]!) as {
  port: number;
  dir: string;
  count: number;
  from?: number;
  maxQueueRecords?: number;
  fsync?: boolean;
  mode: "exit" | "deno-exit" | "throw" | "sigterm" | "kill" | "deliver";
};
const handler = new SocketHandler("INFO", {
  hostname: "127.0.0.1",
  port: config.port,
  sequence: true,
  exitTimeout: 300,
  retryStart: 100,
  retryMax: 200,
  maxQueueRecords: config.maxQueueRecords ?? 100,
  spool: { dir: config.dir, fsync: config.fsync ?? false },
  onError: (e, kind) => {
    if (kind === "spool") console.error(`spool: ${e.message}`);
  },
});
const logger = new Logger("spool.app", "INFO", { handlers: [handler] });
const say = (s: string) =>
  Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
const from = config.from ?? 1;
for (let i = 0; i < config.count; i++) logger.info(`m${from + i}`);
if (config.mode === "deno-exit") Deno.exit(0);
if (config.mode === "throw") throw new Error("the app failed");
if (config.mode === "sigterm") {
  say("logged");
  await new Promise((r) => setTimeout(r, 30_000));
}
if (config.mode === "kill") {
  await new Promise((r) => setTimeout(r, 600));
  say(`spooled ${handler.stats().spooled}`);
  await new Promise((r) => setTimeout(r, 30_000));
} else if (config.mode === "deliver") {
  const result = await handler.flush(20_000);
  say(JSON.stringify({ ...handler.stats(), flush: result }));
  await handler.close();
}
