// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Issue 16's acceptance, end to end with a real rsyslogd (tests/_rsyslog.ts;
// `.ci/run` installs rsyslog and rsyslog-gnutls): CPython 3.11's
// SocketHandler → cli.ts --forward syslog+tcp:// (or +tls://) → rsyslog →
// a file, checked field by field; 100,000 records with rsyslog restarted
// mid-stream; TLS with a trusted and with a wrong CA.
import { deepEqual, equal, ok } from "node:assert/strict";
import { startRsyslog } from "./_rsyslog.ts";
import { startCli } from "./_cli_run.ts";

const SENDER = new URL("./py/forward_sender.py", import.meta.url).pathname;

interface Sent {
  levelno: number;
  levelname: string;
  message: string;
  exc_text: string | null;
  created: number;
  lineno: number;
  funcName: string;
  process: number;
  thread: number;
  threadName: string;
  pathname: string;
  user: string | null;
  request_id: number | null;
}

async function python(args: string[]): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: [SENDER, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, stderr);
  return new TextDecoder().decode(out.stdout);
}

/** The CLI on a free port, printing messages only, forwarding to `url`. */
function forwardingCli(url: string, ...more: string[]) {
  return startCli([
    "--port",
    "0",
    "--format",
    "%(message)s",
    "--forward",
    url,
    ...more,
  ]);
}

/** Seconds since the epoch of an RFC 3339 timestamp with microseconds. */
function epochSeconds(rfc3339: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d{6})([+-]\d\d:\d\d|Z)$/.exec(rfc3339);
  ok(m, `a timestamp with microseconds: ${rfc3339}`);
  return Date.parse(`${m[1]}${m[3]}`) / 1000 + Number(m[2]) / 1e6;
}

const SEVERITY: Record<number, number> = { 10: 7, 20: 6, 30: 4, 40: 3, 50: 2 };

Deno.test("rsyslog: CPython SocketHandler → cli --forward syslog+tcp → rsyslog: every field intact", async () => {
  await using rs = await startRsyslog();
  const cli = await forwardingCli(`syslog+tcp://127.0.0.1:${rs.port}`);
  let sent: Sent[];
  try {
    sent = (await python(["127.0.0.1", String(cli.port), "fields"]))
      .trim().split("\n").map((l) => JSON.parse(l));
    equal(sent.length, 5);
    await rs.waitFor(5, 15_000);
  } finally {
    cli.kill("SIGINT");
  }
  const { stderr } = await cli.done();
  ok(
    /forwarded to syslog\+tcp:\/\/.*: 5 sent, 0 dropped, 0 pending/.test(
      stderr,
    ),
    stderr,
  );
  const got = await rs.records();
  equal(got.length, 5);
  for (let i = 0; i < 5; i++) {
    const s = sent[i]!;
    const r = got[i]!;
    equal(r.facility, 1, "facility user");
    equal(r.severity, SEVERITY[s.levelno]);
    equal(r.pri, 8 + SEVERITY[s.levelno]!);
    equal(r.appName, "app.web");
    equal(r.msgId, s.levelname);
    equal(r.procId, String(s.process));
    ok(
      Math.abs(epochSeconds(r.timestamp) - s.created) < 2e-6,
      `${r.timestamp} vs ${s.created}`,
    );
    const expected = s.exc_text === null
      ? s.message
      : `${s.message}\n${s.exc_text}`;
    equal(r.msg, expected);
    const sd = r.sdParsed?.["python@32473"];
    ok(sd, r.structuredData);
    equal(sd.name, "app.web");
    equal(sd.levelname, s.levelname);
    equal(sd.lineno, String(s.lineno));
    equal(sd.funcName, s.funcName);
    equal(sd.process, String(s.process));
    equal(sd.thread, String(s.thread));
    equal(sd.threadName, s.threadName);
    equal(sd.pathname, s.pathname);
    if (s.user !== null) {
      equal(sd.user, s.user);
      equal(sd.request_id, String(s.request_id));
    }
  }
  // The multi-line, non-ASCII one and the quoting one, spelled out.
  equal(got[1]!.msg, "multi\nline é 😀");
  equal(got[2]!.sdParsed!["python@32473"]!.user, 'b"o\\b]');
  ok(got[3]!.msg.includes("ValueError: boom"));
});

Deno.test("rsyslog: 100,000 records with rsyslog restarted mid-stream: none lost, in order", async () => {
  await using rs = await startRsyslog();
  const cli = await forwardingCli(`syslog+tcp://127.0.0.1:${rs.port}`);
  const N = 100_000;
  let restarted = false;
  try {
    const sender = python([
      "127.0.0.1",
      String(cli.port),
      "count",
      String(N),
      "20000",
    ]);
    const deadline = Date.now() + 60_000;
    while ((await rs.count()) < 40_000 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await rs.restart();
    restarted = true;
    equal((await sender).trim(), "DONE");
    const until = Date.now() + 90_000;
    for (;;) {
      const records = await rs.records();
      const seen = new Set(records.map((r) => r.msg));
      if (seen.size >= N || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    cli.kill("SIGINT");
  }
  const { stderr } = await cli.done();
  ok(restarted);
  const msgs = (await rs.records()).map((r) => r.msg);
  const firsts: number[] = [];
  const seen = new Set<string>();
  for (const m of msgs) {
    if (seen.has(m)) continue;
    seen.add(m);
    firsts.push(Number(m.slice(1)));
  }
  const missing = N - seen.size;
  equal(missing, 0, `missing ${missing}; ${stderr.slice(-500)}`);
  // First arrivals in order: the records sent again after the restart
  // (the resend window) come before the ones after them, never after.
  deepEqual(firsts, Array.from({ length: N }, (_, i) => i));
  const duplicates = msgs.length - N;
  console.log(
    `rsyslog restart: ${N} records, 0 lost, ${duplicates} duplicates (records rsyslog had read in the resend window before it stopped)`,
  );
});

Deno.test("rsyslog over TLS: delivered with the trusted CA; with a wrong CA refused, nothing sent in plaintext", async () => {
  await using rs = await startRsyslog({ tls: true });
  const certs = rs.certs!;
  const dir = await Deno.makeTempDir();
  try {
    const ca = `${dir}/ca.pem`;
    const wrong = `${dir}/wrong.pem`;
    await Deno.writeTextFile(ca, certs.ca.cert);
    await Deno.writeTextFile(wrong, certs.wrongCa.cert);
    for (const [file, expected] of [[ca, 5], [wrong, 0]] as const) {
      const cli = await forwardingCli(
        `syslog+tls://127.0.0.1:${rs.port}`,
        "--forward-ca",
        file,
      );
      try {
        await python(["127.0.0.1", String(cli.port), "fields"]);
        if (expected > 0) await rs.waitFor(expected, 15_000);
        else await new Promise((r) => setTimeout(r, 1500));
      } finally {
        cli.kill("SIGINT");
      }
      const { stderr } = await cli.done();
      if (expected === 0) {
        ok(/forwarded to syslog\+tls:\/\/.*: 0 sent/.test(stderr), stderr);
        ok(/certificate|UnknownIssuer|invalid peer/i.test(stderr), stderr);
      }
    }
    // Only the five records of the trusted run arrived; rsyslog's own log
    // shows no plaintext message from the refused one.
    equal((await rs.records()).length, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
