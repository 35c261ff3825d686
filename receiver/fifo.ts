// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A first-in, first-out queue: an array read from a moving head, compacted
 * once the head has passed half of it, so that both ends cost O(1)
 * amortised and taken items are released at once.
 *
 * @module
 */

/** A first-in, first-out queue. */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** How many items are queued. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Appends an item.
   *
   * @param item The item.
   */
  push(item: T): void {
    this.#items.push(item);
  }

  /**
   * The oldest item, left in the queue.
   *
   * @returns The item, or undefined if the queue is empty.
   */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /**
   * Takes the oldest item.
   *
   * @returns The item, or undefined if the queue is empty.
   */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /**
   * Takes the item `index` places after the oldest (0 is the oldest).
   *
   * @param index The position from the oldest.
   * @returns The item, or undefined if there is none there.
   */
  removeAt(index: number): T | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.#items.splice(this.#head + index, 1)[0];
  }

  /**
   * The items, oldest first, in a new array.
   *
   * @returns The items.
   */
  toArray(): T[] {
    return this.#items.slice(this.#head) as T[];
  }

  /** Empties the queue. */
  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
  }
}
