// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode RecordFramer}: a log event → its wire frame (a 4-byte
 * big-endian length, then the pickle of its record dict), byte for byte as
 * `dumpsFrame(recordDict(input))` would write it, fast for the common
 * record. The one place where the speed of records lives: the handler and
 * the LogTape sink frame every event through it.
 *
 * @module
 */
import { dumps, dumpsFrame, type PickleProtocol } from "../pickle.ts";
import { PyFloat } from "../pickle/py_types.ts";
import { pool, POOLED_MAX } from "../pickle/output.ts";
import { isSharedStr } from "../pickle/memo.ts";
import * as op from "../pickle/opcodes.ts";
import { utf8Into } from "../pickle/utf8.ts";
import { STANDARD_FIELDS } from "./schema.ts";
import type { RecordInput } from "./input.ts";
import {
  type HeadFields,
  newFields,
  primitiveArgsMessage,
  readPlainFields,
  type RecordFields,
} from "./fields.ts";
import { PercentUtf8 } from "../text/percent_utf8.ts";
import { recordDict } from "./dict.ts";
import type { FrameRoom } from "../transport/frame_queue.ts";

// The imports the hot paths read, as module constants: V8 reads these
// faster than imports.
const { BINFLOAT, BINUNICODE } = op;
const RECORD_KEYS: readonly string[] = STANDARD_FIELDS;
/** The longest message framed from a template. */
const MSG_MAX = POOLED_MAX >> 2;

/**
 * Where {@linkcode RecordFramer.prototype.writeEvent} puts a frame: a queue
 * that lends room for a frame written in place (the engine's byte ring),
 * or takes a frame made elsewhere.
 */
export interface FrameSink {
  /**
   * Lends room for a frame of at most `n` bytes.
   *
   * @param n The most bytes the frame will take.
   * @returns The room: the frame is written into `buf` from `pos`.
   */
  room(n: number): FrameRoom;
  /**
   * Keeps the frame written into the last room, which ends at `end`.
   *
   * @param end Where the frame ends in the room's `buf`.
   * @returns Whether it was queued.
   */
  commit(end: number): boolean;
  /**
   * Takes a frame made elsewhere (copied).
   *
   * @param frame The frame.
   * @returns Whether it was queued.
   */
  enqueue(frame: Uint8Array): boolean;
}

// A template is the pickle of a sample dict in which the fields that vary
// from record to record — the message and the three times — hold marker
// values, which are then cut out: what remains is the bytes around them.
// It serves the records whose other fields are the template's constants,
// and whose remaining fields are None.

/**
 * Reads the fields a template holds constant, by name, from a fields object
 * into `out` (in this order, which is the order of a template's `values`).
 */
function fieldsConstants(src: RecordFields, out: unknown[]): void {
  let j = 0;
  out[j++] = src.name;
  out[j++] = src.levelname;
  out[j++] = src.levelno;
  out[j++] = src.pathname;
  out[j++] = src.filename;
  out[j++] = src.module;
  out[j++] = src.lineno;
  out[j++] = src.funcName;
  out[j++] = src.thread;
  out[j++] = src.threadName;
  out[j++] = src.processName;
  out[j++] = src.process;
}

/**
 * The same from a record dict. (A reader of its own, so that each reads
 * objects of one shape: V8 then optimises its property reads best. Both are
 * checked below to read the same fields in the same order.)
 */
function dictConstants(src: Record<string, unknown>, out: unknown[]): void {
  let j = 0;
  out[j++] = src.name;
  out[j++] = src.levelname;
  out[j++] = src.levelno;
  out[j++] = src.pathname;
  out[j++] = src.filename;
  out[j++] = src.module;
  out[j++] = src.lineno;
  out[j++] = src.funcName;
  out[j++] = src.thread;
  out[j++] = src.threadName;
  out[j++] = src.processName;
  out[j++] = src.process;
}

/**
 * Whether the fields a template holds None are None in a record dict, read
 * by name.
 */
function noneAreNone(dict: Record<string, unknown>): boolean {
  return dict.args === null && dict.exc_info === null &&
    dict.exc_text === null && dict.stack_info === null &&
    dict.taskName === null;
}

/**
 * The fields a template holds constant, in the order `fieldsConstants` and
 * `dictConstants` read them (tests/record_frame_test.ts checks both readers
 * against this list; reading them here through a Proxy would make their
 * property loads polymorphic for good).
 */
export const CONSTANT_FIELDS: readonly string[] = [
  "name",
  "levelname",
  "levelno",
  "pathname",
  "filename",
  "module",
  "lineno",
  "funcName",
  "thread",
  "threadName",
  "processName",
  "process",
];
/** The fields a template holds None, as `noneAreNone` reads them. */
export const NONE_FIELDS: readonly string[] = [
  "args",
  "exc_info",
  "exc_text",
  "stack_info",
  "taskName",
];
/** The fields a template writes per record (msg is a str, the rest floats). */
const VARYING_FIELDS: readonly string[] = [
  "msg",
  "created",
  "msecs",
  "relativeCreated",
];

// Every field of the schema is in exactly one of the three.
if (
  [...CONSTANT_FIELDS, ...NONE_FIELDS, ...VARYING_FIELDS].sort().join() !==
    [...STANDARD_FIELDS].sort().join()
) {
  throw new Error("RecordFramer's fields are not STANDARD_FIELDS");
}

/** The readers of a record's fields, for tests. */
export const FIELD_READERS = {
  fieldsConstants,
  dictConstants,
  noneAreNone,
} as const;

const MAX_TEMPLATES = 16;
// Sample values whose encodings are found in the sample pickle.
const MSG_MARK = "\u0100\u0101";
const MSG_MARK_BYTES = [0x58, 4, 0, 0, 0, 0xc4, 0x80, 0xc4, 0x81];
const FLOAT_MARKS = [
  1.2345678901234567e-300,
  2.3456789012345678e-300,
  3.4567890123456789e-300,
];

interface RecordTemplate {
  /** The constant fields' values, in CONSTANT_FIELDS order. */
  values: unknown[];
  /** The bytes before msg. */
  head: Uint8Array;
  /**
   * The bytes after msg, the three floats (BINFLOAT and 8 bytes each)
   * included: written whole, then the floats over their marks.
   */
  tail: Uint8Array;
  /** Where the 8 bytes of created, msecs and relativeCreated are in `tail`. */
  at0: number;
  at1: number;
  at2: number;
}

function floatOf(value: unknown): number | undefined {
  return value instanceof PyFloat && typeof value.value === "number"
    ? value.value
    : undefined;
}

/** Whether the three times of a fields object are numbers. */
function timesAreNumbers(fields: RecordFields): boolean {
  return typeof fields.created === "number" &&
    typeof fields.msecs === "number" &&
    typeof fields.relativeCreated === "number";
}

/**
 * Copies the three times to `out` (which the writers read: doubles passed
 * to a call that is not inlined would be boxed, one allocation each).
 */
function setTimes(fields: RecordFields, out: Float64Array): void {
  out[0] = fields.created;
  out[1] = fields.msecs;
  out[2] = fields.relativeCreated;
}

function textLength(value: unknown): number {
  return typeof value === "string" ? value.length : 0;
}

function indexOfBytes(hay: Uint8Array, needle: readonly number[]): number {
  let found = -1;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    if (found >= 0) return -2; // not unique
    found = i;
  }
  return found;
}

function floatBytes(x: number): number[] {
  const b = new Uint8Array(9);
  b[0] = BINFLOAT;
  new DataView(b.buffer).setFloat64(1, x);
  return [...b];
}

/**
 * Frames log events (and Python LogRecord dicts, as built by `recordDict()`)
 * for the wire, byte for byte as `dumpsFrame` would. For the common record
 * — one whose fields other than `msg`, `created`, `msecs` and
 * `relativeCreated` repeat (same logger, level and call-site fields), with
 * no extras or exception text — it copies the constant bytes from a
 * template and encodes only the message and the three floats. It keeps up
 * to 16 templates, one per set of constant fields (built by pickling a
 * sample record), so records of several loggers and call sites interleave
 * without a rebuild; for a single stream it is about as fast as
 * `dumpsFrame`, which reuses the last dict's bytes. Any other dict — other
 * keys or key order, extras, unusual types, protocols 4–5 — goes through
 * `dumpsFrame`.
 *
 * @example Usage
 * ```ts
 * import { RecordFramer } from "./framer.ts";
 * import { dumpsFrame, pyFloat } from "@pylogging/socket-handler/pickle";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dict = {
 *   name: "app", msg: "hello", args: null, levelname: "INFO", levelno: 20,
 *   pathname: "(unknown file)", filename: "(unknown file)",
 *   module: "(unknown file)", exc_info: null, exc_text: null,
 *   stack_info: null, lineno: 0, funcName: "(unknown function)",
 *   created: pyFloat(1700000000.25), msecs: pyFloat(250),
 *   relativeCreated: pyFloat(12.5), thread: 1, threadName: "MainThread",
 *   processName: "MainProcess", process: 1, taskName: null,
 * };
 * const framer = new RecordFramer(1);
 * deepEqual(framer.frame(dict), dumpsFrame(dict, { protocol: 1 }));
 * ```
 */
export class RecordFramer {
  /** The pickle protocol. */
  readonly protocol: PickleProtocol;
  /** How many frames were built from a template (for tests and benchmarks). */
  templated = 0;
  /**
   * The length of the text (`msg`, plus `exc_text` if any, in UTF-16 code
   * units) of the last event {@linkcode RecordFramer.prototype.frameEvent}
   * framed or refused.
   */
  textLength = 0;
  #templates: RecordTemplate[] = [];
  #values: unknown[] = new Array(CONSTANT_FIELDS.length);
  /** The fields of the event being framed (see readPlainFields). */
  #fields: HeadFields = newFields();
  /** Writes `msg % args` of the event being framed into its frame. */
  #percent = new PercentUtf8();
  // The template of the last event framed, and its name and level: an
  // event's other constant fields are always those of a record without a
  // caller (readPlainFields), so these three pick its template.
  #lastTemplate: RecordTemplate | undefined;
  #lastName = "";
  #lastLevelname = "";
  #lastLevelno = NaN;
  /** The three times of the record being framed (created, msecs, relativeCreated). */
  #floats = new Float64Array(3);

  /**
   * Creates a framer.
   *
   * @param protocol The pickle protocol, 1–5 (templates are used for 1–3).
   */
  constructor(protocol: PickleProtocol = 1) {
    this.protocol = protocol;
  }

  /**
   * The wire frame of a log event: the same bytes as
   * `dumpsFrame(recordDict(input), { protocol })`. The common event (no
   * caller, extras or error; args all primitives) is framed from its
   * fields, without the dict being built; any other from its dict. The
   * event is read once, its text is measured before anything is encoded.
   *
   * @param input The event.
   * @param maxText The longest text (`msg` plus `exc_text`, in UTF-16 code
   * units) to frame.
   * @returns The frame (a view into a pooled buffer), or undefined when the
   * text is longer than `maxText` (then nothing was encoded, and
   * {@linkcode RecordFramer.prototype.textLength} is its length).
   * @throws {PickleError} As `dumpsFrame` does.
   *
   * @example Usage
   * ```ts
   * import { recordDict } from "./dict.ts";
   * import { RecordFramer } from "./framer.ts";
   * import { dumpsFrame } from "@pylogging/socket-handler/pickle";
   * import { deepEqual, equal } from "node:assert/strict";
   *
   * const framer = new RecordFramer(1);
   * const event = { name: "app", level: 20, msg: "%d%% full", args: [93], timeMs: 0 };
   * deepEqual(framer.frameEvent(event), dumpsFrame(recordDict(event), { protocol: 1 }));
   * equal(framer.frameEvent(event, 5), undefined);
   * equal(framer.textLength, 8);
   * ```
   */
  frameEvent(
    input: RecordInput,
    maxText: number = Infinity,
  ): Uint8Array<ArrayBuffer> | undefined {
    const template = this.#eventTemplate(input, maxText);
    if (template === null) return undefined;
    if (template !== undefined) {
      const f = this.#fields;
      return pooledRecord(
        template,
        f.msg,
        this.textLength,
        f.args === undefined ? undefined : this.#percent,
        this.#floats,
      );
    }
    const dict = this.#eventDict(input, maxText);
    return dict === undefined ? undefined : this.frame(dict);
  }

  /**
   * Frames a log event into a sink: the same bytes as
   * {@linkcode RecordFramer.prototype.frameEvent}. The common event is
   * written in place into the room the sink lends (for the engine: its
   * queue's byte ring, with no copy and no allocation); any other is framed
   * from its dict and handed to the sink's `enqueue`. The event is read
   * once and its text measured before anything is encoded; nothing else
   * runs between the sink's `room` and `commit`.
   *
   * @param input The event.
   * @param sink Where the frame goes.
   * @param maxText The longest text (`msg` plus `exc_text`, in UTF-16 code
   * units) to frame.
   * @returns What the sink returned (whether the frame was queued), or
   * undefined when the text is longer than `maxText` (then nothing was
   * encoded, and {@linkcode RecordFramer.prototype.textLength} is its
   * length).
   * @throws {PickleError} As `dumpsFrame` does.
   */
  writeEvent(
    input: RecordInput,
    sink: FrameSink,
    maxText: number = Infinity,
  ): boolean | undefined {
    const template = this.#eventTemplate(input, maxText);
    if (template === null) return undefined;
    if (template !== undefined) {
      const f = this.#fields;
      return sinkRecord(
        template,
        sink,
        f.msg,
        this.textLength,
        f.args === undefined ? undefined : this.#percent,
        this.#floats,
      );
    }
    const dict = this.#eventDict(input, maxText);
    return dict === undefined ? undefined : this.writeDict(dict, sink);
  }

  /**
   * The template of an event read as plain fields (kept in this.#fields;
   * when their `args` are kept, this.#percent has measured `msg % args`
   * and writes it), undefined when it has none (frame its dict), null when
   * its text is longer than `maxText`.
   */
  #eventTemplate(
    input: RecordInput,
    maxText: number,
  ): RecordTemplate | null | undefined {
    if (this.protocol > 3) return undefined;
    const fields = this.#fields;
    if (!readPlainFields(input, fields, true)) return undefined;
    const args = fields.args;
    let size: number;
    if (args === undefined) {
      size = fields.msg.length;
    } else {
      size = this.#percent.measure(fields.msg, args);
      if (size <= 1) {
        // Declined, or a text a pickle may share: format it as a string.
        const msg = primitiveArgsMessage(fields.msg, args);
        if (msg === undefined) return undefined;
        fields.msg = msg;
        fields.args = undefined;
        size = msg.length;
      }
    }
    this.textLength = size;
    if (size > maxText) return null;
    if (!timesAreNumbers(fields)) return undefined;
    setTimes(fields, this.#floats);
    const template = this.#lastTemplate;
    if (
      template !== undefined && fields.name === this.#lastName &&
      fields.levelname === this.#lastLevelname &&
      Object.is(fields.levelno, this.#lastLevelno) && size <= MSG_MAX &&
      (size > 1 || !isSharedStr(fields.msg))
    ) {
      this.templated++;
      return template;
    }
    fieldsConstants(fields, this.#values);
    const found = this.#template(fields.msg, size);
    if (found !== undefined) {
      this.#lastTemplate = found;
      this.#lastName = fields.name;
      this.#lastLevelname = fields.levelname;
      this.#lastLevelno = fields.levelno;
    }
    return found;
  }

  /** The dict of an event, undefined when its text is longer than `maxText`. */
  #eventDict(
    input: RecordInput,
    maxText: number,
  ): Record<string, unknown> | undefined {
    const dict = recordDict(input);
    const size = this.textLength = textLength(dict.msg) +
      textLength(dict.exc_text);
    return size > maxText ? undefined : dict;
  }

  /**
   * The wire frame of a record dict: a 4-byte big-endian length, then the
   * pickle. A view into a pooled buffer, like `dumpsFrame(dict, { protocol,
   * pooled: true })`, with the same bytes.
   *
   * @param dict The record dict.
   * @returns The frame.
   * @throws {PickleError} As `dumpsFrame` does.
   */
  frame(dict: Record<string, unknown>): Uint8Array<ArrayBuffer> {
    const protocol = this.protocol;
    if (protocol <= 3) {
      const template = this.#dictTemplate(dict);
      if (template !== undefined) {
        const floats = this.#floats;
        const msg = dict.msg as string;
        return pooledRecord(
          template,
          msg,
          msg.length,
          undefined,
          floats,
        );
      }
    }
    return dumpsFrame(dict, { protocol, pooled: true });
  }

  /**
   * Frames a record dict into a sink: the same bytes as
   * {@linkcode RecordFramer.prototype.frame}. A dict that fits a template
   * is written in place into the room the sink lends; any other is framed
   * by `dumpsFrame` and handed to the sink's `enqueue`.
   *
   * @param dict The record dict.
   * @param sink Where the frame goes.
   * @returns What the sink returned (whether the frame was queued).
   * @throws {PickleError} As `dumpsFrame` does.
   */
  writeDict(dict: Record<string, unknown>, sink: FrameSink): boolean {
    const protocol = this.protocol;
    if (protocol <= 3) {
      const template = this.#dictTemplate(dict);
      if (template !== undefined) {
        const floats = this.#floats;
        const msg = dict.msg as string;
        return sinkRecord(
          template,
          sink,
          msg,
          msg.length,
          undefined,
          floats,
        );
      }
    }
    return sink.enqueue(dumpsFrame(dict, { protocol, pooled: true }));
  }

  /**
   * The wire frame of the record dict with these fields and the others
   * (`args`, `exc_info`, `exc_text`, `stack_info` and `taskName`) None (the
   * dict `recordDict()` builds for an event with no extras or error),
   * written from a template without building the dict: the same bytes as
   * {@linkcode RecordFramer.prototype.frame} of that dict. Undefined when
   * the record does not fit a template (protocols 4–5, a message of one
   * character or over 4,096, a field of another type); then frame the dict.
   *
   * @param fields The record's fields; read at once, not kept.
   * @returns The frame (a view into a pooled buffer), or undefined.
   *
   * @example Usage
   * ```ts
   * import { RecordFramer } from "./framer.ts";
   * import { dumpsFrame, pyFloat } from "@pylogging/socket-handler/pickle";
   * import { deepEqual } from "node:assert/strict";
   *
   * const fields = {
   *   name: "app", msg: "hello", levelname: "INFO", levelno: 20,
   *   pathname: "(unknown file)", filename: "(unknown file)",
   *   module: "(unknown file)", lineno: 0, funcName: "(unknown function)",
   *   created: 1700000000.25, msecs: 250, relativeCreated: 12.5,
   *   thread: 1, threadName: "MainThread", processName: "MainProcess",
   *   process: 1,
   * };
   * const dict = {
   *   name: "app", msg: "hello", args: null, levelname: "INFO", levelno: 20,
   *   pathname: "(unknown file)", filename: "(unknown file)",
   *   module: "(unknown file)", exc_info: null, exc_text: null,
   *   stack_info: null, lineno: 0, funcName: "(unknown function)",
   *   created: pyFloat(1700000000.25), msecs: pyFloat(250),
   *   relativeCreated: pyFloat(12.5), thread: 1, threadName: "MainThread",
   *   processName: "MainProcess", process: 1, taskName: null,
   * };
   * deepEqual(new RecordFramer(1).frameFields(fields), dumpsFrame(dict, { protocol: 1 }));
   * ```
   */
  frameFields(fields: RecordFields): Uint8Array<ArrayBuffer> | undefined {
    if (this.protocol > 3) return undefined;
    if (!timesAreNumbers(fields)) return undefined;
    setTimes(fields, this.#floats);
    fieldsConstants(fields, this.#values);
    const msg = fields.msg;
    const template = this.#template(msg, textLength(msg));
    if (template === undefined) return undefined;
    return pooledRecord(
      template,
      msg,
      msg.length,
      undefined,
      this.#floats,
    );
  }

  /** The template of a record dict (with this.#values read), if it fits one. */
  #dictTemplate(dict: Record<string, unknown>): RecordTemplate | undefined {
    // Exactly the schema's keys, in order (nothing else enumerable).
    let i = 0;
    for (const key in dict) {
      if (key !== RECORD_KEYS[i]) return undefined;
      i++;
    }
    if (i !== RECORD_KEYS.length) return undefined;
    const created = floatOf(dict.created);
    const msecs = floatOf(dict.msecs);
    const relative = floatOf(dict.relativeCreated);
    if (
      created === undefined || msecs === undefined || relative === undefined
    ) {
      return undefined;
    }
    if (!noneAreNone(dict)) return undefined;
    dictConstants(dict, this.#values);
    const floats = this.#floats;
    floats[0] = created;
    floats[1] = msecs;
    floats[2] = relative;
    return this.#template(dict.msg, textLength(dict.msg));
  }

  /**
   * The template for this.#values (the constant fields) when the record
   * fits one with this message (and times that are numbers: the caller's
   * check), found or built; else undefined. `size` is the message's
   * length (`msg` may be the template of a message still to format, when
   * that is 2 or more). (Not passed the times: a call that is not inlined
   * would box them.)
   */
  #template(msg: unknown, size: number): RecordTemplate | undefined {
    if (
      typeof msg !== "string" || size > MSG_MAX ||
      (size <= 1 && isSharedStr(msg))
    ) {
      return undefined;
    }
    // #find matches only strs and numbers; #build checks the types.
    const template = this.#find(this.#values) ?? this.#build(this.#values);
    if (template !== undefined) this.templated++;
    return template;
  }

  #find(values: unknown[]): RecordTemplate | undefined {
    const templates = this.#templates;
    outer: for (let t = 0; t < templates.length; t++) {
      const have = templates[t]!.values;
      for (let j = 0; j < have.length; j++) {
        // Object.is, by type (the values are strs and numbers): each
        // comparison is then compiled for its type alone.
        const a = have[j];
        const b = values[j];
        if (typeof a === "string") {
          if (typeof b !== "string" || a !== b) continue outer;
        } else if (
          typeof a !== "number" || typeof b !== "number" ||
          (a === b ? a === 0 && 1 / a !== 1 / b : a === a || b === b)
        ) continue outer;
      }
      return templates[t];
    }
    return undefined;
  }

  #build(values: unknown[]): RecordTemplate | undefined {
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      if (typeof v !== "string" && typeof v !== "number") return undefined;
    }
    const sample: Record<string, unknown> = {};
    for (const key of STANDARD_FIELDS) sample[key] = null;
    for (let j = 0; j < CONSTANT_FIELDS.length; j++) {
      sample[CONSTANT_FIELDS[j]!] = values[j];
    }
    sample.msg = MSG_MARK;
    sample.created = new PyFloat(FLOAT_MARKS[0]!);
    sample.msecs = new PyFloat(FLOAT_MARKS[1]!);
    sample.relativeCreated = new PyFloat(FLOAT_MARKS[2]!);
    const bytes = dumps(sample, { protocol: this.protocol });
    const at = [
      indexOfBytes(bytes, MSG_MARK_BYTES),
      ...FLOAT_MARKS.map((x) => indexOfBytes(bytes, floatBytes(x))),
    ];
    for (let k = 0; k < at.length; k++) {
      // Each marker exactly once, in key order.
      if (at[k]! < 0 || (k > 0 && at[k]! <= at[k - 1]!)) return undefined;
    }
    const msgEnd = at[0]! + MSG_MARK_BYTES.length;
    const template = {
      values: [...values],
      head: bytes.slice(0, at[0]),
      tail: bytes.slice(msgEnd),
      at0: at[1]! + 1 - msgEnd,
      at1: at[2]! + 1 - msgEnd,
      at2: at[3]! + 1 - msgEnd,
    };
    if (this.#templates.length === MAX_TEMPLATES) this.#templates.shift();
    this.#templates.push(template);
    return template;
  }
}

/**
 * The most bytes the frame of a template and a message of `size` UTF-16
 * code units takes.
 */
function recordBound(t: RecordTemplate, size: number): number {
  return 4 + t.head.length + 5 + size * 3 + t.tail.length;
}

/**
 * A templated record frame in the pool of pickle/output (a view into its
 * slab; a buffer of its own while the slab is being written by an encoder
 * further up the stack).
 */
function pooledRecord(
  t: RecordTemplate,
  msg: string,
  size: number,
  percent: PercentUtf8 | undefined,
  times: Float64Array,
): Uint8Array<ArrayBuffer> {
  const bound = recordBound(t, size);
  if (pool.busy) {
    return ownRecord(t, bound, msg, percent, times);
  }
  pool.room(bound);
  const start = pool.pos;
  const end = writeRecord(
    t,
    pool.buf,
    pool.view,
    start,
    msg,
    percent,
    times,
  );
  pool.pos = end;
  return pool.buf.subarray(start, end);
}

/** The same in a buffer of its own (the pool's slab is being written). */
function ownRecord(
  t: RecordTemplate,
  bound: number,
  msg: string,
  percent: PercentUtf8 | undefined,
  times: Float64Array,
): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(bound);
  const view = new DataView(buf.buffer);
  const end = writeRecord(
    t,
    buf,
    view,
    0,
    msg,
    percent,
    times,
  );
  return buf.subarray(0, end);
}

/** A templated record frame written in place into the room a sink lends. */
function sinkRecord(
  t: RecordTemplate,
  sink: FrameSink,
  msg: string,
  size: number,
  percent: PercentUtf8 | undefined,
  times: Float64Array,
): boolean {
  const room = sink.room(recordBound(t, size));
  return sink.commit(
    writeRecord(
      t,
      room.buf,
      room.view,
      room.pos,
      msg,
      percent,
      times,
    ),
  );
}

/**
 * Writes a templated record frame into `buf` from `start`: its message is
 * `msg`, or, with `percent`, the text it measured.
 *
 * @returns Where the frame ends.
 */
function writeRecord(
  t: RecordTemplate,
  buf: Uint8Array,
  view: DataView,
  start: number,
  msg: string,
  percent: PercentUtf8 | undefined,
  times: Float64Array,
): number {
  let pos = start + 4;
  buf.set(t.head, pos);
  pos += t.head.length;
  // msg: BINUNICODE, u32 LE length, UTF-8 (surrogatepass)
  buf[pos] = BINUNICODE;
  const payload = pos + 5;
  let p = payload;
  p = percent !== undefined ? percent.write(buf, p) : utf8Into(buf, msg, 0, p);
  view.setUint32(pos + 1, p - payload, true);
  // One copy of everything after msg, then the three floats over their
  // marks.
  buf.set(t.tail, p);
  view.setFloat64(p + t.at0, times[0]!);
  view.setFloat64(p + t.at1, times[1]!);
  view.setFloat64(p + t.at2, times[2]!);
  pos = p + t.tail.length;
  view.setUint32(start, pos - start - 4);
  return pos;
}
