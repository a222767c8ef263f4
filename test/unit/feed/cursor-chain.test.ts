/**
 * The law that matters most of cursors, over generated feeds where many items share one stamp
 * (a batch of 100 is stamped in one millisecond, and concurrent batches in the same one): a
 * chain of reads with any page sizes delivers every item once, in feed order, and resuming from
 * the id of any event (the cursor right after its item) delivers exactly the items after it.
 * The same holds while the feed lands between the reads a few items at a time, in feed order,
 * as one process's ingests write it.
 *
 * Reads are the store's own, over rows held in memory (`readAppended`, which is how a process
 * answers from what it appended), with the clock held inside the settle window, so nothing but
 * the cursor decides what is delivered.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { advanceCursor, checkCursor, encodeCursor, type FeedCursor, MAX_ENTRIES } from '../../../src/feed/cursor.ts';
import type { StoreContext } from '../../../src/store/context.ts';
import { readAppended } from '../../../src/store/feed.ts';
import type { FeedRowRaw } from '../../../src/store/feed-query.ts';
import { feedSortKey } from '../../../src/store/keys.ts';
import { entryCursors } from '../../../src/stream/entry-cursors.ts';
import type { CursorOps } from '../../../src/stream/ports.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const SETTLE_MS = 5000;
// Never sent: the reads here answer from rows in memory.
const client = new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
afterAll(() => {
  client.destroy();
});
const ctx: StoreContext = {
  documents: DynamoDBDocumentClient.from(client),
  tableName: 'unused',
  retentionMs: 7 * 86_400_000,
  settleMs: SETTLE_MS,
  foldIntervalMs: 60_000,
  now: () => NOW,
};
const cursors: CursorOps = {
  parseCursor: (text) => checkCursor(text, NOW, ctx.retentionMs),
  encodeCursor,
  advanceCursor: (cursor, items, readAt, upTo) => advanceCursor(cursor, items, readAt, SETTLE_MS, upTo),
};

const rowOf = (arrivalMs: number, itemId: string): FeedRowRaw => ({
  sk: feedSortKey(arrivalMs, itemId),
  item: {
    item_id: itemId,
    ticker: 'AAPL',
    sentiment: 'neutral',
    score: 0,
    timestamp: '2026-11-21T09:00:00.000Z',
    ingested_at: '2026-11-21T09:00:00.000Z',
  },
});

/** Stamps a little below now, each with up to 300 items (ids of any allowed shape, distinct). */
const feed = fc
  .array(fc.record({ offset: fc.integer({ min: 1, max: 40 }), count: fc.integer({ min: 1, max: 300 }) }), {
    minLength: 1,
    maxLength: 4,
  })
  .chain((stamps) => {
    const total = stamps.reduce((sum, stamp) => sum + stamp.count, 0);
    return fc
      .uniqueArray(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/), { minLength: total, maxLength: total })
      .map((ids) => {
        let next = 0;
        const rows = stamps.flatMap(({ offset, count }) =>
          Array.from({ length: count }, () => rowOf(NOW - offset, ids[next++] ?? '')),
        );
        return rows.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
      });
  });

const pageSizes = fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 8 });

/** Reads the whole feed from `from`, page after page: every item id delivered, and the per-item cursors. */
function readChain(rows: readonly FeedRowRaw[], from: FeedCursor, sizes: readonly number[]) {
  const delivered: string[] = [];
  const after: FeedCursor[] = [];
  let cursor = from;
  for (let page = 0; page < 10_000; page++) {
    const read = readAppended(ctx, cursor, sizes[page % sizes.length] ?? 1, rows);
    for (const { entry, cursor: next } of entryCursors(cursors, cursor, read)) {
      delivered.push(entry.item.item_id);
      after.push(next);
    }
    cursor = read.cursor;
    if (read.entries.length === 0) return { delivered, after };
  }
  throw new Error('the chain never ended');
}

/**
 * Like `readChain`, but the feed lands while it is read: before each page, the next few items
 * land, stamp after stamp and within a stamp in id order, as one process's ingests write them
 * (ingest-feed.ts writes a batch in BatchWrites of 25, in feed order). Reads go on until the
 * feed has landed whole and a read finds nothing. (Items of a lower stamp landing after a
 * higher one was read are the settle window's business, and beyond 48 items in it a stated
 * risk: cursor.ts, `overflow`.)
 */
function readLanding(
  rows: readonly FeedRowRaw[],
  from: FeedCursor,
  sizes: readonly number[],
  landings: readonly number[],
) {
  let landed = 0;
  const delivered: string[] = [];
  const after: FeedCursor[] = [];
  let cursor = from;
  for (let page = 0; page < 10_000; page++) {
    landed = Math.min(rows.length, landed + ((landings[page % landings.length] ?? 0) % 30));
    const read = readAppended(ctx, cursor, sizes[page % sizes.length] ?? 1, rows.slice(0, landed));
    for (const { entry, cursor: next } of entryCursors(cursors, cursor, read)) {
      delivered.push(entry.item.item_id);
      after.push(next);
    }
    cursor = read.cursor;
    if (read.entries.length > 0) continue;
    if (landed === rows.length) return { delivered, after };
    landed += 1;
  }
  throw new Error('the chain never ended');
}

const start: FeedCursor = { watermark: NOW - 2 * SETTLE_MS, entries: [] };
const idsOf = (rows: readonly FeedRowRaw[]) => rows.map((row) => row.item.item_id);

describe('a chain of reads over stamps shared by many items', () => {
  it('delivers every item once, in feed order, whatever the page sizes', () => {
    fc.assert(
      fc.property(feed, pageSizes, (rows, sizes) => {
        expect(readChain(rows, start, sizes).delivered).toEqual(idsOf(rows));
      }),
      { numRuns: 150 },
    );
  });

  it('resumes from any event id with exactly the items after it', () => {
    fc.assert(
      fc.property(feed, pageSizes, fc.nat(), fc.integer({ min: 1, max: 120 }), (rows, sizes, pick, resumeSize) => {
        const { after } = readChain(rows, start, sizes);
        const at = pick % after.length;
        const resumed = readChain(rows, after[at] ?? start, [resumeSize]);
        expect(resumed.delivered).toEqual(idsOf(rows).slice(at + 1));
      }),
      { numRuns: 150 },
    );
  });

  it('delivers every item once while the feed lands in order, a few items at a time', () => {
    fc.assert(
      fc.property(feed, pageSizes, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (rows, sizes, landings) => {
        const { delivered } = readLanding(rows, start, sizes, landings);
        expect(delivered).toHaveLength(rows.length);
        expect(new Set(delivered)).toEqual(new Set(idsOf(rows)));
      }),
      { numRuns: 150 },
    );
  });

  it('resumes from any event id of such a chain with exactly the items the chain sent after it', () => {
    fc.assert(
      fc.property(
        feed,
        pageSizes,
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (rows, sizes, landings, pick) => {
          const { delivered, after } = readLanding(rows, start, sizes, landings);
          const at = pick % after.length;
          const resumed = readChain(rows, after[at] ?? start, [100]);
          expect(new Set(resumed.delivered)).toEqual(new Set(delivered.slice(at + 1)));
          expect(resumed.delivered).toHaveLength(delivered.length - at - 1);
        },
      ),
      { numRuns: 150 },
    );
  });

  it(`keeps every cursor of such a chain within ${MAX_ENTRIES.toString()} entries`, () => {
    fc.assert(
      fc.property(feed, pageSizes, (rows, sizes) => {
        for (const cursor of readChain(rows, start, sizes).after)
          expect(cursor.entries.length).toBeLessThanOrEqual(MAX_ENTRIES);
      }),
      { numRuns: 50 },
    );
  });
});
