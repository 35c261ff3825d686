// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Runs the fault suite's CI subset (bench/faults/run.ts --quick) in a
// subprocess and checks every scenario's accounting from its JSON (and
// every check of scenario 10's attacks on the receiver).
import { equal, ok } from "node:assert/strict";

interface Row {
  scenario: string;
  sender: "ours" | "cpython" | "cpython (legit)";
  logged: number;
  delivered: number;
  dropped: number;
  inflight: number;
  lost: number;
  checks: { name: string; ok: boolean; detail?: string }[];
}

Deno.test("fault suite (quick): every scenario exits with zero loss and exact accounting", async () => {
  const dir = await Deno.makeTempDir();
  const json = `${dir}/faults.json`;
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../bench/faults/run.ts", import.meta.url).pathname,
        "--quick",
        `--json=${json}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    const { rows } = JSON.parse(await Deno.readTextFile(json)) as {
      rows: Row[];
    };
    const ours = rows.filter((r) => r.sender === "ours");
    const ids = new Set(ours.map((r) => r.scenario.split(" ")[0]));
    for (
      const id of [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6a",
        "6b",
        "7",
        "8",
        "9",
        "11",
        "12a",
        "12b",
        "13",
      ]
    ) {
      ok(ids.has(id), `scenario ${id} missing:\n${stdout}\n${stderr}`);
    }
    for (const r of ours) {
      for (const c of r.checks) {
        ok(c.ok, `${r.scenario}: ${c.name}: ${c.detail ?? ""}`);
      }
      equal(r.lost, 0, `${r.scenario}: lost`);
      equal(
        r.logged,
        r.delivered + r.dropped + r.inflight,
        `${r.scenario}: logged == delivered + dropped + in-flight`,
      );
    }
    // Scenario 10: attacks on the receiver, a legitimate CPython sender
    // beside each.
    const attacks = rows.filter((r) => r.sender === "cpython (legit)");
    equal(
      attacks.map((r) => r.scenario.split(" ")[0]).join(","),
      "10a,10b,10c,10d,10d2,10e,10f,10g,10h",
      stdout + stderr,
    );
    for (const r of attacks) {
      for (const c of r.checks) {
        ok(c.ok, `${r.scenario}: ${c.name}: ${c.detail ?? ""}`);
      }
      equal(r.delivered, r.logged, `${r.scenario}: legitimate records`);
    }
    equal(out.code, 0, stdout + stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
