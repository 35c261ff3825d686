// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { equal } from "node:assert/strict";
/**
 * Test helper: runs a Python program in ONE process over a batch of stdin
 * lines and collects its stdout lines.
 *
 * ```ts ignore
 * import { pythonAvailable, runPython } from "./_python.ts";
 *
 * // python3 (CPython 3.11 here), must exist:
 * const out = await runPython(
 *   "import sys\nfor line in sys.stdin: print(line.strip().upper(), flush=True)",
 *   ["a", "b"],
 * ); // ["A", "B"]
 *
 * // A pyenv version, skipped when absent:
 * const has27 = pythonAvailable("2.7.18");
 * Deno.test({ name: "…", ignore: !has27, fn: async () => {
 *   await runPython(code, lines, { version: "2.7.18" });
 * } });
 * ```
 *
 * `version` is a full pyenv version ("2.7.18", "3.6.15", "3.8.18", "3.12.1",
 * "3.13.0"): the command is `python<major>.<minor>` with
 * `PYENV_VERSION=<version>`. Without it the command is `python3`.
 *
 * @module
 */

/** How to start a Python version. */
export interface PythonCommand {
  /** The executable, e.g. `python3` or `python2.7`. */
  cmd: string;
  /** Extra environment (PYENV_VERSION for pyenv versions). */
  env: Record<string, string>;
}

/**
 * The command for a Python version.
 *
 * @param version A full pyenv version such as "2.7.18", or undefined for
 * `python3`.
 * @returns The executable and environment.
 */
export function pythonCommand(version?: string): PythonCommand {
  if (version === undefined) return { cmd: "python3", env: {} };
  const [major, minor] = version.split(".");
  return {
    cmd: `python${major}.${minor}`,
    env: { PYENV_VERSION: version },
  };
}

const availability = new Map<string, boolean>();

/**
 * Whether a Python version can be started (cached; synchronous so it can be
 * used in `Deno.test({ ignore })`).
 *
 * @param version A full pyenv version, or undefined for `python3`.
 * @returns True when `<python> -c "import sys"` exits with status 0.
 */
export function pythonAvailable(version?: string): boolean {
  const key = version ?? "";
  const cached = availability.get(key);
  if (cached !== undefined) return cached;
  const { cmd, env } = pythonCommand(version);
  let ok = false;
  try {
    const out = new Deno.Command(cmd, {
      args: ["-c", "import sys; sys.stdout.write(sys.version)"],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    ok = out.success &&
      (version === undefined ||
        new TextDecoder().decode(out.stdout).startsWith(version));
  } catch {
    ok = false;
  }
  availability.set(key, ok);
  return ok;
}

/** Options for {@linkcode runPython}. */
export interface RunPythonOptions {
  /** A full pyenv version; default `python3`. */
  version?: string;
}

/**
 * Runs `code` with `python -c` in one process, writes `lines` (each followed
 * by "\n") to its stdin, closes stdin, and returns its stdout split into lines
 * (without the trailing empty line). stdin is written while stdout is read, so
 * large batches do not deadlock.
 *
 * @param code The Python program.
 * @param lines The stdin lines.
 * @param options The Python version.
 * @returns The stdout lines.
 * @throws {Error} If Python exits with a non-zero status (stderr included).
 */
export async function runPython(
  code: string,
  lines: readonly string[] = [],
  options: RunPythonOptions = {},
): Promise<string[]> {
  const { cmd, env } = pythonCommand(options.version);
  const child = new Deno.Command(cmd, {
    args: ["-c", code],
    env: { PYTHONIOENCODING: "utf-8", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  const writer = child.stdin.getWriter();
  let writeError: unknown = undefined;
  try {
    await writer.write(
      new TextEncoder().encode(lines.map((l) => l + "\n").join("")),
    );
  } catch (error) {
    writeError = error; // Python exited early; its status tells why.
  }
  await writer.close().catch(() => {});
  const result = await output;
  const stdout = new TextDecoder().decode(result.stdout);
  if (!result.success) {
    throw new Error(
      `${cmd} exited with status ${result.code}: ${
        new TextDecoder().decode(result.stderr)
      }`,
    );
  }
  if (writeError !== undefined) throw writeError;
  const out = stdout.split("\n");
  if (out[out.length - 1] === "") out.pop();
  return out;
}

/**
 * Runs a Python script (e.g. a sender) that prints one line per result and
 * "DONE" last: asserts that it exits with status 0, writes nothing to
 * stderr and ends with "DONE", and returns the lines before "DONE".
 *
 * @param python How to start Python (see {@linkcode pythonCommand}).
 * @param script The script's path.
 * @param args Its arguments.
 * @param env Extra environment.
 * @returns The stdout lines before "DONE".
 */
export async function runScript(
  python: PythonCommand,
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string[]> {
  const out = await new Deno.Command(python.cmd, {
    args: [script, ...args],
    env: { ...python.env, ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, stderr);
  equal(stderr, "");
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  equal(lines.at(-1), "DONE");
  return lines.slice(0, -1);
}

/**
 * A long-lived Python process answering one stdout line per stdin line, for
 * property tests that need a request/response per generated value (so that
 * fast-check can shrink) without paying Python's start-up each time.
 *
 * The program must read with `sys.stdin.readline()` (iterating `sys.stdin`
 * reads ahead on Python 2) and flush after each answer. Always `await
 * close()` (e.g. in `finally`), or the test leaks the child process.
 *
 * ```ts ignore
 * await using py = PythonProcess.start(
 *   "import sys\nfor l in iter(sys.stdin.readline, ''):\n" +
 *     "  sys.stdout.write(l.upper()); sys.stdout.flush()",
 * );
 * await py.request("abc"); // "ABC"
 * ```
 */
export class PythonProcess implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #stderr: Promise<string>;
  #decoder = new TextDecoder();
  #encoder = new TextEncoder();
  #buffer = "";
  #closed = false;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reader = child.stdout.getReader();
    this.#stderr = new Response(child.stderr).text();
  }

  /**
   * Starts `python -c code`.
   *
   * @param code The Python program.
   * @param options The Python version.
   * @returns The running process.
   */
  static start(code: string, options: RunPythonOptions = {}): PythonProcess {
    const { cmd, env } = pythonCommand(options.version);
    const child = new Deno.Command(cmd, {
      args: ["-c", code],
      env: { PYTHONIOENCODING: "utf-8", ...env },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new PythonProcess(child);
  }

  /**
   * Sends one line and waits for one line back.
   *
   * @param line The request, without "\n".
   * @returns The answer, without "\n".
   * @throws {Error} If Python exits before answering (stderr included).
   */
  async request(line: string): Promise<string> {
    await this.#writer.write(this.#encoder.encode(line + "\n"));
    for (;;) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const answer = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        return answer;
      }
      const { done, value } = await this.#reader.read();
      if (done) {
        await this.close().catch(() => {});
        throw new Error(
          `Python exited without answering: ${await this.#stderr}`,
        );
      }
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  /**
   * Closes stdin and waits for the process to exit.
   *
   * @throws {Error} If it exits with a non-zero status.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writer.close().catch(() => {});
    for (;;) {
      const { done } = await this.#reader.read().catch(() => ({ done: true }));
      if (done) break;
    }
    const status = await this.#child.status;
    const stderr = await this.#stderr;
    if (!status.success) {
      throw new Error(`Python exited with status ${status.code}: ${stderr}`);
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
