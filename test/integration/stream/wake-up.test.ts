/**
 * Real-time delivery: an ingest accepted by this process wakes its poller, so the item reaches
 * its streams at once rather than at the next poll. The poll interval here is 60 s (the largest
 * allowed) and every item must arrive well inside the first interval, so only a woken poll can
 * have delivered it: no threshold on latency. Real server, real dynalite, real SSE clients; every
 * event is checked against the contract.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { itemIds, type OpenStream, openStream } from '../../support/sse-client.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const POLL_INTERVAL_MS = 60_000;

let server: LocalServer;
/** When the server's first poll was done: the next timed one is due POLL_INTERVAL_MS later. */
let startedAt: number;
const api = createApiClient(() => server.url);
const streams: OpenStream[] = [];
beforeAll(async () => {
  server = await startTestServer({
    POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
    HEARTBEAT_INTERVAL_MS: '60000',
    FEED_SETTLE_MS: '1000',
  });
  startedAt = Date.now();
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await server.close();
});

async function stream(lastEventId?: string): Promise<OpenStream> {
  const query = lastEventId === undefined ? '' : `?last_event_id=${encodeURIComponent(lastEventId)}`;
  const opened = await openStream(`${server.url}/api/v2/stream${query}`, { channel: 'globalStream' });
  streams.push(opened);
  await opened.waitFor((events) => events.some((e) => e.event === 'heartbeat'));
  return opened;
}

let sequence = 0;
async function ingest(count: number): Promise<string[]> {
  const items = Array.from({ length: count }, () => {
    sequence += 1;
    return {
      item_id: `wake-${sequence}`,
      ticker: 'AAPL',
      sentiment: 'positive',
      score: 0.5,
      timestamp: '2026-11-21T09:00:00Z',
    };
  });
  const response = await api.request('/api/v2/items', {
    method: 'POST',
    headers: { 'x-api-key': TEST_INGEST_KEY },
    json: { items },
  });
  expect(response.status).toBe(200);
  return items.map((i) => i.item_id);
}

async function feedPolls(): Promise<number> {
  const text = (await api.request('/metrics')).text;
  return Number(/^tickerpulse_feed_polls_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** Waits for `ids`, and checks it is still inside the first poll interval: only a wake polled. */
async function arrives(s: OpenStream, ids: readonly string[]): Promise<void> {
  await s.waitFor((events) => ids.every((id) => itemIds(events).includes(id)), 20_000);
  expect(Date.now() - startedAt).toBeLessThan(POLL_INTERVAL_MS);
}

describe('an ingest accepted by this process', () => {
  it('reaches an open stream before the next timed poll could have happened', async () => {
    const s = await stream();
    const polls = await feedPolls();
    const ids = await ingest(1);
    await arrives(s, ids);
    expect(itemIds(s.events)).toEqual(ids);
    // The ingest's own wake did it: one poll, not a wait for the interval.
    expect(await feedPolls()).toBe(polls + 1);
    expect(s.violations).toEqual([]);
  });

  it('delivers a burst of concurrent ingests once each, with at most one poll per ingest', async () => {
    const s = await stream();
    const polls = await feedPolls();
    const batches = await Promise.all(Array.from({ length: 8 }, () => ingest(3)));
    const ids = batches.flat();
    await arrives(s, ids);
    const received = itemIds(s.events);
    expect([...received].sort()).toEqual([...ids].sort());
    expect(await feedPolls()).toBeLessThanOrEqual(polls + batches.length);
    // Each item once, and each event id resumes right after it: nothing is replayed twice.
    const resumed = await stream(s.lastEventId());
    expect(itemIds(resumed.events)).toEqual([]);
    expect(s.violations).toEqual([]);
    expect(resumed.violations).toEqual([]);
  });
});

describe('an ingest that changes nothing', () => {
  it('wakes nobody: re-posts of stored items start no poll', async () => {
    const s = await stream();
    const ids = await ingest(5);
    await arrives(s, ids);
    const polls = await feedPolls();
    const items = ids.map((id) => ({
      item_id: id,
      ticker: 'AAPL',
      sentiment: 'positive',
      score: 0.5,
      timestamp: '2026-11-21T09:00:00Z',
    }));

    for (let i = 0; i < 100; i++) {
      const response = await api.request('/api/v2/items', {
        method: 'POST',
        headers: { 'x-api-key': TEST_INGEST_KEY },
        json: { items },
      });
      expect((response.body as { duplicates: number }).duplicates).toBe(5);
    }

    expect(await feedPolls()).toBe(polls);
    expect(itemIds(s.events)).toEqual(ids);
    // Still inside the first interval, so no timed poll could have run either.
    expect(Date.now() - startedAt).toBeLessThan(POLL_INTERVAL_MS);
  });
});
