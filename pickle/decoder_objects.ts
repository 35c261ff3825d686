// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The decoder's inert mode (`objects: "inert"`): globals, calls and
 * constructions (`GLOBAL`, `STACK_GLOBAL`, `REDUCE`, `NEWOBJ`, `NEWOBJ_EX`,
 * `INST`, `OBJ`), state (`BUILD`) and the items and entries set on objects
 * become {@linkcode PyObject} placeholders. Nothing is imported, looked up
 * or called: a global is only its module and name. The allow-listed data
 * constructions (`_codecs.encode`, `bytes`, `bytearray`, `set`,
 * `frozenset`) still give data, and `copyreg._reconstructor`,
 * `copyreg.__newobj__`/`__newobj_ex__` and `getattr(global, name)` are read
 * as the constructions they describe. Every container attached to a
 * placeholder counts for `maxDepth` and `maxContainerLength`.
 *
 * @module
 */
import { PyObject } from "./py_object.ts";
import { objectKind } from "./py_object_value.ts";
import { PyTuple } from "./py_types.ts";
import { UnpicklingError } from "./errors.ts";
import { allowGlobal, quote, type State } from "./decoder_state.ts";
import { checkKey, kindOf, nest, reduce, tooLong } from "./decoder_values.ts";

const COPYREG = new Set(["copyreg", "copy_reg"]);
const BUILTINS = new Set(["builtins", "__builtin__"]);

/**
 * A reference to a global, never imported.
 *
 * @param module Its module.
 * @param name Its qualified name.
 * @returns The placeholder.
 */
export function globalRef(module: string, name: string): PyObject {
  return new PyObject(module, name, "global");
}

function isGlobal(v: unknown): v is PyObject {
  return v instanceof PyObject && v.kind === "global";
}

function argsOf(st: State, args: unknown, op: string): readonly unknown[] {
  if (!(args instanceof PyTuple)) {
    st.fail(
      `the arguments of ${op} must be a tuple, not a ${kindOf(st, args)}`,
    );
  }
  return args.items;
}

/** A call or construction of the global `cls`. */
function construct(
  st: State,
  cls: unknown,
  args: readonly unknown[],
  kwargs: unknown,
): PyObject {
  if (!isGlobal(cls)) {
    st.fail(
      `it would call a ${
        cls instanceof PyObject ? "constructed object" : kindOf(st, cls)
      }, not a global`,
    );
  }
  const o = new PyObject(
    cls.module,
    cls.name,
    objectKind(cls.module, cls.name),
  );
  o.args = args;
  o.kwargs = kwargs;
  nest(st, o, true, args, 0, args.length);
  if (kwargs !== null) nest(st, o, false, [kwargs], 0, 1);
  return o;
}

/**
 * `REDUCE`: calls `fn(*args)`, inertly.
 *
 * @param st The state.
 * @param fn The callee.
 * @param args The argument tuple.
 * @returns The data of an allow-listed construction, or a placeholder.
 */
export function inertReduce(st: State, fn: unknown, args: unknown): unknown {
  const a = argsOf(st, args, "REDUCE");
  if (!isGlobal(fn)) return construct(st, fn, a, null);
  const { module, name } = fn;
  const data = allowGlobal(module, name);
  if (data !== undefined) {
    try {
      return reduce(st, data, args);
    } catch (e) {
      if (!(e instanceof UnpicklingError)) throw e;
      // other arguments: an inert call
    }
  }
  if (COPYREG.has(module)) {
    if (name === "_reconstructor" && a.length === 3) {
      const [cls, base, state] = a;
      if (
        isGlobal(base) && BUILTINS.has(base.module) && base.name === "object"
      ) {
        return construct(st, cls, [], null);
      }
      return construct(
        st,
        cls,
        state instanceof PyTuple ? state.items : [state],
        null,
      );
    }
    if (name === "__newobj__" && a.length >= 1) {
      return construct(st, a[0], a.slice(1), null);
    }
    if (name === "__newobj_ex__" && a.length === 3) {
      return construct(st, a[0], argsOf(st, a[1], "__newobj_ex__"), a[2]);
    }
  }
  if (
    BUILTINS.has(module) && name === "getattr" && a.length === 2 &&
    isGlobal(a[0]) && typeof a[1] === "string"
  ) {
    return globalRef(a[0].module, a[0].name + "." + a[1]);
  }
  return construct(st, fn, a, null);
}

/**
 * `NEWOBJ` and `NEWOBJ_EX`: `cls.__new__(cls, *args, **kwargs)`, inertly.
 *
 * @param st The state.
 * @param cls The class.
 * @param args The argument tuple.
 * @param kwargs The keyword arguments, or `null`.
 * @returns The placeholder.
 */
export function inertNew(
  st: State,
  cls: unknown,
  args: unknown,
  kwargs: unknown,
): PyObject {
  const a = argsOf(st, args, kwargs === null ? "NEWOBJ" : "NEWOBJ_EX");
  if (
    kwargs !== null && (typeof kwargs !== "object" || Array.isArray(kwargs))
  ) {
    st.fail(`the keyword arguments of NEWOBJ_EX must be a dict`);
  }
  return construct(st, cls, a, kwargs);
}

/**
 * `INST` and `OBJ`: a construction with the arguments above a `MARK`.
 *
 * @param st The state.
 * @param cls The class (a global).
 * @param items The stack.
 * @param from The first argument's index.
 * @returns The placeholder.
 */
export function inertInst(
  st: State,
  cls: unknown,
  items: unknown[],
  from: number,
): PyObject {
  if (items.length - from > st.lim.maxContainerLength) {
    tooLong(st, items.length - from);
  }
  return construct(st, cls, Object.freeze(items.slice(from)), null);
}

/**
 * `BUILD`: sets the state of a placeholder; a later `BUILD` replaces it
 * (nothing is merged, so repeated `BUILD`s cost nothing more).
 *
 * @param st The state.
 * @param obj The target.
 * @param state The state.
 */
export function inertBuild(st: State, obj: unknown, state: unknown): void {
  if (!(obj instanceof PyObject)) {
    st.fail(`it would set the state of a ${kindOf(st, obj)}`);
  }
  obj.state = state;
  nest(st, obj, false, [state], 0, 1);
}

/**
 * `APPEND`/`APPENDS` on a placeholder (a deque, a list subclass).
 *
 * @param st The state.
 * @param obj The target.
 * @param items The stack.
 * @param from The first item's index.
 * @param to The index after the last.
 */
export function inertAppend(
  st: State,
  obj: PyObject,
  items: unknown[],
  from: number,
  to: number,
): void {
  if (obj.items.length + (to - from) > st.lim.maxContainerLength) {
    tooLong(st, obj.items.length + (to - from));
  }
  for (let i = from; i < to; i++) obj.items.push(items[i]);
  nest(st, obj, false, items, from, to);
}

/**
 * `SETITEM`/`SETITEMS` on a placeholder (a dict subclass).
 *
 * @param st The state.
 * @param obj The target.
 * @param items The stack: keys and values.
 * @param from The first key's index.
 * @param to The index after the last value.
 */
export function inertSetItems(
  st: State,
  obj: PyObject,
  items: unknown[],
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i += 2) {
    checkKey(st, items[i]);
    obj.entries.set(items[i], items[i + 1]);
  }
  if (obj.entries.size > st.lim.maxContainerLength) {
    tooLong(st, obj.entries.size);
  }
  nest(st, obj, false, items, from, to);
}

/**
 * The global named by `STACK_GLOBAL`'s operands or `GLOBAL`'s text.
 *
 * @param st The state.
 * @param module The module name.
 * @param name The qualified name.
 * @returns The reference.
 */
export function inertGlobal(st: State, module: string, name: string): PyObject {
  if (module === "" || name === "") {
    st.fail(`it would import an empty name ${quote(module + "." + name)}`);
  }
  return globalRef(module, name);
}
