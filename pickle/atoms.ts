// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The part of the encoder that writes atoms: the memo opcodes, numbers,
 * booleans, floats, strs and bytes (with the objects CPython shares), and
 * the errors and fallback of a value that cannot be pickled. The encoder
 * (`encoder.ts`) adds the containers on top.
 *
 * @module
 */
import { PickleError } from "./errors.ts";
import { Output } from "./output.ts";
import { G_BYTES, G_CODECS_ENCODE, G_LATIN1, Memo } from "./memo.ts";
import { ValuePath } from "./path.ts";
import { utf8Into } from "./utf8.ts";
import * as op from "./opcodes.ts";

// The opcodes as module constants: V8 reads these faster than imports
// in the hot paths.
const {
  BINBYTES,
  BINBYTES8,
  BINFLOAT,
  BINGET,
  BININT,
  BININT1,
  BININT2,
  BINPUT,
  BINUNICODE,
  EMPTY_TUPLE,
  FRAME_SIZE_TARGET,
  INT,
  LONG,
  LONG1,
  LONG4,
  LONG_BINGET,
  LONG_BINPUT,
  MARK,
  MEMOIZE,
  NEWFALSE,
  NEWTRUE,
  REDUCE,
  SHORT_BINBYTES,
  SHORT_BINUNICODE,
  TUPLE,
  TUPLE1,
} = op;

/** sys.int_info.default_max_str_digits (CPython ≥3.11). */
const MAX_STR_DIGITS = 4300;
/** From this length, TextEncoder.encodeInto beats a charCodeAt loop. */
const ENCODE_INTO_MIN = 48;

const ASCII = new TextEncoder();
const NOT_FOUND: unique symbol = Symbol("none");

const GLOBAL_CODECS_ENCODE = ASCII.encode("c_codecs\nencode\n");
const GLOBAL_BYTES_2 = ASCII.encode("c__builtin__\nbytes\n");
const LATIN1_STR = ASCII.encode("X\x06\x00\x00\x00latin1");

/**
 * How an error thrown while reading a value is named in a message.
 *
 * @param error The error.
 * @returns `Name: message`, or the value quoted.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return `'${String(error)}'`;
  } catch {
    return "a value";
  }
}

/**
 * Writes the atoms of a pickle (see the module documentation) into its
 * {@linkcode Output}; {@linkcode AtomEncoder.prototype.value}, which writes
 * any value, is the subclass's.
 */
export abstract class AtomEncoder extends Output {
  /** The protocol of the pickle being written. */
  proto = 4;
  /** The nesting limit of the pickle being written. */
  maxDepth = 1000;
  /** The memo. */
  readonly memo: Memo = new Memo();
  /** Where in the value the encoder is. */
  readonly path: ValuePath = new ValuePath();
  /** Converts a value that cannot be pickled (`DumpsOptions.fallback`). */
  fallback: ((value: unknown, path: string) => unknown) | undefined;
  /** The last value the fallback returned (not passed to it again). */
  #lastFallback: unknown = NOT_FOUND;

  /**
   * Writes any value.
   *
   * @param value The value.
   */
  abstract value(value: unknown): void;

  /**
   * Starts the state of a pickle.
   *
   * @param protocol The protocol.
   * @param maxDepth The nesting limit.
   * @param fallback The fallback, if any.
   */
  startPickle(
    protocol: number,
    maxDepth: number,
    fallback: ((value: unknown, path: string) => unknown) | undefined,
  ): void {
    this.proto = protocol;
    this.maxDepth = maxDepth;
    this.fallback = fallback;
    this.memo.reset();
    this.path.depth = 0;
    this.#lastFallback = NOT_FOUND;
  }

  /** Drops the state of a pickle (and every reference into its value). */
  endPickle(): void {
    this.memo.clear();
    this.path.clear();
    this.fallback = undefined;
    this.#lastFallback = NOT_FOUND;
  }

  // ---- memo opcodes --------------------------------------------------------

  /**
   * Writes a memo put for the object just written.
   *
   * @returns Its memo index.
   */
  put(): number {
    const index = this.memo.next++;
    this.ensure(5);
    if (this.proto >= 4) {
      this.buf[this.pos++] = MEMOIZE;
    } else if (index < 256) {
      this.buf[this.pos++] = BINPUT;
      this.buf[this.pos++] = index;
    } else {
      this.buf[this.pos++] = LONG_BINPUT;
      this.view.setUint32(this.pos, index, true);
      this.pos += 4;
    }
    return index;
  }

  /**
   * Writes a memo get.
   *
   * @param index The memo index.
   */
  get(index: number): void {
    this.ensure(5);
    if (index < 256) {
      this.buf[this.pos++] = BINGET;
      this.buf[this.pos++] = index;
    } else {
      this.buf[this.pos++] = LONG_BINGET;
      this.view.setUint32(this.pos, index, true);
      this.pos += 4;
    }
  }

  // ---- errors --------------------------------------------------------------

  /**
   * An error naming where the encoder is.
   *
   * @param reason Why the value cannot be pickled.
   * @returns The error.
   */
  error(reason: string): PickleError {
    return new PickleError(
      `Cannot pickle value at '${this.path.text()}': ${reason}`,
    );
  }

  /**
   * A value that cannot be pickled: pickles what the fallback makes of it,
   * or throws.
   *
   * @param value The value.
   * @param reason Why it cannot be pickled.
   * @throws {PickleError} Without a fallback, or if the fallback throws.
   */
  unsupported(value: unknown, reason: string): void {
    const fallback = this.fallback;
    if (fallback === undefined || value === this.#lastFallback) {
      throw this.error(reason);
    }
    const path = this.path.text();
    let replacement: unknown;
    try {
      replacement = fallback(value, path);
    } catch (error) {
      throw new PickleError(
        `Cannot pickle value at '${path}': 'fallback' threw ${
          describeError(error)
        }`,
        { cause: error },
      );
    }
    const previous = this.#lastFallback;
    this.#lastFallback = replacement;
    this.value(replacement);
    this.#lastFallback = previous;
  }

  /**
   * Writes a bool.
   *
   * @param value The bool.
   */
  bool(value: boolean): void {
    this.ensure(4);
    const buf = this.buf;
    if (this.proto >= 2) {
      buf[this.pos++] = value ? NEWTRUE : NEWFALSE;
    } else {
      const pos = this.pos;
      buf[pos] = INT;
      buf[pos + 1] = 0x30;
      buf[pos + 2] = value ? 0x31 : 0x30;
      buf[pos + 3] = 0x0a;
      this.pos = pos + 4;
    }
  }

  /**
   * Writes a number: an int if it is a safe integer (not -0), else a float.
   *
   * @param value The number.
   */
  number(value: number): void {
    if ((value | 0) === value) {
      if (value === 0 && 1 / value < 0) this.float(value);
      else this.#int32(value);
    } else if (Number.isSafeInteger(value)) {
      if (this.proto >= 2) this.#long1(value);
      else this.#longText(String(value));
    } else {
      this.float(value);
    }
  }

  #int32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    if (value >= 0 && value < 256) {
      buf[pos++] = BININT1;
      buf[pos++] = value;
    } else if (value >= 0 && value < 65536) {
      buf[pos++] = BININT2;
      buf[pos++] = value & 0xff;
      buf[pos++] = value >>> 8;
    } else {
      buf[pos++] = BININT;
      buf[pos++] = value & 0xff;
      buf[pos++] = (value >>> 8) & 0xff;
      buf[pos++] = (value >>> 16) & 0xff;
      buf[pos++] = value >>> 24;
    }
    this.pos = pos;
  }

  /** LONG1 for a safe integer outside int32: minimal two's complement, LE. */
  #long1(value: number): void {
    this.ensure(11);
    const buf = this.buf;
    const start = this.pos + 2;
    let pos = start;
    const negative = value < 0;
    let m = negative ? -value - 1 : value;
    while (m > 0) {
      const byte = m % 256;
      buf[pos++] = negative ? 255 - byte : byte;
      m = (m - byte) / 256;
    }
    if (((buf[pos - 1] as number) & 0x80) !== (negative ? 0x80 : 0)) {
      buf[pos++] = negative ? 0xff : 0;
    }
    buf[start - 2] = LONG1;
    buf[start - 1] = pos - start;
    this.pos = pos;
  }

  #longText(digits: string): void {
    const n = digits.length;
    this.ensure(n + 3);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = LONG;
    for (let i = 0; i < n; i++) buf[pos++] = digits.charCodeAt(i);
    buf[pos++] = LONG;
    buf[pos++] = 0x0a;
    this.pos = pos;
  }

  /**
   * Writes an int of any size.
   *
   * @param value The integer.
   */
  bigint(value: bigint): void {
    if (value >= -0x80000000n && value <= 0x7fffffffn) {
      this.#int32(Number(value));
      return;
    }
    if (this.proto < 2) {
      const digits = value.toString();
      if (digits.length - (value < 0n ? 1 : 0) > MAX_STR_DIGITS) {
        this.unsupported(
          value,
          `integers with more than ${MAX_STR_DIGITS} digits cannot be pickled with protocol 1 as CPython ≥3.11 refuses to read them`,
        );
        return;
      }
      this.#longText(digits);
      return;
    }
    const negative = value < 0n;
    let hex = (negative ? -value - 1n : value).toString(16);
    if (hex.length % 2 === 1) hex = "0" + hex;
    let n = hex.length / 2;
    const top = parseInt(hex.slice(0, 2), 16);
    const extend = top >= 0x80;
    if (extend) n++;
    this.ensure(n + 5);
    const buf = this.buf;
    let pos = this.pos;
    if (n < 256) {
      buf[pos++] = LONG1;
      buf[pos++] = n;
    } else {
      buf[pos++] = LONG4;
      this.view.setInt32(pos, n, true);
      pos += 4;
    }
    const flip = negative ? 0xff : 0;
    for (let i = hex.length - 2; i >= 0; i -= 2) {
      buf[pos++] = parseInt(hex.slice(i, i + 2), 16) ^ flip;
    }
    if (extend) buf[pos++] = flip;
    this.pos = pos;
  }

  /**
   * Writes a float.
   *
   * @param value The float.
   */
  float(value: number): void {
    this.ensure(9);
    const pos = this.pos;
    this.buf[pos] = BINFLOAT;
    this.setFloat(pos + 1, value);
    this.pos = pos + 9;
  }

  // ---- str -----------------------------------------------------------------

  /**
   * Writes a str and its memo put (or a memo get of a shared str).
   *
   * @param value The string.
   */
  string(value: string): void {
    const n = value.length;
    if (n <= 1 && (n === 0 || value.charCodeAt(0) < 256)) {
      this.#sharedString(value);
      return;
    }
    let pos = this.pos;
    if (n <= ENCODE_INTO_MIN && pos + 160 <= this.buf.length) {
      // Fast path: a short ASCII str, then its memo put.
      const buf = this.buf;
      const proto = this.proto;
      const start = pos + (proto >= 4 ? 2 : 5);
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        const index = this.memo.next++;
        if (proto >= 4) {
          buf[pos] = SHORT_BINUNICODE;
          buf[pos + 1] = n;
          pos = start + n;
          buf[pos++] = MEMOIZE;
        } else {
          buf[pos] = BINUNICODE;
          buf[pos + 1] = n;
          buf[pos + 2] = 0;
          buf[pos + 3] = 0;
          buf[pos + 4] = 0;
          pos = start + n;
          if (index < 256) {
            buf[pos] = BINPUT;
            buf[pos + 1] = index;
            pos += 2;
          } else {
            buf[pos++] = LONG_BINPUT;
            this.view.setUint32(pos, index, true);
            pos += 4;
          }
        }
        this.pos = pos;
        return;
      }
    }
    this.#writeString(value);
    this.put();
  }

  /** "" and one-character latin-1 strings: CPython shares these objects. */
  #sharedString(value: string): void {
    const slot = value.length === 0 ? 256 : value.charCodeAt(0);
    const seen = this.memo.sharedStr(slot);
    if (seen >= 0) {
      this.get(seen);
      return;
    }
    this.#writeString(value);
    this.memo.setSharedStr(slot, this.put());
  }

  /**
   * Writes a str opcode and its UTF-8 (surrogatepass) payload, leaving room
   * for a memo opcode after it.
   */
  #writeString(value: string): void {
    const n = value.length;
    let headerStart = this.pos;
    if (headerStart + n * 3 + 10 > this.buf.length) {
      this.grow(n * 3 + 10);
      headerStart = this.pos;
    }
    const buf = this.buf;
    const short = this.proto >= 4 && n <= 255;
    const start = headerStart + (short ? 2 : 5);
    let pos = start;
    if (n > ENCODE_INTO_MIN && value.isWellFormed()) {
      // Long strings: TextEncoder is exact when there is no lone surrogate.
      pos += ASCII.encodeInto(value, buf.subarray(start)).written;
    } else {
      pos = utf8Into(buf, value, 0, pos);
    }
    const length = pos - start;
    if (short && length <= 255) {
      buf[headerStart] = SHORT_BINUNICODE;
      buf[headerStart + 1] = length;
    } else {
      if (short) {
        buf.copyWithin(headerStart + 5, start, pos);
        pos += 3;
      }
      buf[headerStart] = BINUNICODE;
      buf[headerStart + 1] = length & 0xff;
      buf[headerStart + 2] = (length >>> 8) & 0xff;
      buf[headerStart + 3] = (length >>> 16) & 0xff;
      buf[headerStart + 4] = length >>> 24;
    }
    this.pos = pos;
    if (length >= FRAME_SIZE_TARGET && this.frameStart >= 0) {
      this.bypass(headerStart);
      this.ensure(5);
    }
  }

  // ---- bytes ---------------------------------------------------------------

  /**
   * Writes bytes (memoised by the identity of `object`).
   *
   * @param object The Uint8Array or ArrayBuffer.
   * @param data Its bytes.
   */
  bytes(object: object, data: Uint8Array): void {
    const memo = this.memo;
    const seen = memo.lookup(object);
    if (seen !== undefined) {
      this.get(seen);
      return;
    }
    const n = data.length;
    const proto = this.proto;
    // CPython shares b"" (and, for protocols 1–2, bytes of length 1).
    const slot = n === 0 ? 256 : n === 1 && proto < 3 ? data[0] as number : -1;
    if (slot >= 0) {
      const shared = memo.sharedBytes(slot);
      if (shared >= 0) {
        this.get(shared);
        return;
      }
    }
    if (proto >= 3) {
      this.ensure(9 + n);
      const buf = this.buf;
      const headerStart = this.pos;
      let pos = headerStart;
      if (n <= 0xff) {
        buf[pos++] = SHORT_BINBYTES;
        buf[pos++] = n;
      } else if (n <= 0xffffffff) {
        buf[pos++] = BINBYTES;
        this.view.setUint32(pos, n, true);
        pos += 4;
      } else if (proto >= 4) {
        buf[pos++] = BINBYTES8;
        this.view.setUint32(pos, n % 0x100000000, true);
        this.view.setUint32(pos + 4, Math.floor(n / 0x100000000), true);
        pos += 8;
      } else {
        this.unsupported(
          object,
          "bytes larger than 4 GiB need protocol 4 or later",
        );
        return;
      }
      buf.set(data, pos);
      this.pos = pos + n;
      if (n >= FRAME_SIZE_TARGET && this.frameStart >= 0) {
        this.bypass(headerStart);
      }
    } else if (n === 0) {
      // copyreg reduce of bytes(): c__builtin__ bytes ) R
      this.global(G_BYTES, GLOBAL_BYTES_2);
      this.ensure(2);
      this.buf[this.pos++] = EMPTY_TUPLE;
      this.buf[this.pos++] = REDUCE;
    } else {
      // _codecs.encode(bytes.decode('latin1'), 'latin1')
      this.global(G_CODECS_ENCODE, GLOBAL_CODECS_ENCODE);
      if (proto === 1) {
        this.ensure(1);
        this.buf[this.pos++] = MARK;
      }
      this.#latin1String(data);
      const latin1 = memo.globals[G_LATIN1] as number;
      if (latin1 >= 0) {
        this.get(latin1);
      } else {
        this.writeBytes(LATIN1_STR);
        memo.globals[G_LATIN1] = this.put();
      }
      this.ensure(1);
      this.buf[this.pos++] = proto === 1 ? TUPLE : TUPLE1 + 1;
      this.put();
      this.ensure(1);
      this.buf[this.pos++] = REDUCE;
    }
    const index = this.put();
    memo.remember(object, index);
    if (slot >= 0) memo.setSharedBytes(slot, index);
  }

  /** The str `bytes.decode('latin1')`, memoised as CPython does. */
  #latin1String(data: Uint8Array): void {
    const n = data.length;
    if (n === 1) {
      const seen = this.memo.sharedStr(data[0] as number);
      if (seen >= 0) {
        this.get(seen);
        return;
      }
    }
    this.ensure(5 + 2 * n);
    const buf = this.buf;
    const headerStart = this.pos;
    let pos = headerStart + 5;
    for (let i = 0; i < n; i++) {
      const b = data[i] as number;
      if (b < 0x80) {
        buf[pos++] = b;
      } else {
        buf[pos++] = 0xc0 | (b >> 6);
        buf[pos++] = 0x80 | (b & 0x3f);
      }
    }
    buf[headerStart] = BINUNICODE;
    this.view.setUint32(headerStart + 1, pos - headerStart - 5, true);
    this.pos = pos;
    const index = this.put();
    if (n === 1) this.memo.setSharedStr(data[0] as number, index);
  }

  /**
   * Writes a global once per pickle (a memo get after that).
   *
   * @param slot Its slot in `memo.globals`.
   * @param opcode Its GLOBAL opcode.
   */
  global(slot: number, opcode: Uint8Array): void {
    const globals = this.memo.globals;
    const index = globals[slot] as number;
    if (index >= 0) {
      this.get(index);
    } else {
      this.writeBytes(opcode);
      globals[slot] = this.put();
    }
  }
}
