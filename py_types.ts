// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Former home of the Python value wrappers, now in `pickle/py_types.ts`;
 * kept as a re-export for modules that still import this path.
 *
 * @module
 */
export { PyFloat, pyFloat, PyTuple, pyTuple } from "./pickle/py_types.ts";
