// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The CLI's output (issue 12): terminal safety of pretty and %-format output
// against a hostile CPython sender, the lossless JSON schema (round trip of
// values decoded from CPython pickles), fixed logger-name column, and
// rate-limited warnings.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { parseJsonRecord } from "../cli.ts";
import { loads } from "../pickle.ts";
import {
  PyByteArray,
  PyFloat,
  PyFrozenSet,
  PyTuple,
} from "../pickle/py_types.ts";
import { PyObject } from "../pickle/py_object.ts";
import { makeLogRecord } from "../receiver/record.ts";
import { formatJson } from "../receiver/json_record.ts";
import { nameColumn, Pretty, recordFormatter } from "../receiver/format.ts";
import { countText, WarningLines } from "../receiver/warnings.ts";
import { escapeControls, indented } from "../text/terminal_safe.ts";
import { pyRepr, pyStr } from "../text/python_text.ts";
import { readFirstLine } from "./_first_line.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const HOSTILE = new URL("./py/sender_hostile.py", import.meta.url).pathname;

/** Control characters a terminal acts on (newline excepted), and bidi. */
// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const RECORD_LINE = /^\d\d:\d\d:\d\d\.\d{3} /;

async function runCli(args: string[]): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", CLI, "--port", "0", ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const stderr = await readFirstLine(child.stderr);
  const port = stderr.first.match(/:(\d+)$/)?.[1];
  ok(port, stderr.first);
  const sender = await new Deno.Command("python3", {
    args: [HOSTILE, "127.0.0.1", port],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(sender.code, 0, new TextDecoder().decode(sender.stderr));
  const rest = await stderr.rest();
  equal((await child.status).code, 0, rest);
  ok(!UNSAFE.test(rest), `raw control characters on stderr: ${rest}`);
  return await stdout;
}

Deno.test("cli pretty output of a hostile CPython sender is terminal-safe", async () => {
  const out = await runCli(["--format", "pretty", "--count", "4"]);
  ok(!UNSAFE.test(out), `raw control characters in ${JSON.stringify(out)}`);
  const lines = out.trimEnd().split("\n");
  // Exactly the 4 records start lines; every forged line is indented.
  equal(lines.filter((l) => RECORD_LINE.test(l)).length, 4, out);
  for (const l of lines) {
    ok(
      l.startsWith("    ") ||
        RECORD_LINE.test(l) && !l.startsWith("12:00:00.000 INFO fake"),
      `a forged line: ${JSON.stringify(l)}`,
    );
  }
  equal(
    lines.filter((l) => l.startsWith("    12:00:00.000 INFO fake")).length,
    4,
  );
  match(out, /\\x1b\[2J\\x1b\[H\\x1b\]52;c;ZXZpbA==\\x07\\x1b\]0;pwned\\x07/);
  ok(out.includes("over\\rwrite\\x07bell\\x9b31mC1\\x85\\u202egnp.exe\\u202c"));
  ok(out.includes("\\u2066iso\\u2069\\x7fdel\\x00nul\\ttab"));
  // The logger name is escaped, and truncated to the fixed column.
  match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} WARNING {2}….{19} msg \\x1b\[2J/);
  ok(out.includes("\n    12:00:00.000 INFO fake line"));
  ok(out.includes("    ValueError: boom\n    12:00:00.000 INFO fake line"));
  ok(out.includes("LVL\\x1b[5m\\n12:00:00.000 INFO fake line"));
});

Deno.test("cli %-format output of a hostile CPython sender is terminal-safe", async () => {
  const out = await runCli([
    "--format",
    "%(levelname)s %(name)s %(message)s %(evil\x1b]0;k\x07)s",
    "--count",
    "1",
  ]);
  ok(!UNSAFE.test(out), `raw control characters in ${JSON.stringify(out)}`);
  const lines = out.trimEnd().split("\n");
  match(lines[0]!, /^WARNING evil\\x1b\[31m\.name$/);
  for (const l of lines.slice(1)) ok(l.startsWith("    "), l);
  ok(out.includes("\n    12:00:00.000 INFO fake line msg \\x1b[2J"));
});

Deno.test("cli JSON of a hostile CPython sender escapes everything", async () => {
  const out = await runCli(["--format", "json", "--count", "4"]);
  ok(!UNSAFE.test(out));
  const lines = out.trimEnd().split("\n");
  equal(lines.length, 4);
  ok(lines[0]!.includes("\\u202egnp.exe\\u202c\\u2066iso\\u2069\\u007fdel"));
  const r = parseJsonRecord(lines[0]!);
  ok((r.msg as string).startsWith("msg \x1b[2J"));
  ok((r.msg as string).includes("\u202egnp.exe\u202c\u2066iso\u2069\x7fdel"));
  equal(r.plain, 1);
});

Deno.test("escapeControls and indented", () => {
  equal(escapeControls("plain é 😀 \\x1b"), "plain é 😀 \\x1b");
  equal(
    escapeControls("\x1b[2J\r\t\x07\x00\x7f\x80\x9f\u202a\u202e\u2066\u2069"),
    "\\x1b[2J\\r\\t\\x07\\x00\\x7f\\x80\\x9f\\u202a\\u202e\\u2066\\u2069",
  );
  equal(escapeControls("a\nb"), "a\nb");
  equal(indented("a\nb\r\n\nc", "  "), "a\n  b\\r\n  \n  c");
});

Deno.test("pretty: fixed name column, indented lines, only SGR colours", () => {
  equal(nameColumn("app"), "app" + " ".repeat(17));
  equal(nameColumn("a".repeat(20)), "a".repeat(20));
  equal(nameColumn("service.db.pool.worker.x"), "…ce.db.pool.worker.x");
  equal([...nameColumn("x".repeat(30))].length, 20);
  const r = makeLogRecord({
    name: "app",
    msg: "one\n12:00:00.000 INFO fake\x1b[2J",
    levelno: 20,
    levelname: "INFO",
    created: 1,
    exc_text: "Traceback\n  line\x1b]0;t\x07",
    extra_key: "v\nw",
  });
  for (const colour of [false, true]) {
    const text = new Pretty(colour).format(r);
    // deno-lint-ignore no-control-regex
    const stripped = text.replace(/\x1b\[[0-9;]*m/g, "");
    ok(!UNSAFE.test(stripped), JSON.stringify(text));
    if (!colour) equal(stripped, text);
    const lines = stripped.split("\n");
    for (const l of lines.slice(1)) ok(l.startsWith("    "), l);
    match(lines[0]!, / INFO {5}app {18}one$/);
    equal(lines[1], "    12:00:00.000 INFO fake\\x1b[2J");
  }
  const fmt = recordFormatter("%(message)s|%(exc_text)s", false);
  equal(
    fmt(r),
    "one\n    12:00:00.000 INFO fake\\x1b[2J|Traceback\n      line\\x1b]0;t\\x07" +
      "\n    Traceback\n      line\\x1b]0;t\\x07",
  );
});

Deno.test("warning lines are rate limited per kind with counts", () => {
  const out: string[] = [];
  let now = 0;
  const w = new WarningLines((l) => out.push(l), () => now);
  for (let i = 0; i < 8424; i++) w.warn("bad-datagram", `bad ${i}\x1b[2J`);
  w.warn("tls-error", "tls");
  equal(out.length, 11);
  equal(out[0], "bad 0\\x1b[2J");
  equal(out[10], "tls");
  now = 60_000;
  w.warn("bad-datagram", "later");
  equal(out[11], "later (… and 8,414 more since the last one)");
  w.warn("bad-datagram", "x");
  w.flush("warning: ");
  equal(out[12], "warning: bad-datagram: … and 1 more");
  w.flush("warning: ");
  equal(out.length, 13);
  equal(countText(1234567), "1,234,567");
  equal(countText(999), "999");
});

// --- the JSON schema ------------------------------------------------------

const PY_VALUES = `
import pickle, sys, datetime
values = {
  "ints": [0, -1, 7, 2**53 - 1, 2**53, -2**70, 2**100],
  "floats": [1.0, 0.0, -0.0, 2.5, 1e-7, 1e300, float("nan"), float("inf"), float("-inf"), 2.0**60],
  "pair": (1, "x"), "empty_tuple": (), "nested": [(1, [2.0]), {"k": (3,)}],
  "lists": [[], [1, 2]],
  "sets": [set(), {1, 2}, frozenset(), frozenset({"a", 3})],
  "bytes": [b"", b"\\x00\\xffab", bytearray(b"xy"), bytearray()],
  "dicts": [{}, {"a": 1}, {1: "one", (1, 2): 2.0}, {"$bytes": "x"}, {None: 1}],
  "text": "h\\xe9llo \\U0001F600 \\x1b[2J",
  "none": None, "flag": True,
  "obj": datetime.date(2024, 1, 2),
}
for proto in range(0, 6):
  sys.stdout.buffer.write(pickle.dumps(values, proto).hex().encode() + b"\\n")
`;

/** A decoded value with each PyObject as the JSON schema describes it. */
function described(v: unknown): unknown {
  if (v instanceof PyObject) {
    return { $object: v.qualname, repr: pyRepr(v), str: pyStr(v) };
  }
  if (Array.isArray(v)) return v.map(described);
  if (v instanceof PyTuple) return new PyTuple(v.items.map(described));
  if (
    v !== null && typeof v === "object" && !(v instanceof Set) &&
    !(v instanceof Map) && !(v instanceof Uint8Array) &&
    !(v instanceof PyFloat)
  ) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, x] of Object.entries(v)) out[k] = described(x);
    return out;
  }
  return v;
}

Deno.test("JSON round trip of values decoded from CPython pickles", async () => {
  const out = await new Deno.Command("python3", {
    args: ["-c", PY_VALUES],
    stdout: "piped",
  }).output();
  equal(out.code, 0);
  const pickles = new TextDecoder().decode(out.stdout).trim().split("\n");
  equal(pickles.length, 6);
  for (const [proto, hex] of pickles.entries()) {
    const bytes = Uint8Array.from(
      hex.match(/../g)!,
      (h) => parseInt(h, 16),
    );
    const value = loads(bytes, { objects: "inert", exact: true }) as Record<
      string,
      unknown
    >;
    const record = makeLogRecord({
      name: "app",
      msg: "m",
      levelno: 20,
      ...value,
    });
    const line = formatJson(record);
    const back = parseJsonRecord(line);
    for (const key of Object.keys(value)) {
      deepEqual(back[key], described(value[key]), `protocol ${proto}: ${key}`);
    }
    // The distinctions the schema keeps.
    const json = JSON.parse(line);
    deepEqual(json.pair, { $tuple: [1, "x"] });
    deepEqual(json.lists, [[], [1, 2]]);
    deepEqual(json.ints.slice(3), [
      2 ** 53 - 1,
      { $bigint: String(2 ** 53) },
      { $bigint: String(-(2n ** 70n)) },
      { $bigint: String(2n ** 100n) },
    ]);
    deepEqual(json.floats, [
      { $float: "1.0" },
      { $float: "0.0" },
      { $float: "-0.0" },
      2.5,
      1e-7,
      { $float: "1e+300" },
      { $float: "nan" },
      { $float: "inf" },
      { $float: "-inf" },
      { $float: "1.152921504606847e+18" },
    ]);
    deepEqual(json.sets[0], { $set: [] });
    deepEqual(json.sets[2], { $frozenset: [] });
    deepEqual(json.bytes, [
      { $bytes: "" },
      { $bytes: "AP9hYg==" },
      { $bytearray: "eHk=" },
      { $bytearray: "" },
    ]);
    deepEqual(json.dicts[3], { $dict: [["$bytes", "x"]] });
    deepEqual(json.dicts[4], { $dict: [[null, 1]] });
    deepEqual(json.obj, {
      $object: "datetime.date",
      repr: "datetime.date(2024, 1, 2)",
      str: "2024-01-02",
    });
    ok(back.sets instanceof Array && back.sets[3] instanceof PyFrozenSet);
    ok((back.bytes as unknown[])[2] instanceof PyByteArray);
    ok(!((back.bytes as unknown[])[1] instanceof PyByteArray));
  }
});

Deno.test("loads keeps its default output; exact keeps the types apart", () => {
  // pickle.dumps([1.0, frozenset({1}), bytearray(b"a")], 4) via protocol 2
  // constructions and protocol 5 opcodes are covered above; here the
  // default mode on a BINFLOAT and an empty frozenset (protocol 4).
  const p4 = Uint8Array.from([
    0x80,
    0x04,
    0x5d,
    0x94,
    0x28,
    0x47,
    0x3f,
    0xf0,
    0,
    0,
    0,
    0,
    0,
    0,
    0x28,
    0x91,
    0x94,
    0x65,
    0x2e,
  ]);
  const plain = loads(p4) as unknown[];
  equal(plain[0], 1);
  ok(!(plain[1] instanceof PyFrozenSet));
  const exact = loads(p4, { exact: true }) as unknown[];
  deepEqual(exact[0], new PyFloat(1));
  ok(exact[1] instanceof PyFrozenSet);
  equal(pyRepr(exact), "[1.0, frozenset()]");
  throws(() => loads(p4, { exact: 1 as unknown as boolean }), TypeError);
});

Deno.test("a cyclic value does not break the JSON line", () => {
  const list: unknown[] = [1];
  list.push(list);
  const r = makeLogRecord({ name: "a", msg: "m", levelno: 20, cyc: list });
  deepEqual(JSON.parse(formatJson(r)).cyc, [1, { $cycle: "list" }]);
});
