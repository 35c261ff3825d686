// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: a loopback port nothing listens on right now.
 *
 * @module
 */

/**
 * Binds 127.0.0.1 port 0, notes the port and closes it again.
 *
 * @returns The port, free once the listener's close has settled.
 */
export async function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await new Promise((r) => setTimeout(r, 0));
  return port;
}
