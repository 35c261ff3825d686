// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * One browser's `/events` stream: a bounded queue of record JSON texts
 * (oldest dropped first, counted and announced with a `discarded` event)
 * drained into a pull-based `ReadableStream`, so that a browser that
 * reads slowly or not at all only loses its own records and never slows
 * the receiver or the other browsers.
 *
 * @module
 */
import { Fifo } from "../receiver/fifo.ts";

/** The bounds of a browser's queue. */
export interface QueueLimits {
  /** Most records queued. */
  records: number;
  /** Most bytes (UTF-16 code units of JSON) queued. */
  bytes: number;
}

/** Most JSON in one `records` event (code units). */
const MAX_EVENT = 1 << 20;

const encoder = new TextEncoder();

/**
 * A Server-Sent Event.
 *
 * @param event The event name.
 * @param data One line of data (JSON, no newline).
 * @returns Its bytes.
 */
export function sseEvent(event: string, data: string): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${data}\n\n`);
}

/** A browser connected to `/events`. */
export class ViewerClient {
  /** The response body. */
  readonly stream: ReadableStream<Uint8Array>;
  /**
   * Records dropped from the queue so far (with those still queued when
   * the stream ended).
   */
  discarded = 0;
  /** Records written to the stream so far. */
  sent = 0;
  #queue = new Fifo<string>();
  #bytes = 0;
  #unreported = 0;
  #limits: QueueLimits;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #wake: (() => void) | undefined;
  #ready = false;
  #closed = false;
  #ending = false;
  #onEnd: () => void;

  /**
   * @param limits The queue's bounds.
   * @param hello The first event's bytes.
   * @param history Records to send first (their JSON texts).
   * @param onEnd Called once when the stream ends (cancelled or closed).
   */
  constructor(
    limits: QueueLimits,
    hello: Uint8Array,
    history: readonly string[],
    onEnd: () => void,
  ) {
    this.#limits = limits;
    this.#onEnd = onEnd;
    for (const json of history) this.push(json);
    this.#ready = this.size > 0;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        controller.enqueue(hello);
      },
      pull: (controller) => this.#pull(controller),
      cancel: () => this.#end(),
    }, { highWaterMark: 1 });
  }

  /** Records waiting in the queue. */
  get size(): number {
    return this.#queue.size;
  }

  /**
   * Queues one record's JSON, dropping the oldest beyond the bounds. It
   * is sent at the next {@linkcode ViewerClient.prototype.flush}.
   *
   * @param json The record's JSON text.
   */
  push(json: string): void {
    if (this.#closed) return;
    this.#queue.push(json);
    this.#bytes += json.length;
    while (
      this.size > this.#limits.records ||
      (this.#bytes > this.#limits.bytes && this.size > 1)
    ) {
      this.#bytes -= this.#queue.shift()!.length;
      this.discarded++;
      this.#unreported++;
    }
  }

  /** Lets a waiting read take what is queued (the batch timer's tick). */
  flush(): void {
    this.#ready = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Ends the stream once the browser has taken what is queued (the viewer
   * is closing): from now on each read gets the next batch at once, and
   * the read after the last one the end.
   */
  end(): void {
    if (this.#closed) return;
    if (this.size === 0 && this.#unreported === 0) {
      this.close();
      return;
    }
    this.#ending = true;
    this.flush();
  }

  /**
   * Ends the stream now; the records still queued count as discarded
   * (the viewer is closing and this browser did not take them in time).
   */
  close(): void {
    if (this.#closed) return;
    try {
      this.#controller.close();
    } catch {
      // already errored or closed
    }
    this.#end();
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.discarded += this.size;
    this.#queue.clear();
    this.#bytes = 0;
    this.#wake?.();
    this.#wake = undefined;
    this.#onEnd();
  }

  /** The browser wants more: waits for a tick, then writes one batch. */
  async #pull(
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> {
    while (
      !this.#closed && !this.#ending &&
      (!this.#ready || this.size === 0) && this.#unreported === 0
    ) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    if (this.#closed) return;
    if (this.#ending && this.size === 0 && this.#unreported === 0) {
      this.close();
      return;
    }
    if (this.#unreported > 0) {
      controller.enqueue(
        sseEvent("discarded", `{"count":${this.#unreported}}`),
      );
      this.#unreported = 0;
    }
    if (!this.#ready || this.size === 0) return;
    let text = "[";
    while (this.size > 0 && text.length < MAX_EVENT) {
      const json = this.#queue.shift()!;
      this.#bytes -= json.length;
      if (text.length > 1) text += ",";
      text += json;
      this.sent++;
    }
    if (this.size === 0) this.#ready = false;
    controller.enqueue(sseEvent("records", text + "]"));
  }
}
