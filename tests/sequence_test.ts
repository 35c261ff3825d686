// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// `sequence: true`: every frame gains `seq` and `sender`, read by our
// decoder and by every installed CPython (C and pure-Python unpicklers),
// from SocketHandler, DatagramHandler, the LogTape sink and the drop
// notices, unbroken across reconnects.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import * as log from "@std/log";
import { configure, dispose, getLogger } from "npm:@logtape/logtape@^2";
import { SocketHandler } from "../handler.ts";
import { DatagramHandler } from "../datagram.ts";
import { getSocketSink } from "../logtape.ts";
import { dumpsFrame, loads, type PickleProtocol } from "../pickle.ts";
import { recordDict } from "../record/dict.ts";
import { SequenceStamp } from "../transport/sequence.ts";
import { pythons, startReceiver } from "./_py_receiver.ts";
import { FrameServer } from "./_frame_server.ts";
import { rawReceiver } from "./_udp_receiver.ts";

const { available } = pythons();

function decode(payload: Uint8Array): Record<string, unknown> {
  return loads(payload) as Record<string, unknown>;
}

function sampleDict(i: number): Record<string, unknown> {
  return recordDict({
    name: "seq.test",
    level: 20,
    msg: "record %d é",
    args: [i],
    timeMs: 1_700_000_000_000 + i,
    ...(i % 2 === 0 ? { extra: { user: "bob" } } : {}),
  });
}

Deno.test("SequenceStamp: every protocol, our decoder and CPython's C and pure-Python unpicklers (each up to its highest protocol)", async () => {
  const cases: { protocol: PickleProtocol; seq: number; hex: string }[] = [];
  for (const protocol of [1, 2, 3, 4, 5] as PickleProtocol[]) {
    for (const first of [1, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 7, 2 ** 53 - 1]) {
      const stamp = new SequenceStamp("host-a:42:0badcafe", first);
      const frame = stamp.stamp(dumpsFrame(sampleDict(first), { protocol }));
      equal(stamp.next, first + 1);
      const view = new DataView(frame.buffer, frame.byteOffset);
      equal(view.getUint32(0), frame.length - 4);
      const dict = decode(frame.subarray(4));
      equal(dict.seq, first);
      equal(dict.sender, "host-a:42:0badcafe");
      equal(dict.msg, `record ${first} é`);
      cases.push({
        protocol,
        seq: first,
        hex: [...frame.subarray(4)].map((b) => b.toString(16).padStart(2, "0"))
          .join(""),
      });
    }
  }
  const script = `
import json, logging, pickle, sys
for line in sys.stdin:
    c = json.loads(line)
    if c["protocol"] > pickle.HIGHEST_PROTOCOL:
        print("skip")
        continue
    data = bytes(bytearray.fromhex(c["hex"]))
    loaders = [pickle.loads]
    if hasattr(pickle, "_loads"):
        loaders.append(pickle._loads)
    for load in loaders:
        r = logging.makeLogRecord(load(data))
        assert r.seq == c["seq"], (r.seq, c["seq"])
        assert r.sender == "host-a:42:0badcafe", r.sender
        assert r.getMessage() == u"record %d \\u00e9" % c["seq"], r.getMessage()
        logging.Formatter("%(asctime)s %(name)s %(message)s %(seq)s %(sender)s").format(r)
    print(c["protocol"])
`;
  const input = cases.map((c) => JSON.stringify(c)).join("\n") + "\n";
  for (const py of available) {
    const out = await new Deno.Command(py.cmd, {
      args: ["-c", script],
      env: py.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = out.stdin.getWriter();
    await writer.write(
      new TextEncoder().encode(input),
    );
    await writer.close();
    const result = await out.output();
    equal(
      result.code,
      0,
      `${py.label}: ${new TextDecoder().decode(result.stderr)}`,
    );
    const lines = new TextDecoder().decode(result.stdout).trim().split("\n");
    equal(lines.length, cases.length);
    ok(lines.filter((l) => l !== "skip").length >= cases.length * 2 / 5);
  }
});

Deno.test("SequenceStamp leaves a frame that does not end with STOP alone", () => {
  const stamp = new SequenceStamp("x");
  const frame = new Uint8Array([0, 0, 0, 2, 0x4e, 0x4e]);
  deepEqual([...stamp.stamp(frame)], [...frame]);
  equal(stamp.next, 1);
});

for (const py of available) {
  Deno.test(`SocketHandler sequence: true → CPython ${py.label} cookbook receiver sees seq and sender, records format`, async () => {
    const receiver = await startReceiver(py, 4);
    const handler = new SocketHandler("DEBUG", {
      hostname: "127.0.0.1",
      port: receiver.port,
      sequence: true,
      onError: () => {},
    });
    try {
      log.setup({
        handlers: { python: handler },
        loggers: { seq: { level: "DEBUG", handlers: ["python"] } },
      });
      const logger = log.getLogger("seq");
      logger.info("plain %d", 1);
      logger.warn("with extras", { user: "bob" });
      logger.error("failed", new Error("boom"));
      logger.info("unicode é");
      equal((await handler.flush(10_000)).pending, 0);
      const { records, stderr, code } = await receiver.done();
      equal(code, 0, stderr);
      ok(!stderr.includes("Logging error"), stderr);
      deepEqual(records.map((r) => r.extras.seq), [1, 2, 3, 4]);
      const sender = records[0]!.extras.sender as string;
      match(sender, /^(\S+:)?\d+:[0-9a-f]{8}$/);
      for (const r of records) equal(r.extras.sender, sender);
      equal(records[1]!.extras.user, "bob");
      match(records[2]!.exc_text ?? "", /boom/);
      equal(records[3]!.msg, "unicode é");
    } finally {
      receiver.kill();
      log.setup({ handlers: {}, loggers: {} });
      await handler.close();
    }
  });
}

Deno.test("sequence: numbers are unbroken across reconnects, and the drop notice takes one", async () => {
  await using server = FrameServer.tcp();
  const handler = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: server.port,
    sequence: true,
    maxQueueRecords: 3,
    overflow: "drop-newest",
    onError: () => {},
  });
  const logger = new log.Logger("seq.reconnect", "DEBUG", {
    handlers: [handler],
  });
  try {
    logger.info("r1");
    await server.waitForFrames(1);
    await server.dropConnections();
    // Once the handler has seen the connection go (its reader sees EOF):
    await server.waitUntil(() => handler.stats().state !== "connected", 5000);
    // Three fit in the queue while it reconnects; two are dropped.
    for (let i = 2; i <= 6; i++) logger.info(`r${i}`);
    await handler.flush(10_000);
    await server.waitForFrames(5).catch((e) => {
      console.log(server.frames.map(decode).map((d) => [d.seq, d.msg]));
      throw e;
    });
  } finally {
    await handler.close();
  }
  const dicts = server.frames.map(decode);
  const seqs = dicts.map((d) => d.seq);
  const msgs = dicts.map((d) => d.msg as string);
  equal(msgs[0], "r1");
  equal(seqs[0], 1);
  // The records r2–r4 keep their numbers 2–4; r5 and r6 took 5 and 6 and
  // were dropped; the notice came first on the new connection with 7.
  match(msgs[1]!, /2 records dropped/);
  equal(seqs[1], 7);
  deepEqual(msgs.slice(2), ["r2", "r3", "r4"]);
  deepEqual(seqs.slice(2), [2, 3, 4]);
  const senders = new Set(dicts.map((d) => d.sender));
  equal(senders.size, 1);
});

Deno.test("sequence: off by default, no extra keys", async () => {
  await using server = FrameServer.tcp();
  const handler = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: server.port,
  });
  new log.Logger("seq.off", "DEBUG", { handlers: [handler] }).info("x");
  await handler.flush(10_000);
  await handler.close();
  await server.waitForFrames(1);
  const dict = decode(server.frames[0]!);
  equal("seq" in dict, false);
  equal("sender" in dict, false);
});

Deno.test("DatagramHandler sequence: true numbers every datagram", async () => {
  const rx = await rawReceiver(4);
  const handler = new DatagramHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: rx.port,
    sequence: true,
  });
  const logger = new log.Logger("seq.udp", "DEBUG", { handlers: [handler] });
  try {
    for (let i = 1; i <= 3; i++) logger.info(`d${i}`);
    await handler.flush(5000);
    await rx.waitFor(3);
  } finally {
    await handler.close();
    await rx.close();
  }
  const dicts = rx.got.map((d) => {
    equal(new DataView(d.buffer, d.byteOffset).getUint32(0), d.length - 4);
    return decode(d.subarray(4));
  });
  deepEqual(dicts.map((d) => d.seq), [1, 2, 3]);
  deepEqual(dicts.map((d) => d.msg), ["d1", "d2", "d3"]);
});

Deno.test("LogTape sink sequence: true numbers every record", async () => {
  await using server = FrameServer.tcp();
  const sink = getSocketSink({
    hostname: "127.0.0.1",
    port: server.port,
    sequence: true,
  });
  await configure({
    reset: true,
    sinks: { py: sink },
    loggers: [
      { category: ["app"], sinks: ["py"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
    ],
  });
  try {
    const logger = getLogger(["app"]);
    logger.info("one {n}", { n: 1 });
    logger.warn("two");
  } finally {
    await dispose();
  }
  await server.waitForFrames(2);
  const dicts = server.frames.map(decode);
  deepEqual(dicts.map((d) => d.seq), [1, 2]);
  equal(dicts[0]!.sender, dicts[1]!.sender);
});
