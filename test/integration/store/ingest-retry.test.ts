/**
 * Retrying an ingest after a writer crashed part-way, through the real REST API: a 200 only when
 * every item is stored (and so counted exactly once); another writer's unfinished work gets a
 * retryable 409 with a Retry-After after which the retry is answered, never "duplicate".
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
import { contentHash } from '../../../src/store/ingest.ts';
import {
  createDynamoClients,
  createStore,
  type DynamoClients,
  type EmbeddedDynalite,
  ensureTable,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { markerKey } from '../../../src/store/keys.ts';
import type { TickerAggregate } from '../../../src/contract/index.ts';
import { type ApiClient, type ApiResponse, createApiClient } from '../../support/api-client.ts';
import { expectedSums, readCounterSums } from '../../support/counters.ts';
import { createHaltingClients } from '../../support/halting-client.ts';
import { startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const TABLE = 'ingest-retry';
/** A writer's window with the default settle window (5 s): a retry takes its items over 7.5 s after their stamp. */
const TAKEOVER_AFTER_MS = 7500;
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
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
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
 * that crashed that long ago (its stamps are in the past).
 */
async function crashedWriter(
  items: readonly ItemInput[],
  options: { haltAfter: number; clockOffsetMs?: number },
): Promise<void> {
  const writer = createHaltingClients(dynalite.endpoint, options.haltAfter);
  const store = createStore({
    ...writer,
    tableName: TABLE,
    retentionDays: 7,
    settleMs: 5000,
    now: () => Date.now() + (options.clockOffsetMs ?? 0),
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

/** The ticker's counts as readers see them (folded rows and the feed's tail), without its average. */
async function counted(ticker: string) {
  const { tickers } = await server.store.aggregates(new Set([ticker]));
  const found: Partial<TickerAggregate> = tickers.find((aggregate) => aggregate.ticker === ticker) ?? {};
  return {
    total: found.total ?? 0,
    positive: found.positive ?? 0,
    neutral: found.neutral ?? 0,
    negative: found.negative ?? 0,
  };
}

const countsOf = (items: readonly ItemInput[]) => {
  const { total, positive, neutral, negative } = expectedSums(items);
  return { total, positive, neutral, negative };
};

async function expectStoredAndCountedOnce(items: readonly ItemInput[]): Promise<void> {
  const ticker = (items[0] as ItemInput).ticker;
  const stored = await listed(ticker);
  expect(stored.map((item) => item.item_id).sort()).toEqual(items.map((item) => item.item_id).sort());
  expect(stored.map((item) => item.score).sort()).toEqual(items.map((item) => item.score).sort());
  // Counted at once through this server; what another writer stored shows within the view's age.
  await expect.poll(() => counted(ticker), { timeout: 3000 }).toEqual(countsOf(items));
}

function retryAfterSeconds(answer: ApiResponse): number {
  const header = answer.headers.get('retry-after');
  expect(header).toMatch(/^[1-9]\d*$/);
  return Number(header);
}

/** Every ticker these tests stored, with its items: the rows must count them all once in the end. */
const everything = new Map<string, ItemInput[]>();
const remember = (items: readonly ItemInput[]) => everything.set((items[0] as ItemInput).ticker, [...items]);

describe('a retry after a writer crashed part-way', () => {
  it('is told to come back while the writer may still write, not "duplicate", and then writes the items itself', async () => {
    const items = freshItems(3);
    remember(items);
    // The writer claimed all three items (3 marker puts) 6 s ago, then died.
    await crashedWriter(items, { haltAfter: 3, clockOffsetMs: -6000 });

    const early = await post(items);

    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ type: '/problems/ingest-in-progress', status: 409 });
    // The rest of the writer's window (1.5 s), less the moment the request waited, rounded up.
    expect(retryAfterSeconds(early)).toBeLessThanOrEqual(2);
    expect(await listed((items[0] as ItemInput).ticker)).toEqual([]);
    expect(await counted((items[0] as ItemInput).ticker)).toEqual(countsOf([]));

    await sleep(retryAfterSeconds(early) * 1000);
    const later = await post(items);

    expect(later.status).toBe(200);
    expect(statusesOf(later)).toEqual(['created', 'created', 'created']);
    await expectStoredAndCountedOnce(items);
    expect(statusesOf(await post(items))).toEqual(['duplicate', 'duplicate', 'duplicate']);
    await expectStoredAndCountedOnce(items);
  });

  it('writes the items it can and answers 409 for the rest, with the longest wait', async () => {
    const items = freshItems(4);
    remember(items);
    await crashedWriter(items.slice(0, 1), { haltAfter: 1 });
    await crashedWriter(items.slice(1, 2), { haltAfter: 1, clockOffsetMs: -4000 });

    const early = await post(items);

    expect(early.status).toBe(409);
    // The first writer's window ends last: 7.5 s after its stamp, less the second the request waited.
    expect(retryAfterSeconds(early)).toBeGreaterThan(4);
    expect(retryAfterSeconds(early)).toBeLessThanOrEqual(TAKEOVER_AFTER_MS / 1000);
    expect((early.body as { detail: string }).detail).toContain(
      `2 of 4 items (${items[0]?.item_id}, ${items[1]?.item_id})`,
    );
    const stored = await listed((items[0] as ItemInput).ticker);
    expect(stored.map((item) => item.item_id).sort()).toEqual([items[2]?.item_id, items[3]?.item_id].sort());

    await sleep(retryAfterSeconds(early) * 1000);
    expect(statusesOf(await post(items))).toEqual(['created', 'created', 'duplicate', 'duplicate']);
    await expectStoredAndCountedOnce(items);
  });

  it('writes a crashed first version before reporting a differing re-post as a conflict', async () => {
    const [first] = freshItems(1) as [ItemInput];
    remember([first]);
    // Crashed a whole window ago, right after claiming: the marker is all there is.
    await crashedWriter([first], { haltAfter: 1, clockOffsetMs: -TAKEOVER_AFTER_MS - 1000 });

    const answer = await post([{ ...first, score: 0.75 }]);

    expect(answer.status).toBe(200);
    expect(statusesOf(answer)).toEqual(['conflict']);
    await expectStoredAndCountedOnce([first]);
  });

  it('does not report a conflict against a first version another writer may still write', async () => {
    const [first] = freshItems(1) as [ItemInput];
    await crashedWriter([first], { haltAfter: 1 });

    const answer = await post([{ ...first, score: 0.75 }]);

    expect(answer.status).toBe(409);
  });

  it('does not report a repeated id as a duplicate while its first occurrence is being written elsewhere', async () => {
    const [item] = freshItems(1) as [ItemInput];
    await crashedWriter([item], { haltAfter: 1 });

    const answer = await post([item, item]);

    expect(answer.status).toBe(409);
  });

  it('answers duplicate for items whose writer died after its feed entries landed, counting nothing again', async () => {
    const items = freshItems(3);
    remember(items);
    // Claims (3) and the feed (1) land; the writer dies before it reads the feed's answer.
    const writer = createDynamoClients(dynalite.endpoint);
    writer.client.middlewareStack.add(
      (next, context) => async (args) => {
        const answer = await next(args);
        if (context.commandName === 'BatchWriteItemCommand') throw new Error('crashed after the feed put landed');
        return answer;
      },
      { step: 'initialize', name: 'crashAfterFeed', priority: 'high' },
    );
    const store = createStore({ ...writer, tableName: TABLE, retentionDays: 7, settleMs: 5000 });
    await expect(store.ingest(items)).rejects.toThrow(/crashed after the feed put/);
    writer.client.destroy();
    await expectStoredAndCountedOnce(items);

    const answer = await post(items);

    expect(statusesOf(answer)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    await expectStoredAndCountedOnce(items);
  });

  it('compares a repeated id with the stored version, not with its first occurrence', async () => {
    const [stored] = freshItems(1) as [ItemInput];
    remember([stored]);
    expect(statusesOf(await post([stored]))).toEqual(['created']);

    const answer = await post([{ ...stored, score: 0.75 }, stored]);

    expect(statusesOf(answer)).toEqual(['conflict', 'duplicate']);
  });
});

describe('claims the marker did not settle at once', () => {
  it('claims afresh a marker that expired between the failed put and the read', async () => {
    const [item] = freshItems(1) as [ItemInput];
    remember([item]);
    // What is left of an item ingested beyond the retention: its marker, about to expire.
    await clients.documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...markerKey(item.item_id),
          hash: contentHash(item),
          shard: 0,
          feed_sk: `0000000000000#${item.item_id}`,
          writer: 'long-gone',
          item: { ...item, ingested_at: new Date(0).toISOString() },
        },
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
    remember(items);
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

describe('a server slower than its stamps', () => {
  // Runs last: it moves the server's clock ahead for good.
  it('re-stamps items that aged before their feed put, and stores and counts each once', async () => {
    const items = freshItems(3);
    remember(items);
    let jumped = false;
    // The server's clock jumps past the fresh half of the window as the feed put is about to leave.
    proxy.hook = (call) => {
      if (call.operation === 'BatchWriteItem' && !jumped) {
        jumped = true;
        serverSkewMs += 10_000;
        return { answer: { UnprocessedItems: call.input.RequestItems } };
      }
      return 'forward';
    };

    const answer = await post(items);
    proxy.hook = () => 'forward';

    expect(answer.status).toBe(200);
    expect(statusesOf(answer)).toEqual(['created', 'created', 'created']);
    await expectStoredAndCountedOnce(items);
  });

  it('leaves nothing uncounted or twice counted in the folded rows', async () => {
    // Everything above is settled once the clock moves on; the rows then count each item once.
    serverSkewMs += 60_000;
    expect((await server.store.fold({ force: true })).outcome).toBe('folded');
    const sums = await readCounterSums(clients.documents, TABLE, startedAt - 60_000, Date.now() + serverSkewMs);
    for (const [ticker, items] of everything) {
      const { total, positive, neutral, negative } = sums.get(ticker) ?? expectedSums([]);
      expect({ total, positive, neutral, negative }, ticker).toEqual(countsOf(items));
    }
  });
});
