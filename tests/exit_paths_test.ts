// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// How a program ends — SIGTERM, SIGINT, an uncaught exception, an unhandled
// rejection, Deno.exit() — with @std/log + SocketHandler (and the LogTape
// sink, and DatagramHandler over UDP), the receiver up or down: the queue is
// drained (up to exitTimeout), what is left is reported with the reason, and
// the process ends exactly as the same program without the handler does
// (exit code, signal, the error printed).
import { equal, match, ok } from "node:assert/strict";
import { LogReceiver } from "../receiver.ts";
import { readFirstLine } from "./_first_line.ts";
import { freePort } from "./_free_port.ts";

const importMap = new URL("./import_map.json", import.meta.url).pathname;
/** The program: bench/faults/exit_app.ts (shared with the fault suite). */
const APP = new URL("../bench/faults/exit_app.ts", import.meta.url).pathname;

type Ending = "SIGTERM" | "SIGINT" | "throw" | "reject" | "exit" | "end";
type Kind = "std" | "udp" | "logtape";

interface Run {
  code: number;
  signal: Deno.Signal | null;
  stderr: string;
  ms: number;
}

async function run(
  how: Ending,
  port: number,
  count: number,
  withHandler: boolean,
  kind: Kind = "std",
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--import-map=${importMap}`,
      // A datagram socket binds 0.0.0.0:0 first.
      kind === "udp" ? "--allow-net" : "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      APP,
      how,
      String(port),
      String(count),
      withHandler ? kind : "none",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const out = await readFirstLine(child.stdout);
  equal(out.first, "LOGGED");
  const t0 = performance.now();
  if (how === "SIGTERM" || how === "SIGINT") child.kill(how);
  const status = await child.status;
  await out.rest();
  return {
    code: status.code,
    signal: status.signal,
    stderr: await stderr,
    ms: performance.now() - t0,
  };
}

/** The part of stderr the runtime prints for the error (no stack). */
function errorLine(stderr: string): string {
  return stderr.split("\n").find((l) => l.startsWith("error: ")) ?? "";
}

for (const how of ["SIGTERM", "SIGINT", "throw", "reject"] as const) {
  Deno.test(`${how}, receiver up: every record delivered, the same end as without the handler`, async () => {
    const N = 5_000; // within the queue (10,000 records): nothing overflows
    let got = 0;
    let inOrder = true;
    await using receiver = new LogReceiver({
      port: 0,
      onRecord: (r) => {
        if (r.getMessage() !== `record ${got}`) inOrder = false;
        got++;
      },
    });
    const without = await run(how, receiver.port, N, false);
    const withIt = await run(how, receiver.port, N, true);
    // The receiver may still be reading what the program sent before it
    // ended.
    const end = performance.now() + 10_000;
    while (got < N && performance.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
    }
    equal(got, N, withIt.stderr);
    ok(inOrder);
    equal(withIt.code, without.code);
    equal(withIt.signal, without.signal);
    equal(errorLine(withIt.stderr), errorLine(without.stderr));
    ok(!/dropped/.test(withIt.stderr), withIt.stderr);
  });

  Deno.test(`${how}, receiver down: ends within exitTimeout, reports the drops, the same end as without the handler`, async () => {
    const port = await freePort();
    const without = await run(how, port, 1000, false);
    const withIt = await run(how, port, 1000, true);
    equal(withIt.code, without.code);
    equal(withIt.signal, without.signal);
    equal(errorLine(withIt.stderr), errorLine(without.stderr));
    match(
      withIt.stderr,
      /^1000 log records dropped at exit \(receiver unreachable: .+\)$/m,
    );
    ok(withIt.ms < 3000 + 3000, `took ${withIt.ms} ms`);
  });
}

Deno.test("Deno.exit() while sending: the exact records not written are reported, with the remedy", async () => {
  const N = 3_000;
  let got = 0;
  await using receiver = new LogReceiver({
    port: 0,
    onRecord: () => void got++,
    onError: () => {}, // the frame cut by the exit arrives torn
  });
  const r = await run("exit", receiver.port, N, true);
  equal(r.code, 0);
  const m =
    /^(\d+) log records? dropped at exit \(Deno\.exit\(\) was called before they were sent; await handler\.flush\(ms\) before it\)(?:; (\d+) of them (?:was|were) in a write still in progress and may have arrived)?$/m
      .exec(r.stderr);
  if (m === null) {
    // Everything was written before the exit: then nothing is reported.
    equal(r.stderr, "");
  }
  const dropped = Number(m?.[1] ?? 0);
  const unsure = Number(m?.[2] ?? 0);
  const end = performance.now() + 5000;
  while (got < N - dropped && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  // Never a written record counted as dropped, and every other one
  // delivered: delivered + dropped − unsure ≤ N ≤ delivered + dropped.
  ok(
    got + dropped - unsure <= N,
    `got ${got}, dropped ${dropped}, unsure ${unsure}`,
  );
  ok(got + dropped >= N, `got ${got}, dropped ${dropped}`);
  console.log(
    `delivered ${got}, reported dropped ${dropped} (unsure ${unsure})`,
  );
});

for (const kind of ["udp", "logtape"] as const) {
  for (const how of ["SIGTERM", "throw"] as const) {
    Deno.test(`${kind}: ${how}, receiver up: every record delivered, the same end as without the handler`, async () => {
      // UDP: few enough that the receiver's socket buffer holds a burst
      // (a loopback datagram takes ~2.3 KB of the 208 KB default).
      const N = kind === "udp" ? 50 : 2_000;
      let got = 0;
      await using receiver = new LogReceiver({
        port: 0,
        ...(kind === "udp" ? { udp: true } : {}),
        maxBuffered: 100_000,
        onRecord: () => void got++,
      });
      await receiver.ready;
      const without = await run(how, receiver.port, N, false, kind);
      const withIt = await run(how, receiver.port, N, true, kind);
      const end = performance.now() + 10_000;
      while (got < N && performance.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
      }
      equal(got, N, `got ${got}: ${withIt.stderr}`);
      equal(withIt.code, without.code);
      equal(withIt.signal, without.signal);
      equal(errorLine(withIt.stderr), errorLine(without.stderr));
      ok(!/dropped/.test(withIt.stderr), withIt.stderr);
    });
  }
}

for (const kind of ["udp", "std", "logtape"] as const) {
  Deno.test(`${kind}: a program that logs and ends ends by itself, everything delivered`, async () => {
    const N = kind === "udp" ? 50 : 2_000;
    let got = 0;
    await using receiver = new LogReceiver({
      port: 0,
      ...(kind === "udp" ? { udp: true } : {}),
      onRecord: () => void got++,
    });
    await receiver.ready;
    const r = await run("end", receiver.port, N, true, kind);
    equal(r.code, 0, r.stderr);
    equal(r.stderr, "");
    ok(r.ms < 5000, `took ${r.ms} ms`);
    const end = performance.now() + 5000;
    while (got < N && performance.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
    }
    equal(got, N);
  });
}
