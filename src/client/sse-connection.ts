/**
 * One SSE connection over fetch, read with eventsource-parser (the WHATWG parsing rules a browser's
 * EventSource follows): frames are split on blank lines, never on network chunks, comments and
 * unknown fields are skipped. fetch rather than EventSource because EventSource cannot send
 * headers (Authorization, X-User-ID), does not exist in Node, and gives up silently on any
 * non-200 answer. Works unchanged in browsers and in Node (20.3 or later: AbortSignal.any).
 *
 * It knows nothing of the contract: it hands each message to `onMessage`, which may end the
 * connection ('stop'), and reports how the connection ended. Reconnecting is the caller's job.
 *
 * What it buffers is bounded whatever the server sends (limits.ts): a pending event, its
 * unfinished line included, up to MAX_EVENT_CHARS (the parser's own cap; past it the connection
 * ends as `too_large`), and of a refusal's body only its first MAX_REFUSAL_BODY_BYTES.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { retryAfterMs } from './retry-after.ts';
import { MAX_EVENT_CHARS, MAX_REFUSAL_BODY_BYTES } from './limits.ts';

interface ConnectionRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent as `Last-Event-ID`: the server resumes after it. */
  readonly lastEventId: string | undefined;
  readonly fetch: typeof fetch;
  /** Nothing at all received for this long (ms) ends the connection as `silent`; read at every chunk. */
  readonly silenceMs: () => number;
  /** Each complete event, in order; 'stop' ends the connection after it. */
  readonly onMessage: (message: EventSourceMessage) => 'continue' | 'stop';
  /** A `retry:` field: the server's reconnection delay (ms). */
  readonly onRetry: (ms: number) => void;
  /** The event stream started (a 200 `text/event-stream` answer). */
  readonly onOpen: () => void;
}

/** How one connection ended. */
type ConnectionEnd =
  /** `onMessage` said stop, or the caller aborted. */
  | { readonly kind: 'stopped' }
  /** The server ended the stream (the body finished). */
  | { readonly kind: 'ended' }
  /** Nothing arrived for `silenceMs`: a dead connection that TCP has not noticed. */
  | { readonly kind: 'silent' }
  /** The server sent an event over `limit` characters: the client closed the connection. */
  | { readonly kind: 'too_large'; readonly limit: number }
  /** An HTTP answer that is not an event stream (a refusal, or a 200 of another type). */
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly retryAfterMs: number | undefined;
      /** The start of the body, MAX_REFUSAL_BODY_BYTES at most; the rest is never read. */
      readonly body: string;
    }
  /** No answer, or the connection broke while reading. */
  | { readonly kind: 'failed'; readonly error: unknown };

const isEventStream = (response: Response): boolean =>
  response.status === 200 && (response.headers.get('content-type') ?? '').startsWith('text/event-stream');

function requestHeaders(request: ConnectionRequest): Record<string, string> {
  const headers: Record<string, string> = { ...request.headers, accept: 'text/event-stream' };
  if (request.lastEventId !== undefined) headers['last-event-id'] = request.lastEventId;
  return headers;
}

/**
 * The first `maxBytes` of a body, decoded; the rest is cancelled unread. A refusal is only
 * reported, and a hostile one can be endless: reading it whole grew a client by hundreds of MiB.
 */
async function readPrefix(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<string> {
  if (body === null) return '';
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let [text, read] = ['', 0];
  try {
    while (read < maxBytes) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      const kept = value.subarray(0, maxBytes - read);
      read += kept.length;
      // `stream: true` even at the end: a character cut at the limit is dropped, not garbled.
      text += decoder.decode(kept, { stream: true });
    }
    return text;
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/** Runs one connection to its end; never rejects. `closing` aborts it for good. */
async function runConnection(request: ConnectionRequest, closing: AbortSignal): Promise<ConnectionEnd> {
  const own = new AbortController();
  const signal = AbortSignal.any([closing, own.signal]);
  let [silent, stopped, tooLarge] = [false, false, false];
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const rearm = (): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      silent = true;
      own.abort();
    }, request.silenceMs());
  };
  try {
    rearm();
    const response = await request.fetch(request.url, { headers: requestHeaders(request), cache: 'no-store', signal });
    // DOM and Node typings differ on the chunk type; both deliver bytes.
    const body = response.body as ReadableStream<Uint8Array> | null;
    if (!isEventStream(response) || body === null) {
      const retryAfter = retryAfterMs(response.headers.get('retry-after'));
      const text = await readPrefix(body, MAX_REFUSAL_BODY_BYTES);
      return { kind: 'refused', status: response.status, retryAfterMs: retryAfter, body: text };
    }
    request.onOpen();
    const parser = createParser({
      onEvent: (message) => {
        if (!stopped && request.onMessage(message) === 'stop') stopped = true;
      },
      onRetry: request.onRetry,
      maxBufferSize: MAX_EVENT_CHARS,
      // Its other errors (an unknown field, a bad `retry:`) are lines a browser ignores too.
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') tooLarge = true;
      },
    });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    while (!stopped) {
      const { done, value } = await reader.read();
      if (done) return { kind: 'ended' };
      parser.feed(decoder.decode(value, { stream: true }));
      if (tooLarge) return { kind: 'too_large', limit: MAX_EVENT_CHARS };
      // After feeding: a stream_open in this chunk sets the interval the watchdog is armed with.
      rearm();
    }
    return { kind: 'stopped' };
  } catch (error) {
    if (closing.aborted || stopped) return { kind: 'stopped' };
    return silent ? { kind: 'silent' } : { kind: 'failed', error };
  } finally {
    clearTimeout(watchdog);
    // Releases the response body, and with it the socket, on every way out.
    own.abort();
  }
}

export type { ConnectionEnd, ConnectionRequest };
export { runConnection };
