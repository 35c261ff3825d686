// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The pickle opcodes the encoder writes, and the sizes CPython's pickler
 * works with (batches, frames).
 *
 * @module
 */

/** `(`: push a mark. */
export const MARK = 0x28;
/** `.`: end of the pickle. */
export const STOP = 0x2e;
/** `0`: drop the top of the stack. */
export const POP = 0x30;
/** `1`: drop everything down to the mark. */
export const POP_MARK = 0x31;
/** `G`: a float, 8 bytes big-endian. */
export const BINFLOAT = 0x47;
/** `I`: an int as decimal text (protocol 1's booleans). */
export const INT = 0x49;
/** `J`: a 4-byte signed int. */
export const BININT = 0x4a;
/** `K`: a 1-byte unsigned int. */
export const BININT1 = 0x4b;
/** `L`: a long as decimal text. */
export const LONG = 0x4c;
/** `M`: a 2-byte unsigned int. */
export const BININT2 = 0x4d;
/** `N`: None. */
export const NONE = 0x4e;
/** `R`: call a callable with an argument tuple. */
export const REDUCE = 0x52;
/** `X`: a str, 4-byte length, UTF-8. */
export const BINUNICODE = 0x58;
/** `]`: an empty list. */
export const EMPTY_LIST = 0x5d;
/** `a`: append one item to a list. */
export const APPEND = 0x61;
/** `B`: bytes, 4-byte length. */
export const BINBYTES = 0x42;
/** `C`: bytes, 1-byte length. */
export const SHORT_BINBYTES = 0x43;
/** `e`: append the items down to the mark. */
export const APPENDS = 0x65;
/** `h`: memo get, 1-byte index. */
export const BINGET = 0x68;
/** `j`: memo get, 4-byte index. */
export const LONG_BINGET = 0x6a;
/** `q`: memo put, 1-byte index. */
export const BINPUT = 0x71;
/** `r`: memo put, 4-byte index. */
export const LONG_BINPUT = 0x72;
/** `s`: set one dict item. */
export const SETITEM = 0x73;
/** `t`: a tuple of the items down to the mark. */
export const TUPLE = 0x74;
/** `u`: set the dict items down to the mark. */
export const SETITEMS = 0x75;
/** `}`: an empty dict. */
export const EMPTY_DICT = 0x7d;
/** `)`: an empty tuple. */
export const EMPTY_TUPLE = 0x29;
/** Protocol version header (protocol ≥2). */
export const PROTO = 0x80;
/** A tuple of the top item; TUPLE1 + 1 and + 2 take two and three. */
export const TUPLE1 = 0x85;
/** True (protocol ≥2). */
export const NEWTRUE = 0x88;
/** False (protocol ≥2). */
export const NEWFALSE = 0x89;
/** A long, 1-byte length, little-endian two's complement. */
export const LONG1 = 0x8a;
/** A long, 4-byte length. */
export const LONG4 = 0x8b;
/** A str, 1-byte length (protocol ≥4). */
export const SHORT_BINUNICODE = 0x8c;
/** Bytes, 8-byte length (protocol ≥4). */
export const BINBYTES8 = 0x8e;
/** An empty set (protocol ≥4). */
export const EMPTY_SET = 0x8f;
/** Add the items down to the mark to a set (protocol ≥4). */
export const ADDITEMS = 0x90;
/** Memo put at the next index (protocol ≥4). */
export const MEMOIZE = 0x94;
/** A frame header: opcode and 8-byte length (protocol ≥4). */
export const FRAME = 0x95;

/** Items per APPENDS / SETITEMS / ADDITEMS batch. */
export const BATCHSIZE = 1000;
/** FRAME and its 8-byte length. */
export const FRAME_HEADER_SIZE = 9;
/** Frames shorter than this are not written. */
export const FRAME_SIZE_MIN = 4;
/** A frame is closed at the first opcode boundary past this size. */
export const FRAME_SIZE_TARGET = 64 * 1024;
