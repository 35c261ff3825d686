// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// cli.ts --ack and --gap-timeout as a subprocess, fed by a raw client that
// sends stamped frames and reads the acknowledgements.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parseArgs } from "../receiver/cli_args.ts";
import { AckReader } from "../transport/ack.ts";
import { AckedOutput } from "../receiver/acked_output.ts";
import { makeLogRecord } from "../receiver/record.ts";
import { startCli } from "./_cli_run.ts";
import { readFirstLine } from "./_first_line.ts";
import { stampedFrame } from "./_stamped.ts";
import { concat } from "./_bytes.ts";

const SENDER = "h:7:00c0ffee";

function frames(seqs: number[]): Uint8Array {
  const parts = seqs.map((s) =>
    stampedFrame(
      { name: "app", msg: `r${s}`, args: null, levelno: 20, levelname: "INFO" },
      s,
      SENDER,
      { protocol: 1 },
    )
  );
  return concat(parts);
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Reads acknowledgements until one of `count` (bounded by `ms`). */
async function readAcks(
  conn: Deno.Conn,
  count: number,
  ms = 10_000,
): Promise<number> {
  const reader = new AckReader();
  const buf = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    while (reader.count < count) {
      const n = await conn.read(buf);
      if (n === null) break;
      reader.push(buf.subarray(0, n));
    }
  } catch {
    // closed by the timer
  } finally {
    clearTimeout(timer);
  }
  return reader.count;
}

Deno.test("cli --ack acknowledges every frame, prints each (sender, seq) once and announces a gap", async () => {
  const cli = await startCli([
    "--port",
    "0",
    "--format",
    "json",
    "--ack",
    "--gap-timeout",
    "100",
  ]);
  match(cli.listening, /^listening on 127\.0\.0\.1:\d+$/);
  using conn = await Deno.connect({ port: cli.port });
  // 1–5, a resend of 4–5, then 8 (6 and 7 never come).
  await writeAll(conn, frames([1, 2, 3, 4, 5, 4, 5, 8]));
  equal(await readAcks(conn, 8), 8);
  await new Promise((r) => setTimeout(r, 300)); // the gap's announcement
  cli.kill("SIGINT");
  const { stdout, stderr, code } = await cli.done();
  equal(code, 0, stderr);
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
  deepEqual(
    lines.map((l) => l.message),
    [
      "r1",
      "r2",
      "r3",
      "r4",
      "r5",
      "r8",
      `missing 2 records from sender ${SENDER}, seq 6–7`,
    ],
  );
  const warning = lines.at(-1)!;
  equal(warning.name, "pylogging.receiver");
  equal(warning.levelname, "WARNING");
  deepEqual(
    [warning.sender, warning.missing, warning.seqFirst, warning.seqLast],
    [SENDER, 2, 6, 7],
  );
  match(
    stderr,
    /^\nreceived 8 records over 1 connection, 0 errors, 2 missing, 2 duplicates\n$/,
  );
});

Deno.test("cli --ack: flags checked; --help tells of them", async () => {
  equal(parseArgs(["--ack"]).ack, true);
  equal(parseArgs([]).ack, false);
  equal(parseArgs(["--gap-timeout=0"]).gapTimeout, 0);
  const cases: [string[], string][] = [
    [
      ["--ack", "--udp"],
      "error: Options '--ack' and '--udp' cannot be combined: acknowledgements need a stream connection",
    ],
    [
      ["--gap-timeout", "-5"],
      "error: Option '--gap-timeout' must be an integer from 0 to 2147483647: got '-5'",
    ],
  ];
  for (const [args, message] of cases) {
    const cli = await startCli(args);
    const { code, stderr } = await cli.done();
    equal(code, 2, args.join(" "));
    equal(cli.listening, message);
    equal(stderr, "Try '--help' for usage.\n");
  }
  const help = await startCli(["--help"]);
  const { stdout, code } = await help.done();
  equal(code, 0);
  ok(stdout.includes("  --ack "), stdout);
  ok(stdout.includes("  --gap-timeout MS "), stdout);
});

Deno.test("cli --ack acknowledges only records written to stdout: killed while its output is blocked, every acknowledged record was printed", async () => {
  // stdout is a pipe nobody reads until the CLI is killed: the CLI blocks
  // writing once the pipe is full. Every acknowledged record must be in
  // the pipe by then; the unprinted ones must not be acknowledged (the
  // sender sends them again to the next receiver).
  const cliPath = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      cliPath,
      "--port",
      "0",
      "--format",
      "json",
      "--ack",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = await readFirstLine(child.stderr);
  const port = Number(/:(\d+)$/.exec(stderr.first)?.[1]);
  const n = 2000;
  const pad = "x".repeat(300);
  let acked = 0;
  try {
    using conn = await Deno.connect({ port });
    const parts = [];
    for (let s = 1; s <= n; s++) {
      parts.push(
        stampedFrame(
          { name: "app", msg: `r${s} ${pad}`, args: null, levelno: 20 },
          s,
          SENDER,
        ),
      );
    }
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    const writing = writeAll(conn, all).catch(() => {});
    // Read acknowledgements until they stop advancing for 1 s (the CLI is
    // blocked on its output), at most 20 s.
    const reader = new AckReader();
    let advancedAt = Date.now();
    const reading = (async () => {
      const buf = new Uint8Array(4096);
      try {
        for (;;) {
          const got = await conn.read(buf);
          if (got === null) return;
          if (reader.push(buf.subarray(0, got)) !== undefined) {
            advancedAt = Date.now();
          }
        }
      } catch { /* closed */ }
    })();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && Date.now() - advancedAt < 1000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    acked = reader.count;
    child.kill("SIGKILL");
    await child.status;
    await reading;
    await writing;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }
  const text = await new Response(child.stdout).text();
  await stderr.rest();
  const printed = new Set<number>();
  for (const line of text.split("\n")) {
    try {
      printed.add(JSON.parse(line).seq);
    } catch { /* the torn last line */ }
  }
  ok(acked > 0, "some records acknowledged");
  ok(printed.size < n, `the output was blocked (${printed.size} printed)`);
  const unprinted = [];
  for (let s = 1; s <= acked; s++) if (!printed.has(s)) unprinted.push(s);
  deepEqual(
    unprinted.length,
    0,
    `${unprinted.length} of ${acked} acknowledged records not printed (${printed.size} printed): ${
      unprinted.slice(0, 5)
    }…`,
  );
});

Deno.test("AckedOutput: a record settles once its line is written; --count and a write error stop it and close the receiver first", async () => {
  const record = (msg: string) => makeLogRecord({ name: "app", msg });
  const written: string[] = [];
  let release: () => void = () => {};
  const events: string[] = [];
  const out = new AckedOutput(
    (r) => r.getMessage(),
    async (text) => {
      events.push(`write ${text.trim().split("\n").join(",")}`);
      await new Promise<void>((r) => (release = r));
      written.push(text);
    },
    3,
  );
  out.onStop(() => events.push("close"));
  const a = out.print(record("a"))!.then(() => events.push("a done"));
  const b = out.print(record("b"))!.then(() => events.push("b done"));
  await new Promise((r) => setTimeout(r, 10));
  deepEqual(events, ["write a"]); // b waits for the next write
  release();
  await a;
  await new Promise((r) => setTimeout(r, 10));
  deepEqual(written, ["a\n"]);
  ok(events.includes("write b") && !events.includes("b done"), `${events}`);
  const c = out.print(record("c"))!.then(() => events.push("c done")); // the 3rd
  ok(events.includes("close"), "closed at the 3rd record");
  ok(!events.includes("b done"), "before b is settled (acknowledged)");
  equal(out.print(record("d")), undefined); // stopped: not printed
  release();
  await b;
  await new Promise((r) => setTimeout(r, 10));
  ok(events.includes("write c") && !events.includes("c done"), `${events}`);
  release();
  await c;
  await out.stopped;
  await out.drained();
  deepEqual(written, ["a\n", "b\n", "c\n"]);

  const failing = new AckedOutput(
    (r) => r.getMessage(),
    () => Promise.reject(new Deno.errors.BrokenPipe("gone")),
  );
  let closed = false;
  failing.onStop(() => (closed = true));
  await failing.print(record("x")); // settles, not printed
  await failing.stopped;
  ok(closed);
  ok(failing.error instanceof Deno.errors.BrokenPipe);
  equal(failing.print(record("y")), undefined);
});
