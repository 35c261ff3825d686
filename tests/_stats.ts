// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Test helper: the accounting invariant every engine test ends with.
import { equal } from "node:assert/strict";
import type { EngineStats } from "../socket.ts";

/** emitted == sent + dropped + pending, and the reasons add up to dropped. */
export function assertBalanced(s: EngineStats): void {
  equal(
    s.emitted,
    s.sent + s.dropped + s.pendingRecords,
    `unbalanced: ${JSON.stringify(s)}`,
  );
  const byReason = Object.values(s.droppedByReason).reduce((a, b) => a + b, 0);
  equal(byReason, s.dropped);
}
