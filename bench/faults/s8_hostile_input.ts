// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Scenario 8: hostile input to the receiver (a {@linkcode LogReceiver}
 * process): mutated frames (1,000,000; 100,000 quick), each on its own
 * connection so each is processed; malicious pickles from CPython; slow-drip
 * connections; 1,000 idle connections; frames that claim 4 GiB. Objects in
 * the malicious pickles decode into inert placeholders (nothing is imported
 * or called); an undecodable frame is skipped. Meanwhile
 * a control app (our handler, another process) logs 200 records/s: all of
 * them must arrive in order. Checks: the receiver never crashes, every
 * input ends within 5 s, the canary file is never created, its RSS stays
 * bounded.
 *
 * @module
 */
import {
  appResult,
  Ledger,
  ourRow,
  type Params,
  Proc,
  Receiver,
  type Row,
  sleep,
  startApp,
} from "./_common.ts";
import { dumpsFrame } from "../../pickle.ts";

const here = new URL(".", import.meta.url).pathname;

function hex(s: string): Uint8Array {
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) {
    b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  }
  return b;
}

/** xorshift32, deterministic. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const INTERESTING = [
  0x63,
  0x52,
  0x69,
  0x6f,
  0x81,
  0x92,
  0x93,
  0x62,
  0x28,
  0x2e,
  0x80,
  0x95,
  0x82,
  0x50,
  0x51,
  0x97,
  0x98,
  0x00,
  0xff,
  0x7f,
  0x4a,
  0x58,
  0x8d,
  0x8e,
  0x71,
  0x72,
  0x68,
  0x6a,
  0x73,
  0x75,
  0x65,
  0x61,
  0x74,
  0x7d,
  0x5d,
  0x29,
];

function mutate(corpus: Uint8Array[], r: () => number): Uint8Array {
  const base = corpus[Math.floor(r() * corpus.length)]!;
  let body = base.slice(4);
  const ops = 1 + Math.floor(r() * 4);
  for (let o = 0; o < ops; o++) {
    const k = Math.floor(r() * 8);
    const at = Math.floor(r() * Math.max(1, body.length));
    if (k === 0 && body.length) {
      body[at] = body[at]! ^ (1 << Math.floor(r() * 8));
    } else if (k === 1 && body.length) {
      body[at] = INTERESTING[Math.floor(r() * INTERESTING.length)]!;
    } else if (k === 2 && body.length) body[at] = Math.floor(r() * 256);
    else if (k === 3) {
      const n = 1 + Math.floor(r() * 8);
      const ins = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        ins[i] = r() < 0.5
          ? INTERESTING[Math.floor(r() * INTERESTING.length)]!
          : Math.floor(r() * 256);
      }
      const nb = new Uint8Array(body.length + n);
      nb.set(body.subarray(0, at));
      nb.set(ins, at);
      nb.set(body.subarray(at), at + n);
      body = nb;
    } else if (k === 4) {
      const n = Math.floor(r() * 16);
      body = new Uint8Array([
        ...body.subarray(0, at),
        ...body.subarray(at + n),
      ]);
    } else if (k === 5) {
      const n = Math.floor(r() * 32);
      const seg = body.slice(at, at + n);
      const nb = new Uint8Array(body.length + seg.length);
      nb.set(body.subarray(0, at));
      nb.set(seg, at);
      nb.set(body.subarray(at), at + seg.length);
      body = nb;
    } else if (k === 6) body = body.slice(0, at);
    else {
      const other = corpus[Math.floor(r() * corpus.length)]!.subarray(4);
      const cut = Math.floor(r() * other.length);
      body = new Uint8Array([...body.subarray(0, at), ...other.subarray(cut)]);
    }
  }
  // Length prefix: right (so the body is parsed) most of the time.
  const q = r();
  let len = body.length;
  if (q < 0.08) len = Math.floor(r() * 4294967296);
  else if (q < 0.12) len = body.length + 1 + Math.floor(r() * 64);
  else if (q < 0.16) len = Math.max(0, body.length - 1 - Math.floor(r() * 16));
  const f = new Uint8Array(4 + body.length);
  new DataView(f.buffer).setUint32(0, len >>> 0);
  f.set(body, 4);
  return f;
}

interface Outcome {
  maxMs: number;
  hangs: number;
  done: number;
}

/** Sends each input on its own connection; waits for the receiver to close it. */
async function blast(
  port: number,
  n: number,
  next: (i: number) => Uint8Array,
  concurrency: number,
): Promise<Outcome> {
  const out: Outcome = { maxMs: 0, hangs: 0, done: 0 };
  let i = 0;
  const buf = new Uint8Array(4096);
  const worker = async () => {
    while (i < n) {
      const data = next(i++);
      const t = performance.now();
      let conn: Deno.TcpConn | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        conn = await Deno.connect({ hostname: "127.0.0.1", port });
        const c = conn;
        timer = setTimeout(() => {
          out.hangs++;
          try {
            c.close();
          } catch { /* closed */ }
        }, 5000);
        try {
          await conn.write(data);
          await conn.closeWrite();
        } catch { /* the receiver closed first */ }
        try {
          while ((await conn.read(buf)) !== null) { /* drain */ }
        } catch { /* reset */ }
      } catch {
        /* connect failed */
      } finally {
        clearTimeout(timer);
        try {
          conn?.close();
        } catch { /* closed */ }
      }
      out.maxMs = Math.max(out.maxMs, performance.now() - t);
      out.done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** Runs scenario 8. */
export async function run(p: Params): Promise<Row[]> {
  const mutations = p.quick ? 100_000 : 1_000_000;
  const dir = await Deno.makeTempDir();
  const canary = `${dir}/canary`;
  const py = await new Deno.Command("python3", {
    args: [here + "py_malicious.py", canary],
    stdout: "piped",
  }).output();
  const corpus: Uint8Array[] = [];
  const malicious: [string, Uint8Array][] = [];
  for (const line of new TextDecoder().decode(py.stdout).split("\n")) {
    const parts = line.split(" ");
    if (parts[0] === "V") corpus.push(hex(parts[1]!));
    if (parts[0] === "M") malicious.push([parts[1]!, hex(parts[2]!)]);
  }
  for (let proto = 1; proto <= 5; proto++) {
    corpus.push(dumpsFrame({
      name: "fuzz",
      msg: "fuzz ünïcode 😀",
      args: null,
      levelname: "INFO",
      levelno: 20,
      created: 1.5,
      extra: { a: [1, 2n ** 80n, 1.5, null, true], b: { c: "d" } },
    }, { protocol: proto as 1 | 2 | 3 | 4 | 5 }));
  }

  const ledger = new Ledger();
  const recv = new Receiver("lr");
  const port = await recv.ready();
  ledger.attach(recv.proc);
  // The control sender: must be unaffected.
  const controlSecs = p.quick ? 30 : 270;
  const control = startApp({
    port,
    senders: ["C"],
    count: controlSecs * 200,
    rate: 200,
    options: { writeTimeout: 30000 },
    end: "close",
    closeTimeout: 30000,
  });
  // 1,000 idle connections.
  const idle: Deno.Conn[] = [];
  for (let i = 0; i < 1000; i++) {
    idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  // Slow drip: 20 connections, a valid frame 1 byte per 20 ms, over and over.
  let dripping = true;
  const drip = corpus[0]!;
  const drips = Array.from({ length: 20 }, async () => {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      let k = 0;
      while (dripping) {
        await c.write(drip.subarray(k % drip.length, (k % drip.length) + 1));
        k++;
        await sleep(20);
      }
    } catch {
      /* closed by the receiver */
    } finally {
      try {
        c.close();
      } catch { /* closed */ }
    }
  });
  const t0 = performance.now();
  // 4 GiB claims.
  const huge = await blast(port, 200, (i) => {
    const f = new Uint8Array(4 + 64);
    new DataView(f.buffer).setUint32(0, i % 2 ? 0xffffffff : 0x80000000);
    return f;
  }, 16);
  // Malicious pickles, 10 rounds.
  const mal = await blast(
    port,
    malicious.length * 10,
    (i) => malicious[i % malicious.length]![1],
    8,
  );
  // Mutated frames.
  const r = rng(0x5eed);
  const fuzz = await blast(port, mutations, () => mutate(corpus, r), 48);
  const fuzzSecs = (performance.now() - t0) / 1000;
  await recv.proc.send("stats");
  const statsLine = await recv.proc.waitLine((l) => l.startsWith("S "), 10000)
    .catch(() => "S {}");
  const during = JSON.parse(statsLine.slice(2));
  dripping = false;
  await Promise.all(drips);
  for (const c of idle) {
    try {
      c.close();
    } catch { /* closed */ }
  }
  const ctl = await appResult(control, (controlSecs + 60) * 1000);
  await recv.quiesce(30000);
  const alive = recv.proc.exitedAt === undefined;
  const bye = await recv.exit();
  let canaryExists = false;
  try {
    await Deno.stat(canary);
    canaryExists = true;
  } catch { /* good */ }
  await Deno.remove(dir, { recursive: true });
  const row = ourRow(
    `8 hostile input (${(mutations / 1000).toFixed(0)}k mutated, ${
      malicious.length * 10
    } malicious)`,
    ledger,
    ["C"],
    controlSecs * 200,
    ctl,
    Number(bye?.hwmKb ?? 0),
  );
  const hwmMB = Number(bye?.hwmKb ?? 0) / 1024;
  const reasons = (bye?.closedReasons ?? {}) as Record<string, number>;
  row.checks.push(
    { name: "receiver alive throughout", ok: alive && bye !== undefined },
    {
      name: "no input hung (each ended < 5 s)",
      ok: fuzz.hangs + mal.hangs + huge.hangs === 0,
      detail: `hangs ${fuzz.hangs + mal.hangs + huge.hangs}; slowest ${
        Math.max(fuzz.maxMs, mal.maxMs, huge.maxMs).toFixed(0)
      } ms`,
    },
    { name: "nothing executed (no canary file)", ok: !canaryExists },
    {
      // Decoded into inert placeholders (a record with problems: its top
      // level is not a dict) or refused as a frame; never run.
      name: "every malicious pickle decoded inert or refused",
      ok: Number(bye?.invalidRecords ?? 0) + Number(bye?.framesRefused ?? 0) >=
        malicious.length * 10,
      detail:
        `invalid records ${bye?.invalidRecords}, frames refused ${bye?.framesRefused}`,
    },
    {
      name: "4 GiB claims refused",
      ok: (reasons["frame-too-large"] ?? 0) >= 200,
    },
    {
      name: "1,000 idle connections were held",
      ok: Number(during.connectionsOpen ?? 0) >= 1000,
      detail: `open during the attack: ${during.connectionsOpen}`,
    },
    {
      name: "receiver RSS < 300 MB",
      ok: hwmMB < 300,
      detail: `${hwmMB.toFixed(0)} MB`,
    },
  );
  row.notes.push(
    `${fuzz.done + mal.done + huge.done} hostile connections in ${
      fuzzSecs.toFixed(0)
    } s, slowest input ${
      Math.max(fuzz.maxMs, mal.maxMs, huge.maxMs).toFixed(0)
    } ms; receiver close reasons ${
      JSON.stringify(reasons)
    }; control sender (200 rec/s) delivered ${row.delivered}/${row.logged}`,
  );
  if (fuzzSecs > controlSecs) {
    row.notes.push(
      `the attack outlasted the control sender (${controlSecs} s)`,
    );
  }
  return [row];
}

export { Proc };
