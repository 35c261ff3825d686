// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Interop: CPython's own logging.handlers.SocketHandler (python3 and every
// installed one of 2.7, 3.6, 3.8, 3.12, 3.13) → LogReceiver, and malicious
// pickles written by CPython.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  type ConnectionInfo,
  LogReceiver,
  type PythonLogRecord,
  type ReceiverError,
  STANDARD_FIELDS,
} from "../receiver.ts";
import { PyTuple } from "../pickle/py_types.ts";
import { PyObject } from "../pickle/py_object.ts";
import { type Python, pythons } from "./_py_receiver.ts";

const { available, missing } = pythons();
if (missing.length) {
  console.log(`receiver interop: skipping absent CPython versions: ${missing}`);
}
const python3 = available.find((p) => p.cmd === "python3")!;
const SENDER = new URL("./py/sender_socket_handler.py", import.meta.url)
  .pathname;
const EVIL = new URL("./py/recv_evil.py", import.meta.url).pathname;

interface Sent {
  sent: Record<string, unknown>;
  formatted: string | null;
}

async function runPython(
  py: Python,
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  const out = await new Deno.Command(py.cmd, {
    args,
    env: py.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    code: out.code,
  };
}

function parseSent(stdout: string): Sent[] {
  const lines = stdout.split("\n").filter((l) => l.trim());
  equal(lines.at(-1), "DONE", stdout);
  return lines.slice(0, -1).map((l) => JSON.parse(l));
}

/** Received values in the sender's JSON shape (see sender_socket_handler.py). */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") {
    return Math.abs(Number(v)) > 2 ** 53
      ? { $bigint: v.toString() }
      : Number(v);
  }
  if (v instanceof PyTuple) return v.items.map(plain);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return { $bytes: [...v] };
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

/** Asserts that every sent key arrived with the same value. */
function assertIntact(record: PythonLogRecord, sent: Record<string, unknown>) {
  const r = record as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(sent)) {
    const got = STANDARD_FIELDS.includes(key) ? r[key] : record.extra[key];
    deepEqual(plain(got), value, `field '${key}'`);
  }
  for (const key of Object.keys(record.extra)) {
    ok(key in sent, `unexpected extra '${key}'`);
  }
  deepEqual(record.problems, []);
}

for (const py of available) {
  Deno.test(`LogReceiver receives CPython ${py.label} SocketHandler records intact`, async () => {
    const errors: string[] = [];
    await using receiver = new LogReceiver({
      port: 0,
      onError: (e) => errors.push(e.message),
    });
    const run = await runPython(py, [SENDER, "127.0.0.1", `${receiver.port}`]);
    equal(run.code, 0, run.stderr);
    equal(run.stderr, "");
    const sent = parseSent(run.stdout);
    const hasStack = !py.label.startsWith("2.7");
    equal(sent.length, hasStack ? 7 : 6);
    const records = await receiver.next(sent.length, { timeout: 10_000 });
    for (let i = 0; i < sent.length; i++) {
      assertIntact(records[i]!, sent[i]!.sent);
    }
    const [debug, info, warning, exception] = records;
    equal(debug!.getMessage(), "debug 1");
    equal(debug!.levelname, "DEBUG");
    equal(info!.getMessage(), "hello world");
    equal(info!.name, "interop.sender");
    equal(info!.module, "sender_socket_handler");
    equal(typeof info!.lineno, "number");
    ok(info!.created > 1e9);
    // Integral since 3.11 (gh-89047); fractional before.
    ok(info!.msecs >= 0 && info!.msecs < 1000);
    equal(info!.msecs, sent[1]!.sent.msecs);
    equal(warning!.getMessage(), "unicode héllo 😀");
    deepEqual({ ...warning!.extra }, {
      user: "bob",
      request_id: 42,
      tags: ["a", "b"],
    });
    equal(exception!.getMessage(), "failed op");
    match(exception!.exc_text ?? "", /^Traceback \(most recent call last\):/);
    match(exception!.exc_text ?? "", /ZeroDivisionError/);
    match(exception!.exc_text ?? "", /in fail/);
    if (hasStack) {
      match(records[4]!.stack_info ?? "", /^Stack \(most recent call last\):/);
    }
    const types = records.at(-2)!;
    equal(types.getMessage(), "types");
    equal(types.extra.big, 2n ** 70n);
    equal(types.extra.neg, -7);
    equal(types.extra.flag, true);
    deepEqual(types.extra.pair, new PyTuple([1, "x"]));
    const custom = records.at(-1)!;
    equal(custom.levelno, 25);
    equal(custom.levelname, "Level 25");
    equal(custom.getMessage(), "custom level 25%");
    if (py.label.startsWith("3.12") || py.label.startsWith("3.13")) {
      ok("taskName" in sent[0]!.sent);
      equal(info!.taskName, null);
    }
    deepEqual(errors, []);
    const stats = receiver.stats();
    equal(stats.records, sent.length);
    equal(stats.errors, 0);
    equal(stats.connectionsTotal, 1);
  });
}

Deno.test("LogReceiver receives CPython SocketHandler records over a Unix socket", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/log.sock`;
  try {
    await using receiver = new LogReceiver({ path });
    equal(receiver.addr.transport, "unix");
    equal(receiver.port, 0);
    const run = await runPython(python3, [SENDER, "-", "0", "--unix", path]);
    equal(run.code, 0, run.stderr);
    const sent = parseSent(run.stdout);
    const records = await receiver.next(sent.length, { timeout: 10_000 });
    for (let i = 0; i < sent.length; i++) {
      assertIntact(records[i]!, sent[i]!.sent);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LogReceiver reports mistyped fields from CPython and keeps the connection", async () => {
  const errors: ReceiverError[] = [];
  await using receiver = new LogReceiver({
    port: 0,
    onError: (e) => errors.push(e),
  });
  const run = await runPython(python3, [
    SENDER,
    "127.0.0.1",
    `${receiver.port}`,
    "--mode",
    "mistyped",
  ]);
  equal(run.code, 0, run.stderr);
  const sent = parseSent(run.stdout);
  equal(sent.length, 6);
  const records = await receiver.next(6, { timeout: 10_000 });
  deepEqual(records.map((r) => r.extra.seq), [1, 2, 3, 4, 5, 6]);
  deepEqual(records.map((r) => r.getMessage()), [
    "first",
    "levelno str",
    "created str",
    "name int",
    "lineno None",
    "after",
  ]);
  deepEqual(records[0]!.problems, []);
  deepEqual(records[1]!.problems, [
    "'levelno' must be an int or float: got str 'x'",
  ]);
  equal(records[1]!.levelno, null);
  deepEqual(records[2]!.problems, [
    "'created' must be a finite int or float: got str 'yesterday'",
  ]);
  equal(typeof records[2]!.created, "number");
  deepEqual(records[3]!.problems, ["'name' must be a str or None: got int 42"]);
  equal(records[3]!.name, null);
  deepEqual(records[4]!.problems, [
    "'lineno' must be an int: got NoneType None",
  ]);
  equal(records[4]!.lineno, 0);
  deepEqual(records[5]!.problems, []);
  equal(errors.length, 4);
  ok(errors.every((e) => e.kind === "invalid-record"));
  const stats = receiver.stats();
  equal(stats.connectionsTotal, 1);
  equal(stats.invalidRecords, 4);
  equal(stats.records, 6);
});

Deno.test("LogReceiver never executes malicious pickles written by CPython", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Self-test: CPython's own pickle.loads does run the payload.
    const proof = `${dir}/proof`;
    const selftest = await runPython(python3, [EVIL, proof, "--selftest"]);
    equal(selftest.code, 0, selftest.stderr);
    ok((await Deno.stat(proof)).isFile, "payload did not run under CPython");

    const marker = `${dir}/marker`;
    const run = await runPython(python3, [EVIL, marker]);
    equal(run.code, 0, run.stderr);
    const payloads: { name: string; hex: string }[] = run.stdout.trim()
      .split("\n").map((l) => JSON.parse(l));
    ok(payloads.length >= 10);

    const closed: [ConnectionInfo, string][] = [];
    const errors: ReceiverError[] = [];
    await using receiver = new LogReceiver({
      port: 0,
      onClose: (c, reason) => closed.push([c, reason]),
      onError: (e) => errors.push(e),
    });
    // A well-behaved connection stays open throughout.
    using good = await Deno.connect({ port: receiver.port });
    await good.write(frameOf(goodRecord(0)));
    await receiver.next(1);
    // Each payload decodes into inert placeholders: nothing is imported or
    // called, the connection stays open, and a record follows it.
    for (const { name, hex } of payloads) {
      const body = Uint8Array.from(
        hex.match(/../g)!.map((h) => parseInt(h, 16)),
      );
      using conn = await Deno.connect({ port: receiver.port });
      await conn.write(frame(body));
      await conn.write(frameOf(goodRecord(2)));
      const [evil, next] = await receiver.next(2);
      equal(next!.getMessage(), "good 2", name);
      if (name.startsWith("record-with-evil-extra")) {
        const v = evil!.extra.evil;
        ok(v instanceof PyObject, name);
        equal(v.name, "system");
        ok(["posix", "os", "nt"].includes(v.module), v.module);
        equal(v.args[0], `touch ${marker}`);
        deepEqual(evil!.problems, []);
      } else {
        match(evil!.problems.join(), /Record must be a dict/, name);
      }
    }
    await good.write(frameOf(goodRecord(1)));
    const [after] = await receiver.next(1);
    equal(after!.getMessage(), "good 1");
    deepEqual(closed.filter(([, r]) => r !== "eof"), []);
    equal(receiver.stats().framesRefused, 0);
    ok(errors.every((e) => e.kind === "invalid-record"));
    let executed = true;
    try {
      await Deno.stat(marker);
    } catch (e) {
      ok(e instanceof Deno.errors.NotFound);
      executed = false;
    }
    equal(executed, false, "a malicious pickle was executed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/** pickle.dumps({'name': 'good', 'msg': 'good N', 'levelno': 20}, 1) by hand. */
function goodRecord(n: number): Uint8Array {
  const enc = new TextEncoder();
  const parts: number[] = [0x7d, 0x28]; // EMPTY_DICT MARK
  const str = (s: string) => {
    const b = enc.encode(s);
    parts.push(0x58, b.length, 0, 0, 0, ...b);
  };
  str("name");
  str("good");
  str("msg");
  str(`good ${n}`);
  str("levelno");
  parts.push(0x4b, 20); // BININT1
  parts.push(0x75, 0x2e); // SETITEMS STOP
  return Uint8Array.from(parts);
}

function frameOf(body: Uint8Array): Uint8Array {
  return frame(body);
}
