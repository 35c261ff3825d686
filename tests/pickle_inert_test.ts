// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// loads(data, { objects: "inert" }): PyObject placeholders for pickles of
// well-known types written by CPython (protocols 0–5), their Python text,
// the limits, strict mode unchanged, and a fuzz property: inert mode throws
// nothing but UnpicklingError and never calls anything.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { loads, PyObject, UnpicklingError } from "../pickle.ts";
import { pyRepr, pyStr } from "../text/python_text.ts";

const SCRIPT = new URL("./py/pickle_objects.py", import.meta.url).pathname;

interface Case {
  k: string;
  p: number;
  repr: string;
  str: string;
  hex: string;
}

const out = new Deno.Command("python3", { args: [SCRIPT], stdout: "piped" })
  .outputSync();
const cases: Case[] = new TextDecoder().decode(out.stdout).trim().split("\n")
  .map((l) => JSON.parse(l));
const bytes = (hex: string) =>
  Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));

/** Text the pickle cannot tell (see text/py_object_text.ts). */
const UNKNOWABLE: Record<string, string> = {
  e: "Color(1)",
  nt: "P(1, 2)",
  pl: "Plain(a=1, b='x')",
  lg: "<Logger x.y (level not sent)>",
  root: "<RootLogger root (level not sent)>",
  od: "OrderedDict({'a': 1})",
};

Deno.test("inert loads gives each well-known type Python's repr and str, protocols 0-5", () => {
  equal(cases.length, 22 * 6);
  for (const c of cases) {
    const v = loads(bytes(c.hex), { objects: "inert" });
    ok(v instanceof PyObject, `${c.k} p${c.p}`);
    const repr = UNKNOWABLE[c.k] ?? c.repr;
    const str = UNKNOWABLE[c.k] ?? c.str;
    equal(pyRepr(v), repr, `repr ${c.k} p${c.p}`);
    equal(pyStr(v), str, `str ${c.k} p${c.p}`);
  }
});

Deno.test("inert loads gives faithful values and kinds", () => {
  const get = (k: string) =>
    loads(bytes(cases.find((c) => c.k === k && c.p === 2)!.hex), {
      objects: "inert",
    }) as PyObject;
  const kinds: Record<string, string> = {
    dt: "datetime",
    d: "date",
    t: "time",
    td: "timedelta",
    tz: "timezone",
    dec: "decimal",
    u: "uuid",
    p: "path",
    od: "ordereddict",
    dd: "defaultdict",
    dq: "deque",
    c: "counter",
    cx: "complex",
    r: "range",
    lg: "logger",
    ex: "exception",
    o: "object",
    e: "object",
  };
  for (const [k, kind] of Object.entries(kinds)) equal(get(k).kind, kind, k);
  deepEqual(get("d").value, { year: 2024, month: 1, day: 2 });
  deepEqual(get("td").value, { days: 1, seconds: 2, microseconds: 3 });
  equal(get("dec").value, "1.10");
  equal(get("u").value, "00000000000000000000000000000001");
  equal(get("p").value, "/tmp/x");
  deepEqual(get("dq").value, [1, 2]);
  deepEqual(get("c").value, new Map([["a", 2], ["b", 1]]));
  deepEqual(get("cx").value, { real: 1, imag: 2 });
  deepEqual(get("r").value, { start: 1, stop: 10, step: 2 });
  equal(get("lg").value, "x.y");
  deepEqual(get("ex").value, ["bad", 3]);
  const o = get("o");
  equal(o.qualname, "__main__.Order");
  deepEqual({ ...(o.state as object) }, { id: 7, total: 2.5 });
  equal(get("e").args[0], 1);
});

Deno.test("strict loads still refuses every object pickle", () => {
  for (const c of cases) {
    throws(() => loads(bytes(c.hex)), UnpicklingError, `${c.k} p${c.p}`);
    throws(
      () => loads(bytes(c.hex), { objects: "refuse" }),
      UnpicklingError,
    );
  }
  throws(
    () => loads(bytes("4e2e"), { objects: "maybe" as "inert" }),
    TypeError,
  );
});

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("inert loads: Python 2 datetime state, INST, OBJ, BUILD replaces, refusals", () => {
  // Python 2: datetime state as a str (Latin-1 and UTF-8-looking bytes).
  const p2 = loads(
    enc(
      "cdatetime\ndatetime\n(U\x0a\x07\xe8\x01\x02\x03\x04\x05\x00\x00\x06tR.",
    ),
    { objects: "inert" },
  );
  equal(pyRepr(p2), "datetime.datetime(2024, 1, 2, 3, 4, 5, 6)");
  const t = loads(enc("cdatetime\ntime\n(U\x06\x03\x04\x05\xc3\xa9\x01tR."), {
    objects: "inert",
  });
  equal(pyStr(t), "03:04:05." + String((0xc3 << 16) | (0xa9 << 8) | 1));
  // INST and OBJ (old-style classes), then BUILD twice: the last state wins.
  const inst = loads(enc("(i__main__\nOld\n(dS'a'\nI1\nsb(dS'a'\nI2\nsb."), {
    objects: "inert",
  }) as PyObject;
  equal(pyRepr(inst), "Old(a=2)");
  const obj = loads(enc("(c__main__\nOld\nK\x01o."), { objects: "inert" });
  equal(pyRepr(obj), "Old(1)");
  // Persistent ids, extensions and buffers stay refused.
  for (const bad of ["Px\n.", "\x82\x01.", "\x80\x05\x97."]) {
    throws(() => loads(enc(bad), { objects: "inert" }), UnpicklingError);
  }
  // Calling something that is not a global is refused.
  throws(() => loads(enc("K\x01)R."), { objects: "inert" }), UnpicklingError);
  // BUILD on a dict is refused.
  throws(() => loads(enc("}}b."), { objects: "inert" }), UnpicklingError);
});

Deno.test("inert loads respects maxDepth and maxContainerLength", () => {
  // deque(()) with 3 APPENDs.
  const dq = "ccollections\ndeque\n)\x85R(K\x01K\x02K\x03e.";
  equal(pyRepr(loads(enc(dq), { objects: "inert" })), "deque([1, 2, 3])");
  throws(
    () => loads(enc(dq), { objects: "inert", maxContainerLength: 2 }),
    UnpicklingError,
  );
  // Objects nested in objects count for maxDepth.
  let p = "";
  for (let i = 0; i < 20; i++) p += "cm\nC\n";
  p += "N" + "\x85R".repeat(20) + ".";
  ok(loads(enc(p), { objects: "inert" }) instanceof PyObject);
  throws(
    () => loads(enc(p), { objects: "inert", maxDepth: 10 }),
    UnpicklingError,
  );
});

Deno.test("inert loads never throws anything but UnpicklingError and never calls anything (fuzz)", () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const g = globalThis as Record<string, unknown>;
  const saved = { eval: g.eval, Function: g.Function };
  let called = 0;
  g.eval = () => called++;
  const inputs = cases.map((c) => bytes(c.hex));
  inputs.push(
    enc("cbuiltins\neval\n(V__import__('os').system('x')\ntR."),
    enc("cbuiltins\ngetattr\n(cbuiltins\nFunction\nVconstructor\ntR."),
  );
  let decoded = 0;
  try {
    for (let i = 0; i < 20_000; i++) {
      const base = inputs[rand(inputs.length)]!;
      const data = base.slice();
      const edits = 1 + rand(4);
      for (let e = 0; e < edits; e++) {
        const at = rand(data.length);
        const r = rand(3);
        if (r === 0) data[at] = rand(256);
        else if (r === 1) {
          data[at] = [0x52, 0x62, 0x81, 0x92, 0x93, 0x28][rand(6)]!;
        } else data.copyWithin(at, rand(data.length));
      }
      try {
        const v = loads(data, { objects: "inert" });
        decoded++;
        pyRepr(v);
        pyStr(v);
      } catch (err) {
        ok(err instanceof UnpicklingError, String(err));
      }
    }
  } finally {
    g.eval = saved.eval;
  }
  equal(called, 0);
  equal(g.Function, saved.Function);
  ok(decoded > 0);
});
