// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The forward targets' formats: RFC 5424 field by field (golden strings,
// every facility and severity, timestamps against CPython's own in several
// time zones), RFC 6587 octet counting, hostile records, and NDJSON lines.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { makeLogRecord } from "../receiver/record.ts";
import type { PythonLogRecord } from "../receiver/python_log_record.ts";
import { formatJson } from "../receiver/json_record.ts";
import { PyTuple } from "../pickle/py_types.ts";
import {
  formatSyslog,
  receiverHostname,
  SD_ID,
  syslogFrame,
  type SyslogOptions,
} from "../forward/syslog.ts";
import {
  SYSLOG_FACILITIES,
  syslogFacility,
  syslogSeverity,
} from "../forward/syslog_pri.ts";
import { syslogTimestamp } from "../forward/syslog_time.ts";
import { ndjsonLine } from "../forward/ndjson.ts";
import { parseSyslog, splitFrames, type Syslog } from "./_syslog.ts";

const encoder = new TextEncoder();
const USER: SyslogOptions = { facility: 1, hostname: "recv1" };
const CREATED = 1765021814.123456;
const TS = syslogTimestamp(CREATED);

/** The one frame of a record, checked against the RFCs, parsed. */
function frameOf(record: PythonLogRecord, options = USER): Syslog {
  const bytes = syslogFrame(record, options);
  const { frames, rest } = splitFrames(bytes);
  equal(frames.length, 1);
  equal(rest.length, 0);
  const text = formatSyslog(record, options);
  deepEqual(frames[0], encoder.encode(text));
  return parseSyslog(frames[0]!);
}

Deno.test("syslog golden: a plain INFO record", () => {
  const record = makeLogRecord({
    name: "app.db",
    msg: "connected to %s in %d ms",
    args: new PyTuple(["db1", 12]),
    levelname: "INFO",
    levelno: 20,
    pathname: "/srv/app/db.py",
    filename: "db.py",
    module: "db",
    lineno: 42,
    funcName: "connect",
    created: CREATED,
    thread: 140000000000000,
    threadName: "MainThread",
    processName: "MainProcess",
    process: 4242,
  });
  equal(
    formatSyslog(record, USER),
    `<14>1 ${TS} recv1 app.db 4242 INFO [python@32473 name="app.db" levelname="INFO" pathname="/srv/app/db.py" lineno="42" funcName="connect" thread="140000000000000" threadName="MainThread" process="4242"] connected to db1 in 12 ms`,
  );
  const s = frameOf(record);
  equal(s.pri, 14);
  equal(s.timestamp, TS);
  equal(s.hostname, "recv1");
  equal(s.appName, "app.db");
  equal(s.procId, "4242");
  equal(s.msgId, "INFO");
  equal(s.sd[0]!.id, SD_ID);
  equal(s.msg, "connected to db1 in 12 ms");
});

Deno.test("syslog golden: multi-line non-ASCII message, traceback and stack", () => {
  const record = makeLogRecord({
    name: "Ünïcode.app",
    msg: "première ligne\n  ligne 2 ✓ 😀",
    levelname: "ERROR",
    levelno: 40,
    lineno: 7,
    funcName: "run",
    created: CREATED,
    threadName: "Thread-1 (worker)",
    process: 77,
    exc_text:
      'Traceback (most recent call last):\n  File "a.py"\nValueError: é',
    stack_info: 'Stack (most recent call last):\n  File "b.py"',
    hostname: "web-1.example",
  });
  const local3: SyslogOptions = { facility: 19, hostname: "-" };
  equal(
    formatSyslog(record, local3),
    `<155>1 ${TS} web-1.example _n_code.app 77 ERROR [python@32473 name="Ünïcode.app" levelname="ERROR" pathname="" lineno="7" funcName="run" threadName="Thread-1 (worker)" process="77" hostname="web-1.example"] première ligne\n  ligne 2 ✓ 😀\nTraceback (most recent call last):\n  File "a.py"\nValueError: é\nStack (most recent call last):\n  File "b.py"`,
  );
  const s = frameOf(record, local3);
  equal(s.pri, 19 * 8 + 3);
  equal(s.appName, "_n_code.app");
  deepEqual(s.sd[0]!.params[0], ["name", "Ünïcode.app"]);
  equal(s.msg!.split("\n").length, 7);
});

Deno.test('syslog golden: extras with " \\ ] in names and values', () => {
  const record = makeLogRecord({
    name: "app",
    msg: "extras",
    levelname: "WARNING",
    levelno: 30,
    created: CREATED,
    process: null,
    threadName: null,
    'quote"d': 'say "hi"',
    "back\\slash": "C:\\dir\\",
    "br]acket": "a]b[c",
    "user id": "bob",
    "a=b": 1,
    "": "empty name",
    tags: ["x", "y]"],
    pair: new PyTuple([1, "x"]),
    ratio: 0.5,
    none: null,
    flag: true,
    raw: new Uint8Array([104, 105]),
    "a-very-long-attribute-name-beyond-32-characters": "long",
  });
  equal(
    formatSyslog(record, USER),
    `<12>1 ${TS} recv1 app - WARNING [python@32473 name="app" levelname="WARNING" pathname="" lineno="0" quote_d="say \\"hi\\"" back\\slash="C:\\\\dir\\\\" br_acket="a\\]b[c" user_id="bob" a_b="1" tags="[\\"x\\",\\"y\\]\\"\\]" pair="{\\"$tuple\\":[1,\\"x\\"\\]}" ratio="0.5" none="None" flag="True" raw="b'hi'" a-very-long-attribute-name-beyon="long"] extras`,
  );
  const s = frameOf(record);
  equal(s.procId, "-");
  deepEqual(s.sd[0]!.params.slice(4), [
    ["quote_d", 'say "hi"'],
    ["back\\slash", "C:\\dir\\"],
    ["br_acket", "a]b[c"],
    ["user_id", "bob"],
    ["a_b", "1"],
    ["tags", '["x","y]"]'],
    ["pair", '{"$tuple":[1,"x"]}'],
    ["ratio", "0.5"],
    ["none", "None"],
    ["flag", "True"],
    ["raw", "b'hi'"],
    ["a-very-long-attribute-name-beyon", "long"],
  ]);
});

Deno.test("syslog PRI: every facility and every severity", () => {
  const names = Object.keys(SYSLOG_FACILITIES);
  equal(names.length, 20);
  deepEqual(
    names.map((n) => syslogFacility(n)),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23],
  );
  equal(syslogFacility("LOCAL7"), 23);
  for (let n = 0; n <= 23; n++) {
    equal(syslogFacility(n), n);
    equal(syslogFacility(String(n)), n);
  }
  for (const bad of ["local8", "", "usr", 24, -1, 1.5, "24", null, "1e1"]) {
    equal(syslogFacility(bad), undefined, String(bad));
  }
  const levels: [number | null, number][] = [
    [60, 2],
    [50, 2],
    [49, 3],
    [40, 3],
    [39.5, 4],
    [30, 4],
    [29, 6],
    [25, 6],
    [20, 6],
    [19, 7],
    [10, 7],
    [5, 7],
    [0, 7],
    [-5, 7],
    [null, 7],
  ];
  for (const [levelno, severity] of levels) {
    equal(syslogSeverity(levelno), severity);
  }
  for (let facility = 0; facility <= 23; facility++) {
    for (const [levelno, severity] of levels) {
      const record = makeLogRecord({ name: "a", msg: "m", levelno });
      const s = frameOf(record, { facility, hostname: "-" });
      equal(s.pri, facility * 8 + severity, `${facility} ${levelno}`);
    }
  }
});

Deno.test("syslog TIMESTAMP: microseconds rounded half to even, '-' when not a time", () => {
  const r = makeLogRecord({ name: "a", msg: "m", levelno: 20 });
  for (const created of [NaN, Infinity, -Infinity, 1e300, -1e300, 1e15]) {
    r.created = created;
    equal(syslogTimestamp(created), "-", String(created));
    equal(frameOf(r).timestamp, "-");
  }
  match(syslogTimestamp(0.0000005), /\.000000[+-]/); // 0.5 µs: to even
  match(syslogTimestamp(0.0000015), /\.000002[+-]/); // 1.5 µs: to even
  match(syslogTimestamp(1.9999996), /:02\.000000[+-]/); // carries
  match(
    syslogTimestamp(CREATED),
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.123456[+-]\d\d:\d\d$/,
  );
});

Deno.test("syslog TIMESTAMP: as CPython's datetime.fromtimestamp in several time zones", async () => {
  const times = [
    0,
    1.5,
    -1.5,
    0.0000005,
    1e-7,
    CREATED,
    1765021814.9999996,
    1751371200.25, // July: summer time where there is one
    1711846800.000001, // 2024-03-31 01:00:00 UTC: Europe's change to summer time
    946684799.999999,
    4102444800.5, // 2100
  ];
  const zones = [
    "UTC",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "Europe/Paris",
    "America/Los_Angeles",
  ];
  const forward = new URL("../forward/syslog_time.ts", import.meta.url).href;
  for (const tz of zones) {
    const ours = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { syslogTimestamp } from "${forward}";
        for (const t of ${
          JSON.stringify(times)
        }) console.log(syslogTimestamp(t));`,
      ],
      env: { TZ: tz },
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(ours.code, 0, new TextDecoder().decode(ours.stderr));
    const python = await new Deno.Command("python3", {
      args: [
        "-c",
        `import datetime, sys
for t in ${JSON.stringify(times)}:
    print(datetime.datetime.fromtimestamp(t).astimezone().isoformat(timespec="microseconds"))`,
      ],
      env: { TZ: tz },
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(python.code, 0, new TextDecoder().decode(python.stderr));
    deepEqual(
      new TextDecoder().decode(ours.stdout).trim().split("\n"),
      new TextDecoder().decode(python.stdout).trim().split("\n"),
      tz,
    );
  }
});

Deno.test("syslog HOSTNAME: the record's hostname, else its sender's host, else the receiver's", () => {
  const host = (extra: Record<string, unknown>, fallback = "recv1") =>
    frameOf(
      makeLogRecord({ name: "a", msg: "m", levelno: 20, ...extra }),
      { facility: 1, hostname: fallback },
    ).hostname;
  equal(host({ hostname: "web1" }), "web1");
  equal(host({ hostname: "web1", sender: "h2:12:abcd0123" }), "web1");
  equal(host({ sender: "h2:12:abcd0123" }), "h2");
  equal(host({ hostname: "", sender: "h2:12:abcd0123" }), "h2");
  equal(host({ hostname: 42, sender: "h2:12:abcd0123" }), "h2");
  equal(host({ sender: "12:abcd0123" }), "recv1"); // no host part
  equal(host({ sender: ":12:abcd0123" }), "recv1");
  equal(host({ sender: "a:b:c:d" }), "recv1");
  equal(host({ sender: 7 }), "recv1");
  equal(host({}, "-"), "-");
  equal(host({ hostname: "bad host\n\u00e9\ud800" }), "bad_host___");
  equal(host({ hostname: "h".repeat(300) }), "h".repeat(255));
  // Never asked for: granted or not, no prompt (the test runs with -A or not).
  match(receiverHostname(), /^[\x21-\x7e]{1,255}$/);
});

Deno.test("syslog hostile records still make valid RFC 5424 frames", () => {
  const big = "x".repeat(1024 * 1024);
  const hostile: Record<string, unknown>[] = [
    {
      name: 'a]b"c\\d\u0000e f',
      msg: "nul\u0000 cr\r esc\u001b end",
      levelno: 20,
    },
    { name: 42, msg: "non-str name", levelno: 20 },
    { name: null, msg: null, levelno: "x", levelname: 5 },
    { name: "s", msg: "lone \ud800 surrogate \udfff", levelno: 20 },
    { name: big, msg: big, levelno: 20, exc_text: big, stack_info: big },
    { name: "e", msg: "extras", levelno: 20, "\ud800k": "\udc00v", [big]: big },
    { name: "l", msg: "m", levelno: 20, levelname: "L".repeat(40) + " x" },
    { name: "]".repeat(60), msg: "]", levelno: 20, "]": "]", '"': '"' },
    { name: "p", msg: "m", levelno: 20, process: 2 ** 53 + 2 },
    { name: "n", msg: "nested", levelno: 20, deep: nest(100), cyc: cycle() },
    { name: "many", msg: "m", levelno: 20, ...manyExtras(500) },
    { name: "\n", msg: "\n", levelno: 20, hostname: "\u0000", "\n": "\n" },
  ];
  for (const dict of hostile) {
    const record = makeLogRecord(dict);
    const bytes = syslogFrame(record, USER);
    ok(bytes.length < 8 * 1024 * 1024, `${bytes.length} bytes`);
    const s = frameOf(record);
    ok(s.appName.length <= 48 && s.msgId.length <= 32);
    for (const [name] of s.sd[0]!.params) ok(name.length >= 1);
  }
  // Field by field for a few.
  const s0 = frameOf(makeLogRecord(hostile[0]!));
  equal(s0.appName, 'a]b"c\\d_e_f');
  deepEqual(s0.sd[0]!.params[0], ["name", 'a]b"c\\d\u0000e f']);
  equal(s0.msg, "nul\u0000 cr\r esc\u001b end");
  const s1 = frameOf(makeLogRecord(hostile[1]!));
  equal(s1.appName, "-");
  ok(!s1.sd[0]!.params.some(([n]) => n === "name"));
  const s3 = frameOf(makeLogRecord(hostile[3]!));
  equal(s3.msg, "lone \ufffd surrogate \ufffd");
  const s5 = frameOf(makeLogRecord(hostile[5]!));
  deepEqual(s5.sd[0]!.params.at(-2), ["_k", "\ufffdv"]);
  equal(s5.sd[0]!.params.at(-1)![0], "x".repeat(32));
  const cut = s5.sd[0]!.params.at(-1)![1]; // one text budget per record
  match(cut, /^x+…\[\d+ more characters\]$/);
  ok(cut.length < 1024 * 1024);
  const s6 = frameOf(makeLogRecord(hostile[6]!));
  equal(s6.msgId, "L".repeat(32));
  const s4 = frameOf(makeLogRecord(hostile[4]!));
  equal(s4.appName, "x".repeat(48));
  match(s4.msg!, /…\[\d+ more characters\]/); // one text budget per record
});

function nest(depth: number): unknown {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function cycle(): unknown {
  const a: unknown[] = [1];
  a.push(a);
  return a;
}

function manyExtras(n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) out[`k${i} ]"=`] = `v${i}]"\\`;
  return out;
}

Deno.test("octet counting counts the bytes of multi-byte UTF-8", () => {
  const cases: [string, number][] = [
    ["ascii", 5],
    ["é", 2],
    ["✓", 3],
    ["😀", 4],
    ["\ud800", 3], // a lone surrogate: U+FFFD
    ["a\nb", 3],
  ];
  for (const [msg, bytes] of cases) {
    const record = makeLogRecord({
      name: "a",
      msg,
      levelno: 20,
      created: CREATED,
    });
    const text = formatSyslog(record, USER);
    ok(text.endsWith(" " + msg));
    const frame = syslogFrame(record, USER);
    const space = frame.indexOf(0x20);
    const length = Number(new TextDecoder().decode(frame.subarray(0, space)));
    equal(length, frame.length - space - 1);
    equal(length, encoder.encode(text).length);
    equal(length, text.length - msg.length + bytes, JSON.stringify(msg));
  }
  // Frames one after the other split back exactly.
  const many = ["é", "😀\n", "x"].map((msg) =>
    syslogFrame(makeLogRecord({ name: "a", msg, levelno: 20 }), USER)
  );
  const joined = new Uint8Array(many.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of many) {
    joined.set(f, at);
    at += f.length;
  }
  const { frames, rest } = splitFrames(joined);
  equal(rest.length, 0);
  deepEqual(frames.map((f) => parseSyslog(f).msg), ["é", "😀\n", "x"]);
});

Deno.test("an empty message leaves MSG out", () => {
  const s = frameOf(makeLogRecord({ name: "a", msg: "", levelno: 20 }));
  equal(s.msg, undefined);
});

Deno.test("NDJSON: the CLI's JSON object and a newline, no other newline", () => {
  for (
    const dict of [
      { name: "a", msg: "line\nbreak\u2028sep\r", levelno: 20 },
      {
        name: "b",
        msg: "%s",
        args: new PyTuple([[1, 2]]),
        levelno: 20,
        t: new PyTuple([1]),
      },
      { name: "\ud800", msg: "x", levelno: "bad" },
    ]
  ) {
    const record = makeLogRecord(dict);
    const line = new TextDecoder().decode(ndjsonLine(record));
    equal(line, formatJson(record) + "\n");
    equal(line.indexOf("\n"), line.length - 1);
    ok(!/[\r\u2028]/.test(line));
  }
});

Deno.test("frames are new arrays, whatever their size (the encoder's scratch is not shared)", () => {
  const a = syslogFrame(
    makeLogRecord({ name: "a", msg: "first", levelno: 20 }),
    USER,
  );
  const copy = a.slice();
  const huge = "ü".repeat(600 * 1024); // 1.2 MB of UTF-8: beyond the scratch
  const b = syslogFrame(
    makeLogRecord({ name: "b", msg: huge, levelno: 20 }),
    USER,
  );
  const c = ndjsonLine(makeLogRecord({ name: "c", msg: "third", levelno: 20 }));
  deepEqual(a, copy);
  equal(parseSyslog(splitFrames(b).frames[0]!).msg, huge);
  equal(new TextDecoder().decode(c).endsWith('"message":"third"}\n'), true);
  deepEqual(a, copy);
  // The same second twice, then another: each timestamp is its own.
  equal(syslogTimestamp(CREATED + 0.5).slice(0, 19), TS.slice(0, 19));
  equal(syslogTimestamp(CREATED + 0.5).slice(19, 26), ".623456");
  equal(syslogTimestamp(CREATED + 1).slice(17, 26), "15.123456");
});
