/**
 * Every feed read is bounded whatever position it is handed (tickerpulse issue 9, finding 3): a
 * read sends at most MAX_QUERIES_PER_READ queries, never looks outside the retention, continues
 * where it stopped when asked again, and stops as soon as its AbortSignal fires. Queries are
 * counted on the real DynamoDB client talking to a real dynalite.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodePageToken, encodeCursor, type FeedCursor, MAX_QUERIES_PER_READ } from '../../../src/store/index.ts';
import { encodePageToken } from '../../../src/store/newest.ts';
import { countQueries, type QueryCounter } from '../../support/query-counter.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-11-21T09:30:00.000Z');
/** Each read takes one page of every shard, from the position to now: a sparse retention is one read. */
const MAX_READS_ACROSS_RETENTION = 2;
const stamp = (ms: number) => String(ms).padStart(13, '0');

let t: TestStore;
let queries: QueryCounter;
// Far above any bounded read, far below a walk to the year 2286.
const CEILING = 500;

beforeAll(async () => {
  t = await startTestStore({ settleMs: 5000, startAt: START - 6 * DAY });
  queries = countQueries(t.clients.client, CEILING);
  // A sparse feed: one item six days ago, one at each end of a quiet week.
  await t.store.ingest([itemInput({ item_id: 'old-1', ticker: 'MSFT' })]);
  t.setTime(START - 2 * HOUR);
  await t.store.ingest([itemInput({ item_id: 'recent-1', ticker: 'MSFT' })]);
  t.setTime(START);
  await t.store.ingest([itemInput({ item_id: 'now-1', ticker: 'AAPL' })]);
  t.advance(10_000);
});
afterAll(async () => {
  await t.close();
});
beforeEach(() => {
  t.setTime(START + 10_000);
  queries.reset();
  queries.onQuery(undefined);
});

/** Runs `read` and returns its result with the queries it sent. */
async function counted<T>(read: () => Promise<T>): Promise<{ result: T; sent: number }> {
  queries.reset();
  const result = await read();
  return { result, sent: queries.count };
}

describe('readNewest (GET /api/v2/items pages)', () => {
  it.each([
    ['far in the future (year 2286)', '9999999999999#x'],
    ['a year ahead', `${stamp(START + 365 * DAY)}#x`],
    ['far in the past', '0000000000000#x'],
    ['just before the retention', `${stamp(START - 8 * DAY)}#x`],
  ])('stays within one query budget for a page key %s', async (_name, k) => {
    const { result, sent } = await counted(() => t.store.readNewest({ limit: 10, page: { k } }));

    expect(sent).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
    // A key beyond now lists from now; one below the retention lists nothing.
    const ids = result.items.map((i) => i.item_id);
    expect(ids.length === 0 || ids[0] === 'now-1').toBe(true);
  });

  it('crosses a sparse week one bounded read at a time, returning every item once', async () => {
    const seen: string[] = [];
    let page: string | null | undefined;
    let reads = 0;
    do {
      const token = typeof page === 'string' ? (decodePageToken(page) ?? undefined) : undefined;
      const { result, sent } = await counted(() => t.store.readNewest({ limit: 10, page: token }));
      expect(sent).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
      seen.push(...result.items.map((i) => i.item_id));
      page = result.nextPage;
      reads += 1;
    } while (page !== null && reads <= MAX_READS_ACROSS_RETENTION);

    expect(page).toBeNull();
    expect(seen).toEqual(['now-1', 'recent-1', 'old-1']);
  });

  it('stays within the budget on the ticker index too', async () => {
    const { result, sent } = await counted(() =>
      t.store.readNewest({ limit: 10, ticker: 'MSFT', page: { k: '9999999999999#x' } }),
    );
    expect(sent).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
    expect(result.items.map((i) => i.item_id)).toEqual(['recent-1', 'old-1']);
  });

  it('refuses crafted tokens before reading: future, expired, another listing, not ours', () => {
    const token = (k: string, s = '*') => encodePageToken({ k, s });
    const malformed = { ok: false, reason: 'malformed' };
    expect(t.store.parsePageToken(token('9999999999999#x'), undefined)).toEqual(malformed);
    expect(t.store.parsePageToken(token(`${stamp(START + DAY)}#x`), undefined)).toEqual(malformed);
    expect(t.store.parsePageToken(token(`${stamp(START - 8 * DAY)}#x`), undefined)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(t.store.parsePageToken(token(`${stamp(START)}#x`, 'AAPL'), 'MSFT')).toEqual(malformed);
    expect(t.store.parsePageToken(token(`${stamp(START)}#x`, 'AAPL'), undefined)).toEqual(malformed);
    expect(t.store.parsePageToken(token(`${stamp(START)}#x`), 'AAPL')).toEqual(malformed);
    expect(t.store.parsePageToken('x'.repeat(100_000), undefined)).toEqual(malformed);
    expect(t.store.parsePageToken(token(`${stamp(START)}#x`), undefined).ok).toBe(true);
    expect(queries.count).toBe(0);
  });
});

describe('readAfter (streams and ?after=)', () => {
  it('crosses the retention from its oldest cursor one bounded read at a time, missing nothing', async () => {
    const parsed = t.store.parseCursor(encodeCursor({ watermark: START - 7 * DAY + HOUR, entries: [] }));
    expect(parsed.ok).toBe(true);
    let cursor = parsed.ok ? parsed.cursor : ({ watermark: 0, entries: [] } as FeedCursor);
    const seen: string[] = [];
    let reads = 0;
    for (;;) {
      const { result, sent } = await counted(() => t.store.readAfter(cursor, 50));
      expect(sent).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
      // A read that stopped early always moves the cursor on.
      if (result.full) expect(result.cursor).not.toEqual(cursor);
      seen.push(...result.entries.map((entry) => entry.item.item_id));
      cursor = result.cursor;
      reads += 1;
      if (!result.full || reads > MAX_READS_ACROSS_RETENTION) break;
    }
    expect(reads).toBeLessThanOrEqual(MAX_READS_ACROSS_RETENTION);
    expect(seen).toEqual(['old-1', 'recent-1', 'now-1']);
  });

  it.each([
    ['far in the future', 9_999_999_999_999],
    ['at the epoch', 0],
    ['just below the retention', START - 8 * DAY],
  ])('stays within one query budget for a cursor object %s, even unparsed', async (_name, watermark) => {
    const { sent } = await counted(() => t.store.readAfter({ watermark, entries: [] }, 50));
    expect(sent).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
  });

  it('refuses a cursor whose watermark or entries lie in the future', () => {
    const future = encodeCursor({ watermark: 9_999_999_999_999, entries: [] });
    const futureEntry = encodeCursor({ watermark: START, entries: [{ arrivalMs: START + DAY, hash: 'AAAAAAAA' }] });
    expect(t.store.parseCursor(future)).toEqual({ ok: false, reason: 'malformed' });
    expect(t.store.parseCursor(futureEntry)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('finds the head within one budget', async () => {
    const { sent } = await counted(() => t.store.headCursor());
    expect(sent).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
  });
});

describe('a read whose caller left', () => {
  const oldest: FeedCursor = { watermark: START - 7 * DAY + HOUR, entries: [] };
  const reads: [string, (signal: AbortSignal) => Promise<unknown>][] = [
    ['readAfter', (signal) => t.store.readAfter(oldest, 50, { signal })],
    ['readNewest', (signal) => t.store.readNewest({ limit: 50, page: { k: `${stamp(START - 3 * HOUR)}#x` }, signal })],
  ];

  it.each(reads)('%s stops with the queries in flight when its signal fires', async (_name, read) => {
    const controller = new AbortController();
    const gone = new Error('client gone');
    // The client leaves while the third query is on its way: the read's one round of shard
    // queries is aborted, and nothing follows it.
    queries.onQuery((n) => {
      if (n === 3) controller.abort(gone);
    });

    await expect(read(controller.signal)).rejects.toBe(gone);
    expect(queries.count).toBeLessThanOrEqual(MAX_QUERIES_PER_READ);
  });

  it.each(reads)('%s sends nothing when its signal fired before it started', async (_name, read) => {
    const gone = new Error('client gone');
    await expect(read(AbortSignal.abort(gone))).rejects.toBe(gone);
    expect(queries.count).toBe(0);
  });
});
