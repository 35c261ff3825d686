// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// includeCallerInfo finds the application's call site by the structure of
// the stack, wherever @std/log is loaded from: the test stand-in in
// tests/std_log/, a copy of it in a folder of another name imported
// dynamically (a Logger that is not the one the handler is linked to), and
// a process whose import map links the handler to such a copy.
import { deepEqual, equal, ok } from "node:assert/strict";
import { Logger, LogRecord } from "@std/log/logger";
import type { LogRecord as StdLogRecord } from "@std/log/logger";
import { SocketHandler } from "../handler.ts";
import { loads } from "../pickle.ts";
import { LogReceiver } from "../receiver.ts";

const STAND_IN = new URL("./std_log/", import.meta.url);
const ROOT = new URL("../", import.meta.url);

/** A directory (URL ending with "/") or file in `dir`. */
function inDir(dir: URL, name: string): URL {
  return new URL(name, dir);
}

function lineHere(): number {
  const line = new Error().stack!.split("\n")[2]!;
  return Number(/:(\d+):\d+\)?$/.exec(line)![1]);
}

/** The caller fields of records. */
function callers(records: Record<string, unknown>[]): string[][] {
  return records.map((d) =>
    [d.filename, d.module, d.funcName, d.lineno].map(String)
  );
}

/** A handler with includeCallerInfo sending to a receiver (no overrides). */
async function sendToReceiver(
  log: (handler: SocketHandler) => void,
  count: number,
): Promise<Record<string, unknown>[]> {
  await using receiver = new LogReceiver({ port: 0 });
  await using handler = new SocketHandler("NOTSET", {
    hostname: "127.0.0.1",
    port: receiver.port,
    includeCallerInfo: true,
  });
  log(handler);
  const records = await receiver.next(count, { timeout: 10_000 });
  return records as unknown as Record<string, unknown>[];
}

/** Keeps the frames instead of sending them. */
class Capture extends SocketHandler {
  frames: Uint8Array[] = [];
  constructor() {
    super("NOTSET", { port: 9, includeCallerInfo: true });
  }
  override emit(record: StdLogRecord): void {
    this.frames.push(this.makePickle(record));
  }
  records(): Record<string, unknown>[] {
    return this.frames.map((f) =>
      loads(f.subarray(4)) as Record<string, unknown>
    );
  }
}

/** A fresh temporary directory, as a URL ending with "/". */
async function tempDir(): Promise<URL> {
  const path = await Deno.makeTempDir({ prefix: "caller_" });
  return new URL(`file://${path}/`);
}

/** Copies the stand-in into `dir`/`name`/ and returns that folder's URL. */
async function copyStandIn(dir: URL, name: string): Promise<URL> {
  const to = inDir(dir, name + "/");
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(STAND_IN)) {
    if (entry.isFile) {
      await Deno.copyFile(inDir(STAND_IN, entry.name), inDir(to, entry.name));
    }
  }
  return to;
}

Deno.test("includeCallerInfo reports the call site through the linked @std/log (tests/std_log)", async () => {
  const lines: number[] = [];
  const records = await sendToReceiver((h) => {
    const logger = new Logger("app", "NOTSET", { handlers: [h] });
    function callSite(): void {
      lines.push(lineHere() + 1);
      logger.info("from a function %s", "x", { extra: 1 });
    }
    class Service {
      run(): void {
        lines.push(lineHere() + 1);
        logger.warn("from a method");
      }
    }
    callSite();
    new Service().run();
  }, 2);
  deepEqual(callers(records), [
    ["record_caller_test.ts", "record_caller_test", "callSite", `${lines[0]}`],
    [
      "record_caller_test.ts",
      "record_caller_test",
      "Service.run",
      `${lines[1]}`,
    ],
  ]);
});

Deno.test("includeCallerInfo skips a subclass's overrides (makeRecordDict, emit) and finds a direct handle() call", async () => {
  class Custom extends Capture {
    override makeRecordDict(record: StdLogRecord): Record<string, unknown> {
      const d = super.makeRecordDict(record);
      d.msg = `custom ${d.msg}`;
      return d;
    }
  }
  const h = new Custom();
  try {
    const logger = new Logger("app", "NOTSET", { handlers: [h] });
    const l1 = lineHere() + 1;
    logger.info("through the logger");
    const direct = (): number => {
      const line = lineHere() + 1;
      h.handle(
        new LogRecord({ msg: "m", args: [], level: 20, loggerName: "x" }),
      );
      return line;
    };
    const l2 = direct();
    const [c1, c2] = callers(h.records());
    deepEqual(c1!.slice(2), ["<module>", String(l1)]);
    deepEqual(c2!.slice(2), ["direct", String(l2)]);
    const d = loads(h.frames[0]!.subarray(4)) as Record<string, unknown>;
    equal(d.msg, "custom through the logger");
  } finally {
    await h.close(0);
  }
});

Deno.test("includeCallerInfo reports the call site through a copy of @std/log in a folder of another name", async () => {
  const dir = await tempDir();
  try {
    const copy = await copyStandIn(dir, "third_party/logging");
    const mod = await import(inDir(copy, "logger.ts").href);
    const CopyLogger = mod.Logger as typeof Logger;
    ok(CopyLogger !== Logger);
    const lines: number[] = [];
    const records = await sendToReceiver((h) => {
      const logger = new CopyLogger("app", "NOTSET", { handlers: [h] });
      function callSite(): void {
        lines.push(lineHere() + 1);
        logger.info("from a function");
      }
      class Service {
        run(): void {
          lines.push(lineHere() + 1);
          logger.error("from a method", new Error("e"));
        }
      }
      callSite();
      new Service().run();
    }, 2);
    deepEqual(callers(records), [
      [
        "record_caller_test.ts",
        "record_caller_test",
        "callSite",
        `${lines[0]}`,
      ],
      [
        "record_caller_test.ts",
        "record_caller_test",
        "Service.run",
        `${lines[1]}`,
      ],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("includeCallerInfo and captureCaller() in a process linked to a copy of @std/log in a folder of another name", async () => {
  const dir = await tempDir();
  try {
    const copy = await copyStandIn(dir, "vendor/logging_pkg");
    const copyUrl = copy.href;
    const importMap = {
      imports: {
        "@std/log": copyUrl + "mod.ts",
        "@std/log/base-handler": copyUrl + "base_handler.ts",
        "@std/log/get-logger": copyUrl + "get_logger.ts",
        "@std/log/levels": copyUrl + "levels.ts",
        "@std/log/logger": copyUrl + "logger.ts",
        "@std/log/setup": copyUrl + "setup.ts",
      },
    };
    const importMapFile = inDir(dir, "import_map.json");
    await Deno.writeTextFile(importMapFile, JSON.stringify(importMap));
    const root = ROOT.href;
    const app = `
import * as log from "@std/log";
import { BaseHandler } from "@std/log/base-handler";
import { Logger, type LogRecord } from "@std/log/logger";
import { SocketHandler } from "${root}handler.ts";
import { captureCaller } from "${root}record.ts";
import { LogReceiver } from "${root}receiver.ts";

class Callers extends BaseHandler {
  found: unknown[] = [];
  override handle(_record: LogRecord): void {
    this.found.push(captureCaller(2));
  }
  log(): void {}
}
await using receiver = new LogReceiver({ port: 0 });
await using h = new SocketHandler("INFO", {
  hostname: "127.0.0.1",
  port: receiver.port,
  includeCallerInfo: true,
});
const c = new Callers("INFO");
const logger = new Logger("app", "INFO", { handlers: [h, c] });
function callSite() {
  logger.info("hello");
}
callSite();
log.setup({ handlers: { h }, loggers: { default: { level: "INFO", handlers: ["h"] } } });
function viaDefault() {
  log.info("through the default logger");
}
viaDefault();
const records = await receiver.next(2, { timeout: 10_000 });
console.log(JSON.stringify({ records, captured: c.found }));
log.setup({ handlers: {}, loggers: {} });
`;
    await Deno.mkdir(inDir(dir, "app/"));
    const main = inDir(dir, "app/main.ts");
    await Deno.writeTextFile(main, app);
    const lines = app.split("\n");
    const lineOf = (text: string) =>
      lines.findIndex((l) => l.includes(text)) + 1;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--no-check",
        `--import-map=${importMapFile.href}`,
        "--allow-read",
        "--allow-net=127.0.0.1",
        main.href,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    equal(out.code, 0, stderr);
    const { records, captured } = JSON.parse(
      new TextDecoder().decode(out.stdout),
    ) as {
      records: Record<string, unknown>[];
      captured: Record<string, unknown>[];
    };
    deepEqual(
      records.map((r) => [r.filename, r.funcName, r.lineno]),
      [
        ["main.ts", "callSite", lineOf('logger.info("hello")')],
        ["main.ts", "viaDefault", lineOf("log.info(")],
      ],
    );
    equal(records[0]!.pathname, main.pathname);
    deepEqual(
      captured.map((r) => [r.filename, r.funcName, r.lineno]),
      [["main.ts", "callSite", lineOf('logger.info("hello")')]],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
