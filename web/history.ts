// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The web viewer's history: the last records pushed, for browsers that
 * connect later. It keeps the records themselves (their JSON is made when a
 * browser asks for it, once), bounded both in count and in an estimate of
 * their size, so that a sender of large records cannot make it hold more
 * than its byte bound.
 *
 * @module
 */
import type { PythonLogRecord } from "../receiver/python_log_record.ts";
import { PyTuple } from "../pickle/py_types.ts";
import { Fifo } from "../receiver/fifo.ts";
import { recordJson } from "./record_json.ts";

/** A record of the history, with what its JSON needs. */
export interface HistoryEntry {
  /** The record. */
  record: PythonLogRecord;
  /** Its `$id`. */
  id: number;
  /** Its `$from`. */
  from: string;
  /** Its JSON, once made. */
  json: string | undefined;
  /** Its size estimate (see {@linkcode recordSize}). */
  size: number;
}

/**
 * An entry's JSON, made once.
 *
 * @param entry The entry.
 * @returns Its JSON text.
 */
export function entryJson(entry: HistoryEntry): string {
  return entry.json ??= recordJson(entry.record, entry.id, entry.from);
}

/** Values looked at by one size estimate, at most. */
const SIZE_NODES = 2000;
/** The estimate of a record too intricate to walk (code units). */
const SIZE_MAX = 4 << 20;

/**
 * An estimate of what a record holds, in UTF-16 code units: its strings'
 * lengths plus a little per value, walking `msg`, `args`, `exc_text`,
 * `stack_info` and the extras. A record with more than 2,000 values counts
 * as 4 Mi code units, so the estimate never falls short for long.
 *
 * @param record The record.
 * @returns The estimate.
 */
export function recordSize(record: PythonLogRecord): number {
  const budget = { nodes: SIZE_NODES };
  let size = 512 + valueSize(record.msg, budget) +
    valueSize(record.args, budget) + valueSize(record.exc_text, budget) +
    valueSize(record.stack_info, budget);
  for (const key in record.extra) {
    size += key.length + valueSize(record.extra[key], budget);
  }
  return budget.nodes < 0 ? SIZE_MAX : Math.min(size, SIZE_MAX);
}

function valueSize(v: unknown, budget: { nodes: number }): number {
  if (--budget.nodes < 0) return 0;
  if (typeof v === "string") return v.length + 8;
  if (typeof v !== "object" || v === null) return 8;
  if (ArrayBuffer.isView(v)) return (v.byteLength >> 1) + 16;
  let size = 16;
  const items: Iterable<unknown> = Array.isArray(v)
    ? v
    : v instanceof PyTuple
    ? v.items
    : v instanceof Map
    ? [...v.keys(), ...v.values()]
    : v instanceof Set
    ? v
    : Object.values(v);
  for (const x of items) {
    if (budget.nodes < 0) break;
    size += valueSize(x, budget);
  }
  return size;
}

/** The last records pushed, at most `maxRecords` and `maxSize` code units. */
export class History {
  #entries = new Fifo<HistoryEntry>();
  #size = 0;
  #maxRecords: number;
  #maxSize: number;

  /**
   * @param maxRecords Most records kept (0 keeps none).
   * @param maxSize Most code units kept, by the entries' estimates.
   */
  constructor(maxRecords: number, maxSize: number) {
    this.#maxRecords = maxRecords;
    this.#maxSize = maxSize;
  }

  /**
   * Keeps an entry, dropping the oldest beyond the bounds (the entry too,
   * when it alone is over the size bound).
   *
   * @param entry The entry.
   */
  push(entry: HistoryEntry): void {
    if (this.#maxRecords === 0) return;
    const entries = this.#entries;
    entries.push(entry);
    this.#size += entry.size;
    while (
      entries.size > this.#maxRecords ||
      (this.#size > this.#maxSize && entries.size > 0)
    ) {
      this.#size -= entries.shift()!.size;
    }
  }

  /** @returns The entries kept, oldest first. */
  entries(): HistoryEntry[] {
    return this.#entries.toArray();
  }
}
