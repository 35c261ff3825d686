// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: reads the Server-Sent Events of a web viewer's `/events`.
 *
 * @module
 */

/** One event: its name and its parsed `data:` line. */
export interface SseEvent {
  /** The event's name. */
  event: string;
  /** Its data, parsed as JSON. */
  data: unknown;
}

/**
 * Reads events until `until` says stop, the stream ends or `ms` pass
 * (checked between reads), then cancels the stream.
 *
 * @param body The response body.
 * @param until Called with the events so far before each read.
 * @param ms The time bound.
 * @returns The events read.
 */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  until: (events: SseEvent[]) => boolean,
  ms = 5000,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + ms;
  try {
    while (!until(events) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      let end;
      while ((end = text.indexOf("\n\n")) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1] ?? "";
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? "null";
        events.push({ event: ev, data: JSON.parse(data) });
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}
