// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 11: every way a program ends — SIGTERM, SIGINT, an uncaught
 * exception, an unhandled rejection, `Deno.exit()` — right after logging,
 * with the receiver (a {@linkcode LogReceiver}) up or down, for our three
 * senders (`@std/log` + `SocketHandler`, the LogTape sink,
 * `DatagramHandler`) and CPython 3.11's `SocketHandler`/`DatagramHandler`
 * (`sys.exit()` for `Deno.exit()`; no unhandled rejection). Each program
 * (bench/faults/exit_app.ts, py_exit_app.py) is also run without a handler:
 * its exit status and error line must be the same with ours. Per run:
 * logged, delivered, reported dropped (the stderr line), lost silently.
 *
 * @module
 */
import type { Params, Row } from "./_common.ts";
import { sleep } from "./_common.ts";
import { freePort } from "./_timeline.ts";
import { LogReceiver } from "../../receiver.ts";

const here = new URL(".", import.meta.url).pathname;

type How = "SIGTERM" | "SIGINT" | "throw" | "reject" | "exit";
type Sender = "std" | "logtape" | "udp" | "py-socket" | "py-udp";

const LABELS: Record<Sender, string> = {
  std: "ours: @std/log",
  logtape: "ours: LogTape",
  udp: "ours: UDP",
  "py-socket": "CPython 3.11",
  "py-udp": "CPython 3.11 UDP",
};

interface Ended {
  code: number;
  signal: Deno.Signal | null;
  stderr: string;
}

async function runApp(
  sender: Sender,
  how: How,
  port: number,
  count: number,
  withHandler: boolean,
): Promise<Ended> {
  const py = sender.startsWith("py-");
  const args = py
    ? [
      here + "py_exit_app.py",
      how,
      String(port),
      String(count),
      withHandler ? sender.slice(3) : "none",
    ]
    : [
      "run",
      `--import-map=${here}../../tests/import_map.json`,
      sender === "udp" ? "--allow-net" : "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      here + "exit_app.ts",
      how,
      String(port),
      String(count),
      withHandler ? sender : "none",
    ];
  const child = new Deno.Command(py ? "python3" : Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  let out = "";
  const dec = new TextDecoder();
  while (!out.includes("LOGGED\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += dec.decode(value);
  }
  if (how === "SIGTERM" || how === "SIGINT") child.kill(how);
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  return { code: status.code, signal: status.signal, stderr: await stderr };
}

/** The first line the runtime prints for an uncaught error. */
function errorLine(stderr: string): string {
  return stderr.split("\n").find((l) =>
    l.startsWith("error: ") || /^\w*(Error|Interrupt)\b/.test(l)
  ) ?? "";
}

function statusText(e: Ended): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

async function oneRun(
  sender: Sender,
  how: How,
  up: boolean,
  count: number,
): Promise<Row> {
  const udp = sender === "udp" || sender === "py-udp";
  let delivered = 0;
  let receiver: LogReceiver | undefined;
  let port: number;
  if (up) {
    receiver = new LogReceiver({
      port: 0,
      ...(udp ? { udp: true } : {}),
      maxBuffered: 1_000_000,
      onRecord: (r) => {
        if (r.getMessage().startsWith("record ")) delivered++;
      },
      onError: () => {},
    });
    await receiver.ready;
    port = receiver.port;
  } else {
    port = freePort();
  }
  try {
    const without = await runApp(sender, how, port, count, false);
    const ended = await runApp(sender, how, port, count, true);
    if (receiver) {
      const end = performance.now() + 5000;
      while (delivered < count && performance.now() < end) await sleep(20);
      await sleep(100);
    }
    const m =
      /^(\d+) log records? dropped at exit \(([^)]*(?:\([^)]*\))?[^)]*)\)(?:; (\d+) of them)?/m
        .exec(ended.stderr);
    const reported = Number(m?.[1] ?? 0);
    const unsure = Number(m?.[3] ?? 0);
    // Frames of a write in progress may have arrived after all.
    const dropped = Math.min(reported, count - delivered);
    const lost = count - delivered - dropped;
    const ours = !sender.startsWith("py-");
    const sameEnd = ended.code === without.code &&
      ended.signal === without.signal &&
      errorLine(ended.stderr) === errorLine(without.stderr);
    // UDP has no connection: datagrams sent to a closed port are discarded
    // by the network, and no sender can tell (they count as sent).
    const udpVoid = udp && !up;
    const checks: Row["checks"] = ours
      ? [
        {
          name: "nothing lost silently",
          ok: lost === 0 || udpVoid,
          detail: `${lost} lost; stderr: ${ended.stderr.slice(0, 300)}`,
        },
        {
          name: "the same end as without the handler",
          ok: sameEnd,
          detail: `${statusText(ended)} vs ${statusText(without)}; ${
            errorLine(ended.stderr)
          } vs ${errorLine(without.stderr)}`,
        },
        {
          name: "the count reported is exact",
          ok: delivered + reported - unsure <= count &&
              delivered + reported >= count ||
            reported === 0 && (lost === 0 || udpVoid),
          detail:
            `delivered ${delivered}, reported ${reported}, unsure ${unsure}`,
        },
      ]
      : [];
    return {
      scenario: `11 ${how}, receiver ${up ? "up" : "down"}`,
      sender: ours ? "ours" : "cpython",
      label: LABELS[sender],
      logged: count,
      delivered,
      dropped,
      inflight: 0,
      lost,
      maxLatencyMs: NaN,
      appRssMB: 0,
      receiverRssMB: 0,
      checks,
      notes: [
        `${statusText(ended)}${sameEnd ? " (as without the handler)" : ""}${
          m ? `; reported: ${m[0]}` : ""
        }${udpVoid ? "; UDP to a closed port: sent, then discarded" : ""}`,
      ],
    };
  } finally {
    await receiver?.close();
  }
}

/** Runs scenario 11. */
export async function run(p: Params): Promise<Row[]> {
  const senders: Sender[] = p.quick
    ? ["std", "py-socket"]
    : ["std", "logtape", "udp", "py-socket", "py-udp"];
  const hows: How[] = ["SIGTERM", "SIGINT", "throw", "reject", "exit"];
  const rows: Row[] = [];
  for (const up of [true, false]) {
    for (const how of hows) {
      for (const sender of senders) {
        if (sender.startsWith("py-") && how === "reject") continue;
        const udp = sender === "udp" || sender === "py-udp";
        // UDP: a burst the receiver's socket buffer holds.
        const count = udp ? 50 : p.quick ? 500 : 2000;
        rows.push(await oneRun(sender, how, up, count));
      }
    }
  }
  return rows;
}
