/**
 * The typed REST client (`tickerpulse/client`, createRestClient) against the real server, directly
 * and through `prism proxy --errors` (which turns any answer off the contract into a 500 with
 * `sl-violations`): every operation a frontend uses, its typed data and its typed problem; the
 * two stream paths are not on it. And the package export itself, as Node 24 resolves it.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createRestClient, type RestClient } from 'tickerpulse/client';
import type { components } from '../../../generated/openapi/schema.d.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { type PrismProxy, startPrismProxy } from '../../support/prism-proxy.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

type Schemas = components['schemas'];

let server: LocalServer;
let prism: PrismProxy;

beforeAll(async () => {
  server = await startTestServer();
  prism = await startPrismProxy(server.url);
}, 60_000);
afterAll(async () => {
  await prism.close();
  await server.close();
});

/** A client that also records any `sl-violations` Prism reports (there must be none). */
function clientFor(baseUrl: string, headers: Record<string, string>, violations: string[]): RestClient {
  const client = createRestClient({ baseUrl, headers });
  client.use({
    onResponse: ({ response, request }) => {
      const reported = response.headers.get('sl-violations');
      if (reported !== null) violations.push(`${request.method} ${request.url}: ${reported}`);
    },
  });
  return client;
}

describe.each([
  { target: 'the real server', url: () => server.url },
  { target: 'the real server behind prism proxy --errors', url: () => prism.url },
])('createRestClient() against $target', ({ url }) => {
  it('ingests, reads items and metrics, with typed data', async () => {
    const violations: string[] = [];
    const pipeline = clientFor(url(), { 'x-api-key': TEST_INGEST_KEY }, violations);
    const reader = clientFor(url(), {}, violations);
    const itemId = `rest-client-${process.pid}-${Date.now()}`;
    const timestamp = new Date().toISOString();

    const ingested = await pipeline.POST('/api/v2/items', {
      body: { items: [{ item_id: itemId, ticker: 'NVDA', sentiment: 'negative', score: -0.4, timestamp }] },
    });
    expect(ingested.response.status).toBe(200);
    expectTypeOf(ingested.data).toEqualTypeOf<Schemas['IngestResult'] | undefined>();

    const page = await reader.GET('/api/v2/items', { params: { query: { ticker: 'NVDA', limit: 5 } } });
    expect(page.error).toBeUndefined();
    expectTypeOf(page.data).toEqualTypeOf<Schemas['ItemPage'] | undefined>();
    expect(page.data?.items.map((item) => item.item_id)).toContain(itemId);

    const metrics = await reader.GET('/api/v2/metrics');
    expect(metrics.data?.total).toBeGreaterThanOrEqual(1);
    expect(metrics.data?.by_tag.NVDA).toBeGreaterThanOrEqual(1);

    const health = await reader.GET('/health');
    expect(health.response.status).toBe(200);
    expect(violations).toEqual([]);
  });

  it('creates, reads, replaces and deletes a configuration, and gets a stream token', async () => {
    const violations: string[] = [];
    const owner = clientFor(url(), { 'x-user-id': `rest-client-${process.pid}` }, violations);
    const created = await owner.POST('/api/v2/configurations', { body: { name: 'Chips', tickers: ['NVDA', 'AMD'] } });
    expect(created.response.status).toBe(201);
    const configId = created.data?.config_id ?? '';
    const path = { params: { path: { config_id: configId } } };

    expect((await owner.GET('/api/v2/configurations/{config_id}', path)).data?.tickers).toEqual(['NVDA', 'AMD']);
    const replaced = await owner.PUT('/api/v2/configurations/{config_id}', {
      ...path,
      body: { name: 'Chips', tickers: ['NVDA'] },
    });
    expect(replaced.data?.tickers).toEqual(['NVDA']);
    const listed = await owner.GET('/api/v2/configurations');
    expect(listed.data?.configurations.map((c) => c.config_id)).toContain(configId);
    const token = await owner.POST('/api/v2/configurations/{config_id}/stream-token', path);
    expectTypeOf(token.data).toEqualTypeOf<Schemas['StreamToken'] | undefined>();
    expect(token.data?.token).toEqual(expect.any(String));
    expect((await owner.DELETE('/api/v2/configurations/{config_id}', path)).response.status).toBe(204);
    expect(violations).toEqual([]);
  });

  it('returns the contract problem as a typed error', async () => {
    const violations: string[] = [];
    const stranger = clientFor(url(), { 'x-user-id': 'nobody' }, violations);
    const missing = await stranger.GET('/api/v2/configurations/{config_id}', {
      params: { path: { config_id: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.data).toBeUndefined();
    expect(missing.error?.status).toBe(404);
    expect(missing.error?.type).toEqual(expect.any(String));
    expect(violations).toEqual([]);
  });
});

it('types paths, parameters and bodies from the contract, and leaves the stream paths out', () => {
  const typesOnly = async (client: RestClient): Promise<void> => {
    // @ts-expect-error -- the streams are served by subscribe(), not by the REST client
    await client.GET('/api/v2/stream');
    // @ts-expect-error -- the same for a configuration's stream
    await client.GET('/api/v2/configurations/{config_id}/stream', { params: { path: { config_id: 'x' } } });
    const unknownSentiment = { item_id: 'a', ticker: 'A', sentiment: 'great', score: 0, timestamp: '' } as const;
    // @ts-expect-error -- `sentiment` takes the contract's three values only
    await client.POST('/api/v2/items', { body: { items: [unknownSentiment] } });
    // @ts-expect-error -- listItems has no `order` parameter
    await client.GET('/api/v2/items', { params: { query: { order: 'asc' } } });
  };
  expect(typeof typesOnly).toBe('function');
});

it('is exported as tickerpulse/client and loads in Node 24 by that name', async () => {
  const root = resolve(import.meta.dirname, '../../..');
  const script = "const c = await import('tickerpulse/client'); console.log(Object.keys(c).sort().join(','));";
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    timeout: 20_000,
  });
  expect(stdout.trim()).toBe(
    'CLIENT_LIMITS,StreamLimitError,StreamRefusedError,createRestClient,isLambdaThrottle,isProblem,subscribe',
  );
});
