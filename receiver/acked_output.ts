// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode AckedOutput}: how the CLI prints with `--ack`. Records come
 * through `onRecord` (the receiver's buffer off), and the promise it
 * returns for a record settles once the record's line has been written to
 * stdout: the receiver acknowledges a record only when its `onRecord` is
 * done, so an acknowledged record is always printed. (Taken from the
 * iterator, a record would be acknowledged when taken, before its line
 * was written: a CLI killed in between lost it, and its sender did not
 * send it again.) Lines that arrive while a write is in progress are
 * written together by the next one; each connection waits for its record's
 * line, and reading it pauses meanwhile (TCP backpressure).
 *
 * After `--count` records, on Ctrl-C, or when stdout fails, it stops: the
 * receiver is closed at once (so nothing more is acknowledged), later
 * records are not printed, and the lines already taken are written.
 *
 * @module
 */
import type { PythonLogRecord } from "./python_log_record.ts";

/** Prints records from `onRecord`, each settled once written. */
export class AckedOutput {
  #render: (record: PythonLogRecord) => string;
  #write: (text: string) => Promise<void>;
  #max: number;
  #count = 0;
  #out = "";
  /** Settles the records of `#out` once written. */
  #waiting: (() => void)[] = [];
  #writing: Promise<void> | undefined;
  #stopped = false;
  #close: (() => void) | undefined;
  #stop!: () => void;
  /** The write error that stopped it, if any. */
  error: unknown = undefined;
  /** Resolves when it stops (see {@linkcode AckedOutput.prototype.stop}). */
  readonly stopped: Promise<void> = new Promise((r) => (this.#stop = r));

  /**
   * Creates the output.
   *
   * @param render A record's line (without newline); must not throw.
   * @param write Writes text to stdout in full (rejects on failure).
   * @param max Records to print before stopping (`Infinity`: no limit).
   */
  constructor(
    render: (record: PythonLogRecord) => string,
    write: (text: string) => Promise<void>,
    max = Infinity,
  ) {
    this.#render = render;
    this.#write = write;
    this.#max = max;
  }

  /**
   * Sets what stopping does first: close the receiver (it must stop the
   * acknowledgements synchronously). Called at once if already stopped.
   *
   * @param close Closes the receiver.
   */
  onStop(close: () => void): void {
    this.#close = close;
    if (this.#stopped) close();
  }

  /**
   * The `onRecord` callback: queues the record's line.
   *
   * @param record The record.
   * @returns A promise settled once the line is written (or dropped by a
   * write error); undefined once stopped (the record is not printed).
   */
  print(record: PythonLogRecord): Promise<void> | undefined {
    if (this.#stopped) return undefined;
    this.#out += this.#render(record) + "\n";
    const written = new Promise<void>((r) => this.#waiting.push(r));
    if (++this.#count >= this.#max) this.stop();
    this.#writing ??= this.#drain();
    return written;
  }

  /**
   * Stops: closes the receiver (through {@linkcode AckedOutput.prototype.onStop}),
   * prints no more records; the lines taken are still written.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#close?.();
    this.#stop();
  }

  /**
   * Waits until every line taken is written (or dropped by a write error).
   *
   * @returns A promise that resolves then.
   */
  async drained(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#out !== "") {
        const text = this.#out;
        const done = this.#waiting;
        this.#out = "";
        this.#waiting = [];
        try {
          if (this.error === undefined) await this.#write(text);
        } catch (e) {
          this.error = e;
          this.stop();
        }
        for (const settle of done) settle();
      }
    } finally {
      this.#writing = undefined;
    }
  }
}
