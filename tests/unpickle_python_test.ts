// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// loads() against real CPython: random values pickled by CPython with every
// protocol (python3 always; 2.7, 3.6, 3.13 when installed), compared with a
// typed JSON of each value; and malicious pickles written by CPython.
import { equal, ok } from "node:assert/strict";
import { loads, PyTuple, UnpicklingError } from "../pickle.ts";
import { pythonAvailable, runPython } from "./_python.ts";

ok(pythonAvailable(), "python3 is required for these tests");

// ---------------------------------------------------------------------------
// Random values generated in Python

/**
 * Prints one JSON line per value: {"typed": <typed tree>, "pickles":
 * [[label, hex], ...]}. Runs on Python 2.7 and 3.6+.
 */
const GENERATOR = String.raw`
import sys, json, random, binascii, pickle
PY2 = sys.version_info[0] == 2
if PY2:
    import cPickle
    text_type = unicode
    int_types = (int, long)
    uchr = unichr
else:
    text_type = str
    int_types = (int,)
    uchr = chr

seed, count = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
SPECIAL = [u"__proto__", u"constructor", u"toString", u"hasOwnProperty",
           u"0", u"1", u"length", u"", u"name", u"msg", u"\\", u"\n"]

def rand_str():
    if rng.random() < 0.15:
        return rng.choice(SPECIAL)
    out = []
    for _ in range(rng.randint(0, 12)):
        k = rng.random()
        if k < 0.45: c = rng.randint(0x20, 0x7e)
        elif k < 0.55: c = rng.choice([0, 9, 10, 13, 0x1a, 0x5c, 0x7f, 0x80, 0xa0, 0xff])
        elif k < 0.7: c = rng.randint(0x80, 0x7ff)
        elif k < 0.8: c = rng.randint(0x800, 0xffff)
        elif k < 0.9: c = rng.randint(0x10000, 0x10ffff)
        else: c = rng.randint(0xd800, 0xdfff)
        out.append(uchr(c))
    if rng.random() < 0.05:
        out = [u"x"] * rng.randint(300, 2000) + out   # long strings
    return u"".join(out)

def rand_bytes():
    n = rng.choice([0, 1, 3, 10, 300])
    return bytes(bytearray(rng.randint(0, 255) for _ in range(n)))

def rand_int():
    k = rng.random()
    if k < 0.3: return rng.randint(0, 300)
    if k < 0.5: return rng.randint(-70000, 70000)
    if k < 0.7:
        b = rng.choice([8, 15, 16, 31, 32, 47, 48, 52, 53, 54, 63, 64, 65, 100])
        return rng.choice([-1, 1]) * (2 ** b + rng.choice([-1, 0, 1]))
    if k < 0.9: return rng.randint(-2 ** 70, 2 ** 70)
    return rng.choice([-1, 1]) * rng.getrandbits(rng.randint(100, 3000))

def rand_float(nan=True):
    specials = [0.0, -0.0, float("inf"), float("-inf"), 1e308, 5e-324, 0.1,
                1700000000.25, 250.0, 2.0 ** 53, -2.5e-10]
    if nan: specials.append(float("nan"))
    if rng.random() < 0.4: return rng.choice(specials)
    return rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-20, 20)

def rand_hashable(depth):
    k = rng.random()
    if k < 0.1: return None
    if k < 0.15: return rng.random() < 0.5
    if k < 0.35: return rand_int()
    if k < 0.45: return rand_float(nan=False)
    if k < 0.8: return rand_str()
    if k < 0.87 and not PY2: return rand_bytes()
    if depth < 3 and k < 0.95:
        return tuple(rand_hashable(depth + 1) for _ in range(rng.randint(0, 3)))
    if depth < 3:
        return frozenset(rand_hashable(depth + 1) for _ in range(rng.randint(0, 3)))
    return rand_str()

def rand_value(depth, pool):
    k = rng.random()
    if pool and k < 0.06:
        return rng.choice(pool)      # shared (and maybe cyclic) reference
    if depth >= 4 or k < 0.5:
        j = rng.random()
        if j < 0.1: return None
        if j < 0.2: return rng.random() < 0.5
        if j < 0.4: return rand_int()
        if j < 0.55: return rand_float()
        if j < 0.85: return rand_str()
        if j < 0.92: return rand_bytes() if not PY2 else str(bytearray(rng.randint(0, 255) for _ in range(rng.randint(0, 6))))
        return bytearray(rand_bytes())
    kind = rng.choice(["list", "list", "dict", "dict", "tuple", "set", "frozenset"])
    n = rng.randint(0, 6)
    if kind == "list":
        v = []
        pool.append(v)
        for _ in range(n): v.append(rand_value(depth + 1, pool))
        if rng.random() < 0.1: v.append(v)
        return v
    if kind == "dict":
        v = {}
        pool.append(v)
        strkeys = rng.random() < 0.6
        for _ in range(n):
            key = rand_str() if strkeys else rand_hashable(1)
            v[key] = rand_value(depth + 1, pool)
        if rng.random() < 0.1: v[rand_str() if strkeys else rand_int()] = v
        return v
    if kind == "tuple":
        return tuple(rand_value(depth + 1, pool) for _ in range(n))
    items = [rand_hashable(1) for _ in range(n)]
    return set(items) if kind == "set" else frozenset(items)

def typed(v, seen):
    if v is None: return {"t": "none"}
    if v is True or v is False: return {"t": "bool", "v": v}
    if isinstance(v, int_types): return {"t": "int", "v": str(v)}
    if isinstance(v, float): return {"t": "float", "v": repr(v)}
    if isinstance(v, text_type): return {"t": "str", "v": v}
    if isinstance(v, bytearray): return {"t": "bytes", "v": binascii.hexlify(bytes(v)).decode("ascii")}
    if isinstance(v, bytes):
        return {"t": "str8" if PY2 else "bytes", "v": binascii.hexlify(v).decode("ascii")}
    if isinstance(v, tuple) and len(v) == 0: return {"t": "tuple", "v": []}
    i = id(v)
    if i in seen: return {"t": "ref", "id": seen[i]}
    n = len(seen)
    seen[i] = n
    if isinstance(v, list): return {"t": "list", "id": n, "v": [typed(x, seen) for x in v]}
    if isinstance(v, tuple): return {"t": "tuple", "id": n, "v": [typed(x, seen) for x in v]}
    if isinstance(v, dict):
        return {"t": "dict", "id": n, "v": [[typed(k, seen), typed(x, seen)] for k, x in v.items()]}
    if isinstance(v, frozenset): return {"t": "frozenset", "id": n, "v": [typed(x, seen) for x in v]}
    if isinstance(v, set): return {"t": "set", "id": n, "v": [typed(x, seen) for x in v]}
    raise TypeError(type(v))

dumpers = [("C", pickle.dumps)] if not PY2 else [("py", pickle.dumps), ("C", cPickle.dumps)]
if not PY2: dumpers.append(("py", pickle._dumps))
for _ in range(count):
    v = rand_value(0, [])
    pickles = []
    for label, dumps in dumpers:
        for p in range(pickle.HIGHEST_PROTOCOL + 1):
            pickles.append(["%s p%d" % (label, p), binascii.hexlify(dumps(v, p)).decode("ascii")])
    sys.stdout.write(json.dumps({"typed": typed(v, {}), "pickles": pickles}) + "\n")
`;

type Typed =
  | { t: "none" }
  | { t: "bool"; v: boolean }
  | { t: "int" | "float" | "str" | "str8" | "bytes"; v: string }
  | { t: "ref"; id: number }
  | { t: "list" | "tuple" | "set" | "frozenset"; id?: number; v: Typed[] }
  | { t: "dict"; id: number; v: [Typed, Typed][] };

/** A Python 2 `str` as loads() reads it: UTF-8 if well-formed, else Latin-1. */
function py2Text(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return String.fromCharCode(...bytes);
  }
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * Checks a decoded value against CPython's typed description, including
 * identity: the same Python object must be the same JS object, and
 * different Python containers different JS objects.
 */
class Checker {
  #byId = new Map<number, unknown>();
  #idOf = new Map<unknown, number>();

  /**
   * @param key Whether `actual` is a Map key or Set member, where
   * JavaScript turns -0 into 0 (a documented limitation).
   */
  check(actual: unknown, want: Typed, path: string, key = false): void {
    const fail = (why: string): never => {
      throw new Error(
        `${path}: ${why} (want ${JSON.stringify(want).slice(0, 200)})`,
      );
    };
    switch (want.t) {
      case "none":
        if (actual !== null) fail(`expected null, got ${String(actual)}`);
        return;
      case "bool":
        if (actual !== want.v) {
          fail(`expected ${want.v}, got ${String(actual)}`);
        }
        return;
      case "int": {
        const n = BigInt(want.v);
        const safe = n >= BigInt(Number.MIN_SAFE_INTEGER) &&
          n <= BigInt(Number.MAX_SAFE_INTEGER);
        if (safe) {
          if (typeof actual !== "number" || BigInt(actual) !== n) {
            fail(
              `expected number ${want.v}, got ${typeof actual} ${
                String(actual)
              }`,
            );
          }
        } else if (actual !== n) {
          fail(
            `expected bigint ${want.v}, got ${typeof actual} ${String(actual)}`,
          );
        }
        return;
      }
      case "float": {
        const v = want.v;
        const expected = v === "nan"
          ? NaN
          : v === "inf"
          ? Infinity
          : v === "-inf"
          ? -Infinity
          : Number(v);
        const same = Object.is(actual, expected) ||
          (key && actual === 0 && expected === 0);
        if (typeof actual !== "number" || !same) {
          fail(`expected float ${v}, got ${String(actual)}`);
        }
        return;
      }
      case "str":
        if (actual !== want.v) {
          fail(
            `expected ${JSON.stringify(want.v)}, got ${JSON.stringify(actual)}`,
          );
        }
        return;
      case "str8": {
        const s = py2Text(fromHex(want.v));
        if (actual !== s) {
          fail(
            `expected UTF-8-else-Latin-1 ${JSON.stringify(s)}, got ${
              JSON.stringify(actual)
            }`,
          );
        }
        return;
      }
      case "bytes": {
        const bytes = fromHex(want.v);
        if (
          !(actual instanceof Uint8Array) || actual.length !== bytes.length ||
          actual.some((x, i) => x !== bytes[i])
        ) fail(`expected bytes ${want.v}, got ${String(actual)}`);
        return;
      }
      case "ref":
        if (!this.#byId.has(want.id)) fail(`unknown id ${want.id}`);
        if (this.#byId.get(want.id) !== actual) {
          fail(`not the same object as id ${want.id}`);
        }
        return;
    }
    if (want.id !== undefined) {
      if (typeof actual !== "object" || actual === null) {
        fail(`expected a ${want.t}`);
      }
      if (this.#idOf.has(actual)) {
        fail(
          `the same JS object as id ${
            this.#idOf.get(actual)
          }, expected a new one`,
        );
      }
      this.#byId.set(want.id, actual);
      this.#idOf.set(actual, want.id);
    }
    switch (want.t) {
      case "list": {
        if (!Array.isArray(actual)) fail("expected an Array");
        const a = actual as unknown[];
        if (a.length !== want.v.length) {
          fail(`length ${a.length} != ${want.v.length}`);
        }
        want.v.forEach((w, i) => this.check(a[i], w, `${path}[${i}]`));
        return;
      }
      case "tuple": {
        if (!(actual instanceof PyTuple)) fail("expected a PyTuple");
        const a = (actual as PyTuple).items;
        if (a.length !== want.v.length) {
          fail(`length ${a.length} != ${want.v.length}`);
        }
        want.v.forEach((w, i) => this.check(a[i], w, `${path}(${i})`));
        return;
      }
      case "set":
      case "frozenset": {
        if (!(actual instanceof Set)) fail("expected a Set");
        const a = [...(actual as Set<unknown>)];
        if (a.length !== want.v.length) {
          fail(`size ${a.length} != ${want.v.length}`);
        }
        // Insertion order is the pickling order, i.e. Python's iteration order.
        want.v.forEach((w, i) => this.check(a[i], w, `${path}{${i}}`, true));
        return;
      }
      case "dict": {
        const strKeys = want.v.every(([k]) => k.t === "str" || k.t === "str8");
        if (strKeys) {
          if (
            typeof actual !== "object" || actual === null ||
            Object.getPrototypeOf(actual) !== null
          ) fail("expected a null-prototype object");
          const o = actual as Record<string, unknown>;
          if (Object.keys(o).length !== want.v.length) {
            fail(`${Object.keys(o).length} keys != ${want.v.length}`);
          }
          for (const [k, w] of want.v) {
            const key = k.t === "str8"
              ? py2Text(fromHex(k.v as string))
              : (k as { v: string }).v;
            if (!Object.hasOwn(o, key)) {
              fail(`missing key ${JSON.stringify(key)}`);
            }
            const value = Object.getOwnPropertyDescriptor(o, key)!.value;
            this.check(value, w, `${path}[${JSON.stringify(key)}]`);
          }
        } else {
          if (!(actual instanceof Map)) fail("expected a Map");
          const entries = [...(actual as Map<unknown, unknown>)];
          if (entries.length !== want.v.length) {
            fail(`size ${entries.length} != ${want.v.length}`);
          }
          want.v.forEach(([k, w], i) => {
            this.check(entries[i]![0], k, `${path}<key ${i}>`, true);
            this.check(entries[i]![1], w, `${path}<value ${i}>`);
          });
        }
        return;
      }
    }
  }
}

async function checkVersion(version: string | undefined, seed: number) {
  const count = 300;
  const lines = await runPython(
    `import sys\nsys.argv = ['gen', '${seed}', '${count}']\n${GENERATOR}`,
    [],
    version === undefined ? {} : { version },
  );
  equal(lines.length, count);
  let decoded = 0;
  const labels = new Set<string>();
  for (const [n, line] of lines.entries()) {
    const { typed, pickles } = JSON.parse(line) as {
      typed: Typed;
      pickles: [string, string][];
    };
    for (const [label, hex] of pickles) {
      labels.add(label);
      let value: unknown;
      try {
        value = loads(fromHex(hex));
      } catch (e) {
        throw new Error(`value ${n}, ${label}: ${e}\n${hex.slice(0, 400)}`);
      }
      try {
        new Checker().check(value, typed, "value");
      } catch (e) {
        throw new Error(
          `value ${n}, ${label}: ${(e as Error).message}\n${hex.slice(0, 400)}`,
        );
      }
      decoded++;
    }
  }
  return { decoded, labels: [...labels].sort() };
}

Deno.test("loads() equals CPython 3 values pickled with every protocol (python3)", async () => {
  const { decoded, labels } = await checkVersion(undefined, 1);
  // C and pure-Python picklers, protocols 0-5.
  equal(labels.length, 12);
  equal(decoded, 300 * 12);
});

for (
  const [version, protocols] of [["2.7.18", 3], ["3.6.15", 5], [
    "3.13.0",
    6,
  ]] as const
) {
  Deno.test({
    name:
      `loads() equals CPython ${version} values pickled with every protocol`,
    ignore: !pythonAvailable(version),
    fn: async () => {
      const { decoded, labels } = await checkVersion(version, 2);
      equal(labels.length, 2 * protocols);
      equal(decoded, 300 * 2 * protocols);
    },
  });
}

// ---------------------------------------------------------------------------
// Malicious pickles written by CPython

/**
 * Prints one JSON line per pickle: [label, hex, opcode name, offset] where
 * name/offset is the first opcode loads() must refuse (per pickletools).
 */
const EVIL = String.raw`
import sys, os, json, binascii, pickle, pickletools, subprocess, io
PY2 = sys.version_info[0] == 2
try:
    import builtins
except ImportError:
    import __builtin__ as builtins
try:
    import copyreg
except ImportError:
    import copy_reg as copyreg
marker = sys.argv[1]
touch = "touch " + marker

class System(object):
    def __reduce__(self): return (os.system, (touch,))
class Eval(object):
    def __reduce__(self): return (eval, ("__import__('os').system(%r)" % touch,))
class Call(object):
    def __reduce__(self): return (subprocess.call, (["touch", marker],))
class Exec(object):
    def __reduce__(self):
        ex = getattr(builtins, "exec", None)
        if ex is None: return (eval, ("open(%r, 'w').close()" % marker,))
        return (ex, ("open(%r, 'w').close()" % marker,))
class Getattr(object):
    def __reduce__(self): return (getattr, (os, "system"))
class State(object):
    def __init__(self): self.x = 1
class Slots(object):
    __slots__ = ("a",)
    def __init__(self): self.a = 1
    def __getstate__(self): return (None, {"a": self.a})
class NewArgs(object):
    def __new__(cls, *a): return object.__new__(cls)
    def __getnewargs__(self): return (1,)
class NewArgsEx(object):
    def __new__(cls, *a, **k): return object.__new__(cls)
    def __getnewargs_ex__(self): return ((1,), {"k": 2})

REFUSED = set("GLOBAL STACK_GLOBAL REDUCE BUILD INST OBJ NEWOBJ NEWOBJ_EX PERSID BINPERSID EXT1 EXT2 EXT4 NEXT_BUFFER READONLY_BUFFER".split())
ALLOWED = set(["_codecs encode", "builtins set", "builtins frozenset", "builtins bytearray", "builtins bytes",
               "__builtin__ set", "__builtin__ frozenset", "__builtin__ bytearray", "__builtin__ bytes"])

def first_refused(data, reduce_refused):
    # REDUCE after an allow-listed global is accepted when its arguments are
    # what CPython writes for data; reduce_refused says when they are not.
    allowed_seen = False
    strings = []
    for op, arg, pos in pickletools.genops(data):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            strings.append(arg)
        if op.name == "GLOBAL" and arg in ALLOWED:
            allowed_seen = True
            continue
        if op.name == "STACK_GLOBAL" and len(strings) >= 2 and \
                " ".join(strings[-2:]) in ALLOWED:
            allowed_seen = True
            continue
        if op.name == "REDUCE" and allowed_seen and not reduce_refused: continue
        if op.name in REFUSED: return op.name, pos
    raise ValueError("nothing refused")

out = []
def emit(label, data, reduce_refused=False):
    name, pos = first_refused(data, reduce_refused)
    out.append([label, binascii.hexlify(data).decode("ascii"), name, pos])

values = [("System", System()), ("Eval", Eval()), ("Call", Call()), ("Exec", Exec()),
          ("Getattr", Getattr()), ("State", State()), ("Slots", Slots()),
          ("NewArgs", NewArgs()), ("NewArgsEx", NewArgsEx()),
          ("record", {"name": "x", "msg": "hi", "args": [1, System()]}),
          ("set-then-evil", [set([1, 2]), bytearray(b"ab"), System()]),
          ("function", os.system), ("class", State)]
for label, v in values:
    for p in range(pickle.HIGHEST_PROTOCOL + 1):
        try:
            data = pickle.dumps(v, p)
        except Exception:
            continue
        emit("%s p%d" % (label, p), data)

# Persistent ids (PERSID / BINPERSID).
class P(pickle.Pickler):
    def persistent_id(self, o):
        return "secret" if isinstance(o, System) else None
for p in range(pickle.HIGHEST_PROTOCOL + 1):
    f = io.BytesIO()
    P(f, p).dump(["a", System()])
    emit("persid p%d" % p, f.getvalue())

# Extension registry (EXT1 / EXT2 / EXT4).
for code in (0xf0, 0x1234, 0x7fffff00):
    copyreg.add_extension(os.system.__module__, "system", code)
    for p in range(2, pickle.HIGHEST_PROTOCOL + 1):
        emit("ext %x p%d" % (code, p), pickle.dumps(System(), p))
    copyreg.remove_extension(os.system.__module__, "system", code)

# Out-of-band buffers.
if hasattr(pickle, "PickleBuffer"):
    emit("buffer", pickle.dumps(pickle.PickleBuffer(b"abc"), 5, buffer_callback=lambda b: False))
    emit("buffer rw", pickle.dumps(pickle.PickleBuffer(bytearray(b"abc")), 5, buffer_callback=lambda b: False))

# Hand-made, under every protocol header.
posix = os.system.__module__.encode("ascii")
t = touch.encode("ascii")
def short(b): return b"\x8c" + bytes(bytearray([len(b)])) + b
hand = [
    ("INST", b"(S'" + t + b"'\ni" + posix + b"\nsystem\n."),
    ("OBJ", b"(c" + posix + b"\nsystem\nS'" + t + b"'\no."),
    ("OBJ first", b"(]o."),
    ("BUILD", b"c" + posix + b"\nsystem\n}b."),
    ("BUILD first", b"]}b."),
    ("NEWOBJ", b"cbuiltins\nobject\n)\x81."),
    ("NEWOBJ first", b"])\x81."),
    ("NEWOBJ_EX first", b"])}\x92."),
    ("STACK_GLOBAL", short(posix) + short(b"system") + b"\x93" + short(t) + b"\x85R."),
    ("STACK_GLOBAL builtins.eval", short(b"builtins") + short(b"eval") + b"\x93" + short(b"1") + b"\x85R."),
    ("EXT1", b"\x82\xf0" + short(t) + b"\x85R."),
    ("EXT2", b"\x83\x34\x12" + short(t) + b"\x85R."),
    ("EXT4", b"\x84\x00\xff\xff\x7f" + short(t) + b"\x85R."),
    ("PERSID", b"P" + t + b"\n."),
    ("BINPERSID", short(t) + b"Q."),
    ("READONLY_BUFFER first", b"C\x01x\x98."),
    ("REDUCE on an allowed global", b"cbuiltins\nbytearray\n(I" + b"9" * 12 + b"\ntR."),
    ("REDUCE codecs rot13", b"c_codecs\nencode\n(S'" + t + b"'\nS'rot13'\ntR."),
    ("REDUCE set with str", b"c__builtin__\nset\n(S'" + t + b"'\ntR."),
    ("getattr chain", b"cbuiltins\ngetattr\n(cbuiltins\nset\nS'add'\ntR."),
]
for p in range(6):
    head = b"" if p < 2 else b"\x80" + bytes(bytearray([p]))
    for label, body in hand:
        try:
            emit("hand %s p%d" % (label, p), head + body, label.startswith("REDUCE"))
        except ValueError:
            if not PY2: raise   # Python 2's pickletools lacks protocol 3+ opcodes

for line in out:
    sys.stdout.write(json.dumps(line) + "\n")
`;

async function checkEvil(version: string | undefined) {
  const dir = await Deno.makeTempDir();
  const marker = `${dir}/pwned`;
  try {
    const options = version === undefined ? {} : { version };
    const lines = await runPython(
      `import sys\nsys.argv = ['evil', ${JSON.stringify(marker)}]\n${EVIL}`,
      [],
      options,
    );
    ok(lines.length > 100, `only ${lines.length} pickles`);
    const names = new Set<string>();
    for (const line of lines) {
      const [label, hex, name, offset] = JSON.parse(line) as [
        string,
        string,
        string,
        number,
      ];
      names.add(name);
      let caught: unknown;
      try {
        loads(fromHex(hex));
      } catch (e) {
        caught = e;
      }
      ok(
        caught instanceof UnpicklingError,
        `${label}: expected UnpicklingError, got ${caught}`,
      );
      const code = fromHex(hex)[offset]!.toString(16).padStart(2, "0");
      ok(
        caught.message.startsWith(
          `Cannot unpickle opcode '${name}' (0x${code}) at offset ${offset}: `,
        ),
        `${label}: ${caught.message} (expected ${name} at ${offset})`,
      );
    }
    // Every refused opcode was exercised.
    const expected = [
      "BINPERSID",
      "BUILD",
      "EXT1",
      "EXT2",
      "EXT4",
      "GLOBAL",
      "INST",
      "NEWOBJ",
      "OBJ",
      "PERSID",
      "REDUCE",
    ];
    if (version !== "2.7.18") {
      // Python 2 neither writes nor disassembles these.
      expected.push(
        "NEWOBJ_EX",
        "NEXT_BUFFER",
        "READONLY_BUFFER",
        "STACK_GLOBAL",
      );
    }
    for (const name of expected) {
      ok(names.has(name), `no pickle exercised ${name}`);
    }
    // Nothing ran.
    let exists = true;
    try {
      await Deno.stat(marker);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) exists = false;
      else throw e;
    }
    equal(exists, false, "the marker file appeared");
    return lines;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loads() refuses malicious pickles written by CPython (python3), and nothing runs", async () => {
  const lines = await checkEvil(undefined);
  // Control: CPython's own pickle.loads does run the os.system payloads, so
  // these pickles are live.
  const dir = await Deno.makeTempDir();
  try {
    const control = `${dir}/control`;
    const live = await runPython(
      `import sys\nsys.argv = ['evil', ${JSON.stringify(control)}]\n${EVIL}`,
    );
    const system = live.map((l) => JSON.parse(l) as [string, string]).filter(
      ([label]) => label === "System p0" || label === "System p5",
    );
    equal(system.length, 2);
    for (const [label, hex] of system) {
      await runPython(
        "import pickle, binascii, sys\npickle.loads(binascii.unhexlify(sys.stdin.readline().strip()))",
        [hex],
      );
      const stat = await Deno.stat(control);
      ok(stat.isFile, `${label} did not run under CPython`);
      await Deno.remove(control);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  ok(lines.length > 100);
});

for (const version of ["2.7.18", "3.13.0"]) {
  Deno.test({
    name: `loads() refuses malicious pickles written by CPython ${version}`,
    ignore: !pythonAvailable(version),
    fn: async () => {
      await checkEvil(version);
    },
  });
}
