// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * A program that logs and then ends in a given way, for the exit-path
 * tests and scenario 11: `exit_app.ts <how> <port> <count> <sender>`.
 *
 * - how: `SIGTERM`/`SIGINT`/`SIGHUP` (it waits to be signalled), `throw`
 *   (an uncaught exception), `reject` (an unhandled rejection), `exit`
 *   (`Deno.exit(0)` 2 ms after logging; records of 2 KB so that it comes
 *   while they are sent), `end` (nothing: the program ends by itself).
 * - sender: `std` (`@std/log` + `SocketHandler`), `logtape` (the LogTape
 *   sink), `udp` (`DatagramHandler`), or `none` (the same program without
 *   a handler, for comparison).
 *
 * It logs `record <i>` `count` times, prints `LOGGED`, then ends.
 *
 * @module
 */
import * as log from "@std/log";
import { configure, getLogger } from "npm:@logtape/logtape@^2";
import { SocketHandler } from "../../handler.ts";
import { DatagramHandler } from "../../datagram.ts";
import { getSocketSink } from "../../logtape.ts";

const [how = "SIGTERM", portText = "9020", countText = "1000", sender = "std"] =
  Deno.args;
const port = Number(portText);
const count = Number(countText);
const pad = how === "exit" ? " " + "x".repeat(2000) : "";
const options = { hostname: "127.0.0.1", port, exitTimeout: 3000 };

if (sender === "logtape") {
  await configure({
    sinks: { py: getSocketSink(options) },
    loggers: [
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      { category: "app", lowestLevel: "info", sinks: ["py"] },
    ],
  });
  const logger = getLogger("app");
  for (let i = 0; i < count; i++) logger.info("record {i}" + pad, { i });
} else {
  const handlers: Record<string, log.BaseHandler> = {};
  if (sender === "std") handlers.py = new SocketHandler("INFO", options);
  if (sender === "udp") handlers.py = new DatagramHandler("INFO", options);
  log.setup({
    handlers,
    loggers: { app: { level: "INFO", handlers: Object.keys(handlers) } },
  });
  const logger = log.getLogger("app");
  for (let i = 0; i < count; i++) logger.info("record %d" + pad, i);
}
console.log("LOGGED");
if (how === "throw") {
  setTimeout(() => {
    throw new Error("boom");
  }, 0);
} else if (how === "reject") {
  Promise.reject(new Error("boom"));
} else if (how === "exit") {
  setTimeout(() => Deno.exit(0), 2);
} else if (how === "end") {
  // nothing more: the program ends by itself
} else {
  setInterval(() => {}, 1000); // runs until a signal ends it
}
