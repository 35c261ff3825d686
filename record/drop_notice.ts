// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The dropped-records notice as a log event: a WARNING record, sent before
 * the queue once the connection is back, telling the receiver how many
 * records were dropped and why (the transport counts them and words the
 * text, `formatDropNotice`). It is framed like any other event, by the
 * record framer. Private to the package.
 *
 * @module
 */
import type { RecordInput } from "./input.ts";
import {
  DROP_REASONS,
  type DropNotice,
  type DropReason,
  formatDropNotice,
} from "../transport/drops.ts";

/**
 * The event of the WARNING record announcing dropped records, with extras
 * `dropped` and `dropped_by_reason`.
 *
 * @param notice The drop counts.
 * @param name The notice's logger name.
 * @returns The event.
 */
export function dropNoticeInput(
  notice: DropNotice,
  name: string,
): RecordInput {
  return {
    name,
    level: 30,
    msg: formatDropNotice(notice),
    timeMs: Date.now(),
    extra: {
      dropped: notice.dropped,
      dropped_by_reason: droppedByReason(notice.byReason),
    },
  };
}

/**
 * Every reason with its count, in the counters' order; `"send"` (a
 * datagram refused by the OS: stream connections never drop for it) only
 * when it counted something, so that the notice keeps the keys receivers
 * have always seen.
 */
function droppedByReason(
  byReason: Readonly<Record<DropReason, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const reason of DROP_REASONS) {
    if (reason !== "send" || byReason[reason] > 0) {
      out[reason] = byReason[reason];
    }
  }
  return out;
}
