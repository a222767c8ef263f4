import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { itemIds, type OpenStream, openStream } from '../../support/sse-client.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

let server: LocalServer;
const api = createApiClient(() => server.url);
const open: OpenStream[] = [];
beforeAll(async () => {
  server = await startTestServer({ POLL_INTERVAL_MS: '200', HEARTBEAT_INTERVAL_MS: '1000', FEED_SETTLE_MS: '1000' });
});
afterAll(async () => {
  for (const s of open) s.close();
  await server.close();
});

const asUser = (userId: string) => ({ 'x-user-id': userId });

async function configuration(userId: string, name: string, tickers: string[]): Promise<string> {
  const response = await api.request('/api/v2/configurations', {
    method: 'POST',
    headers: asUser(userId),
    json: { name, tickers },
  });
  return (response.body as { config_id: string }).config_id;
}

async function stream(path: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  const s = await openStream(`${server.url}${path}`, { headers, channel: 'configurationStream' });
  open.push(s);
  return s;
}

let sequence = 0;
async function ingest(...tickers: string[]): Promise<string[]> {
  const items = tickers.map((ticker) => {
    sequence += 1;
    return { item_id: `cfg-${sequence}`, ticker, sentiment: 'neutral', score: 0, timestamp: '2026-11-21T09:00:00Z' };
  });
  await api.request('/api/v2/items', { method: 'POST', headers: { 'x-api-key': TEST_INGEST_KEY }, json: { items } });
  return items.map((i) => i.item_id);
}

describe("a configuration's stream", () => {
  it("carries only the configuration's tickers, in items and in metrics", async () => {
    const id = await configuration('olivia', 'Apple only', ['AAPL']);
    const s = await stream(`/api/v2/configurations/${id}/stream`, asUser('olivia'));
    await s.waitFor((events) => events.some((e) => e.event === 'metrics'));

    const [apple, tesla, apple2] = await ingest('AAPL', 'TSLA', 'AAPL');
    await s.waitFor((events) => [apple, apple2].every((x) => itemIds(events).includes(x ?? '')));

    expect(itemIds(s.events)).not.toContain(tesla);
    for (const event of s.events) {
      if (event.event === 'metrics') expect(Object.keys(event.data.by_tag).every((t) => t === 'AAPL')).toBe(true);
      if (event.event === 'sentiment_update') expect(event.data.ticker).toBe('AAPL');
    }
    expect(s.violations).toEqual([]);
  });

  it('opens with a stream token from the stream-token endpoint (what a browser EventSource uses)', async () => {
    const id = await configuration('paul', 'Token', ['NVDA']);
    const token = (
      (await api.request(`/api/v2/configurations/${id}/stream-token`, { method: 'POST', headers: asUser('paul') }))
        .body as {
        token: string;
      }
    ).token;

    const s = await stream(`/api/v2/configurations/${id}/stream?token=${token}`);
    const [nvda] = await ingest('NVDA');
    await s.waitFor((events) => itemIds(events).includes(nvda ?? ''));
    expect(s.status).toBe(200);
  });

  it('applies an edit to the open stream within a poll interval', async () => {
    const id = await configuration('quinn', 'Editable', ['MSFT']);
    const s = await stream(`/api/v2/configurations/${id}/stream`, asUser('quinn'));
    await s.waitFor((events) => events.some((e) => e.event === 'metrics'));

    await api.request(`/api/v2/configurations/${id}`, {
      method: 'PUT',
      headers: asUser('quinn'),
      json: { name: 'Editable', tickers: ['AMZN'] },
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const [msft, amzn] = await ingest('MSFT', 'AMZN');
    await s.waitFor((events) => itemIds(events).includes(amzn ?? ''));

    expect(itemIds(s.events)).not.toContain(msft);
  });

  it('ends with stream_closed when the configuration is deleted', async () => {
    const id = await configuration('rosa', 'Short-lived', ['GOOGL']);
    const s = await stream(`/api/v2/configurations/${id}/stream`, asUser('rosa'));
    await s.waitFor((events) => events.some((e) => e.event === 'metrics'));

    await api.request(`/api/v2/configurations/${id}`, { method: 'DELETE', headers: asUser('rosa') });
    await s.ended;

    expect(s.events.at(-1)).toMatchObject({ event: 'stream_closed', data: { reason: 'configuration_deleted' } });
  });

  describe('refusals, before any stream byte', () => {
    let owned = '';
    let other = '';
    let token = '';
    it('prepares two configurations and a token', async () => {
      owned = await configuration('sam', 'Mine', ['AAPL']);
      other = await configuration('sam', 'Other', ['TSLA']);
      token = (
        (await api.request(`/api/v2/configurations/${owned}/stream-token`, { method: 'POST', headers: asUser('sam') }))
          .body as {
          token: string;
        }
      ).token;
      expect(token).not.toBe('');
    });

    type Refusal = [name: string, make: () => [path: string, headers: Record<string, string>], status: number];
    const refusals: Refusal[] = [
      ['no credentials', () => [`/api/v2/configurations/${owned}/stream`, {}], 401],
      ["someone else's configuration", () => [`/api/v2/configurations/${owned}/stream`, asUser('tom')], 404],
      [
        'an unknown configuration',
        () => ['/api/v2/configurations/7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23/stream', asUser('sam')],
        404,
      ],
      ['an id that is not a UUID', () => ['/api/v2/configurations/x/stream', asUser('sam')], 400],
      ['a token for another configuration', () => [`/api/v2/configurations/${other}/stream?token=${token}`, {}], 401],
      ['a forged token', () => [`/api/v2/configurations/${owned}/stream?token=${token.slice(0, -4)}AAAA`, {}], 401],
      ['a token with a line break', () => [`/api/v2/configurations/${owned}/stream?token=a.b%0Aevent:%20x.c`, {}], 401],
      ['a user JWT as a stream token', () => [`/api/v2/configurations/${owned}/stream?token=e30.e30.e30`, {}], 401],
    ];
    it.each(refusals)('answers %s with a problem', async (_name, make, status) => {
      const [path, headers] = make();
      const response = await api.request(path, { headers: { accept: 'text/event-stream', ...headers } });
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });
  });
});
