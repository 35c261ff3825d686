// Copyright 2026 the pylogging/socket-handler authors. MIT license.
import { equal, throws } from "node:assert/strict";
import { SocketHandler } from "../handler.ts";
import { DatagramHandler } from "../datagram.ts";
import { getSocketSink } from "../logtape.ts";
import { SocketEngine } from "../socket.ts";
import {
  type DATAGRAM_HANDLER_KEYS,
  DEFAULTS,
  OPTION_KEYS,
  type OptionOwner,
  type PYTHON_HANDLER_KEYS,
  type SOCKET_ENGINE_KEYS,
  type SOCKET_HANDLER_KEYS,
  type SOCKET_SINK_KEYS,
  type TLS_KEYS,
  type TlsOptions,
  validateOptions,
} from "../transport/options.ts";
import type { PythonHandlerOptions } from "../python_handler.ts";
import type { SocketHandlerOptions } from "../handler.ts";
import type { DatagramHandlerOptions } from "../datagram.ts";
import type { SocketSinkOptions } from "../logtape.ts";
import type { SocketEngineOptions } from "../socket.ts";

// The key lists of options.ts name exactly the keys of the option types: a
// key added to a type and not to its list (or the reverse) fails type
// checking here (`deno task check` type-checks the tests).
type Exact<T, K extends PropertyKey> = [Exclude<keyof T, K>] extends [never]
  ? [Exclude<K, keyof T>] extends [never] ? true : Exclude<K, keyof T>
  : Exclude<keyof T, K>;
const _keysAreExact: [
  Exact<PythonHandlerOptions, typeof PYTHON_HANDLER_KEYS[number]>,
  Exact<SocketHandlerOptions, typeof SOCKET_HANDLER_KEYS[number]>,
  Exact<DatagramHandlerOptions, typeof DATAGRAM_HANDLER_KEYS[number]>,
  Exact<SocketSinkOptions, typeof SOCKET_SINK_KEYS[number]>,
  Exact<SocketEngineOptions, typeof SOCKET_ENGINE_KEYS[number]>,
  Exact<TlsOptions, typeof TLS_KEYS[number]>,
] = [true, true, true, true, true, true];

const connect = () => Promise.reject(new Error("unused"));

/** Creates each owner with `options`, so that its constructor validates them. */
const CREATE: Record<OptionOwner, (options: Record<string, unknown>) => void> =
  {
    SocketHandler: (o) => new SocketHandler("INFO", o),
    DatagramHandler: (o) => new DatagramHandler("INFO", o),
    "socket sink": (o) => getSocketSink(o),
    SocketEngine: (o) => new SocketEngine({ connect, handleExit: false, ...o }),
  };

Deno.test("an unknown option is refused with the nearest valid name", () => {
  throws(
    () => new SocketHandler("INFO", { host: "db1" } as never),
    new TypeError(
      "Cannot create SocketHandler as 'host' is not an option: did you mean 'hostname'?",
    ),
  );
  throws(
    () => new DatagramHandler("INFO", { porrt: 9021 } as never),
    new TypeError(
      "Cannot create DatagramHandler as 'porrt' is not an option: did you mean 'port'?",
    ),
  );
  throws(
    () => getSocketSink({ maxQueueSize: 10 } as never),
    new TypeError(
      "Cannot create socket sink as 'maxQueueSize' is not an option: did you mean 'maxQueueBytes'?",
    ),
  );
  throws(
    () => new SocketEngine({ connect, retrymax: 5 } as never),
    new TypeError(
      "Cannot create SocketEngine as 'retrymax' is not an option: did you mean 'retryMax'?",
    ),
  );
  throws(
    () => new SocketHandler("INFO", { tls: { caCert: ["pem"] } } as never),
    new TypeError(
      "Cannot create SocketHandler as 'tls.caCert' is not an option: did you mean 'tls.caCerts'?",
    ),
  );
  // An option of another owner is unknown here.
  throws(
    () => new DatagramHandler("INFO", { retryStart: 10 } as never),
    /'retryStart' is not an option/,
  );
  throws(
    () => new SocketHandler("INFO", { family: 4 } as never),
    /'family' is not an option/,
  );
});

Deno.test("every owner takes its record options (@std/log's formatter, PythonHandler's, the sink's)", async () => {
  const filter = () => true;
  const formatter = () => "x";
  await new SocketHandler("INFO", {
    formatter,
    filters: [filter],
    includeCallerInfo: true,
    protocol: 2,
    closeOnError: true,
    noticeLoggerName: "n",
  }).close(0);
  await new DatagramHandler("INFO", {
    formatter,
    filters: [filter],
    includeCallerInfo: false,
    protocol: 3,
    family: 4,
    maxDatagramBytes: 1472,
    exitTimeout: 10,
  }).close(0);
  await getSocketSink({
    formatter,
    traceLevel: 10,
    useSourceLocation: false,
    protocol: 4,
  }).close(0);
});

Deno.test("bounds are the same for every owner that takes an option", () => {
  const cases: [string, unknown, string, "TypeError" | "RangeError"][] = [
    [
      "retryStart",
      0,
      "must be a number from 1 to 9007199254740991",
      "RangeError",
    ],
    [
      "retryFactor",
      0.5,
      "must be a number from 1 to 9007199254740991",
      "RangeError",
    ],
    ["jitter", 1.5, "must be a number from 0 to 1", "RangeError"],
    [
      "connectTimeout",
      0,
      "must be a number from 1 to 9007199254740991",
      "RangeError",
    ],
    [
      "writeTimeout",
      "1",
      "must be a number from 1 to 9007199254740991",
      "TypeError",
    ],
    [
      "maxQueueRecords",
      2 ** 30 + 1,
      "must be an integer from 1 to 1073741824",
      "RangeError",
    ],
    [
      "maxQueueBytes",
      1.5,
      "must be an integer from 1 to 4503599627370496",
      "RangeError",
    ],
    [
      "maxQueueBytes",
      2 ** 53,
      "must be an integer from 1 to 4503599627370496",
      "RangeError",
    ],
    [
      "exitTimeout",
      -1,
      "must be a number from 0 to 9007199254740991",
      "RangeError",
    ],
    [
      "maxBatchBytes",
      0,
      "must be an integer from 1 to 1073741824",
      "RangeError",
    ],
    [
      "errorInterval",
      NaN,
      "must be a number from 0 to 9007199254740991",
      "TypeError",
    ],
    [
      "overflow",
      "block",
      'must be "drop-oldest" or "drop-newest"',
      "TypeError",
    ],
    ["onError", "log", "must be a function", "TypeError"],
    ["port", 70000, "must be an integer from 1 to 65535", "RangeError"],
    ["hostname", " ", "must be a non-empty string", "TypeError"],
    ["protocol", 6, "must be an integer from 1 to 5", "RangeError"],
  ];
  for (const [key, value, must, kind] of cases) {
    const shown = typeof value === "string"
      ? JSON.stringify(value)
      : String(value);
    let owners = 0;
    for (const owner of Object.keys(CREATE) as OptionOwner[]) {
      if (!OPTION_KEYS[owner].includes(key)) continue;
      owners++;
      throws(() => CREATE[owner]({ [key]: value }), {
        name: kind,
        message:
          `Cannot create ${owner} as '${key}' ${must}: current value is ${shown}`,
      });
    }
    equal(owners > 0, true, key);
  }
});

Deno.test("retryMax is bounded by retryStart, given or default", () => {
  throws(
    () => new SocketHandler("INFO", { retryStart: 500, retryMax: 100 }),
    new RangeError(
      "Cannot create SocketHandler as 'retryMax' must be a number from 500 to 9007199254740991: current value is 100",
    ),
  );
  throws(
    () => new SocketEngine({ connect, retryStart: 60000 }),
    new RangeError(
      "Cannot create SocketEngine as 'retryMax' must be a number from 60000 to 9007199254740991: current value is 30000 (the default)",
    ),
  );
  throws(
    () => new SocketHandler("INFO", { retryMax: 999 }),
    /'retryMax' must be a number from 1000 to/,
  );
});

Deno.test("the datagram size limit depends on the address family", () => {
  throws(
    () =>
      new DatagramHandler("INFO", { hostname: "::1", maxDatagramBytes: 65528 }),
    new RangeError(
      "Cannot create DatagramHandler as 'maxDatagramBytes' must be an integer from 5 to 65527: current value is 65528",
    ),
  );
  throws(
    () =>
      new DatagramHandler("INFO", { family: 6 as 4 | 6, maxDatagramBytes: 4 }),
    /from 5 to 65527/,
  );
  throws(
    () => new DatagramHandler("INFO", { family: 5 as 4 }),
    new TypeError(
      "Cannot create DatagramHandler as 'family' must be 4 or 6: current value is 5",
    ),
  );
});

Deno.test("validateOptions() refuses what is not an options object, and the defaults are frozen", () => {
  throws(
    () => validateOptions("SocketHandler", "x" as unknown as object),
    new TypeError(
      'Cannot create SocketHandler as its options must be an object: current value is "x"',
    ),
  );
  equal(Object.isFrozen(DEFAULTS), true);
  equal(DEFAULTS.maxQueueBytes, 8 * 1024 * 1024);
  const h = new SocketHandler("INFO");
  equal(h.port, 9020);
  equal(h.hostname, DEFAULTS.hostname);
  equal(new DatagramHandler("INFO").port, 9021);
});
