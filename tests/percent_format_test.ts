// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, ok } from "node:assert/strict";
import { percentFormat } from "../text/percent_format.ts";
import {
  pyAscii,
  pyFloatRepr,
  pyRepr,
  pyStr,
  strRepr,
} from "../text/python_text.ts";
import { PyFloat, pyFloat, pyTuple } from "../pickle.ts";
import { runPython } from "./_python.ts";

// ---------------------------------------------------------------------------
// Python oracle: one python3 process formats every case.

const PY_ORACLE = `
import sys, json
def dec(v):
    k, x = next(iter(v.items()))
    if k == "i": return int(x)
    if k == "f": return float(x)
    if k == "s": return x
    if k == "b": return x
    if k == "n": return None
    if k == "l": return [dec(i) for i in x]
    if k == "t": return tuple(dec(i) for i in x)
    if k == "d": return {dec(a): dec(b) for a, b in x}
    if k == "y": return bytes(x)
    raise ValueError(k)
out = []
for line in sys.stdin:
    c = json.loads(line)
    try:
        if "m" in c:
            r = c["t"] % dec(c["m"])
        elif c.get("fn") == "repr":
            r = repr(dec(c["a"][0]))
        elif c.get("fn") == "str":
            r = str(dec(c["a"][0]))
        elif c.get("fn") == "ascii":
            r = ascii(dec(c["a"][0]))
        else:
            r = c["t"] % tuple(dec(a) for a in c["a"])
        out.append(json.dumps({"ok": r}))
    except Exception as e:
        out.append(json.dumps({"err": type(e).__name__}))
sys.stdout.write("\\n".join(out) + "\\n")
`;

type Enc = Record<string, unknown>;

function enc(v: unknown): Enc {
  if (typeof v === "string") return { s: v };
  if (typeof v === "boolean") return { b: v };
  if (v === null || v === undefined) return { n: 0 };
  if (typeof v === "bigint") return { i: v.toString() };
  if (typeof v === "number") {
    return Number.isSafeInteger(v) && !Object.is(v, -0)
      ? { i: String(v) }
      : { f: pyFloatRepr(v) };
  }
  if (v instanceof PyFloat) return { f: pyFloatRepr(v.value) };
  if (Array.isArray(v)) return { l: v.map(enc) };
  if (v instanceof Uint8Array) return { y: [...v] };
  if (v instanceof Map) return { d: [...v].map(([k, x]) => [enc(k), enc(x)]) };
  if (typeof v === "object" && "items" in v) {
    return { t: (v as { items: unknown[] }).items.map(enc) };
  }
  return {
    d: Object.entries(v as Record<string, unknown>).map((
      [k, x],
    ) => [enc(k), enc(x)]),
  };
}

interface Case {
  t: string;
  a: unknown[];
  m?: Record<string, unknown>;
  fn?: "repr" | "str" | "ascii";
}

async function python(
  cases: Case[],
): Promise<({ ok: string } | { err: string })[]> {
  const input = cases.map((c) =>
    JSON.stringify({
      t: c.t,
      a: c.a.map(enc),
      ...(c.m ? { m: enc(c.m) } : {}),
      ...(c.fn ? { fn: c.fn } : {}),
    })
  ).join("\n") + "\n";
  const child = new Deno.Command("python3", {
    args: ["-c", PY_ORACLE],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const [, out] = await Promise.all([
    writer.write(new TextEncoder().encode(input)).then(() => writer.close()),
    child.output(),
  ]);
  const stderr = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, stderr);
  const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
  equal(lines.length, cases.length);
  return lines.map((l) => JSON.parse(l));
}

const INTS: unknown[] = [
  0,
  1,
  -1,
  7,
  42,
  -255,
  65,
  0x1f600,
  2 ** 31,
  -(2 ** 31) - 1,
  Number.MAX_SAFE_INTEGER,
  2n ** 64n,
  -(10n ** 30n),
  true,
  false,
];
const FLOATS: unknown[] = [
  0.5,
  2.5,
  -1.5,
  1e-5,
  123456.789,
  0.1,
  1 / 3,
  -0,
  1e16 + 2, // not a safe integer: a float
  1e22,
  5e-324,
  1.7976931348623157e308,
  2.675,
  9.995,
  0.125,
  1e-300,
  NaN,
  Infinity,
  -Infinity,
  pyFloat(3),
  pyFloat(-0.5),
];
const STRINGS: unknown[] = [
  "",
  "x",
  "héllo",
  "😀 ok",
  "a'b",
  'a"b',
  "a'\"b",
  "\n\t\\\r",
  "\u0000\u007f\u0085\u00a0\u00ad",
  "\u2028\u3000\ufeff\u{e0001}",
  "\ud800 lone",
  "tail \udc00",
];
const OTHERS: unknown[] = [
  null,
  undefined,
  [1, "a", [null, 2.5]],
  pyTuple([1]),
  pyTuple([]),
  pyTuple(["x", 2]),
  { k: 2, "é": [1.5, true], n: null },
  {},
  new Map<unknown, unknown>([[1, "x"], ["k", [2]]]),
  new Uint8Array([0x61, 0x27, 0, 0xff, 0x5c]),
  new Uint8Array([0x22, 0x27]),
];

function tableCases(): Case[] {
  const cases: Case[] = [];
  const values = [...INTS, ...FLOATS, ...STRINGS, ...OTHERS];
  const flagsets = ["", "-", "+", " ", "#", "0", "-0", "+0", "#0", " #0", "+#"];
  const widths = ["", "1", "9"];
  const precs = ["", ".0", ".1", ".6", ".13"];
  for (const conv of "sradiuoxXeEfFgGc") {
    for (const f of flagsets) {
      for (const w of widths) {
        for (const p of precs) {
          const t = `<%${f}${w}${p}${conv}>`;
          for (const v of values) cases.push({ t, a: [v] });
        }
      }
    }
  }
  return cases;
}

Deno.test("percentFormat() matches python3's % on a table of conversions, flags, widths and precisions", async () => {
  const cases = tableCases();
  const extra: Case[] = [
    { t: "%s has %05.1f%%", a: ["disk", 93.25] },
    { t: "%*d|%-*d|%.*f|%*.*e", a: [5, 42, 5, 42, 2, 3.14159, 12, 3, 1234.5] },
    { t: "%*d", a: [-6, 7] },
    { t: "%.*f", a: [-3, 2.25] },
    { t: "%ld %hi %Lf %lx", a: [1, 2, 3.5, 255] },
    { t: "%%%s%%", a: ["x"] },
    { t: "50%% off: %s, %r and %a", a: ["é", "é", "é"] },
    { t: "no conversions at all", a: [] },
    { t: "%c%c%c", a: ["x", 0x1f600, "😀"] },
    { t: "%.3s|%.1s|%5.2s|", a: ["😀😀😀😀", "😀x", "ab😀"] },
    { t: "%-8s|%8s|", a: ["😀é", "😀é"] },
    { t: "%.0f %.0f %.0f %.0f", a: [0.5, 1.5, 2.5, -0.5] },
    { t: "%.2f %.2f %.3e", a: [2.675, 1.005, 1.0005] },
    { t: "%.400f", a: [5e-324] },
    { t: "%.17g|%.20e|%.50f", a: [0.1, 0.1, 0.1] },
    { t: "%.3000f", a: [1e300] },
    { t: "%d %i %u", a: [-3.99, 3.99, 1e300] },
    { t: "%s %s %s", a: [1e300, 2 ** 53, -(2 ** 60)] },
    { t: "%r", a: [[[["deep"]]]] },
    { t: "%s", a: [[new Map<unknown, unknown>([[null, true], [1.5, {}]])]] },
  ];
  const maps: Case[] = [
    {
      t: "%(a)s|%%|%(b(c))05d|%(a)r|%(x)-6.2f|",
      a: [],
      m: { a: "é", "b(c)": 42, x: 3.14159 },
    },
    {
      t: "%(user)s logged in from %(ip)s",
      a: [],
      m: { user: "al", ip: "::1" },
    },
    { t: "%()s", a: [], m: { "": "empty key" } },
    { t: "%(n)#x %(n)+d %(n) o", a: [], m: { n: 255 } },
  ];
  const all = [...cases, ...extra, ...maps];
  const expected = await python(all);
  let compared = 0;
  const mismatches: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    const got = percentFormat(c.t, c.a, c.m).text;
    const exp = expected[i]!;
    if ("ok" in exp) {
      compared++;
      if (got !== exp.ok) {
        mismatches.push(
          `${JSON.stringify(c.t)} % ${pyRepr(c.a)}: got ${
            JSON.stringify(got)
          }, python ${JSON.stringify(exp.ok)}`,
        );
      }
    }
  }
  deepEqual(mismatches.slice(0, 20), []);
  ok(compared > 60_000, `only ${compared} cases compared`);
});

Deno.test("pyStr(), pyRepr() and pyAscii() match python3's str(), repr() and ascii()", async () => {
  const values = [...INTS, ...FLOATS, ...STRINGS, ...OTHERS, [
    "nested",
    { "q'": ['x"', "y'"] },
    [pyTuple([pyTuple([1])])],
  ]];
  const cases: Case[] = [];
  for (const v of values) {
    for (const fn of ["str", "repr", "ascii"] as const) {
      cases.push({ t: "", a: [v], fn });
    }
  }
  const expected = await python(cases);
  const mismatches: string[] = [];
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const v = c.a[0];
    const got = c.fn === "str"
      ? pyStr(v)
      : c.fn === "repr"
      ? pyRepr(v)
      : pyAscii(v);
    const exp = expected[i]!;
    ok("ok" in exp, `python failed on ${c.fn}(${pyRepr(v)})`);
    if (got !== exp.ok) {
      mismatches.push(`${c.fn}(${pyRepr(v)}): got ${got}, python ${exp.ok}`);
    }
  }
  deepEqual(mismatches, []);
});

Deno.test("pyFloatRepr() matches python3's repr(float) on 2,000 random doubles", async () => {
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const xs: number[] = [];
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  while (xs.length < 2000) {
    u32[0] = rnd();
    u32[1] = rnd();
    const x = f64[0]!;
    if (Number.isFinite(x)) xs.push(x);
    // and some of moderate magnitude
    xs.push((rnd() - 2 ** 31) / 2 ** (rnd() % 40));
  }
  const cases: Case[] = xs.flatMap((x) => [
    { t: "", a: [pyFloat(x)], fn: "repr" as const },
    { t: "%.5e|%.3f|%g|%.12g|%#.3G", a: [x, x, x, x, x] },
  ]);
  const expected = await python(cases);
  const mismatches: string[] = [];
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const got = c.fn
      ? pyFloatRepr((c.a[0] as PyFloat).value)
      : percentFormat(c.t, c.a).text;
    const exp = expected[i]!;
    if (!("ok" in exp) || got !== exp.ok) {
      mismatches.push(
        `${c.t} ${c.a[0]}: got ${got}, python ${JSON.stringify(exp)}`,
      );
    }
  }
  deepEqual(mismatches.slice(0, 10), []);
});

Deno.test("pyFloatRepr() matches python3's repr(float) on 40,000 doubles around its fixed-notation range [1e-4, 1e16)", async () => {
  const f64 = new Float64Array(1);
  const u64 = new BigUint64Array(f64.buffer);
  const bits = (x: number) => {
    f64[0] = x;
    return u64[0]!;
  };
  const fromBits = (b: bigint) => {
    u64[0] = b;
    return f64[0]!;
  };
  const nextUp = (x: number) => fromBits(bits(x) + 1n);
  const nextDown = (x: number) => fromBits(bits(x) - 1n);
  const xs: number[] = [];
  // Boundaries of the range and of JavaScript's own notation switches.
  for (const b of [1e-4, 1e16, 1e-7, 1e21, 2 ** 53, 1, 0.1, 1e15, 1e-3]) {
    xs.push(b, nextUp(b), nextDown(b));
  }
  xs.push(9999999999999998, 9999999999999996, 2 ** 53 + 2, 2 ** 52 + 0.5);
  xs.push(0.30000000000000004, 1.7976931348623157e308, 5e-324, 2.5e-308);
  let seed = 987654321;
  const rnd = () =>
    (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  while (xs.length < 40_000) {
    const k = xs.length % 4;
    let x: number;
    if (k === 0) {
      // log-uniform magnitude over [1e-5, 1e17), full 53-bit mantissas
      x = 10 ** (-5 + 22 * rnd()) * (1 + rnd() * 2 ** -20 + rnd() * 2 ** -52);
    } else if (k === 1) {
      // integral floats, up to 2**60
      x = Math.floor(2 ** (60 * rnd()) * rnd()) * 2 ** Math.floor(4 * rnd());
    } else if (k === 2) {
      // few significant digits (short reprs such as 12.5, 0.0025)
      x = Math.round(rnd() * 100000) / 10 ** Math.floor(rnd() * 12);
    } else {
      // random bit patterns with an exponent near the range
      const e = BigInt(1023 - 16 + Math.floor(rnd() * 74)); // ~1.5e-5 .. 1.9e17
      const m = BigInt(Math.floor(rnd() * 2 ** 26)) << 26n |
        BigInt(Math.floor(rnd() * 2 ** 26));
      x = fromBits(e << 52n | m);
    }
    xs.push(rnd() < 0.5 ? -x : x);
  }
  const lines = xs.map((x) => bits(x).toString(16).padStart(16, "0"));
  const expected = await runPython(
    "import sys, struct\n" +
      "out = [repr(struct.unpack('>d', bytes.fromhex(l.strip()))[0]) for l in sys.stdin]\n" +
      "sys.stdout.write('\\n'.join(out) + '\\n')",
    lines,
  );
  equal(expected.length, xs.length);
  const mismatches: string[] = [];
  let inRange = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (Math.abs(x) >= 1e-4 && Math.abs(x) < 1e16) inRange++;
    const got = pyFloatRepr(x);
    if (got !== expected[i]) {
      mismatches.push(`${lines[i]}: got ${got}, python ${expected[i]}`);
    }
  }
  deepEqual(mismatches.slice(0, 10), []);
  ok(inRange > 30_000, `only ${inRange} values in the fast-path range`);
});

Deno.test("percentFormat() reports how many args it consumed", () => {
  deepEqual(percentFormat("no placeholders", [1, 2]), {
    text: "no placeholders",
    used: 0,
  });
  deepEqual(percentFormat("%s and %s", [1, 2, 3]), {
    text: "1 and 2",
    used: 2,
  });
  deepEqual(percentFormat("%*d", [4, 7, 9]), { text: "   7", used: 2 });
  deepEqual(percentFormat("100%%", ["x"]), { text: "100%", used: 0 });
  deepEqual(percentFormat("%(a)s", [1], { a: 2 }), { text: "2", used: 0 });
});

Deno.test("percentFormat() copies conversions it cannot apply verbatim instead of throwing", () => {
  // not enough arguments
  deepEqual(percentFormat("%s and %s", ["a"]), { text: "a and %s", used: 1 });
  deepEqual(percentFormat("%*d", [5]), { text: "%*d", used: 0 });
  // incomplete format and unsupported characters
  deepEqual(percentFormat("100%", [1]), { text: "100%", used: 0 });
  deepEqual(percentFormat("%y %s", [1]), { text: "%y 1", used: 1 });
  deepEqual(percentFormat("%5% %s", [1]), { text: "%5% 1", used: 1 });
  deepEqual(percentFormat("%.-1f %s", [1]), { text: "%.-1f 1", used: 1 });
  // mapping keys without a mapping, missing keys, unbalanced keys
  deepEqual(percentFormat("%(a)s %s", ["x"]), { text: "%(a)s x", used: 1 });
  deepEqual(percentFormat("%(b)s", [], { a: 1 }), { text: "%(b)s", used: 0 });
  deepEqual(percentFormat("%(a", [], { a: 1 }), { text: "%(a", used: 0 });
  deepEqual(percentFormat("%(toString)s", [], {}), {
    text: "%(toString)s",
    used: 0,
  });
  // '*' that is not an int
  deepEqual(percentFormat("%*d", ["x", 5]), { text: "%*d", used: 0 });
  // huge widths and precisions
  deepEqual(percentFormat("%2000000d|%.20000f", [1, 1]), {
    text: "%2000000d|%.20000f",
    used: 0,
  });
  deepEqual(percentFormat("%99999999999999999999d", [1]), {
    text: "%99999999999999999999d",
    used: 0,
  });
});

Deno.test("percentFormat() renders values a numeric conversion rejects as %s would", () => {
  equal(percentFormat("%d", ["abc"]).text, "abc");
  equal(percentFormat("%5d|%-5d|", ["ab", "ab"]).text, "   ab|ab   |");
  equal(percentFormat("%x", [1.5]).text, "1.5");
  equal(percentFormat("%x", [-0]).text, "-0.0");
  equal(percentFormat("%d %i", [NaN, Infinity]).text, "nan inf");
  equal(percentFormat("%f", ["1.5"]).text, "1.5");
  equal(percentFormat("%f", [10n ** 400n]).text, (10n ** 400n).toString());
  equal(percentFormat("%c %c %c", ["ab", -1, 0x110000]).text, "ab -1 1114112");
  equal(percentFormat("%d", [{ a: 1 }]).text, "{'a': 1}");
  equal(percentFormat("%d", [null]).text, "None");
});

Deno.test("pyStr() follows the documented Python view of JavaScript values", () => {
  equal(pyStr(3), "3");
  equal(pyStr(3.5), "3.5");
  equal(pyStr(-0), "-0.0");
  equal(pyStr(2 ** 53), "9007199254740992.0");
  equal(pyStr(1e21), "1e+21");
  equal(pyStr(pyFloat(3)), "3.0");
  equal(pyStr(true), "True");
  equal(pyStr(null), "None");
  equal(pyStr(undefined), "None");
  equal(pyStr(10n ** 25n), "10000000000000000000000000");
  equal(pyStr(["a", 1]), "['a', 1]");
  equal(pyStr({ k: 2 }), "{'k': 2}");
  equal(pyStr(new Error("boom")), "boom");
  equal(pyRepr(new Error("boom")), "Error('boom')");
  equal(pyRepr(new TypeError("")), "TypeError()");
  equal(pyStr(new Date(0)), "1970-01-01T00:00:00.000Z");
  equal(pyStr(new Date(NaN)), "Invalid Date");
  equal(pyRepr([new Date(0)]), "['1970-01-01T00:00:00.000Z']");
  equal(pyStr(Symbol("s")), "Symbol(s)");
  equal(pyStr(function foo() {}), "[Function: foo]");
  equal(pyStr(new URL("https://example.com/x")), "https://example.com/x");
  equal(pyStr(/a+/g), "/a+/g");
  class Point {
    x = 1;
    y = 2;
  }
  equal(pyStr(new Point()), "Point { x: 1, y: 2 }");
  equal(pyRepr([new Point()]), "['Point { x: 1, y: 2 }']");
  equal(pyStr(new Set([1, "a"])), "{1, 'a'}");
  equal(pyStr(new Set()), "set()");
  equal(pyStr(new Map([[{ o: 1 }, 2]])), `{"{'o': 1}": 2}`);
  equal(pyStr(Object.create(null)), "{}");
});

Deno.test("pyRepr() handles cycles, depth and size without throwing", () => {
  const a: unknown[] = [1];
  a.push(a);
  equal(pyRepr(a), "[1, [...]]");
  const o: Record<string, unknown> = { k: 1 };
  o.self = o;
  equal(pyRepr(o), "{'k': 1, 'self': {...}}");
  let deep: unknown = "x";
  for (let i = 0; i < 10_000; i++) deep = [deep];
  const r = pyRepr(deep);
  ok(r.startsWith("[".repeat(32) + "'…'"));
  // 1 MiB in all: the string is cut inside its quotes and says how much,
  // and the list's "…" says that its end is left out.
  const big = pyRepr(["x".repeat(2_000_000)]);
  equal(big, "['" + "x".repeat(1_048_573) + "…[951427 more characters]'…");
  const getter = {
    get bad() {
      throw new Error("nope");
    },
    ok: 1,
  };
  equal(pyRepr(getter), "{'bad': '<unreadable: Error: nope>', 'ok': 1}");
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  equal(typeof pyRepr(proxy), "string");
  equal(typeof pyStr(proxy), "string");
  const hostile = new Proxy({}, {
    getPrototypeOf() {
      throw new Error("p");
    },
    ownKeys() {
      throw new Error("o");
    },
  });
  equal(typeof pyRepr(hostile), "string");
  const badToString = {
    toString() {
      throw new Error("t");
    },
  };
  equal(pyStr([badToString]), "[{'toString': '[Function: toString]'}]");
  const weird = Object.create({
    toString() {
      throw new Error("t");
    },
  });
  equal(typeof pyStr(weird), "string");
});

Deno.test("strRepr() picks quotes and escapes like Python", () => {
  equal(strRepr("it's"), `"it's"`);
  equal(strRepr(`say "hi"`), `'say "hi"'`);
  equal(strRepr(`'"`), `'\\'"'`);
  equal(strRepr("\x00\x1f\x7f\x80é"), "'\\x00\\x1f\\x7f\\x80é'");
  equal(strRepr("é😀", true), "'\\xe9\\U0001f600'");
});
