// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Test fixture: the golden LogRecord dict of shared/notes (python-wire-format
// §5), whose protocol-1 frame CPython 3.11–3.13 write identically.
import { pyFloat } from "../pickle/py_types.ts";

/**
 * The keys of a LogRecord `__dict__` in CPython 3.12 order, spelled out
 * independently of the code under test (record/schema.ts).
 */
export const RECORD_KEYS: readonly string[] = [
  "name",
  "msg",
  "args",
  "levelname",
  "levelno",
  "pathname",
  "filename",
  "module",
  "exc_info",
  "exc_text",
  "stack_info",
  "lineno",
  "funcName",
  "created",
  "msecs",
  "relativeCreated",
  "thread",
  "threadName",
  "processName",
  "process",
  "taskName",
];

/** The golden record, floats marked as floats. */
export const GOLDEN_RECORD = {
  name: "remote.app",
  msg: "hello é 😀",
  args: null,
  levelname: "ERROR",
  levelno: 40,
  pathname: "/app/main.ts",
  filename: "main.ts",
  module: "main",
  exc_info: null,
  exc_text: "Error: boom\n    at main (/app/main.ts:12:5)",
  stack_info: null,
  lineno: 300,
  funcName: "main",
  created: pyFloat(1700000000.25),
  msecs: pyFloat(250),
  relativeCreated: pyFloat(1234.5),
  thread: 140000000000000,
  threadName: "MainThread",
  processName: "MainProcess",
  process: 70000,
  taskName: null,
  user: "bob",
  tags: ["a", "b"],
  ok: true,
  neg: -7,
};
