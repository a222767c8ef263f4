/**
 * Retrying an ingest after a writer crashed part-way, through the real REST API: a 200 only when
 * every item is stored and counted exactly once; another writer's unfinished work gets a
 * retryable 409 with Retry-After, never "duplicate".
 *
 * Crashed writers are stores on the same dynalite whose client stops after k store calls
 * (test/support/halting-client.ts); the server reaches dynalite through a proxy, so a
 * test can move the server's clock at an exact store call.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { contentHash, LEASE_MS } from '../../../src/store/ingest.ts';
import {
  createDynamoClients,
  createStore,
  type DynamoClients,
  type EmbeddedDynalite,
  ensureTable,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { markerKey } from '../../../src/store/keys.ts';
import { type ApiClient, type ApiResponse, createApiClient } from '../../support/api-client.ts';
import { expectedSums, readCounterSums } from '../../support/counters.ts';
import { createHaltingClients } from '../../support/halting-client.ts';
import { startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const TABLE = 'ingest-retry';
const run = Math.random().toString(36).slice(2, 8);
let tickerSequence = 0;

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
let clients: DynamoClients;
let server: LocalServer;
let api: ApiClient;
let startedAt: number;
/** Added to the server's clock; a test moves it to be "later" without waiting. */
let serverSkewMs = 0;

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite();
  clients = createDynamoClients(dynalite.endpoint);
  await ensureTable(clients.client, TABLE);
  proxy = await startStoreProxy(dynalite.endpoint);
  server = await startTestServer(
    { DYNAMODB_ENDPOINT: proxy.endpoint, TABLE_NAME: TABLE },
    { now: () => Date.now() + serverSkewMs },
  );
  api = createApiClient(() => server.url);
  startedAt = Date.now();
});

afterAll(async () => {
  await server.close();
  await proxy.close();
  clients.client.destroy();
  await dynalite.close();
});

/** Items of a ticker no other test uses, with exact binary scores. */
function freshItems(count: number): ItemInput[] {
  tickerSequence += 1;
  const ticker = `R${tickerSequence}`;
  return Array.from({ length: count }, (_, i) => ({
    item_id: `retry-${run}-${ticker}-${i}`,
    ticker,
    sentiment: (['positive', 'neutral', 'negative'] as const)[i % 3] ?? 'neutral',
    score: (i % 4) / 4 - 0.5,
    timestamp: '2026-11-21T09:00:00.000Z',
  }));
}

/**
 * A writer that crashes after `haltAfter` store calls. `clockOffsetMs` < 0 makes it a writer
 * that crashed that long ago (its lease stamps are in the past).
 */
async function crashedWriter(
  items: readonly ItemInput[],
  options: { haltAfter: number; leaseMs?: number; clockOffsetMs?: number },
): Promise<void> {
  const writer = createHaltingClients(dynalite.endpoint, options.haltAfter);
  const store = createStore({
    ...writer,
    tableName: TABLE,
    retentionDays: 7,
    settleMs: 5000,
    now: () => Date.now() + (options.clockOffsetMs ?? 0),
    ...(options.leaseMs === undefined ? {} : { ingestLeaseMs: options.leaseMs }),
  });
  await expect(store.ingest(items)).rejects.toThrow(/crashed before store call/);
  await writer.settled();
  writer.destroy();
}

const post = (items: readonly ItemInput[]) =>
  api.request('/api/v2/items', { method: 'POST', headers: { 'x-api-key': TEST_INGEST_KEY }, json: { items } });

type IngestBody = { accepted: number; duplicates: number; conflicts: number; results: { status: string }[] };
const statusesOf = (answer: ApiResponse) => (answer.body as IngestBody).results.map((r) => r.status);

async function listed(ticker: string): Promise<ItemInput[]> {
  const page = await api.request(`/api/v2/items?ticker=${ticker}&limit=100`);
  return (page.body as { items: ItemInput[] }).items;
}

/** The items' ticker counter, read straight from the table. */
async function tickerCounter(ticker: string) {
  // From before the first test: crashed writers stamp up to a lease in the past.
  const sums = await readCounterSums(clients.documents, TABLE, startedAt - 2 * LEASE_MS, Date.now() + serverSkewMs);
  return sums.get(ticker) ?? expectedSums([]);
}

async function expectStoredAndCountedOnce(items: readonly ItemInput[]): Promise<void> {
  const ticker = (items[0] as ItemInput).ticker;
  const stored = await listed(ticker);
  expect(stored.map((item) => item.item_id).sort()).toEqual(items.map((item) => item.item_id).sort());
  expect(stored.map((item) => item.score).sort()).toEqual(items.map((item) => item.score).sort());
  expect(await tickerCounter(ticker)).toEqual(expectedSums(items));
}

function retryAfterSeconds(answer: ApiResponse): number {
  const header = answer.headers.get('retry-after');
  expect(header).toMatch(/^[1-9]\d*$/);
  return Number(header);
}

describe('a retry after a writer crashed part-way', () => {
  it('is told to come back while the writer holds the items, not "duplicate", and later finishes them', async () => {
    const items = freshItems(3);
    // The writer claimed all three items (3 marker puts), then died.
    await crashedWriter(items, { haltAfter: 3, leaseMs: 2000 });

    const early = await post(items);

    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ type: '/problems/ingest-in-progress', status: 409 });
    expect(retryAfterSeconds(early)).toBeLessThanOrEqual(2);
    expect(await listed((items[0] as ItemInput).ticker)).toEqual([]);
    expect(await tickerCounter((items[0] as ItemInput).ticker)).toEqual(expectedSums([]));

    await sleep(retryAfterSeconds(early) * 1000);
    const later = await post(items);

    expect(later.status).toBe(200);
    expect(statusesOf(later)).toEqual(['created', 'created', 'created']);
    await expectStoredAndCountedOnce(items);
    expect(statusesOf(await post(items))).toEqual(['duplicate', 'duplicate', 'duplicate']);
    await expectStoredAndCountedOnce(items);
  });

  it('finishes the items it can itself and answers 409 for the rest, with the longest wait', async () => {
    const items = freshItems(4);
    await crashedWriter(items.slice(0, 1), { haltAfter: 1 });
    await crashedWriter(items.slice(1, 2), { haltAfter: 1, clockOffsetMs: -20_000 });

    const early = await post(items);

    expect(early.status).toBe(409);
    // The first writer's lease (30 s) ends last.
    expect(retryAfterSeconds(early)).toBeGreaterThan(20);
    expect(retryAfterSeconds(early)).toBeLessThanOrEqual(LEASE_MS / 1000);
    expect((early.body as { detail: string }).detail).toContain(
      `2 of 4 items (${items[0]?.item_id}, ${items[1]?.item_id})`,
    );
    const stored = await listed((items[0] as ItemInput).ticker);
    expect(stored.map((item) => item.item_id).sort()).toEqual([items[2]?.item_id, items[3]?.item_id].sort());
  });

  it('completes a crashed first version before reporting a differing re-post as a conflict', async () => {
    const [first] = freshItems(1) as [ItemInput];
    // Crashed a lease ago, right after claiming: the marker is all there is.
    await crashedWriter([first], { haltAfter: 1, clockOffsetMs: -LEASE_MS - 1000 });

    const answer = await post([{ ...first, score: 0.75 }]);

    expect(answer.status).toBe(200);
    expect(statusesOf(answer)).toEqual(['conflict']);
    await expectStoredAndCountedOnce([first]);
  });

  it('does not report a conflict against a first version another writer still holds', async () => {
    const [first] = freshItems(1) as [ItemInput];
    await crashedWriter([first], { haltAfter: 1 });

    const answer = await post([{ ...first, score: 0.75 }]);

    expect(answer.status).toBe(409);
  });

  it('does not report a repeated id as a duplicate while its first occurrence is held elsewhere', async () => {
    const [item] = freshItems(1) as [ItemInput];
    await crashedWriter([item], { haltAfter: 1 });

    const answer = await post([item, item]);

    expect(answer.status).toBe(409);
  });

  it('finishes an item whose writer died after counting it, without counting it again', async () => {
    const items = freshItems(3);
    // Claims (3), feed (1), both counters (2): only the `done` write and the clean-up are missing.
    await crashedWriter(items, { haltAfter: 6, clockOffsetMs: -LEASE_MS - 1000 });
    expect(await tickerCounter((items[0] as ItemInput).ticker)).toEqual(expectedSums(items));

    const answer = await post(items);

    expect(statusesOf(answer)).toEqual(['created', 'created', 'created']);
    await expectStoredAndCountedOnce(items);
  });

  it('compares a repeated id with the stored version, not with its first occurrence', async () => {
    const [stored] = freshItems(1) as [ItemInput];
    expect(statusesOf(await post([stored]))).toEqual(['created']);

    const answer = await post([{ ...stored, score: 0.75 }, stored]);

    expect(statusesOf(answer)).toEqual(['conflict', 'duplicate']);
  });
});

describe('claims the marker did not settle at once', () => {
  it('claims afresh a marker that expired between the failed put and the read', async () => {
    const [item] = freshItems(1) as [ItemInput];
    // What is left of an item ingested beyond the retention: its marker, about to expire.
    await clients.documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: { ...markerKey(item.item_id), hash: contentHash(item), state: 'done', arrival_ms: 0, item },
      }),
    );
    const writer = createDynamoClients(dynalite.endpoint);
    writer.client.middlewareStack.add(
      (next, context) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          // TTL deletes the marker right after the claim found it.
          if (context.commandName === 'PutItemCommand') {
            await clients.documents.send(new DeleteCommand({ TableName: TABLE, Key: markerKey(item.item_id) }));
          }
          throw error;
        }
      },
      { step: 'initialize', name: 'expireMarker', priority: 'high' },
    );
    const store = createStore({ ...writer, tableName: TABLE, retentionDays: 7, settleMs: 5000 });

    const statuses = await store.ingest([item]);
    writer.client.destroy();

    expect(statuses).toEqual(['created']);
    await expectStoredAndCountedOnce([item]);
  });

  it('keeps a claim whose answer was lost and that the SDK sent again', async () => {
    const items = freshItems(2);
    const writer = createDynamoClients(dynalite.endpoint);
    writer.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutItemCommand') return next(args);
        // The put lands, its answer is lost, the SDK's retry finds the marker it just wrote.
        await next(args);
        return next(args);
      },
      { step: 'initialize', name: 'loseClaimAnswer', priority: 'high' },
    );
    const store = createStore({ ...writer, tableName: TABLE, retentionDays: 7, settleMs: 5000 });

    const statuses = await store.ingest(items);
    writer.client.destroy();

    expect(statuses).toEqual(['created', 'created']);
    await expectStoredAndCountedOnce(items);
  });
});

describe('a server that runs out of its lease mid-ingest', () => {
  // Runs last: it moves the server's clock ahead for good.
  it.each([
    ['before counting', 503, 'BatchWriteItem'],
    ['before marking done', 503, 'UpdateItem'],
    ['after marking done', 200, 'BatchWriteItem#2'],
  ])('%s: stops writing, answers %i, and a retry counts everything once', async (_when, status, trigger) => {
    const items = freshItems(3);
    const [operation, nth] = trigger.split('#');
    let seen = 0;
    // The server's clock jumps a lease ahead the moment this store call arrives.
    proxy.hook = (call) => {
      if (call.operation === operation && ++seen === Number(nth ?? 1)) serverSkewMs += LEASE_MS;
      return 'forward';
    };

    const answer = await post(items);
    proxy.hook = () => 'forward';

    expect(answer.status).toBe(status);
    if (status === 503) {
      expect(answer.body).toMatchObject({ type: '/problems/unavailable', status: 503 });
      expect(retryAfterSeconds(answer)).toBeGreaterThanOrEqual(1);
      // The request's own lease has run out on the server's clock: the retry takes over.
      serverSkewMs += 1000;
      expect(statusesOf(await post(items))).toEqual(['created', 'created', 'created']);
    }
    await expectStoredAndCountedOnce(items);
  });
});
