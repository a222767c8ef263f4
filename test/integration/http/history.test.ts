/**
 * `GET /api/v2/metrics/history` through the real server on real dynalite: every bucket agrees
 * with the items `GET /api/v2/items` lists (the same ticker, or all), counted by `timestamp` with
 * the documented rules, after items across bucket boundaries, retries of the same batch, a
 * conflicting re-post, and an ingest whose writer crashed part-way and was retried through the
 * API. Hostile queries are 400 problems. Every answer is checked against the contract.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, ItemInput, MetricsHistory } from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import {
  createDynamoClients,
  createStore,
  type DynamoClients,
  type EmbeddedDynalite,
  ensureTable,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { type ApiClient, type ApiResponse, createApiClient } from '../../support/api-client.ts';
import { createHaltingClients, WriterCrashed } from '../../support/halting-client.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const TABLE = 'history-http';
const MIN = 60_000;
const HOUR = 60 * MIN;
const BUCKET_MS = { '5m': 5 * MIN, '1h': HOUR } as const;
const TICKERS = ['HXA', 'HXB', 'HXC'] as const;
const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;
const run = Math.random().toString(36).slice(2, 8);

let dynalite: EmbeddedDynalite;
let clients: DynamoClients;
let server: LocalServer;
let api: ApiClient;
let sequence = 0;

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  clients = createDynamoClients(dynalite.endpoint);
  await ensureTable(clients.client, TABLE);
  server = await startTestServer({ DYNAMODB_ENDPOINT: dynalite.endpoint, TABLE_NAME: TABLE });
  api = createApiClient(() => server.url);
});
afterAll(async () => {
  await server.close();
  clients.client.destroy();
  await dynalite.close();
});

/**
 * Publication offsets around `base` (now): both sides of a 5-minute, an hour and a day boundary,
 * the edges of both windows, a little ahead of the clock, and two that are never counted (more
 * than 24 h before arrival, 10 minutes ahead).
 */
function timestamps(base: number): number[] {
  const five = Math.floor(base / BUCKET_MS['5m']) * BUCKET_MS['5m'] - 10 * MIN;
  const hour = Math.floor(base / HOUR) * HOUR - 2 * HOUR;
  const day = Math.floor(base / (24 * HOUR)) * 24 * HOUR;
  return [
    ...[five - 1, five, five + 1],
    ...[hour - 1, hour, hour + 1],
    ...[day - 1, day],
    base - 3 * HOUR + 30_000,
    base - 23.5 * HOUR,
    base - 24 * HOUR - MIN,
    base - 1000,
    base + 2 * MIN,
    base + 10 * MIN,
  ];
}

function itemsOf(ticker: string, base: number): ItemInput[] {
  return timestamps(base).map((ms, i) => {
    sequence += 1;
    return {
      item_id: `hist-${run}-${sequence}`,
      ticker,
      sentiment: SENTIMENTS[(i + sequence) % 3] as (typeof SENTIMENTS)[number],
      // Multiples of 1/8: sums are exact, so averages compare to the last digit.
      score: ((sequence % 17) - 8) / 8,
      timestamp: new Date(ms).toISOString(),
    };
  });
}

const post = (items: readonly ItemInput[]) =>
  api.request('/api/v2/items', { method: 'POST', headers: { 'x-api-key': TEST_INGEST_KEY }, json: { items } });

/** Posts `items` as a pipeline does (waiting Retry-After) until a 200; returns the statuses. */
async function postUntilOk(items: readonly ItemInput[]): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    expect(attempt, 'no 200 after 10 attempts').toBeLessThan(10);
    const answer: ApiResponse = await post(items);
    if (answer.status === 200) return (answer.body as { results: { status: string }[] }).results.map((r) => r.status);
    expect([409, 503]).toContain(answer.status);
    await sleep(Number(answer.headers.get('retry-after')) * 1000);
  }
}

/** Every item `GET /api/v2/items` lists for `ticker` (all without it), following every page. */
async function listed(ticker?: string): Promise<Item[]> {
  const items: Item[] = [];
  let page: string | null = null;
  for (let pages = 0; ; pages++) {
    expect(pages, 'the listing did not end').toBeLessThan(20);
    const query = new URLSearchParams({ limit: '100', ...(ticker ? { ticker } : {}), ...(page ? { page } : {}) });
    const answer = await api.request(`/api/v2/items?${query.toString()}`);
    expect(answer.status).toBe(200);
    const body = answer.body as { items: Item[]; next_cursor: string | null };
    items.push(...body.items);
    page = body.next_cursor;
    if (page === null) return items;
  }
}

/** The documented rule, written out independently: published at most 24 h before, 5 min after arrival. */
const counts = (item: Item): boolean => {
  const published = Date.parse(item.timestamp);
  const arrived = Date.parse(item.ingested_at);
  return published >= arrived - 24 * HOUR && published <= arrived + 5 * MIN;
};

async function expectAgreement(bucket: '5m' | '1h', ticker?: string): Promise<number> {
  const asked = Date.now();
  const answer = await api.request(`/api/v2/metrics/history?bucket=${bucket}${ticker ? `&ticker=${ticker}` : ''}`);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('cache-control')).toBe('no-store');
  const history = answer.body as MetricsHistory;
  const size = BUCKET_MS[bucket];
  expect(history.bucket).toBe(bucket);
  expect(history.buckets).toHaveLength(bucket === '5m' ? 36 : 24);
  const first = Date.parse(history.buckets[0]?.start ?? '');
  expect(first % size).toBe(0);
  expect(history.buckets.map((b) => Date.parse(b.start))).toEqual(history.buckets.map((_, i) => first + i * size));
  const last = first + (history.buckets.length - 1) * size;
  expect(asked).toBeLessThan(last + size);
  expect(Date.now()).toBeGreaterThanOrEqual(last);

  const items = (await listed(ticker)).filter(counts);
  for (const b of history.buckets) {
    const start = Date.parse(b.start);
    const inside = items.filter((item) => {
      const published = Date.parse(item.timestamp);
      return published >= start && published < start + size;
    });
    const sum = inside.reduce((s, item) => s + item.score, 0);
    expect(b, `${bucket} ${ticker ?? 'all'} ${b.start}`).toEqual({
      start: b.start,
      total: inside.length,
      positive: inside.filter((i) => i.sentiment === 'positive').length,
      neutral: inside.filter((i) => i.sentiment === 'neutral').length,
      negative: inside.filter((i) => i.sentiment === 'negative').length,
      average_score: inside.length === 0 ? null : Math.round((sum / inside.length) * 1000) / 1000,
    });
  }
  const windowTotal = items.filter((item) => {
    const published = Date.parse(item.timestamp);
    return published >= first && published < last + size;
  }).length;
  expect(history.buckets.reduce((s, b) => s + b.total, 0)).toBe(windowTotal);
  return windowTotal;
}

describe('history agrees with the listed items', () => {
  it('after batches across boundaries, retries, conflicts and a crashed, retried ingest', async () => {
    const base = Date.now();
    const all = TICKERS.flatMap((ticker) => itemsOf(ticker, base));
    const batches = [all.slice(0, 25), all.slice(25)];
    for (const batch of batches) expect(await postUntilOk(batch)).toEqual(batch.map(() => 'created'));
    // A retry of the same batch, and a re-post with other content: neither moves a count.
    expect(await postUntilOk(batches[0] ?? [])).toEqual(batches[0]?.map(() => 'duplicate'));
    const moved = (batches[1] ?? []).map((item) => ({ ...item, timestamp: new Date(base - 30 * MIN).toISOString() }));
    expect(await postUntilOk(moved)).toEqual(moved.map(() => 'conflict'));

    // A writer that dies after its claims, before its feed entries: a retry takes the items over
    // once the writer's window is over (its clock ran 8 s behind, so that is at once).
    const crashing = itemsOf('HXA', base - 7 * MIN).slice(0, 8);
    const halting = createHaltingClients(dynalite.endpoint, crashing.length);
    const writer = createStore({
      ...halting,
      tableName: TABLE,
      retentionDays: 7,
      settleMs: 5000,
      now: () => Date.now() - 8000,
    });
    await expect(writer.ingest(crashing)).rejects.toBeInstanceOf(WriterCrashed);
    await halting.settled();
    halting.destroy();
    expect(await postUntilOk(crashing)).toEqual(crashing.map(() => 'created'));
    expect(await postUntilOk(crashing)).toEqual(crashing.map(() => 'duplicate'));

    let seen = 0;
    for (const bucket of ['5m', '1h'] as const) {
      for (const ticker of [undefined, ...TICKERS]) seen += await expectAgreement(bucket, ticker);
    }
    // Not vacuous: the windows held most of the posted items.
    expect(seen).toBeGreaterThan(50);
  }, 60_000);
});

describe('hostile queries are 400 problems', () => {
  it.each([
    ['an unknown bucket', 'bucket=15m', '/bucket'],
    ['a bucket in another case', 'bucket=1H', '/bucket'],
    ['an empty bucket', 'bucket=', '/bucket'],
    ['a repeated bucket', 'bucket=5m&bucket=1h', '/bucket'],
    ['a bracketed bucket', 'bucket[]=5m', '/bucket[]'],
    ['a lower-case ticker', 'ticker=aapl', '/ticker'],
    ['an empty ticker', 'ticker=', '/ticker'],
    ['a ticker of 11 characters', 'ticker=ABCDEF.GHIJ', '/ticker'],
    ['a huge ticker', `ticker=${'A'.repeat(6000)}`, '/ticker'],
    ['a ticker with a NUL', 'ticker=AAPL%00', '/ticker'],
    ['a repeated ticker', 'ticker=AAPL&ticker=MSFT', '/ticker'],
    ['an unknown parameter', 'tickr=AAPL', '/tickr'],
    ['a window parameter', 'bucket=1h&window=24h', '/window'],
  ])('%s', async (_name, query, pointer) => {
    const answer = await api.request(`/api/v2/metrics/history?${query}`);
    expect(answer.status, answer.text).toBe(400);
    const problem = answer.body as { type: string; errors?: { location: string; pointer: string }[] };
    expect(problem.type).toBe('/problems/invalid-request');
    expect(problem.errors?.map((e) => `${e.location} ${e.pointer}`)).toContain(`query ${pointer}`);
  });

  it('still answers afterwards', async () => {
    expect((await api.request('/api/v2/metrics/history')).status).toBe(200);
  });
});
