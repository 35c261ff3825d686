// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import dgram from "node:dgram";
import { rawReceiver } from "./_udp_receiver.ts";
import { LogRecord } from "@std/log/logger";
import {
  DatagramHandler,
  MAX_DATAGRAM_BYTES_IPV4,
  MAX_DATAGRAM_BYTES_IPV6,
} from "../datagram.ts";
import type { EngineStats } from "../socket.ts";
import { SocketHandler } from "../handler.ts";
import type { DatagramConnection } from "../transport/datagram.ts";
import { loads } from "../pickle/decoder.ts";
import { LogReceiver } from "../receiver.ts";
import { pythonAvailable } from "./_python.ts";
import { startPy } from "./_py_lines.ts";
import { startCli } from "./_cli_run.ts";

const UDP_RECEIVER = new URL("./py/udp_receiver.py", import.meta.url).pathname;

if (!pythonAvailable()) {
  throw new Error("Cannot run the datagram tests: python3 is not installed");
}

function record(msg: string, args: unknown[] = [], level = 20, name = "udp") {
  return new LogRecord({
    msg,
    args,
    level: level as LogRecord["level"] as 20,
    loggerName: name,
  });
}

Deno.test("DatagramHandler is a SocketHandler with another makeSocket and send, the same bytes as makePickle", async () => {
  const rx = await rawReceiver(4);
  const calls: string[] = [];
  class Counted extends DatagramHandler {
    override makeSocket(signal?: AbortSignal): Promise<DatagramConnection> {
      calls.push("makeSocket");
      return super.makeSocket(signal);
    }
    override send(data: Uint8Array, conn?: DatagramConnection) {
      calls.push(`send ${data.length}`);
      return super.send(data, conn);
    }
  }
  const h = new Counted("DEBUG", { hostname: "127.0.0.1", port: rx.port });
  ok(h instanceof SocketHandler);
  equal(h.port, rx.port);
  equal(h.path, undefined);
  const first = record("one %d", [1]);
  const expected = [...h.makePickle(first)];
  try {
    h.handle(first);
    h.handle(record("two"));
    await h.flush(5000);
    await rx.waitFor(2);
  } finally {
    await h.close();
    await rx.close();
  }
  // One socket; one datagram per record, never coalesced.
  deepEqual(calls, [
    "makeSocket",
    `send ${rx.got[0]!.length}`,
    `send ${rx.got[1]!.length}`,
  ]);
  deepEqual([...rx.got[0]!], expected);
  equal((loads(rx.got[1]!.subarray(4)) as { msg: string }).msg, "two");
  equal(h.stats().sent, 2);
});

Deno.test("DatagramHandler validates options and rejects Unix datagram paths", () => {
  throws(
    () => new DatagramHandler("INFO", { path: "/tmp/log.sock" }),
    /'path' is not supported: Unix datagram sockets need Deno\.listenDatagram, which is unstable/,
  );
  throws(() => new DatagramHandler("INFO", { port: 0 }), RangeError);
  throws(
    () => new DatagramHandler("INFO", { maxDatagramBytes: 65508 }),
    /'maxDatagramBytes' must be an integer from 5 to 65507/,
  );
  throws(
    // deno-lint-ignore no-explicit-any
    () => new DatagramHandler("INFO", { family: 5 as any }),
    TypeError,
  );
  const h6 = new DatagramHandler("INFO", { hostname: "::1" });
  equal(h6.family, 6);
  equal(h6.maxDatagramBytes, MAX_DATAGRAM_BYTES_IPV6);
  const h4 = new DatagramHandler("INFO");
  equal(h4.family, 4);
  equal(h4.port, 9021);
  equal(h4.maxDatagramBytes, MAX_DATAGRAM_BYTES_IPV4);
});

Deno.test("DatagramHandler sends one length-prefixed pickle per datagram (IPv4)", async () => {
  const rx = await rawReceiver(4);
  const h = new DatagramHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: rx.port,
  });
  try {
    h.handle(record("a %d", [1]));
    h.handle(record("b"));
    equal((await h.flush(5000)).timedOut, false);
    await rx.waitFor(2);
  } finally {
    await h.close();
    await rx.close();
  }
  for (const [i, d] of rx.got.entries()) {
    const len = new DataView(d.buffer, d.byteOffset).getUint32(0);
    equal(len, d.length - 4, "prefix = datagram length - 4");
    deepEqual([...d.subarray(4, 8)], [0x7d, 0x71, 0x00, 0x28]);
    const dict = loads(d.subarray(4)) as Record<string, unknown>;
    equal(dict.msg, i === 0 ? "a 1" : "b");
    equal(dict.args, null);
  }
  const s = h.stats();
  equal(s.sent, 2);
  equal(s.emitted, 2);
  equal(s.sentBytes, rx.got[0]!.length + rx.got[1]!.length);
  equal(s.state, "closed");
});

for (const family of [4, 6] as const) {
  Deno.test(`DatagramHandler → CPython UDP receiver over IPv${family} (python3)`, async () => {
    const py = await startPy(UDP_RECEIVER, ["3", String(family), "2000"]);
    const port = Number(py.first.slice(5));
    const h = new DatagramHandler("DEBUG", {
      hostname: family === 6 ? "::1" : "127.0.0.1",
      port,
    });
    try {
      h.handle(record("hello %s", ["udp", { user: "bob" }]));
      h.handle(record("second", [], 30, "app.db"));
      h.handle(record("é ✓ 𝄞", [], 40));
      equal((await h.flush(5000)).timedOut, false);
    } finally {
      await h.close();
    }
    const { lines, stderr } = await py.done();
    deepEqual(lines, [
      "REC udp|INFO|20|hello udp|bob",
      "REC app.db|WARNING|30|second|-",
      "REC udp|ERROR|40|é ✓ 𝄞|-",
    ]);
    equal(stderr, "");
    equal(h.stats().sent, 3);
  });
}

Deno.test({
  name: "DatagramHandler → CPython 3.13 UDP receiver",
  ignore: !pythonAvailable("3.13.0"),
  fn: async () => {
    const py = await startPy(UDP_RECEIVER, ["1", "4", "2000"], "3.13.0");
    const port = Number(py.first.slice(5));
    const h = new DatagramHandler("DEBUG", { hostname: "127.0.0.1", port });
    try {
      h.handle(record("from %s", ["deno", { user: "u" }]));
      await h.flush(5000);
    } finally {
      await h.close();
    }
    const { lines, stderr } = await py.done();
    deepEqual(lines, ["REC udp|INFO|20|from deno|u"]);
    equal(stderr, "");
  },
});

Deno.test("DatagramHandler drops an oversize record with reason, never sends it truncated", async () => {
  const py = await startPy(UDP_RECEIVER, ["3", "4", "700"]);
  const port = Number(py.first.slice(5));
  const seen: { message: string; kind: string }[] = [];
  const h = new DatagramHandler("DEBUG", {
    hostname: "127.0.0.1",
    port,
    onError: (e, kind) => seen.push({ message: e.message, kind }),
  });
  // Find the largest message that fits, and one byte more.
  const base = h.makePickle(record("")).length;
  const fits = "x".repeat(MAX_DATAGRAM_BYTES_IPV4 - base);
  equal(h.makePickle(record(fits)).length, MAX_DATAGRAM_BYTES_IPV4);
  try {
    h.handle(record("before"));
    h.handle(record(fits + "y"));
    h.handle(record(fits));
    await h.flush(5000);
  } finally {
    await h.close();
  }
  const { lines } = await py.done();
  equal(lines.length, 2);
  equal(lines[0], "REC udp|INFO|20|before|-");
  equal(lines[1], `REC udp|INFO|20|${fits}|-`);
  const s = h.stats();
  equal(s.emitted, 3);
  equal(s.sent, 2);
  equal(s.dropped, 1);
  equal(s.droppedByReason.oversize, 1);
  equal(seen.length, 1);
  equal(seen[0]!.kind, "oversize");
  match(
    seen[0]!.message,
    /65508 bytes exceed 'maxDatagramBytes' \(65507\); the record is dropped, not truncated/,
  );
});

Deno.test("DatagramHandler maxDatagramBytes lowers the limit; IPv6 allows 65527", async () => {
  const rx = await rawReceiver(6);
  const h = new DatagramHandler("DEBUG", {
    hostname: "::1",
    port: rx.port,
  });
  const small = new DatagramHandler("DEBUG", {
    hostname: "::1",
    port: rx.port,
    maxDatagramBytes: 1472,
    onError: () => {},
  });
  try {
    const base = h.makePickle(record("")).length;
    h.handle(record("z".repeat(MAX_DATAGRAM_BYTES_IPV6 - base)));
    small.handle(record("z".repeat(2000)));
    small.handle(record("short"));
    await h.flush(5000);
    await small.flush(5000);
    await rx.waitFor(2);
  } finally {
    await h.close();
    await small.close();
    await rx.close();
  }
  deepEqual(
    rx.got.map((d) => d.length).sort((a, b) => b - a)[0],
    MAX_DATAGRAM_BYTES_IPV6,
  );
  equal(small.stats().droppedByReason.oversize, 1);
  equal(small.stats().sent, 1);
});

Deno.test("DatagramHandler counts records handled after close as dropped (closed)", async () => {
  const rx = await rawReceiver(4);
  const h = new DatagramHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: rx.port,
  });
  h.handle(record("one"));
  const r = await h.close();
  equal(r.sent, 1);
  equal(r.timedOut, false);
  h.handle(record("late"));
  await rx.waitFor(1);
  await rx.close();
  const s = h.stats();
  equal(s.emitted, 2);
  equal(s.sent, 1);
  equal(s.dropped, 1);
  equal(s.droppedByReason.closed, 1);
  equal(s.pendingRecords, 0);
  equal(s.emitted, s.sent + s.dropped + s.pendingRecords);
});

const UDP_SENDER = new URL("./py/udp_sender.py", import.meta.url).pathname;

for (const version of [undefined, "3.13.0"]) {
  Deno.test({
    name: `CPython ${
      version ?? "3 (default)"
    } DatagramHandler → LogReceiver udp`,
    ignore: !pythonAvailable(version),
    fn: async () => {
      await using rx = new LogReceiver({ udp: true, port: 0 });
      await rx.ready;
      equal(rx.addr.transport, "udp");
      const py = await startPy(
        UDP_SENDER,
        ["127.0.0.1", String(rx.port)],
        version,
      );
      const { stderr, code } = await py.done();
      equal(code, 0, stderr);
      const records = await rx.next(3, { timeout: 5000 });
      deepEqual(records.map((r) => [r.name, r.levelname, r.getMessage()]), [
        ["py.udp", "INFO", "hello udp"],
        ["py.udp", "WARNING", "second"],
        ["py.udp", "ERROR", "café 3"],
      ]);
      equal(records[0]!.extra.user, "carol");
      const s = rx.stats();
      equal(s.datagrams, 3);
      equal(s.records, 3);
      equal(s.errors, 0);
    },
  });
}

Deno.test("DatagramHandler → LogReceiver udp over IPv6 ::1, bad datagrams reported", async () => {
  const errors: string[] = [];
  await using rx = new LogReceiver({
    udp: true,
    hostname: "::1",
    port: 0,
    onError: (e) => errors.push(`${e.kind}: ${e.message}`),
  });
  await rx.ready;
  equal(rx.addr.transport, "udp");
  const h = new DatagramHandler("DEBUG", { hostname: "::1", port: rx.port });
  try {
    h.handle(record("v6 %s", ["ok", { user: "v" }]));
    await h.flush(5000);
    const [r] = await rx.next(1, { timeout: 5000 });
    equal(r!.getMessage(), "v6 ok");
    equal(r!.extra.user, "v");
  } finally {
    await h.close();
  }
  // A datagram whose prefix is not its size - 4, and a 2-byte datagram.
  const raw = dgram.createSocket("udp6");
  const frame = new DatagramHandler("INFO").makePickle(record("x"));
  const bad = frame.slice();
  bad[3] = bad[3]! + 1;
  for (const d of [bad, new Uint8Array([0, 1])]) {
    await new Promise<void>((res, rej) =>
      raw.send(d, rx.port, "::1", (e) => (e ? rej(e) : res()))
    );
  }
  await new Promise<void>((r) => raw.close(() => r()));
  const deadline = Date.now() + 5000;
  while (errors.length < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  deepEqual(errors, [
    `bad-datagram: Datagram of ${bad.length} bytes has length prefix ${
      bad.length - 3
    }, expected ${bad.length - 4}`,
    "bad-datagram: Datagram of 2 bytes has no 4-byte length prefix",
  ]);
  equal(rx.stats().datagrams, 3);
  equal(rx.stats().records, 1);
});

Deno.test("LogReceiver rejects udp with a Unix path, and tls with udp", () => {
  throws(
    () => new LogReceiver({ udp: true, path: "/tmp/x.sock" }),
    /'udp' excludes 'path': Unix datagram sockets are not supported/,
  );
  throws(
    () => new LogReceiver({ udp: true, tls: { cert: "c", key: "k" } }),
    /'tls' needs TCP/,
  );
});

Deno.test("cli --udp prints records from a DatagramHandler", async () => {
  const cli = await startCli([
    "--udp",
    "--port",
    "0",
    "--count",
    "2",
    "--format",
    "%(name)s %(levelname)s %(message)s",
  ]);
  match(cli.listening, /^listening on udp 127\.0\.0\.1:\d+$/);
  const h = new DatagramHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: cli.port,
  });
  try {
    h.handle(record("first %d", [1]));
    h.handle(record("second", [], 40, "app"));
    await h.flush(5000);
  } finally {
    await h.close();
  }
  const { stdout, code } = await cli.done();
  equal(code, 0);
  equal(stdout, "udp INFO first 1\napp ERROR second\n");
});

// ------------------------------------------------------ the shared engine

const DATAGRAM_URL = new URL("../datagram.ts", import.meta.url).href;
const IMPORT_MAP = new URL("./import_map.json", import.meta.url).pathname;

/** Runs a program that logs `count` records through a DatagramHandler and then just ends. */
async function runDatagramScript(
  port: number,
  count: number,
  allowNet = true,
): Promise<{ code: number; stderr: string; ms: number; stats: EngineStats }> {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/app.ts`;
    await Deno.writeTextFile(
      file,
      `import { LogRecord } from "@std/log/logger";
import { DatagramHandler } from "${DATAGRAM_URL}";
const h = new DatagramHandler("INFO", { hostname: "127.0.0.1", port: ${port} });
for (let i = 0; i < ${count}; i++) {
  h.handle(new LogRecord({ msg: "once " + i, args: [], level: 20, loggerName: "exit" }));
}
globalThis.addEventListener("unload", () => console.log(JSON.stringify(h.stats())));
// no flush, no close: the program just ends
`,
    );
    const t0 = Date.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--import-map=${IMPORT_MAP}`,
        "--no-prompt",
        ...(allowNet ? ["--allow-net"] : []),
        file,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000), // a process kept alive fails here
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    return {
      code: out.code,
      stderr: new TextDecoder().decode(out.stderr),
      ms: Date.now() - t0,
      stats: JSON.parse(stdout.trim().split("\n").at(-1) || "{}"),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("DatagramHandler: a program that logs once and ends naturally exits, and the datagram arrives", async () => {
  const rx = await rawReceiver(4);
  try {
    const run = await runDatagramScript(rx.port, 1);
    equal(run.code, 0, run.stderr);
    equal(run.stderr, "");
    ok(run.ms < 15_000, `took ${run.ms} ms`);
    await rx.waitFor(1);
    const dict = loads(rx.got[0]!.subarray(4)) as Record<string, unknown>;
    equal(dict.msg, "once 0");
    equal(run.stats.sent, 1);
    equal(run.stats.pendingRecords, 0);
  } finally {
    await rx.close();
  }
});

Deno.test("DatagramHandler: a program without net permission exits, its records dropped as 'permission'", async () => {
  const run = await runDatagramScript(9, 3, false);
  equal(run.code, 0, run.stderr);
  // Deno's node:dgram would throw an uncaught error at its implicit bind.
  match(
    run.stderr,
    /^\[datagram-handler\] permission: Cannot connect to the log receiver: Requires net access to "0\.0\.0\.0:0".*\(a TCP receiver needs --allow-net=HOST:PORT/,
  );
  equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  equal(run.stats.droppedByReason.permission, 3);
  equal(run.stats.emitted, 3);
  equal(run.stats.sent, 0);
});

Deno.test("DatagramHandler drops a datagram the OS refuses ('send') and goes on with the next", async () => {
  const rx = await rawReceiver(4);
  const seen: string[] = [];
  class Flaky extends DatagramHandler {
    calls = 0;
    override send(data: Uint8Array): Promise<void> {
      if (this.calls++ === 0) {
        return Promise.reject(new Error("Network is unreachable"));
      }
      return super.send(data);
    }
  }
  const h = new Flaky("DEBUG", {
    hostname: "127.0.0.1",
    port: rx.port,
    onError: (e, kind) => seen.push(`${kind}: ${e.message}`),
  });
  try {
    h.handle(record("lost"));
    h.handle(record("kept"));
    deepEqual(await h.flush(5000), {
      sent: 1,
      dropped: 1,
      pending: 0,
      timedOut: false,
    });
    await rx.waitFor(1);
  } finally {
    await h.close();
    await rx.close();
  }
  equal((loads(rx.got[0]!.subarray(4)) as { msg: string }).msg, "kept");
  deepEqual(seen, [
    `send: Cannot send a datagram to 127.0.0.1:${rx.port}: Network is unreachable; the record is dropped`,
  ]);
  const s = h.stats();
  equal(s.droppedByReason.send, 1);
  equal(s.connects, 1); // the socket stays
  equal(s.emitted, s.sent + s.dropped + s.pendingRecords);
});

Deno.test("DatagramHandler reports queue overflow through onError", async () => {
  const rx = await rawReceiver(4);
  const seen: string[] = [];
  const oldest = new DatagramHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: rx.port,
    maxQueueRecords: 2,
    onError: (e, kind) => seen.push(`${kind}: ${e.message}`),
  });
  const newest = new DatagramHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: rx.port,
    maxQueueRecords: 2,
    overflow: "drop-newest",
    onError: (e, kind) => seen.push(`${kind}: ${e.message}`),
  });
  try {
    for (let i = 0; i < 4; i++) oldest.handle(record(`o${i}`));
    for (let i = 0; i < 4; i++) newest.handle(record(`n${i}`));
    await oldest.flush(5000);
    await newest.flush(5000);
    await rx.waitFor(4);
  } finally {
    await oldest.close();
    await newest.close();
    await rx.close();
  }
  deepEqual(seen, [
    "overflow: Dropped the oldest datagrams as the send queue is full",
    "overflow: Cannot queue a datagram as the send queue is full",
  ]);
  equal(oldest.stats().droppedByReason.overflow, 2);
  equal(newest.stats().droppedByReason.overflow, 2);
  deepEqual(
    rx.got.map((d) => (loads(d.subarray(4)) as { msg: string }).msg).sort(),
    ["n0", "n1", "o2", "o3"],
  );
});
