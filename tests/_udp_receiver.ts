// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Test helper: a node:dgram receiver on loopback collecting raw datagrams.
import dgram from "node:dgram";
import { equal } from "node:assert/strict";

/** A node:dgram receiver on loopback collecting raw datagrams. */
export async function rawReceiver(family: 4 | 6) {
  const socket = dgram.createSocket(family === 6 ? "udp6" : "udp4");
  const got: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  socket.on("message", (m) => {
    got.push(new Uint8Array(m));
    wake?.();
  });
  await new Promise<void>((resolve) =>
    socket.bind(0, family === 6 ? "::1" : "127.0.0.1", () => resolve())
  );
  return {
    port: socket.address().port,
    got,
    async waitFor(n: number): Promise<void> {
      const deadline = Date.now() + 5000;
      while (got.length < n && Date.now() < deadline) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, 50);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
      equal(got.length, n, `expected ${n} datagrams`);
    },
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}
