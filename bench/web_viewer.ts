// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The web viewer under load, the way it is used: `cli.ts --web` receives
// records and a real headless Chromium (tests/_browser.ts) shows them.
//
//   deno task bench:web [--n 100000] [--rate 5000] [--seconds 10]
//     [--receive 200000]
//
// 1. N records logged at once through @std/log and this package's
//    SocketHandler: the time until the page shows them all (or has been
//    told how many its queue dropped), then the time of a level filter, a
//    text search and a regex search over them (until the next frame).
// 2. CPython 3.11's SocketHandler at RATE records/s for SECONDS s, with a
//    second browser that never reads (a raw /events request): what the page
//    received and was told was discarded, its frames per second and longest
//    gap between two frames, and the CLI's own count and summary.
// 3. The CLI receiving RECEIVE records (default 200,000) from this
//    package's handler: without `--web`; with it and no browser; with a
//    page reading; with a page reading and a browser that never reads.
//    3 alternating rounds: records/s.
import * as log from "@std/log";
import { SocketHandler } from "../mod.ts";
import { openPage, type Page } from "../tests/_browser.ts";
import { startCli } from "../tests/_cli_run.ts";
import { search, stats } from "../tests/_viewer_page.ts";
import { intArg, parseArgs } from "./_common.ts";

declare function requestAnimationFrame(cb: (now: number) => void): number;
declare const document: { getElementById(id: string): unknown };

const args = parseArgs(Deno.args);
const N = intArg(args, "n", 100_000);
const RATE = intArg(args, "rate", 5_000);
const SECONDS = intArg(args, "seconds", 10);
const SENDER = new URL("../tests/py/forward_sender.py", import.meta.url)
  .pathname;

/** Waits until the page has every record of `n` (shown or told discarded). */
async function settle(page: Page, n: number, timeoutMs = 60_000) {
  await page.waitForFunction(
    (n: number) => {
      // deno-lint-ignore no-explicit-any
      const s = (globalThis as any).pyloggingViewer.stats();
      return s.received + s.serverDropped >= n;
    },
    { timeout: timeoutMs, polling: 10 },
    n,
  );
}

/** Milliseconds until the next frame after `action`. */
async function timed(page: Page, action: () => Promise<unknown>) {
  const t0 = performance.now();
  await action();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  return performance.now() - t0;
}

const cli = await startCli([
  "--port",
  "0",
  "--format",
  "%(message)s",
  "--web",
  "127.0.0.1:0",
]);
const session = await openPage(cli.webUrl!, { width: 1280, height: 760 });
const { page } = session;
const fmt = (n: number) => n.toLocaleString("en");
try {
  await page.waitForFunction(() =>
    // deno-lint-ignore no-explicit-any
    (globalThis as any).pyloggingViewer.stats().connection === 1
  );

  // ---------------------------------------------------------------- 1
  const handler = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: cli.port,
    maxQueueRecords: N + 10,
    maxQueueBytes: 1 << 30,
  });
  log.setup({
    handlers: { h: handler },
    loggers: {
      "svc0": { level: "DEBUG", handlers: ["h"] },
      "svc1.db": { level: "DEBUG", handlers: ["h"] },
      "svc2.web.api": { level: "DEBUG", handlers: ["h"] },
    },
  });
  const loggers = ["svc0", "svc1.db", "svc2.web.api"].map((n) =>
    log.getLogger(n)
  );
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const l = loggers[i % 3]!;
    const text = `record ${i} served${i % 97 === 0 ? " needle" : ""}`;
    if (i % 5 === 0) l.debug(text, { i });
    else if (i % 5 === 4) l.warn(text, { i });
    else l.info(text, { i });
  }
  const loggedMs = performance.now() - t0;
  await handler.flush();
  const sentMs = performance.now() - t0;
  await settle(page, N);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  const shownMs = performance.now() - t0;
  const s1 = await stats(page);
  const levelMs = await timed(
    page,
    () => page.click('#levels input[data-level="10"]'),
  );
  const levelPass = (await stats(page)).lastFilterMs as number;
  const textMs = await timed(page, () => search(page, "needle", false));
  const textPass = (await stats(page)).lastFilterMs as number;
  const textShown = (await stats(page)).shown as number;
  const regexMs = await timed(
    page,
    () => search(page, "^record \\d+7 served", true),
  );
  const regexPass = (await stats(page)).lastFilterMs as number;
  await search(page, "", false);
  await page.click('#levels input[data-level="10"]');
  log.setup({ handlers: {}, loggers: {} });
  await handler.close();
  console.log(
    `1. ${fmt(N)} records logged in ${loggedMs.toFixed(0)} ms, flushed to ` +
      `the receiver in ${sentMs.toFixed(0)} ms; the page showed ${
        fmt(s1.shown as number)
      } ` +
      `(told ${fmt(s1.serverDropped as number)} discarded) ` +
      `${
        shownMs.toFixed(0)
      } ms after the first; ${s1.rowsInDom} rows in the DOM`,
  );
  console.log(
    `   level filter ${levelMs.toFixed(0)} ms (filter pass ` +
      `${levelPass.toFixed(1)} ms); text search ${textMs.toFixed(0)} ms ` +
      `(pass ${textPass.toFixed(1)} ms, ${fmt(textShown)} shown); regex ` +
      `${regexMs.toFixed(0)} ms (pass ${regexPass.toFixed(1)} ms)`,
  );

  // ---------------------------------------------------------------- 2
  await page.click("#clear");
  const port = Number(new URL(cli.webUrl!).port);
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port });
  await stalled.write(
    new TextEncoder().encode(
      `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    ),
  );
  await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const w = globalThis as any;
    w.__hb = { frames: 0, maxGap: 0, last: performance.now(), on: true };
    const tick = (now: number) => {
      const hb = w.__hb;
      hb.maxGap = Math.max(hb.maxGap, now - hb.last);
      hb.last = now;
      hb.frames++;
      if (hb.on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const M = RATE * SECONDS;
  const t1 = performance.now();
  const py = await new Deno.Command("python3", {
    args: [SENDER, "127.0.0.1", `${cli.port}`, "count", `${M}`, `${RATE}`],
    stdout: "null",
  }).output();
  if (!py.success) throw new Error("the CPython sender failed");
  const sendMs = performance.now() - t1;
  await settle(page, M);
  const hb = await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const hb = (globalThis as any).__hb;
    hb.on = false;
    return hb as { frames: number; maxGap: number };
  });
  const s2 = await stats(page);
  const probe = await timed(page, () => Promise.resolve());
  console.log(
    `2. CPython at ${fmt(RATE)}/s for ${(sendMs / 1000).toFixed(1)} s ` +
      `(${fmt(M)} records), beside a browser that never reads: the page ` +
      `received ${fmt(s2.received as number)}, told ` +
      `${fmt(s2.serverDropped as number)} discarded; ` +
      `${(hb.frames / (sendMs / 1000)).toFixed(0)} frames/s, longest gap ` +
      `${hb.maxGap.toFixed(0)} ms; a frame after the load in ` +
      `${probe.toFixed(0)} ms`,
  );
  stalled.close();
} finally {
  await session.close();
  cli.kill("SIGINT");
}
const { stdout, stderr } = await cli.done();
const printed = stdout === "" ? 0 : stdout.trimEnd().split("\n").length;
console.log(
  `   the CLI printed ${fmt(printed)} records (of ${fmt(N + RATE * SECONDS)})`,
);
for (const line of stderr.trim().split("\n")) console.log(`   cli: ${line}`);

// ------------------------------------------------------------------ 3

/** Viewer set-ups of section 3. */
type Mode = "off" | "idle" | "page" | "page+stalled";

/**
 * Seconds for the CLI to receive `n` records from this package's handler
 * (it exits at `--count n`), with or without a viewer that has a page
 * reading and a browser that never reads.
 */
async function receiveRun(
  n: number,
  mode: Mode,
): Promise<number> {
  const web = mode !== "off";
  const run = await startCli([
    "--port",
    "0",
    "--format",
    "%(message)s",
    "--count",
    `${n}`,
    ...(web ? ["--web", "127.0.0.1:0"] : []),
  ]);
  const browser = mode === "page" || mode === "page+stalled"
    ? await openPage(run.webUrl!)
    : undefined;
  let stalled: Deno.Conn | undefined;
  if (mode === "page+stalled") {
    const port = Number(new URL(run.webUrl!).port);
    stalled = await Deno.connect({ hostname: "127.0.0.1", port });
    await stalled.write(
      new TextEncoder().encode(
        `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
      ),
    );
  }
  const h = new SocketHandler("INFO", {
    hostname: "127.0.0.1",
    port: run.port,
    maxQueueRecords: n,
    maxQueueBytes: 1 << 30,
    exitSignals: false,
  });
  log.setup({
    handlers: { h },
    loggers: { "app": { level: "INFO", handlers: ["h"] } },
  });
  const logger = log.getLogger("app");
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    logger.info(`request ${i} served`, { i });
    if (i % 2000 === 1999) await new Promise((r) => setTimeout(r, 0));
  }
  const out = await run.done();
  const seconds = (performance.now() - t0) / 1000;
  log.setup({ handlers: {}, loggers: {} });
  await h.close(100);
  stalled?.close();
  await browser?.close();
  const printed = out.stdout.trimEnd().split("\n").length;
  if (printed !== n) throw new Error(`the CLI printed ${printed} of ${n}`);
  return seconds;
}

const R = intArg(args, "receive", 200_000);
const MODES = ["off", "idle", "page", "page+stalled"] as const;
const rates = new Map<string, number[]>(MODES.map((m) => [m, []]));
for (let round = 0; round < 3; round++) {
  const order = round % 2 === 0 ? MODES : [...MODES].reverse();
  for (const mode of order) {
    rates.get(mode)!.push(R / await receiveRun(R, mode));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
const k = (x: number) => `${(x / 1000).toFixed(1)}k`;
const line = (m: string) =>
  `${k(median(rates.get(m)!))}/s (${rates.get(m)!.map(k).join(", ")})`;
console.log(
  `3. the CLI receiving ${fmt(R)} records from SocketHandler, records/s ` +
    `(median of 3 alternating rounds): without --web ${line("off")}; ` +
    `--web, no browser ${line("idle")}; --web, a page reading ` +
    `${line("page")}; --web, a page reading and a browser that never ` +
    `reads ${line("page+stalled")}`,
);
