// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: starts a Python script that prints one first line (e.g.
 * `PORT 1234`), then collects the rest of its stdout as lines.
 *
 * @module
 */
import { readFirstLine } from "./_first_line.ts";
import { pythonCommand } from "./_python.ts";

/** A running Python script. */
export interface PyLines {
  /** The first stdout line. */
  first: string;
  /** Waits for exit; returns the remaining stdout lines and stderr. */
  done(): Promise<{ lines: string[]; stderr: string; code: number }>;
  /** Kills the process (then call `done()`). */
  kill(): void;
}

/**
 * Starts `python <script> ...args` and waits for its first stdout line.
 *
 * @param script Path of the script.
 * @param args Its arguments.
 * @param version A full pyenv version, or undefined for python3.
 * @returns The running script.
 */
export async function startPy(
  script: string,
  args: string[],
  version?: string,
): Promise<PyLines> {
  const { cmd, env } = pythonCommand(version);
  const child = new Deno.Command(cmd, {
    args: [script, ...args],
    env: { PYTHONIOENCODING: "utf-8", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = await readFirstLine(child.stdout);
  return {
    first: stdout.first,
    async done() {
      const rest = await stdout.rest();
      const status = await child.status;
      const lines = rest.split("\n");
      if (lines[lines.length - 1] === "") lines.pop();
      return { lines, stderr: await stderr, code: status.code };
    },
    kill() {
      try {
        child.kill();
      } catch {
        // already exited
      }
    },
  };
}
