/**
 * Rows of the wrong shape (a bug, a hand edit, another version of the code) put straight into the
 * table: every read of the store that meets one fails loudly with a `StoreDataError` naming the
 * row by its keys and saying what is wrong with it, rather than serving a cast value on. Feed
 * entries (cursor reads and newest-first pages), item markers (a re-post), metrics and history
 * rows (the views) and the fold state are each decoded where they are read (docs/data-model.md,
 * "Decoded, not cast").
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStore, type Store, StoreDataError } from '../../../src/store/index.ts';
import {
  feedPartition,
  feedSortKey,
  FOLD_STATE_KEY,
  historyRowKey,
  hourStart,
  markerKey,
  metricsRowKey,
} from '../../../src/store/keys.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;
/** A store fresh for each test (nothing cached from an earlier one) on the shared table. */
let store: Store;
/** The keys of the rows a test put, removed after it. */
const written: { pk: unknown; sk: unknown }[] = [];
beforeAll(async () => {
  t = await startTestStore();
});
afterAll(async () => {
  await t.close();
});
beforeEach(() => {
  store = createStore({ ...t.clients, tableName: t.tableName, retentionDays: 7, settleMs: 5000, now: () => t.now() });
});
afterEach(async () => {
  for (const { pk, sk } of written.splice(0)) {
    await t.clients.documents.send(new DeleteCommand({ TableName: t.tableName, Key: { pk, sk } }));
  }
});

async function put(row: Record<string, unknown>): Promise<void> {
  written.push({ pk: row.pk, sk: row.sk });
  await t.clients.documents.send(new PutCommand({ TableName: t.tableName, Item: row }));
}

/** A feed entry stamped now in shard 2 whose item is `item`; returns the row's name, `pk/sk`. */
async function feedEntry(item: unknown): Promise<string> {
  const key = { pk: feedPartition(2), sk: feedSortKey(t.now(), 'bad-item') };
  await put({ ...key, item });
  return `${key.pk}/${key.sk}`;
}

const stored = (overrides: Record<string, unknown> = {}) => ({
  ...itemInput({ item_id: 'bad-item' }),
  ingested_at: new Date(t.now()).toISOString(),
  ...overrides,
});

/** Rejects with a StoreDataError naming `row`, whose message says `problem`. */
async function expectRowError(read: Promise<unknown>, row: string, problem: string): Promise<void> {
  const error: unknown = await read.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StoreDataError);
  expect(error).toMatchObject({
    name: 'StoreDataError',
    row,
    message: `unexpected row ${row} in the table: ${problem}`,
  });
}

describe('a feed entry of the wrong shape', () => {
  it.each<[string, unknown, string]>([
    ['an item that is not a map', 'AAPL up', 'item is not a map'],
    ['an item that is a list', ['AAPL'], 'item is not a map'],
    ['a sentiment the contract does not have', { sentiment: 'bullish' }, 'item.sentiment bullish is not a sentiment'],
    ['no sentiment', { sentiment: undefined }, 'sentiment is not a string'],
    ['a score stored as text', { score: '0.5' }, 'score is not a number'],
    ['no ticker', { ticker: undefined }, 'ticker is not a string'],
    ['a source that is not text', { source: 7 }, 'source is not a string'],
    ['no arrival time', { ingested_at: undefined }, 'ingested_at is not a string'],
  ])('fails a cursor read with a StoreDataError naming it: %s', async (_what, change, problem) => {
    const cursor = await store.headCursor();
    const item =
      Array.isArray(change) || typeof change !== 'object' ? change : stored(change as Record<string, unknown>);
    const row = await feedEntry(item);

    await expectRowError(store.readAfter(cursor, 10), row, problem);
  });

  it('fails a newest-first page that reaches it', async () => {
    const row = await feedEntry(stored({ sentiment: 'bullish' }));

    await expectRowError(store.readNewest({ limit: 10 }), row, 'item.sentiment bullish is not a sentiment');
  });

  it('is read as an item once it has the shape again', async () => {
    const cursor = await store.headCursor();
    await feedEntry(stored({ score: '0.5' }));
    await feedEntry(stored({ score: 0.5 }));

    const read = await store.readAfter(cursor, 10);

    expect(read.entries.map((entry) => entry.item)).toEqual([stored({ score: 0.5 })]);
  });
});

describe('an item marker of the wrong shape', () => {
  it('fails a re-post of its item with a StoreDataError naming the marker', async () => {
    const item = itemInput();
    await put({
      ...markerKey(item.item_id),
      hash: 'h',
      shard: 'five',
      feed_sk: feedSortKey(t.now(), item.item_id),
      writer: 'w',
      item: { ...item, ingested_at: new Date(t.now()).toISOString() },
    });

    await expectRowError(store.ingest([item]), `ITEM#${item.item_id}/ITEM`, 'shard is not a number');
  });
});

describe('aggregate rows of the wrong shape', () => {
  const hour = () => hourStart(t.now());
  const name = (key: { pk: string; sk: string }) => `${key.pk}/${key.sk}`;

  it.each<[string, Record<string, unknown>, string]>([
    ['counts that are not five numbers', { all: [1, 1, 0] }, 'all is not five numbers'],
    ['tickers that are not a map', { tickers: ['AAPL'] }, 'tickers is not a map'],
    ['a ticker whose counts hold text', { tickers: { AAPL: [1, 'one', 0, 0, 0.5] } }, 'AAPL is not five numbers'],
    ['no watermark', { wm: undefined }, 'wm is not a number'],
  ])('fail the metrics with a StoreDataError naming the row: %s', async (_what, change, problem) => {
    const key = metricsRowKey(hour());
    await put({ ...key, wm: t.now() - 60_000, all: [1, 1, 0, 0, 0.5], tickers: {}, other: [0, 0, 0, 0, 0], ...change });

    await expectRowError(store.aggregates(), name(key), problem);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a slot past the hour', { '60': [1, 1, 0, 0, 0.5] }, 'slot 60 is not a minute'],
    ['a slot that is not two digits', { '5': [1, 1, 0, 0, 0.5] }, 'slot 5 is not a minute'],
    ['slot counts that are not numbers', { '05': 'one' }, 'slot 05 is not five numbers'],
  ])('fail the history with a StoreDataError naming the row: %s', async (_what, slots, problem) => {
    const key = historyRowKey(hour(), 'all');
    await put({ ...key, wm: t.now() - 60_000, slots });

    await expectRowError(store.history('5m'), name(key), problem);
  });

  it('fail the history of one ticker with its own row, and leave the other scopes readable', async () => {
    const key = historyRowKey(hour(), { ticker: 'AAPL' });
    await put({ ...key, wm: t.now() - 60_000, slots: 'none' });

    await expectRowError(store.history('1h', 'AAPL'), name(key), 'slots is not a map');
    expect((await store.history('1h', 'MSFT')).buckets.every((bucket) => bucket.total === 0)).toBe(true);
  });
});

describe('a fold state of the wrong shape', () => {
  const row = `${FOLD_STATE_KEY.pk}/${FOLD_STATE_KEY.sk}`;

  it.each<[string, Record<string, unknown>, string]>([
    ['a watermark stored as text', { w: '1700000000000' }, 'w is not a number'],
    ['a round without its start', { w: 1000, round: { to: 2000, claimed_at: 1500 } }, 'from is not a number'],
    [
      'a round that starts below the watermark',
      { w: 1000, round: { from: 500, to: 2000, claimed_at: 1500 } },
      'round starts below w',
    ],
  ])('fails reading where the fold stands: %s', async (_what, state, problem) => {
    await put({ ...FOLD_STATE_KEY, ...state });

    await expectRowError(store.foldState(), row, problem);
  });
});
