/**
 * A stand-in for the client's subscribe() that opens nothing: it records every call (the URL
 * source, the options) and every close(), and lets a test play the client's side, firing the
 * handlers shared-streams.ts gave it as the real client would.
 */
import type {
  EventPayloads,
  StreamClosure,
  StreamEventName,
  StreamState,
  SubscribeOptions,
  subscribe,
  Subscription,
} from '../../../src/client/index.ts';

interface Opened {
  readonly url: Parameters<typeof subscribe>[0];
  readonly options: SubscribeOptions;
  /** How many times close() was called. */
  closes: number;
}

interface RecordingOpen {
  readonly open: typeof subscribe;
  readonly opened: Opened[];
}

function recordingOpen(): RecordingOpen {
  const opened: Opened[] = [];
  const open: typeof subscribe = (url, options) => {
    const entry: Opened = { url, options, closes: 0 };
    opened.push(entry);
    const subscription: Subscription = {
      lastEventId: undefined,
      close: () => {
        entry.closes += 1;
      },
      // What the stand-in never does on its own: end. Tests end it with state().
      closed: new Promise<StreamClosure>(() => undefined),
    };
    return subscription;
  };
  return { open, opened };
}

/** Fires `name` at the subscription, as the client does for a received event. */
function fire<Name extends StreamEventName>(target: Opened, name: Name, data: EventPayloads[Name], id = 'c1'): void {
  const handler = target.options.onEvent[name] as ((d: unknown, e: unknown) => void) | undefined;
  handler?.(data, { event: name, id, data });
}

function state(target: Opened, next: StreamState): void {
  target.options.onState?.(next);
}

/** Resolves after the linger of one macrotask (and anything queued before it) has run. */
const nextMacrotask = (): Promise<void> => new Promise((done) => setTimeout(done, 0));

let sequence = 0;

function item(ticker = 'AAPL'): EventPayloads['new_item'] {
  sequence += 1;
  return {
    item_id: `unit-${sequence}`,
    ticker,
    sentiment: 'positive',
    score: 0.5,
    timestamp: '2026-11-21T09:14:03.120Z',
    ingested_at: '2026-11-21T09:14:04.000Z',
  };
}

export type { Opened, RecordingOpen };
export { fire, item, nextMacrotask, recordingOpen, state };
