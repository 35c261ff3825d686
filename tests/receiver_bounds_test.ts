// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Hostile pickles against the receiver's bounds (issue 12): a 4 MiB
 * integer, memo fan-out ("billion laughs") frames under 1 KB, and 4 MiB
 * frames of empty containers. The wall-clock bounds are generous: they are
 * safety properties, not benchmarks.
 *
 * @module
 */
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { loads, type PyTuple } from "../pickle.ts";
import { makeLogRecord } from "../receiver/record.ts";
import { formatJson, parseJsonRecord } from "../receiver/json_record.ts";
import { Pretty, recordFormatter } from "../receiver/format.ts";
import { pyRepr, pyStr } from "../text/python_text.ts";
import { percentFormat } from "../text/percent_format.ts";
import { startCli } from "./_cli_run.ts";

const enc = new TextEncoder();

function bytes(...parts: (number[] | string | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "string") out.push(...enc.encode(p));
    else for (const b of p) out.push(b);
  }
  return Uint8Array.from(out);
}

/** SHORT_BINUNICODE. */
function str(s: string): number[] {
  const b = enc.encode(s);
  return [0x8c, b.length, ...b];
}

/** A record dict; `extra` is the pickle of one extra field's value. */
function record(extra: number[], created: number[] = [0x4b, 1]): Uint8Array {
  return bytes(
    [0x80, 0x04, 0x7d, 0x28], // PROTO 4, EMPTY_DICT, MARK
    str("name"),
    str("evil"),
    str("levelno"),
    [0x4b, 30],
    str("levelname"),
    str("WARNING"),
    str("created"),
    created,
    str("msg"),
    str("%s %r"),
    str("fan"),
    extra,
    str("args"),
    [0x68, 40, 0x68, 40, 0x86], // (fan, fan)
    [0x75, 0x2e], // SETITEMS, STOP
  );
}

/** A list holding the previous list twice, `depth` deep, memo 40 = top. */
function fanOut(depth: number): number[] {
  const out = [0x5d, 0x71, 0]; // EMPTY_LIST, BINPUT 0
  for (let i = 1; i <= depth; i++) {
    // POP the previous one, EMPTY_LIST, MARK, BINGET ×2, APPENDS, BINPUT
    out.push(0x30, 0x5d, 0x28, 0x68, i - 1, 0x68, i - 1, 0x65, 0x71, i);
  }
  out.push(0x71, 40); // BINPUT 40: the top
  return out;
}

function within(ms: number, what: string, f: () => unknown): unknown {
  const t0 = performance.now();
  const v = f();
  const dt = performance.now() - t0;
  ok(dt < ms, `${what} took ${dt.toFixed(0)} ms`);
  return v;
}

Deno.test("a 4 MiB LONG4 is refused by default, decoded in linear time when allowed, never printed in decimal", () => {
  const n = 4 << 20;
  const long = new Uint8Array(5 + n);
  long[0] = 0x8b;
  new DataView(long.buffer).setInt32(1, n, true);
  long.fill(0x5a, 5);
  const data = record([0x4e, 0x71, 40], [...long]);
  throws(() => within(2000, "refusal", () => loads(data)), {
    name: "UnpicklingError",
    message: /maxIntBytes \(65536\)/,
  });
  const v = within(
    2000,
    "loads",
    () => loads(data, { maxIntBytes: n, objects: "inert", exact: true }),
  );
  const r = within(2000, "makeLogRecord", () => makeLogRecord(v));
  const created = (v as Record<string, unknown>).created as bigint;
  equal(
    within(2000, "pyStr", () => pyStr(created)),
    `<int of ${8 * n - 1} bits>`,
  );
  equal(pyRepr(-created), `<negative int of ${8 * n - 1} bits>`);
  const pct = percentFormat("%d %s %x", [created, created, 5]).text;
  match(pct, /^<int of \d+ bits> <int of \d+ bits> 5$/);
  const json = within(
    2000,
    "formatJson",
    () => formatJson(makeLogRecord({ ...(v as object), fan: created })),
  );
  const back = parseJsonRecord(json as string);
  equal(back.fan, created);
  ok(r);
});

Deno.test("4 MiB frames of empty containers are refused by the decode budget", () => {
  for (const op of [0x7d, 0x8f, 0x29, 0x5d]) {
    const n = 4 << 20;
    const data = new Uint8Array(n + 5);
    data.set([0x80, 0x04, 0x28]);
    data.fill(op, 3, n + 3);
    data.set([0x6c, 0x2e], n + 3); // LIST, STOP
    for (const objects of ["refuse", "inert"] as const) {
      throws(
        () =>
          within(
            2000,
            `loads 0x${op.toString(16)}`,
            () => loads(data, { objects }),
          ),
        { name: "UnpicklingError", message: /heap units/ },
      );
    }
  }
  // A small frame of them fits the fixed allowance.
  const small = bytes([0x80, 0x04, 0x28], new Array(1000).fill(0x7d), [
    0x6c,
    0x2e,
  ]);
  equal((loads(small) as unknown[]).length, 1000);
});

Deno.test("memo fan-out renders each shared container once, in every output", () => {
  for (const depth of [30, 38]) {
    const data = record(fanOut(depth));
    ok(data.length < 1024, `${data.length} bytes`);
    const v = within(
      2000,
      "loads",
      () => loads(data, { objects: "inert", exact: true }),
    );
    const r = makeLogRecord(v);
    const fan = r.extra.fan;
    const repr = within(2000, "pyRepr", () => pyRepr(fan)) as string;
    ok(repr.length < 2000, repr);
    match(repr, /^\[\[\[\[/);
    ok(repr.includes("<shared list>"));
    ok((within(2000, "pyStr", () => pyStr(fan)) as string).length < 2000);
    const msg = within(2000, "getMessage", () => r.getMessage()) as string;
    ok(msg.length < 4000, msg);
    const json = within(2000, "formatJson", () => formatJson(r)) as string;
    ok(json.length < 10000, json);
    ok(json.includes('{"$shared":"list"}'));
    // One record, one set of shared references: `args` (written first)
    // expands the list, the `fan` extra then refers to it.
    const back = parseJsonRecord(json);
    ok(Array.isArray((back.args as PyTuple).items[0]));
    deepEqual(back.fan, { $shared: "list" });
    const pretty = within(
      2000,
      "pretty",
      () => new Pretty(false).format(r),
    ) as string;
    ok(pretty.length < 20000);
    const pct = within(
      2000,
      "%-format",
      () => recordFormatter("%(fan)s %(message)s", false)(r),
    ) as string;
    ok(pct.length < 20000);
  }
});

Deno.test("cycles still print as in Python", () => {
  const a: unknown[] = [1];
  a.push(a);
  equal(pyRepr(a), "[1, [...]]");
  const shared = [1];
  equal(pyRepr([shared, shared, []]), "[[1], <shared list>, []]");
});

Deno.test("cli survives a fan-out frame in --format json and prints the next record", async () => {
  const cli = await startCli([
    "--port",
    "0",
    "--format",
    "json",
    "--count",
    "2",
  ]);
  const body = record(fanOut(38));
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: cli.port });
  await conn.write(frame);
  conn.close();
  const py = await new Deno.Command("python3", {
    args: [
      "-c",
      "import logging, logging.handlers, sys\n" +
      "h = logging.handlers.SocketHandler('127.0.0.1', int(sys.argv[1]))\n" +
      "l = logging.getLogger('good'); l.addHandler(h)\n" +
      "l.warning('next %s', 'record'); h.close()\n",
      String(cli.port),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(py.code, 0, new TextDecoder().decode(py.stderr));
  const { stdout, stderr, code } = await cli.done();
  equal(code, 0, stderr);
  const lines = stdout.trimEnd().split("\n").map(parseJsonRecord);
  equal(lines.length, 2);
  ok(lines.some((l) => l.message === "next record"));
  ok(lines.some((l) => l.name === "evil"));
});
