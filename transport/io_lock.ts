// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The I/O lock (Python's `Handler.lock`): exclusive use of the connection
 * between frames. The engine's writer takes it for each batch. Private to
 * the package.
 *
 * @module
 */

/** A first-come, first-served async lock. */
export class IoLock {
  #locked = false;
  #waiters: (() => void)[] = [];

  /**
   * Takes the lock.
   *
   * @returns Resolves once the lock is held.
   */
  acquire(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Releases the lock (to the next waiter, if any). */
  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.#locked = false;
  }
}
