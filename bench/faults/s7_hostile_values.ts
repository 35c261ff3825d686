// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 7: hostile values through the handler (hostile_app.ts) into a
 * CPython receiver: the logging call never throws, and every frame sent
 * decodes in CPython (pickle with find_class refused).
 *
 * @module
 */
import {
  appResult,
  IMPORT_MAP,
  type Params,
  Proc,
  type Row,
} from "./_common.ts";

const here = new URL(".", import.meta.url).pathname;

/** Runs scenario 7. */
export async function run(_p: Params): Promise<Row[]> {
  const py = new Proc("python3", [here + "py_receiver.py"], true);
  const port = Number(
    (await py.waitLine((l) => l.startsWith("PORT "))).split(" ")[1],
  );
  const app = new Proc(Deno.execPath(), [
    "run",
    `--import-map=${IMPORT_MAP}`,
    "--allow-net=127.0.0.1",
    "--allow-read=/proc",
    here + "hostile_app.ts",
    String(port),
  ]);
  const res = await appResult(app, 120000);
  await py.send("exit");
  let pyRes: Record<string, unknown> = {};
  try {
    const l = await py.waitLine((l) => l.startsWith("RESULT "), 15000);
    pyRes = JSON.parse(l.slice(7));
  } finally {
    py.kill();
    await py.finish();
  }
  const r = res.result as
    | (typeof res.result & {
      values?: number;
      stdLogCalls?: number;
      stdLogThrew?: number;
      threwWhere?: string[];
    })
    | undefined;
  const s = r?.stats?.[0];
  const logged = r?.logged ?? 0;
  const decoded = Number(pyRes.decoded ?? 0);
  const failures = Number(pyRes.failures_n ?? 0);
  const checks: Row["checks"] = [
    {
      name: "app exited 0",
      ok: res.code === 0,
      detail: res.stderr.slice(0, 500),
    },
    { name: "no uncaught error", ok: !/Uncaught/.test(res.stderr) },
    { name: "≥ 50 hostile values", ok: (r?.values ?? 0) >= 50 },
    {
      name: "emit never threw",
      ok: r?.threw === 0,
      detail: `threw ${r?.threw}: ${r?.threwWhere?.join("; ")}`,
    },
    {
      name: "emitted == sent + dropped, nothing pending",
      ok: s !== undefined && s.emitted === logged &&
        s.emitted === s.sent + s.dropped && s.pendingRecords === 0,
      detail: JSON.stringify(s?.droppedByReason),
    },
    {
      name: "every frame sent decodes in CPython",
      ok: s !== undefined && decoded === s.sent && failures === 0 &&
        Number(pyRes.nonDict) === 0,
      detail: `sent ${s?.sent}, decoded ${decoded}, failures ${
        JSON.stringify(pyRes.failures)
      }`,
    },
  ];
  const dropped = s?.dropped ?? 0;
  return [{
    scenario: `7 hostile values (${r?.values} values × 10 calls)`,
    sender: "ours",
    logged,
    delivered: decoded,
    dropped,
    inflight: 0,
    lost: logged - decoded - dropped,
    maxLatencyMs: r?.maxLatencyMs ?? NaN,
    appRssMB: (r?.hwmKb ?? 0) / 1024,
    receiverRssMB: NaN,
    checks,
    notes: [
      `dropped by reason ${
        JSON.stringify(s?.droppedByReason)
      }; CPython decoded ${decoded}, notices ${pyRes.notices}; through @std/log's Logger: ${r?.stdLogThrew} of ${r?.stdLogCalls} calls threw inside @std/log's own message rendering (asString/msg function), before any handler`,
    ],
  }];
}
