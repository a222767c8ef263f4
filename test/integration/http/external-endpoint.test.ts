import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../../src/store/index.ts';
import { createApiClient } from '../../support/api-client.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

// A standalone dynalite stands in for any DynamoDB-compatible endpoint (DynamoDB Local, AWS).
let external: EmbeddedDynalite;
beforeAll(async () => {
  external = await startEmbeddedDynalite({ access: 'any-local-process' });
});
afterAll(async () => {
  await external.close();
});

it('uses DYNAMODB_ENDPOINT instead of the embedded store, creating the table once', async () => {
  const env = { DYNAMODB_ENDPOINT: external.endpoint, TABLE_NAME: 'external-table' };
  const first = await startTestServer(env);
  let url = first.url;
  const api = createApiClient(() => url);
  const item = {
    item_id: 'ext-1',
    ticker: 'AMZN',
    sentiment: 'negative',
    score: -0.3,
    timestamp: '2026-11-21T09:00:00Z',
  };
  await api.request('/api/v2/items', {
    method: 'POST',
    headers: { 'x-api-key': TEST_INGEST_KEY },
    json: { items: [item] },
  });
  await first.close();

  const second = await startTestServer(env);
  url = second.url;
  const items = (await api.request('/api/v2/items')).body as { items: { item_id: string }[] };
  await second.close();

  expect(first.tableCreated).toBe(true);
  expect(first.storeDescription).toBe(external.endpoint);
  expect(second.tableCreated).toBe(false);
  expect(items.items.map((i) => i.item_id)).toEqual(['ext-1']);
});
