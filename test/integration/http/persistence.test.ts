import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { startLocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { TEST_INGEST_KEY } from '../../support/test-server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tickerpulse-data-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** The server as `npm start` runs it (demo seeding on), on disk under `dataDir`. */
const start = () =>
  startLocalServer(
    loadConfig({ PORT: '0', DATA_DIR: dataDir, SIMULATE: '0', LOG_LEVEL: 'silent', INGEST_API_KEY: TEST_INGEST_KEY }),
    {
      logger: createLogger('silent'),
      seedDemoData: true,
    },
  );

it('keeps items, counters, cursors and configurations across a restart with DATA_DIR, and seeds only once', async () => {
  // Prepare: a first run seeds, takes an item and a configuration, and hands out a cursor.
  const first = await start();
  let url = first.url;
  const api = createApiClient(() => url);
  const cursor = ((await api.request('/api/v2/items?limit=1')).body as { cursor: string }).cursor;
  const item = {
    item_id: 'persist-1',
    ticker: 'TSLA',
    sentiment: 'neutral',
    score: 0,
    timestamp: '2026-11-21T09:00:00Z',
  };
  await api.request('/api/v2/items', {
    method: 'POST',
    headers: { 'x-api-key': TEST_INGEST_KEY },
    json: { items: [item] },
  });
  const config = await api.request('/api/v2/configurations', {
    method: 'POST',
    headers: { 'x-user-id': 'erin' },
    json: { name: 'Persisted', tickers: ['TSLA'] },
  });
  const metricsBefore = (await api.request('/api/v2/metrics')).body as { total: number };
  await first.close();

  // Act: start again on the same directory.
  const second = await start();
  url = second.url;
  const metricsAfter = (await api.request('/api/v2/metrics')).body as { total: number };
  const after = (await api.request(`/api/v2/items?after=${cursor}`)).body as { items: { item_id: string }[] };
  const list = (await api.request('/api/v2/configurations', { headers: { 'x-user-id': 'erin' } })).body as {
    configurations: unknown[];
  };
  await second.close();

  // Assess
  expect(first.seeded).toBeGreaterThan(0);
  expect(second.seeded).toBe(0);
  expect(second.tableCreated).toBe(false);
  expect(metricsAfter.total).toBe(metricsBefore.total);
  expect(after.items.map((i) => i.item_id)).toEqual(['persist-1']);
  expect(list.configurations).toEqual([config.body]);
});
