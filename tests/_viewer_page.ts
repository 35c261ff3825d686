// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: reads and drives the web viewer's page (web/page/app.js)
 * in a headless Chromium through its test hook `pyloggingViewer` and its
 * DOM: counters, the ids shown, the visible rows, the filters, the layout.
 *
 * @module
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import type { Page } from "./_browser.ts";

// The functions given to page.evaluate run in the page: its DOM, declared here
// loosely (a lib="dom" reference would reach every file of `deno check .`).
// deno-lint-ignore no-explicit-any
export type Dom = any;
export type HTMLElement = Dom;
export type HTMLInputElement = Dom;
export type HTMLSelectElement = Dom;
export type HTMLButtonElement = Dom;
declare const document: Dom;
declare const DOMMatrixReadOnly: Dom;
declare function getComputedStyle(el: Dom): Dom;
declare function requestAnimationFrame(cb: (now: number) => void): number;

// deno-lint-ignore no-explicit-any
export type Viewer = any;
declare const pyloggingViewer: Viewer;

export async function stats(page: Page) {
  return await page.evaluate(() => pyloggingViewer.stats()) as Record<
    string,
    number | boolean
  >;
}
export async function shownIds(page: Page): Promise<number[]> {
  return await page.evaluate(() => pyloggingViewer.shownIds());
}
export async function waitShown(page: Page, n: number, timeout = 30_000) {
  await page.waitForFunction(
    (n: number) => pyloggingViewer.stats().shown === n,
    {
      timeout,
      polling: 20,
    },
    n,
  );
}
export async function waitReceived(page: Page, n: number, timeout = 60_000) {
  await page.waitForFunction(
    (n: number) => pyloggingViewer.stats().received >= n,
    {
      timeout,
      polling: 20,
    },
    n,
  );
}
/** The visible rows' cells, top to bottom. */
export async function rows(page: Page): Promise<string[][]> {
  await page.evaluate(() =>
    new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
  );
  return await page.$$eval(
    "#viewport .row:not(.hidden)",
    (els) =>
      els
        .map((el) => ({
          y: new DOMMatrixReadOnly(getComputedStyle(el).transform).m42,
          cells: [...el.children].map((c) => c.textContent ?? ""),
        }))
        .sort((a, b) => a.y - b.y)
        .map((r) => r.cells),
  );
}
export async function search(page: Page, text: string, regex: boolean) {
  await page.evaluate(
    (text: string, regex: boolean) => {
      const s = document.getElementById("search") as HTMLInputElement;
      const r = document.getElementById("regex") as HTMLInputElement;
      s.value = text;
      r.checked = regex;
      r.dispatchEvent(new Event("change"));
    },
    text,
    regex,
  );
}
/** Back to no filter and not paused, so one failed step leaves no trace. */
export async function reset(page: Page) {
  await page.evaluate(() => {
    const s = document.getElementById("search") as HTMLInputElement;
    s.value = "";
    for (
      const b of document.querySelectorAll("#levels input")
    ) {
      if (!b.checked) b.click();
    }
    (document.getElementById("tree-all") as HTMLButtonElement).click();
    const sel = document.getElementById("sender") as HTMLSelectElement;
    sel.value = "";
    sel.dispatchEvent(new Event("change"));
    const r = document.getElementById("regex") as HTMLInputElement;
    r.checked = false;
    r.dispatchEvent(new Event("change"));
    const p = document.getElementById("pause") as HTMLButtonElement;
    if (p.getAttribute("aria-pressed") === "true") p.click();
  });
}
export async function layout(page: Page) {
  return await page.evaluate(() => {
    const vp = document.getElementById("viewport")!;
    return {
      rowHeights: [
        ...new Set(
          [...vp.querySelectorAll(".row:not(.hidden)")].map((r) =>
            (r as HTMLElement).offsetHeight
          ),
        ),
      ],
      viewportWidth: vp.getBoundingClientRect().width,
      docWidth: document.documentElement.scrollWidth,
      innerWidth: (globalThis as Dom).innerWidth,
      headHeight: document.getElementById("head")!.offsetHeight,
      detailWidth:
        document.getElementById("detail")!.getBoundingClientRect().width,
    };
  });
}

/**
 * Records the page's CSP violations (for {@linkcode assertUnharmed}) and
 * waits for its first connection to the server.
 */
export async function watchPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e: Dom) => {
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.waitForFunction(() => pyloggingViewer.stats().connection === 1);
}

/** Two animation frames: what the page drew is on screen. */
export async function frames(page: Page): Promise<void> {
  await page.evaluate(() =>
    new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
  );
}

/**
 * After hostile records: no script ran (the canary `window.__pwned` that
 * every injected script of the tests sets is unset), the CSP reported no
 * violation, no element was injected, and the layout is `before`'s.
 */
export async function assertUnharmed(
  page: Page,
  before: Awaited<ReturnType<typeof layout>>,
): Promise<void> {
  const after = await layout(page);
  const state = await page.evaluate(() => ({
    pwned: (globalThis as unknown as { __pwned?: unknown }).__pwned,
    csp: (globalThis as unknown as { __csp: string[] }).__csp,
    injected: document.querySelectorAll(
      "#viewport script, #viewport img, #detail-body script, #detail-body img, #tree script, #tree img, a[href^='javascript']",
    ).length,
  }));
  equal(state.pwned, undefined, "no injected script ran");
  deepEqual(state.csp, [], "no CSP violation");
  equal(state.injected, 0, "no injected element");
  deepEqual(after.rowHeights, [20]);
  equal(after.viewportWidth, before.viewportWidth);
  ok(after.docWidth <= after.innerWidth, JSON.stringify(after));
  equal(after.headHeight, before.headHeight);
  equal(after.detailWidth, before.detailWidth);
}
