// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  loads,
  type LoadsOptions,
  PyTuple,
  UnpicklingError,
} from "../pickle.ts";

/** Bytes from a string of code points 0..255. */
function b(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code > 0xff) throw new Error(`not a byte: ${code}`);
    return code;
  });
}

function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  return Uint8Array.from(
    clean.match(/../g) ?? [],
    (h) => parseInt(h, 16),
  );
}

/** A null-prototype object with the given own properties. */
function obj(entries: [string, unknown][]): Record<string, unknown> {
  const o = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of entries) {
    Object.defineProperty(o, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return o;
}

function u32(n: number): string {
  return String.fromCharCode(
    n & 0xff,
    (n >>> 8) & 0xff,
    (n >>> 16) & 0xff,
    (n >>> 24) & 0xff,
  );
}

function u64(lo: number, hi = 0): string {
  return u32(lo) + u32(hi);
}

/** Asserts loads() throws an UnpicklingError whose message matches. */
function refuses(
  data: Uint8Array | string,
  pattern: RegExp,
  options?: LoadsOptions,
): UnpicklingError {
  const bytes = typeof data === "string" ? b(data) : data;
  let caught: unknown;
  try {
    loads(bytes, options);
  } catch (e) {
    caught = e;
  }
  ok(
    caught instanceof UnpicklingError,
    `expected UnpicklingError, got ${caught}`,
  );
  equal(caught.name, "UnpicklingError");
  ok(
    pattern.test(caught.message),
    `message ${JSON.stringify(caught.message)} does not match ${pattern}`,
  );
  return caught;
}

const GOLDEN_FRAME = fromHex(`
000002807d71002858040000006e616d657101580a00000072656d6f74652e617070710258030000006d73677103580d
00000068656c6c6f20c3a920f09f9880710458040000006172677371054e58090000006c6576656c6e616d6571065805
0000004552524f52710758070000006c6576656c6e6f71084b285808000000706174686e616d657109580c0000002f61
70702f6d61696e2e7473710a580800000066696c656e616d65710b58070000006d61696e2e7473710c58060000006d6f
64756c65710d58040000006d61696e710e58080000006578635f696e666f710f4e58080000006578635f746578747110
582b0000004572726f723a20626f6f6d0a202020206174206d61696e20282f6170702f6d61696e2e74733a31323a3529
7111580a000000737461636b5f696e666f71124e58060000006c696e656e6f71134d2c01580800000066756e634e616d
65711458040000006d61696e711558070000006372656174656471164741d954fc4010000058050000006d7365637371
1747406f400000000000580f00000072656c61746976654372656174656471184740934a000000000058060000007468
7265616471194c3134303030303030303030303030304c0a580a0000007468726561644e616d65711a580a0000004d61
696e546872656164711b580b00000070726f636573734e616d65711c580b0000004d61696e50726f63657373711d5807
00000070726f63657373711e4a7011010058080000007461736b4e616d65711f4e580400000075736572712058030000
00626f62712158040000007461677371225d712328580100000061712458010000006271256558020000006f6b712649
30310a58030000006e656771274af9ffffff752e`);
const GOLDEN = GOLDEN_FRAME.subarray(4);

const GOLDEN_VALUE = obj([
  ["name", "remote.app"],
  ["msg", "hello é 😀"],
  ["args", null],
  ["levelname", "ERROR"],
  ["levelno", 40],
  ["pathname", "/app/main.ts"],
  ["filename", "main.ts"],
  ["module", "main"],
  ["exc_info", null],
  ["exc_text", "Error: boom\n    at main (/app/main.ts:12:5)"],
  ["stack_info", null],
  ["lineno", 300],
  ["funcName", "main"],
  ["created", 1700000000.25],
  ["msecs", 250],
  ["relativeCreated", 1234.5],
  ["thread", 140000000000000],
  ["threadName", "MainThread"],
  ["processName", "MainProcess"],
  ["process", 70000],
  ["taskName", null],
  ["user", "bob"],
  ["tags", ["a", "b"]],
  ["ok", true],
  ["neg", -7],
]);

// ---------------------------------------------------------------------------
// Golden vectors

Deno.test("loads() decodes the golden LogRecord vector exactly", () => {
  equal(GOLDEN.length, 640);
  const value = loads(GOLDEN) as Record<string, unknown>;
  equal(Object.getPrototypeOf(value), null);
  deepEqual(value, GOLDEN_VALUE);
  deepEqual(Object.keys(value), Object.keys(GOLDEN_VALUE));
  equal(typeof value.thread, "number");
  ok(Object.is(value.msecs, 250));
});

Deno.test("loads() decodes the golden vector twice with the string cache warm", () => {
  for (let i = 0; i < 3; i++) deepEqual(loads(GOLDEN), GOLDEN_VALUE);
});

Deno.test("loads() decodes the tiny vector", () => {
  const frame = fromHex(
    "000000297d71002858040000006e616d657101580100000061710258070000006c6576656c6e6f71034b1e752e",
  );
  deepEqual(loads(frame.subarray(4)), obj([["name", "a"], ["levelno", 30]]));
});

Deno.test("loads() reads a Uint8Array view at a non-zero byteOffset", () => {
  const buffer = new Uint8Array(GOLDEN.length + 7);
  buffer.set(GOLDEN, 7);
  deepEqual(loads(buffer.subarray(7)), GOLDEN_VALUE);
  // BINFLOAT/BININT read through the view, not the underlying buffer.
  const shifted = new Uint8Array(20);
  shifted.set(b("G?\xf8\x00\x00\x00\x00\x00\x00."), 3);
  equal(loads(shifted.subarray(3, 13)), 1.5);
});

// ---------------------------------------------------------------------------
// Scalars

Deno.test("loads() maps None, NEWTRUE, NEWFALSE", () => {
  equal(loads(b("N.")), null);
  equal(loads(b("\x80\x02\x88.")), true);
  equal(loads(b("\x80\x02\x89.")), false);
});

Deno.test("loads() reads INT text: bools, decimal, big", () => {
  equal(loads(b("I01\n.")), true);
  equal(loads(b("I00\n.")), false);
  equal(loads(b("I0\n.")), 0);
  equal(loads(b("I1\n.")), 1);
  equal(loads(b("I-7\n.")), -7);
  equal(loads(b("I+7\n.")), 7);
  ok(Object.is(loads(b("I-0\n.")), 0));
  equal(loads(b("I300\n.")), 300);
  equal(loads(b("I9007199254740991\n.")), 9007199254740991);
  equal(loads(b("I9007199254740992\n.")), 9007199254740992n);
  equal(loads(b("I-9007199254740993\n.")), -9007199254740993n);
  equal(loads(b("I4611686018427387904\n.")), 4611686018427387904n);
});

Deno.test("loads() refuses malformed INT/LONG text", () => {
  for (
    const bad of [
      "",
      "x",
      "1.5",
      "0x10",
      "1_000",
      " 1",
      "1 ",
      "010",
      "--1",
      "+",
    ]
  ) {
    refuses(
      `I${bad}\n.`,
      /^Cannot unpickle opcode 'INT' \(0x49\) at offset 0: /,
    );
    refuses(
      `L${bad}L\n.`,
      /^Cannot unpickle opcode 'LONG' \(0x4c\) at offset 0: /,
    );
  }
});

Deno.test("loads() reads LONG text with and without the L suffix", () => {
  equal(loads(b("L2147483648L\n.")), 2147483648);
  equal(loads(b("L-2147483649L\n.")), -2147483649);
  equal(loads(b("L1180591620717411303424L\n.")), 1180591620717411303424n);
  equal(loads(b("L5\n.")), 5);
  equal(loads(b("L140000000000000L\n.")), 140000000000000);
});

Deno.test("loads() limits text integers to 4300 digits", () => {
  const digits = "9".repeat(4300);
  equal(loads(b(`I${digits}\n.`)), BigInt(digits));
  equal(loads(b(`L-${digits}L\n.`)), -BigInt(digits));
  refuses(`I${digits}9\n.`, /'INT' \(0x49\) at offset 0: .*4300/);
  refuses(`L${digits}9L\n.`, /'LONG' \(0x4c\) at offset 0: .*4300/);
  // A megabyte of digits is refused without reading to its end.
  refuses(`I${"1".repeat(1 << 20)}\n.`, /'INT' \(0x49\) at offset 0: .*4300/);
});

Deno.test("loads() reads BININT1, BININT2, BININT", () => {
  equal(loads(b("K\x00.")), 0);
  equal(loads(b("K\xff.")), 255);
  equal(loads(b("M\x00\x01.")), 256);
  equal(loads(b("M\xff\xff.")), 65535);
  equal(loads(b("J\xf9\xff\xff\xff.")), -7);
  equal(loads(b("J\x00\x00\x00\x80.")), -2147483648);
  equal(loads(b("J\xff\xff\xff\x7f.")), 2147483647);
});

Deno.test("loads() reads LONG1 and LONG4 two's complement", () => {
  equal(loads(b("\x8a\x00.")), 0);
  equal(loads(b("\x8a\x01\xff.")), -1);
  equal(loads(b("\x8a\x01\x7f.")), 127);
  equal(loads(b("\x8a\x02\x80\x00.")), 128);
  equal(loads(b("\x8a\x05\x00\x00\x00\x80\x00.")), 2147483648);
  equal(loads(b("\x8a\x06\xff\xff\xff\xff\xff\x7f.")), 2 ** 47 - 1);
  equal(loads(b("\x8a\x06\x00\x00\x00\x00\x00\x80.")), -(2 ** 47));
  equal(loads(b("\x8a\x07\xff\xff\xff\xff\xff\xff\x1f.")), 2 ** 53 - 1);
  equal(loads(b("\x8a\x07\x00\x00\x00\x00\x00\x00\x20.")), 2n ** 53n);
  equal(loads(b("\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.")), -(2n ** 63n));
  equal(
    loads(b("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x40.")),
    2n ** 70n,
  );
  // LONG4 with 1000 bytes: 2**7999 - 1.
  const big = "\xff".repeat(999) + "\x7f";
  equal(loads(b("\x8b" + u32(1000) + big + ".")), 2n ** 7999n - 1n);
  equal(loads(b("\x8b" + u32(0) + ".")), 0);
  refuses(
    "\x8b\xff\xff\xff\xff.",
    /'LONG4' \(0x8b\) at offset 0: negative byte count/,
  );
});

Deno.test("loads() reads BINFLOAT big-endian, keeping NaN, infinities and -0", () => {
  equal(loads(b("G?\xf8\x00\x00\x00\x00\x00\x00.")), 1.5);
  equal(loads(fromHex("4741d954fc401000002e")), 1700000000.25);
  ok(Number.isNaN(loads(fromHex("477ff80000000000002e"))));
  equal(loads(fromHex("477ff00000000000002e")), Infinity);
  equal(loads(fromHex("47fff00000000000002e")), -Infinity);
  ok(Object.is(loads(fromHex("4780000000000000002e")), -0));
});

Deno.test("loads() reads FLOAT text as CPython's repr writes it", () => {
  equal(loads(b("F1.5\n.")), 1.5);
  equal(loads(b("F-2.0\n.")), -2);
  equal(loads(b("F1e+100\n.")), 1e100);
  equal(loads(b("F1.7976931348623157e+308\n.")), Number.MAX_VALUE);
  equal(loads(b("F5e-324\n.")), 5e-324);
  equal(loads(b("F.5\n.")), 0.5);
  equal(loads(b("Finf\n.")), Infinity);
  equal(loads(b("F-inf\n.")), -Infinity);
  equal(loads(b("FInfinity\n.")), Infinity);
  ok(Number.isNaN(loads(b("Fnan\n."))));
  ok(Object.is(loads(b("F-0.0\n.")), -0));
  for (const bad of ["", "x", "1.5.5", "0x10", "1e", "in f", "1,5"]) {
    refuses(
      `F${bad}\n.`,
      /^Cannot unpickle opcode 'FLOAT' \(0x46\) at offset 0: /,
    );
  }
});

// ---------------------------------------------------------------------------
// Strings and bytes

Deno.test("loads() reads BINUNICODE, SHORT_BINUNICODE, BINUNICODE8", () => {
  equal(loads(b("X\x00\x00\x00\x00.")), "");
  equal(loads(b("X\x02\x00\x00\x00\xc3\xa9.")), "é");
  equal(loads(b("\x8c\x04\xf0\x9f\x98\x80.")), "😀");
  equal(loads(b("\x8d" + u64(3) + "abc.")), "abc");
  const long = "x".repeat(70000) + "é" + "y".repeat(100);
  const utf8 = new TextEncoder().encode(long);
  const data = new Uint8Array(5 + utf8.length + 1);
  data.set(b("X" + u32(utf8.length)));
  data.set(utf8, 5);
  data[data.length - 1] = 0x2e;
  equal(loads(data), long);
});

Deno.test("loads() decodes UTF-8 with surrogatepass as CPython does", () => {
  equal(loads(b("X\x03\x00\x00\x00\xed\xa0\x80.")), "\ud800");
  equal(loads(b("X\x04\x00\x00\x00\xed\xa0\x80x.")), "\ud800x");
  equal(loads(b("X\x03\x00\x00\x00\xed\xbf\xbf.")), "\udfff");
  // Two encoded surrogates are two code units (indistinguishable in UTF-16
  // from the pair that f0 9f 98 80 encodes).
  equal(loads(b("X\x06\x00\x00\x00\xed\xa0\xbd\xed\xb8\x80.")), "\ud83d\ude00");
  equal(loads(b("X\x03\x00\x00\x00\xed\x9f\xbf.")), "\ud7ff");
  equal(loads(b("X\x03\x00\x00\x00\xef\xbf\xbf.")), "\uffff");
  equal(loads(b("X\x04\x00\x00\x00\xf4\x8f\xbf\xbf.")), "\u{10ffff}");
  equal(loads(b("X\x02\x00\x00\x00\xc2\x80.")), "\x80");
  // Long strings take the native decoder unless they hold surrogates.
  const tail = "é".repeat(200);
  const withSurrogate = "a".repeat(300) + "\ud800" + tail;
  const bytes = [
    ...new TextEncoder().encode("a".repeat(300)),
    0xed,
    0xa0,
    0x80,
    ...new TextEncoder().encode(tail),
  ];
  const data = Uint8Array.from([
    0x58,
    ...b(u32(bytes.length)),
    ...bytes,
    0x2e,
  ]);
  equal(loads(data), withSurrogate);
});

Deno.test("loads() refuses UTF-8 that CPython refuses", () => {
  for (
    const bad of [
      "\x80", // lone continuation
      "\xc0\x80", // overlong NUL
      "\xc1\xbf", // overlong
      "\xe0\x80\x80", // overlong 3-byte
      "\xf0\x80\x80\x80", // overlong 4-byte
      "\xf4\x90\x80\x80", // > U+10FFFF
      "\xf5\x80\x80\x80",
      "\xff",
      "\xe2\x82", // truncated
      "a\xc3", // truncated at end
      "\xe2\x28\xa1",
      "\xf0\x9f\x98", // truncated 4-byte
    ]
  ) {
    refuses(
      "X" + u32(bad.length) + bad + ".",
      /^Cannot unpickle opcode 'BINUNICODE' \(0x58\) at offset 0: invalid UTF-8 byte 0x[0-9a-f]{2} at offset \d+/,
    );
    refuses(
      "\x80\x04\x8c" + String.fromCharCode(bad.length) + bad + ".",
      /^Cannot unpickle opcode 'SHORT_BINUNICODE' \(0x8c\) at offset 2: invalid UTF-8/,
    );
  }
  // Also on the long-string path.
  refuses(
    "X" + u32(401) + "a".repeat(400) + "\xff.",
    /invalid UTF-8 byte 0xff at offset 405/,
  );
});

Deno.test("loads() reads UNICODE with raw-unicode-escape", () => {
  equal(loads(b("Vabc\np0\n.")), "abc");
  equal(loads(b("V\n.")), "");
  equal(loads(b("V\\u00e9\n.")), "é");
  equal(loads(b("V\xe9\xff\n.")), "éÿ"); // raw bytes are Latin-1
  equal(loads(b("V\\ud800x\n.")), "\ud800x");
  equal(loads(b("V\\U0001f600\n.")), "😀");
  equal(loads(b("V\\u005c\\u000a\n.")), "\\\n");
  equal(loads(b("V\\\\u0041\n.")), "\\\\u0041"); // even backslashes: literal
  equal(loads(b("V\\\\\\u0041\n.")), "\\\\A"); // odd: escape
  equal(loads(b("V\\x41\\n\n.")), "\\x41\\n"); // only \u and \U escape
  equal(loads(b("Va\\\n.")), "a\\");
  refuses("V\\u004\n.", /'UNICODE' \(0x56\) at offset 0: truncated/);
  refuses("V\\u00zz\n.", /'UNICODE' \(0x56\) at offset 0: truncated/);
  refuses("V\\U00110000\n.", /'UNICODE' \(0x56\) at offset 0: .*out of range/);
});

Deno.test("loads() reads Python 2 STRING/BINSTRING/SHORT_BINSTRING as UTF-8, else Latin-1", () => {
  equal(loads(b("U\x05caf\xc3\xa9.")), "café");
  equal(loads(b("T\x04\x00\x00\x00\xf0\x9f\x98\x80.")), "😀");
  equal(loads(b("S'caf\\xc3\\xa9'\n.")), "café");
  equal(loads(b("S'abc'\np0\n.")), "abc");
  equal(loads(b('S"it\'s"\n.')), "it's");
  equal(loads(b("S''\n.")), "");
  equal(loads(b("S'ab\\xff'\np0\n.")), "abÿ");
  equal(
    loads(b("S'\\\\\\'\\\"\\a\\b\\f\\n\\r\\t\\v'\n.")),
    "\\'\"\x07\b\f\n\r\t\v",
  );
  equal(loads(b("S'\\0\\12a\\777\\400'\n.")), "\x00\na\xff\x00");
  equal(loads(b("S'\\q'\n.")), "\\q"); // unknown escape keeps the backslash
  refuses("S'abc\n.", /'STRING' \(0x53\) at offset 0: .*quoted/);
  refuses("Sabc\n.", /'STRING' \(0x53\) at offset 0: .*quoted/);
  refuses("S'\n.", /'STRING' \(0x53\) at offset 0: .*quoted/);
  refuses("S'\\x4'\n.", /'STRING' \(0x53\) at offset 0: invalid \\x escape/);
  refuses("S'a\\'\n.", /'STRING' \(0x53\) at offset 0: .*quoted|trailing/);
  equal(loads(b("U\x03ab\xffq\x00.")), "abÿ");
  equal(loads(b("T\x03\x00\x00\x00\xe9t\xe9.")), "été");
  refuses(
    "T\xff\xff\xff\xff.",
    /'BINSTRING' \(0x54\) at offset 0: negative byte count/,
  );
});

Deno.test("loads() reads BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8 as copies", () => {
  deepEqual(loads(b("\x80\x03C\x03ab\xffq\x00.")), b("ab\xff"));
  deepEqual(loads(b("\x80\x03C\x00.")), new Uint8Array(0));
  deepEqual(loads(b("B\x02\x00\x00\x00\x00\x01.")), b("\x00\x01"));
  deepEqual(loads(b("\x8e" + u64(2) + "hi.")), b("hi"));
  deepEqual(loads(b("\x80\x05\x96" + u64(3) + "a\xffb\x94.")), b("a\xffb"));
  const input = b("C\x02xy.");
  const value = loads(input) as Uint8Array;
  input[2] = 0x41;
  deepEqual(value, b("xy"));
  ok(value.buffer !== input.buffer);
});

// ---------------------------------------------------------------------------
// Containers

Deno.test("loads() builds lists with EMPTY_LIST, APPEND, APPENDS, LIST", () => {
  deepEqual(loads(b("].")), []);
  deepEqual(loads(b("]K\x01a.")), [1]);
  deepEqual(loads(b("](K\x01K\x02e.")), [1, 2]);
  deepEqual(loads(b("](e.")), []);
  deepEqual(loads(b("(I1\nI2\nl.")), [1, 2]);
  deepEqual(loads(b("(l.")), []);
  deepEqual(loads(b("](K\x01e(K\x02eK\x03a.")), [1, 2, 3]);
});

Deno.test("loads() builds tuples as PyTuple", () => {
  deepEqual(loads(b(").")), new PyTuple([]));
  deepEqual(loads(b("(t.")), new PyTuple([]));
  deepEqual(loads(b("(K\x01K\x02t.")), new PyTuple([1, 2]));
  deepEqual(loads(b("\x80\x02K\x01\x85.")), new PyTuple([1]));
  deepEqual(loads(b("\x80\x02K\x01K\x02\x86.")), new PyTuple([1, 2]));
  deepEqual(loads(b("\x80\x02K\x01K\x02N\x87.")), new PyTuple([1, 2, null]));
  const t = loads(b("\x80\x02]\x85.")) as PyTuple;
  ok(t instanceof PyTuple);
  ok(Object.isFrozen(t.items));
});

Deno.test("loads() builds str-keyed dicts as null-prototype objects", () => {
  const empty = loads(b("}."));
  equal(Object.getPrototypeOf(empty), null);
  deepEqual(empty, obj([]));
  deepEqual(
    loads(b("}(X\x01\x00\x00\x00aK\x01X\x01\x00\x00\x00bK\x02u.")),
    obj([["a", 1], ["b", 2]]),
  );
  deepEqual(loads(b("}X\x01\x00\x00\x00aK\x01s.")), obj([["a", 1]]));
  deepEqual(loads(b("(Va\nI1\nVb\nI2\nd.")), obj([["a", 1], ["b", 2]]));
  // A repeated key keeps its first position and takes the last value.
  const d = loads(
    b("}(\x8c\x01aK\x01\x8c\x01bK\x02\x8c\x01aK\x03u."),
  ) as Record<string, unknown>;
  deepEqual(Object.keys(d), ["a", "b"]);
  equal(d.a, 3);
});

Deno.test("loads() keeps '__proto__' and other special keys as own properties", () => {
  const before = Object.getOwnPropertyNames(Object.prototype).length;
  const data = b(
    "}(X\x09\x00\x00\x00__proto__}X\x01\x00\x00\x00xK\x01s" +
      "X\x0b\x00\x00\x00constructorK\x02X\x08\x00\x00\x00toStringK\x03" +
      "X\x0e\x00\x00\x00hasOwnPropertyK\x04u.",
  );
  const value = loads(data) as Record<string, unknown>;
  equal(Object.getPrototypeOf(value), null);
  ok(Object.hasOwn(value, "__proto__"));
  deepEqual(Object.keys(value), [
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
  ]);
  deepEqual(
    Object.getOwnPropertyDescriptor(value, "__proto__")?.value,
    obj([["x", 1]]),
  );
  equal(value.constructor, 2);
  equal(({} as Record<string, unknown>).x, undefined);
  equal(Object.getOwnPropertyNames(Object.prototype).length, before);
  // Via DICT (keys known up front) too.
  const viaDict = loads(b("(V__proto__\nI7\nd.")) as Record<string, unknown>;
  equal(Object.getPrototypeOf(viaDict), null);
  equal(Object.getOwnPropertyDescriptor(viaDict, "__proto__")?.value, 7);
});

Deno.test("loads() builds dicts with non-str keys as Maps", () => {
  deepEqual(loads(b("}(K\x01K\x02K\x03K\x04u.")), new Map([[1, 2], [3, 4]]));
  const mixed = loads(b("}(X\x01\x00\x00\x00aK\x01K\x02K\x03u.")) as Map<
    unknown,
    unknown
  >;
  ok(mixed instanceof Map);
  deepEqual([...mixed], [["a", 1], [2, 3]]);
  const tupleKeyed = loads(
    b("\x80\x02}(K\x01K\x02\x86X\x01\x00\x00\x00xu."),
  ) as Map<
    unknown,
    unknown
  >;
  deepEqual([...tupleKeyed], [[new PyTuple([1, 2]), "x"]]);
  // Keys of every hashable kind.
  const kinds = loads(
    b(
      "\x80\x04}(N\x8c\x01n\x88\x8c\x01tG?\xf8\x00\x00\x00\x00\x00\x00\x8c\x01f" +
        "C\x01b\x8c\x01b(\x91\x8c\x02fs\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01\x8c\x01Lu.",
    ),
  ) as Map<unknown, unknown>;
  deepEqual([...kinds.values()], ["n", "t", "f", "b", "fs", "L"]);
  deepEqual([...kinds.keys()], [null, true, 1.5, b("b"), new Set(), 2n ** 64n]);
  deepEqual(loads(b("(I1\nI2\nd.")), new Map([[1, 2]]));
  // A str-keyed dict that later gets a non-str key becomes a Map.
  deepEqual(
    loads(b("}(\x8c\x01aK\x01uK\x02K\x03s.")),
    new Map<unknown, unknown>([["a", 1], [2, 3]]),
  );
});

Deno.test("loads() refuses unhashable dict keys and set members", () => {
  refuses("}]K\x01s.", /'SETITEM' \(0x73\) at offset 4: unhashable list/);
  refuses("}}K\x01s.", /'SETITEM' \(0x73\) at offset 4: unhashable dict/);
  refuses("(]K\x01d.", /'DICT' \(0x64\) at offset 4: unhashable list/);
  refuses(
    "\x80\x04\x8f(]\x90.",
    /'ADDITEMS' \(0x90\) at offset 5: unhashable list/,
  );
  refuses(
    "\x80\x04(\x8f\x91.",
    /'FROZENSET' \(0x91\) at offset 4: unhashable set/,
  );
  refuses(
    "\x80\x04}(\x8fK\x01u.",
    /'SETITEMS' \(0x75\) at offset 7: unhashable set/,
  );
  refuses(
    "\x80\x04(}\x91.",
    /'FROZENSET' \(0x91\) at offset 4: unhashable dict/,
  );
});

Deno.test("loads() builds sets with EMPTY_SET, ADDITEMS, FROZENSET", () => {
  deepEqual(loads(b("\x80\x04\x8f.")), new Set());
  deepEqual(loads(b("\x80\x04\x8f(K\x01K\x02K\x01\x90.")), new Set([1, 2]));
  deepEqual(loads(b("\x80\x04(K\x01\x91.")), new Set([1]));
  deepEqual(loads(b("\x80\x04(\x91.")), new Set());
  // A frozenset is hashable: it can be a member.
  const outer = loads(b("\x80\x04\x8f((K\x01\x91\x90.")) as Set<unknown>;
  deepEqual(outer, new Set([new Set([1])]));
  // ADDITEMS on a frozenset fails, as in CPython.
  refuses(
    "\x80\x04(\x91(K\x01\x90.",
    /'ADDITEMS' \(0x90\) at offset 7: the target is a frozenset, not a set/,
  );
  refuses(
    "](K\x01\x90.",
    /'ADDITEMS' \(0x90\) at offset 4: the target is a list/,
  );
});

// ---------------------------------------------------------------------------
// Memo, shared and cyclic structures

Deno.test("loads() resolves PUT/GET in all forms and keeps identity", () => {
  const text = loads(b("(lp0\ng0\na.")) as unknown[];
  equal(text[0], text);
  const bin = loads(b("]q\x00h\x00a.")) as unknown[];
  equal(bin[0], bin);
  const long = loads(b("]r\xff\xff\xff\xffj\xff\xff\xff\xffa.")) as unknown[];
  equal(long[0], long);
  const memoize = loads(b("\x80\x04]\x94h\x00a.")) as unknown[];
  equal(memoize[0], memoize);
  // Shared, not cyclic.
  const shared = loads(b("\x80\x02](]q\x01h\x01e.")) as unknown[][];
  equal(shared.length, 2);
  equal(shared[0], shared[1]);
  // PUT overwrites.
  equal(loads(b("K\x01q\x000K\x02q\x000h\x00.")), 2);
});

Deno.test("loads() decodes cyclic tuples written with POP and POP_MARK", () => {
  // l = []; t = (l,); l.append(t)  -> protocols 0, 1, 2
  for (
    const text of [
      "((lp0\n(g0\ntp1\na00g1\n.",
      "(]q\x00(h\x00tq\x01a1h\x01.",
      "\x80\x02]q\x00h\x00\x85q\x01a0h\x01.",
    ]
  ) {
    const t = loads(b(text)) as PyTuple;
    ok(t instanceof PyTuple);
    const l = t.items[0] as unknown[];
    ok(Array.isArray(l));
    equal(l[0], t);
  }
});

Deno.test("loads() decodes a self-referential dict with a non-str key as a cyclic Map", () => {
  // d = {}; d[1] = d
  for (
    const text of [
      "(dp0\nI1\ng0\ns.",
      "}q\x00K\x01h\x00s.",
      "\x80\x04}\x94K\x01h\x00s.",
    ]
  ) {
    const d = loads(b(text)) as Map<unknown, unknown>;
    ok(d instanceof Map);
    equal(d.size, 1);
    equal(d.get(1), d);
  }
  // d = {'x': None}; l = [d]; d[1] = l; pickle [l, d]: the dict is shared
  // through the memo before its int key arrives.
  const data = b(
    "\x80\x02](]q\x01}q\x02(X\x01\x00\x00\x00xNK\x01h\x01uah\x02e.",
  );
  const [l, d] = loads(data) as [unknown[], Map<unknown, unknown>];
  ok(d instanceof Map);
  equal(l[0], d);
  equal(d.get(1), l);
  equal(d.get("x"), null);
  // A str-keyed dict that contains itself stays an object.
  const self = loads(b("}q\x00X\x04\x00\x00\x00selfh\x00s.")) as Record<
    string,
    unknown
  >;
  equal(self.self, self);
});

Deno.test("loads() reads DUP and POP", () => {
  deepEqual(loads(b("(K\x012t.")), new PyTuple([1, 1]));
  equal(loads(b("K\x01K\x020.")), 1);
  deepEqual(loads(b("](K\x01K\x020e.")), [1]);
  // POP with a MARK on top pops the MARK, as CPython does.
  deepEqual(loads(b("](0K\x01a.")), [1]);
  deepEqual(loads(b("](K\x01K\x021.")), []);
});

Deno.test("loads() accepts PROTO 0-5 and FRAME, refuses PROTO 6 and bad frames", () => {
  for (let p = 0; p <= 5; p++) {
    equal(loads(b(`\x80${String.fromCharCode(p)}N.`)), null);
  }
  refuses(
    "\x80\x06N.",
    /^Cannot unpickle opcode 'PROTO' \(0x80\) at offset 0: unsupported pickle protocol 6$/,
  );
  equal(loads(b("\x80\x04\x95" + u64(2) + "N.")), null);
  refuses(
    "\x80\x04\x95" + u64(3) + "N.",
    /'FRAME' \(0x95\) at offset 2: unexpected end of data at offset 13: frame of 3 bytes exceeds the 2 remaining bytes/,
  );
  refuses(
    "\x80\x04\x95" + u64(0, 1) + "N.",
    /'FRAME' \(0x95\) at offset 2: unexpected end of data at offset 13: frame of 4294967296 bytes/,
  );
});

// ---------------------------------------------------------------------------
// Allow-listed constructions

Deno.test("loads() accepts the fixed bytes constructions CPython writes", () => {
  // b'ab\xff', protocols 0-2 (3.11)
  deepEqual(
    loads(b("c_codecs\nencode\np0\n(Vab\xff\np1\nVlatin1\np2\ntp3\nRp4\n.")),
    b("ab\xff"),
  );
  deepEqual(
    loads(
      b("c_codecs\nencode\nq\x00(X\x04\x00\x00\x00ab\xc3\xbfq\x01X\x06\x00\x00\x00latin1q\x02tq\x03Rq\x04."),
    ),
    b("ab\xff"),
  );
  deepEqual(
    loads(
      b("\x80\x02c_codecs\nencode\nq\x00X\x04\x00\x00\x00ab\xc3\xbfq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04."),
    ),
    b("ab\xff"),
  );
  // b'' under protocols 0-2
  deepEqual(loads(b("c__builtin__\nbytes\np0\n(tRp1\n.")), new Uint8Array(0));
  deepEqual(
    loads(b("\x80\x02c__builtin__\nbytes\nq\x00)Rq\x01.")),
    new Uint8Array(0),
  );
  refuses(
    "c_codecs\nencode\n(V\\u0100\nVlatin1\ntR.",
    /'REDUCE' \(0x52\) at offset \d+: _codecs.encode with a str that is not Latin-1/,
  );
});

Deno.test("loads() accepts the fixed bytearray constructions CPython writes", () => {
  // 3.11 p1, 3.11 p3, 3.11 p4 (STACK_GLOBAL), 2.7 p1, 2.7 p0, empty
  deepEqual(
    loads(
      b("c__builtin__\nbytearray\nq\x00(c_codecs\nencode\nq\x01(X\x04\x00\x00\x00a\xc3\xbfbq\x02X\x06\x00\x00\x00latin1q\x03tq\x04Rq\x05tq\x06Rq\x07."),
    ),
    b("a\xffb"),
  );
  deepEqual(
    loads(
      b("\x80\x03cbuiltins\nbytearray\nq\x00C\x03a\xffbq\x01\x85q\x02Rq\x03."),
    ),
    b("a\xffb"),
  );
  deepEqual(
    loads(
      b("\x80\x04\x95$\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\tbytearray\x94\x93\x94C\x03a\xffb\x94\x85\x94R\x94."),
    ),
    b("a\xffb"),
  );
  deepEqual(
    loads(
      b("c__builtin__\nbytearray\nq\x00(X\x04\x00\x00\x00a\xc3\xbfbq\x01U\x07latin-1q\x02tq\x03Rq\x04."),
    ),
    b("a\xffb"),
  );
  deepEqual(
    loads(
      b("c__builtin__\nbytearray\np0\n(Va\xffb\np1\nS'latin-1'\np2\ntp3\nRp4\n."),
    ),
    b("a\xffb"),
  );
  deepEqual(
    loads(b("\x80\x03cbuiltins\nbytearray\nq\x00)Rq\x01.")),
    new Uint8Array(0),
  );
  // bytearray(bytes) copies: the memoised bytes and the bytearray differ.
  const pair = loads(
    b("\x80\x03](C\x01xq\x01cbuiltins\nbytearray\nh\x01\x85Re."),
  ) as Uint8Array[];
  deepEqual(pair, [b("x"), b("x")]);
  ok(pair[0] !== pair[1]);
});

Deno.test("loads() accepts the fixed set/frozenset constructions CPython writes", () => {
  deepEqual(
    loads(b("c__builtin__\nset\np0\n((lp1\nL1L\naL2L\natp2\nRp3\n.")),
    new Set([1, 2]),
  );
  deepEqual(
    loads(b("c__builtin__\nset\nq\x00(]q\x01(K\x01K\x02etq\x02Rq\x03.")),
    new Set([1, 2]),
  );
  deepEqual(
    loads(b("\x80\x03cbuiltins\nset\nq\x00]q\x01\x85q\x02Rq\x03.")),
    new Set(),
  );
  deepEqual(
    loads(
      b("\x80\x02c__builtin__\nfrozenset\nq\x00]q\x01K\x01a\x85q\x02Rq\x03."),
    ),
    new Set([1]),
  );
  deepEqual(loads(b("cbuiltins\nset\n)R.")), new Set());
  // A frozenset from REDUCE is hashable, a set is not.
  deepEqual(
    loads(b("\x80\x04\x8f(cbuiltins\nfrozenset\n]\x85R\x90.")),
    new Set([new Set()]),
  );
  refuses(
    "\x80\x04\x8f(cbuiltins\nset\n]\x85R\x90.",
    /'ADDITEMS' \(0x90\) at offset \d+: unhashable set/,
  );
  refuses(
    "cbuiltins\nset\n(]]atR.",
    /'REDUCE' \(0x52\) at offset \d+: unhashable list/,
  );
});

Deno.test("loads() refuses allow-listed globals with other arguments", () => {
  const reduce =
    /^Cannot unpickle opcode 'REDUCE' \(0x52\) at offset \d+: it would call '[\w.]+' with arguments other than those CPython writes for plain data$/;
  refuses("cbuiltins\nbytearray\n(I5\ntR.", reduce);
  refuses("cbuiltins\nbytes\n(I5\ntR.", reduce);
  refuses("cbuiltins\nbytes\n(C\x01xtR.", reduce);
  refuses("c_codecs\nencode\n(Vx\nVrot13\ntR.", reduce);
  refuses("c_codecs\nencode\n(Vx\ntR.", reduce);
  refuses("c_codecs\nencode\n(C\x01xVlatin1\ntR.", reduce);
  refuses("cbuiltins\nset\n(Vabc\ntR.", reduce);
  refuses("cbuiltins\nset\n]R.", reduce); // args not a tuple
  refuses("cbuiltins\nfrozenset\n(]]tR.", reduce);
  refuses("cbuiltins\nbytearray\n(Vx\nVutf-8\ntR.", reduce);
});

Deno.test("loads() never lets an allow-listed global escape REDUCE", () => {
  const leak = /may only be called with REDUCE/;
  refuses(
    "cbuiltins\nset\n.",
    /'STOP' \(0x2e\) at offset 14: .*may only be called with REDUCE/,
  );
  refuses("]cbuiltins\nset\na.", leak);
  refuses("](cbuiltins\nset\ne.", leak);
  refuses("(cbuiltins\nset\nt.", leak);
  refuses("\x80\x02cbuiltins\nset\n\x85.", leak);
  refuses("}cbuiltins\nset\nK\x01s.", leak);
  refuses("}K\x01cbuiltins\nset\ns.", leak);
  refuses("(cbuiltins\nset\nl.", leak);
  refuses("(cbuiltins\nset\nK\x01d.", leak);
  refuses("\x80\x04\x8f(cbuiltins\nset\n\x90.", leak);
  refuses("\x80\x04(cbuiltins\nset\n\x91.", leak);
  // Memoised and fetched again: still only callable.
  refuses("cbuiltins\nset\nq\x000]h\x00a.", leak);
  // A marker called on a marker.
  refuses("cbuiltins\nset\n(c_codecs\nencode\ntR.", leak);
  // REDUCE with a callable that is not a marker.
  refuses(
    "](tR.",
    /^Cannot unpickle opcode 'REDUCE' \(0x52\) at offset 3: it would call an arbitrary callable$/,
  );
  refuses(
    "N)R.",
    /'REDUCE' \(0x52\) at offset 2: it would call an arbitrary callable/,
  );
});

// ---------------------------------------------------------------------------
// Refused opcodes

Deno.test("loads() refuses every code-running opcode, naming it and its offset", () => {
  const cases: [string, string, number, number, RegExp][] = [
    ["cos\nsystem\n.", "GLOBAL", 0x63, 0, /it would import 'os\.system'/],
    [
      "\x80\x02cposix\nsystem\n.",
      "GLOBAL",
      0x63,
      2,
      /it would import 'posix\.system'/,
    ],
    [
      "c__builtin__\neval\n.",
      "GLOBAL",
      0x63,
      0,
      /it would import '__builtin__\.eval'/,
    ],
    [
      "cbuiltins\ngetattr\n.",
      "GLOBAL",
      0x63,
      0,
      /it would import 'builtins\.getattr'/,
    ],
    [
      "c_codecs\ndecode\n.",
      "GLOBAL",
      0x63,
      0,
      /it would import '_codecs\.decode'/,
    ],
    [
      "cbuiltins\nset.add\n.",
      "GLOBAL",
      0x63,
      0,
      /it would import 'builtins\.set\.add'/,
    ],
    [
      "\x80\x04\x8c\x02os\x8c\x06system\x93.",
      "STACK_GLOBAL",
      0x93,
      14,
      /it would import 'os\.system'/,
    ],
    ["\x80\x04K\x01K\x02\x93.", "STACK_GLOBAL", 0x93, 6, /non-str/],
    ["N)R.", "REDUCE", 0x52, 2, /it would call an arbitrary callable/],
    ["]}b.", "BUILD", 0x62, 2, /it would set an object's state/],
    [
      "(S'ls'\nios\nsystem\n.",
      "INST",
      0x69,
      7,
      /it would construct an arbitrary object/,
    ],
    ["(]o.", "OBJ", 0x6f, 2, /it would construct an arbitrary object/],
    [
      "\x80\x02])\x81.",
      "NEWOBJ",
      0x81,
      4,
      /it would construct an arbitrary object/,
    ],
    [
      "\x80\x04])}\x92.",
      "NEWOBJ_EX",
      0x92,
      5,
      /it would construct an arbitrary object/,
    ],
    ["P1\n.", "PERSID", 0x50, 0, /persistent id/],
    ["K\x01Q.", "BINPERSID", 0x51, 2, /persistent id/],
    ["\x80\x02\x82\x01.", "EXT1", 0x82, 2, /extension registry/],
    ["\x80\x02\x83\x01\x00.", "EXT2", 0x83, 2, /extension registry/],
    ["\x80\x02\x84\x01\x00\x00\x00.", "EXT4", 0x84, 2, /extension registry/],
    ["\x80\x05\x97.", "NEXT_BUFFER", 0x97, 2, /out-of-band buffers/],
    ["\x80\x05C\x01x\x98.", "READONLY_BUFFER", 0x98, 5, /out-of-band buffers/],
  ];
  for (const [text, name, code, at, reason] of cases) {
    const e = refuses(
      text,
      new RegExp(
        `^Cannot unpickle opcode '${name}' \\(0x${
          code.toString(16)
        }\\) at offset ${at}: `,
      ),
    );
    ok(reason.test(e.message), `${e.message} !~ ${reason}`);
  }
});

Deno.test("loads() reports the offset of a refused opcode deep in the input", () => {
  // The golden record with its last BININT replaced by a REDUCE.
  const data = GOLDEN.slice();
  data[633] = 0x52;
  data.copyWithin(634, 638);
  refuses(
    data.subarray(0, data.length - 4),
    /^Cannot unpickle opcode 'REDUCE' \(0x52\) at offset 633: /,
  );
});

Deno.test("loads() escapes hostile global names in messages", () => {
  const e = refuses(
    "c\x1b[31mos\nsys'tem" + "x".repeat(200) + "\n.",
    /it would import/,
  );
  ok(!e.message.includes("\x1b"));
  ok(e.message.length < 300);
  ok(e.message.includes("\\u001b[31mos.sys\\u0027tem"));
});

Deno.test("loads() refuses unknown opcodes", () => {
  for (const op of [0x00, 0x0a, 0x20, 0x41, 0x99, 0xff]) {
    refuses(
      new Uint8Array([op, 0x2e]),
      new RegExp(
        `^Cannot unpickle opcode 0x${
          op.toString(16).padStart(2, "0")
        } at offset 0: unknown opcode$`,
      ),
    );
  }
});

// ---------------------------------------------------------------------------
// Structure errors

Deno.test("loads() requires exactly one value and no MARK at STOP, and nothing after", () => {
  refuses(
    ".",
    /^Cannot unpickle opcode 'STOP' \(0x2e\) at offset 0: the stack holds 0 values, expected 1$/,
  );
  refuses(
    "NN.",
    /'STOP' \(0x2e\) at offset 2: the stack holds 2 values, expected 1/,
  );
  refuses("(N.", /'STOP' \(0x2e\) at offset 2: 1 MARK\(s\) still open/);
  refuses("N(.", /'STOP' \(0x2e\) at offset 2: 1 MARK\(s\) still open/);
  refuses(
    "N.N",
    /'STOP' \(0x2e\) at offset 1: 1 unexpected byte\(s\) after STOP/,
  );
  refuses("", /^Unexpected end of data at offset 0: no STOP opcode$/);
  refuses("N", /^Unexpected end of data at offset 1: no STOP opcode$/);
});

Deno.test("loads() never lets a MARK leak into a container", () => {
  refuses("](a.", /'APPEND' \(0x61\) at offset 2: stack underflow/);
  refuses("]K\x01(a.", /'APPEND' \(0x61\) at offset 4: stack underflow/);
  refuses("(e.", /'APPENDS' \(0x65\) at offset 1: stack underflow/);
  refuses("}(K\x01s.", /'SETITEM' \(0x73\) at offset 4: stack underflow/);
  refuses("(u.", /'SETITEMS' \(0x75\) at offset 1: stack underflow/);
  refuses("}(K\x01u.", /'SETITEMS' \(0x75\) at offset 4: odd number of items/);
  refuses("(K\x01d.", /'DICT' \(0x64\) at offset 3: odd number of items/);
  refuses("(\x90.", /'ADDITEMS' \(0x90\) at offset 1: stack underflow/);
  refuses("\x80\x02(\x85.", /'TUPLE1' \(0x85\) at offset 3: stack underflow/);
  refuses("\x80\x02N(N\x86.", /'TUPLE2' \(0x86\) at offset 5: stack underflow/);
  refuses("(2.", /'DUP' \(0x32\) at offset 1: stack underflow/);
  refuses("(q\x00.", /'BINPUT' \(0x71\) at offset 1: stack underflow/);
  refuses("(\x94.", /'MEMOIZE' \(0x94\) at offset 1: stack underflow/);
  refuses("0.", /'POP' \(0x30\) at offset 0: stack underflow/);
  refuses("1.", /'POP_MARK' \(0x31\) at offset 0: no MARK/);
  refuses("t.", /'TUPLE' \(0x74\) at offset 0: no MARK/);
  refuses("N(R.", /'REDUCE' \(0x52\) at offset 2: stack underflow/);
  refuses(
    "\x80\x04(\x8c\x01a\x93.",
    /'STACK_GLOBAL' \(0x93\) at offset 6: stack underflow/,
  );
  refuses(
    "NK\x01a.",
    /'APPEND' \(0x61\) at offset 3: the target is a None, not a list/,
  );
  refuses(")K\x01a.", /the target is a tuple, not a list/);
  refuses(
    "]K\x01K\x01s.",
    /'SETITEM' \(0x73\) at offset 5: the target is a list, not a dict/,
  );
});

Deno.test("loads() refuses memo keys that do not exist", () => {
  refuses(
    "h\x00.",
    /^Cannot unpickle opcode 'BINGET' \(0x68\) at offset 0: memo key 0 not found$/,
  );
  refuses("g5\n.", /'GET' \(0x67\) at offset 0: memo key 5 not found/);
  refuses(
    "j\x00\x00\x00\x01.",
    /'LONG_BINGET' \(0x6a\) at offset 0: memo key 16777216 not found/,
  );
  refuses(
    "Nq\x01h\x00.",
    /'BINGET' \(0x68\) at offset 3: memo key 0 not found/,
  );
  refuses("Np-1\n.", /'PUT' \(0x70\) at offset 1: invalid memo index/);
  refuses("Np\n.", /'PUT' \(0x70\) at offset 1: empty memo index/);
  refuses("Npx\n.", /'PUT' \(0x70\) at offset 1: invalid memo index/);
  refuses("Ng99999999999999999999\n.", /'GET' \(0x67\) at offset 1: /);
});

Deno.test("loads() reports truncation with the offset for every prefix of a record", () => {
  for (let n = 0; n < GOLDEN.length; n++) {
    refuses(GOLDEN.subarray(0, n), /nexpected end of data at offset \d+/);
  }
  // The offset is where the data ran out.
  refuses(
    "X\x05\x00\x00\x00ab",
    /^Cannot unpickle opcode 'BINUNICODE' \(0x58\) at offset 0: unexpected end of data at offset 7: declared length 5 exceeds the 2 remaining bytes$/,
  );
  refuses(
    "J\x01\x02",
    /^Cannot unpickle opcode 'BININT' \(0x4a\) at offset 0: unexpected end of data at offset 3$/,
  );
  refuses(
    "NI12",
    /^Cannot unpickle opcode 'INT' \(0x49\) at offset 1: unexpected end of data at offset 4$/,
  );
  refuses(
    "K",
    /^Cannot unpickle opcode 'BININT1' \(0x4b\) at offset 0: unexpected end of data at offset 1$/,
  );
});

// ---------------------------------------------------------------------------
// Limits

Deno.test("loads() checks declared lengths before allocating (4 GiB in 10 bytes)", () => {
  const claims: [string, string][] = [
    ["X\xff\xff\xff\xffabcd.", "BINUNICODE"],
    ["B\xff\xff\xff\xffabcd.", "BINBYTES"],
    ["\x8d" + u64(0xffffffff, 0) + ".", "BINUNICODE8"],
    ["\x8d" + u64(0, 0xffffffff) + ".", "BINUNICODE8"],
    ["\x8e" + u64(0, 1) + ".", "BINBYTES8"],
    ["\x96" + u64(0xffffffff, 0xffffffff) + ".", "BYTEARRAY8"],
    ["T\xff\xff\xff\x7fabcd.", "BINSTRING"],
    ["\x8b\xff\xff\xff\x7fabcd.", "LONG4"],
    ["\x95" + u64(0, 1) + ".", "FRAME"],
  ];
  for (const [text, name] of claims) {
    const data = b(text);
    ok(data.length <= 10);
    refuses(
      data,
      new RegExp(
        `^Cannot unpickle opcode '${name}' \\(0x[0-9a-f]{2}\\) at offset 0: unexpected end of data at offset ${data.length}: .*exceeds the \\d+ remaining bytes$`,
      ),
    );
  }
  refuses(
    "\x8a\xffab.",
    /'LONG1' \(0x8a\) at offset 0: unexpected end of data/,
  );
  refuses(
    "U\xffab.",
    /'SHORT_BINSTRING' \(0x55\) at offset 0: unexpected end of data at offset 5: declared length 255 exceeds the 3 remaining bytes/,
  );
  refuses(
    "C\xffab.",
    /'SHORT_BINBYTES' \(0x43\) at offset 0: unexpected end of data at offset 5: declared length 255/,
  );
  refuses(
    "\x8c\xffab.",
    /'SHORT_BINUNICODE' \(0x8c\) at offset 0: unexpected end of data at offset 5: declared length 255/,
  );
});

Deno.test("loads() enforces maxInputBytes", () => {
  refuses("N.", /^Cannot unpickle 2 bytes: more than maxInputBytes \(1\)$/, {
    maxInputBytes: 1,
  });
  equal(loads(b("N."), { maxInputBytes: 2 }), null);
  refuses(
    new Uint8Array(64 * 1024 * 1024 + 1),
    /more than maxInputBytes \(67108864\)/,
  );
});

Deno.test("loads() enforces maxDepth on MARKs and nesting", () => {
  // MARK depth
  refuses(
    "(".repeat(1001) + ".",
    /'MARK' \(0x28\) at offset 1000: more than maxDepth \(1000\) open MARKs/,
  );
  refuses("(((.", /'MARK' \(0x28\) at offset 2: more than maxDepth \(2\)/, {
    maxDepth: 2,
  });
  // Tuples nested with TUPLE1: one byte per level.
  const ok1000 = "\x80\x02N" + "\x85".repeat(1000) + ".";
  let t = loads(b(ok1000));
  for (let i = 0; i < 1000; i++) t = (t as PyTuple).items[0];
  equal(t, null);
  refuses(
    "\x80\x02N" + "\x85".repeat(1001) + ".",
    /'TUPLE1' \(0x85\) at offset 1003: containers nest deeper than maxDepth \(1000\)/,
  );
  const tenMillion = new Uint8Array(10_000_004);
  tenMillion.set(b("\x80\x02N"));
  tenMillion.fill(0x85, 3);
  tenMillion[tenMillion.length - 1] = 0x2e;
  // A large input is walked first: its containers alone are over the
  // decode budget (72 units per byte), so it is refused before decoding.
  refuses(
    tenMillion,
    /Cannot unpickle 10000004 bytes: the decoded values would take more than 161048640 heap units .*counting its containers alone/,
  );
  refuses(
    tenMillion,
    /'TUPLE1' \(0x85\) at offset 1003: containers nest deeper than maxDepth/,
    { maxHeapFactor: 100 },
  );
  // Lists nested with APPEND.
  refuses(
    "]".repeat(1002) + "a".repeat(1001) + ".",
    /'APPEND' \(0x61\) at offset \d+: containers nest deeper/,
  );
  equal(
    (loads(b("]".repeat(1000) + "a".repeat(999) + ".")) as unknown[]).length,
    1,
  );
  // Dicts and sets.
  refuses(
    "}K\x01}s.",
    /'SETITEM' \(0x73\) at offset 4: containers nest deeper than maxDepth \(1\)/,
    { maxDepth: 1 },
  );
  refuses(
    "\x80\x04\x8f(N\x85\x90.",
    /'ADDITEMS' \(0x90\) at offset 6: containers nest deeper than maxDepth \(1\)/,
    { maxDepth: 1 },
  );
  refuses(
    "(]l.",
    /'LIST' \(0x6c\) at offset 2: containers nest deeper than maxDepth \(1\)/,
    { maxDepth: 1 },
  );
  refuses("(}d.", /'DICT' \(0x64\) at offset 2: odd number/, { maxDepth: 1 });
  refuses(
    "(N}d.",
    /'DICT' \(0x64\) at offset 3: containers nest deeper than maxDepth \(1\)/,
    { maxDepth: 1 },
  );
  refuses(
    "(N\x85t.",
    /'TUPLE' \(0x74\) at offset 3: containers nest deeper than maxDepth \(1\)/,
    { maxDepth: 1 },
  );
  // A deep pickle is refused quickly rather than built.
  const deep = "]".repeat(500_000) + "a".repeat(499_999) + ".";
  refuses(deep, /containers nest deeper than maxDepth/, { maxHeapFactor: 100 });
  // By default its 500,000 lists are over the decode budget: refused by
  // the walk before anything is built.
  refuses(deep, /counting its containers alone/);
});

Deno.test("loads() enforces maxMemo", () => {
  equal(loads(b("Nq\x00q\x01q\x02."), { maxMemo: 3 }), null);
  refuses(
    "Nq\x00q\x01q\x02q\x03.",
    /'BINPUT' \(0x71\) at offset 7: more than maxMemo \(3\) memo entries/,
    { maxMemo: 3 },
  );
  // Overwriting an entry does not count twice.
  equal(loads(b("Nq\x00q\x00q\x00q\x00."), { maxMemo: 1 }), null);
  refuses(
    "N\x94\x94.",
    /'MEMOIZE' \(0x94\) at offset 2: more than maxMemo \(1\)/,
    { maxMemo: 1 },
  );
  refuses(
    "Nr\x00\x00\x00\x80r\x01\x00\x00\x80.",
    /'LONG_BINPUT' \(0x72\) at offset 6: more than maxMemo \(1\)/,
    { maxMemo: 1 },
  );
  // Sparse indices are fine and cost no memory.
  equal(loads(b("K\x07r\xfe\xff\xff\xff0j\xfe\xff\xff\xff.")), 7);
  equal(loads(b("K\x07p9007199254740991\n0g9007199254740991\n.")), 7);
  // A million MEMOIZEs hit the default limit.
  const data = new Uint8Array(1_000_003);
  data[0] = 0x4e;
  data.fill(0x94, 1, 1_000_002);
  data[1_000_002] = 0x2e;
  refuses(
    data,
    /'MEMOIZE' \(0x94\) at offset 1000001: more than maxMemo \(1000000\)/,
  );
});

Deno.test("loads() enforces maxContainerLength", () => {
  const opt = { maxContainerLength: 3 };
  deepEqual(loads(b("](K\x01K\x02K\x03e."), opt), [1, 2, 3]);
  refuses(
    "](K\x01K\x02K\x03K\x04e.",
    /^Cannot unpickle opcode 'APPENDS' \(0x65\) at offset 10: a container would hold 4 items, more than maxContainerLength \(3\)$/,
    opt,
  );
  refuses(
    "](K\x01K\x02eK\x03aK\x04a.",
    /'APPEND' \(0x61\) at offset 12: a container would hold 4 items, more than maxContainerLength \(3\)/,
    opt,
  );
  refuses(
    "](K\x01K\x02e(K\x03K\x04e.",
    /'APPENDS' \(0x65\) at offset 12: a container would hold 4 items/,
    opt,
  );
  refuses(
    "\x80\x04\x8f(K\x01K\x02\x90(K\x03K\x04\x90.",
    /'ADDITEMS' \(0x90\) at offset 14: a container would hold 4 items/,
    opt,
  );
  refuses(
    "\x80\x04(K\x01K\x02K\x03K\x04\x91.",
    /'FROZENSET' \(0x91\) at offset 11: a container would hold 4 items/,
    opt,
  );
  refuses(
    "}(K\x01NK\x02Nu(K\x03NK\x04Nu.",
    /'SETITEMS' \(0x75\) at offset 16: a container would hold 4 items/,
    opt,
  );
  refuses(
    "}(\x8c\x01aN\x8c\x01bNu(\x8c\x01cN\x8c\x01dNu.",
    /'SETITEMS' \(0x75\) at offset 20: a container would hold 4 items/,
    opt,
  );
  // Repeated str keys do not count twice.
  deepEqual(
    loads(
      b("}(\x8c\x01aN\x8c\x01bNu(\x8c\x01aK\x01\x8c\x01bK\x02u\x8c\x01cK\x03s."),
      opt,
    ),
    obj([["a", 1], ["b", 2], ["c", 3]]),
  );
  refuses(
    "(\x8c\x01aN\x8c\x01bN\x8c\x01cN\x8c\x01dNd.",
    /'DICT' \(0x64\) at offset 17: a container would hold 4 items/,
    opt,
  );
  refuses(
    "(K\x01K\x02K\x03K\x04l.",
    /'LIST' \(0x6c\) at offset 9: a container would hold 4 items/,
    opt,
  );
  refuses(
    "(K\x01K\x02K\x03K\x04t.",
    /'TUPLE' \(0x74\) at offset 9: a container would hold 4 items/,
    opt,
  );
  // The stack holds at most maxContainerLength + maxDepth values.
  refuses(
    "(NNNNN.",
    /^Cannot unpickle opcode 'STOP' \(0x2e\) at offset 6: the stack holds 5 values, more than maxContainerLength \+ maxDepth \(4\)$/,
    { maxContainerLength: 3, maxDepth: 1 },
  );
});

// ---------------------------------------------------------------------------
// API

Deno.test("loads() validates its arguments", () => {
  throws(() => loads("N." as unknown as Uint8Array), TypeError);
  throws(() => loads([0x4e, 0x2e] as unknown as Uint8Array), TypeError);
  throws(() => loads(b("N."), { maxDepth: -1 }), RangeError);
  throws(() => loads(b("N."), { maxMemo: 1.5 }), RangeError);
  throws(() => loads(b("N."), { maxInputBytes: NaN }), RangeError);
  throws(
    () => loads(b("N."), { maxContainerLength: "5" as unknown as number }),
    TypeError,
  );
  equal(loads(b("N."), {}), null);
});

Deno.test("UnpicklingError is an Error named UnpicklingError", () => {
  const e = new UnpicklingError("x", { cause: 1 });
  ok(e instanceof Error);
  equal(e.name, "UnpicklingError");
  equal(e.message, "x");
  equal(e.cause, 1);
});

Deno.test("loads() turns every str-keyed dict that later gets a non-str key into a Map", () => {
  // ](}K\x01Ns ... e with 1000 dicts, plus str-keyed ones in between.
  const unit = "}K\x01Ns}\x8c\x01aNs";
  const value = loads(b("](" + unit.repeat(1000) + "e.")) as unknown[];
  equal(value.length, 2000);
  for (let i = 0; i < 2000; i += 2) {
    deepEqual(value[i], new Map([[1, null]]));
    deepEqual(value[i + 1], obj([["a", null]]));
  }
});
