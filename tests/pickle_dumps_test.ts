// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Unit tests of the pickle encoder: exact bytes per opcode and per mapping
// row. The expected bytes below were produced by CPython 3.11.7's
// `pickle.dumps(<python value>, protocol)` (the Python value is given in each
// comment); sha256 values stand for pickles too long to inline.

import { GOLDEN_RECORD } from "./_golden.ts";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  dumps,
  dumpsFrame,
  frame,
  PickleError,
  type PickleProtocol,
  pyFloat,
  pyTuple,
} from "../pickle.ts";

const CPYTHON: Record<string, string> = {
  set1001_1: "7907cfa347044d758d2259b87c570c1058790b20e0d02150aed2e83d757273d8",
  set1001_4: "cb322ecb5d03749e962384bbe18c7be3c0bb5303040582f8d3fc8f47c6e8e3fd",
  set2000_4: "7d3e7b6f09fa549fe193ca54e8573a38c7753e8f8d247316e4f51c629a288002",
  dict1_4: "8004950a000000000000007d948c016b945d94732e",
  "none1": "4e2e",
  "true1": "4930310a2e",
  "false1": "4930300a2e",
  "true2": "8002882e",
  "false4": "8004892e",
  "int0_1": "4b002e",
  "int0_2": "80024b002e",
  "int255_1": "4bff2e",
  "int255_2": "80024bff2e",
  "int256_1": "4d00012e",
  "int256_2": "80024d00012e",
  "int65535_1": "4dffff2e",
  "int65535_2": "80024dffff2e",
  "int65536_1": "4a000001002e",
  "int65536_2": "80024a000001002e",
  "int-1_1": "4affffffff2e",
  "int-1_2": "80024affffffff2e",
  "int-7_1": "4af9ffffff2e",
  "int-7_2": "80024af9ffffff2e",
  "int2147483647_1": "4affffff7f2e",
  "int2147483647_2": "80024affffff7f2e",
  "int-2147483648_1": "4a000000802e",
  "int-2147483648_2": "80024a000000802e",
  "int2147483648_1": "4c323134373438333634384c0a2e",
  "int2147483648_2": "80028a0500000080002e",
  "int-2147483649_1": "4c2d323134373438333634394c0a2e",
  "int-2147483649_2": "80028a05ffffff7fff2e",
  "int9007199254740991_1": "4c393030373139393235343734303939314c0a2e",
  "int9007199254740991_2": "80028a07ffffffffffff1f2e",
  "int-9007199254740991_1": "4c2d393030373139393235343734303939314c0a2e",
  "int-9007199254740991_2": "80028a07010000000000e02e",
  "int140000000000000_1": "4c3134303030303030303030303030304c0a2e",
  "int140000000000000_2": "80028a0600c0444a547f2e",
  "big200_1":
    "4c313630363933383034343235383939303237353534313936323039323334313136323630323532323230323939333738323739323833353330313337364c0a2e",
  "big200_2": "80028a1a00000000000000000000000000000000000000000000000000012e",
  "bigneg200_2":
    "80028a1a00000000000000000000000000000000000000000000000000ff2e",
  "big2040_2": "80028b000100000000000000",
  "bigneg2p63_2": "80028a0800000000000000802e",
  "big2p63_2": "80028a090000000000000080002e",
  "float1.5": "473ff80000000000002e",
  "float-0": "4780000000000000002e",
  "floatnan": "477ff80000000000002e",
  "floatinf": "477ff00000000000002e",
  "float-inf": "47fff00000000000002e",
  "float1e300": "477e37e43c8800759c2e",
  "float3": "4740080000000000002e",
  "float1e20": "474415af1d78b58c402e",
  "str_empty_1": "580000000071002e",
  "str_empty_4": "80049504000000000000008c00942e",
  "str_a_1": "58010000006171002e",
  "str_a_4": "80049505000000000000008c0161942e",
  "str_e_1": "5802000000c3a971002e",
  "str_e_4": "80049506000000000000008c02c3a9942e",
  "str_smile_1": "5804000000f09f988071002e",
  "str_smile_4": "80049508000000000000008c04f09f9880942e",
  "str_lone_1": "5803000000eda08071002e",
  "str_lone_4": "80049507000000000000008c03eda080942e",
  "str_lone2_1": "5804000000eda0bd7871002e",
  "str_lone2_4": "80049508000000000000008c04eda0bd78942e",
  "str_rev_1": "5806000000edb880eda0bd71002e",
  "str_rev_4": "8004950a000000000000008c06edb880eda0bd942e",
  "str_e127_4": "800495020100",
  "str_e128_4": "800495070100000000000058000100",
  "bytes_empty_1": "635f5f6275696c74696e5f5f0a62797465730a7100295271012e",
  "bytes_ab_1":
    "635f636f646563730a656e636f64650a71002858020000006162710158060000006c6174696e3171027471035271042e",
  "bytes_ff_1":
    "635f636f646563730a656e636f64650a7100285802000000c3bf710158060000006c6174696e3171027471035271042e",
  "bytes_pair_1":
    "5d710028635f5f6275696c74696e5f5f0a62797465730a7101295271026802635f636f646563730a656e636f64650a710328580100000061710458060000006c6174696e3171057471065271076807680328580200000061627108680574710952710a68032858020000006162710b680574710c52710d652e",
  "bytes_empty_2": "8002635f5f6275696c74696e5f5f0a62797465730a7100295271012e",
  "bytes_ab_2":
    "8002635f636f646563730a656e636f64650a710058020000006162710158060000006c6174696e3171028671035271042e",
  "bytes_ff_2":
    "8002635f636f646563730a656e636f64650a71005802000000c3bf710158060000006c6174696e3171028671035271042e",
  "bytes_pair_2":
    "80025d710028635f5f6275696c74696e5f5f0a62797465730a7101295271026802635f636f646563730a656e636f64650a7103580100000061710458060000006c6174696e31710586710652710768076803580200000061627108680586710952710a680358020000006162710b680586710c52710d652e",
  "bytes_empty_3": "8003430071002e",
  "bytes_ab_3": "80034302616271002e",
  "bytes_ff_3": "80034301ff71002e",
  "bytes_pair_3":
    "80035d71002843007101680143016171024301617103430261627104430261627105652e",
  "bytes_empty_4": "80049504000000000000004300942e",
  "bytes_ab_4": "800495060000000000000043026162942e",
  "bytes_ff_4": "80049505000000000000004301ff942e",
  "bytes_pair_4":
    "8004951c000000000000005d94284300946801430161944301619443026162944302616294652e",
  "bytes300_3": "8003422c01000000",
  "list_empty_2": "80025d71002e",
  "list_1_2": "80025d71004b01612e",
  "list_2_2": "80025d7100284b014b02652e",
  "list1000_2":
    "0938ccfe2af9f9700ba3df175870872d3e3817323780157d668262ef5625e4dc",
  "list1001_2":
    "ce66e289147d5c0923016225d5d7c546d0f0061e438184a23c47db924e6cdbd5",
  "dict1000_2":
    "617add2cdb876ee56506586d37a0a63cd3fe91b794f754cc777012add61a41bf",
  "dict1001_2":
    "9c7fa6d0fd8a22243d33a186903f87efc6f54ddccff15bb1346a8620f56695b2",
  "dict2000_2":
    "55ed748ad3c35d19a110546a6c7886cc495925c421bb4656657fed4b32563ea4",
  "dict_empty_1": "7d71002e",
  "dict_1_1": "7d710058010000006171014b01732e",
  "dict_2_4": "80049511000000000000007d94288c0161944b018c0162944b02752e",
  "tuple0_1": "292e",
  "tuple1_1": "284b017471002e",
  "tuple2_1": "284b014b027471002e",
  "tuple3_1": "284b014b024b037471002e",
  "tuple4_1": "284b014b024b034b047471002e",
  "tuple0_2": "8002292e",
  "tuple1_2": "80024b018571002e",
  "tuple2_2": "80024b014b028671002e",
  "tuple3_2": "80024b014b024b038771002e",
  "tuple4_2": "8002284b014b024b034b047471002e",
  "map_2":
    "80027d7100284b0158010000007871014b014b028671024e635f636f646563730a656e636f64650a710358010000006b710458060000006c6174696e3171058671065271074b024e4b03752e",
  "set123_1":
    "635f5f6275696c74696e5f5f0a7365740a7100285d7101284b014b024b03657471025271032e",
  "setempty_1": "635f5f6275696c74696e5f5f0a7365740a7100285d71017471025271032e",
  "set1_1":
    "635f5f6275696c74696e5f5f0a7365740a7100285d71014b05617471025271032e",
  "set123_2":
    "8002635f5f6275696c74696e5f5f0a7365740a71005d7101284b014b024b03658571025271032e",
  "setempty_2":
    "8002635f5f6275696c74696e5f5f0a7365740a71005d71018571025271032e",
  "set1_2":
    "8002635f5f6275696c74696e5f5f0a7365740a71005d71014b05618571025271032e",
  "set123_3":
    "8003636275696c74696e730a7365740a71005d7101284b014b024b03658571025271032e",
  "setempty_3": "8003636275696c74696e730a7365740a71005d71018571025271032e",
  "set1_3": "8003636275696c74696e730a7365740a71005d71014b05618571025271032e",
  "set123_4": "8004950b000000000000008f94284b014b024b03902e",
  "setempty_4": "80048f942e",
  "set1_4": "80049507000000000000008f94284b05902e",
  "set1000_4":
    "2af590cb9a18a5c97c38b05911011a3d13861fb1a3a943738ce7419064fe4cf7",
  "set1000_2":
    "8c1e978f5a9e13a220adf68b7e8d4570b2f870fafadec5e18b0f8d1330dcf519",
  "cyclic_1": "5d71006800612e",
  "shared_1": "5d7100287d710158010000007871024b01736801652e",
  "cyctuple1_1": "285d7100286800747101613168012e",
  "cyctuple4_1": "285d71002868004b014b024b03747101614b014b024b033168012e",
  "cyclic_4": "80049506000000000000005d946800612e",
  "shared_4": "80049510000000000000005d94287d948c0178944b01736801652e",
  "cyctuple1_4": "8004950b000000000000005d9468008594613068012e",
  "cyctuple4_4":
    "8004951900000000000000285d942868004b014b024b037494614b014b024b033168012e",
  "cyctuple1_2": "80025d71006800857101613068012e",
  "frame_65527_4":
    "b3a0c2b0f193a021fe7d34cfe7c516b880ae3c10b3d6150b3b6a67f40ec645ba",
  "frame_65526_4":
    "d03a4ba8d152bcfd73c7a20799b59bde72e14298c2908fdda6ea021fb43f00a4",
  "big70000_4":
    "713297fabe14e5987082534f5ea14d2f47ce5a545c215864ac905e3f15e74c2f",
  "bigbytes_4":
    "746ca039ec40d7fc3722a201a707c40ce46dc752ee2ab88ae5a895c8d46c67d0",
  "bigbytes_5":
    "4a686483231d0ea916caec5e7b4b9fc45f0dae9c42d6d4757aaa252bb3781afd",
  "longbinput_1":
    "33889cccc1e796adf2ce3bb04e0ab38fcc323c847709ff5b9c0c0de315a7b709",
  "strsingle_1":
    "5d710028580100000061710168015802000000c3a971026802580000000071036803652e",
  "dict_nested_depth": "5d71005d71015d71024b016161612e",
};

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

function expected(name: string): string {
  const value = CPYTHON[name];
  if (value === undefined) throw new Error(`No golden named ${name}`);
  return value;
}

/** Asserts dumps(value, {protocol}) equals the CPython golden `name`. */
function same(name: string, value: unknown, protocol: PickleProtocol): void {
  equal(hex(dumps(value, { protocol })), expected(name), name);
}

function prefix(name: string, value: unknown, protocol: PickleProtocol): void {
  const golden = expected(name);
  equal(hex(dumps(value, { protocol })).slice(0, golden.length), golden, name);
}

async function sameHash(
  name: string,
  value: unknown,
  protocol: PickleProtocol,
): Promise<void> {
  equal(await sha256(dumps(value, { protocol })), expected(name), name);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function thrown(fn: () => unknown): PickleError {
  try {
    fn();
  } catch (error) {
    ok(error instanceof PickleError, `not a PickleError: ${error}`);
    return error;
  }
  throw new Error("Did not throw");
}

Deno.test("dumps() writes NONE for null and undefined", () => {
  same("none1", null, 1);
  same("none1", undefined, 1);
  equal(hex(dumps(null)), "80044e2e");
});

Deno.test("dumps() writes INT 01/00 in protocol 1 and NEWTRUE/NEWFALSE from 2", () => {
  same("true1", true, 1);
  same("false1", false, 1);
  same("true2", true, 2);
  same("false4", false, 4);
});

Deno.test("dumps() writes BININT1, BININT2, BININT and LONG like CPython", () => {
  for (
    const v of [
      0,
      255,
      256,
      65535,
      65536,
      -1,
      -7,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      -(2 ** 31) - 1,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      140000000000000,
    ]
  ) {
    same(`int${v}_1`, v, 1);
    same(`int${v}_2`, v, 2);
    same(`int${v}_1`, BigInt(v), 1);
    same(`int${v}_2`, BigInt(v), 2);
  }
  // 2**31 is `L2147483648L\n` in protocol 1 and LONG1 05 0000008000 later.
  equal(hex(dumps(2 ** 31, { protocol: 1 })), "4c323134373438333634384c0a2e");
  equal(hex(dumps(2 ** 31, { protocol: 3 })), "80038a0500000080002e");
});

Deno.test("dumps() writes bigints of any size as LONG, LONG1 and LONG4", () => {
  same("big200_1", 2n ** 200n, 1);
  same("big200_2", 2n ** 200n, 2);
  same("bigneg200_2", -(2n ** 200n), 2);
  same("bigneg2p63_2", -(2n ** 63n), 2);
  same("big2p63_2", 2n ** 63n, 2);
  prefix("big2040_2", 2n ** 2040n, 2);
  const e = thrown(() => dumps(10n ** 4300n, { protocol: 1 }));
  ok(
    e.message.startsWith(
      "Cannot pickle value at 'value': integers with more than 4300 digits",
    ),
  );
  equal(dumps(10n ** 4299n, { protocol: 1 }).length, 4300 + 4);
  equal(dumps(10n ** 4300n, { protocol: 2 })[2], 0x8b);
});

Deno.test("dumps() writes BINFLOAT big-endian for fractions, -0, NaN, ±Infinity and PyFloat", () => {
  same("float1.5", 1.5, 1);
  same("float-0", -0, 1);
  same("floatnan", NaN, 1);
  same("floatinf", Infinity, 1);
  same("float-inf", -Infinity, 1);
  same("float1e300", 1e300, 1);
  same("float3", pyFloat(3), 1);
  same("float1e20", 1e20, 1);
  same("float-0", pyFloat(-0), 1);
  equal(
    hex(dumps(NaN, { protocol: 5 })),
    "8005950a00000000000000477ff80000000000002e",
  );
});

Deno.test("dumps() writes str as UTF-8 with surrogatepass, never U+FFFD", () => {
  for (
    const [name, s] of [
      ["empty", ""],
      ["a", "a"],
      ["e", "é"],
      ["smile", "😀"],
      ["lone", "\ud800"],
      ["lone2", "\ud83dx"],
      ["rev", "\ude00\ud83d"],
    ]
  ) {
    same(`str_${name}_1`, s, 1);
    same(`str_${name}_4`, s, 4);
  }
  equal(hex(dumps("\ud800", { protocol: 1 })), "5803000000eda080710" + "02e");
  // SHORT_BINUNICODE up to 255 bytes, BINUNICODE beyond (p4)
  prefix("str_e127_4", "é".repeat(127), 4);
  prefix("str_e128_4", "é".repeat(128), 4);
  // Long non-ASCII strings: the well-formed fast path and the surrogate path.
  const long = "aé😀".repeat(40);
  const utf8 = new TextEncoder().encode(long);
  const p3 = dumps(long, { protocol: 3 });
  equal(hex(p3.subarray(0, 7)), "800358" + "18010000");
  deepEqual(p3.subarray(7), Uint8Array.from([...utf8, 0x71, 0x00, 0x2e]));
  deepEqual(
    dumps(long + "\udc00", { protocol: 3 }).subarray(7),
    Uint8Array.from([...utf8, 0xed, 0xb0, 0x80, 0x71, 0x00, 0x2e]),
  );
});

Deno.test("dumps() memoises '' and one-character latin-1 strings by value as CPython shares them", () => {
  // ['a','a','é','é','',''] -> the second of each is BINGET
  same("strsingle_1", ["a", "a", "é", "é", "", ""], 1);
  // Longer strings have no identity in JavaScript: written at each occurrence.
  equal(
    hex(dumps(["ab", "ab"], { protocol: 1 })),
    "5d710028" + "58020000006162710158020000006162710265" + "2e",
  );
});

Deno.test("dumps() writes bytes as CPython does in each protocol", () => {
  for (const p of [1, 2, 3, 4] as const) {
    same(`bytes_empty_${p}`, new Uint8Array(0), p);
    same(`bytes_ab_${p}`, Uint8Array.from([0x61, 0x62]), p);
    same(`bytes_ab_${p}`, Uint8Array.from([0x61, 0x62]).buffer, p);
    same(`bytes_ff_${p}`, Uint8Array.from([0xff]), p);
    // [b'', b'', b'a', b'a', b'ab', b'ab'] as pickle.loads builds it: b'' is
    // shared; b'a' too in protocols 1-2 (_codecs.encode returns the cached
    // one-byte object), not from SHORT_BINBYTES (protocols 3-5)
    same(
      `bytes_pair_${p}`,
      [
        new Uint8Array(0),
        new Uint8Array(0),
        Uint8Array.from([97]),
        Uint8Array.from([97]),
        Uint8Array.from([97, 98]),
        Uint8Array.from([97, 98]),
      ],
      p,
    );
  }
  prefix("bytes300_3", new Uint8Array(300), 3);
  const b = Uint8Array.from([1, 2, 3]);
  equal(
    hex(dumps([b, b], { protocol: 3 })),
    "80035d710028430301020371016801652e",
  );
});

Deno.test("dumps() writes lists with APPEND and APPENDS batches of 1000", async () => {
  same("list_empty_2", [], 2);
  same("list_1_2", [1], 2);
  same("list_2_2", [1, 2], 2);
  await sameHash("list1000_2", range(1000), 2);
  await sameHash("list1001_2", range(1001), 2);
});

Deno.test("dumps() writes dicts with SETITEM, SETITEMS batches and the empty batch after 1000", async () => {
  same("dict_empty_1", {}, 1);
  same("dict_empty_1", Object.create(null), 1);
  same("dict_1_1", { a: 1 }, 1);
  same("dict_2_4", { a: 1, b: 2 }, 4);
  same("dict1_4", { k: [] }, 4);
  same("dict1_4", new Map([["k", []]]), 4);
  const dict = (n: number) =>
    Object.fromEntries(range(n).map((i) => [`${i}`, i]));
  const map = (n: number) => new Map(range(n).map((i) => [`${i}`, i]));
  // JS orders integer-like keys ascending, as these were inserted.
  await sameHash("dict1000_2", dict(1000), 2);
  await sameHash("dict1001_2", dict(1001), 2);
  await sameHash("dict2000_2", dict(2000), 2);
  await sameHash("dict1000_2", map(1000), 2);
  await sameHash("dict2000_2", map(2000), 2);
  equal(hex(dumps(new Map(), { protocol: 1 })), "7d71002e");
});

Deno.test("dumps() writes tuples with TUPLE in protocol 1 and TUPLE1-3 from 2", () => {
  for (const p of [1, 2] as const) {
    same(`tuple0_${p}`, pyTuple([]), p);
    same(`tuple1_${p}`, pyTuple([1]), p);
    same(`tuple2_${p}`, pyTuple([1, 2]), p);
    same(`tuple3_${p}`, pyTuple([1, 2, 3]), p);
    same(`tuple4_${p}`, pyTuple([1, 2, 3, 4]), p);
  }
});

Deno.test("dumps() writes a Map as a dict with any hashable keys", () => {
  // {1: 'x', (1, 2): None, b'k': 2, None: 3}
  same(
    "map_2",
    new Map<unknown, unknown>([
      [1, "x"],
      [pyTuple([1, 2]), null],
      [Uint8Array.from([0x6b]), 2],
      [null, 3],
    ]),
    2,
  );
});

Deno.test("dumps() writes sets as builtins.set reductions before protocol 4 and EMPTY_SET/ADDITEMS from 4", async () => {
  for (const p of [1, 2, 3, 4] as const) {
    same(`set123_${p}`, new Set([1, 2, 3]), p);
    same(`setempty_${p}`, new Set(), p);
    same(`set1_${p}`, new Set([5]), p);
  }
  await sameHash("set1000_4", new Set(range(1000)), 4);
  await sameHash("set1001_4", new Set(range(1001)), 4);
  await sameHash("set2000_4", new Set(range(2000)), 4);
  await sameHash("set1001_1", new Set(range(1001)), 1);
  await sameHash("set1000_2", new Set(range(1000)), 2);
});

Deno.test("dumps() writes Date as its ISO-8601 str", () => {
  const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
  deepEqual(
    dumps(date, { protocol: 1 }),
    dumps("2024-01-02T03:04:05.006Z", { protocol: 1 }),
  );
  const e = thrown(() => dumps({ at: new Date(NaN) }));
  equal(
    e.message,
    "Cannot pickle value at 'value.at': invalid dates are not supported",
  );
  equal(
    hex(dumps(new Date(NaN), { protocol: 1, fallback: () => null })),
    "4e2e",
  );
});

Deno.test("dumps() references shared and cyclic objects from the memo", () => {
  for (const p of [1, 4] as const) {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    same(`cyclic_${p}`, cyclic, p);
    const o = { x: 1 };
    same(`shared_${p}`, [o, o], p);
    // l = []; t = (l,); l.append(t): the tuple is fetched back from the memo
    const l1: unknown[] = [];
    const t1 = pyTuple([l1]);
    l1.push(t1);
    same(`cyctuple1_${p}`, t1, p);
    const l4: unknown[] = [];
    const t4 = pyTuple([l4, 1, 2, 3]);
    l4.push(t4);
    same(`cyctuple4_${p}`, t4, p);
  }
  const l: unknown[] = [];
  const t = pyTuple([l]);
  l.push(t);
  same("cyctuple1_2", t, 2);
  const m = new Map<unknown, unknown>();
  m.set("self", m);
  equal(
    hex(dumps(m, { protocol: 2 })),
    "80027d710058040000007365" + "6c66710168007" + "32e",
  );
});

Deno.test("dumps() switches to LONG_BINPUT at memo index 256", async () => {
  await sameHash("longbinput_1", range(300).map(() => []), 1);
  const shared = { a: 1 };
  const list: unknown[] = [...range(300).map(() => []), shared, shared];
  const bytes = dumps(list, { protocol: 1 });
  // ... }q ... then LONG_BINGET 301
  equal(hex(bytes.subarray(bytes.length - 7)), "6a2d01000065" + "2e");
});

Deno.test("dumps() puts FRAME opcodes where CPython does in protocols 4 and 5", async () => {
  equal(hex(dumps(null, { protocol: 4 })), "80044e2e"); // < 4 bytes: no frame
  equal(hex(dumps(300, { protocol: 4 })), "80049504000000000000004d2c012e");
  await sameHash("frame_65527_4", ["y".repeat(65527), "z"], 4);
  await sameHash("frame_65526_4", ["y".repeat(65526), "z"], 4);
  await sameHash("big70000_4", "a".repeat(70000), 4);
  await sameHash(
    "bigbytes_4",
    [Uint8Array.from([0x78]), new Uint8Array(70000), Uint8Array.from([0x79])],
    4,
  );
  await sameHash("bigbytes_5", [new Uint8Array(70000)], 5);
  // A ≥64 KiB non-ASCII str whose length in UTF-16 units is below 64 Ki.
  const wide = "é".repeat(40000);
  const bytes = dumps(wide, { protocol: 4 });
  equal(hex(bytes.subarray(0, 7)), "800458" + "80380100");
  equal(hex(bytes.subarray(bytes.length - 2)), "942e");
  // ['é' * 40000]: the 2-byte frame before the str is dropped.
  const inList = dumps([wide], { protocol: 4 });
  equal(hex(inList.subarray(0, 12)), "80045d945880380100c3a9c3");
  equal(hex(inList.subarray(inList.length - 4)), "a994612e");
});

Deno.test("dumpsFrame() and frame() prefix the 4-byte big-endian length", () => {
  equal(
    hex(dumpsFrame({ name: "a", levelno: 30 }, { protocol: 1 })),
    "000000297d71002858040000006e616d657101580100000061710258070000006c6576656c6e6f71034b1e752e",
  );
  const pickle = dumps([1, 2, 3]);
  deepEqual(frame(pickle), dumpsFrame([1, 2, 3]));
  deepEqual(frame(new Uint8Array(0)), new Uint8Array(4));
  // A frame bigger than the reused buffer's initial size.
  const big = "x".repeat(100_000);
  deepEqual(
    dumpsFrame(big, { protocol: 1 }),
    frame(dumps(big, { protocol: 1 })),
  );
});

Deno.test("dumps({pooled: false}) returns a buffer of its own each call", () => {
  const a = dumps([1], { pooled: false });
  const b = dumps([2], { pooled: false });
  ok(a.buffer !== b.buffer);
  equal(a.byteOffset, 0);
  equal(a.buffer.byteLength, a.length);
  equal(hex(a), "80049506000000000000005d944b01612e"); // pickle.dumps([1], 4)
  equal(hex(dumps([1], { protocol: 4 })), hex(a));
});

Deno.test("dumps() reproduces the golden LogRecord frame of the notes", async () => {
  const record = GOLDEN_RECORD;
  const bytes = dumpsFrame(record, { protocol: 1 });
  equal(bytes.length, 644);
  equal(
    await sha256(bytes),
    "4ae314f398bd5344cb2b4ff751845a786f0d9327189babafbf6f5850db518cf7",
  );
});

Deno.test("dumps() throws PickleError naming the path of unsupported values", () => {
  const e1 = thrown(() => dumps({ args: [1, 2, () => 3] }));
  equal(e1.name, "PickleError");
  equal(
    e1.message,
    "Cannot pickle value at 'value.args[2]': functions are not supported",
  );
  const e2 = thrown(() => dumps([Symbol("s")]));
  equal(
    e2.message,
    "Cannot pickle value at 'value[0]': symbols are not supported",
  );
  class Foo {}
  const e3 = thrown(() => dumps({ "a b": { c: new Foo() } }));
  equal(
    e3.message,
    `Cannot pickle value at 'value["a b"].c': instances of 'Foo' are not supported`,
  );
  const e4 = thrown(() => dumps(new Map([["k", new WeakMap()]])));
  equal(
    e4.message,
    `Cannot pickle value at 'value.get("k")': instances of 'WeakMap' are not supported`,
  );
  const e5 = thrown(() => dumps(pyTuple([0, Promise.resolve()])));
  equal(
    e5.message,
    "Cannot pickle value at 'value[1]': instances of 'Promise' are not supported",
  );
  const e6 = thrown(() => dumps(new Set([1, () => 1])));
  equal(
    e6.message,
    "Cannot pickle value at 'value.values()[1]': functions are not supported",
  );
  const e7 = thrown(() => dumps(new Int16Array(2)));
  equal(
    e7.message,
    "Cannot pickle value at 'value': instances of 'Int16Array' are not supported",
  );
});

Deno.test("dumps() rejects unhashable dict keys and set items", () => {
  const e1 = thrown(() => dumps(new Map([[[1], 1]])));
  equal(
    e1.message,
    "Cannot pickle value at 'value.keys()[0]': lists are unhashable so they cannot be dict keys or set items",
  );
  const e2 = thrown(() => dumps(new Set([pyTuple([1, {}])])));
  equal(
    e2.message,
    "Cannot pickle value at 'value.values()[0][1]': dicts are unhashable so they cannot be dict keys or set items",
  );
  // Hashable tuples are fine.
  equal(dumps(new Set([pyTuple([1, "a"])]), { protocol: 4 }).length > 0, true);
});

Deno.test("dumps() turns exceptions thrown while reading the value into PickleError", () => {
  const getter = {
    ok: 1,
    get bad(): never {
      throw new Error("boom");
    },
  };
  const e1 = thrown(() => dumps({ x: [getter] }));
  equal(
    e1.message,
    "Cannot pickle value at 'value.x[0].bad': reading it threw Error: boom",
  );
  ok(e1.cause instanceof Error);
  const proxy = new Proxy({}, {
    ownKeys() {
      throw new TypeError("no keys");
    },
  });
  const e2 = thrown(() => dumps({ p: proxy }));
  equal(
    e2.message,
    "Cannot pickle value at 'value.p': reading it threw TypeError: no keys",
  );
  const proto = new Proxy({}, {
    getPrototypeOf() {
      throw "string thrown";
    },
  });
  const e3 = thrown(() => dumps([proto]));
  equal(
    e3.message,
    "Cannot pickle value at 'value[0]': reading it threw 'string thrown'",
  );
  // A well-behaved Proxy of a plain object pickles as a dict.
  deepEqual(dumps(new Proxy({ a: 1 }, {})), dumps({ a: 1 }));
  // The shared buffer is still usable afterwards.
  equal(hex(dumps(null, { protocol: 1 })), "4e2e");
});

Deno.test("dumps() enforces maxDepth", () => {
  same("dict_nested_depth", [[[1]]], 1);
  equal(
    hex(dumps([[[1]]], { protocol: 1, maxDepth: 3 })),
    expected("dict_nested_depth"),
  );
  const e = thrown(() => dumps([[[1]]], { maxDepth: 2 }));
  equal(
    e.message,
    "Cannot pickle value at 'value[0][0]': containers are nested deeper than 'maxDepth' (2)",
  );
  thrown(() => dumps([], { maxDepth: 0 }));
  equal(hex(dumps(1, { protocol: 1, maxDepth: 0 })), "4b012e");
  let deep: unknown = 1;
  for (let i = 0; i < 1001; i++) deep = [deep];
  const e2 = thrown(() => dumps(deep));
  ok(e2.message.includes("'maxDepth' (1000)"));
  // 1000 levels are fine by default
  ok(dumps((deep as unknown[])[0]).length > 0);
});

Deno.test("dumps() calls fallback with the value and its path", () => {
  const calls: [unknown, string][] = [];
  const fn = () => 1;
  const sym = Symbol("s");
  const out = dumps({ f: fn, list: [sym, 2] }, {
    protocol: 1,
    fallback(value, path) {
      calls.push([value, path]);
      return typeof value === "function" ? "<function>" : undefined;
    },
  });
  deepEqual(calls, [[fn, "value.f"], [sym, "value.list[0]"]]);
  deepEqual(
    out,
    dumps({ f: "<function>", list: [null, 2] }, { protocol: 1 }),
  );
  // The fallback's result is not passed to the fallback again.
  const e = thrown(() => dumps([fn], { fallback: (v) => v }));
  equal(
    e.message,
    "Cannot pickle value at 'value[0]': functions are not supported",
  );
  // …but values nested inside it are.
  deepEqual(
    dumps([fn], { protocol: 1, fallback: (v) => (v === fn ? [sym] : "s") }),
    dumps([["s"]], { protocol: 1 }),
  );
  // A throwing fallback becomes a PickleError.
  const e2 = thrown(() =>
    dumps({ f: fn }, {
      fallback() {
        throw new RangeError("nope");
      },
    })
  );
  equal(
    e2.message,
    "Cannot pickle value at 'value.f': 'fallback' threw RangeError: nope",
  );
  // Re-entrant dumps() from a fallback uses its own buffer.
  deepEqual(
    dumps([fn, 5], {
      protocol: 1,
      fallback: () => dumps("x", { protocol: 1 }),
    }),
    dumps([dumps("x", { protocol: 1 }), 5], { protocol: 1 }),
  );
});

Deno.test("dumps() validates its options", () => {
  throws(() => dumps(1, { protocol: 0 as PickleProtocol }), RangeError);
  throws(() => dumps(1, { protocol: 6 as PickleProtocol }), RangeError);
  throws(() => dumps(1, { maxDepth: -1 }), RangeError);
  throws(() => dumps(1, { maxDepth: NaN }), RangeError);
  throws(
    () => dumps(1, { fallback: 1 as unknown as () => unknown }),
    TypeError,
  );
  ok(unhex("00").length === 1);
});

Deno.test("dumps() pickles own keys only when Object.prototype has enumerable keys", () => {
  const proto = Object.prototype as Record<string, unknown>;
  proto.polluted = 1;
  try {
    deepEqual(
      dumps({ a: 1, b: [2] }, { protocol: 1 }),
      Uint8Array.from([
        ...dumps(new Map<string, unknown>([["a", 1], ["b", [2]]]), {
          protocol: 1,
        }),
      ]),
    );
    equal(hex(dumps({ k: [] }, { protocol: 4 })), expected("dict1_4"));
    equal(hex(dumps({}, { protocol: 1 })), expected("dict_empty_1"));
  } finally {
    delete proto.polluted;
  }
});

Deno.test("dumpsFrame({pooled: true}) returns adjacent views of a shared slab, equal to fresh frames", () => {
  const values = [{ a: 1 }, "x".repeat(100), [1, 2, 3], { msg: "é😀\ud800" }];
  const views = values.map((v) => dumpsFrame(v, { protocol: 1, pooled: true }));
  for (let i = 0; i < values.length; i++) {
    deepEqual([...views[i]!], [...dumpsFrame(values[i], { protocol: 1 })]);
  }
  for (let i = 1; i < views.length; i++) {
    const a = views[i - 1]!;
    const b = views[i]!;
    if (a.buffer === b.buffer) equal(b.byteOffset, a.byteOffset + a.byteLength);
  }
  // a slab is never overwritten: views made earlier keep their bytes
  const first = [...views[0]!];
  for (let i = 0; i < 5000; i++) {
    dumpsFrame({ i }, { protocol: 1, pooled: true });
  }
  deepEqual([...views[0]!], first);
  // large results are fresh buffers
  const big = dumpsFrame("y".repeat(20000), { protocol: 1, pooled: true });
  equal(big.byteOffset, 0);
  equal(big.buffer.byteLength, big.byteLength);
});
