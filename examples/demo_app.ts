// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The demo itself (started by `demo.ts`, which picks the `@std/log` it runs
 * against): an in-process {@linkcode LogReceiver} on a free port receives
 * records from `@std/log` through {@linkcode SocketHandler}, from LogTape
 * through {@linkcode getSocketSink}, and from a real CPython program using
 * Python's own `logging.handlers.SocketHandler`; every record is printed as
 * the receiver sees it, then a summary line. Exit code 0 only if every
 * record arrived.
 *
 * Permissions: `--allow-net --allow-read --allow-run --allow-env`.
 *
 * @module
 */
import * as log from "@std/log";
import { configure, dispose, getLogger } from "npm:@logtape/logtape@^2";
import { SocketHandler } from "@pylogging/socket-handler";
import { getSocketSink } from "@pylogging/socket-handler/logtape";
import {
  LogReceiver,
  type PythonLogRecord,
} from "@pylogging/socket-handler/receiver";
import { formatPython } from "@pylogging/socket-handler/cli";
import { pyRepr } from "../text/python_text.ts";

const SOURCES = ["std/log", "logtape", "python"] as const;
type Source = typeof SOURCES[number];
const LOGGERS: Record<Source, string> = {
  "std/log": "demo.std_log",
  logtape: "demo.logtape",
  python: "demo.python",
};
const FORMAT = "%(asctime)s %(levelname)-8s %(name)-14s %(message)s";
const WAIT_MS = 5000;

function sourceOf(record: PythonLogRecord): Source | undefined {
  const name = record.name ?? "";
  return SOURCES.find((s) =>
    name === LOGGERS[s] || name.startsWith(LOGGERS[s] + ".")
  );
}

function render(record: PythonLogRecord): string {
  let text: string;
  try {
    text = formatPython(FORMAT, record);
  } catch {
    text = `${record.levelname} ${record.name} ${record.getMessage()}`;
  }
  // formatPython appends exc_text; indent it, then list the extras.
  const [first, ...rest] = text.split("\n");
  let out = first ?? "";
  for (const key in record.extra) {
    out += `\n    ${key}=${pyRepr(record.extra[key])}`;
  }
  for (const line of rest) out += `\n    | ${line}`;
  return out;
}

function pythonAvailable(): boolean {
  try {
    return new Deno.Command("python3", {
      args: ["-c", "import logging.handlers"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const received: Record<Source | "other", number> = {
    "std/log": 0,
    logtape: 0,
    python: 0,
    other: 0,
  };
  const sent: Record<Source, number> = { "std/log": 0, logtape: 0, python: 0 };
  let total = 0;
  let wake: (() => void) | undefined;
  const receiver = new LogReceiver({
    hostname: "127.0.0.1",
    port: 0,
    onRecord(record) {
      received[sourceOf(record) ?? "other"]++;
      total++;
      console.log(render(record));
      wake?.();
    },
  });
  const port = receiver.port;
  console.log(`demo: LogReceiver listening on 127.0.0.1:${port}`);

  try {
    // 1. @std/log with SocketHandler.
    const handler = new SocketHandler("DEBUG", { hostname: "127.0.0.1", port });
    log.setup({
      handlers: { python: handler },
      loggers: {
        [LOGGERS["std/log"]]: { level: "DEBUG", handlers: ["python"] },
      },
    });
    const std = log.getLogger(LOGGERS["std/log"]);
    std.debug("connecting to %s:%d", "db.internal", 5432);
    std.info("user %s logged in", "alice", { user: "alice", request_id: 42 });
    std.warn("cache hit ratio %.1f%% is low", 41.37);
    const cause = new Error("disk full");
    std.error("cannot save order", new Error("write failed", { cause }));
    std.critical("payment service unreachable", { retries: 3 });
    std.info("unicode é ✓ 😀");
    sent["std/log"] = 6;
    await handler.close(WAIT_MS);

    // 2. LogTape with getSocketSink().
    await configure({
      reset: true,
      sinks: { python: getSocketSink({ hostname: "127.0.0.1", port }) },
      loggers: [
        {
          category: ["demo", "logtape"],
          sinks: ["python"],
          lowestLevel: "trace",
        },
        { category: ["logtape", "meta"], lowestLevel: "warning" },
      ],
    });
    const lt = getLogger(["demo", "logtape"]);
    lt.trace("trace maps to Python level {level}", { level: 5 });
    lt.debug("cache warmed in {ms} ms", { ms: 12 });
    lt.info("Hello {user}", { user: "bob", request_id: 43 });
    lt.warning("quota at {pct}%", { pct: 93.5 });
    lt.error("upload failed", new TypeError("bad chunk", { cause }));
    lt.fatal("shutting down");
    sent.logtape = 6;
    await dispose(); // drains the sink

    // 3. CPython with logging.handlers.SocketHandler.
    if (pythonAvailable()) {
      const script =
        new URL("../tests/py/demo_sender.py", import.meta.url).pathname;
      const out = await new Deno.Command("python3", {
        args: [script, String(port)],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      const m = /sent (\d+)/.exec(new TextDecoder().decode(out.stdout));
      sent.python = m ? Number(m[1]) : 0;
      if (!out.success || !m) {
        console.error(`demo: python3 ${script} failed (exit ${out.code})`);
        sent.python = Math.max(sent.python, 1); // counts as missing
      }
    } else {
      console.log("demo: python3 not found; skipping the CPython sender");
    }

    // Wait until everything arrived (or the deadline).
    const expected = sent["std/log"] + sent.logtape + sent.python;
    const deadline = Date.now() + WAIT_MS;
    while (total < expected && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    const ok = SOURCES.every((s) => received[s] === sent[s]) &&
      received.other === 0;
    console.log(
      `demo: sent ${expected}, received ${total} (std/log ${
        received["std/log"]
      }, logtape ${received.logtape}, python ${received.python})` +
        (ok
          ? ""
          : ` — MISSING RECORDS (expected std/log ${
            sent["std/log"]
          }, logtape ${sent.logtape}, python ${sent.python})`),
    );
    return ok ? 0 : 1;
  } finally {
    await receiver.close();
  }
}

if (import.meta.main) {
  Deno.exitCode = await main();
}
