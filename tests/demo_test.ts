// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// `deno task demo`: the launcher + demo_app as subprocesses, end to end.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { pythons } from "./_py_receiver.ts";

const DEMO = new URL("../examples/demo.ts", import.meta.url).pathname;
const SUMMARY =
  /^demo: sent (\d+), received (\d+) \(std\/log (\d+), logtape (\d+), python (\d+)\)$/m;

Deno.test("demo.ts delivers every record from @std/log, LogTape and CPython", async () => {
  pythons(); // python3 must exist: the CPython part is asserted below
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", "--allow-read", DEMO],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, `${stdout}\n${stderr}`);
  const m = SUMMARY.exec(stdout);
  ok(m, `no summary line in:\n${stdout}`);
  deepEqual(m.slice(1).map(Number), [16, 16, 6, 6, 4]);
  // The JSR fallback is announced, never hidden.
  if (stdout.includes("jsr:@std/log is unreachable here")) {
    match(
      stdout,
      /^demo: jsr:@std\/log is unreachable here; running against the @std\/log 0\.224\.14 test stand-in \(tests\/std_log\)$/m,
    );
  }
  // Every level as Python names it, from each source.
  const expected: [string, string][] = [
    ["DEBUG", "demo\\.std_log"],
    ["CRITICAL", "demo\\.std_log"],
    ["TRACE", "demo\\.logtape"],
    ["CRITICAL", "demo\\.logtape"],
    ["ERROR", "demo\\.python"],
  ];
  for (const [level, name] of expected) {
    match(stdout, new RegExp(`\\d ${level} +${name} `));
  }
  // Extras, the Error cause chain and CPython's traceback are shown.
  match(stdout, /\n {4}request_id=42\n/);
  match(stdout, /\n {4}\| Caused by: Error: disk full\n/);
  match(stdout, /\n {4}\| KeyError: 'missing'\n/);
  match(stdout, /\n {4}tags=\['disk', 'alert'\]\n/);
  equal(stderr.includes("LogReceiver:"), false, stderr);
});
