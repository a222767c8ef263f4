/**
 * Streams against clients that leave at the worst moment, stop reading without closing, open
 * while the store is down, or face thousands of tickers. Each test failed on the engine before
 * the fix it guards.
 */
import { decodeCursor } from '../../../src/feed/cursor.ts';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { MAX_SNAPSHOT_TICKERS, startEmbeddedDynalite, type EmbeddedDynalite } from '../../../src/store/index.ts';
import { createApiClient } from '../../support/api-client.ts';
import { itemIds, openStream, type OpenStream } from '../../support/sse-client.ts';
import { startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
let server: LocalServer;
const streams: OpenStream[] = [];
const api = createApiClient(() => server.url);

async function start(env: Record<string, string> = {}, options: { maxQueuedBytes?: number } = {}) {
  server = await startTestServer(
    {
      DYNAMODB_ENDPOINT: proxy.endpoint,
      POLL_INTERVAL_MS: '200',
      HEARTBEAT_INTERVAL_MS: '1000',
      FEED_SETTLE_MS: '500',
      ...env,
    },
    options,
  );
}

beforeEach(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  proxy = await startStoreProxy(dynalite.endpoint);
});
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await server.close();
  await proxy.close();
  await dynalite.close();
});

/** The store goes away (calls in flight too) and every call is dropped, until it is back. */
function storeDown(down: boolean) {
  proxy.hook = () => (down ? 'drop' : 'forward');
  if (down) proxy.resetConnections();
}

async function stream(path: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  const s = await openStream(`${server.url}${path}`, {
    headers,
    channel: path.includes('/configurations/') ? 'configurationStream' : 'globalStream',
  });
  streams.push(s);
  return s;
}

let sequence = 0;
const item = (ticker: string) => {
  sequence += 1;
  return {
    item_id: `hostile-${sequence}`,
    ticker,
    sentiment: 'positive',
    score: 0.5,
    timestamp: '2026-11-21T09:00:00Z',
  };
};
async function ingest(items: readonly ReturnType<typeof item>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const response = await api.request('/api/v2/items', {
      method: 'POST',
      headers: { 'x-api-key': TEST_INGEST_KEY },
      json: { items: items.slice(i, i + 25) },
    });
    expect(response.status).toBe(200);
  }
}

/** A raw client: sends the request line and headers, nothing more. */
async function rawRequest(path: string, extraHeaders = ''): Promise<Socket> {
  const { port } = new URL(server.url);
  const socket = connect({ host: '127.0.0.1', port: Number(port) });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${extraHeaders}\r\n`);
  return socket;
}

describe('a client that leaves while its stream is being authorized', () => {
  it('holds no stream slot: hundreds of them cannot lock the public stream out', async () => {
    await start({ MAX_CONNECTIONS: '3' });
    const created = await api.request('/api/v2/configurations', {
      method: 'POST',
      headers: { 'x-user-id': 'mallory' },
      json: { name: 'Leaky', tickers: ['AAPL'] },
    });
    const configId = (created.body as { config_id: string }).config_id;
    const minted = await api.request(`/api/v2/configurations/${configId}/stream-token`, {
      method: 'POST',
      headers: { 'x-user-id': 'mallory' },
    });
    const { token } = minted.body as { token: string };

    // The configuration read is slow, and every client gives up while it is under way.
    proxy.hook = (call) => (call.operation === 'GetItem' ? { delayMs: 150 } : 'forward');
    const readsBefore = proxy.completed('GetItem');
    const leavers = 30;
    await Promise.all(
      Array.from({ length: leavers }, async (_, i) => {
        // Half with the stream token in the URL, half with the user in a header.
        const socket =
          i % 2 === 0
            ? await rawRequest(`/api/v2/configurations/${configId}/stream?token=${encodeURIComponent(token)}`)
            : await rawRequest(`/api/v2/configurations/${configId}/stream`, 'X-User-ID: mallory\r\n');
        await sleep(20);
        socket.destroy();
      }),
    );
    await expect.poll(() => proxy.completed('GetItem') - readsBefore, { timeout: 10_000 }).toBeGreaterThanOrEqual(15);
    proxy.hook = () => 'forward';
    await sleep(300); // whatever the server does after those reads, it has done by now

    const s = await stream('/api/v2/stream');
    expect(s.status).toBe(200);
    expect(server.hub.size).toBe(1);
    s.close();
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(0);
  });
});

describe('a stream opened while the store is down', () => {
  it('opens with a degraded heartbeat and no snapshot, stays open, and gets the snapshot once the store is back', async () => {
    await start();
    await ingest([item('AAPL')]);
    storeDown(true);
    await expect
      .poll(async () => (await api.request('/metrics')).text.match(/tickerpulse_feed_poll_errors_total (\d+)/)?.[1])
      .not.toBe('0');

    const s = await stream('/api/v2/stream');
    await s.waitFor((events) => events.filter((e) => e.event === 'heartbeat').length >= 2, 10_000);
    expect(s.status).toBe(200);
    expect(s.events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'fresh' } });
    expect(s.events[1]).toMatchObject({ event: 'heartbeat', data: { status: 'degraded' } });
    expect(s.events.some((e) => e.event === 'metrics')).toBe(false);

    storeDown(false);
    await s.waitFor((events) => events.some((e) => e.event === 'metrics'), 10_000);
    const later = item('MSFT');
    await ingest([later]);
    await s.waitFor((events) => itemIds(events).includes(later.item_id), 10_000);
    expect(s.events.filter((e) => e.event === 'metrics')[0]).toMatchObject({ data: { total: 1 } });
    expect(s.violations).toEqual([]);
  });

  it('opens from the snapshot of the last poll when there is one', async () => {
    await start();
    await ingest([item('AAPL'), item('NVDA')]);
    const before = await stream('/api/v2/stream');
    await before.waitFor((events) => events.some((e) => e.event === 'metrics' && e.data.total === 2), 10_000);
    storeDown(true);

    const s = await stream('/api/v2/stream');
    await s.waitFor((events) => events.some((e) => e.event === 'heartbeat'), 10_000);

    expect(s.events.map((e) => e.event).slice(0, 2)).toEqual(['stream_open', 'metrics']);
    expect(s.events[1]).toMatchObject({ data: { total: 2 } });
    expect(s.violations).toEqual([]);
  });

  it('tells a resuming client to reconnect from its own cursor when the replay cannot read', async () => {
    await start();
    await ingest([item('AAPL')]);
    const first = await stream('/api/v2/stream');
    await first.waitFor((events) => events.some((e) => e.event === 'metrics'), 10_000);
    const cursor = first.lastEventId() ?? '';
    first.close();
    storeDown(true);

    const s = await stream('/api/v2/stream', { 'last-event-id': cursor });
    await s.ended;

    const reconnect = s.events.find((e) => e.event === 'reconnect');
    expect(reconnect).toMatchObject({ data: { reason: 'store_unavailable' } });
    // From the client's own position, with an id of its own.
    expect(decodeCursor(reconnect?.id ?? '')).toEqual(decodeCursor(cursor));
    expect(s.events.at(-1)?.event).toBe('reconnect');
    expect(s.violations).toEqual([]);
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(0);
  });

  it('refuses a configuration stream with 503 and Retry-After before the first byte', async () => {
    await start();
    const created = await api.request('/api/v2/configurations', {
      method: 'POST',
      headers: { 'x-user-id': 'olivia' },
      json: { name: 'Down', tickers: ['AAPL'] },
    });
    const configId = (created.body as { config_id: string }).config_id;
    storeDown(true);

    const s = await stream(`/api/v2/configurations/${configId}/stream`, { 'x-user-id': 'olivia' });

    expect(s.status).toBe(503);
    expect(s.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(s.headers.get('content-type')).toContain('application/problem+json');
    expect(server.hub.size).toBe(0);
  });
});

describe('a peer that stops reading and never closes', () => {
  it('is dropped once its socket has taken nothing for three heartbeat intervals, whatever its queue', async () => {
    // The embedded store (no proxy) for speed; a queue limit far away, so only the stall timeout
    // can free this stream.
    server = await startTestServer(
      { POLL_INTERVAL_MS: '100', HEARTBEAT_INTERVAL_MS: '1000', FEED_SETTLE_MS: '500' },
      { maxQueuedBytes: 256 * 1024 * 1024 },
    );
    const socket = await rawRequest('/api/v2/stream');
    socket.pause();
    await expect.poll(() => server.hub.size, { timeout: 5000 }).toBe(1);

    // Keep the stream busy until the kernel's buffers are full and the socket takes nothing.
    const deadline = Date.now() + 100_000;
    const busy = async () => {
      while (server.hub.size > 0 && Date.now() < deadline) {
        await ingest(Array.from({ length: 25 }, () => ({ ...item(`T${sequence % 7}`), source: 'x'.repeat(64) })));
      }
    };
    await Promise.all([busy(), busy(), busy()]);
    const metrics = (await api.request('/metrics')).text;
    socket.destroy();

    expect(server.hub.size).toBe(0);
    expect(metrics).toMatch(/tickerpulse_stream_connections_closed_total\{stream="global",reason="stalled"\} 1/);
    expect(metrics).toMatch(/tickerpulse_stream_slow_consumer_disconnects_total 0/);
  }, 120_000);
});

describe('thousands of tickers', () => {
  it('opens with at most the most active tickers, and still updates any ticker that gets an item', async () => {
    await start();
    const tickers = Array.from({ length: MAX_SNAPSHOT_TICKERS + 50 }, (_, i) => `Z${i.toString().padStart(4, '0')}`);
    // The first ten are the most active: two items each.
    await ingest([...tickers.map(item), ...tickers.slice(0, 10).map(item)]);

    const s = await stream('/api/v2/stream');
    await s.waitFor((events) => events.some((e) => e.event === 'heartbeat'), 10_000);
    const opening = s.events.flatMap((e) => (e.event === 'sentiment_update' ? [e.data.ticker] : []));
    const metrics = s.events.find((e) => e.event === 'metrics');

    expect(opening).toHaveLength(MAX_SNAPSHOT_TICKERS);
    expect(opening).toEqual(expect.arrayContaining(tickers.slice(0, 10)));
    expect(metrics?.event === 'metrics' ? Object.keys(metrics.data.by_tag) : []).toHaveLength(MAX_SNAPSHOT_TICKERS);
    expect(metrics).toMatchObject({ data: { total: tickers.length + 10 } });

    // A new ticker with one item is far from the most active, yet its clients see it move.
    const quiet = 'ZZZZ';
    await ingest([item(quiet)]);
    await s.waitFor(
      (events) => events.some((e) => e.event === 'sentiment_update' && e.data.ticker === quiet && e.data.total === 1),
      10_000,
    );
    expect(s.violations).toEqual([]);
  });
});
