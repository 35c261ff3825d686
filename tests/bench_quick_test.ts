// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// CI regression guard of the benchmark harness: `bench/run.ts --quick`
// with a small N must complete every section and deliver every record.
// No timing assertions (speed is reported by `deno task bench`, not tested).

import { deepEqual, equal, ok } from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const N = 2000;

Deno.test("bench/run.ts --quick completes every section and every record arrives", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench_quick_" });
  try {
    const json = `${dir}/quick.json`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--import-map=tests/import_map.json",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "--allow-env",
        "bench/run.ts",
        "--quick",
        "--n",
        String(N),
        "--rounds",
        "1",
        "--json",
        json,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    equal(out.code, 0, `run.ts failed:\n${stdout}\n${stderr}`);
    ok(stdout.includes("| section | measure |"), "the table is printed");
    const report = JSON.parse(await Deno.readTextFile(json));
    equal(report.n, N);
    equal(report.ok, true);
    equal(report.allArrived, true);
    const sections = report.sections;
    deepEqual(Object.keys(sections).sort(), [
      "caller",
      "e2e",
      "encode",
      "memory",
      "receiver",
    ]);
    for (const [name, s] of Object.entries(sections)) {
      equal((s as { status: string }).status, "ok", `section ${name}`);
    }
    // End to end: every sender delivered all N frames, nothing dropped.
    const senders = ["python", "std_log", "engine"];
    if (sections.e2e.logtape) senders.push("logtape");
    for (const sender of senders) {
      const runs = sections.e2e.runs[sender];
      equal(runs.length, 1, sender);
      for (const run of runs) {
        equal(run.frames, N, `${sender} frames`);
        equal(run.arrived, true, `${sender} arrived`);
        if (sender !== "python") {
          equal(run.sent, N, `${sender} sent`);
          equal(run.dropped, 0, `${sender} dropped`);
        }
        ok(run.rate > 0, `${sender} rate`);
      }
    }
    // The no-op handler's run: @std/log alone, its own rate.
    equal(sections.e2e.runs.noop.length, 1);
    ok(sections.e2e.runs.noop[0].rate > sections.e2e.median.std_log);
    // The per-round figures: the handler's cost is 1/ours − 1/no-op, and
    // the GC share comes from a profile of the @std/log sender.
    const r0 = (s: string) => sections.e2e.runs[s][0].rate;
    ok(
      Math.abs(
        sections.e2e.handlerCost - (1 / r0("std_log") - 1 / r0("noop")) * 1e6,
      ) < 1e-9,
    );
    equal(sections.e2e.ratio.std_log, r0("std_log") / r0("python"));
    // Heap bytes per record: handle() allocates no more than the getters.
    ok(sections.e2e.alloc.getters > 0);
    ok(
      sections.e2e.alloc.handle <= sections.e2e.alloc.getters + 8,
      JSON.stringify(sections.e2e.alloc),
    );
    ok(sections.e2e.gcShareNoop >= 0 && sections.e2e.gcShareNoop < 1);
    ok(
      sections.e2e.gcShare > 0 && sections.e2e.gcShare < 1,
      `GC share ${sections.e2e.gcShare}`,
    );
    // Receiver: both receivers got every replayed CPython frame.
    equal(sections.receiver.arrived, true);
    equal(sections.receiver.records, N);
    // Caller cost ran for every case; memory stayed within the queue bound
    // of frames (pending bytes, not RSS, which is not asserted).
    for (const c of ["up", "down", "stalled", "noop"]) {
      equal(sections.caller.runs[c].length, 1, c);
    }
    for (const run of sections.memory.runs) {
      ok(run.pendingBytes <= sections.memory.bound);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
