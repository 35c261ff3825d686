// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * {@linkcode PythonHandler}: the part of Python's `logging.Handler` that
 * `SocketHandler` and `DatagramHandler` share on top of `@std/log`'s
 * `BaseHandler`: level and filters, the formatter rule, the mapping of an
 * `@std/log` record to a Python LogRecord dict, and the `setup()`/`destroy()`
 * lifecycle that `@std/log`'s `setup()` drives.
 *
 * @module
 */
import { BaseHandler, type BaseHandlerOptions } from "@std/log/base-handler";
import type { LevelName, LogRecord } from "@std/log/base-handler";
import type { CallerInfo } from "./record/caller.ts";
import {
  handleCaller,
  type InputSlots,
  newInputSlots,
  stdLogInput,
} from "./record/std_log.ts";
import type { RecordInput } from "./record/input.ts";
import { recordDict } from "./record/dict.ts";
import { plainRecordFields, type RecordFields } from "./record/fields.ts";
import type { PickleProtocol } from "./pickle.ts";

/**
 * A record filter, as in Python: a function, or an object with a `filter`
 * method. A falsy result drops the record (it is not counted as emitted).
 */
export type Filter =
  | ((record: LogRecord) => unknown)
  | { filter(record: LogRecord): unknown };

/** Options every {@linkcode PythonHandler} takes. */
export interface PythonHandlerOptions extends BaseHandlerOptions {
  /**
   * Pickle protocol of the record dict, 1–5.
   *
   * @default {1} (as CPython's SocketHandler and DatagramHandler)
   */
  protocol?: PickleProtocol;
  /**
   * Fill `pathname`, `filename`, `module`, `lineno` and `funcName` from the
   * logging call site. Off by default: it costs a stack capture per record.
   *
   * @default {false}
   */
  includeCallerInfo?: boolean;
  /** Filters applied after the level check; see {@linkcode Filter}. */
  filters?: Filter[];
}

/**
 * Base of the handlers that send Python LogRecords: Python's `Handler`
 * methods (`setLevel`, `setFormatter`, `addFilter`, `removeFilter`,
 * `filter`, `handle`) on `@std/log`'s `BaseHandler`. `handle()` never
 * throws; subclasses implement `emit`, `handleError` and `reportError`,
 * and the `reopen`/`startClose` hooks of the lifecycle.
 */
export abstract class PythonHandler extends BaseHandler {
  /** Pickle protocol of the record dict. */
  protocol: PickleProtocol;
  /** Whether caller information is captured per record. */
  includeCallerInfo: boolean;
  /** The handler's filters, applied in order after the level check. */
  readonly filters: Filter[];

  #defaultFormatter: BaseHandler["formatter"] | undefined;
  #destroyPending = false;
  /** How many handle() calls are running (more than 1: a nested log call). */
  #depth = 0;
  /** The event recordInput() fills for the outermost handle() call. */
  #slots: InputSlots = newInputSlots();

  /**
   * Sets up level, formatter, filters and encoding options.
   *
   * @param levelName The minimum `@std/log` level handled.
   * @param options The shared options.
   */
  constructor(levelName: LevelName, options: PythonHandlerOptions = {}) {
    super(levelName, options);
    this.#defaultFormatter = options.formatter === undefined
      ? this.formatter
      : undefined;
    this.protocol = options.protocol ?? 1;
    this.includeCallerInfo = options.includeCallerInfo ?? false;
    this.filters = [...(options.filters ?? [])];
  }

  /**
   * Sets the handler's level (a level name such as `"WARN"`, or a number).
   *
   * @param level The new minimum level.
   * @throws {Error} If the level is unknown to `@std/log`.
   */
  setLevel(level: LevelName | number): void {
    if (typeof level === "number") {
      this.level = level as BaseHandler["level"];
    } else {
      this.levelName = level;
    }
  }

  /**
   * Sets the formatter. With a formatter, its output becomes the record's
   * `msg`; without one, `msg` is rendered from the record's message and
   * arguments like Python's `LogRecord.getMessage()`.
   *
   * @param formatter The formatter, or undefined to go back to the default.
   */
  setFormatter(formatter: BaseHandler["formatter"] | undefined): void {
    if (formatter === undefined) {
      this.formatter = this.#defaultFormatter ?? this.formatter;
      this.#defaultFormatter ??= this.formatter;
    } else {
      this.formatter = formatter;
    }
  }

  /**
   * Adds a filter (no-op if it is already present).
   *
   * @param filter The filter to add.
   */
  addFilter(filter: Filter): void {
    if (!this.filters.includes(filter)) this.filters.push(filter);
  }

  /**
   * Removes a filter.
   *
   * @param filter The filter to remove.
   */
  removeFilter(filter: Filter): void {
    const i = this.filters.indexOf(filter);
    if (i >= 0) this.filters.splice(i, 1);
  }

  /**
   * Applies the filters in order; false as soon as one rejects the record.
   * A throwing filter rejects the record and is reported through
   * `onError` (kind `"filter"`).
   *
   * @param record The record.
   * @returns Whether the record should be emitted.
   */
  filter(record: LogRecord): boolean {
    for (const f of this.filters) {
      try {
        const ok = typeof f === "function" ? f(record) : f.filter(record);
        if (!ok) return false;
      } catch (error) {
        this.reportError(error, "filter");
        return false;
      }
    }
    return true;
  }

  /**
   * Checks the level and the filters, then emits the record. Never throws.
   *
   * @param record The record from `@std/log`.
   * @returns Whether the record passed the level and the filters.
   */
  override handle(record: LogRecord): boolean {
    try {
      if (this.level > record.level) return false;
      if (!this.filter(record)) return false;
    } catch (error) {
      this.reportError(error, "filter");
      return false;
    }
    this.#depth++;
    try {
      this.emit(record);
    } catch (error) {
      this.handleError(record, error);
    } finally {
      this.#depth--;
    }
    return true;
  }

  /**
   * Encodes the record and queues it for sending. Synchronous; never
   * blocks on I/O.
   *
   * @param record The record.
   */
  abstract emit(record: LogRecord): void;

  /**
   * Called when a record cannot be encoded: counts and reports it.
   *
   * @param record The record.
   * @param error What went wrong.
   */
  abstract handleError(record: LogRecord, error: unknown): void;

  /**
   * Reports an error through the rate-limited `onError`. Never throws.
   *
   * @param error The error.
   * @param kind The rate-limiting key, e.g. `"encode"`.
   */
  abstract reportError(error: unknown, kind: string): void;

  /**
   * Maps an `@std/log` record to the Python LogRecord `__dict__` (the
   * override point between the record and its pickle).
   *
   * @param record The record.
   * @returns The dict to pickle.
   */
  makeRecordDict(record: LogRecord): Record<string, unknown> {
    const dict = recordDict(stdLogInput(record, this.#caller(record)));
    if (this.#defaultFormatter !== this.formatter) {
      dict.msg = this.format(record);
    }
    return dict;
  }

  /**
   * The fields of the record's dict when that dict is a plain one — no
   * caller information, extras or error, args all primitives — and
   * {@linkcode PythonHandler.prototype.makeRecordDict} is this class's, with
   * the default formatter: a subclass can then frame the record with
   * `RecordFramer.frameFields` without building the dict. Undefined
   * otherwise (use `makeRecordDict`).
   *
   * @param record The record.
   * @returns One shared object, overwritten by the next call, or undefined.
   */
  makeRecordFields(record: LogRecord): RecordFields | undefined {
    if (
      this.includeCallerInfo || this.#defaultFormatter !== this.formatter ||
      this.makeRecordDict !== PythonHandler.prototype.makeRecordDict
    ) {
      return undefined;
    }
    return plainRecordFields(stdLogInput(record));
  }

  /**
   * The event of a record, read once (`@std/log`'s copying `args` and
   * `datetime` getters once each; caller information when
   * `includeCallerInfo`), when the record's dict is what this class makes
   * of it: {@linkcode PythonHandler.prototype.makeRecordDict} and
   * {@linkcode PythonHandler.prototype.makeRecordFields} are this class's
   * and the formatter is the default. A subclass frames it with
   * `RecordFramer.frameEvent` (the same bytes as framing `makeRecordDict`'s
   * dict). Undefined otherwise: then frame through those methods. Within
   * {@linkcode PythonHandler.prototype.handle} (not nested in another
   * call of it) the event is one object filled again for every record:
   * frame it at once, do not keep it.
   *
   * @param record The record.
   * @returns The event, or undefined.
   */
  protected recordInput(record: LogRecord): RecordInput | undefined {
    if (
      this.#defaultFormatter !== this.formatter ||
      this.makeRecordDict !== PythonHandler.prototype.makeRecordDict ||
      this.makeRecordFields !== PythonHandler.prototype.makeRecordFields
    ) {
      return undefined;
    }
    return stdLogInput(
      record,
      this.#caller(record),
      this.#depth === 1 ? this.#slots : undefined,
    );
  }

  /** The logging call's site, when `includeCallerInfo`. */
  #caller(record: LogRecord): CallerInfo | undefined {
    return this.includeCallerInfo
      ? handleCaller(this.handle, record)
      : undefined;
  }

  /**
   * Kept for `@std/log`'s abstract method; these handlers send records, not
   * formatted strings, so this does nothing.
   *
   * @param _msg Ignored.
   */
  log(_msg: string): void {}

  /**
   * `@std/log` calls this from `setup()`: cancels a pending
   * {@linkcode PythonHandler.prototype.destroy} (setup() destroys the old
   * handlers, then sets up the new ones, so re-passing the same handler must
   * lose nothing) and re-opens a closed handler.
   */
  override setup(): void {
    this.#destroyPending = false;
    this.reopen();
  }

  /**
   * `@std/log` calls this from `setup()` and on dispose: starts closing
   * (drain with the handler's deadline, then close) without waiting, unless
   * `setup()` is called again in the same synchronous run. Records handled
   * after the close are counted as dropped until `setup()` re-opens the
   * handler.
   */
  override destroy(): void {
    if (this.#destroyPending) return;
    this.#destroyPending = true;
    queueMicrotask(() => {
      if (!this.#destroyPending) return;
      this.#destroyPending = false;
      this.startClose();
    });
  }

  /** Re-opens a closed (or closing) handler; called by `setup()`. */
  protected abstract reopen(): void;

  /** Starts closing without waiting; called by `destroy()`. Never throws. */
  protected abstract startClose(): void;
}
