/**
 * The ledger (store.ts `ledgerReads`) answers a read of the cursor the last complete read
 * returned from the rows appended since. A `?after=` read (`exactText`) may stop for want of room
 * in its text, short of rows it neither delivered nor covers: it is never the ledger's starting
 * point, even when the same cursor object comes back (found by an adversarial review; the REST
 * handler decodes a fresh object per request, so nothing reached it then).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeedCursor } from '../../../src/feed/cursor.ts';
import { createFeedActivity, createStore } from '../../../src/store/index.ts';
import { FakeFeedTable } from '../../support/fake-feed-table.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const client = new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
afterAll(() => {
  client.destroy();
});

/**
 * Reads 60 items of one stamp 1 s old with `?after=`'s rule (48 listed, the rest once settled),
 * then again 5 s later from `next(first cursor)`, on an exclusive store: every item id delivered.
 */
async function twoTextReads(next: (cursor: FeedCursor) => FeedCursor): Promise<string[]> {
  const table = new FakeFeedTable();
  let clock = NOW;
  for (let i = 0; i < 60; i++) table.put(NOW - 1000, `e${String(i).padStart(2, '0')}`);
  const store = createStore({
    client,
    documents: table.documents,
    tableName: 'fake',
    retentionDays: 7,
    settleMs: 5000,
    now: () => clock,
    activity: createFeedActivity({ exclusive: true }),
  });
  try {
    const first = await store.readAfter({ watermark: NOW - 10_000, entries: [] }, 100, { exactText: true });
    expect(first.entries).toHaveLength(48);
    expect(first.full).toBe(false);
    clock = NOW + 5000;
    const second = await store.readAfter(next(first.cursor), 100, { exactText: true });
    return [...first.entries, ...second.entries].map((entry) => entry.item.item_id);
  } finally {
    await store.close();
  }
}

describe('the ledger after an exactText read that stopped for room', () => {
  it('reading on from the same cursor object delivers the rows beyond the stop', async () => {
    expect(await twoTextReads((cursor) => cursor)).toHaveLength(60);
  });

  it('(control) so does reading on from a copy, which the ledger could not recognise anyway', async () => {
    expect(await twoTextReads((cursor) => structuredClone(cursor))).toHaveLength(60);
  });
});
