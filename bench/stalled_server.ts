// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// A stalled receiver: accepts connections and never reads from them.
// Prints {"port"}; runs until killed or --timeout ms.
// Usage: deno run --allow-net bench/stalled_server.ts [--timeout 600000]

import { emit, intArg, parseArgs } from "./_common.ts";

const timeout = intArg(parseArgs(Deno.args), "timeout", 600_000);
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
emit({ port: listener.addr.port });
setTimeout(() => Deno.exit(0), timeout);
const held: Deno.Conn[] = [];
for await (const conn of listener) held.push(conn);
