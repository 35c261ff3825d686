// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper of the disk spool's tests: frames that say which frame they
 * are, and the ids of concatenated frames.
 *
 * @module
 */
import { concat } from "./_bytes.ts";

/**
 * A frame (4-byte big-endian length, then the payload) whose payload starts
 * with its id (4 bytes); the rest is filler, repetitive (compressible) or,
 * with `noise`, pseudo-random from the id (incompressible).
 *
 * @param id The frame's id.
 * @param size Its size in bytes, length prefix included (at least 8).
 * @param noise Whether the filler is incompressible.
 * @returns The frame.
 */
export function frame(id: number, size = 40, noise = false): Uint8Array {
  const f = new Uint8Array(size);
  const view = new DataView(f.buffer);
  view.setUint32(0, size - 4);
  view.setUint32(4, id);
  let seed = id * 2654435761 >>> 0;
  for (let i = 8; i < size; i++) {
    if (noise) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      f[i] = seed >>> 24;
    } else {
      f[i] = (id + i) % 7 + 97;
    }
  }
  return f;
}

/**
 * The ids of concatenated frames made by {@linkcode frame}, checking that
 * they are whole.
 *
 * @param bytes The frames.
 * @returns Their ids, in order.
 */
export function ids(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const size = view.getUint32(pos) + 4;
    if (pos + size > bytes.length || size < 8) {
      throw new Error(`frame at ${pos} is not whole`);
    }
    out.push(view.getUint32(pos + 4));
    pos += size;
  }
  return out;
}

/**
 * Concatenates frames.
 *
 * @param frames The frames.
 * @returns Their bytes, in order.
 */
export function concatFrames(frames: Uint8Array[]): Uint8Array {
  return concat(frames);
}
