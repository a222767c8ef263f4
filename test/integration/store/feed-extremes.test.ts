/**
 * The feed at its extremes, on a real dynalite: newest-first pages of all tickers when every
 * shard's page comes back cut short still list every item once, newest first; pages of one ticker
 * when the store answers its index a row at a time (as DynamoDB does once a page reaches 1 MB)
 * stop at the read's query budget and go on from their token, listing every item once; the head
 * of a feed after a burst larger than the head's reads can cover is a cursor somewhat behind it,
 * from which reading returns exactly the rest; a fold meeting one stamp that holds more items
 * than a round takes folds that stamp whole in a round of its own, reading the shard page after
 * page, and never splits it; a read aborted with a reason that is not an Error still rejects,
 * with an AbortError, and sends nothing.
 */
import type { MiddlewareStack } from '@smithy/types';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import type { FeedCursor } from '../../../src/store/index.ts';
import { MAX_QUERIES_PER_READ } from '../../../src/store/feed.ts';
import { MAX_FOLD_ITEMS } from '../../../src/store/fold.ts';
import { FEED_SHARDS, feedPartition, feedSortKey, tickerIndexKey } from '../../../src/store/keys.ts';
import { feedRows } from '../../support/feed-rows.ts';
import { countQueries } from '../../support/query-counter.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

const SETTLE_MS = 5000;
let t: TestStore;
beforeEach(async () => {
  t = await startTestStore({ settleMs: SETTLE_MS });
});
afterEach(async () => {
  await t.close();
});

/** Feed entries put straight into the table, as writers would have left them. */
async function putFeedEntries(entries: readonly { item: ItemInput; arrivalMs: number; shard: number }[]) {
  for (let i = 0; i < entries.length; i += 25) {
    await t.clients.documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [t.tableName]: entries.slice(i, i + 25).map(({ item, arrivalMs, shard }) => {
            const sk = feedSortKey(arrivalMs, item.item_id);
            return {
              PutRequest: {
                Item: {
                  pk: feedPartition(shard),
                  sk,
                  gsi1pk: tickerIndexKey(item.ticker),
                  gsi1sk: sk,
                  item: { ...item, ingested_at: new Date(arrivalMs).toISOString() },
                },
              },
            };
          }),
        },
      }),
    );
  }
}

/** Item ids of every feed entry, in feed order (oldest first). */
async function feedOrder(filter: (ticker: string) => boolean = () => true): Promise<string[]> {
  return (await feedRows(t.clients.documents, t.tableName))
    .filter((row) => filter(row.item.ticker))
    .sort((a, b) => (a.sk < b.sk ? -1 : 1))
    .map((row) => row.item.item_id);
}

describe('newest-first pages of all tickers', () => {
  it('list every item once, newest first, when every shard has more than a page holds', async () => {
    // Ten items per shard; a page of 7 asks each shard for 9, so every shard's page is cut.
    for (let batch = 0; batch < 10; batch++) {
      await t.store.ingest(Array.from({ length: FEED_SHARDS }, () => itemInput()));
      t.advance(1);
    }
    const expected = (await feedOrder()).reverse();

    const listed: string[] = [];
    let page: string | undefined;
    // 160 items, 7 a page: 23 pages; a walk that does not end fails instead of hanging.
    for (let pages = 0; pages < 30; pages++) {
      const token = page === undefined ? undefined : t.store.parsePageToken(page, undefined);
      if (token !== undefined && !token.ok) throw new Error(`page token refused: ${token.reason}`);
      const answer = await t.store.readNewest({ limit: 7, page: token?.page });
      expect(answer.items.length).toBeLessThanOrEqual(7);
      listed.push(...answer.items.map((item) => item.item_id));
      page = answer.nextPage ?? undefined;
      if (page === undefined) break;
    }

    expect(page).toBeUndefined();
    expect(listed).toHaveLength(10 * FEED_SHARDS);
    expect(listed).toEqual(expected);
  });
});

describe('newest-first pages of one ticker, its index answered a row at a time', () => {
  it('stop at the query budget with a shorter page and a token, and list every item once', async () => {
    for (let batch = 0; batch < 3; batch++) {
      await t.store.ingest([
        ...Array.from({ length: 10 }, () => itemInput({ ticker: 'CUT' })),
        itemInput({ ticker: 'OTHER' }),
      ]);
      t.advance(1);
    }
    const expected = (await feedOrder((ticker) => ticker === 'CUT')).reverse();
    // The store cuts every page of the index after one row, with a LastEvaluatedKey.
    (t.clients.client.middlewareStack as MiddlewareStack<object, object>).add(
      (next) => (args) => {
        const { input } = args as { input: Record<string, unknown> };
        return next(input.IndexName === undefined ? args : { ...args, input: { ...input, Limit: 1 } });
      },
      { step: 'initialize', name: 'onePerPage', priority: 'high' },
    );
    const queries = countQueries(t.clients.client, 1000);

    const pages: string[][] = [];
    let page: string | undefined;
    do {
      const token = page === undefined ? undefined : t.store.parsePageToken(page, 'CUT');
      if (token !== undefined && !token.ok) throw new Error(`page token refused: ${token.reason}`);
      queries.reset();
      const answer = await t.store.readNewest({ limit: 20, ticker: 'CUT', page: token?.page });
      expect(queries.count).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
      pages.push(answer.items.map((item) => item.item_id));
      page = answer.nextPage ?? undefined;
    } while (page !== undefined && pages.length < 10);

    // One row per Query: the first read ends at its budget, short of the 20 asked.
    expect(pages[0]).toHaveLength(MAX_QUERIES_PER_READ);
    expect(pages.flat()).toEqual(expected);
    expect(page).toBeUndefined();
  });
});

describe('the head of a feed after a burst larger than its reads cover', () => {
  it('is a cursor behind the head, within the head budget, after which reading returns exactly the rest', async () => {
    // 400 items a millisecond apart in one shard, all inside the settle window: far more than the
    // four bounded reads of headCursor take in.
    const start = t.now() - SETTLE_MS + 500;
    await putFeedEntries(
      Array.from({ length: 400 }, (_, i) => ({ item: itemInput(), arrivalMs: start + i, shard: 3 })),
    );
    const all = await feedOrder();
    const queries = countQueries(t.clients.client, 1000);

    const head = await t.store.headCursor();

    expect(queries.count).toBeLessThanOrEqual(4 * MAX_QUERIES_PER_READ);
    const rest: string[] = [];
    let cursor: FeedCursor = head;
    for (let read = 0; read < 20; read++) {
      const next = await t.store.readAfter(cursor, 100);
      rest.push(...next.entries.map((entry) => entry.item.item_id));
      cursor = next.cursor;
      if (!next.full) break;
    }
    // Behind the head: some of the burst follows it. Exact: what follows is the burst's newest
    // items, in order, each once; everything older counts as delivered.
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.length).toBeLessThan(all.length);
    expect(rest).toEqual(all.slice(all.length - rest.length));
  });
});

describe('a fold meeting a stamp with more items than a round takes', () => {
  /** `count` feed entries at one stamp in one shard, as a burst of many writers would leave them. */
  async function burstAt(arrivalMs: number, count: number, shard: number): Promise<ItemInput[]> {
    const items = Array.from({ length: count }, () => itemInput({ item_id: `burst-${crypto.randomUUID()}` }));
    await putFeedEntries(items.map((item) => ({ item, arrivalMs, shard })));
    return items;
  }

  it('folds the items before it, then that stamp whole in a round of its own, then what follows', async () => {
    await t.store.ingest([itemInput(), itemInput()]);
    t.advance(10);
    const stamp = t.now();
    // More than a round's share of one shard (MAX_FOLD_ITEMS / 16), and more than one page of it.
    const burst = 1010;
    expect(burst).toBeGreaterThan(Math.ceil(MAX_FOLD_ITEMS / FEED_SHARDS));
    await burstAt(stamp, burst, 0);
    t.advance(10);
    await t.store.ingest([itemInput()]);
    t.advance(SETTLE_MS + 1);

    const before = await t.store.fold({ force: true });
    const whole = await t.store.fold({ force: true });
    const after = await t.store.fold({ force: true });

    // The first round stops below the stamp, the second takes exactly the stamp.
    expect(before).toEqual({ outcome: 'folded', w: stamp - 1 });
    expect(whole).toEqual({ outcome: 'folded', w: stamp });
    expect(after).toMatchObject({ outcome: 'folded' });
    expect(after.w).toBeGreaterThan(stamp);
    expect((await t.store.aggregates()).metrics.total).toBe(2 + burst + 1);
  });
});

describe('a read aborted with a reason that is not an Error', () => {
  it('rejects with an AbortError and sends no query', async () => {
    const queries = countQueries(t.clients.client, 100);
    const controller = new AbortController();
    controller.abort('the client left');

    await expect(t.store.headCursor({ signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
      message: 'The read was aborted.',
    });
    await expect(t.store.readNewest({ limit: 5, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(queries.count).toBe(0);
  });
});
