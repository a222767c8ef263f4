/**
 * A stream client for tests: fetch + eventsource-parser (WHATWG parsing rules), so frames are
 * read exactly as a browser reads them. Every event is checked against the AsyncAPI contract of
 * its channel as it arrives; a violation is recorded and fails the test through `violations`.
 */
import { createParser } from 'eventsource-parser';
import { type ChannelKey, parseEvent, type StreamEvent } from '../../src/contract/index.ts';

interface OpenStream {
  readonly status: number;
  readonly headers: Headers;
  /** The body text when the server refused (status ≠ 200). */
  readonly refusal: string;
  readonly events: StreamEvent[];
  readonly retries: number[];
  /** Contract violations seen so far (should stay empty). */
  readonly violations: string[];
  /** The last `id` received, as a browser would send it in Last-Event-ID. */
  lastEventId(): string | undefined;
  /** Resolves once the server ended the stream. */
  readonly ended: Promise<void>;
  waitFor(predicate: (events: readonly StreamEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

async function openStream(
  url: string,
  options: { headers?: Record<string, string>; channel?: ChannelKey } = {},
): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...options.headers },
    signal: controller.signal,
  });
  const events: StreamEvent[] = [];
  const retries: number[] = [];
  const violations: string[] = [];
  let lastId: string | undefined;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  const parser = createParser({
    onEvent: (message) => {
      const parsed = parseEvent(
        { event: message.event ?? 'message', id: message.id, data: message.data },
        options.channel,
      );
      if (parsed.ok) events.push(parsed.value);
      else
        violations.push(
          `${message.event ?? 'message'}: ${parsed.issues.map((i) => `${i.pointer} ${i.message}`).join('; ')}`,
        );
      if (message.id !== undefined) lastId = message.id;
      notify();
    },
    onRetry: (ms) => retries.push(ms),
  });
  let refusal = '';
  let ended: Promise<void>;
  if (response.status !== 200 || response.body === null) {
    refusal = await response.text();
    ended = Promise.resolve();
  } else {
    const decoder = new TextDecoder();
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    ended = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
        }
      } catch {
        // aborted by close(), or the connection was cut
      } finally {
        notify();
      }
    })();
  }
  let finished = false;
  void ended.then(() => {
    finished = true;
    notify();
  });
  return {
    status: response.status,
    headers: response.headers,
    refusal,
    events,
    retries,
    violations,
    lastEventId: () => lastId,
    ended,
    waitFor: (predicate, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(events)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (finished) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`stream ended before the expected events; got ${events.map((e) => e.event).join(',')}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting; got ${events.map((e) => e.event).join(',')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => {
      controller.abort();
    },
  };
}

/** The `new_item` ids received, in order. */
const itemIds = (events: readonly StreamEvent[]): string[] =>
  events.flatMap((e) => (e.event === 'new_item' ? [e.data.item_id] : []));

export type { OpenStream };
export { itemIds, openStream };
