// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// The receiver's limits: defaults, and bad values refused with std-style
// messages (no socket is opened: resolveOptions only validates).
import { equal, throws } from "node:assert/strict";
import { resolveOptions } from "../receiver/options.ts";

Deno.test("LogReceiver limits default on, and maxBufferedBytes follows maxFrameBytes", () => {
  const s = resolveOptions({ port: 0 });
  equal(s.maxConnections, 512);
  equal(s.maxBufferedBytes, 64 * 1024 * 1024);
  equal(s.minReadRate, 1024);
  equal(s.readRateWindow, 10_000);
  equal(s.frameTimeout, 30_000);
  equal(s.loadsOptions.objects, "inert");
  // A frame limit above a quarter of the default byte bound raises it.
  const big = resolveOptions({ port: 0, maxFrameBytes: 48 * 1024 * 1024 });
  equal(big.maxBufferedBytes, 2 * (48 * 1024 * 1024 + 4));
});

Deno.test("LogReceiver refuses bad limits with what was wrong and what was expected", () => {
  throws(
    () =>
      resolveOptions({ port: 0, maxFrameBytes: 1024, maxBufferedBytes: 2000 }),
    new RangeError(
      "Cannot create LogReceiver as 'maxBufferedBytes' must be at least 2 × ('maxFrameBytes' + 4) (2056): current value is 2000",
    ),
  );
  for (const name of ["maxConnections", "maxBufferedBytes", "readRateWindow"]) {
    for (const bad of [0, -1, 1.5]) {
      throws(
        () => resolveOptions({ port: 0, [name]: bad }),
        new RangeError(
          `Cannot create LogReceiver as '${name}' must be a positive integer: current value is ${bad}`,
        ),
      );
    }
  }
  for (const name of ["minReadRate", "frameTimeout", "idleTimeout"]) {
    throws(
      () => resolveOptions({ port: 0, [name]: -5 }),
      new RangeError(
        `Cannot create LogReceiver as '${name}' must be a non-negative number: current value is -5`,
      ),
    );
  }
});
