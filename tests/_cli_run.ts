// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: runs cli.ts in a subprocess, waits for its `listening on`
 * line (and with `--web` its `web viewer on` line), and returns the port
 * (and the viewer's URL) and a way to collect its output.
 *
 * @module
 */
import { readFirstLine } from "./_first_line.ts";

/** A running CLI receiver. */
export interface CliRun {
  /** The `listening on ...` line. */
  listening: string;
  /** The bound port. */
  port: number;
  /** With `--web`: the viewer's URL, from its `web viewer on` line. */
  webUrl?: string;
  /** Waits for exit; returns stdout, the rest of stderr, and the code. */
  done(): Promise<{ stdout: string; stderr: string; code: number }>;
  /**
   * Sends a signal to the CLI.
   *
   * @param signal The signal.
   */
  kill(signal: Deno.Signal): void;
}

/**
 * Starts `deno run --allow-net --allow-read cli.ts ...args`.
 *
 * @param args CLI arguments.
 * @returns The running CLI.
 */
export async function startCli(args: string[]): Promise<CliRun> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", cli, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const stderr = await readFirstLine(child.stderr);
  const listening = stderr.first;
  const m = /:(\d+)$/.exec(listening);
  const web = args.includes("--web") && m
    ? /^web viewer on (\S+)$/.exec(await stderr.next())
    : null;
  return {
    listening,
    port: m ? Number(m[1]) : 0,
    ...(web ? { webUrl: web[1] } : {}),
    kill: (signal) => child.kill(signal),
    async done() {
      const rest = await stderr.rest();
      const status = await child.status;
      return { stdout: await stdout, stderr: rest, code: status.code };
    },
  };
}

/**
 * Runs `deno run --allow-net --allow-read cli.ts ...args` to its end (for
 * arguments that make it exit at once).
 *
 * @param args CLI arguments.
 * @returns Its exit code, stdout and stderr.
 */
export async function runCli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", cli, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}
