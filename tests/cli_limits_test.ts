// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The CLI's limit flags: parsed and checked, handed to the receiver (seen in
// its behaviour over real sockets), and its option errors worded in flags.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { ArgError, parseArgs } from "../receiver/cli_args.ts";
import { dumpsFrame } from "../pickle.ts";
import { runCli, startCli } from "./_cli_run.ts";

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function frame(msg: string): Uint8Array {
  return dumpsFrame({ name: "t", levelno: 20, levelname: "INFO", msg });
}

Deno.test("parseArgs() reads the limit flags, in both spellings", () => {
  const a = parseArgs([
    "--max-connections",
    "64",
    "--max-buffered-bytes=9000000",
    "--min-read-rate",
    "0",
    "--frame-timeout=1500",
    "--idle-timeout",
    "60000",
    "--max-frame",
    "65536",
  ]);
  deepEqual(
    [
      a.maxConnections,
      a.maxBufferedBytes,
      a.minReadRate,
      a.frameTimeout,
      a.idleTimeout,
      a.maxFrame,
    ],
    [64, 9000000, 0, 1500, 60000, 65536],
  );
  const b = parseArgs([]);
  deepEqual(
    [b.maxConnections, b.maxBufferedBytes, b.minReadRate, b.frameTimeout],
    [undefined, undefined, undefined, undefined],
  );
});

Deno.test("parseArgs() refuses bad limit values with the range expected", () => {
  const cases: [string[], RegExp][] = [
    [
      ["--max-connections", "0"],
      /^Option '--max-connections' must be an integer from 1 to 9007199254740991: got '0'$/,
    ],
    [
      ["--max-buffered-bytes", "1e6"],
      /^Option '--max-buffered-bytes' must be an integer from 1 to .*: got '1e6'$/,
    ],
    [
      ["--min-read-rate=-5"],
      /^Option '--min-read-rate' must be an integer from 0 to .*: got '-5'$/,
    ],
    [
      ["--frame-timeout", "99999999999"],
      /^Option '--frame-timeout' must be an integer from 0 to 2147483647: got '99999999999'$/,
    ],
    [["--frame-timeout"], /^Option '--frame-timeout' needs a value$/],
  ];
  for (const [argv, message] of cases) {
    throws(() => parseArgs(argv), (e) => {
      ok(e instanceof ArgError);
      match(e.message, message);
      return true;
    });
  }
});

Deno.test("cli reports a receiver option error in flag names, exit code 2", async () => {
  const out = await runCli([
    "--port",
    "0",
    "--max-frame",
    "1000",
    "--max-buffered-bytes",
    "2000",
  ]);
  equal(out.code, 2);
  equal(
    out.stderr,
    "error: Cannot create LogReceiver as '--max-buffered-bytes' must be at least 2 × ('--max-frame' + 4) (2008): current value is 2000\n",
  );
});

Deno.test("cli --max-connections evicts an idle connection for a new sender", async () => {
  const cli = await startCli([
    "--port",
    "0",
    "--max-connections",
    "2",
    "--format",
    "json",
    "--count",
    "1",
  ]);
  const idle1 = await Deno.connect({ port: cli.port });
  const idle2 = await Deno.connect({ port: cli.port });
  await sleep(100);
  const sender = await Deno.connect({ port: cli.port });
  try {
    // idle1, the oldest that delivered nothing, is closed for the sender.
    const n = await idle1.read(new Uint8Array(1)).catch(() => null);
    equal(n, null);
    await sender.write(frame("through"));
    const { stdout, stderr, code } = await cli.done();
    equal(code, 0, stderr);
    equal(JSON.parse(stdout).msg, "through");
    match(
      stderr,
      /warning: evicted: 2 connections \('maxConnections'\) are open: evicted the oldest connection that has not delivered a record/,
    );
    match(stderr, /received 1 record over 3 connections/);
  } finally {
    for (const c of [idle1, idle2, sender]) c.close();
  }
});

Deno.test("cli --frame-timeout closes a connection stuck in a frame as slow", async () => {
  const cli = await startCli([
    "--port",
    "0",
    "--frame-timeout",
    "300",
    "--min-read-rate",
    "0",
    "--format",
    "json",
    "--count",
    "1",
  ]);
  const stuck = await Deno.connect({ port: cli.port });
  const sender = await Deno.connect({ port: cli.port });
  try {
    const started = Date.now();
    await stuck.write(Uint8Array.of(0, 0, 0, 100, 0x80, 0x02));
    const n = await stuck.read(new Uint8Array(1)).catch(() => null);
    equal(n, null);
    const took = Date.now() - started;
    ok(took >= 250 && took < 5000, `closed after ${took} ms`);
    await sender.write(frame("after"));
    const { stdout, stderr, code } = await cli.done();
    equal(code, 0, stderr);
    equal(JSON.parse(stdout).msg, "after");
    match(stderr, /warning: slow: .*300 ms/);
  } finally {
    stuck.close();
    sender.close();
  }
});

Deno.test("cli names a TLS file it cannot read, exit code 2", async () => {
  const out = await runCli([
    "--port",
    "0",
    "--tls-cert",
    "/nonexistent/cert.pem",
    "--tls-key",
    "/nonexistent/key.pem",
  ]);
  equal(out.code, 2);
  match(
    out.stderr,
    /^error: cannot read --tls-cert file '\/nonexistent\/cert\.pem': No such file or directory/,
  );
});
