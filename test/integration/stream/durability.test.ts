import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvent } from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { startEmbeddedDynalite } from '../../../src/store/index.ts';
import { createApiClient } from '../../support/api-client.ts';
import { itemIds, openStream } from '../../support/sse-client.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';
import { freePort } from '../../support/free-port.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickerpulse-durability-'));
  dirs.push(dir);
  return dir;
};

let sequence = 0;
async function ingest(url: string, count: number): Promise<void> {
  const api = createApiClient(() => url);
  for (let sent = 0; sent < count; sent += 25) {
    const items = Array.from({ length: Math.min(25, count - sent) }, () => {
      sequence += 1;
      return {
        item_id: `dur-${sequence}`,
        ticker: 'NVDA',
        sentiment: 'positive',
        score: 0.1,
        timestamp: '2026-11-21T09:00:00Z',
      };
    });
    const response = await api.request('/api/v2/items', {
      method: 'POST',
      headers: { 'x-api-key': TEST_INGEST_KEY },
      json: { items },
    });
    expect(response.status).toBe(200);
  }
}

/** A browser-like EventSource (the `eventsource` package, WHATWG semantics) that records new_item events. */
function browserClient(url: string) {
  const es = new EventSource(url);
  const received: string[] = [];
  const violations: string[] = [];
  let lastEventId = '';
  es.addEventListener('new_item', (event) => {
    const parsed = parseEvent({ event: 'new_item', id: event.lastEventId, data: String(event.data) }, 'globalStream');
    if (!parsed.ok) violations.push(JSON.stringify(parsed.issues));
    else if (parsed.value.event === 'new_item') received.push(parsed.value.data.item_id);
    lastEventId = event.lastEventId;
  });
  const until = async (predicate: () => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out with ${received.length} items`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { es, received, violations, until, lastEventId: () => lastEventId };
}

describe('resume across server restarts (DATA_DIR)', () => {
  it('loses and repeats nothing: through automatic reconnects, and across 1,000 items ingested while away', async () => {
    const dataDir = tempDir();
    const port = String(await freePort());
    const env = { PORT: port, DATA_DIR: dataDir, POLL_INTERVAL_MS: '200', RETRY_MS: '300', FEED_SETTLE_MS: '1000' };
    let server: LocalServer = await startTestServer(env);
    const url = `http://127.0.0.1:${port}/api/v2/stream`;

    // A browser stays connected while the server restarts; EventSource reconnects by itself
    // with Last-Event-ID.
    const browser = browserClient(url);
    await new Promise((r) => setTimeout(r, 500));
    await ingest(server.url, 5);
    await browser.until(() => browser.received.length === 5);
    await server.close();
    server = await startTestServer(env);
    await new Promise((r) => setTimeout(r, 1500));
    await ingest(server.url, 5);
    await browser.until(() => browser.received.length >= 10);
    const lastId = browser.lastEventId();
    browser.es.close();

    // The client is away while the server restarts again and 1,000 items come in.
    await server.close();
    server = await startTestServer(env);
    await ingest(server.url, 1000);
    const away = Array.from({ length: 1000 }, (_, i) => `dur-${sequence - 999 + i}`);
    const returning = browserClient(`${url}?last_event_id=${encodeURIComponent(lastId)}`);
    await returning.until(() => returning.received.length >= 1000);
    await new Promise((r) => setTimeout(r, 700));
    returning.es.close();
    await server.close();

    expect(browser.received).toHaveLength(10);
    expect(new Set(browser.received).size).toBe(10);
    expect(returning.received).toHaveLength(1000);
    expect(new Set(returning.received)).toEqual(new Set(away));
    expect(browser.violations).toEqual([]);
    expect(returning.violations).toEqual([]);
  });
});

describe('store outage', () => {
  it('keeps streams open with degraded heartbeats and growing lag, then delivers what it missed, once', async () => {
    const dataDir = tempDir();
    let store = await startEmbeddedDynalite({ dataDir, access: 'any-local-process' });
    const storePort = Number(new URL(store.endpoint).port);
    const server = await startTestServer({
      DYNAMODB_ENDPOINT: store.endpoint,
      POLL_INTERVAL_MS: '1500',
      HEARTBEAT_INTERVAL_MS: '1000',
      FEED_SETTLE_MS: '1000',
    });
    const api = createApiClient(() => server.url);
    try {
      const s = await openStream(`${server.url}/api/v2/stream`, { channel: 'globalStream' });
      await s.waitFor((events) => events.some((e) => e.event === 'metrics'));

      // Items stored just before the store goes away, before the poller could read them.
      await ingest(server.url, 3);
      const missed = [`dur-${sequence - 2}`, `dur-${sequence - 1}`, `dur-${sequence}`];
      await store.close();

      await s.waitFor(
        (events) => events.filter((e) => e.event === 'heartbeat' && e.data.status === 'degraded').length >= 2,
        15_000,
      );
      const health = await api.request('/health');
      const degraded = s.events.flatMap((e) =>
        e.event === 'heartbeat' && e.data.status === 'degraded' ? [e.data.lag_ms] : [],
      );

      store = await startEmbeddedDynalite({ dataDir, port: storePort, access: 'any-local-process' });
      await s.waitFor((events) => missed.every((id) => itemIds(events).includes(id)), 20_000);
      await ingest(server.url, 1);
      await s.waitFor((events) => itemIds(events).includes(`dur-${sequence}`), 10_000);
      s.close();

      expect(health.body).toMatchObject({ status: 'degraded', store: { reachable: false } });
      expect(degraded.at(-1)).toBeGreaterThan(degraded[0] ?? Infinity);
      const delivered = itemIds(s.events);
      expect(delivered.filter((id) => missed.includes(id))).toEqual(missed.filter((id) => delivered.includes(id)));
      expect(new Set(delivered).size).toBe(delivered.length);
      expect(s.violations).toEqual([]);
    } finally {
      await server.close();
      await store.close();
    }
  });
});
