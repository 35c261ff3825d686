// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Records built by record.ts, pickled by pickle.ts (protocol 1, framed), read
// by real CPython receivers: makeLogRecord(pickle.loads(body)), handled by a
// logger whose handler formats every standard field.
import { deepEqual, equal, ok } from "node:assert/strict";
import { BaseHandler } from "@std/log/base-handler";
import { Logger, type LogRecord } from "@std/log/logger";
import {
  type CallerInfo,
  captureCaller,
  fromStdLogRecord,
  recordDict,
} from "../record.ts";
import { percentFormat } from "../text/percent_format.ts";
import { dumpsFrame, PyFloat } from "../pickle.ts";

const T = 1_700_000_000_250;

const FIELDS = "%(asctime)s|%(msecs)d|%(msecs)s|%(relativeCreated)d|" +
  "%(created)f|%(name)s|%(levelname)s|%(levelno)d|%(pathname)s|" +
  "%(filename)s|%(module)s|%(lineno)d|%(funcName)s|%(thread)d|" +
  "%(threadName)s|%(process)d|%(processName)s|%(message)s";

// Works on Python 2.7 and 3.x.
const RECEIVER = `
import sys, pickle, struct, logging, json
FMT = sys.argv[1]
if sys.version_info >= (3, 12):
    FMT += "|%(taskName)s"
inp = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin
data = inp.read()

class H(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self)
        self.out = []
    def emit(self, record):
        try:
            self.out.append(self.format(record))
        except Exception:
            self.handleError(record)

h = H()
h.setFormatter(logging.Formatter(FMT))
root = logging.getLogger()
root.addHandler(h)
root.setLevel(logging.DEBUG)

def tname(v):
    n = type(v).__name__
    return {"long": "int", "unicode": "str"}.get(n, n)

extras = []
types = []
pos = 0
while pos < len(data):
    (size,) = struct.unpack(">L", data[pos:pos + 4])
    d = pickle.loads(data[pos + 4:pos + 4 + size])
    pos += 4 + size
    record = logging.makeLogRecord(d)
    logging.getLogger(record.name).handle(record)
    extras.append(dict((k, d[k]) for k in ("user", "extra_name", "n", "tags") if k in d))
    types.append(dict((k, tname(v)) for k, v in d.items()))

ref = logging.LogRecord("n", 30, "/p/x.py", 1, "m", None, None, "f")
rd = dict(ref.__dict__)
rd["msg"] = ref.getMessage()
rd["args"] = None
rd["exc_info"] = None
rd.pop("message", None)
out = {
    "version": list(sys.version_info[:2]),
    "lines": h.out,
    "extras": extras,
    "types": types,
    "refKeys": list(rd),
    "refTypes": dict((k, tname(v)) for k, v in rd.items()),
}
s = json.dumps(out)
(sys.stdout.buffer if hasattr(sys.stdout, "buffer") else sys.stdout).write(s.encode("ascii") if not isinstance(s, bytes) else s)
`;

class CaptureHandler extends BaseHandler {
  dicts: Record<string, unknown>[] = [];
  callers: (CallerInfo | undefined)[] = [];
  constructor() {
    super("NOTSET");
  }
  override handle(record: LogRecord): void {
    const caller = captureCaller(2);
    this.callers.push(caller);
    this.dicts.push(fromStdLogRecord(record, caller));
  }
  log(): void {}
}

function buildRecords(): Record<string, unknown>[] {
  const h = new CaptureHandler();
  const logger = new Logger("app.std", "NOTSET", { handlers: [h] });
  logger.warn("disk %s at %d%%", "sda", 93, { user: "al" });
  logger.critical("down: %r", "it's");
  const inner = new TypeError("inner");
  const outer = new Error("outer", { cause: inner });
  return [
    recordDict({ name: "app", level: 20, msg: "plain é 😀", timeMs: T }),
    recordDict({
      name: "app.args",
      level: 10,
      msg: "%s has %05.1f%% of %(n)s",
      args: ["disk", 93.25, { n: 7, name: "clash" }, "tail", [1, "x"]],
      extra: { tags: ["a", "b"] },
      timeMs: T + 1,
    }),
    recordDict({
      name: "app.err",
      level: 40,
      msg: "failed: %s",
      args: [outer],
      timeMs: T + 999,
    }),
    recordDict({ name: "app.lvl", level: 5, msg: "trace", timeMs: T }),
    ...h.dicts,
  ];
}

function num(v: unknown): number {
  return v instanceof PyFloat ? v.value : v as number;
}

function expectedLine(d: Record<string, unknown>, taskName: boolean): string {
  const created = num(d.created);
  const iso = new Date(Math.floor(created * 1000)).toISOString();
  const asctime = `${iso.slice(0, 10)} ${iso.slice(11, 19)},${
    String(num(d.msecs)).padStart(3, "0")
  }`;
  let line = [
    asctime,
    num(d.msecs),
    percentFormat("%s", [d.msecs]).text,
    Math.trunc(num(d.relativeCreated)),
    percentFormat("%f", [d.created]).text,
    d.name,
    d.levelname,
    d.levelno,
    d.pathname,
    d.filename,
    d.module,
    d.lineno,
    d.funcName,
    d.thread,
    d.threadName,
    d.process,
    d.processName,
    d.msg,
  ].join("|");
  if (taskName) line += "|None";
  if (d.exc_text !== null) line += "\n" + d.exc_text;
  return line;
}

interface ReceiverOutput {
  version: [number, number];
  lines: string[];
  extras: Record<string, unknown>[];
  types: Record<string, string>[];
  refKeys: string[];
  refTypes: Record<string, string>;
}

async function receive(
  cmd: string,
  env: Record<string, string>,
  frames: Uint8Array,
): Promise<ReceiverOutput> {
  const child = new Deno.Command(cmd, {
    args: ["-c", RECEIVER, FIELDS],
    env: { ...env, TZ: "UTC" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const [, out] = await Promise.all([
    writer.write(frames).then(() => writer.close()),
    child.output(),
  ]);
  const stderr = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, stderr);
  ok(!stderr.includes("Logging error"), stderr);
  ok(!stderr.includes("Traceback"), stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function probe(cmd: string, env: Record<string, string>): boolean {
  try {
    const r = new Deno.Command(cmd, {
      args: ["-c", "import pickle, logging"],
      env,
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return r.success;
  } catch {
    return false;
  }
}

const RECEIVERS: { label: string; cmd: string; env: Record<string, string> }[] =
  [
    { label: "python3", cmd: "python3", env: {} },
    { label: "2.7", cmd: "python2.7", env: { PYENV_VERSION: "2.7.18" } },
    { label: "3.6", cmd: "python3.6", env: { PYENV_VERSION: "3.6.15" } },
    { label: "3.8", cmd: "python3.8", env: { PYENV_VERSION: "3.8.18" } },
    { label: "3.12", cmd: "python3.12", env: { PYENV_VERSION: "3.12.1" } },
    { label: "3.13", cmd: "python3.13", env: { PYENV_VERSION: "3.13.0" } },
  ];

for (const r of RECEIVERS) {
  const available = r.label === "python3" || probe(r.cmd, r.env);
  Deno.test({
    name:
      `recordDict() records format with every standard field on a ${r.label} receiver`,
    ignore: !available,
    async fn() {
      const dicts = buildRecords();
      const frames = dicts.map((d) => dumpsFrame(d, { protocol: 1 }));
      const all = new Uint8Array(frames.reduce((s, f) => s + f.length, 0));
      let off = 0;
      for (const f of frames) {
        all.set(f, off);
        off += f.length;
      }
      const out = await receive(r.cmd, r.env, all);
      const [major, minor] = out.version;
      const taskName = major > 3 || (major === 3 && minor >= 12);
      deepEqual(out.lines, dicts.map((d) => expectedLine(d, taskName)));

      // spot checks of the contents
      const std = dicts[4]!;
      equal(std.levelname, "WARNING");
      equal(std.msg, "disk sda at 93%");
      equal(std.filename, "record_python_test.ts");
      equal(std.funcName, "buildRecords");
      equal(dicts[5]!.levelname, "CRITICAL");
      equal(dicts[5]!.msg, `down: "it's"`);
      equal(dicts[1]!.msg, "disk has 093.2% of 7 tail [1, 'x']");
      equal(dicts[3]!.levelname, "Level 5");
      ok(
        (dicts[2]!.exc_text as string).includes(
          "\nCaused by: TypeError: inner",
        ),
      );
      deepEqual(out.extras[1], { tags: ["a", "b"], n: 7, extra_name: "clash" });
      deepEqual(out.extras[4], { user: "al" });

      // types: every key of a record CPython builds, with the same type
      const mine = out.types[0]!;
      for (const k of out.refKeys) {
        ok(k in mine || (major === 2 && k === "stack_info"), `missing ${k}`);
        if (k in mine) equal(mine[k], out.refTypes[k], `type of ${k}`);
      }
      if (major === 3 && minor >= 12) {
        deepEqual(Object.keys(dicts[0]!), out.refKeys);
      }
    },
  });
}

Deno.test("recordDict() created and msecs match CPython 3.13's ns formulas for millisecond times", async () => {
  const times = [
    0,
    1,
    999,
    1000,
    1_700_000_000_250,
    1_700_000_000_999,
    1_677_903_920_999,
    253_402_300_799_999,
  ];
  for (let i = 0; i < 500; i++) times.push(Math.floor(Math.random() * 4e12));
  const script = `
import sys, json
out = []
for ms in json.loads(sys.stdin.read()):
    ct = ms * 10**6
    created = ct / 1e9
    msecs = (ct % 1_000_000_000) // 1_000_000 + 0.0
    if msecs == 999.0 and int(created) != ct // 1_000_000_000:
        msecs = 0.0
    out.append([repr(ms / 1000), repr(msecs), repr(float(ms))])
print(json.dumps(out))
`;
  const child = new Deno.Command("python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const [, out] = await Promise.all([
    writer.write(new TextEncoder().encode(JSON.stringify(times))).then(() =>
      writer.close()
    ),
    child.output(),
  ]);
  const expected: [string, string, string][] = JSON.parse(
    new TextDecoder().decode(out.stdout),
  );
  for (let i = 0; i < times.length; i++) {
    const d = recordDict({ name: "n", level: 20, msg: "", timeMs: times[i]! });
    const [created, msecs] = expected[i]!;
    equal(
      percentFormat("%r", [d.created]).text,
      created,
      `created ${times[i]}`,
    );
    equal(percentFormat("%r", [d.msecs]).text, msecs, `msecs ${times[i]}`);
  }
});
