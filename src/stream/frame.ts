/**
 * SSE framing (WHATWG HTML §9.2). Trust boundary: `event` and `id` become field lines, so a CR,
 * LF or NUL in them would end the field and let the rest be read as new fields or events
 * (CWE-93). Both are checked and refused here; `data` is split into one `data:` line per line,
 * so it can contain anything. The contract already restricts ids to `[A-Za-z0-9._~-]` and event
 * names to snake_case: these checks are the last line of defence, not the first.
 *
 * Also refused: an empty event name (a browser dispatches `event:` with no name as `message`, a
 * different event) and a lone surrogate in a name or id (UTF-8 cannot carry it: the client would
 * get U+FFFD, a different name or cursor). In `data` a lone surrogate arrives as U+FFFD and
 * cannot do more harm; JSON.stringify never produces one. test/unit/stream/frame.property.test.ts
 * checks all of this against two parsers.
 */

const FORBIDDEN = /[\r\n\0]/;
const LINE_BREAK = /\r\n|\r|\n/;

interface SseEvent {
  readonly event: string;
  readonly id: string;
  /** Already serialised (JSON); may contain line breaks, which become several `data:` lines. */
  readonly data: string;
  /** Reconnection delay in ms, sent as `retry:`. */
  readonly retry?: number;
}

function assertField(name: string, value: string): void {
  if (FORBIDDEN.test(value)) throw new Error(`SSE ${name} must not contain CR, LF or NUL`);
  if (!value.isWellFormed()) throw new Error(`SSE ${name} must not contain a lone surrogate`);
}

/** One complete event, ending with the blank line that dispatches it. */
function frameEvent(event: SseEvent): string {
  if (event.event === '') throw new Error('SSE event must not be empty');
  assertField('event', event.event);
  assertField('id', event.id);
  let out = `event: ${event.event}\nid: ${event.id}\n`;
  if (event.retry !== undefined) out += `retry: ${retryValue(event.retry)}\n`;
  // JSON.stringify never writes a line break: one data line, without splitting into an array.
  if (!LINE_BREAK.test(event.data)) return `${out}data: ${event.data}\n\n`;
  for (const line of event.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

const retryValue = (ms: number): number => {
  // Browsers ignore a retry that is not ASCII digits.
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error('SSE retry must be a non-negative integer');
  return ms;
};

/** A standalone `retry:` field (sent first on connect). */
function frameRetry(ms: number): string {
  return `retry: ${retryValue(ms)}\n\n`;
}

/** A comment: ignored by clients, keeps proxies from timing out; every line gets its `:`. */
function frameComment(text: string): string {
  return `${text
    .split(LINE_BREAK)
    .map((line) => `: ${line}`)
    .join('\n')}\n\n`;
}

export type { SseEvent };
export { frameComment, frameEvent, frameRetry };
