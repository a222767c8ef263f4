import { decodeCursor } from '../../../src/feed/cursor.ts';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { engineLogger } from '../../../src/observability/engine-logger.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createPrometheusMetrics } from '../../../src/observability/stream-metrics.ts';
import { createFeedPoller, type FeedPoller } from '../../../src/stream/feed-poller.ts';
import { createHub, type Hub } from '../../../src/stream/hub.ts';
import type { SseSink } from '../../../src/stream/sink.ts';
import { parseSseText } from '../../support/sse-text.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const HEARTBEAT_MS = 5000;
let t: TestStore;
let poller: FeedPoller;
let hub: Hub;

beforeEach(async () => {
  // Only intervals are faked: the store's I/O and the poller's timeouts stay real.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  t = await startTestStore();
  const metrics = createPrometheusMetrics();
  const logger = engineLogger(createLogger('silent'));
  poller = createFeedPoller({ store: t.store, intervalMs: 60_000, logger, metrics, now: () => t.now() });
  await poller.start();
  hub = createHub({
    poller,
    pollStore: t.store,
    store: t.store,
    heartbeatIntervalMs: HEARTBEAT_MS,
    retryMs: 3000,
    maxConnections: 10,
    metrics,
    logger,
    now: () => t.now(),
  });
});
afterEach(async () => {
  hub.stop();
  poller.stop();
  vi.useRealTimers();
  await t.close();
});

function collectingSink() {
  let text = '';
  const sink: SseSink = {
    write: (chunk) => {
      text += chunk;
      return true;
    },
    end: () => undefined,
    destroy: () => undefined,
    onDrain: () => undefined,
    onClose: () => undefined,
  };
  return { sink, heartbeats: () => parseSseText(text).frames.filter((f) => f.event === 'heartbeat') };
}

it('sends a heartbeat on connect, then one per interval, and nothing between them', async () => {
  const client = collectingSink();
  await hub.connect({ sink: client.sink, clientId: 'test', lastEventId: undefined });
  const onConnect = client.heartbeats().length;

  vi.advanceTimersByTime(HEARTBEAT_MS - 1);
  const before = client.heartbeats().length;
  vi.advanceTimersByTime(1);
  const first = client.heartbeats().length;
  vi.advanceTimersByTime(HEARTBEAT_MS * 3);

  expect(onConnect).toBe(1);
  expect(before).toBe(1);
  expect(first).toBe(2);
  expect(client.heartbeats()).toHaveLength(5);
  expect(JSON.parse(client.heartbeats()[0]?.data ?? '{}')).toMatchObject({ connections: 1, status: 'ok' });
  // At the poller's position, each with an id of its own.
  const ids = client.heartbeats().map((heartbeat) => heartbeat.id ?? '');
  for (const id of ids) expect(decodeCursor(id)).toEqual(decodeCursor(poller.cursor ?? ''));
  expect(new Set(ids).size).toBe(ids.length);
});
