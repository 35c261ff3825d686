// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// web/server.ts over real HTTP: page headers, /events, history, token, 404s.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { recordSize } from "../web/history.ts";
import { recordFrom } from "../web/record_json.ts";
import { startWebViewer } from "../web/server.ts";
import { isLoopback, newToken, sameToken } from "../web/token.ts";
import type { PythonLogRecord } from "../receiver.ts";
import { makeLogRecord } from "../receiver/record.ts";
import { readEvents } from "./_sse.ts";

function rec(
  msg: string,
  extra: Record<string, unknown> = {},
): PythonLogRecord {
  return makeLogRecord({
    name: "app",
    msg,
    levelname: "INFO",
    levelno: 20,
    ...extra,
  });
}

Deno.test("web viewer serves the page with CSP and nosniff, 404s", async () => {
  const web = await startWebViewer({ port: 0 });
  try {
    for (
      const [path, type] of [
        ["/", "text/html"],
        ["/app.js", "text/javascript"],
        ["/app.css", "text/css"],
      ]
    ) {
      const res = await fetch(`http://127.0.0.1:${web.port}${path}`);
      equal(res.status, 200);
      await res.arrayBuffer();
      match(
        res.headers.get("content-type")!,
        new RegExp(`^${type}; charset=utf-8`),
      );
      match(
        res.headers.get("content-security-policy")!,
        /default-src 'none'; script-src 'self'/,
      );
      equal(res.headers.get("x-content-type-options"), "nosniff");
    }
    const res = await fetch(`http://127.0.0.1:${web.port}/nope`);
    equal(res.status, 404);
    equal(res.headers.get("x-content-type-options"), "nosniff");
    await res.arrayBuffer();
  } finally {
    await web.close();
  }
});

Deno.test("web viewer streams records with $id and $from, history first", async () => {
  const web = await startWebViewer({ port: 0 });
  try {
    web.push(rec("before"), "10.0.0.1:5000");
    const res = await fetch(`http://127.0.0.1:${web.port}/events`);
    match(res.headers.get("content-type")!, /^text\/event-stream/);
    setTimeout(
      () =>
        web.push(
          rec("after", { sender: "s1" }),
          "x:1",
        ),
      100,
    );
    const events = await readEvents(
      res.body!,
      (e) =>
        e.filter((x) => x.event === "records").flatMap((x) =>
          x.data as unknown[]
        ).length >= 2,
    );
    equal(events[0]!.event, "hello");
    equal((events[0]!.data as { history: number }).history, 1);
    const recs = events.filter((x) => x.event === "records").flatMap((x) =>
      x.data as Record<string, unknown>[]
    );
    equal(recs[0]!.msg, "before");
    equal(recs[0]!.$from, "10.0.0.1:5000");
    equal(recs[0]!.$id, 1);
    equal(recs[1]!.msg, "after");
    equal(recs[1]!.$from, "s1");
    equal(recs[1]!.$id, 2);
  } finally {
    await web.close();
  }
});

Deno.test("web viewer with a token answers 401 without it", async () => {
  const web = await startWebViewer({ port: 0, token: "secret-token" });
  try {
    const bad = await fetch(`http://127.0.0.1:${web.port}/?token=wrong`);
    equal(bad.status, 401);
    ok(!(await bad.text()).includes("<html"));
    const good = await fetch(web.url);
    equal(good.status, 200);
    await good.arrayBuffer();
    // the script and style hold no record data: no token needed
    for (const path of ["/app.js", "/app.css"]) {
      const res = await fetch(`http://127.0.0.1:${web.port}${path}`);
      equal(res.status, 200, path);
      await res.arrayBuffer();
    }
    const noToken = await fetch(`http://127.0.0.1:${web.port}/events`);
    equal(noToken.status, 401);
    await noToken.arrayBuffer();
    const events = await fetch(
      `http://127.0.0.1:${web.port}/events?token=secret-token`,
    );
    equal(events.status, 200);
    await events.body!.cancel();
    ok(sameToken("abc", "abc"));
    ok(!sameToken("abd", "abc"));
    ok(!sameToken("abcd", "abc"));
    ok(!sameToken(null, "abc"));
  } finally {
    await web.close();
  }
});

Deno.test("web viewer: a stalled browser is told what it lost", async () => {
  const web = await startWebViewer({ port: 0, maxQueue: 10 });
  try {
    const res = await fetch(`http://127.0.0.1:${web.port}/events`);
    for (let i = 0; i < 100; i++) web.push(rec(`m${i}`), "h:1");
    const events = await readEvents(
      res.body!,
      (e) => e.some((x) => x.event === "discarded"),
    );
    const d = events.find((x) => x.event === "discarded");
    equal((d!.data as { count: number }).count, 90);
  } finally {
    await web.close();
  }
});

/** Waits until `ok()` holds, polling every 10 ms for at most 5 s. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  equal(ok(), true, "condition not met within 5 s");
}

Deno.test("web viewer: close() ends in bounded time with a browser that stopped reading", async () => {
  const web = await startWebViewer({ port: 0 });
  // A browser that sends its request and never reads: the server's writes
  // fill its TCP buffer, then block.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: web.port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\n\r\n`,
      ),
    );
    await until(() => web.stats().clients === 1);
    const pad = "x".repeat(2000);
    for (let i = 0; i < 20_000; i++) {
      web.push(rec(`m${i} ${pad}`), "h:1");
      // Let the batch timer run, so that the stream fills the socket.
      if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 60));
    }
    const t0 = performance.now();
    await web.close();
    const ms = performance.now() - t0;
    ok(ms < 2000, `close() took ${ms.toFixed(0)} ms`);
    const s = web.stats();
    equal(s.clients, 0);
    ok(s.discarded > 0, `discarded ${s.discarded}`);
    equal(s.sent + s.discarded, 20_000);
    // The server closed the connection: the client reads to its end.
    const buf = new Uint8Array(1 << 16);
    let eof = false;
    const deadline = Date.now() + 5000;
    for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) {
        eof = true;
        break;
      }
    }
    ok(eof, "the stalled connection is closed");
  } finally {
    conn.close();
    await web.close();
  }
});

Deno.test("web viewer: close() lets a reading browser take what is queued, then ends its stream", async () => {
  const web = await startWebViewer({ port: 0 });
  try {
    const res = await fetch(`http://127.0.0.1:${web.port}/events`);
    await until(() => web.stats().clients === 1);
    const reading = readEvents(res.body!, () => false);
    // Pushed right before close(): no batch has been sent yet.
    for (let i = 0; i < 100; i++) web.push(rec(`m${i}`), "h:1");
    const t0 = performance.now();
    await web.close();
    ok(performance.now() - t0 < 2000);
    const events = await reading;
    const recs = events.filter((x) => x.event === "records").flatMap((x) =>
      x.data as Record<string, unknown>[]
    );
    equal(recs.length, 100);
    equal(recs[99]!.msg, "m99");
    ok(!events.some((x) => x.event === "discarded"));
    const s = web.stats();
    equal(s.sent, 100);
    equal(s.discarded, 0);
  } finally {
    await web.close();
  }
});

Deno.test("web viewer: only loopback binds go without a token; tokens are random base64url", () => {
  for (
    const h of [
      "127.0.0.1",
      "127.8.9.10",
      "localhost",
      "LOCALHOST",
      "::1",
      "[::1]",
      "::ffff:127.0.0.1",
    ]
  ) {
    ok(isLoopback(h), h);
  }
  for (
    const h of [
      "0.0.0.0",
      "::",
      "192.168.1.10",
      "10.0.0.1",
      "example.com",
      "localhost.example.com",
      "128.0.0.1",
      "0:0:0:0:0:0:0:2",
    ]
  ) {
    ok(!isLoopback(h), h);
  }
  const tokens = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const t = newToken();
    match(t, /^[A-Za-z0-9_-]{22}$/);
    tokens.add(t);
  }
  equal(tokens.size, 100);
});

Deno.test("web viewer: at most maxClients browsers; HEAD /events holds none", async () => {
  const web = await startWebViewer({ port: 0, maxClients: 2 });
  const url = `http://127.0.0.1:${web.port}/events`;
  const open: Response[] = [];
  try {
    const head = await fetch(url, { method: "HEAD" });
    equal(head.status, 200);
    equal(head.headers.get("content-type"), "text/event-stream; charset=utf-8");
    equal(web.stats().clients, 0);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(url);
      equal(res.status, 200);
      open.push(res);
    }
    equal(web.stats().clients, 2);
    const third = await fetch(url);
    equal(third.status, 503);
    match(await third.text(), /2 browsers are connected already/);
    await open.pop()!.body!.cancel();
    // the server sees the end at its next write
    web.push(rec("wake"), "h:1");
    const until = Date.now() + 5000;
    while (web.stats().clients > 1 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    equal(web.stats().clients, 1);
    const again = await fetch(url);
    equal(again.status, 200);
    open.push(again);
  } finally {
    for (const res of open) await res.body!.cancel();
    await web.close();
  }
});

Deno.test("web viewer: $from is the sender stamp, else the peer and the pid", () => {
  const tcp = (hostname: string, port: number) => ({
    id: 1,
    remoteAddr: { transport: "tcp" as const, hostname, port },
  });
  const unix = { id: 2, remoteAddr: { transport: "unix" as const, path: "" } };
  equal(
    recordFrom(rec("m", { process: 42 }), tcp("127.0.0.1", 5000)),
    "127.0.0.1 pid 42",
  );
  equal(
    recordFrom(rec("m", { process: 42 }), tcp("::1", 5000)),
    "[::1] pid 42",
  );
  equal(
    recordFrom(rec("m", { process: null }), tcp("::1", 5000)),
    "[::1]:5000",
  );
  equal(recordFrom(rec("m", { process: 42 }), unix), "unix pid 42");
  equal(recordFrom(rec("m", { process: null }), unix), "unix");
  equal(
    recordFrom(rec("m", { process: 42, sender: "h:1:ab" }), unix),
    "h:1:ab",
  );
  equal(
    recordFrom(rec("m", { process: 42 }), "udp 10.0.0.1:5"),
    "udp 10.0.0.1:5",
  );
});

Deno.test("web viewer: the history is bounded by an estimate of its records' size", async () => {
  const web = await startWebViewer({ port: 0, historyBytes: 4 << 20 });
  try {
    const mb = "x".repeat(1 << 20);
    for (let i = 1; i <= 10; i++) web.push(rec(`${i} ${mb}`), "h:1");
    const res = await fetch(`http://127.0.0.1:${web.port}/events`);
    const events = await readEvents(
      res.body!,
      (e) =>
        e.filter((x) => x.event === "records").flatMap((x) =>
          x.data as unknown[]
        ).length >= 3,
    );
    equal((events[0]!.data as { history: number }).history, 3);
    const ids = events.filter((x) => x.event === "records").flatMap((x) =>
      (x.data as { $id: number }[]).map((r) => r.$id)
    );
    deepEqual(ids, [8, 9, 10]);
  } finally {
    await web.close();
  }
  // what a record holds: its strings, and a cap for an intricate one
  ok(recordSize(rec("x".repeat(1000))) >= 1000);
  ok(recordSize(rec("m", { big: "y".repeat(5000) })) >= 5000);
  equal(
    recordSize(rec("m", { deep: Array.from({ length: 5000 }, (_, i) => i) })),
    4 << 20,
  );
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  equal(recordSize(rec("m", { cyclic })), 4 << 20);
});
