// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { LogRecord } from "@std/log/logger";
import { SocketHandler } from "../handler.ts";
import { LogReceiver } from "../receiver.ts";
import { makeCerts, opensslAvailable } from "./_certs.ts";
import { startPy } from "./_py_lines.ts";
import { startCli } from "./_cli_run.ts";

if (!opensslAvailable()) {
  throw new Error("Cannot run the TLS tests: openssl is not installed");
}
const certs = await makeCerts();
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(certs.dir, { recursive: true });
  } catch {
    // already gone
  }
});

const TLS_RECEIVER = new URL("./py/tls_receiver.py", import.meta.url).pathname;
const SILENT_SERVER = new URL("./py/tls_silent_server.py", import.meta.url)
  .pathname;

function record(msg: string, args: unknown[] = [], level = 20, name = "tls") {
  return new LogRecord({
    msg,
    args,
    level: level as LogRecord["level"] as 20,
    loggerName: name,
  });
}

/** Collects onError calls; `wait()` resolves at the first one. */
function errors() {
  const seen: { message: string; kind: string }[] = [];
  let wake: (() => void) | undefined;
  const first = new Promise<void>((r) => (wake = r));
  return {
    seen,
    onError: (error: Error, kind: string) => {
      seen.push({ message: error.message, kind });
      wake?.();
    },
    wait: (): Promise<void> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      return Promise.race([
        first,
        new Promise<void>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error("no onError call within 10 s")),
            10_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    },
  };
}

/** A Deno TLS server that completes handshakes and collects decrypted bytes. */
function tlsServer(cert: { cert: string; key: string }) {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.cert,
    key: cert.key,
  });
  const received: number[] = [];
  const serverErrors: string[] = [];
  const tasks: Promise<void>[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      tasks.push((async () => {
        try {
          const buf = new Uint8Array(4096);
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            received.push(...buf.subarray(0, n));
          }
        } catch (e) {
          serverErrors.push((e as Error).message);
        } finally {
          try {
            conn.close();
          } catch { /* closed */ }
        }
      })());
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received,
    serverErrors,
    async close() {
      listener.close();
      await loop;
      await Promise.all(tasks);
    },
  };
}

Deno.test("SocketHandler tls option is validated", () => {
  throws(
    () => new SocketHandler("INFO", { path: "/tmp/x.sock", tls: {} }),
    /Cannot create SocketHandler as 'tls' needs a TCP 'hostname' and 'port'/,
  );
  throws(
    () => new SocketHandler("INFO", { tls: { cert: certs.client.cert } }),
    /'tls.cert' and 'tls.key' must be given together/,
  );
  throws(
    () =>
      new SocketHandler("INFO", {
        tls: {
          cert: certs.client.cert,
          key: certs.client.key,
          serverName: "localhost",
        },
      }),
    /'tls.serverName' cannot be combined with a client certificate/,
  );
  throws(
    () => new SocketHandler("INFO", { tls: { handshakeTimeout: 0 } }),
    RangeError,
  );
  throws(
    // deno-lint-ignore no-explicit-any
    () => new SocketHandler("INFO", { tls: { caCerts: "pem" as any } }),
    /'tls.caCerts' must be an array of strings/,
  );
});

Deno.test("SocketHandler with tls delivers records to a CPython ssl receiver", async () => {
  const py = await startPy(TLS_RECEIVER, [
    "3",
    certs.server.certPath,
    certs.server.keyPath,
  ]);
  const port = Number(py.first.slice(5));
  ok(port > 0, py.first);
  const h = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port,
    tls: { caCerts: [certs.ca.cert] },
  });
  try {
    h.handle(record("hello %s", ["tls", { user: "bob" }]));
    h.handle(record("second", [], 30, "app.db"));
    h.handle(record("é ✓ 𝄞", [], 40));
    const r = await h.flush(10_000);
    equal(r.timedOut, false);
    ok(h.sock !== undefined && "handshake" in h.sock, "a TlsConn");
  } finally {
    await h.close();
  }
  const { lines, stderr } = await py.done();
  deepEqual(lines, [
    "REC tls|INFO|20|hello tls|bob",
    "REC app.db|WARNING|30|second|-",
    "REC tls|ERROR|40|é ✓ 𝄞|-",
  ]);
  equal(stderr, "");
  const s = h.stats();
  equal(s.sent, 3);
  equal(s.dropped, 1 - 1);
});

Deno.test("SocketHandler with a client certificate passes a CPython receiver that requires one", async () => {
  const py = await startPy(TLS_RECEIVER, [
    "1",
    certs.server.certPath,
    certs.server.keyPath,
    certs.ca.certPath,
  ]);
  const port = Number(py.first.slice(5));
  const h = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port,
    tls: {
      caCerts: [certs.ca.cert],
      cert: certs.client.cert,
      key: certs.client.key,
    },
  });
  try {
    h.handle(record("mutual %d", [1]));
    equal((await h.flush(10_000)).timedOut, false);
  } finally {
    await h.close();
  }
  const { lines, stderr } = await py.done();
  deepEqual(lines, ["REC tls|INFO|20|mutual 1|-"]);
  equal(stderr, "");
});

for (
  const [label, server, ca, pattern] of [
    [
      "an unknown CA",
      () => certs.server,
      () => certs.wrongCa,
      /TLS handshake with 127\.0\.0\.1:\d+ failed: invalid peer certificate: UnknownIssuer/,
    ],
    [
      "a wrong host name",
      () => certs.otherHost,
      () => certs.ca,
      /invalid peer certificate: certificate not valid for name "127\.0\.0\.1"/,
    ],
    [
      "an expired certificate",
      () => certs.expired,
      () => certs.ca,
      /invalid peer certificate: certificate expired/,
    ],
  ] as const
) {
  Deno.test(`SocketHandler with tls refuses ${label}: reported, backed off, never sent in plaintext`, async () => {
    const srv = tlsServer(server());
    const errs = errors();
    const h = new SocketHandler("DEBUG", {
      hostname: "127.0.0.1",
      port: srv.port,
      tls: { caCerts: [ca().cert] },
      retryStart: 20_000,
      onError: errs.onError,
    });
    try {
      h.handle(record("secret %s", ["payload"]));
      await errs.wait();
      equal(errs.seen.length, 1);
      equal(errs.seen[0]!.kind, "connect");
      match(errs.seen[0]!.message, pattern);
      match(errs.seen[0]!.message, /retrying in \d+(\.\d+)? s/);
      h.handle(record("second"));
      const s = h.stats();
      equal(s.state, "backoff");
      equal(s.connectFailures, 1, "one attempt, then the backoff");
      equal(s.sent, 0);
      equal(s.pendingRecords, 2, "records are kept and counted");
      ok(s.retryTime !== undefined && s.retryPeriod === 20_000);
    } finally {
      const r = await h.close(50);
      equal(r.dropped, 2);
      equal(h.stats().droppedByReason.closed, 2);
      await srv.close();
    }
    equal(srv.received.length, 0, "nothing decrypted by the server");
  });
}

Deno.test("SocketHandler tls serverName verifies another name than the address", async () => {
  const srv = tlsServer(certs.server);
  const good = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: srv.port,
    tls: { caCerts: [certs.ca.cert], serverName: "localhost" },
  });
  const errs = errors();
  const bad = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: srv.port,
    tls: { caCerts: [certs.ca.cert], serverName: "other.example" },
    onError: errs.onError,
  });
  try {
    good.handle(record("ok"));
    equal((await good.flush(10_000)).timedOut, false);
    equal(good.stats().sent, 1);
    bad.handle(record("no"));
    await errs.wait();
    match(
      errs.seen[0]!.message,
      /certificate not valid for name "other\.example"/,
    );
    equal(bad.stats().sent, 0);
  } finally {
    await good.close();
    await bad.close(50);
    await srv.close();
  }
  // The good handler's frame arrived whole (4-byte length + pickle).
  const got = Uint8Array.from(srv.received);
  const len = new DataView(got.buffer).getUint32(0);
  equal(got.length, 4 + len);
});

Deno.test("SocketHandler tls handshake timeout: a silent server sees only a TLS ClientHello", async () => {
  // In a separate process: Deno 2.9 does not close the TCP socket of a
  // TlsConn closed during its handshake (the peer sees no EOF), so an
  // in-process server would wait forever. This one stops reading after
  // 1 s of silence.
  const py = await startPy(SILENT_SERVER, []);
  const port = Number(py.first.slice(5));
  const errs = errors();
  const h = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port,
    tls: { caCerts: [certs.ca.cert], handshakeTimeout: 200 },
    retryStart: 20_000,
    onError: errs.onError,
  });
  try {
    h.handle(record("plaintext-marker-%d", [42]));
    await errs.wait();
    match(
      errs.seen[0]!.message,
      /TLS handshake with 127\.0\.0\.1:\d+ timed out after 200 ms/,
    );
    equal(h.stats().connectFailures, 1);
    equal(h.stats().pendingRecords, 1);
  } finally {
    await h.close(50);
  }
  const { lines } = await py.done();
  equal(lines.length, 1);
  const [first2, marker] = lines[0]!.split(" ");
  equal(first2!.slice(0, 2), "16", "a TLS handshake record");
  equal(first2!.slice(10, 12), "01", "ClientHello");
  equal(marker, "False", "the record is never sent");
});

Deno.test("LogReceiver with tls receives from SocketHandler with tls", async () => {
  await using rx = new LogReceiver({
    port: 0,
    tls: { cert: certs.server.cert, key: certs.server.key },
  });
  await rx.ready;
  const h = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: rx.port,
    tls: { caCerts: [certs.ca.cert] },
  });
  try {
    h.handle(record("over %s", ["tls", { user: "t" }]));
    const [r] = await rx.next(1, { timeout: 5000 });
    equal(r!.getMessage(), "over tls");
    equal(r!.extra.user, "t");
  } finally {
    await h.close();
  }
});

Deno.test("LogReceiver requiring client certificates refuses clients without a trusted one", async () => {
  const errs: string[] = [];
  await using rx = new LogReceiver({
    port: 0,
    tls: {
      cert: certs.server.cert,
      key: certs.server.key,
      caCerts: [certs.ca.cert],
    },
    onError: (e) => errs.push(`${e.kind}: ${e.message}`),
  });
  await rx.ready;
  const port = rx.port;
  ok(port > 0);
  const frame = new SocketHandler("INFO").makePickle(record("sneaky"));
  // No certificate, then one from an unrelated CA: the receiver refuses.
  for (
    const client of [undefined, certs.wrongClient] as const
  ) {
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port,
      caCerts: [certs.ca.cert],
      ...(client ? { cert: client.cert, key: client.key } : {}),
    });
    let outcome = "open";
    try {
      await conn.handshake(); // TLS 1.3: the client finishes first
      await conn.write(frame);
      const n = await conn.read(new Uint8Array(16));
      outcome = n === null ? "eof" : "data";
    } catch (e) {
      outcome = (e as Error).message;
    } finally {
      conn.close();
    }
    ok(outcome !== "open" && outcome !== "data", outcome);
  }
  const deadline = Date.now() + 5000;
  while (errs.length < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  equal(errs.length, 2, errs.join("\n"));
  ok(
    errs.every((e) => /^tls-error: TLS handshake with .+ failed: /.test(e)),
    errs.join("\n"),
  );
  equal(rx.stats().records, 0, "nothing decoded");
  equal(rx.stats().connectionsTotal, 0);
  // With a trusted client certificate the record arrives.
  const h = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port,
    tls: {
      caCerts: [certs.ca.cert],
      cert: certs.client.cert,
      key: certs.client.key,
    },
  });
  try {
    h.handle(record("trusted"));
    const [r] = await rx.next(1, { timeout: 5000 });
    equal(r!.getMessage(), "trusted");
  } finally {
    await h.close();
  }
  equal(rx.stats().connectionsTotal, 1);
});

Deno.test("cli --tls-cert/--tls-key/--tls-ca serves mutual TLS", async () => {
  const cli = await startCli([
    "--port",
    "0",
    "--tls-cert",
    certs.server.certPath,
    "--tls-key",
    certs.server.keyPath,
    "--tls-ca",
    certs.ca.certPath,
    "--count",
    "1",
    "--format",
    "%(name)s %(levelname)s %(message)s",
  ]);
  match(cli.listening, /^listening on 127\.0\.0\.1:\d+$/);
  const h = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: cli.port,
    tls: {
      caCerts: [certs.ca.cert],
      cert: certs.client.cert,
      key: certs.client.key,
    },
  });
  try {
    h.handle(record("cli over %s", ["mtls"]));
    await h.flush(5000);
  } finally {
    await h.close();
  }
  const { stdout, code } = await cli.done();
  equal(code, 0);
  equal(stdout, "tls INFO cli over mtls\n");
});

Deno.test("SocketHandler without a client certificate is refused by a receiver that requires one: reported, backed off, nothing counted as sent", async () => {
  await using rx = new LogReceiver({
    port: 0,
    tls: {
      cert: certs.server.cert,
      key: certs.server.key,
      caCerts: [certs.ca.cert],
    },
    onError: () => {},
  });
  await rx.ready;
  const errs = errors();
  const h = new SocketHandler("DEBUG", {
    hostname: "127.0.0.1",
    port: rx.port,
    tls: { caCerts: [certs.ca.cert] },
    retryStart: 20_000,
    onError: errs.onError,
  });
  try {
    h.handle(record("needs a client certificate"));
    await errs.wait();
    equal(errs.seen[0]!.kind, "connect");
    match(errs.seen[0]!.message, /refused after the handshake/);
    const s = h.stats();
    equal(s.state, "backoff");
    equal(s.sent, 0);
    equal(s.pendingRecords, 1);
    equal(s.connectFailures, 1);
    equal(rx.stats().records, 0);
  } finally {
    const r = await h.close(0);
    equal(r.dropped, 1); // counted as dropped at close, never as sent
  }
});
