// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * One text budget per record: whatever the record's values share (a
 * pickle's memo) and however often, each output format prints a shared
 * container once and at most `MAX_RECORD_TEXT` of values in all, and a cut
 * says how much it left out. Records are built by `loads(dumps(…))`, so
 * the sharing comes from a real pickle memo.
 *
 * @module
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { dumps, loads, PyFloat, PyTuple } from "../pickle.ts";
import { makeLogRecord } from "../receiver/record.ts";
import { formatJson } from "../receiver/json_record.ts";
import { formatPython, Pretty } from "../receiver/format.ts";
import type { PythonLogRecord } from "../receiver/python_log_record.ts";
import { percentFormat } from "../text/percent_format.ts";
import { pyRepr, pyStr } from "../text/python_text.ts";
import { MAX_RECORD_TEXT, TextBudget } from "../text/text_budget.ts";

const MAX = MAX_RECORD_TEXT;

const BASE = { name: "app", levelno: 20, levelname: "INFO", created: 1 };

/**
 * A record decoded as the CLI decodes it, from the pickle of `dict`: a
 * container referenced several times is one memo entry.
 */
function received(dict: Record<string, unknown>): PythonLogRecord {
  const pickle = dumps({ ...BASE, ...dict }, { protocol: 4 });
  ok(pickle.length < 400_000, `${pickle.length} bytes`);
  return decoded(pickle);
}

function decoded(pickle: Uint8Array): PythonLogRecord {
  return makeLogRecord(loads(pickle, { objects: "inert", exact: true }));
}

/** A value of {@linkcode sharedStr}'s record. */
type Item = string | number | { shared: number };

/**
 * The pickle of a record dict whose `{ shared: n }` values are the str
 * `s`, stored once in the memo (`BINPUT 0`) and then referenced (`BINGET
 * 0`): n > 0 gives a tuple of n references, 0 one reference.
 */
function sharedStr(s: string, fields: Record<string, Item>): Uint8Array {
  const enc = new TextEncoder();
  const out: number[] = [0x80, 0x04];
  const text = (t: string) => {
    const b = enc.encode(t);
    if (b.length < 256) out.push(0x8c, b.length, ...b);
    else {
      out.push(0x58, b.length & 255, (b.length >> 8) & 255, b.length >> 16, 0);
      for (const x of b) out.push(x);
    }
  };
  text(s);
  out.push(0x71, 0, 0x30, 0x7d, 0x28); // BINPUT 0, POP, EMPTY_DICT, MARK
  const all: Record<string, Item> = { ...BASE, ...fields };
  for (const [k, v] of Object.entries(all)) {
    text(k);
    if (typeof v === "string") text(v);
    else if (typeof v === "number") out.push(0x4a, v, 0, 0, 0); // BININT
    else if (v.shared === 0) out.push(0x68, 0); // BINGET 0
    else out.push(0x28, ...new Array(v.shared).fill([0x68, 0]).flat(), 0x74);
  }
  out.push(0x75, 0x2e); // SETITEMS, STOP
  return Uint8Array.from(out);
}

/** A list whose `repr()` is about 100 KB. */
const LIST = Array.from({ length: 16_000 }, (_, i) => i);
const LIST_REPR = pyRepr(LIST);

function count(text: string, what: string): number {
  return text.split(what).length - 1;
}

/** The pretty text without its local time (`HH:MM:SS.mmm `). */
function prettyText(r: PythonLogRecord): string {
  const text = new Pretty(false).format(r);
  match(text, /^\d\d:\d\d:\d\d\.\d{3} /);
  return text.slice(13);
}

Deno.test("1,000 extras sharing one 100 KB list: expanded once, then markers, in every format", () => {
  ok(LIST_REPR.length > 100_000);
  const extras: Record<string, unknown> = {};
  for (let i = 0; i < 1000; i++) extras[`e${i}`] = LIST;
  const r = received({ msg: "fan-out", ...extras });

  const json = formatJson(r);
  ok(json.length < MAX, `json: ${json.length}`);
  equal(count(json, '{"$shared":"list"}'), 999);
  const line = JSON.parse(json);
  deepEqual(line.e0, LIST);
  deepEqual(line.e999, { $shared: "list" });

  const pretty = prettyText(r);
  ok(pretty.length < MAX, `pretty: ${pretty.length}`);
  const lines = pretty.split("\n");
  equal(lines[0], "INFO     app                  fan-out");
  equal(lines[1], "    e0=" + LIST_REPR);
  equal(lines[1000], "    e999=<shared list>");
  equal(count(pretty, "<shared list>"), 999);

  const fmt = formatPython("%(e0)s %(e1)s %(e999)r %(message)s", r);
  equal(fmt, LIST_REPR + " <shared list> <shared list> fan-out");
});

Deno.test("args repeating a shared list: the message expands it once", () => {
  const r = received({
    msg: "%s|".repeat(1000),
    args: new PyTuple(new Array(1000).fill(LIST)),
    x: LIST,
  });
  const message = LIST_REPR + "|" + "<shared list>|".repeat(999);
  equal(r.getMessage(), message);
  deepEqual(r.problems, []);

  const pretty = prettyText(r);
  ok(pretty.length < MAX, `pretty: ${pretty.length}`);
  equal(
    pretty,
    "INFO     app                  " + message + "\n    x=<shared list>",
  );

  // JSON: `args` (written first) expands the list; `message` is text of its
  // own beside it, also expanding it once.
  const json = formatJson(r);
  ok(json.length < MAX, `json: ${json.length}`);
  const line = JSON.parse(json);
  deepEqual(line.args.$tuple[0], LIST);
  deepEqual(line.args.$tuple[999], { $shared: "list" });
  deepEqual(line.x, { $shared: "list" });
  equal(line.message, message);

  // %-format: in the order written.
  equal(formatPython("%(x)s %(x)s", r), LIST_REPR + " <shared list>");
  const both = formatPython("%(x)s %(message)s", r);
  equal(both, LIST_REPR + " <shared list>|" + "<shared list>|".repeat(999));
});

Deno.test("args repeating a shared 100 KB string: the message stops at the bound and says so", () => {
  const s = "y".repeat(100_000);
  const pickle = sharedStr(s, {
    msg: "%s|".repeat(1000),
    args: { shared: 1000 },
  });
  ok(pickle.length < 110_000, `${pickle.length} bytes`);
  const r = decoded(pickle);
  // Ten strings and their "|" fit (100,001 each); the eleventh is cut, and
  // a last "…" marks the rest of the message left out.
  const room = MAX - 10 * 100_001;
  const message = (s + "|").repeat(10) + "y".repeat(room) +
    `…[${100_000 - room} more characters]…`;
  equal(r.getMessage(), message);
  deepEqual(r.problems, []);
  equal(formatPython("%(message)s", r), message);
  const pretty = prettyText(r);
  ok(pretty.length < MAX + 100, `pretty: ${pretty.length}`);
  const json = formatJson(r);
  ok(json.length < MAX + 10_000, `json: ${json.length}`);
  // `args` (written first) spent the budget: the message's first value is
  // cut whole, and "…" marks the rest.
  equal(JSON.parse(json).message, "…[100000 more characters]…");
});

Deno.test("1,000 extras sharing one 100 KB string: the bound holds in every format", () => {
  const s = "z".repeat(100_000);
  const extras: Record<string, Item> = {};
  for (let i = 0; i < 1000; i++) extras[`e${i}`] = { shared: 0 };
  const pickle = sharedStr(s, { msg: "m", ...extras });
  ok(pickle.length < 110_000, `${pickle.length} bytes`);
  const r = decoded(pickle);
  const pretty = prettyText(r);
  // One marker per extra once the budget is spent.
  ok(pretty.length < MAX + 1000 * 40, `pretty: ${pretty.length}`);
  match(pretty, /\n {4}e10='z+…\[\d+ more characters\]'\n/);
  match(pretty, /\n {4}e999='…\[100000 more characters\]'$/);
  const json = formatJson(r);
  ok(json.length < MAX + 1000 * 40, `json: ${json.length}`);
  const line = JSON.parse(json);
  equal(line.e0, s);
  equal(line.e999, "…[100000 more characters]");
  const fmt = formatPython("%(e0)s".repeat(1000), r);
  ok(fmt.length <= MAX + 30, `%-format: ${fmt.length}`);
  match(fmt, /z…\[\d+ more characters\]…$/);
});

Deno.test("a string over the bound is cut with the exact …[N more characters]", () => {
  const long = "x".repeat(MAX + 100);
  const r = makeLogRecord({ ...BASE, msg: long, funcName: "f" });
  equal(r.getMessage(), "x".repeat(MAX) + "…[100 more characters]");
  equal(
    formatPython("%(message)s", r),
    "x".repeat(MAX) + "…[100 more characters]",
  );
  // pretty: the level name ("INFO") is written first.
  equal(
    prettyText(r),
    "INFO     app                  " + "x".repeat(MAX - 4) +
      "…[104 more characters]",
  );
  // JSON: the short fields first, then `msg` is cut, and `message` is left
  // with nothing.
  const line = JSON.parse(formatJson(r));
  equal(line.levelname, "INFO");
  equal(line.funcName, "f");
  const [, kept, more] = /^(x+)…\[(\d+) more characters\]$/.exec(line.msg)!;
  equal(kept!.length + Number(more), MAX + 100);
  ok(kept!.length > MAX - 1000);
  equal(line.message, `…[${MAX + 100} more characters]`);
  // A value on its own: repr() cuts inside the quotes.
  equal(
    pyRepr(long),
    "'" + "x".repeat(MAX - 2) + "…[102 more characters]'",
  );
  equal(pyStr(long), long); // str() of a str is itself
  equal(pyStr(long, new TextBudget()), r.getMessage());
});

Deno.test("a surrogate pair is never split by a cut", () => {
  const b = new TextBudget(3);
  equal(b.cut("ab\u{1f600}c"), "ab…[3 more characters]");
  equal(
    new TextBudget(4).cut("ab\u{1f600}c"),
    "ab\u{1f600}…[1 more characters]",
  );
});

Deno.test("containers cut at the bound: … in Python text, $omitted in JSON", () => {
  const big = Array.from({ length: 300_000 }, (_, i) => i);
  const r = makeLogRecord({ ...BASE, msg: "m", big, after: [1, 2] });
  const pretty = prettyText(r);
  ok(pretty.length < MAX + 100, `pretty: ${pretty.length}`);
  match(pretty, /\n {4}big=\[0, 1, 2, [\d, ]+…\n {4}after=…$/);
  const line = JSON.parse(formatJson(r));
  const omitted = line.big.at(-1).$omitted;
  ok(omitted > 0);
  equal(line.big.length - 1 + omitted, 300_000);
  deepEqual(line.after, [{ $omitted: 2 }]);
});

Deno.test("JSON writes an int or bytes whole while the budget lasts, then $omitted", () => {
  const bytes = new Uint8Array(MAX);
  const huge = 7n ** 6000n; // beyond 4,300 digits: hexadecimal
  const r = makeLogRecord({
    ...BASE,
    msg: "m",
    a: bytes,
    b: huge,
    c: bytes,
    d: huge,
  });
  const line = JSON.parse(formatJson(r));
  equal(line.a.$bytes.length, Math.ceil(MAX / 3) * 4);
  deepEqual(line.b, { $omitted: 1 });
  deepEqual(line.c, { $omitted: 1 });
  deepEqual(line.d, { $omitted: 1 });
  const first = JSON.parse(formatJson(makeLogRecord({ ...BASE, d: huge })));
  equal(first.d.$bigint, "0x" + huge.toString(16));
});

Deno.test("a small record renders as before, in every format", () => {
  const r = () =>
    makeLogRecord({
      name: "app.db",
      msg: "user %s has %d items: %r",
      args: new PyTuple(["alice", 3, ["a", 1.5, null]]),
      levelname: "INFO",
      levelno: 20,
      pathname: "/srv/app/db.py",
      filename: "db.py",
      module: "db",
      lineno: 42,
      funcName: "login",
      created: 1767600000.25,
      msecs: 250,
      relativeCreated: 12.5,
      thread: 140001,
      threadName: "MainThread",
      processName: "MainProcess",
      process: 4242,
      taskName: null,
      request_id: 1001,
      tags: new Set(["x"]),
      when: new PyFloat(2),
    });
  equal(
    formatJson(r()),
    '{"name":"app.db","msg":"user %s has %d items: %r","args":{"$tuple":["alice",3,["a",1.5,null]]},"levelname":"INFO","levelno":20,"pathname":"/srv/app/db.py","filename":"db.py","module":"db","exc_info":null,"exc_text":null,"stack_info":null,"lineno":42,"funcName":"login","created":1767600000.25,"msecs":250,"relativeCreated":12.5,"thread":140001,"threadName":"MainThread","processName":"MainProcess","process":4242,"taskName":null,"request_id":1001,"tags":{"$set":["x"]},"when":{"$float":"2.0"},"message":"user alice has 3 items: [\'a\', 1.5, None]"}',
  );
  equal(
    prettyText(r()),
    "INFO     app.db               user alice has 3 items: ['a', 1.5, None]\n" +
      "    request_id=1001\n    tags={'x'}\n    when=2.0",
  );
  equal(
    formatPython("%(levelname)s %(name)s %(tags)r %(when)s: %(message)s", r()),
    "INFO app.db {'x'} 2.0: user alice has 3 items: ['a', 1.5, None]",
  );
});

Deno.test("percentFormat without a budget is unchanged; with one, arguments are still counted", () => {
  const s = "w".repeat(MAX);
  equal(percentFormat("%s%s", [s, s]).text.length, 2 * MAX);
  const b = new TextBudget(10);
  deepEqual(percentFormat("%s %d %s", ["abcdefgh", 42, "q"], undefined, b), {
    text: "abcdefgh 4…",
    used: 3,
  });
});
