// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A live web viewer of received records (the CLI's `--web`): an HTTP
 * server on `Deno.serve` that serves the page (`web/page/`) and streams
 * the records pushed to it as Server-Sent Events on `/events`.
 *
 * Events, each `data:` one line of JSON:
 * - `hello` first: `{"version":1,"history":n}`, `n` the records of the
 *   history that follow (the last 1,000 pushed, within 16 Mi code units,
 *   so a fresh page is not empty);
 * - `records`: an array of records, each the CLI's `--format json` object
 *   plus `"$id"` (increasing per viewer) and `"$from"` (the `sender`
 *   attribute, else the connection's `host:port`); at most one batch
 *   every 50 ms per browser;
 * - `discarded`: `{"count":n}`, records this browser's queue dropped (the
 *   oldest first) because it read too slowly.
 *
 * Each browser has its own bounded queue (10,000 records or 16 MiB of
 * JSON by default), so a slow or stalled browser never slows the receiver
 * or the other browsers; at most 32 browsers are connected at once. Every response carries a strict
 * `Content-Security-Policy`, `X-Content-Type-Options: nosniff` and
 * `Referrer-Policy: no-referrer`.
 *
 * Bound to a loopback address the viewer needs no token (and answers only
 * requests whose `Host` is a loopback name, against DNS rebinding);
 * bound to any other address, or given a `token`, the page and `/events`
 * need `?token=` (compared in constant time), else 401 (the script and
 * style, which hold no record data, load without it).
 *
 * @module
 */
import type { PythonLogRecord } from "../receiver/python_log_record.ts";
import type { ConnectionInfo } from "../receiver/stats.ts";
import { AssetCache, ASSETS } from "./assets.ts";
import { sseEvent, ViewerClient } from "./client.ts";
import {
  entryJson,
  History,
  type HistoryEntry,
  recordSize,
} from "./history.ts";
import { recordFrom } from "./record_json.ts";
import { isLoopback, newToken, sameToken } from "./token.ts";

/** Options of {@linkcode startWebViewer}. */
export interface WebViewerOptions {
  /** Address to bind. @default {"127.0.0.1"} */
  hostname?: string;
  /** Port to bind; 0 picks a free one. @default {9022} */
  port?: number;
  /**
   * The token requests must carry as `?token=`. Without it, a random one
   * is made when the address is not loopback; a loopback viewer then
   * needs none.
   */
  token?: string;
  /** Most records queued per browser. @default {10000} */
  maxQueue?: number;
  /** Most bytes of JSON queued per browser. @default {16777216} */
  maxQueueBytes?: number;
  /** Records kept for browsers that connect later. @default {1000} */
  history?: number;
  /**
   * Most UTF-16 code units those records may hold, by an estimate of their
   * strings (the oldest go first).
   * @default {16777216}
   */
  historyBytes?: number;
  /**
   * Most browsers connected to `/events` at once; more are answered 503.
   * @default {32}
   */
  maxClients?: number;
}

/** Counters of a web viewer. */
export interface WebViewerStats {
  /** Browsers connected to `/events` now. */
  clients: number;
  /** Browsers that have connected to `/events`. */
  clientsTotal: number;
  /** Records pushed. */
  records: number;
  /** Records written to browsers (counted once per browser). */
  sent: number;
  /**
   * Records dropped from browsers' queues (counted once per browser), with
   * those still queued when a stream ended.
   */
  discarded: number;
  /** Requests refused for a missing or wrong token. */
  unauthorized: number;
}

/** A running web viewer. */
export interface WebViewer {
  /** The page's URL (with `?token=` when there is one). */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The token requests need, or `undefined` when none is needed. */
  readonly token: string | undefined;
  /**
   * Sends a record to every connected browser (and the history).
   *
   * @param record The record.
   * @param from Its connection, or a text naming its source.
   */
  push(record: PythonLogRecord, from: ConnectionInfo | string): void;
  /** The counters. */
  stats(): WebViewerStats;
  /**
   * Ends every open stream and stops the server, in bounded time (about
   * 1 s at most): the browsers get up to {@linkcode CLOSE_GRACE} ms to
   * take what their queues hold, then every connection is closed, read or
   * not (a browser that stopped reading cannot hold it open), and what is
   * left counts as discarded.
   */
  close(): Promise<void>;
}

/** The default port of `--web`. */
const DEFAULT_WEB_PORT = 9022;

/** Milliseconds between two batches of records to a browser. */
const BATCH_INTERVAL = 50;

/**
 * Milliseconds {@linkcode WebViewer.close} waits for the responses under
 * way to be written before it closes their connections.
 */
export const CLOSE_GRACE = 500;

/** Headers of every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

function reply(
  status: number,
  body: BodyInit | null,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, {
    status,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      ...SECURITY_HEADERS,
      ...headers,
    },
  });
}

/** Whether a `Host` header names this host (a loopback name or address). */
function loopbackHost(host: string | null): boolean {
  if (host === null) return false;
  const name = host.replace(/:\d+$/, "");
  return isLoopback(name);
}

/**
 * Starts a web viewer.
 *
 * @param options Address, port, token and queue bounds.
 * @returns The running viewer, once bound.
 * @throws {Deno.errors.AddrInUse} If the port is taken.
 * @throws {RangeError} If a bound is not a positive integer.
 */
export async function startWebViewer(
  options: WebViewerOptions = {},
): Promise<WebViewer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const limits = {
    records: positive("maxQueue", options.maxQueue ?? 10_000),
    bytes: positive("maxQueueBytes", options.maxQueueBytes ?? 16 << 20),
  };
  const history = new History(
    positive("history", options.history ?? 1000, true),
    positive("historyBytes", options.historyBytes ?? 16 << 20),
  );
  const maxClients = positive("maxClients", options.maxClients ?? 32);
  const token = options.token ??
    (isLoopback(hostname) ? undefined : newToken());
  if (token === "") {
    throw new RangeError(
      "Cannot start the web viewer as 'token' must not be empty: current value is \"\"",
    );
  }
  const assets = new AssetCache();
  const clients = new Set<ViewerClient>();
  let nextId = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastTick = 0;
  const counts = {
    clientsTotal: 0,
    records: 0,
    sent: 0,
    discarded: 0,
    unauthorized: 0,
  };

  const tick = () => {
    timer = undefined;
    lastTick = Date.now();
    for (const c of clients) c.flush();
  };

  // The responses being written, each settled once written or dropped.
  const responses = new Set<Promise<void>>();
  let closing = false;

  const handler = async (
    req: Request,
    info: Deno.ServeHandlerInfo,
  ): Promise<Response> => {
    const done: Promise<void> = info.completed.catch(() => {}).finally(() =>
      responses.delete(done)
    );
    responses.add(done);
    if (closing) return reply(503, "503 Service Unavailable: closing\n");
    const url = new URL(req.url);
    // The script and style (every page file but the page) hold no record
    // data: they load without the token, which only the page's own URL and
    // /events carry.
    const open = url.pathname !== "/" && Object.hasOwn(ASSETS, url.pathname);
    if (token !== undefined) {
      if (!open && !sameToken(url.searchParams.get("token"), token)) {
        counts.unauthorized++;
        return reply(401, "401 Unauthorized: add ?token=… to the URL\n");
      }
    } else if (!loopbackHost(req.headers.get("host"))) {
      return reply(403, "403 Forbidden: not a loopback Host\n");
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return reply(405, "405 Method Not Allowed\n", { Allow: "GET, HEAD" });
    }
    if (url.pathname === "/events") {
      const headers = {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-store",
      };
      if (req.method === "HEAD") return reply(200, null, headers);
      if (clients.size >= maxClients) {
        return reply(
          503,
          `503 Service Unavailable: ${maxClients} browsers are connected already\n`,
        );
      }
      const recent = history.entries().map(entryJson);
      const client: ViewerClient = new ViewerClient(
        limits,
        sseEvent("hello", `{"version":1,"history":${recent.length}}`),
        recent,
        () => {
          clients.delete(client);
          counts.sent += client.sent;
          counts.discarded += client.discarded;
        },
      );
      clients.add(client);
      counts.clientsTotal++;
      return reply(200, client.stream, headers);
    }
    const asset = assets.get(url.pathname);
    if (asset === undefined) return reply(404, "404 Not Found\n");
    try {
      const { body, type } = await asset;
      return reply(200, req.method === "HEAD" ? null : body.slice(), {
        "Content-Type": type,
        "Cache-Control": "no-cache",
      });
    } catch (e) {
      return reply(500, `500 ${(e as Error).message}\n`);
    }
  };

  const listening = Promise.withResolvers<Deno.NetAddr>();
  // Aborting closes the server and every connection at once, whereas
  // server.shutdown() waits for every response to be written: forever for
  // a browser that stopped reading.
  const abort = new AbortController();
  const server = Deno.serve({
    signal: abort.signal,
    hostname,
    port: options.port ?? DEFAULT_WEB_PORT,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
    onError: () => reply(500, "500 Internal Server Error\n"),
  }, handler);
  const addr = await listening.promise;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  let closeDone: Promise<void> | undefined;

  const closeAll = async () => {
    closing = true;
    clearTimeout(timer);
    timer = undefined;
    // The browsers that read take what their queues hold, then the end;
    // those that do not within the grace lose it, and their connection.
    for (const c of [...clients]) c.end();
    await within(Promise.all(responses), CLOSE_GRACE);
    for (const c of [...clients]) c.close();
    abort.abort();
    await within(server.finished, CLOSE_GRACE);
  };

  return {
    url: `http://${host}:${addr.port}/${
      token !== undefined ? `?token=${encodeURIComponent(token)}` : ""
    }`,
    port: addr.port,
    token,
    push(record, from) {
      if (closing) return;
      counts.records++;
      // The JSON is made when a browser needs it (at once while one is
      // connected), so that a viewer nobody watches costs little.
      const entry: HistoryEntry = {
        record,
        id: ++nextId,
        from: recordFrom(record, from),
        json: undefined,
        size: recordSize(record),
      };
      history.push(entry);
      if (clients.size === 0) return;
      const json = entryJson(entry);
      for (const c of clients) c.push(json);
      if (timer === undefined) {
        timer = setTimeout(
          tick,
          Math.max(0, lastTick + BATCH_INTERVAL - Date.now()),
        );
      }
    },
    stats() {
      let sent = counts.sent;
      let discarded = counts.discarded;
      for (const c of clients) {
        sent += c.sent;
        discarded += c.discarded;
      }
      return { ...counts, clients: clients.size, sent, discarded };
    },
    close() {
      closeDone ??= closeAll();
      return closeDone;
    },
  };
}

/** Waits for `promise`, at most `ms` milliseconds. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function positive(name: string, n: number, zero = false): number {
  if (!Number.isSafeInteger(n) || n < (zero ? 0 : 1)) {
    throw new RangeError(
      `Cannot start the web viewer as '${name}' must be an integer from ${
        zero ? 0 : 1
      } to ${Number.MAX_SAFE_INTEGER}: current value is ${n}`,
    );
  }
  return n;
}
