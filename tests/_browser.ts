// A headless Chromium for the web page tests: npm:puppeteer-core driving the
// system's /usr/bin/chromium (Debian's package, installed by .ci/run); no
// browser is downloaded. Every step has a bounded timeout.
// @ts-types="./_puppeteer.d.ts"
import puppeteer from "npm:puppeteer-core@24.43.1";
import type { Browser, Page } from "./_puppeteer.d.ts";

export type { Page };

/** Where Chromium is: $CHROMIUM, else /usr/bin/chromium. */
export function chromiumPath(): string | null {
  const env = Deno.env.get("CHROMIUM");
  for (const p of [env, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (p === undefined || p === "") continue;
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not there
    }
  }
  return null;
}

export interface BrowserSession {
  browser: Browser;
  page: Page;
  /** Console messages and page errors, for the test to inspect. */
  log: string[];
  /** Writes a PNG of the page to `path`. */
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium and opens `url` in a page of `width`×`height`. */
export async function openPage(
  url: string,
  { width = 1280, height = 800, timeoutMs = 30_000 } = {},
): Promise<BrowserSession> {
  const executablePath = chromiumPath();
  if (executablePath === null) {
    throw new Error(
      "chromium is missing: apt-get install chromium (.ci/run does)",
    );
  }
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      "--disable-background-timer-throttling",
      "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows",
    ],
    timeout: timeoutMs,
    protocolTimeout: 120_000,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const log: string[] = [];
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeoutMs);
    page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => log.push(`pageerror: ${String(e)}`));
    await page.setViewport({ width, height });
    await page.goto(url, { waitUntil: "load", timeout: timeoutMs });
    return {
      browser,
      page,
      log,
      async screenshot(path: string) {
        await page.screenshot({ path });
      },
      async close() {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          browser.close(),
          new Promise((r) => timer = setTimeout(r, 10_000)),
        ]);
        clearTimeout(timer);
        browser.process()?.kill("SIGKILL");
        // puppeteer waits 100 ms for a frame swap when its page's session
        // ends (FrameManager, TIME_FOR_WAITING_FOR_SWAP): let that timer
        // end, for the test's sanitizers
        await new Promise((r) => setTimeout(r, 150));
      },
    };
  } catch (e) {
    await browser.close().catch(() => {});
    throw e;
  }
}
