// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Checks the public surface of every entry point in `deno.json`'s `exports`:
 *
 * - an entry point names what it exports (no `export *`);
 * - nothing it exports is declared under `tests/` (the `@std/log` stand-in);
 * - the names it exports are exactly those recorded in
 *   `_tools/public_api.json`, so that a change of the public API is a
 *   deliberate, reviewed change of that file (`--update` rewrites it).
 *
 *   deno run --allow-read --allow-run --allow-write _tools/check_exports.ts [--update]
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const API_FILE = join(ROOT, "_tools", "public_api.json");
const update = Deno.args.includes("--update");

interface DocDeclaration {
  location: { filename: string };
}
interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}
interface DocOutput {
  nodes: Record<string, { symbols?: DocSymbol[] }>;
}

const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
const entries = Object.entries(config.exports as Record<string, string>);
const problems: string[] = [];

for (const [name, path] of entries) {
  const text = Deno.readTextFileSync(join(ROOT, path));
  if (/^\s*export\s+\*/m.test(text)) {
    problems.push(
      `Cannot accept entry point '${name}' (${path}) as it uses 'export *': list the exported names`,
    );
  }
}

const out = new Deno.Command(Deno.execPath(), {
  args: [
    "doc",
    "--json",
    "--import-map=tests/import_map.json",
    ...entries.map(([, path]) => path),
  ],
  cwd: ROOT,
  stdout: "piped",
  stderr: "inherit",
}).outputSync();
if (!out.success) Deno.exit(1);
const doc: DocOutput = JSON.parse(new TextDecoder().decode(out.stdout));

const api: Record<string, string[]> = {};
for (const [name, path] of entries) {
  const url = pathToFileURL(join(ROOT, path)).href;
  const symbols = doc.nodes[url]?.symbols ?? [];
  api[name] = symbols.map((s) => s.name).sort();
  for (const s of symbols) {
    for (const d of s.declarations) {
      if (d.location.filename.includes("/tests/")) {
        problems.push(
          `Cannot export '${s.name}' from '${name}' as it is declared in the tests: ${d.location.filename}`,
        );
      }
    }
  }
}

if (update) {
  Deno.writeTextFileSync(API_FILE, JSON.stringify(api, null, 2) + "\n");
  console.log(`check_exports: wrote ${API_FILE}`);
} else {
  let recorded: Record<string, string[]> = {};
  try {
    recorded = JSON.parse(Deno.readTextFileSync(API_FILE));
  } catch {
    problems.push(`Cannot read ${API_FILE}: run with --update to create it`);
  }
  for (const [name] of entries) {
    const want = new Set(recorded[name] ?? []);
    const have = new Set(api[name]);
    const added = [...have].filter((n) => !want.has(n));
    const removed = [...want].filter((n) => !have.has(n));
    if (added.length > 0 || removed.length > 0) {
      problems.push(
        `Entry point '${name}' exports other names than _tools/public_api.json records: added [${
          added.join(", ")
        }], removed [${removed.join(", ")}] (run with --update if intended)`,
      );
    }
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  Deno.exit(1);
}
const count = Object.values(api).reduce((n, names) => n + names.length, 0);
console.log(
  `check_exports: ${entries.length} entry points, ${count} public names`,
);
