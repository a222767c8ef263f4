/**
 * The hub's test harness: the real poller and hub over the in-memory feed
 * (test/support/memory-feed.ts), no database and no sockets. Sinks record each write; every event
 * read back is parsed the way a browser parses SSE and checked against the AsyncAPI contract of
 * its channel (a violation throws, failing the test).
 */
import { createParser } from 'eventsource-parser';
import { afterEach } from 'vitest';
import {
  type ChannelKey,
  type Configuration,
  type ItemInput,
  parseEvent,
  type StreamEvent,
} from '../../../src/contract/index.ts';
import { engineLogger } from '../../../src/observability/engine-logger.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createFeedPoller } from '../../../src/stream/feed-poller.ts';
import { createHub, type Hub } from '../../../src/stream/hub.ts';
import type { CloseReason, StreamMetrics } from '../../../src/stream/ports.ts';
import type { SseSink } from '../../../src/stream/sink.ts';
import { createMemoryFeed, type MemoryFeed } from '../../support/memory-feed.ts';

/** A transport double: records writes; `block()` makes the next write report a full buffer. */
function recordingSink(channel: ChannelKey = 'globalStream') {
  const writes: string[] = [];
  const drainListeners: (() => void)[] = [];
  const closeListeners: (() => void)[] = [];
  let blockNext = false;
  let ended = false;
  const sink: SseSink = {
    write(chunk) {
      writes.push(chunk);
      const accepted = !blockNext;
      blockNext = false;
      return accepted;
    },
    end: () => {
      ended = true;
    },
    destroy: () => {
      ended = true;
    },
    onDrain: (listener) => drainListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
  };
  /** Every event written so far, each checked against the contract (a violation fails the test). */
  const events = (): StreamEvent[] => {
    const parsed: StreamEvent[] = [];
    const parser = createParser({
      onEvent: (message) => {
        const result = parseEvent({ event: message.event ?? 'message', id: message.id, data: message.data }, channel);
        if (!result.ok)
          throw new Error(`contract violation in ${message.event ?? 'message'}: ${JSON.stringify(result.issues)}`);
        parsed.push(result.value);
      },
    });
    parser.feed(writes.join(''));
    return parsed;
  };
  return {
    sink,
    writes,
    events,
    names: () => events().map((e) => e.event),
    itemIds: () => events().flatMap((e) => (e.event === 'new_item' ? [e.data.item_id] : [])),
    lastId: () => events().at(-1)?.id,
    block: () => {
      blockNext = true;
    },
    drain: () => {
      for (const listener of drainListeners) listener();
    },
    clientCloses: () => {
      for (const listener of closeListeners) listener();
    },
    isEnded: () => ended,
  };
}

function recordingMetrics() {
  const closed: CloseReason[] = [];
  let eventsSent = 0;
  const metrics: StreamMetrics = {
    connectionOpened: () => undefined,
    connectionClosed: (_stream, reason) => closed.push(reason),
    eventsSent: (count) => {
      eventsSent += count;
    },
    rejected: () => undefined,
    deliveryLag: () => undefined,
    pollCompleted: () => undefined,
    pollFailed: () => undefined,
    storeRequest: () => undefined,
    feedLag: () => undefined,
  };
  return { metrics, closed, eventsSent: () => eventsSent };
}

let counter = 0;
const item = (ticker: string, sentiment: ItemInput['sentiment'] = 'positive'): ItemInput => {
  counter += 1;
  return {
    item_id: `item-${String(counter)}`,
    ticker,
    sentiment,
    score: sentiment === 'positive' ? 0.5 : sentiment === 'negative' ? -0.5 : 0,
    timestamp: '2026-11-21T09:14:03.120Z',
  };
};

const USER = 'user-1';
const configuration = (tickers: string[]): Configuration => ({
  config_id: '6f1c7f52-3d1e-4a57-9a8e-0d6b2c1f4e11',
  name: 'watchlist',
  tickers,
  created_at: '2026-11-21T09:00:00.000Z',
  updated_at: '2026-11-21T09:00:00.000Z',
});

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** The engine over `feed`: the poller never fires on its own (`step()` polls and fans out). */
async function engine(feed: MemoryFeed = createMemoryFeed(), maxConnections = 10, now?: () => number) {
  const recorded = recordingMetrics();
  const logger = engineLogger(createLogger('silent'));
  const poller = createFeedPoller({ store: feed, intervalMs: 3_600_000, logger, metrics: recorded.metrics });
  await poller.start();
  const hub: Hub = createHub({
    poller,
    pollStore: feed,
    store: feed,
    heartbeatIntervalMs: 60_000,
    retryMs: 2_000,
    maxConnections,
    metrics: recorded.metrics,
    logger,
    ...(now === undefined ? {} : { now }),
  });
  stops.push(() => {
    hub.stop();
    poller.stop();
  });
  const step = async () => {
    await poller.poll();
    await hub.settled();
  };
  return { feed, hub, poller, step, ...recorded };
}

export { configuration, engine, item, recordingMetrics, recordingSink, USER };
