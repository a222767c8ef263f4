import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../src/store/index.ts';
import { feedPartition, feedSortKey, tickerIndexKey } from '../../../src/store/keys.ts';
import type { FeedRead } from '../../../src/stream/ports.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;

const idsOf = (read: FeedRead): string[] => read.entries.map((entry) => entry.item.item_id);
beforeEach(async () => {
  t = await startTestStore({ settleMs: 5000 });
});
afterEach(async () => {
  await t.close();
});

/** Ingests `count` items one millisecond apart; returns their ids in order. */
async function ingestSpaced(count: number, overrides: Record<string, unknown> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const item = itemInput(overrides);
    await t.store.ingest([item]);
    ids.push(item.item_id);
    t.advance(1);
  }
  return ids;
}

describe('readAfter', () => {
  it('delivers every item once across many reads, resuming from encoded cursors', async () => {
    let cursor = await t.store.headCursor();
    const seen: string[] = [];
    const ingested: string[] = [];
    for (let round = 0; round < 5; round++) {
      ingested.push(...(await ingestSpaced(7)));
      // Round-trip through the wire format, as a reconnecting client does.
      const read = await t.store.readAfter(decodeCursor(encodeCursor(cursor)) ?? cursor, 3);
      seen.push(...idsOf(read));
      cursor = read.cursor;
      t.advance(800);
    }
    for (;;) {
      const read = await t.store.readAfter(cursor, 3);
      seen.push(...idsOf(read));
      cursor = read.cursor;
      if (!read.full) break;
    }
    expect(seen).toEqual(ingested);
  });

  it('still delivers a write that became visible late, inside the settle window, exactly once', async () => {
    const start = await t.store.headCursor();
    const [early] = await ingestSpaced(1);
    const lateArrival = t.now(); // the slow writer stamped here...
    t.advance(10);
    const [later] = await ingestSpaced(1);
    const first = await t.store.readAfter(start, 100);
    // ...and its write only lands now, after a reader moved past its stamp.
    const late = itemInput();
    const position = { pk: feedPartition(3), sk: feedSortKey(lateArrival, late.item_id) };
    await t.clients.documents.send(
      new PutCommand({
        TableName: t.tableName,
        Item: {
          ...position,
          gsi1pk: tickerIndexKey('AAPL'),
          gsi1sk: position.sk,
          item: { ...late, ingested_at: new Date(lateArrival).toISOString() },
        },
      }),
    );
    t.advance(1000);

    const second = await t.store.readAfter(first.cursor, 100);
    const resumed = await t.store.readAfter(decodeCursor(encodeCursor(second.cursor)) ?? second.cursor, 100);

    expect(idsOf(first)).toEqual([early, later]);
    expect(idsOf(second)).toEqual([late.item_id]);
    expect(resumed.entries).toEqual([]);
  });

  it('moves the watermark to the settle boundary and forgets entries below it', async () => {
    const start = await t.store.headCursor();
    await ingestSpaced(3);
    const read = await t.store.readAfter(start, 100);
    expect(read.cursor.entries).toHaveLength(3);

    t.advance(6000);
    const later = await t.store.readAfter(read.cursor, 100);

    expect(later.entries).toEqual([]);
    expect(later.cursor.entries).toEqual([]);
    expect(later.cursor.watermark).toBe(t.now() - 5000);
  });

  it('reads across hours and shards in feed order', async () => {
    t.setTime(Date.parse('2026-11-21T09:59:59.000Z'));
    const start = await t.store.headCursor();
    const ids = [...(await ingestSpaced(2)), ...(t.advance(2000), await ingestSpaced(2))];
    t.setTime(Date.parse('2026-11-21T12:00:00.000Z'));

    const read = await t.store.readAfter(start, 100);

    expect(idsOf(read)).toEqual(ids);
  });

  it('rejects malformed and expired cursors', () => {
    expect(t.store.parseCursor('1.zz.bad')).toEqual({ ok: false, reason: 'malformed' });
    expect(t.store.parseCursor('garbage\nevent: x')).toEqual({ ok: false, reason: 'malformed' });
    const old = encodeCursor({ watermark: t.now() - 8 * 86_400_000, entries: [] });
    expect(t.store.parseCursor(old)).toEqual({ ok: false, reason: 'expired' });
  });
});

describe('readNewest', () => {
  it('pages newest first to the end, without repeats', async () => {
    const ids = await ingestSpaced(12);
    const pages: string[][] = [];
    let page = await t.store.readNewest({ limit: 5 });
    pages.push(page.items.map((i) => i.item_id));
    while (page.nextPage !== null) {
      const token = JSON.parse(Buffer.from(page.nextPage, 'base64url').toString()) as { k: string };
      page = await t.store.readNewest({ limit: 5, page: token });
      pages.push(page.items.map((i) => i.item_id));
    }
    // Every shard is read down to the retention in one page: the walk ends with the last item.
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(pages.flat()).toEqual([...ids].reverse());
  });

  it('filters by ticker through the ticker index', async () => {
    await ingestSpaced(3, { ticker: 'TSLA' });
    const msft = await ingestSpaced(2, { ticker: 'MSFT' });
    await ingestSpaced(3, { ticker: 'TSLA' });

    const page = await t.store.readNewest({ limit: 10, ticker: 'MSFT' });

    expect(page.items.map((i) => i.item_id)).toEqual([...msft].reverse());
    expect(page.nextPage).toBeNull();
  });
});

describe('aggregates', () => {
  it('counts the current hour and the 23 before it, per ticker and in total', async () => {
    t.setTime(Date.parse('2026-11-20T08:30:00.000Z'));
    await t.store.ingest([itemInput({ ticker: 'AAPL' })]); // 25 h before the read: outside
    t.setTime(Date.parse('2026-11-20T10:15:00.000Z'));
    await t.store.ingest([itemInput({ ticker: 'AAPL', sentiment: 'negative', score: -0.5 })]); // 23 h before: inside
    t.setTime(Date.parse('2026-11-21T08:40:00.000Z'));
    await t.store.ingest([itemInput({ ticker: 'MSFT', sentiment: 'neutral', score: 0 })]);
    t.setTime(Date.parse('2026-11-21T09:20:00.000Z'));
    await t.store.ingest([itemInput({ ticker: 'AAPL', score: 0.9 }), itemInput({ ticker: 'AAPL', score: 0.6 })]);
    t.setTime(Date.parse('2026-11-21T09:30:00.000Z'));

    const { metrics, tickers } = await t.store.aggregates();
    const only = await t.store.aggregates(new Set(['MSFT']));

    expect(metrics).toEqual({
      total: 4,
      positive: 2,
      neutral: 1,
      negative: 1,
      by_tag: { AAPL: 3, MSFT: 1 },
      // the current hour (2) plus half of the previous one (1 × 0.5), rounded
      rate_last_hour: 3,
      rate_last_24h: 4,
      as_of: '2026-11-21T09:30:00.000Z',
    });
    expect(tickers.find((a) => a.ticker === 'AAPL')).toMatchObject({
      total: 3,
      positive: 2,
      negative: 1,
      average_score: 0.333,
    });
    expect(only.metrics).toMatchObject({ total: 1, neutral: 1, by_tag: { MSFT: 1 } });

    // The same answer once the rows have absorbed the feed (the items are settled by now).
    expect((await t.store.fold({ force: true })).outcome).toBe('folded');
    const folded = await t.store.aggregates();
    expect({ ...folded.metrics, as_of: metrics.as_of }).toEqual(metrics);
    expect(folded.tickers).toEqual(tickers);
    expect((await t.store.aggregates(new Set(['MSFT']))).metrics).toEqual({
      ...only.metrics,
      as_of: folded.metrics.as_of,
    });
  });
});
