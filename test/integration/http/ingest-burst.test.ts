/**
 * A burst of concurrent valid batches through the real server (`npm start`'s, embedded store):
 * 150 and then 300 batches of 25 items with 128-character ids, all at once. Every answer is a
 * 200, or a 503/409 with a Retry-After after which a retry of the same batch is answered 200;
 * never a 500. Afterwards the items listed, the items counted by `GET /api/v2/metrics` and the
 * history total are the same number, before and after the fold, and the rows hold nothing but
 * their counts.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemInput, Metrics, MetricsHistory } from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import {
  createDynamoClients,
  type DynamoClients,
  type EmbeddedDynalite,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { FOLD_STATE_KEY, historyRowKey, hourStart, metricsRowKey } from '../../../src/store/keys.ts';
import { type ApiResponse, createApiClient } from '../../support/api-client.ts';
import { batchMaker, tickersOf } from '../../support/sentiment-batches.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const TABLE = 'ingest-burst';
/** The server's settle window (FEED_SETTLE_MS, its default). */
const SETTLE_MS = 5000;
let dynalite: EmbeddedDynalite;
let clients: DynamoClients;
let server: LocalServer;
let startCursor: string;
const api = createApiClient(() => server.url);
beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  clients = createDynamoClients(dynalite.endpoint);
  server = await startTestServer({ DYNAMODB_ENDPOINT: dynalite.endpoint, TABLE_NAME: TABLE });
  startCursor = ((await api.request('/api/v2/items?limit=1')).body as { cursor: string }).cursor;
});
afterAll(async () => {
  await server.close();
  clients.client.destroy();
  await dynalite.close();
});

async function row(key: { pk: string; sk: string }): Promise<Record<string, unknown>> {
  const { Item = {} } = await clients.documents.send(
    new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }),
  );
  return Item;
}

const batchOf = batchMaker('burst', tickersOf('B', 25), 128);

const post = (batch: readonly ItemInput[]) =>
  api.request('/api/v2/items', { method: 'POST', headers: { 'x-api-key': TEST_INGEST_KEY }, json: { items: batch } });

/** Posts `batch` until a 200, as a pipeline does; every answer on the way must be an honest retry. */
async function postUntilStored(batch: readonly ItemInput[], answers: number[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const answer: ApiResponse = await post(batch);
    answers.push(answer.status);
    if (answer.status === 200) return;
    expect([409, 503], `a burst answer: ${answer.text}`).toContain(answer.status);
    // One wait of the advised length is enough: the retry is then answered.
    expect(attempt, 'a retry after Retry-After was not answered').toBe(0);
    const seconds = Number(answer.headers.get('retry-after'));
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(8);
    await sleep(seconds * 1000);
  }
}

/**
 * Every item listed, following `after=` cursors from the start of the feed as a client drains
 * it: a page lists at most 48 items stamped within the settle window (the rest come once they
 * settle), so an empty page before `expected` items means "poll again", for a bounded while.
 */
async function listedIds(expected: number): Promise<string[]> {
  const ids: string[] = [];
  let after = startCursor;
  const giveUpAt = Date.now() + SETTLE_MS + 5000;
  for (let page = 0; page < 1000; page++) {
    const body = (await api.request(`/api/v2/items?after=${after}&limit=100`)).body as {
      items: { item_id: string }[];
      cursor: string;
    };
    ids.push(...body.items.map((item) => item.item_id));
    after = body.cursor;
    if (body.items.length > 0) continue;
    if (ids.length >= expected || Date.now() > giveUpAt) return ids;
    await sleep(250);
  }
  throw new Error('the feed did not end');
}

async function countedTotals(): Promise<{ metrics: number; history: number }> {
  const metrics = (await api.request('/api/v2/metrics')).body as Metrics;
  const history = (await api.request('/api/v2/metrics/history?bucket=5m')).body as MetricsHistory;
  return { metrics: metrics.total, history: history.buckets.reduce((sum, bucket) => sum + bucket.total, 0) };
}

describe('a burst of concurrent valid batches', () => {
  const stored: ItemInput[] = [];

  it.each([150, 300])(
    'of %i batches: every answer a 200 or an honest retry, never a 500',
    async (count) => {
      const answers: number[] = [];
      const batches = Array.from({ length: count }, () => batchOf(25));
      await Promise.all(batches.map((batch) => postUntilStored(batch, answers)));
      for (const batch of batches) stored.push(...batch);

      expect(answers.filter((status) => status >= 500 && status !== 503)).toEqual([]);
      const ids = await listedIds(stored.length);
      expect(ids.length).toBe(stored.length);
      expect(new Set(ids).size).toBe(stored.length);
      expect(await countedTotals()).toEqual({ metrics: stored.length, history: stored.length });
    },
    240_000,
  );

  it('counts the same once folded, and leaves nothing on the rows but their counts', async () => {
    await sleep(5500);
    await server.store.fold({ force: true });
    const state = await row(FOLD_STATE_KEY);
    expect(Object.keys(state).sort()).toEqual(['pk', 'sk', 'w']);
    expect(await countedTotals()).toEqual({ metrics: stored.length, history: stored.length });
    const hour = hourStart(Date.parse((stored.at(-1) as ItemInput).timestamp));
    const metrics = await row(metricsRowKey(hour));
    expect(Object.keys(metrics).sort()).toEqual(['all', 'other', 'pk', 'sk', 'tickers', 'ttl', 'wm']);
    for (const scope of ['all', { ticker: 'BA' }] as const) {
      expect(Object.keys(await row(historyRowKey(hour, scope))).sort()).toEqual(['pk', 'sk', 'slots', 'ttl', 'wm']);
    }
  }, 60_000);
});
