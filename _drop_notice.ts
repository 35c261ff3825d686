// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The frame of the dropped-records notice: a WARNING record, sent before
 * the queue once the connection is back, telling the receiver how many
 * records were dropped and why. Private to the package.
 *
 * RECORD PATH: this builds a record dict and pickles it (`recordDict`,
 * `dumpsFrame`), so it belongs to the record side, not to the transport
 * (which only provides the counts and the text, `formatDropNotice`); it is
 * meant to go through the single record framer.
 *
 * @module
 */
import { recordDict } from "./record.ts";
import { dumpsFrame, type PickleProtocol } from "./pickle.ts";
import {
  DROP_REASONS,
  type DropNotice,
  type DropReason,
  formatDropNotice,
} from "./transport/drops.ts";

/**
 * The frame of the WARNING record announcing dropped records, with extras
 * `dropped` and `dropped_by_reason`.
 *
 * @param notice The drop counts.
 * @param name The notice's logger name.
 * @param protocol The pickle protocol.
 * @returns The frame.
 */
export function dropNoticeFrame(
  notice: DropNotice,
  name: string,
  protocol: PickleProtocol,
): Uint8Array {
  const dict = recordDict({
    name,
    level: 30,
    msg: formatDropNotice(notice),
    timeMs: Date.now(),
    extra: {
      dropped: notice.dropped,
      dropped_by_reason: droppedByReason(notice.byReason),
    },
  });
  return dumpsFrame(dict, { protocol });
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
