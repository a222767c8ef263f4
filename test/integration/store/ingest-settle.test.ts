/**
 * An ingested item is never written to the feed behind the readers' watermark. Readers trust a
 * stamp to become visible within the settle window; when the step from an item's claim (its
 * stamp) to its feed put takes longer (throttled BatchWrites, slow claims elsewhere in the batch),
 * a reader that has moved on in the meantime must still get the item, exactly once, and the item
 * must be counted (once folded) in the hour of the position it is listed at.
 *
 * Real dynalite; the writer's store calls are slowed with a middleware on its own DynamoDB client
 * that, at a chosen call, moves the shared fake clock past the settle window and lets a reader
 * follow the feed (the stream poller's pattern: `readAfter` from its cursor) before the call goes
 * on. A throttled BatchWrite is DynamoDB's own answer: items left unprocessed, not written.
 */
import type { MiddlewareStack } from '@smithy/types';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Item, ItemInput } from '../../../src/contract/index.ts';
import { createDynamoClients, createStore, type FeedCursor, type Store } from '../../../src/store/index.ts';
import { type FeedEntryRow, feedRows } from '../../support/feed-rows.ts';
import {
  feedPartition,
  HOUR_MS,
  hourStart,
  markerKey,
  metricsRowKey,
  parseFeedSortKey,
} from '../../../src/store/keys.ts';
import { createHaltingClients } from '../../support/halting-client.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const SETTLE_MS = 5000;
/** 1.5 settle windows after its stamp, a dead writer's item may be taken over. */
const TAKEOVER_AFTER_MS = 1.5 * SETTLE_MS;
/** How long the slowed call holds the writer: well past the settle window. */
const DELAY_MS = SETTLE_MS + 1000;

let t: TestStore;
let writer: Store;
let writerClients: ReturnType<typeof createDynamoClients>;
/** Runs for each of the writer's store calls before it is sent; may answer it instead. */
const passThrough = (): Promise<undefined> => Promise.resolve(undefined);
let onWriterCall: (call: WriterCall) => Promise<{ answer: Record<string, unknown> } | undefined> = passThrough;

interface WriterCall {
  readonly command: string;
  readonly input: Record<string, unknown>;
  /** Sends the call (possibly with another input) and returns the store's answer. */
  send(input?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

beforeAll(async () => {
  t = await startTestStore({ settleMs: SETTLE_MS });
  writerClients = createDynamoClients(t.dynalite.endpoint);
  // `initialize`, high priority: before the document client's marshalling, so inputs and answers
  // are plain objects, and once per command (an answer given here is never retried by the SDK).
  (writerClients.client.middlewareStack as MiddlewareStack<object, object>).add(
    (next, context) => async (args) => {
      const command = String((context as { commandName?: string }).commandName);
      const input = (args as { input: Record<string, unknown> }).input;
      const send = async (other = input) =>
        ((await next({ ...args, input: other })) as { output: Record<string, unknown> }).output;
      const intercepted = await onWriterCall({ command, input, send });
      if (intercepted === undefined) return next(args);
      return { output: intercepted.answer, response: {} };
    },
    { step: 'initialize', name: 'slowWriter', priority: 'high' },
  );
  writer = createStore({
    ...writerClients,
    tableName: t.tableName,
    retentionDays: 7,
    settleMs: SETTLE_MS,
    now: () => t.now(),
  });
});
afterAll(async () => {
  writerClients.client.destroy();
  await t.close();
});
beforeEach(() => {
  onWriterCall = passThrough;
});

let sequence = 0;
function items(count: number): ItemInput[] {
  sequence += 1;
  return Array.from({ length: count }, (_, i) => ({
    item_id: `settle-${sequence}-${i}`,
    ticker: `ST${sequence}`,
    sentiment: 'positive' as const,
    score: 0.25,
    timestamp: '2026-11-21T09:00:00.000Z',
  }));
}

/** A reader following the feed the way the stream poller does, keeping what it was handed. */
class Follower {
  readonly seen: { arrivalMs: number; item: Item }[] = [];
  cursor: FeedCursor;

  constructor(cursor: FeedCursor) {
    this.cursor = cursor;
  }

  static async atHead(): Promise<Follower> {
    return new Follower(await t.store.headCursor());
  }

  /** Reads until caught up (bounded: a handful of pages is far more than these tests write). */
  async poll(): Promise<void> {
    for (let page = 0; page < 10; page++) {
      const read = await t.store.readAfter(this.cursor, 100);
      this.seen.push(...read.entries);
      this.cursor = read.cursor;
      if (!read.full) return;
    }
    throw new Error('the reader never caught up');
  }

  times(itemId: string): number {
    return this.seen.filter((entry) => entry.item.item_id === itemId).length;
  }
}

const isFeedWrite = (call: WriterCall): boolean => {
  if (call.command !== 'BatchWriteItemCommand') return false;
  const requests = Object.values(call.input.RequestItems as Record<string, { PutRequest: { Item: Row } }[]>)[0];
  return String(requests?.[0]?.PutRequest.Item.pk).startsWith('FEED#');
};
type Row = Record<string, unknown>;
const putRows = (input: Record<string, unknown>): Row[] =>
  (input.RequestItems as Record<string, { PutRequest: { Item: Row } }[]>)[t.tableName]?.map(
    (request) => request.PutRequest.Item,
  ) ?? [];
const batchOf = (rows: readonly Row[]) => ({ [t.tableName]: rows.map((Item) => ({ PutRequest: { Item } })) });

/** Every feed entry of the item, in any shard, straight from the table. */
async function feedEntriesOf(itemId: string): Promise<FeedEntryRow[]> {
  return (await feedRows(t.clients.documents, t.tableName)).filter((row) => row.item.item_id === itemId);
}

/** A ticker's count in the folded metrics row of an hour. */
async function tickerCount(hourMs: number, ticker: string): Promise<number> {
  const { Item: row } = await t.clients.documents.send(
    new GetCommand({ TableName: t.tableName, Key: metricsRowKey(hourMs), ConsistentRead: true }),
  );
  const counts = (row?.tickers as Record<string, number[]> | undefined)?.[ticker];
  return counts?.[0] ?? 0;
}

/**
 * Listed once, at one stamp that the marker, `ingested_at` and the counters all agree on; and
 * handed exactly once to the reader that moved on during the delay.
 */
async function expectDeliveredOnceAndConsistent(follower: Follower, batch: readonly ItemInput[], since: number) {
  for (const input of batch) {
    expect(follower.times(input.item_id), `${input.item_id} delivered to the live reader`).toBe(1);
    const entries = await feedEntriesOf(input.item_id);
    expect(entries, `${input.item_id} in the feed once`).toHaveLength(1);
    const [entry] = entries as [(typeof entries)[number]];
    const stamp = parseFeedSortKey(entry.sk).arrivalMs;
    expect(entry.item.ingested_at).toBe(new Date(stamp).toISOString());
    const { Item: marker } = await t.clients.documents.send(
      new GetCommand({ TableName: t.tableName, Key: markerKey(input.item_id), ConsistentRead: true }),
    );
    expect(feedPartition(Number(marker?.shard))).toBe(entry.pk);
    expect(marker).toMatchObject({ feed_sk: entry.sk, item: { ingested_at: entry.item.ingested_at } });
  }
  // Each counted once, in the hour it is listed in, once the fold has absorbed it.
  t.advance(SETTLE_MS + 1000);
  await t.store.fold({ force: true });
  const ticker = (batch[0] as ItemInput).ticker;
  const hours = new Map<number, number>();
  for (const input of batch) {
    const [entry] = await feedEntriesOf(input.item_id);
    const hour = Math.floor(parseFeedSortKey(String(entry?.sk)).arrivalMs / HOUR_MS) * HOUR_MS;
    hours.set(hour, (hours.get(hour) ?? 0) + 1);
  }
  for (let hour = since - HOUR_MS; hour <= t.now() + HOUR_MS; hour += HOUR_MS) {
    expect(await tickerCount(hour, ticker), `${ticker} count of hour ${new Date(hour).toISOString()}`).toBe(
      hours.get(Math.floor(hour / HOUR_MS) * HOUR_MS) ?? 0,
    );
  }
}

/** The slowed moment: store time jumps past the settle window and the reader catches up. */
async function readerMovesOn(follower: Follower): Promise<void> {
  t.advance(DELAY_MS);
  await follower.poll();
}

describe('a feed put that leaves later than the settle window after the claim', () => {
  it('is re-stamped when a throttled BatchWrite is retried after the window', async () => {
    const batch = items(3);
    const follower = await Follower.atHead();
    const since = t.now();
    let feedWrites = 0;
    onWriterCall = async (call) => {
      if (!isFeedWrite(call) || ++feedWrites > 1) return undefined;
      await readerMovesOn(follower);
      // Throttled: nothing written, everything handed back to be retried.
      return { answer: { UnprocessedItems: call.input.RequestItems } };
    };

    const statuses = await writer.ingest(batch);
    await follower.poll();

    expect(statuses).toEqual(['created', 'created', 'created']);
    expect(follower.cursor.watermark).toBeGreaterThan(since);
    await expectDeliveredOnceAndConsistent(follower, batch, since);
  });

  it('keeps the stamp of what a partly applied BatchWrite wrote and moves the rest, across an hour', async () => {
    // Two seconds before the hour: the re-stamped items land in the next one.
    t.setTime(Math.ceil(t.now() / HOUR_MS) * HOUR_MS + HOUR_MS - 2000);
    const batch = items(3);
    const follower = await Follower.atHead();
    const since = t.now();
    let feedWrites = 0;
    onWriterCall = async (call) => {
      if (!isFeedWrite(call) || ++feedWrites > 1) return undefined;
      const [first, ...rest] = putRows(call.input);
      // DynamoDB applies the first put and throttles the others.
      await call.send({ ...call.input, RequestItems: batchOf(first === undefined ? [] : [first]) });
      await readerMovesOn(follower);
      return { answer: { UnprocessedItems: batchOf(rest) } };
    };

    await writer.ingest(batch);
    await follower.poll();

    await expectDeliveredOnceAndConsistent(follower, batch, since);
    const stamps = await Promise.all(
      batch.map(async (input) => {
        const [entry] = await feedEntriesOf(input.item_id);
        return parseFeedSortKey(String(entry?.sk)).arrivalMs;
      }),
    );
    // The applied one stayed in the old hour, the throttled ones moved to the next.
    expect(stamps.map((stamp) => Math.floor(stamp / HOUR_MS) - Math.floor(since / HOUR_MS))).toEqual([0, 1, 1]);
  });

  it('is re-stamped when another claim of the batch is slow', async () => {
    const batch = items(3);
    const follower = await Follower.atHead();
    const since = t.now();
    const slowClaim = markerKey((batch[2] as ItemInput).item_id).pk;
    onWriterCall = async (call) => {
      if (call.command !== 'PutItemCommand' || (call.input.Item as Row).pk !== slowClaim) return undefined;
      await readerMovesOn(follower);
      return undefined;
    };

    await writer.ingest(batch);
    await follower.poll();

    await expectDeliveredOnceAndConsistent(follower, batch, since);
  });

  it('reaches a reader resuming from a cursor taken during the delay, and a later re-post changes nothing', async () => {
    const batch = items(2);
    const follower = await Follower.atHead();
    const since = t.now();
    let during: FeedCursor | undefined;
    let feedWrites = 0;
    onWriterCall = async (call) => {
      if (!isFeedWrite(call) || ++feedWrites > 1) return undefined;
      await readerMovesOn(follower);
      during = follower.cursor;
      return { answer: { UnprocessedItems: call.input.RequestItems } };
    };

    await writer.ingest(batch);
    onWriterCall = passThrough;
    expect(await writer.ingest(batch)).toEqual(['duplicate', 'duplicate']);

    // A client that disconnected during the delay and resumes from its last event id.
    const parsed = t.store.parseCursor(t.store.encodeCursor(during as FeedCursor));
    if (!parsed.ok) throw new Error(`cursor refused: ${parsed.reason}`);
    const resumed = new Follower(parsed.cursor);
    await resumed.poll();
    await follower.poll();
    expect(batch.map((input) => resumed.times(input.item_id))).toEqual([1, 1]);
    await expectDeliveredOnceAndConsistent(follower, batch, since);
  });

  it("moves a dead writer's item, its count and ingested_at to the hour of the takeover", async () => {
    // The first writer claims five seconds before the hour and dies; the retry comes its window later.
    t.setTime(Math.ceil(t.now() / HOUR_MS) * HOUR_MS + HOUR_MS - 5000);
    const batch = items(2);
    const since = t.now();
    const crashed = createHaltingClients(t.dynalite.endpoint, batch.length);
    const dead = createStore({
      ...crashed,
      tableName: t.tableName,
      retentionDays: 7,
      settleMs: SETTLE_MS,
      now: () => t.now(),
    });
    await expect(dead.ingest(batch)).rejects.toThrow(/crashed before store call/);
    await crashed.settled();
    crashed.destroy();
    const follower = await Follower.atHead();
    t.advance(TAKEOVER_AFTER_MS + 1);
    await follower.poll();

    expect(await writer.ingest(batch)).toEqual(['created', 'created']);
    const takenOverAt = t.now();
    await follower.poll();

    await expectDeliveredOnceAndConsistent(follower, batch, since);
    const [entry] = await feedEntriesOf((batch[0] as ItemInput).item_id);
    expect(hourStart(parseFeedSortKey(String(entry?.sk)).arrivalMs)).toBe(hourStart(takenOverAt));
    expect(hourStart(takenOverAt)).toBeGreaterThan(hourStart(since));
  });
});
