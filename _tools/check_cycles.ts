// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Fails if the package's own modules import each other in a cycle.
 *
 * Every `.ts` file of the package (not `tests/`, `bench/`, `_tools/`) is read,
 * its relative `import`/`export … from` specifiers are resolved, and the
 * strongly connected components of that graph are listed: any component of
 * more than one file, or a file importing itself, is a cycle. A cycle of
 * module loading (value imports) fails the check, and so does a cycle that
 * closes only through `import type`/`export type` (erased before run time,
 * but still a cycle of the module graph).
 *
 *   deno run --allow-read _tools/check_cycles.ts
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SKIP = new Set(["tests", "bench", "_tools", ".git", "node_modules"]);
/**
 * A type-only cycle that includes this file is only warned about, until the
 * cycle is removed (see the module documentation).
 */
const SPECIFIER =
  /(?:^|[;\s])(?:import|export)\s(\s*type\s)?[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']|\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...files(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Removes comments, so that imports shown in doc examples don't count. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

function buildGraph(withTypes: boolean): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(ROOT).sort()) {
    const deps: string[] = [];
    for (const m of code(Deno.readTextFileSync(file)).matchAll(SPECIFIER)) {
      if (m[1] !== undefined && !withTypes) continue;
      deps.push(resolve(dirname(file), m[2] ?? m[3]!));
    }
    graph.set(file, deps);
  }
  return graph;
}

function cyclesOf(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  function visit(v: string): void {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)!.includes(v)) cycles.push(scc);
    }
  }
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return cycles;
}

const graph = buildGraph(false);
const runtime = cyclesOf(graph);
const all = cyclesOf(buildGraph(true));
const name = (scc: string[]) =>
  scc.map((f) => relative(ROOT, f)).sort().join(", ");
const runtimeNames = new Set(runtime.map(name));
let failed = false;
for (const scc of runtime) {
  console.error(`Import cycle between: ${name(scc)}`);
  failed = true;
}
for (const scc of all) {
  const n = name(scc);
  if (runtimeNames.has(n)) continue;
  console.error(`Type-only import cycle between: ${n}`);
  failed = true;
}
if (failed) Deno.exit(1);
console.log(
  `check_cycles: ${graph.size} modules, no import cycle at run time, no type-only cycle`,
);
