// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A walk over a pickle's opcodes that builds nothing: a lower bound of the
 * heap units `loads` would charge (see `maxHeapFactor`), counting only the
 * fixed costs of the opcodes that make containers and objects (memo entries
 * are left out: `loads` sometimes stores them for free). `loads` runs it on large inputs first, so that a frame of empty
 * containers (a dict per input byte: ×194 heap) is refused at the cost of
 * reading it, without allocating gigabytes first.
 *
 * @module
 */
import {
  H_DICT,
  H_ENTRY,
  H_ITEM,
  H_LIST,
  H_OBJECT,
  H_SET,
  H_TUPLE,
} from "./decoder_state.ts";

/** Inputs at least this long are walked before they are decoded. */
export const PRESCAN_MIN_BYTES = 65536;

/** Heap units of opcodes with a fixed charge in `loads` (0: none). */
const FIXED = new Float64Array(256);
FIXED[0x5d] = H_LIST; // EMPTY_LIST
FIXED[0x6c] = H_LIST; // LIST
FIXED[0x29] = H_TUPLE; // EMPTY_TUPLE
FIXED[0x74] = H_TUPLE; // TUPLE
FIXED[0x85] = H_TUPLE + H_ITEM; // TUPLE1
FIXED[0x86] = H_TUPLE + 2 * H_ITEM; // TUPLE2
FIXED[0x87] = H_TUPLE + 3 * H_ITEM; // TUPLE3
FIXED[0x7d] = H_DICT; // EMPTY_DICT
FIXED[0x64] = H_DICT; // DICT
FIXED[0x8f] = H_SET; // EMPTY_SET
FIXED[0x91] = H_SET; // FROZENSET
FIXED[0x61] = H_ITEM; // APPEND
FIXED[0x73] = H_ENTRY; // SETITEM
FIXED[0x63] = H_OBJECT; // GLOBAL
FIXED[0x93] = H_OBJECT; // STACK_GLOBAL

/**
 * Argument sizes: ≥ 0 a fixed count of bytes; −1 one newline-ended line,
 * −2 two lines; −3/−4/−5 a length of 1, 4 or 8 bytes (little-endian) and
 * that many bytes; −9 not an opcode.
 */
const ARG = new Int8Array(256).fill(-9);
for (
  const op
    of "(.012}])\x8ftael\x85\x86\x87su\x90\x91dN\x88\x89Rb\x81\x92\x93\x94oQ\x97\x98"
) {
  ARG[op.charCodeAt(0)] = 0;
}
for (const op of "Khq\x80\x82") ARG[op.charCodeAt(0)] = 1;
for (const op of "M\x83") ARG[op.charCodeAt(0)] = 2;
for (const op of "Jjr\x84") ARG[op.charCodeAt(0)] = 4;
for (const op of "G\x95") ARG[op.charCodeAt(0)] = 8;
for (const op of "ILFSVgpP") ARG[op.charCodeAt(0)] = -1;
for (const op of "ci") ARG[op.charCodeAt(0)] = -2;
for (const op of "\x8aUC\x8c") ARG[op.charCodeAt(0)] = -3;
for (const op of "\x8bTXB") ARG[op.charCodeAt(0)] = -4;
for (const op of "\x8d\x8e\x96") ARG[op.charCodeAt(0)] = -5;

/**
 * A lower bound of the heap units `loads(data)` charges, walking opcodes
 * up to `STOP` or the first one it cannot step over (then the units so
 * far). Stops early once the bound exceeds `limit`.
 *
 * @param data A pickle.
 * @param limit Stop counting past this many units.
 * @returns The units counted.
 */
export function minHeapUnits(data: Uint8Array, limit: number): number {
  const end = data.length;
  let units = 0;
  let pos = 0;
  while (pos < end && units <= limit) {
    const op = data[pos++]!;
    units += FIXED[op]!;
    const arg = ARG[op]!;
    if (arg >= 0) {
      pos += arg;
    } else if (arg === -1 || arg === -2) {
      for (let lines = -arg; lines > 0 && pos < end; lines--) {
        const nl = data.indexOf(0x0a, pos);
        if (nl < 0) return units;
        pos = nl + 1;
      }
    } else if (arg === -3) {
      if (pos >= end) return units;
      pos += 1 + data[pos]!;
    } else if (arg === -4) {
      if (pos + 4 > end) return units;
      pos += 4 + (data[pos]! | data[pos + 1]! << 8 | data[pos + 2]! << 16) +
        data[pos + 3]! * 16777216;
    } else if (arg === -5) {
      if (pos + 8 > end) return units;
      let n = 0;
      for (let i = 7; i >= 0; i--) n = n * 256 + data[pos + i]!;
      pos += 8 + n;
    } else return units;
    if (op === 0x2e) return units; // STOP
  }
  return units;
}
