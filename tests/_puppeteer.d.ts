// The part of npm:puppeteer-core that tests/_browser.ts and the web page tests
// use. Declared here because puppeteer-core's own types bring in lib "dom",
// which would reach every file of `deno check .`.

// deno-lint-ignore no-explicit-any
type Any = any;

export interface Page {
  evaluate(fn: (...args: Any[]) => unknown, ...args: unknown[]): Promise<Any>;
  waitForFunction(
    fn: (...args: Any[]) => unknown,
    options?: { timeout?: number; polling?: number | "raf" | "mutation" },
    ...args: unknown[]
  ): Promise<unknown>;
  $eval(
    selector: string,
    fn: (el: Any, ...args: Any[]) => unknown,
    ...args: unknown[]
  ): Promise<Any>;
  $$eval(
    selector: string,
    fn: (els: Any[], ...args: Any[]) => unknown,
    ...args: unknown[]
  ): Promise<Any>;
  click(selector: string): Promise<void>;
  hover(selector: string): Promise<void>;
  select(selector: string, ...values: string[]): Promise<string[]>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  setViewport(viewport: { width: number; height: number }): Promise<void>;
  goto(
    url: string,
    options?: { waitUntil?: string; timeout?: number },
  ): Promise<unknown>;
  on(
    event: "console",
    handler: (m: { type(): string; text(): string }) => void,
  ): this;
  on(event: "pageerror", handler: (e: unknown) => void): this;
  setDefaultTimeout(ms: number): void;
}

export interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
  process(): { kill(signal?: string): boolean } | null;
}

declare const puppeteer: {
  launch(options: Record<string, unknown>): Promise<Browser>;
};
export default puppeteer;
