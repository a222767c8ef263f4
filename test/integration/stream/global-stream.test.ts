import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { itemIds, type OpenStream, openStream } from '../../support/sse-client.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const STREAM_ENV = { POLL_INTERVAL_MS: '200', HEARTBEAT_INTERVAL_MS: '1000', RETRY_MS: '1500', FEED_SETTLE_MS: '1000' };

let server: LocalServer;
const api = createApiClient(() => server.url);
const streams: OpenStream[] = [];
beforeAll(async () => {
  server = await startTestServer(STREAM_ENV);
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await server.close();
});

async function stream(query = '', headers: Record<string, string> = {}): Promise<OpenStream> {
  const opened = await openStream(`${server.url}/api/v2/stream${query}`, { headers, channel: 'globalStream' });
  streams.push(opened);
  return opened;
}

let sequence = 0;
async function ingest(count: number, ticker = 'AAPL'): Promise<string[]> {
  const items = Array.from({ length: count }, () => {
    sequence += 1;
    return {
      item_id: `stream-${sequence}`,
      ticker,
      sentiment: 'positive',
      score: 0.5,
      timestamp: '2026-11-21T09:00:00Z',
    };
  });
  for (let i = 0; i < items.length; i += 25) {
    const response = await api.request('/api/v2/items', {
      method: 'POST',
      headers: { 'x-api-key': TEST_INGEST_KEY },
      json: { items: items.slice(i, i + 25) },
    });
    expect(response.status).toBe(200);
  }
  return items.map((i) => i.item_id);
}

const of = <N extends StreamEvent['event']>(events: readonly StreamEvent[], name: N) =>
  events.filter((e): e is Extract<StreamEvent, { event: N }> => e.event === name);

describe('the global stream', () => {
  it('answers with the SSE headers, uncompressed, even when the client accepts gzip', async () => {
    const s = await stream('', { 'accept-encoding': 'gzip, br' });
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(s.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(s.headers.get('x-accel-buffering')).toBe('no');
    expect(s.headers.get('content-encoding')).toBeNull();
    // An endless body: delimited by the connection's close (the lean path), never by a length.
    expect(s.headers.get('content-length')).toBeNull();
    s.close();
  });

  it('opens with retry, stream_open (fresh), a metrics snapshot and the ticker aggregates', async () => {
    await ingest(1, 'MSFT');
    const s = await stream();
    await s.waitFor((events) => events.some((e) => e.event === 'metrics'));
    expect(s.retries[0]).toBe(1500);
    expect(s.events[0]).toMatchObject({
      event: 'stream_open',
      data: { outcome: 'fresh', retry_ms: 1500, heartbeat_interval_ms: 1000 },
    });
    expect(s.events[1]?.event).toBe('metrics');
    await s.waitFor((events) => of(events, 'sentiment_update').some((e) => e.data.ticker === 'MSFT'));
    expect(s.violations).toEqual([]);
    s.close();
  });

  it('delivers each ingested item once, with metrics and the ticker aggregate that changed', async () => {
    const s = await stream();
    await s.waitFor((events) => events.some((e) => e.event === 'metrics'));
    const before = of(s.events, 'metrics').at(-1)?.data.total ?? 0;

    const ids = await ingest(3, 'TSLA');
    await s.waitFor((events) => ids.every((id) => itemIds(events).includes(id)));
    await s.waitFor((events) => (of(events, 'metrics').at(-1)?.data.total ?? 0) === before + 3);

    // Feed order: arrival stamp, then item id (one batch often shares a millisecond).
    // (A fresh stream also gets items stored just before it connected that the poller had not read yet.)
    expect(
      itemIds(s.events)
        .filter((id) => ids.includes(id))
        .sort(),
    ).toEqual([...ids].sort());
    expect(of(s.events, 'sentiment_update').some((e) => e.data.ticker === 'TSLA')).toBe(true);
    expect(s.violations).toEqual([]);
    s.close();
  });

  it('resumes from any event id with no gap and no duplicate', async () => {
    const s = await stream();
    const ids = await ingest(6);
    await s.waitFor((events) => ids.every((id) => itemIds(events).includes(id)));
    // The order the stream delivered them in (the feed's), which a resume must continue.
    const seen = itemIds(s.events).filter((id) => ids.includes(id));
    const third = s.events.find((e) => e.event === 'new_item' && e.data.item_id === seen[2]);
    s.close();

    const resumed = await stream(`?last_event_id=${third?.id ?? ''}`);
    await resumed.waitFor((events) => seen.slice(3).every((id) => itemIds(events).includes(id)));

    expect(resumed.events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'resumed' } });
    expect(itemIds(resumed.events)).toEqual(seen.slice(3));
    expect(resumed.violations).toEqual([]);
    resumed.close();
  });

  it('gives every event an id of its own, and resumes from any of them (mid-batch, a heartbeat) with what came after it', async () => {
    const s = await stream();
    const ids = await ingest(5);
    await s.waitFor((events) => ids.every((id) => itemIds(events).includes(id)));
    // A heartbeat after the batch, so that one of them is among the ids resumed from.
    const seenBefore = s.events.length;
    await s.waitFor((events) => events.slice(seenBefore).some((e) => e.event === 'heartbeat'));
    s.close();
    const { events } = s;
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(new Set(events.map((e) => e.event))).toEqual(
      new Set(['stream_open', 'metrics', 'sentiment_update', 'heartbeat', 'new_item']),
    );

    const batchStart = events.findIndex((e) => e.event === 'new_item' && ids.includes(e.data.item_id));
    for (const [index, event] of events.entries()) {
      if (index < batchStart - 1) continue;
      const after = itemIds(events.slice(index + 1)).filter((id) => ids.includes(id));
      const resumed = await stream(`?last_event_id=${encodeURIComponent(event.id)}`);
      // Whatever came after this event, then one more heartbeat: nothing is left to arrive.
      await resumed.waitFor((got) => got.filter((e) => e.event === 'heartbeat').length >= 2);
      expect(
        itemIds(resumed.events).filter((id) => ids.includes(id)),
        `resumed from ${event.event}`,
      ).toEqual(after);
      expect(resumed.violations).toEqual([]);
      resumed.close();
    }
  });

  it('prefers the Last-Event-ID header over the query', async () => {
    const s = await stream();
    const ids = await ingest(2);
    await s.waitFor((events) => ids.every((id) => itemIds(events).includes(id)));
    const seen = itemIds(s.events).filter((id) => ids.includes(id));
    const first = s.events.find((e) => e.event === 'new_item' && e.data.item_id === seen[0]);
    s.close();

    const resumed = await stream('?last_event_id=garbage', { 'last-event-id': first?.id ?? '' });
    await resumed.waitFor((events) => itemIds(events).includes(seen[1] ?? ''));
    expect(itemIds(resumed.events)).toEqual([seen[1]]);
    resumed.close();
  });

  it.each([
    ['malformed', 'not-a-cursor'],
    ['unknown version', '9.abc'],
    ['expired', `1.${(Date.now() - 10 * 86_400_000).toString(36)}`],
    ['framing injection', '1.abc\n\nevent: evil\ndata: {}'],
    ['CR injection', '1.abc\revent: evil'],
  ])('starts from the current state for a %s id, never with an error', async (_name, id) => {
    const s = await stream(`?last_event_id=${encodeURIComponent(id)}`);
    await s.waitFor((events) => events.some((e) => e.event === 'metrics'));
    expect(s.status).toBe(200);
    expect(s.events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'reset' } });
    expect(s.violations).toEqual([]);
    s.close();
  });

  it('sends heartbeats with freshness and the current cursor as id', async () => {
    const s = await stream();
    await s.waitFor((events) => events.some((e) => e.event === 'heartbeat'), 5000);
    const heartbeat = of(s.events, 'heartbeat')[0];
    expect(heartbeat?.data).toMatchObject({ status: 'ok' });
    expect(heartbeat?.data.connections).toBeGreaterThanOrEqual(1);
    expect(heartbeat?.data.lag_ms).toBeLessThan(60_000);
    expect(heartbeat?.id).toMatch(/^2\./);
    s.close();
  });

  it('refuses a client that does not accept text/event-stream with 406', async () => {
    const response = await api.request('/api/v2/stream', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(406);
  });

  it('refuses unknown query parameters with 400', async () => {
    const response = await api.request('/api/v2/stream?since=yesterday', { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(400);
  });

  it('answers HEAD with the stream headers and no body', async () => {
    const response = await fetch(`${server.url}/api/v2/stream`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('exposes its counters at /metrics, with store requests per poll independent of connections', async () => {
    const read = async () => {
      const text = (await api.request('/metrics')).text;
      const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
      return { polls: value('tickerpulse_feed_polls_total'), requests: value('tickerpulse_feed_store_requests_total') };
    };
    const perPoll = async () => {
      const a = await read();
      await new Promise((r) => setTimeout(r, 1200));
      const b = await read();
      return (b.requests - a.requests) / (b.polls - a.polls);
    };
    // With no stream open the hub reads no counters; compare one connection with forty.
    const one = await stream();
    const alone = await perPoll();
    const many = await Promise.all(Array.from({ length: 39 }, () => stream()));
    const crowded = await perPoll();
    for (const s of [one, ...many]) s.close();
    // Polling per connection would make this 40 or more; a shared poller keeps it at a few reads
    // (one feed Query per hour bucket, the counters' day partitions), whatever the connections.
    expect(crowded).toBeLessThan(alone + 1);
    expect(crowded).toBeLessThan(6);
  });
});

describe('capacity and shutdown', () => {
  it('answers 503 with Retry-After over MAX_CONNECTIONS, and counts the rejection', async () => {
    const small = await startTestServer({ ...STREAM_ENV, MAX_CONNECTIONS: '2' });
    const smallApi = createApiClient(() => small.url);
    try {
      const open = [await openStream(`${small.url}/api/v2/stream`), await openStream(`${small.url}/api/v2/stream`)];
      const refused = await smallApi.request('/api/v2/stream', { headers: { accept: 'text/event-stream' } });
      const metrics = (await smallApi.request('/metrics')).text;
      for (const s of open) s.close();

      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(refused.body).toMatchObject({ type: '/problems/at-capacity', status: 503 });
      expect(metrics).toMatch(/tickerpulse_stream_rejections_total\{reason="capacity"\} 1/);
    } finally {
      await small.close();
    }
  });

  it('ends every stream with a reconnect hint and retry when the server shuts down', async () => {
    const doomed = await startTestServer(STREAM_ENV);
    const s = await openStream(`${doomed.url}/api/v2/stream`, { channel: 'globalStream' });
    await s.waitFor((events) => events.some((e) => e.event === 'metrics'));

    await doomed.close();
    await s.ended;

    const last = s.events.at(-1);
    expect(last).toMatchObject({ event: 'reconnect', data: { reason: 'shutdown' } });
    expect(s.retries.at(-1)).toBe(last?.event === 'reconnect' ? last.data.retry_ms : -1);
    expect(s.violations).toEqual([]);
  });
});
