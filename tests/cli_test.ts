// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// cli.ts as a subprocess, fed by CPython's own logging.handlers.SocketHandler.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { main, parseJsonRecord } from "../cli.ts";
import { readFirstLine } from "./_first_line.ts";
import { pythonCommand, runScript } from "./_python.ts";
import { pyTuple } from "../mod.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const SENDER = new URL("./py/sender_socket_handler.py", import.meta.url)
  .pathname;

interface Cli {
  port: number;
  firstLine: string;
  child: Deno.ChildProcess;
  /** Waits for exit; returns stdout, the rest of stderr and the code. */
  done(): Promise<{ stdout: string; stderr: string; code: number }>;
}

async function startCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<Cli> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", CLI, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const stderr = await readFirstLine(child.stderr);
  const firstLine = stderr.first;
  const m = firstLine.match(/^listening on 127\.0\.0\.1:(\d+)$/);
  return {
    port: m ? Number(m[1]) : 0,
    firstLine,
    child,
    async done() {
      const rest = await stderr.rest();
      const status = await child.status;
      return { stdout: await stdout, stderr: rest, code: status.code };
    },
  };
}

async function runSender(
  port: number,
  extra: string[] = [],
): Promise<{ sent: Record<string, unknown>; formatted: string | null }[]> {
  const lines = await runScript(
    pythonCommand(),
    SENDER,
    ["127.0.0.1", String(port), ...extra],
    { TZ: "UTC" },
  );
  return lines.map((l) => JSON.parse(l));
}

/** Sender JSON (big ints as {"$bigint"}) → CLI JSON encoding. */
function asCliJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asCliJson);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("$bigint" in o) return o;
    return Object.fromEntries(
      Object.entries(o).map(([k, x]) => [k, asCliJson(x)]),
    );
  }
  return v;
}

Deno.test("cli --format json prints every field CPython sent", async () => {
  const cli = await startCli([
    "--port",
    "0",
    "--format",
    "json",
    "--count",
    "7",
  ]);
  ok(cli.port > 0, cli.firstLine);
  const sent = await runSender(cli.port);
  equal(sent.length, 7);
  const { stdout, stderr, code } = await cli.done();
  equal(code, 0, stderr);
  equal(stderr, "received 7 records over 1 connection, 0 errors\n");
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
  equal(lines.length, 7);
  for (let i = 0; i < 7; i++) {
    // The sender's JSON has tuples as lists; the CLI's tags them.
    const got = { ...lines[i], pair: lines[i].pair?.$tuple ?? lines[i].pair };
    const want = asCliJson(sent[i]!.sent) as Record<string, unknown>;
    for (const [key, value] of Object.entries(want)) {
      deepEqual(got[key], value, `record ${i} field '${key}'`);
    }
    equal(got.taskName, null); // absent in 3.11: receiver default
    equal(typeof got.message, "string");
  }
  equal(lines[1].message, "hello world");
  deepEqual(lines[5].big, { $bigint: "1180591620717411303424" });
  deepEqual(lines[5].pair, { $tuple: [1, "x"] });
  deepEqual(parseJsonRecord(JSON.stringify(lines[5])).pair, pyTuple([1, "x"]));
  equal(lines[6].message, "custom level 25%");
  match(lines[3].exc_text, /ZeroDivisionError/);
  // Keys: standard fields first, in Python's order, then extras, then message.
  deepEqual(Object.keys(lines[2]).slice(-4), [
    "user",
    "request_id",
    "tags",
    "message",
  ]);
});

Deno.test("cli renders a Python format exactly like logging.Formatter", async () => {
  const fmt = "%(asctime)s %(levelname)-8s [%(name)s] %(module)s:%(lineno)d " +
    "%(funcName)s %(process)d %(thread)d %(threadName)s %(levelno)s " +
    "%(msecs)03d %(msecs)s %(created)f %(relativeCreated).3f %(message)r " +
    "%(pathname)s %(filename)s %(processName)s %(exc_text)s %%";
  const cli = await startCli(
    ["--port", "0", "--format", fmt, "--count", "7"],
    { TZ: "UTC" },
  );
  ok(cli.port > 0, cli.firstLine);
  const sent = await runSender(cli.port, ["--fmt", fmt]);
  const { stdout, stderr, code } = await cli.done();
  equal(code, 0, stderr);
  // Python's text, with every continuation line indented (terminal safety).
  const expected = sent.map((s) => s.formatted!.replaceAll("\n", "\n    "))
    .join("\n") + "\n";
  equal(stdout, expected);
  // TZ=UTC: asctime is the UTC wall clock of `created`.
  const created = sent[0]!.sent.created as number;
  const iso = new Date(Math.floor(created) * 1000).toISOString();
  ok(stdout.startsWith(iso.slice(0, 10) + " " + iso.slice(11, 19) + ","));
});

Deno.test("cli --format pretty prints aligned lines with extras and tracebacks", async () => {
  const cli = await startCli([
    "--port",
    "0",
    "--format",
    "pretty",
    "--count",
    "7",
  ]);
  await runSender(cli.port);
  const { stdout, code } = await cli.done();
  equal(code, 0);
  ok(!stdout.includes("\x1b["), "colours despite NO_COLOR / no terminal");
  const lines = stdout.split("\n");
  // The logger-name column is 20 wide from the first record.
  match(
    lines[0]!,
    /^\d\d:\d\d:\d\d\.\d{3} DEBUG {4}interop\.sender {7}debug 1$/,
  );
  match(
    lines[1]!,
    /^\d\d:\d\d:\d\d\.\d{3} INFO {5}interop\.sender {7}hello world$/,
  );
  match(lines[2]!, /WARNING {2}interop\.sender {7}unicode héllo 😀$/);
  deepEqual(lines.slice(3, 6), [
    "    user='bob'",
    "    request_id=42",
    "    tags=['a', 'b']",
  ]);
  match(lines[6]!, /ERROR {4}interop\.sender {7}failed op$/);
  equal(lines[7], "    Traceback (most recent call last):");
  ok(stdout.includes("    ZeroDivisionError: division by zero\n"));
  ok(stdout.includes("    big=1180591620717411303424\n"));
  ok(stdout.includes("    pair=(1, 'x')\n"));
});

Deno.test("cli exits cleanly on SIGINT with a summary", async () => {
  const cli = await startCli(["--port", "0", "--format", "json"]);
  await runSender(cli.port);
  // Wait until the records are printed, then interrupt.
  cli.child.kill("SIGINT");
  const { stdout, stderr, code } = await cli.done();
  equal(code, 0, stderr);
  // The summary starts on a line of its own (after the terminal's "^C").
  match(stderr, /^\nreceived \d records? over \d connections?, 0 errors\n$/);
  ok(stdout.split("\n").length <= 8);
});

Deno.test("cli reports a busy port with exit code 2", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const cli = await startCli(["--port", String(port)]);
  const { code } = await cli.done();
  equal(code, 2);
  equal(cli.firstLine, `error: port ${port} is already in use`);
});

Deno.test("cli rejects bad arguments with exit code 2", async () => {
  const cases: [string[], string][] = [
    [
      ["--port", "x"],
      "error: Option '--port' must be an integer from 0 to 65535: got 'x'",
    ],
    [
      ["--port", "70000"],
      "error: Option '--port' must be an integer from 0 to 65535: got '70000'",
    ],
    [["--port"], "error: Option '--port' needs a value"],
    [["--bogus"], "error: Unknown argument '--bogus'"],
    [
      ["--format", "jsn"],
      `error: Unknown format 'jsn': use pretty, json or a Python format such as "%(levelname)s %(message)s"`,
    ],
    [
      ["--count", "0"],
      "error: Option '--count' must be an integer from 1 to 9007199254740991: got '0'",
    ],
    [
      ["--port", "1", "--unix", "/tmp/x"],
      "error: Options '--port' and '--unix' cannot be combined",
    ],
  ];
  for (const [args, message] of cases) {
    const cli = await startCli(args);
    const { code, stderr } = await cli.done();
    equal(code, 2, args.join(" "));
    equal(cli.firstLine, message);
    equal(stderr, "Try '--help' for usage.\n");
  }
  // In-process too.
  equal(await main(["--max-frame=-1"]), 2);
});

Deno.test("cli --help prints usage", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", CLI, "--help"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(out.code, 0);
  const text = new TextDecoder().decode(out.stdout);
  match(text, /^Usage: deno run --allow-net cli\.ts \[options\]/);
  match(text, /--format FORMAT/);
});
