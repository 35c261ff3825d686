// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The snippets of README.md and docs/*.md, run as written.
//
// Every ```python block is a receiver, named by its first line
// (`# receiver.py: …`). Every ```ts block whose first line is `// <name>.ts`
// is a Deno program: `app.ts` and `logtape_app.ts` as written, the
// transport variants (`tls_app.ts`, …) as `app.ts` with its
// `const python = …` line replaced, as the docs tell the reader to do. Each
// receiver runs as a subprocess (LOG_PORT=0, so it reports the port it got)
// under python3 (3.11), Python 2.7 and 3.13; its Deno programs run with the
// `deno run` flags that the docs give for them (ports and the socket path
// substituted), and the receiver must print the lines the README shows.
// The programs are also type-checked (they are `ts ignore` for the doc
// tests, which cannot start a Python receiver).
//
// Also checked: README.md has at most 200 lines, no inline code span is split
// across lines, the README's transport table gives the flags the docs run
// with, and the examples import only public names from package paths.
import { deepEqual, equal, ok } from "node:assert/strict";
import { makeCerts, opensslAvailable } from "./_certs.ts";
import { pythonAvailable, pythonCommand } from "./_python.ts";

const ROOT = new URL("../", import.meta.url);
const rootPath = (p: string) => new URL(p, ROOT).pathname;

// ------------------------------------------------------------ the documents

interface Block {
  /** Document and line of the opening fence, e.g. `README.md:21`. */
  where: string;
  /** Language: the first word of the info string. */
  lang: string;
  /** The whole info string, e.g. `ts ignore`. */
  info: string;
  /** The block's text, ending with a newline. */
  body: string;
}

function docFiles(): string[] {
  const files = ["README.md"];
  for (const entry of Deno.readDirSync(rootPath("docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      files.push(`docs/${entry.name}`);
    }
  }
  return files.sort();
}

function parseBlocks(file: string, text: string): Block[] {
  const out: Block[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) {
      body.push(lines[i]!);
    }
    out.push({
      where: `${file}:${start + 1}`,
      lang: open[1]!,
      info: (open[1]! + open[2]!).trim(),
      body: body.join("\n") + "\n",
    });
  }
  return out;
}

interface Docs {
  texts: Map<string, string>;
  blocks: Block[];
  /** Python receivers by file name. */
  python: Map<string, Block>;
  /** Deno programs by file name. */
  programs: Map<string, Block>;
  /** `deno run` flags by program name. */
  flags: Map<string, string>;
  /** The output the README shows for `app.ts`. */
  appOutput: string;
}

function readDocs(): Docs {
  const texts = new Map<string, string>();
  const blocks: Block[] = [];
  for (const file of docFiles()) {
    const text = Deno.readTextFileSync(rootPath(file));
    texts.set(file, text);
    blocks.push(...parseBlocks(file, text));
  }
  const python = new Map<string, Block>();
  const programs = new Map<string, Block>();
  const flags = new Map<string, string>();
  let appOutput: string | undefined;
  for (const block of blocks) {
    const first = block.body.split("\n")[0]!;
    if (block.lang === "python") {
      const name = /^# (\w+\.py): /.exec(first)?.[1];
      ok(name, `${block.where}: a python block starts with "# <name>.py: "`);
      ok(!python.has(name), `${block.where}: a second ${name}`);
      python.set(name, block);
    } else if (block.lang === "ts") {
      const name = /^\/\/ (\w+\.ts)$/.exec(first)?.[1];
      if (name === undefined) continue; // a doc test
      ok(!programs.has(name), `${block.where}: a second ${name}`);
      programs.set(name, block);
    } else if (block.lang === "sh") {
      for (const line of block.body.split("\n")) {
        const run = /^deno run (.*?) ?(\w+\.ts)(\s|$)/.exec(line);
        if (run !== null) flags.set(run[2]!, run[1]!);
      }
    } else if (block.lang === "text" && appOutput === undefined) {
      appOutput = block.body;
    }
  }
  ok(appOutput, "README.md shows the output of app.ts in a ```text block");
  return { texts, blocks, python, programs, flags, appOutput };
}

/** The receivers and the programs that send to each. */
const RECEIVERS: Record<string, string[]> = {
  "receiver.py": ["app.ts", "logtape_app.ts"],
  "tls_receiver.py": ["tls_app.ts", "mtls_app.ts"],
  "udp_receiver.py": ["udp_app.ts"],
  "unix_receiver.py": ["unix_app.ts"],
};

/** Programs that are `app.ts` with the `const python = …` line replaced. */
const VARIANTS = ["tls_app.ts", "mtls_app.ts", "udp_app.ts", "unix_app.ts"];

/** The names each package path may export (the public API). */
const PUBLIC: Record<string, string[]> = {
  "@pylogging/socket-handler": [
    "SocketHandler",
    "DatagramHandler",
    "SocketHandlerOptions",
    "DatagramHandlerOptions",
    "EngineStats",
    "FlushResult",
    "DatagramStats",
    "DatagramFlushResult",
    "pyFloat",
    "pyTuple",
    "RecordTooLargeError",
  ],
  "@pylogging/socket-handler/receiver": [
    "LogReceiver",
    "LogReceiverOptions",
    "PythonLogRecord",
    "ReceiverTlsOptions",
    "ReceiverStats",
    "ConnectionInfo",
    "ConnectionStats",
    "CloseReason",
    "ReceiverError",
    "ReceiverErrorKind",
    "ReceiveTimeoutError",
    "NextOptions",
    "makeLogRecord",
  ],
  "@pylogging/socket-handler/logtape": ["getSocketSink"],
  "@pylogging/socket-handler/pickle": ["dumps", "loads", "dumpsFrame"],
  "@pylogging/socket-handler/datagram": ["DatagramHandler"],
  "@std/log": ["*"],
  "@logtape/logtape": ["configure", "dispose", "getLogger"],
  "node:assert/strict": ["*"],
};

/** The program's source, with ports and the socket path substituted. */
function programSource(
  docs: Docs,
  name: string,
  to?: { port: number; socket: string },
): string {
  let text = docs.programs.get(name)?.body;
  ok(text, `the docs have a ts block starting with "// ${name}"`);
  if (VARIANTS.includes(name)) {
    const app = programSource(docs, "app.ts");
    const line = /^const python = [^\n]*;$/m;
    ok(line.test(app), "app.ts has a one-line `const python = …;`");
    const replacement = text.slice(text.indexOf("\n") + 1).trimEnd();
    text = app.replace(line, () => replacement);
  }
  if (to !== undefined) {
    const before = text;
    text = text.replace(/\bport: 902[01]\b/g, `port: ${to.port}`)
      .replaceAll('"/tmp/app-log.sock"', JSON.stringify(to.socket));
    ok(text !== before, `${name}: no port or socket path to substitute`);
  }
  return text;
}

function programFlags(
  docs: Docs,
  name: string,
  to: { port: number; socket: string },
): string[] {
  const flags = docs.flags.get(name === "logtape_app.ts" ? "app.ts" : name);
  ok(flags, `the docs give a \`deno run … ${name}\` command`);
  return flags
    .replace(/:902[01]\b/g, `:${to.port}`)
    .replaceAll("/tmp/app-log.sock", to.socket)
    .split(/\s+/)
    .filter((f) => f !== "");
}

/** Lines as the receiver prints them, with times (and locations) masked. */
function normalize(text: string, keepLocation: boolean): string[] {
  return text.split("\n").filter((line) => line !== "").map((line) =>
    line
      .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /, "<time> ")
      .replace(
        /file:\/\/\S*\/(\w+\.ts):(\d+):(\d+)/,
        keepLocation ? "<dir>/$1:$2:$3" : "<location>",
      )
  );
}

function expectedLines(docs: Docs, program: string): string[] {
  if (program === "logtape_app.ts") {
    return ["<time> INFO app.db: connected to db1"];
  }
  return normalize(docs.appOutput, program === "app.ts");
}

// -------------------------------------------------------------- processes

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A child process whose stdout and stderr are collected as they come. */
class Proc {
  out = "";
  err = "";
  exited = false;
  readonly child: Deno.ChildProcess;
  readonly #pumps: Promise<void>;

  constructor(cmd: string, args: string[], cwd: string, env = {}) {
    this.child = new Deno.Command(cmd, {
      args,
      cwd,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pumps = Promise.all([
      this.#pump(this.child.stdout, (s) => this.out += s),
      this.#pump(this.child.stderr, (s) => this.err += s),
    ]).then(() => {});
    this.child.status.then(() => this.exited = true);
  }

  async #pump(
    stream: ReadableStream<Uint8Array>,
    add: (s: string) => void,
  ): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      add(chunk);
    }
  }

  /** Waits until `check()` is true, at most `ms`; throws with the output. */
  async waitFor(check: () => boolean, ms: number, what: string) {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (this.exited || Date.now() > deadline) {
        await this.wait(1000);
        if (check()) return;
        const why = this.exited ? "the process exited" : `${ms} ms passed`;
        throw new Error(
          `${why} before ${what}\n--- stdout\n${this.out}\n--- stderr\n${this.err}`,
        );
      }
      await sleep(20);
    }
  }

  /** Waits for the exit, at most `ms` (then kills); returns the status. */
  async wait(ms: number): Promise<Deno.CommandStatus> {
    const timer = setTimeout(() => this.#kill("SIGKILL"), ms);
    try {
      const status = await this.child.status;
      await this.#pumps;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    this.#kill("SIGTERM");
    await this.wait(3000);
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }
}

// ------------------------------------------------------------------ setup

interface Workspace {
  dir: string;
  importMap: string;
  cleanup(): Promise<void>;
}

/**
 * A temporary directory with every receiver and program under its name, the
 * certificates the TLS snippets read, and an import map that points the
 * package paths at this checkout (and `@std/log` at the tests' stand-in).
 */
async function workspace(docs: Docs): Promise<Workspace> {
  const dir = await Deno.makeTempDir({ prefix: "readme_snippets_" });
  for (const [name, block] of docs.python) {
    await Deno.writeTextFile(`${dir}/${name}`, block.body);
  }
  const testMap = JSON.parse(
    await Deno.readTextFile(rootPath("tests/import_map.json")),
  ) as { imports: Record<string, string> };
  const imports: Record<string, string> = {};
  for (const [key, value] of Object.entries(testMap.imports)) {
    imports[key] = new URL(value, new URL("tests/", ROOT)).href;
  }
  const exportsOf = JSON.parse(
    await Deno.readTextFile(rootPath("deno.json")),
  ) as { exports: Record<string, string> };
  for (const [sub, file] of Object.entries(exportsOf.exports)) {
    imports[`@pylogging/socket-handler${sub.slice(1)}`] =
      new URL(file, ROOT).href;
  }
  imports["@logtape/logtape"] = "npm:@logtape/logtape@^2";
  const importMap = `${dir}/import_map.json`;
  await Deno.writeTextFile(importMap, JSON.stringify({ imports }, null, 1));
  const certs = await makeCerts();
  try {
    await Deno.copyFile(certs.ca.certPath, `${dir}/ca.pem`);
    await Deno.copyFile(certs.server.certPath, `${dir}/server.pem`);
    await Deno.copyFile(certs.server.keyPath, `${dir}/server.key`);
    await Deno.copyFile(certs.client.certPath, `${dir}/client.pem`);
    await Deno.copyFile(certs.client.keyPath, `${dir}/client.key`);
  } finally {
    await certs.cleanup();
  }
  return {
    dir,
    importMap,
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

// ------------------------------------------------------------------ runs

interface RunOptions {
  /** A full pyenv version; undefined for python3. */
  version: string | undefined;
  receiver: string;
  program: string;
  /** Extra receiver environment (LOG_CA). */
  env?: Record<string, string>;
  /** Whether the records must arrive (false: they must not). */
  delivered?: boolean;
}

/**
 * Starts the receiver, runs the program against it, and checks what the
 * receiver printed.
 */
async function runPair(docs: Docs, ws: Workspace, o: RunOptions) {
  const socket = `${ws.dir}/app-log.sock`;
  const { cmd, env } = pythonCommand(o.version);
  const receiver = new Proc(cmd, [o.receiver], ws.dir, {
    ...env,
    ...o.env,
    LOG_PORT: "0",
    LOG_SOCKET: socket,
    PYTHONUNBUFFERED: "1",
  });
  try {
    await receiver.waitFor(
      () => receiver.out.includes("\n"),
      10_000,
      `${o.receiver} to print where it listens`,
    );
    const listening = /^listening on (?:127\.0\.0\.1:(\d+)|(\/\S+))\n/.exec(
      receiver.out,
    );
    ok(listening, `${o.receiver} printed: ${receiver.out}`);
    const port = Number(listening[1] ?? 0);
    if (listening[2] !== undefined) equal(listening[2], socket);

    const source = programSource(docs, o.program, { port, socket });
    const file = `run_${o.program}`;
    await Deno.writeTextFile(`${ws.dir}/${file}`, source);
    const app = new Proc(Deno.execPath(), [
      "run",
      "--no-prompt",
      "--no-check",
      `--import-map=${ws.importMap}`,
      ...programFlags(docs, o.program, { port, socket }),
      file,
    ], ws.dir);
    const status = await app.wait(30_000);
    const expected = expectedLines(docs, o.program).map((line) =>
      line.replace("<dir>/app.ts", "<dir>/run_app.ts")
    );
    equal(status.code, 0, `${o.program} failed:\n${app.err}`);
    if (o.delivered === false) {
      await sleep(300);
      const records = normalize(receiver.err, false)
        .filter((line) => line.startsWith("<time> "));
      deepEqual(records, [], `${o.receiver} printed refused records`);
      return;
    }
    equal(app.err, "", `${o.program} wrote to stderr`);
    await receiver.waitFor(
      () => normalize(receiver.err, true).length >= expected.length,
      10_000,
      `${expected.length} lines from ${o.receiver}`,
    );
    await sleep(100); // nothing more may follow
    deepEqual(normalize(receiver.err, o.program === "app.ts"), expected);
  } finally {
    await receiver.stop();
  }
}

// ------------------------------------------------------------------ tests

Deno.test("README.md and docs/*.md: length, inline code, imports, flags", () => {
  const docs = readDocs();
  const readme = docs.texts.get("README.md")!;
  const lines = readme.split("\n").length - (readme.endsWith("\n") ? 1 : 0);
  ok(lines <= 200, `README.md has ${lines} lines, more than 200`);

  for (const [file, text] of docs.texts) {
    let fenced = false;
    text.split("\n").forEach((line, i) => {
      if (line.startsWith("```")) fenced = !fenced;
      else if (!fenced) {
        const ticks = line.split("`").length - 1;
        ok(ticks % 2 === 0, `${file}:${i + 1}: inline code split: ${line}`);
      }
    });
  }

  for (const block of docs.blocks.filter((b) => b.lang === "ts")) {
    for (
      const m of block.body.matchAll(
        /import\s+(?:type\s+)?([\s\S]*?)\s+from\s+"([^"]+)"/g,
      )
    ) {
      const [, what, from] = m;
      const allowed = PUBLIC[from!];
      ok(allowed, `${block.where}: imports from ${from}, not a package path`);
      if (allowed.includes("*")) continue;
      const names = what!.replace(/[{}]/g, "").split(",")
        .map((n) => n.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0]!)
        .filter((n) => n !== "");
      for (const name of names) {
        ok(
          allowed.includes(name),
          `${block.where}: ${name} is not public in ${from}`,
        );
      }
    }
  }

  deepEqual([...docs.python.keys()].sort(), Object.keys(RECEIVERS).sort());
  deepEqual(
    [...docs.programs.keys()].sort(),
    Object.values(RECEIVERS).flat().sort(),
  );
  for (const program of ["tls_app.ts", "udp_app.ts", "unix_app.ts"]) {
    const flags = docs.flags.get(program);
    ok(flags, `the docs give a \`deno run … ${program}\` command`);
    ok(
      readme.includes("`" + flags + "`"),
      `README.md's transport table lacks \`${flags}\` (${program})`,
    );
  }
  ok(readme.includes("`" + docs.flags.get("app.ts") + "`"));
});

Deno.test("README.md and docs/*.md: the Deno programs type-check", async () => {
  const docs = readDocs();
  const ws = await workspace(docs);
  try {
    const names = [...docs.programs.keys()];
    for (const name of names) {
      await Deno.writeTextFile(`${ws.dir}/${name}`, programSource(docs, name));
    }
    const check = new Proc(Deno.execPath(), [
      "check",
      `--import-map=${ws.importMap}`,
      ...names,
    ], ws.dir);
    const status = await check.wait(120_000);
    equal(status.code, 0, `deno check failed:\n${check.err}`);
  } finally {
    await ws.cleanup();
  }
});

const PYTHONS: { label: string; version: string | undefined }[] = [
  { label: "python3", version: undefined },
  { label: "2.7", version: "2.7.18" },
  { label: "3.13", version: "3.13.0" },
];

for (const { label, version } of PYTHONS) {
  Deno.test({
    name: `README.md and docs/*.md: the Python receivers on ${label}`,
    ignore: (version !== undefined && !pythonAvailable(version)) ||
      !opensslAvailable(),
    fn: async (t) => {
      const docs = readDocs();
      const ws = await workspace(docs);
      try {
        for (const [receiver, programs] of Object.entries(RECEIVERS)) {
          for (const program of programs) {
            const env: Record<string, string> = program === "mtls_app.ts"
              ? { LOG_CA: "ca.pem" }
              : {};
            await t.step(
              `${receiver} ← ${program}`,
              () => runPair(docs, ws, { version, receiver, program, env }),
            );
          }
        }
        if (version === undefined) {
          await t.step(
            "tls_receiver.py with LOG_CA refuses tls_app.ts (no client certificate)",
            () =>
              runPair(docs, ws, {
                version,
                receiver: "tls_receiver.py",
                program: "tls_app.ts",
                env: { LOG_CA: "ca.pem" },
                delivered: false,
              }),
          );
        }
      } finally {
        await ws.cleanup();
      }
    },
  });
}
