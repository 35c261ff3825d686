// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The forward targets' URLs and options: what is accepted, and the
// message of everything that is not (LogReceiver's option and the CLI's
// flags).
import { deepEqual, equal, throws } from "node:assert/strict";
import { resolveForwardTargets } from "../forward/target.ts";
import { parseForwardUrl } from "../forward/url.ts";
import { LogReceiver } from "../receiver.ts";
import { ArgError, parseArgs } from "../receiver/cli_args.ts";

const P = "Cannot forward as";

Deno.test("forward URLs: the four schemes, host names, IPv4 and bracketed IPv6", () => {
  const ok: [string, unknown][] = [
    ["syslog+tcp://127.0.0.1:514", ["syslog", false, "127.0.0.1", 514]],
    ["SYSLOG+TLS://logs.example.net:6514/", [
      "syslog",
      true,
      "logs.example.net",
      6514,
    ]],
    ["ndjson+tcp://[::1]:9000", ["ndjson", false, "::1", 9000]],
    ["ndjson+tls://[fe80::1%eth0]:1", ["ndjson", true, "fe80::1%eth0", 1]],
    ["ndjson+tcp://localhost:65535", ["ndjson", false, "localhost", 65535]],
    ["syslog+tcp://[::ffff:10.0.0.1]:514", [
      "syslog",
      false,
      "::ffff:10.0.0.1",
      514,
    ]],
  ];
  for (
    const [url, [format, secure, hostname, port]] of ok as [
      string,
      [string, boolean, string, number],
    ][]
  ) {
    deepEqual(parseForwardUrl(url, P, "'url'"), {
      format,
      secure,
      hostname,
      port,
    });
  }
});

Deno.test("forward URLs: each mistake has its message", () => {
  const bad: [string, ErrorConstructor, string][] = [
    [
      "http://x:1",
      TypeError,
      "the scheme of 'url' must be syslog+tcp, syslog+tls, ndjson+tcp or ndjson+tls",
    ],
    [
      "syslog://x:514",
      TypeError,
      "the scheme of 'url' must be syslog+tcp, syslog+tls, ndjson+tcp or ndjson+tls",
    ],
    [
      "x:514",
      TypeError,
      "'url' must be a URL such as syslog+tcp://HOST:PORT or ndjson+tcp://HOST:PORT",
    ],
    [
      "syslog+tcp://x",
      TypeError,
      "'url' must name a port (syslog+tcp://HOST:PORT)",
    ],
    [
      "syslog+tcp://[::1]",
      TypeError,
      "'url' must name a port (syslog+tcp://HOST:PORT)",
    ],
    [
      "syslog+tcp://x:",
      TypeError,
      "the port of 'url' must be an integer from 1 to 65535",
    ],
    [
      "syslog+tcp://x:abc",
      TypeError,
      "the port of 'url' must be an integer from 1 to 65535",
    ],
    [
      "syslog+tcp://x:0",
      RangeError,
      "the port of 'url' must be an integer from 1 to 65535",
    ],
    [
      "syslog+tcp://x:65536",
      RangeError,
      "the port of 'url' must be an integer from 1 to 65535",
    ],
    [
      "syslog+tcp://x:9999999999",
      RangeError,
      "the port of 'url' must be an integer from 1 to 65535",
    ],
    [
      "syslog+tcp://::1:514",
      TypeError,
      "the host of 'url' must put an IPv6 address in brackets ([::1]:PORT)",
    ],
    [
      "syslog+tcp://[::1:514",
      TypeError,
      "the host of 'url' must be an IPv6 address in brackets ([::1])",
    ],
    [
      "syslog+tcp://[zz]:514",
      TypeError,
      "the host of 'url' must be an IPv6 address in brackets ([::1])",
    ],
    [
      "syslog+tcp://[::1]x:514",
      TypeError,
      "'url' must be syslog+tcp://[IPV6]:PORT",
    ],
    [
      "syslog+tcp://x:514/path",
      TypeError,
      "'url' must be syslog+tcp://HOST:PORT with nothing after it",
    ],
    [
      "syslog+tcp://x:514?q",
      TypeError,
      "'url' must be syslog+tcp://HOST:PORT with nothing after it",
    ],
    [
      "syslog+tcp://:514",
      TypeError,
      "the host of 'url' must be a host name, an IPv4 address or an IPv6 address in brackets",
    ],
    [
      "syslog+tcp://user@x:514",
      TypeError,
      "the host of 'url' must be a host name, an IPv4 address or an IPv6 address in brackets",
    ],
    [
      "syslog+tcp://x y:514",
      TypeError,
      "the host of 'url' must be a host name, an IPv4 address or an IPv6 address in brackets",
    ],
  ];
  for (const [url, E, must] of bad) {
    throws(
      () => parseForwardUrl(url, P, "'url'"),
      new E(`${P} ${must}: current value is ${JSON.stringify(url)}`),
      url,
    );
  }
});

Deno.test("LogReceiver forward option: targets resolved with their defaults", () => {
  const [a, b, c] = resolveForwardTargets([
    "syslog+tcp://127.0.0.1:514",
    { url: "ndjson+tls://[::1]:9000", tls: { caCerts: ["PEM"] } },
    {
      url: "syslog+tls://h:6514",
      facility: "local4",
      maxQueueRecords: 10,
      maxQueueBytes: 1000,
    },
  ]);
  deepEqual(a, {
    url: "syslog+tcp://127.0.0.1:514",
    format: "syslog",
    secure: false,
    hostname: "127.0.0.1",
    port: 514,
    tls: undefined,
    facility: 1,
    maxQueueRecords: 100_000,
    maxQueueBytes: 64 * 1024 * 1024,
    resendWindow: 1000,
  });
  deepEqual(b!.tls, { caCerts: ["PEM"] });
  equal(b!.hostname, "::1");
  deepEqual(c!.tls, {}); // the default roots
  equal(c!.facility, 20);
  equal(c!.maxQueueRecords, 10);
  equal(c!.maxQueueBytes, 1000);
  deepEqual(resolveForwardTargets(undefined), []);
  deepEqual(resolveForwardTargets([]), []);
});

Deno.test("LogReceiver forward option: validated at construction", () => {
  const R = "Cannot create LogReceiver as";
  const bad: [unknown, ErrorConstructor, string][] = [
    [
      "syslog+tcp://h:1",
      TypeError,
      `${R} 'forward' must be an array of URLs or forward targets: current value is "syslog+tcp://h:1"`,
    ],
    [
      [42],
      TypeError,
      `${R} 'forward[0]' must be a URL or an object with 'url': current value is 42`,
    ],
    [
      ["syslog+tcp://h:1", "ftp://h:1"],
      TypeError,
      `${R} the scheme of 'forward[1]' must be syslog+tcp, syslog+tls, ndjson+tcp or ndjson+tls: current value is "ftp://h:1"`,
    ],
    [
      [{ tls: {} }],
      TypeError,
      `${R} 'forward[0].url' must be a string: current value is undefined`,
    ],
    [
      [{ url: "syslog+tcp://h" }],
      TypeError,
      `${R} 'forward[0].url' must name a port (syslog+tcp://HOST:PORT): current value is "syslog+tcp://h"`,
    ],
    [
      [{ url: "syslog+tcp://h:1", maxQueue: 1 }],
      TypeError,
      `${R} 'forward[0].maxQueue' is not an option of a forward target: use url, tls, facility, maxQueueRecords, maxQueueBytes, resendWindow`,
    ],
    [
      [{ url: "syslog+tcp://h:1", tls: {} }],
      TypeError,
      `${R} 'forward[0].tls' needs a syslog+tls:// or ndjson+tls:// URL: current value is "syslog+tcp://h:1"`,
    ],
    [
      [{ url: "syslog+tls://h:1", tls: { cert: "C" } }],
      TypeError,
      `${R} 'forward[0].tls.cert' and 'forward[0].tls.key' must be given together`,
    ],
    [
      [{ url: "syslog+tls://h:1", tls: { caCert: [] } }],
      TypeError,
      `${R} 'forward[0].tls.caCert' is not an option: did you mean 'forward[0].tls.caCerts'?`,
    ],
    [
      [{ url: "syslog+tls://h:1", tls: { caCerts: "PEM" } }],
      TypeError,
      `${R} 'forward[0].tls.caCerts' must be an array of strings: current value is "PEM"`,
    ],
    [
      [{ url: "syslog+tls://h:1", tls: "yes" }],
      TypeError,
      `${R} 'forward[0].tls' must be an object: current value is "yes"`,
    ],
    [
      [{ url: "ndjson+tcp://h:1", facility: "local0" }],
      TypeError,
      `${R} 'forward[0].facility' needs a syslog+tcp:// or syslog+tls:// URL: current value is "ndjson+tcp://h:1"`,
    ],
    [
      [{ url: "syslog+tcp://h:1", facility: "local8" }],
      TypeError,
      `${R} 'forward[0].facility' must be a facility name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 to local7) or a number from 0 to 23: current value is "local8"`,
    ],
    [
      [{ url: "syslog+tcp://h:1", facility: 24 }],
      TypeError,
      `${R} 'forward[0].facility' must be a facility name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 to local7) or a number from 0 to 23: current value is 24`,
    ],
    [
      [{ url: "syslog+tcp://h:1", maxQueueRecords: 0 }],
      RangeError,
      `${R} 'forward[0].maxQueueRecords' must be an integer from 1 to 1073741824: current value is 0`,
    ],
    [
      [{ url: "syslog+tcp://h:1", resendWindow: -1 }],
      RangeError,
      `${R} 'forward[0].resendWindow' must be a number from 0 to 600000: current value is -1`,
    ],
    [
      [{ url: "syslog+tcp://h:1", maxQueueBytes: 1.5 }],
      TypeError,
      `${R} 'forward[0].maxQueueBytes' must be an integer from 1 to 4503599627370496: current value is 1.5`,
    ],
  ];
  for (const [forward, E, message] of bad) {
    throws(
      () => new LogReceiver({ port: 0, forward: forward as (string)[] }),
      new E(message),
      JSON.stringify(forward),
    );
  }
});

Deno.test("CLI --forward flags: parsed, and their mistakes refused", () => {
  const args = parseArgs([
    "--forward",
    "syslog+tls://[::1]:6514",
    "--forward=ndjson+tcp://127.0.0.1:9000",
    "--forward-ca",
    "a.pem,b.pem",
    "--forward-ca=c.pem",
    "--forward-cert",
    "client.pem",
    "--forward-key",
    "client.key",
    "--forward-facility",
    "LOCAL0",
  ]);
  deepEqual(args.forward, [
    "syslog+tls://[::1]:6514",
    "ndjson+tcp://127.0.0.1:9000",
  ]);
  deepEqual(args.forwardCa, ["a.pem", "b.pem", "c.pem"]);
  equal(args.forwardCert, "client.pem");
  equal(args.forwardKey, "client.key");
  equal(args.forwardFacility, 16);
  equal(
    parseArgs(["--forward-facility=3", "--forward=syslog+tcp://h:1"])
      .forwardFacility,
    3,
  );
  const bad: [string[], string][] = [
    [
      ["--forward", "syslog+tcp://h"],
      "Cannot forward as '--forward' must name a port (syslog+tcp://HOST:PORT): current value is \"syslog+tcp://h\"",
    ],
    [
      ["--forward", "udp://h:514"],
      "Cannot forward as the scheme of '--forward' must be syslog+tcp, syslog+tls, ndjson+tcp or ndjson+tls: current value is \"udp://h:514\"",
    ],
    [["--forward"], "Option '--forward' needs a value"],
    [
      ["--forward", "syslog+tcp://h:1", "--forward-ca", "ca.pem"],
      "Options '--forward-ca', '--forward-cert' and '--forward-key' need a syslog+tls:// or ndjson+tls:// '--forward' target",
    ],
    [
      ["--forward", "syslog+tls://h:1", "--forward-cert", "c.pem"],
      "Options '--forward-cert' and '--forward-key' go together",
    ],
    [
      ["--forward", "ndjson+tcp://h:1", "--forward-facility", "local0"],
      "Option '--forward-facility' needs a syslog+tcp:// or syslog+tls:// '--forward' target",
    ],
    [
      ["--forward", "syslog+tcp://h:1", "--forward-facility", "local9"],
      "Option '--forward-facility' must be kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0 to local7 or a number from 0 to 23: got 'local9'",
    ],
    [
      ["--forward-facility", "user"],
      "Option '--forward-facility' needs a syslog+tcp:// or syslog+tls:// '--forward' target",
    ],
  ];
  for (const [argv, message] of bad) {
    throws(() => parseArgs(argv), new ArgError(message), argv.join(" "));
  }
});
