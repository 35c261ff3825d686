// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The web viewer end to end: `cli.ts --web` receives records from CPython
// 3.11's SocketHandler and from this package's handlers, and a real headless
// Chromium shows them. Checked in the page: rows live with their fields,
// each filter, the detail pane, pause/resume, export, the receiver's gap
// and the handler's drop markers, hostile records (a canary any injected
// script would set, CSP violations, the layout), and a stalled browser
// beside a full-speed one.
//
// The screenshots (main view, detail pane) go to a temporary directory, or
// to docs/ with UPDATE_SCREENSHOTS=1.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import * as log from "@std/log";
import { configure, dispose, getLogger } from "npm:@logtape/logtape@^2";
import { getSocketSink } from "../logtape.ts";
import { SocketHandler } from "../mod.ts";
import { startWebViewer } from "../web/server.ts";
import { openPage, type Page } from "./_browser.ts";
import { startCli } from "./_cli_run.ts";
import { stampedFrame } from "./_stamped.ts";
import {
  assertUnharmed,
  type Dom,
  frames,
  layout,
  reset,
  rows,
  search,
  stats,
  type Viewer,
  waitReceived,
  waitShown,
  watchPage,
} from "./_viewer_page.ts";

declare const document: Dom;
declare const pyloggingViewer: Viewer;
declare function requestAnimationFrame(cb: (now: number) => void): number;

const PY = new URL("./py/", import.meta.url).pathname;

/** Runs a sender script; returns its stdout lines. */
async function python(script: string, ...args: string[]): Promise<string[]> {
  const out = await new Deno.Command("python3", {
    args: [PY + script, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, `${script} failed: ${err}`);
  return new TextDecoder().decode(out.stdout).trimEnd().split("\n");
}

/** The messages of the rows shown, top to bottom. */
async function messages(page: Page): Promise<string[]> {
  return (await rows(page)).map((r) => r[4]!);
}

/** The messages of the rows shown, but the markers (which stay in view). */
async function unmarked(page: Page): Promise<string[]> {
  return (await messages(page)).filter((m) => !m.startsWith("⚠"));
}

/** Where screenshots go: docs/ with UPDATE_SCREENSHOTS=1, else a temp dir. */
const UPDATE_SCREENSHOTS = Deno.env.get("UPDATE_SCREENSHOTS") === "1";

interface PyRecord {
  name: string;
  levelno: number;
  levelname: string;
  message: string;
  exc_text: string | null;
  stack_info: string | null;
  process: number;
  extras: Record<string, unknown>;
}

Deno.test({
  name:
    "web viewer: cli.ts --web with CPython and Deno senders in a real Chromium",
  async fn(t) {
    const cli = await startCli([
      "--port",
      "0",
      "--format",
      "json",
      "--web",
      "127.0.0.1:0",
      "--gap-timeout",
      "200",
    ]);
    ok(cli.webUrl !== undefined, "the CLI prints the viewer's URL");
    match(cli.webUrl!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const shots = UPDATE_SCREENSHOTS
      ? new URL("../docs/", import.meta.url).pathname
      : await Deno.makeTempDir({ prefix: "viewer-shots-" }) + "/";
    const s = await openPage(cli.webUrl!, { width: 1280, height: 760 });
    const { page } = s;
    /** Every record the CLI received, in order, by message. */
    const sent: string[] = [];
    try {
      await watchPage(page);

      const py =
        (await python("viewer_sender.py", "127.0.0.1", `${cli.port}`, "base"))
          .map((l) => JSON.parse(l) as PyRecord);

      await t.step(
        "CPython records appear live with their fields",
        async () => {
          await waitShown(page, py.length);
          sent.push(...py.map((r) => r.message));
          const got = await rows(page);
          equal(got.length, py.length);
          for (const [i, r] of py.entries()) {
            const row = got[i]!;
            match(row[0]!, /^\d\d:\d\d:\d\d\.\d\d\d$/);
            deepEqual(row.slice(1), [
              `127.0.0.1 pid ${r.process}`,
              r.name,
              r.levelname,
              r.message,
            ]);
          }
          const classes = await page.$$eval(
            "#viewport .row:not(.hidden)",
            (els) => els.map((e) => e.className),
          );
          ok(classes.some((c: string) => c.includes("lvl-critical")));
          ok(classes.some((c: string) => c.includes("lvl-error")));
        },
      );

      await t.step(
        "the project's handlers: @std/log records, a drop notice, another sender",
        async () => {
          const app = new SocketHandler("DEBUG", {
            hostname: "127.0.0.1",
            port: cli.port,
            sequence: true,
          });
          // five records fit its queue: the 15 oldest are dropped, counted
          // and announced by a notice record before the other five
          const small = new SocketHandler("DEBUG", {
            hostname: "127.0.0.1",
            port: cli.port,
            maxQueueRecords: 5,
          });
          log.setup({
            handlers: { app, small },
            loggers: {
              "deno.app": { level: "DEBUG", handlers: ["app"] },
              "deno.burst": { level: "DEBUG", handlers: ["small"] },
            },
          });
          const logger = log.getLogger("deno.app");
          logger.info("order %d placed", 7, { order_id: 7 });
          logger.error("save failed", new Error("boom"));
          await app.close();
          const n0 = py.length;
          await waitShown(page, n0 + 2);
          const burst = log.getLogger("deno.burst");
          for (let i = 0; i < 20; i++) burst.info(`burst ${i}`);
          await small.close();
          log.setup({ handlers: {}, loggers: {} });
          await waitShown(page, n0 + 2 + 1 + 5);
          const got = await rows(page);
          const mine = got.slice(n0);
          deepEqual(mine.slice(0, 2).map((r) => r.slice(2)), [
            ["deno.app", "INFO", "order 7 placed"],
            ["deno.app", "ERROR", "save failed"],
          ]);

          match(mine[0]![1]!, /^(?:[^:]+:)?\d+:[0-9a-f]+$/, "the sender stamp");
          equal(mine[2]![4], "⚠ the sender dropped 15 record(s)");
          deepEqual(
            mine.slice(3).map((r) => r[4]),
            [15, 16, 17, 18, 19].map((i) => `burst ${i}`),
          );
          // a marker's text is the page's, not the record's message
          sent.push(...mine.map((r) => r[4]!.startsWith("⚠") ? "" : r[4]!));
          const senders = await page.$$eval(
            "#sender option",
            (els) => els.map((e) => e.textContent),
          );
          ok(senders.includes(mine[0]![1]), String(senders));
          ok(senders.includes(`127.0.0.1 pid ${py[0]!.process}`));
        },
      );

      await t.step(
        "the LogTape sink's records, with their properties",
        async () => {
          const sink = getSocketSink({ hostname: "127.0.0.1", port: cli.port });
          await configure({
            reset: true,
            sinks: { py: sink },
            loggers: [
              { category: ["tape"], sinks: ["py"], lowestLevel: "debug" },
              { category: ["logtape", "meta"], lowestLevel: "error" },
            ],
          });
          try {
            const logger = getLogger(["tape", "api"]);
            logger.info("User {user} logged in", { user: "al", request_id: 7 });
            logger.warn("quota at {pct}%", { pct: 93 });
          } finally {
            await dispose();
          }
          const n = (await stats(page)).shown as number;
          await waitShown(page, n + 2);
          const got = (await rows(page)).slice(-2);
          deepEqual(got.map((r) => r.slice(2)), [
            ["tape.api", "INFO", "User al logged in"],
            ["tape.api", "WARNING", "quota at 93%"],
          ]);
          const text: string = await page.evaluate(() =>
            pyloggingViewer.exportBlob().text()
          );
          const last = text.trimEnd().split("\n").slice(-2).map((l) =>
            JSON.parse(l)
          );
          equal(last[0].user, "al");
          equal(last[0].request_id, 7);
          sent.push(...got.map((r) => r[4]!));
        },
      );

      await t.step("a gap the receiver announces is a marker", async () => {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: cli.port,
        });
        for (const seq of [1, 2, 5]) {
          await conn.write(
            stampedFrame(
              {
                name: "gappy",
                msg: `seq ${seq}`,
                levelno: 20,
                levelname: "INFO",
              },
              seq,
              "gap-host:99:abc",
            ),
          );
        }
        conn.close();
        const n = (await stats(page)).shown as number;
        await waitShown(page, n + 4, 10_000);
        const got = await messages(page);
        deepEqual(got.slice(n), [
          "seq 1",
          "seq 2",
          "seq 5",
          "⚠ gap: 2 record(s) missing (sequence 3–4)",
        ]);
        sent.push("seq 1", "seq 2", "seq 5", "");
      });

      await t.step(
        "level, logger subtree, text and regex filters",
        async () => {
          await reset(page);
          const all = await messages(page);
          const pyMsg = (pred: (r: PyRecord) => boolean) =>
            py.filter(pred).map((r) => r.message);
          const markers = all.filter((m) => m.startsWith("⚠"));
          await page.click('#levels input[data-level="10"]');
          await page.click('#levels input[data-level="20"]');
          deepEqual(
            await unmarked(page),
            pyMsg((r) => r.levelno >= 30).concat([
              "save failed",
              "quota at 93%",
            ]),
          );
          deepEqual(
            (await messages(page)).filter((m) => m.startsWith("⚠")),
            markers,
            "markers stay whatever the level filter",
          );
          await reset(page);
          await page.click('li[data-logger="shop.db"] > label > input');
          deepEqual(
            (await messages(page)).slice(0, py.length - 2),
            pyMsg((r) => r.name !== "shop.db" && r.name !== "shop.db.pool"),
          );
          await reset(page);
          await page.click('li[data-logger="shop"] > label > input');
          deepEqual(
            (await messages(page)).slice(0, py.length - 5),
            pyMsg((r) => !r.name.startsWith("shop")),
          );
          await reset(page);
          await search(page, "NEEDLE", false);
          deepEqual(
            await unmarked(page),
            pyMsg((r) =>
              /needle/i.test(r.message) || r.extras.user === "needle-man"
            ),
          );
          await search(page, "req-123", false);
          deepEqual(await unmarked(page), ["request failed"]);
          await search(page, "^user \\d+ (failed|crashed)$", true);
          deepEqual(await unmarked(page), ["user 17 failed", "user 9 crashed"]);
          await reset(page);
          deepEqual(await messages(page), all);
          await frames(page);
          await s.screenshot(shots + "web-viewer.png");
        },
      );

      await t.step("detail pane: extras, traceback and stack", async () => {
        await reset(page);
        const web = py.findIndex((r) => r.message === "request failed");
        await page.evaluate((i: number) => pyloggingViewer.select(i), web);
        const detail = await page.$eval("#detail-body", (e: Dom) => ({
          text: e.textContent ?? "",
          extras: [...e.querySelectorAll("table.extras tr")].map((tr: Dom) =>
            [...tr.children].map((c: Dom) => c.textContent)
          ),
          exc: e.querySelector("pre.exc")?.textContent,
        }));
        deepEqual(detail.extras, [["request_id", "req-123"], [
          "status",
          "500",
        ]]);
        equal(detail.exc, py[web]!.exc_text);
        match(detail.exc!, /KeyError: 'cart'$/);
        for (const f of ["funcName", "<module>", "lineno", "processName"]) {
          ok(detail.text.includes(f), f);
        }
        await s.screenshot(shots + "web-viewer-detail.png");
        const worker = py.findIndex((r) => r.name === "worker");
        await page.evaluate((i: number) => pyloggingViewer.select(i), worker);
        const stack = await page.$eval(
          "#detail-body pre.stack",
          (e: Dom) => e.textContent,
        );
        equal(stack, py[worker]!.stack_info);
        await page.click("#detail-close");
      });

      await t.step("pause and resume", async () => {
        await reset(page);
        const n = (await stats(page)).shown as number;
        await page.click("#pause");
        await python(
          "forward_sender.py",
          "127.0.0.1",
          `${cli.port}`,
          "count",
          "50",
          "100000",
        );
        await page.waitForFunction(() => pyloggingViewer.stats().held === 50);
        equal((await stats(page)).shown, n);
        await page.click("#pause");
        await waitShown(page, n + 50);
        const text: string = await page.evaluate(() =>
          pyloggingViewer.exportBlob().text()
        );
        const got = text.trimEnd().split("\n").map((l) => JSON.parse(l));
        deepEqual(
          got.slice(-50).map((r) => r.message),
          Array.from({ length: 50 }, (_, i) => `r${i}`),
        );
        sent.push(...got.slice(-50).map((r) => r.message));
      });

      await t.step("export of the filtered view as NDJSON", async () => {
        await reset(page);
        for (const l of [10, 20, 30, 50]) {
          await page.click(`#levels input[data-level="${l}"]`);
        }
        const text: string = await page.evaluate(() =>
          pyloggingViewer.exportBlob().text()
        );
        const all = text.trimEnd().split("\n").map((l) => JSON.parse(l));
        equal(all.length, 5, "three ERROR records and two markers");
        const lines = all.filter((l) => l.levelname === "ERROR");
        deepEqual(
          lines.map((l) => [l.name, l.levelname, l.message]),
          [
            ["shop.dbx", "ERROR", "user 17 failed"],
            ["shop.web", "ERROR", "request failed"],
            ["deno.app", "ERROR", "save failed"],
          ],
        );
        equal(lines[1].request_id, "req-123");
        equal(
          lines[1].exc_text,
          py.find((r) => r.name === "shop.web")!.exc_text,
        );
        await page.click("#export"); // the download path runs without an error
        await reset(page);
      });

      await t.step(
        "hostile CPython records run nothing and keep the layout",
        async () => {
          await reset(page);
          await page.evaluate(() => pyloggingViewer.select(0));
          await frames(page);
          const before = await layout(page);
          const n0 = (await stats(page)).received as number;
          await python(
            "viewer_sender.py",
            "127.0.0.1",
            `${cli.port}`,
            "hostile",
          );
          await waitReceived(page, n0 + 9);
          const shown = (await stats(page)).shown as number;
          for (let i = 1; i <= 9; i++) {
            await page.evaluate(
              (i: number) => pyloggingViewer.select(i),
              shown - i,
            );
            await frames(page);
          }
          await page.hover("#viewport .row:not(.hidden)");
          await frames(page);
          await assertUnharmed(page, before);
          const cells = (await rows(page)).flat();
          ok(cells.every((c) => c.length <= 400), "cells are cut short");
          ok(
            cells.some((c) =>
              c.includes("<script>window.__pwned = 2</script>")
            ),
          );
          deepEqual(
            s.log.filter((l) => l.startsWith("pageerror")),
            [],
          );
          await page.click("#detail-close");
          sent.push(...Array.from({ length: 9 }, () => ""));
        },
      );

      await t.step(
        "a stalled browser loses its own records; the receiver and a full-speed page get all",
        async () => {
          await reset(page);
          await page.click("#clear");
          await waitShown(page, 0);
          const port = Number(new URL(cli.webUrl!).port);
          const stalled = await Deno.connect({ hostname: "127.0.0.1", port });
          try {
            await stalled.write(
              new TextEncoder().encode(
                `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
              ),
            );
            const N = 40_000;
            const t0 = Date.now();
            await python(
              "forward_sender.py",
              "127.0.0.1",
              `${cli.port}`,
              "count",
              `${N}`,
              "5000",
            );
            const sendMs = Date.now() - t0;
            await waitReceived(page, N, 30_000);
            const st = await stats(page);
            equal(st.received, N, "the full-speed page got every record");
            equal(st.serverDropped, 0);
            console.log(
              `${N} records at 5,000/s (${sendMs} ms): the page received ${st.received}, discarded 0, beside a stalled browser`,
            );
            sent.push(...Array.from({ length: N }, (_, i) => `r${i}`));
          } finally {
            stalled.close();
          }
        },
      );
      for (const png of ["web-viewer.png", "web-viewer-detail.png"]) {
        const head = (await Deno.readFile(shots + png)).subarray(0, 8);
        deepEqual([...head], [137, 80, 78, 71, 13, 10, 26, 10], `${png}: PNG`);
      }
    } finally {
      await s.close();
      cli.kill("SIGINT");
      if (!UPDATE_SCREENSHOTS) await Deno.remove(shots, { recursive: true });
    }
    const { stdout, stderr } = await cli.done();
    const lines = stdout.trimEnd().split("\n");
    equal(lines.length, sent.length, "the CLI printed every record");
    const printed = lines.map((l) => JSON.parse(l).message as string);
    deepEqual(
      printed.filter((_, i) => sent[i] !== ""),
      sent.filter((m) => m !== ""),
    );
    match(stderr, /received [\d,]+ records/);
    const web =
      /web viewer: 2 browsers, ([\d,]+) records sent, ([\d,]+) discarded/
        .exec(stderr);
    ok(web !== null, stderr);
    ok(Number(web[2]!.replaceAll(",", "")) > 0, "the stalled browser's loss");
  },
});

Deno.test("web viewer: a page the server refuses (too many browsers) says so", async () => {
  const web = await startWebViewer({ port: 0, maxClients: 1 });
  const taken = await fetch(`http://127.0.0.1:${web.port}/events`);
  const s = await openPage(web.url);
  try {
    await s.page.waitForFunction(() =>
      document.getElementById("conn")?.textContent?.startsWith(
        "refused by the server",
      )
    );
    equal(web.stats().clients, 1);
  } finally {
    await s.close();
    await taken.body!.cancel();
    await web.close();
  }
});
