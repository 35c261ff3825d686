// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Test helper: runs tests/py/receiver.py under a given CPython version.

/** A CPython interpreter of the test image. */
export interface Python {
  /** Label, e.g. "3.13". */
  label: string;
  /** Executable name. */
  cmd: string;
  /** Environment (PYENV_VERSION for pyenv shims). */
  env: Record<string, string>;
}

const CANDIDATES: [string, string, string | undefined][] = [
  ["3 (default)", "python3", undefined],
  ["2.7", "python2.7", "2.7.18"],
  ["3.6", "python3.6", "3.6.15"],
  ["3.8", "python3.8", "3.8.18"],
  ["3.12", "python3.12", "3.12.1"],
  ["3.13", "python3.13", "3.13.0"],
];

function probe(cmd: string, env: Record<string, string>): boolean {
  try {
    const out = new Deno.Command(cmd, {
      args: ["-c", "import sys; print(sys.version_info[0])"],
      env,
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success;
  } catch {
    return false;
  }
}

/** python3 (must exist) plus every other listed version that is installed. */
export function pythons(): { available: Python[]; missing: string[] } {
  const available: Python[] = [];
  const missing: string[] = [];
  for (const [label, cmd, version] of CANDIDATES) {
    const env: Record<string, string> = version
      ? { PYENV_VERSION: version }
      : {};
    if (probe(cmd, env)) available.push({ label, cmd, env });
    else missing.push(label);
  }
  if (!available.some((p) => p.cmd === "python3")) {
    throw new Error(
      "Cannot run the interop tests: python3 is not installed (CPython is the receiver)",
    );
  }
  return { available, missing };
}

/** One record as the Python receiver saw it. */
export interface Received {
  line: string;
  types: Record<string, string>;
  exc_text: string | null;
  extras: Record<string, unknown>;
  name: string;
  msg: string;
  levelno: number;
}

/** A running receiver.py. */
export interface PyReceiver {
  port: number;
  /** Waits for the process to exit; returns records and stderr. */
  done(): Promise<{ records: Received[]; stderr: string; code: number }>;
  kill(): void;
}

/**
 * Starts receiver.py expecting `count` records, on TCP (port returned) or on
 * a Unix socket at `unixPath`.
 */
export async function startReceiver(
  py: Python,
  count: number,
  unixPath?: string,
): Promise<PyReceiver> {
  const script = new URL("./py/receiver.py", import.meta.url).pathname;
  const args = [script, String(count)];
  if (unixPath) args.push(unixPath);
  const child = new Deno.Command(py.cmd, {
    args,
    env: py.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  const nextLine = async (): Promise<string | undefined> => {
    while (!buffer.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) return undefined;
      buffer += value;
    }
    const i = buffer.indexOf("\n");
    const line = buffer.slice(0, i);
    buffer = buffer.slice(i + 1);
    return line;
  };
  const first = await nextLine();
  let port = 0;
  if (first?.startsWith("PORT ")) port = Number(first.slice(5));
  else if (first !== "READY") {
    child.kill();
    await child.status;
    throw new Error(
      `receiver.py did not start: ${first} ${await stderrText}`,
    );
  }
  return {
    port,
    async done() {
      const records: Received[] = [];
      for (;;) {
        const line = await nextLine();
        if (line === undefined) break;
        if (line.trim()) records.push(JSON.parse(line));
      }
      const status = await child.status;
      return { records, stderr: await stderrText, code: status.code };
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
