/**
 * A second, deliberately naive SSE parser written straight from the WHATWG HTML "event stream
 * interpretation" steps, so property tests do not depend on one library's reading of the spec.
 * It takes the whole decoded stream at once; chunking is tested separately with eventsource-parser.
 */

interface WhatwgEvent {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

interface WhatwgParse {
  readonly events: WhatwgEvent[];
  /** Every valid `retry` value, in order. */
  readonly retries: number[];
  readonly comments: string[];
}

/** Interprets a decoded event stream (one leading BOM is ignored, as the decode step does). */
function parseWhatwg(stream: string): WhatwgParse {
  const events: WhatwgEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  let data = '';
  let eventType = '';
  let lastEventIdBuffer = '';
  const body = stream.startsWith('\uFEFF') ? stream.slice(1) : stream;
  // Lines end at CRLF, LF or CR; whatever follows the last line end is an incomplete line and is dropped.
  const lines = body.split(/\r\n|\r|\n/);
  lines.pop();
  for (const line of lines) {
    if (line === '') {
      // Dispatch: the last event ID is set even when there is no data to dispatch.
      const lastEventId = lastEventIdBuffer;
      if (data === '') {
        eventType = '';
        continue;
      }
      events.push({ type: eventType === '' ? 'message' : eventType, data: data.slice(0, -1), lastEventId });
      data = '';
      eventType = '';
      continue;
    }
    if (line.startsWith(':')) {
      comments.push(line.slice(1).replace(/^ /, ''));
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') eventType = value;
    else if (field === 'data') data += `${value}\n`;
    else if (field === 'id' && !value.includes('\0')) lastEventIdBuffer = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) retries.push(Number(value));
  }
  return { events, retries, comments };
}

export type { WhatwgEvent, WhatwgParse };
export { parseWhatwg };
