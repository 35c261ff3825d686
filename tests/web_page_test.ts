// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The viewer page (web/page/) in a real headless Chromium, served by a tiny
// server of this test's own that keeps the viewer server's contract (the
// three files with the strict CSP, and /events as Server-Sent Events:
// hello, records, discarded), so that the test sets every field, id, drop
// and reconnection itself. tests/web_viewer_test.ts runs the page against
// the real CLI with CPython and Deno senders.
import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { AssetCache } from "../web/assets.ts";
import { SECURITY_HEADERS } from "../web/server.ts";
import { openPage } from "./_browser.ts";
import {
  assertUnharmed,
  type Dom,
  frames,
  type HTMLElement,
  layout,
  reset,
  rows,
  search,
  shownIds,
  stats,
  type Viewer,
  waitReceived,
  waitShown,
  watchPage,
} from "./_viewer_page.ts";

type Rec = Record<string, unknown>;

// The functions given to page.evaluate run in the page: its globals,
// declared here loosely (a lib="dom" reference would reach every file of
// `deno check .`).
declare const document: Dom;
declare const pyloggingViewer: Viewer;
declare function requestAnimationFrame(cb: (now: number) => void): number;

/** The test's stand-in for web/server.ts. */
function startServer() {
  const enc = new TextEncoder();
  const clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const tokens: (string | null)[] = [];
  /** Records a client's full queue dropped, not yet told with `discarded`. */
  const dropped = new Map<
    ReadableStreamDefaultController<Uint8Array>,
    number
  >();
  let nextId = 1;
  let queueBytes = Infinity;
  let history = 0;
  let discardedTotal = 0;
  const assets = new AssetCache(); // the page files, as the server has them
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      const asset = assets.get(url.pathname);
      if (asset !== undefined) {
        const { body, type } = await asset;
        return new Response(body.slice(), {
          headers: { ...SECURITY_HEADERS, "content-type": type },
        });
      }
      if (url.pathname === "/events") {
        tokens.push(url.searchParams.get("token"));
        let me: ReadableStreamDefaultController<Uint8Array>;
        const body = new ReadableStream<Uint8Array>({
          // like the server: a bounded queue per browser
          start(c) {
            me = c;
            clients.add(c);
            c.enqueue(
              enc.encode(
                `retry: 200\nevent: hello\ndata: ${
                  JSON.stringify({ version: 1, history })
                }\n\n`,
              ),
            );
          },
          cancel() {
            clients.delete(me);
          },
        }, { highWaterMark: 1 << 30, size: (chunk) => chunk.byteLength });
        return new Response(body, {
          headers: {
            "content-type": "text/event-stream",
            "cache-control": "no-store",
            ...SECURITY_HEADERS,
          },
        });
      }
      return new Response("not found", { status: 404 });
    },
  );
  const frame = (name: string, data: unknown) =>
    enc.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  /** Queued bytes of a client (its queue's high-water mark is 1 GiB). */
  const queued = (c: ReadableStreamDefaultController<Uint8Array>) =>
    (1 << 30) - (c.desiredSize ?? 0);
  function event(name: string, data: unknown) {
    const bytes = frame(name, data);
    for (const c of clients) c.enqueue(bytes);
  }
  /** Tells each client what its queue dropped, when there is room again. */
  function flushDiscarded() {
    for (const c of clients) {
      const n = dropped.get(c) ?? 0;
      if (n > 0 && queued(c) < queueBytes) {
        c.enqueue(frame("discarded", { count: n }));
        dropped.set(c, 0);
      }
    }
  }
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    clients,
    tokens,
    /** Sends records as one `records` event; gives each its `$id`. */
    /** Sends records as one `records` event; gives each its `$id` unless `keepIds`. */
    records(recs: Rec[], keepIds = false) {
      if (!keepIds) { for (const r of recs) r.$id = nextId++; }
      flushDiscarded();
      const bytes = frame("records", recs);
      for (const c of clients) {
        if (queued(c) + bytes.byteLength > queueBytes) {
          dropped.set(c, (dropped.get(c) ?? 0) + recs.length);
          discardedTotal += recs.length;
        } else c.enqueue(bytes);
      }
    },
    event,
    flushDiscarded,
    /** Ends every /events stream (the page's EventSource reconnects). */
    disconnect() {
      for (const c of clients) c.close();
      clients.clear();
    },
    /** The `history` the next `hello` announces. */
    set history(n: number) {
      history = n;
    },
    /** Bounds each client's queue to `n` bytes (unbounded by default). */
    set queueBytes(n: number) {
      queueBytes = n;
    },
    get discardedTotal() {
      return discardedTotal;
    },
    async close() {
      for (const c of clients) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      clients.clear();
      await server.shutdown();
    },
  };
}

const LEVELS: [number, string][] = [
  [10, "DEBUG"],
  [20, "INFO"],
  [30, "WARNING"],
  [40, "ERROR"],
  [50, "CRITICAL"],
];
let clock = 1_780_000_000;
function rec(over: Rec = {}): Rec {
  const levelno = (over.levelno as number | undefined) ?? 20;
  const levelname = LEVELS.find(([n]) => n === levelno)?.[1] ??
    `Level ${levelno}`;
  const message = (over.message as string | undefined) ?? "hello";
  clock += 0.001;
  return {
    name: "app",
    msg: message,
    message,
    levelname,
    levelno,
    created: clock,
    msecs: (clock % 1) * 1000,
    pathname: "/srv/app/main.py",
    filename: "main.py",
    module: "main",
    lineno: 42,
    funcName: "handle",
    thread: 140000000000,
    threadName: "MainThread",
    process: 4242,
    processName: "MainProcess",
    exc_text: null,
    stack_info: null,
    $from: "127.0.0.1:50001",
    ...over,
  };
}

function idsOf(recs: Rec[], pred: (r: Rec) => boolean): number[] {
  return recs.filter(pred).map((r) => r.$id as number);
}

Deno.test({
  name:
    "web page: live rows, filters, detail, pause, export, markers, hostile records, 100k, bounded history",
  async fn(t) {
    const srv = startServer();
    const s = await openPage(`${srv.url}?token=s3cr%20t`, {
      width: 1280,
      height: 760,
    });
    const { page } = s;
    try {
      await watchPage(page);
      assertEquals(srv.tokens, ["s3cr t"], "the page's token goes to /events");

      const base: Rec[] = [
        rec({ name: "app", levelno: 20, message: "service started" }),
        rec({
          name: "app.db",
          levelno: 10,
          message: "connect to db",
          dsn: "pg://x",
        }),
        rec({
          name: "app.db.pool",
          levelno: 30,
          message: "pool exhausted needle",
        }),
        rec({
          name: "app.dbx",
          levelno: 40,
          message: "user 17 failed",
          user: "needle-man",
        }),
        rec({
          name: "app.web",
          levelno: 40,
          message: "request failed",
          exc_text:
            'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\nZeroDivisionError: division by zero',
          stack_info: 'Stack (most recent call last):\n  File "app.py", line 1',
          request_id: "req-123",
          user: { id: 7, roles: ["admin"] },
          $from: "web-1",
        }),
        rec({
          name: "worker",
          levelno: 50,
          message: "user 9 crashed",
          $from: "127.0.0.1:50002",
        }),
        rec({ name: "root", levelno: 20, message: "plain root" }),
      ];

      await t.step("rows appear live with the right fields", async () => {
        await reset(page);
        srv.records(base.slice(0, 3));
        await waitShown(page, 3);
        srv.records(base.slice(3));
        await waitShown(page, base.length);
        const got = await rows(page);
        assertEquals(got.length, base.length);
        for (const [i, r] of base.entries()) {
          const row = got[i]!;
          assertEquals(row.slice(1), [r.$from, r.name, r.levelname, r.message]);
          assert(/^\d\d:\d\d:\d\d\.\d\d\d$/.test(row[0]!), row[0]);
        }
        const classes = await page.$$eval(
          "#viewport .row:not(.hidden)",
          (els) => els.map((e) => e.className),
        );
        assert(classes.some((c: string) => c.includes("lvl-critical")));
        assert(classes.some((c: string) => c.includes("lvl-warning")));
      });

      await t.step("level filter", async () => {
        await reset(page);
        await page.click('#levels input[data-level="40"]');
        assertEquals(
          await shownIds(page),
          idsOf(base, (r) => r.levelno !== 40),
        );
        await page.click('#levels input[data-level="10"]');
        assertEquals(
          await shownIds(page),
          idsOf(base, (r) => r.levelno !== 40 && r.levelno !== 10),
        );
        await page.click('#levels input[data-level="40"]');
        await page.click('#levels input[data-level="10"]');
        assertEquals(await shownIds(page), idsOf(base, () => true));
      });

      await t.step("logger subtree hidden", async () => {
        await reset(page);
        const box = 'li[data-logger="app.db"] > label > input';
        await page.click(box);
        assertEquals(
          await shownIds(page),
          idsOf(base, (r) => r.name !== "app.db" && r.name !== "app.db.pool"),
        );
        await page.click('li[data-logger="app"] > label > input');
        assertEquals(
          await shownIds(page),
          idsOf(base, (r) => !(r.name as string).startsWith("app")),
        );
        await page.click('li[data-logger="app"] > label > input');
        await page.click(box);
        assertEquals(await shownIds(page), idsOf(base, () => true));
      });

      await t.step(
        "text and regex search over message and extras; sender",
        async () => {
          await reset(page);
          await search(page, "NEEDLE", false);
          assertEquals(
            await shownIds(page),
            idsOf(
              base,
              (r) =>
                /needle/i.test(r.message as string) || r.user === "needle-man",
            ),
          );
          await search(page, "req-123", false);
          assertEquals(
            await shownIds(page),
            idsOf(base, (r) => r.request_id === "req-123"),
          );
          await search(page, "^user \\d+ (failed|crashed)$", true);
          assertEquals(
            await shownIds(page),
            idsOf(
              base,
              (r) => /^user \d+ (failed|crashed)$/.test(r.message as string),
            ),
          );
          await search(page, "roles.*admin", true);
          assertEquals(
            await shownIds(page),
            idsOf(base, (r) => r.request_id === "req-123"),
          );
          await search(page, "([", true);
          const err = await page.$eval(
            "#search-error",
            (e) => e.textContent ?? "",
          );
          assert(err.startsWith("bad regular expression"), err);
          await search(page, "", false);
          assertEquals(await shownIds(page), idsOf(base, () => true));
          await page.select("#sender", "web-1");
          assertEquals(
            await shownIds(page),
            idsOf(base, (r) => r.$from === "web-1"),
          );
          await page.select("#sender", "");
          assertEquals((await shownIds(page)).length, base.length);
        },
      );

      await t.step(
        "detail pane: every field, the extras, exc_text and stack_info",
        async () => {
          await reset(page);
          await page.evaluate(() => pyloggingViewer.select(4));
          const detail = await page.$eval("#detail-body", (e) => ({
            text: e.textContent ?? "",
            extras: [...e.querySelectorAll("table.extras tr")].map((tr) =>
              [...tr.children].map((c) => c.textContent)
            ),
            exc: e.querySelector("pre.exc")?.textContent,
            stack: e.querySelector("pre.stack")?.textContent,
          }));
          assertEquals(detail.extras, [["request_id", "req-123"], [
            "user",
            '{"id":7,"roles":["admin"]}',
          ]]);
          assertEquals(detail.exc, base[4]!.exc_text);
          assertEquals(detail.stack, base[4]!.stack_info);
          for (
            const f of [
              "funcName",
              "handle",
              "lineno",
              "42",
              "threadName",
              "MainThread",
              "processName",
              "web-1",
            ]
          ) {
            assert(detail.text.includes(f), f);
          }
        },
      );

      await t.step("pause and resume", async () => {
        await reset(page);
        await page.click("#pause");
        const more = [
          rec({ message: "while paused 1" }),
          rec({ message: "while paused 2" }),
        ];
        srv.records(more);
        await page.waitForFunction(() => pyloggingViewer.stats().held === 2);
        assertEquals((await stats(page)).shown, base.length);
        // the status line is painted at the next animation frame
        await page.waitForFunction(() =>
          document.getElementById("held")?.textContent ===
            "paused: 2 new records waiting"
        );
        await page.click("#pause");
        await waitShown(page, base.length + 2);
        base.push(...more);
      });

      await t.step("gap and drop markers", async () => {
        await reset(page);
        const marks = [
          rec({
            name: "pylogging.receiver",
            levelno: 30,
            message: "3 records missing",
            missing: 3,
            seqFirst: 10,
            seqLast: 12,
          }),
          rec({
            name: "pylogging.socket_handler",
            levelno: 30,
            message: "dropped",
            dropped: 5,
            dropped_by_reason: { overflow: 5 },
          }),
        ];
        srv.records(marks);
        srv.event("discarded", { count: 4 });
        await waitShown(page, base.length + 3);
        const got = await page.$$eval(
          "#viewport .row.marker:not(.hidden) .c.msg",
          (els) => els.map((e) => e.textContent),
        );
        assertEquals(got.length, 3);
        assert(
          got.includes("⚠ gap: 3 record(s) missing (sequence 10–12)"),
          String(got),
        );
        assert(got.includes("⚠ the sender dropped 5 record(s)"), String(got));
        assert(
          got.some((g: string) =>
            g.startsWith("⚠ the server dropped 4 record(s)")
          ),
          String(got),
        );
        assertEquals((await stats(page)).serverDropped, 4);
        // markers stay whatever the level filter
        await page.click('#levels input[data-level="30"]');
        assertEquals(
          (await shownIds(page)).length,
          base.filter((r) => r.levelno !== 30).length + 3,
        );
        await page.click('#levels input[data-level="30"]');
        base.push(...marks);
      });

      await t.step("export of the filtered view as NDJSON", async () => {
        await reset(page);
        await page.click('#levels input[data-level="20"]');
        const text: string = await page.evaluate(() =>
          pyloggingViewer.exportBlob().text()
        );
        const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l));
        const want = await shownIds(page);
        assertEquals(
          lines.map((l) => l.$id ?? null),
          want.map((x) => Number.isNaN(x) ? null : x),
        );
        const byId = new Map(base.map((r) => [r.$id, r]));
        for (const l of lines) {
          if (l.$id !== undefined) assertEquals(l, byId.get(l.$id));
        }
        await page.click("#export"); // the download path runs without an error
        await page.click('#levels input[data-level="20"]');
      });

      await t.step(
        "hostile records set off nothing and keep the layout",
        async () => {
          await reset(page);
          await page.evaluate(() => pyloggingViewer.select(0)); // the detail pane open, as after
          await frames(page);
          const before = await layout(page);
          const mb = "W".repeat(1 << 20);
          const hostile = [
            rec({
              message: "<script>window.__pwned = 1</script>",
              name: "<script>window.__pwned=2</script>",
            }),
            rec({
              message: '<img src=x onerror="window.__pwned=3">',
              html: '<img src=x onerror="window.__pwned=4">',
            }),
            rec({
              message: "javascript:window.__pwned=5",
              url: "javascript:window.__pwned=6",
            }),
            rec({ message: mb, big: mb, exc_text: mb }),
            rec({
              message: "ctl \u0000\u0007\b\r\n\u001b[31mred\u001b[0m\u0085 end",
            }),
            rec({
              message: "bidi \u202eevil\u202c \u2067x\u2069 \u200f",
              name: "a\u202eb",
              $from: "\u202ehost",
            }),
            rec({ message: "\n".repeat(1000) + "after newlines" }),
            rec({
              message: "x",
              "<b onmouseover=alert(1)>": "key",
              ["__proto__"]: "p",
              constructor: "c",
            }),
          ];
          const n0 = (await stats(page)).received as number;
          srv.records(hostile);
          await waitReceived(page, n0 + hostile.length);
          for (let i = 0; i < hostile.length; i++) {
            await page.evaluate(
              (i: number) =>
                pyloggingViewer.select(pyloggingViewer.stats().shown - 1 - i),
              i,
            );
            await page.evaluate(() =>
              new Promise((r) =>
                requestAnimationFrame(() => requestAnimationFrame(r))
              )
            );
          }
          await page.evaluate(() =>
            pyloggingViewer.select(pyloggingViewer.stats().shown - 5)
          ); // the 1 MB one
          await page.hover("#viewport .row:not(.hidden)");
          await new Promise((r) => setTimeout(r, 300));
          await assertUnharmed(page, before);
          const detailChars: number = await page.evaluate(() =>
            document.getElementById("detail-body")!.textContent!.length
          );
          // four fields of 1 MB (message, msg, big, exc_text), each cut to 100,000 characters
          assert(
            detailChars < 500_000,
            `detail pane shows ${detailChars} characters`,
          );
          const cells = (await rows(page)).flat();
          assert(cells.every((c) => c.length <= 400), "cells are cut short");
          assert(
            cells.some((c) => c.includes("\\u202e")),
            "bidi overrides are shown, not applied",
          );
          assert(
            !cells.some((c) =>
              // deno-lint-ignore no-control-regex
              /[\u0000-\u0008\u202a-\u202e\u2066-\u2069]/.test(c)
            ),
          );
          assertEquals(s.log.filter((l) => l.startsWith("pageerror")), []);
        },
      );

      await t.step(
        "100,000 records: shown with few rows in the DOM, filters exact",
        async () => {
          await reset(page);
          await page.click("#clear");
          await waitShown(page, 0);
          const N = 100_000;
          const recs: Rec[] = [];
          for (let i = 0; i < N; i++) {
            recs.push(rec({
              name: `svc${i % 7}.mod${i % 13}`,
              levelno: LEVELS[i % 5]![0],
              message: `record ${i} with some text ${
                i % 97 === 0 ? "needle" : ""
              }`,
              $from: `127.0.0.1:${50000 + (i % 3)}`,
              i,
            }));
          }
          for (let i = 0; i < N; i += 5_000) {
            srv.records(recs.slice(i, i + 5_000));
          }
          await waitShown(page, N, 120_000);
          const inDom = (await stats(page)).rowsInDom as number;
          assert(inDom < 100, `${inDom} rows in the DOM`);
          await page.click('#levels input[data-level="10"]');
          assertEquals((await stats(page)).shown, N - N / 5);
          await search(page, "needle", false);
          assertEquals(
            (await stats(page)).shown,
            recs.filter((r) =>
              r.levelno !== 10 && (r.message as string).includes("needle")
            ).length,
          );
          await search(page, "record \\d+7 ", true);
          assertEquals(
            (await stats(page)).shown,
            recs.filter((r) =>
              r.levelno !== 10 && /record \d+7 /.test(r.message as string)
            ).length,
          );
          await search(page, "", false);
          await page.click('#levels input[data-level="10"]');
          assertEquals((await stats(page)).shown, N);
          // scroll to the middle: still only the visible rows
          await page.$eval(
            "#viewport",
            (v) => (v.scrollTop = v.scrollHeight / 2),
          );
          const mid = await rows(page);
          assert(mid.length > 10 && mid.length < 100);
        },
      );

      await t.step(
        "a full server queue: dropped records are counted and marked",
        async () => {
          await reset(page);
          await page.click("#clear");
          await waitShown(page, 0);
          srv.queueBytes = 0; // nothing fits: every record is dropped
          for (let i = 0; i < 3; i++) srv.records([rec(), rec(), rec()]);
          srv.queueBytes = Infinity;
          srv.records([rec({ message: "after the drop" })]);
          await page.waitForFunction(() =>
            pyloggingViewer.stats().received === 1
          );
          const st = await stats(page);
          assertEquals(st.serverDropped, 9);
          assertEquals(
            (await rows(page)).map((r) => r[4]),
            [
              "⚠ the server dropped 9 record(s) this page could not take in time",
              "after the drop",
            ],
          );
        },
      );

      await t.step(
        "reconnection: a replayed history is not shown twice; a restarted server is",
        async () => {
          await reset(page);
          await page.click("#clear");
          await waitShown(page, 0);
          const first = [
            rec({ message: "r1" }),
            rec({ message: "r2" }),
            rec({ message: "r3" }),
          ];
          srv.records(first);
          await waitShown(page, 3);
          srv.history = 2;
          srv.disconnect();
          const until = performance.now() + 15_000;
          while (srv.clients.size === 0 && performance.now() < until) {
            await new Promise((r) => setTimeout(r, 20));
          }
          assert(srv.clients.size > 0, "the page reconnected");
          srv.records(first.slice(1), true); // the server's replay
          srv.records([rec({ message: "r4" })]);
          await page.waitForFunction(() =>
            pyloggingViewer.stats().received === 4
          );
          assertEquals((await rows(page)).map((r) => r[4]), [
            "r1",
            "r2",
            "r3",
            "r4",
          ]);
          // a new server: its ids start again at 1
          srv.history = 1;
          srv.disconnect();
          while (srv.clients.size === 0 && performance.now() < until + 15_000) {
            await new Promise((r) => setTimeout(r, 20));
          }
          srv.records([{ ...rec({ message: "new server" }), $id: 1 }], true);
          await page.waitForFunction(() =>
            pyloggingViewer.stats().received === 5
          );
          const got = (await rows(page)).map((r) => r[4]);
          assertEquals(got.slice(-2), [
            "⚠ the server restarted: its record ids start again",
            "new server",
          ]);
        },
      );

      await t.step(
        "bounded history: past 200,000 the oldest go, and the page says so",
        async () => {
          await reset(page);
          srv.queueBytes = Infinity;
          await page.click("#clear");
          await waitShown(page, 0);
          const N = 210_000;
          let firstId = 0;
          const t0 = performance.now();
          for (let i = 0; i < N; i += 10_000) {
            const batch: Rec[] = [];
            for (let k = i; k < i + 10_000; k++) {
              batch.push(rec({ name: `h${k % 5}`, message: `history ${k}` }));
            }
            srv.records(batch);
            if (i === 0) firstId = batch[0]!.$id as number;
            await page.waitForFunction(
              (n: number) => pyloggingViewer.stats().received >= n,
              { timeout: 60_000, polling: 20 },
              i + 10_000,
            );
          }
          const ms = performance.now() - t0;
          const st = await stats(page);
          // past 200,000 the page drops 10,000 at once beyond the bound
          assertEquals(st.olderDiscarded, 20_000);
          assertEquals(st.kept, 190_000);
          assertEquals(st.shown, 190_000);
          assertEquals((await shownIds(page))[0], firstId + 20_000);
          await page.evaluate(() =>
            new Promise((r) => requestAnimationFrame(r))
          );
          const older = await page.$eval(
            "#older",
            (e: HTMLElement) => e.textContent,
          );
          assertEquals(older, "20,000 older records discarded");
          console.log(
            `210,000 records in batches of 10,000: ${
              ms.toFixed(0)
            } ms; ${older}`,
          );
        },
      );
    } finally {
      await s.close();
      await srv.close();
    }
  },
});
