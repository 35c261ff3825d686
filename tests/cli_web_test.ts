// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// cli.ts --web: its argument errors, a busy port, and the exit on Ctrl-C
// with a browser that stopped reading beside one that reads everything
// (records sent by CPython's own SocketHandler), with the summary's line.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { ArgError, parseArgs } from "../receiver/cli_args.ts";
import { dumpsFrame } from "../pickle.ts";
import { runCli, startCli } from "./_cli_run.ts";
import { readFirstLine } from "./_first_line.ts";
import { pythonCommand, runScript } from "./_python.ts";
import { readEvents } from "./_sse.ts";

const SENDER = new URL("./py/forward_sender.py", import.meta.url).pathname;

Deno.test("parseArgs() reads --web and --web-token", () => {
  deepEqual(parseArgs(["--web", "9022"]).web, {
    hostname: "127.0.0.1",
    port: 9022,
  });
  deepEqual(parseArgs(["--web=0.0.0.0:0"]).web, {
    hostname: "0.0.0.0",
    port: 0,
  });
  deepEqual(parseArgs(["--web", "[::1]:8080"]).web, {
    hostname: "::1",
    port: 8080,
  });
  const a = parseArgs(["--web", "0", "--web-token", "a-Z_0.~"]);
  equal(a.webToken, "a-Z_0.~");
  equal(parseArgs([]).web, undefined);
});

Deno.test("parseArgs() refuses bad --web and --web-token values, clearly", () => {
  const web =
    "Option '--web' must be [HOST:]PORT (an IPv6 HOST in brackets), PORT from 0 to 65535: got ";
  const token =
    "Option '--web-token' must be one or more letters, digits, '-', '_', '.' or '~'";
  const cases: [string[], string][] = [
    [["--web", "abc"], `${web}'abc'`],
    [["--web", "70000"], `${web}'70000'`],
    [["--web", "127.0.0.1:65536"], `${web}'127.0.0.1:65536'`],
    [["--web=-1"], `${web}'-1'`],
    [["--web", ":80"], `${web}':80'`],
    [["--web", "[::1]"], `${web}'[::1]'`],
    [["--web", "::1:80"], `${web}'::1:80'`],
    [["--web"], "Option '--web' needs a value"],
    [["--web-token", "abc"], "Option '--web-token' needs '--web'"],
    [["--web", "0", "--web-token", "a b"], token],
    [["--web", "0", "--web-token", "a/b?c"], token],
    [["--web", "0", "--web-token="], token],
    [["--web", "0", "--web-token"], "Option '--web-token' needs a value"],
  ];
  for (const [argv, message] of cases) {
    throws(() => parseArgs(argv), new ArgError(message), argv.join(" "));
  }
});

Deno.test("cli --web on a busy port says so, exit code 2", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const out = await runCli(["--port", "0", "--web", `127.0.0.1:${port}`]);
    equal(out.code, 2);
    equal(out.stderr, `error: web viewer port ${port} is already in use\n`);
    equal(out.stdout.length, 0);
  } finally {
    busy.close();
  }
});

Deno.test("cli --web exits on Ctrl-C despite a stalled browser; the summary counts what browsers lost", async () => {
  const N = 20_000;
  const cli = await startCli([
    "--port",
    "0",
    "--web",
    "127.0.0.1:0",
    "--format",
    "json",
  ]);
  let exited = false;
  let stalled: Deno.TcpConn | undefined;
  try {
    match(cli.listening, /^listening on 127\.0\.0\.1:\d+$/);
    ok(cli.webUrl, "a 'web viewer on' line");
    const web = new URL(cli.webUrl);
    equal(web.hostname, "127.0.0.1");
    // A browser that reads its response's first bytes, then nothing.
    stalled = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(web.port),
    });
    await stalled.write(
      new TextEncoder().encode(
        `GET /events HTTP/1.1\r\nHost: ${web.host}\r\n\r\n`,
      ),
    );
    const head = new Uint8Array(4096);
    const n = await stalled.read(head);
    match(
      new TextDecoder().decode(head.subarray(0, n ?? 0)),
      /^HTTP\/1\.1 200/,
    );
    // A browser that reads everything.
    const res = await fetch(new URL("/events", web));
    equal(res.status, 200);
    let got = 0;
    let seen = 0;
    const reading = readEvents(res.body!, (events) => {
      for (; seen < events.length; seen++) {
        const e = events[seen]!;
        if (e.event === "records") got += (e.data as unknown[]).length;
      }
      return false;
    }, 60_000);
    // ~2.6 KB of JSON a record: 50 MB for each browser, far beyond what
    // the stalled one's socket buffers and queue (16 MiB) hold.
    const sent = await runScript(pythonCommand(), SENDER, [
      "127.0.0.1",
      String(cli.port),
      "count",
      String(N),
      "5000",
      "2000",
    ]);
    deepEqual(sent, []);
    for (let i = 0; i < 3000 && got < N; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    equal(got, N, "the reading browser got every record before Ctrl-C");
    const t0 = performance.now();
    cli.kill("SIGINT");
    // A CLI still running after 10 s is killed, and the test fails.
    const killer = setTimeout(() => cli.kill("SIGKILL"), 10_000);
    const { stdout, stderr, code } = await cli.done().finally(() =>
      clearTimeout(killer)
    );
    exited = true;
    const ms = performance.now() - t0;
    ok(ms < 5000, `exit took ${ms.toFixed(0)} ms`);
    equal(code, 0, stderr);
    const lines = stdout.split("\n");
    equal(lines.pop(), "");
    equal(lines.length, N);
    for (const i of [0, 1, N / 2, N - 1]) {
      equal(JSON.parse(lines[i]!).message, `r${i} ${"x".repeat(2000)}`);
    }
    match(stderr, new RegExp(`^\\nreceived ${N} records over 1 connection`));
    const m =
      /^web viewer: 2 browsers, ([\d,]+) records sent, ([\d,]+) discarded$/m
        .exec(stderr);
    ok(m, stderr);
    const [sentTo, discarded] = [m[1]!, m[2]!].map((t) =>
      Number(t.replaceAll(",", ""))
    );
    ok(discarded! > 0, `discarded ${discarded}`);
    // Each browser was sent or lost each record: the reading one lost none.
    equal(sentTo! + discarded!, 2 * N);
    const events = await reading;
    equal(got, N);
    ok(!events.some((e) => e.event === "discarded"));
  } finally {
    stalled?.close();
    if (!exited) {
      try {
        cli.kill("SIGKILL");
      } catch {
        // already exited
      }
      await cli.done();
    }
  }
});

Deno.test("cli --web with no browser holds a bounded history: 900 MB of large records in a 384 MB heap", async () => {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--v8-flags=--max-old-space-size=384",
      cli,
      "--port",
      "0",
      "--format",
      "%(levelname)s %(name)s",
      "--web",
      "127.0.0.1:0",
      "--count",
      "300",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = await readFirstLine(child.stderr);
  const port = Number(/:(\d+)$/.exec(stderr.first)?.[1]);
  const stdout = new Response(child.stdout).text();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const big = "x".repeat(3 << 20);
    for (let i = 0; i < 300; i++) {
      const frame = dumpsFrame({
        name: "big",
        msg: `${i} ${big}`,
        levelname: "INFO",
        levelno: 20,
      });
      let off = 0;
      while (off < frame.length) off += await conn.write(frame.subarray(off));
    }
  } finally {
    conn.close();
  }
  const status = await child.status;
  const rest = await stderr.rest();
  equal(status.code, 0, rest);
  equal((await stdout).trimEnd().split("\n").length, 300);
  match(rest, /received 300 records/);
});
