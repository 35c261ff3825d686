// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The record → frame path: one read of an @std/log record, one framer.
import { deepEqual, equal, ok } from "node:assert/strict";
import type { LogRecord } from "@std/log/logger";
import { SocketHandler } from "../handler.ts";
import { dumpsFrame, type PickleProtocol } from "../pickle.ts";
import {
  recordDict,
  RecordFramer,
  type RecordInput,
  STANDARD_FIELDS,
} from "../record.ts";
import { RECORD_KEYS as KEYS } from "./_golden.ts";

const T = 1_700_000_000_250;

/** An @std/log-shaped record whose copying getters count their reads. */
function countingRecord(msg: string, args: unknown[]) {
  const reads = { args: 0, datetime: 0 };
  const record = {
    msg,
    level: 20,
    levelName: "INFO",
    loggerName: "app",
    get args() {
      reads.args++;
      return [...args];
    },
    get datetime() {
      reads.datetime++;
      return new Date(T);
    },
  } as unknown as LogRecord;
  return { record, reads };
}

Deno.test("the schema is CPython's LogRecord attributes, in order", () => {
  deepEqual([...STANDARD_FIELDS], KEYS);
  deepEqual(
    Object.keys(recordDict({ name: "a", level: 20, msg: "m", timeMs: T })),
    KEYS,
  );
});

Deno.test("makePickle() reads @std/log's args and datetime once per record, whatever the record", async () => {
  const cases: [string, unknown[]][] = [
    ["plain", []],
    ["primitives %d %s", [1, "x"]],
    ["extras %s", ["x", { user: "bob", tags: ["a"] }]],
    ["an error", [new Error("boom")]],
    ["boom\n    at f (file:///a.ts:1:1)", []], // an Error's text
    ["x", [{ toString: () => "object arg" }]],
  ];
  for (const protocol of [1, 4] as PickleProtocol[]) {
    for (const includeCallerInfo of [false, true]) {
      const h = new SocketHandler("DEBUG", {
        port: 9,
        protocol,
        includeCallerInfo,
      });
      try {
        for (const [msg, args] of cases) {
          const { record, reads } = countingRecord(msg, args);
          const frame = h.makePickle(record);
          const what =
            `${msg} (protocol ${protocol}, caller ${includeCallerInfo})`;
          equal(reads.args, 1, what);
          equal(reads.datetime, 1, what);
          if (!includeCallerInfo) {
            // The bytes of makeRecordDict's dict (read again here).
            const dict = h.makeRecordDict(countingRecord(msg, args).record);
            deepEqual([...frame], [...dumpsFrame(dict, { protocol })], what);
          }
        }
      } finally {
        await h.close(0);
      }
    }
  }
});

Deno.test("RecordFramer.frameEvent() writes dumpsFrame(recordDict()) and measures the text before encoding", () => {
  const inputs: RecordInput[] = [
    { name: "app", level: 20, msg: "hello", timeMs: T },
    { name: "app", level: 20, msg: "%d%% full", args: [93], timeMs: T },
    { name: "app", level: 30, msg: "x", timeMs: T }, // one character
    { name: "app", level: 20, msg: "m", extra: { user: "bob" }, timeMs: T },
    { name: "app", level: 40, msg: "e", error: new Error("boom"), timeMs: T },
    {
      name: "app",
      level: 20,
      msg: "c",
      timeMs: T,
      caller: {
        pathname: "/a.ts",
        filename: "a.ts",
        module: "a",
        lineno: 3,
        funcName: "f",
      },
    },
  ];
  for (const protocol of [1, 2, 3, 4, 5] as PickleProtocol[]) {
    const framer = new RecordFramer(protocol);
    for (const input of inputs) {
      const dict = recordDict(input);
      const frame = framer.frameEvent(input);
      ok(frame !== undefined);
      deepEqual([...frame], [...dumpsFrame(dict, { protocol })]);
      const text = (dict.msg as string).length +
        (typeof dict.exc_text === "string" ? dict.exc_text.length : 0);
      equal(framer.textLength, text);
      equal(framer.frameEvent(input, text - 1), undefined);
      equal(framer.textLength, text);
      ok(framer.frameEvent(input, text) !== undefined);
    }
  }
  // The common record is framed from its fields, with a template.
  const framer = new RecordFramer(1);
  const before = framer.templated;
  framer.frameEvent(inputs[1]!);
  equal(framer.templated, before + 1);
});
