/**
 * Sentiment over time, on real dynalite with a controlled clock: buckets by item `timestamp`
 * (not arrival), aligned to UTC, oldest first, every bucket present; which items count (at most
 * 24 h before, at most 5 min after their arrival); retries and conflicting re-posts never move a
 * count; the answer is the same from the feed's tail and from folded rows; a scope's rows cost at
 * most two Queries however many tickers and items there are; the cache serves, and this
 * process's ingests invalidate it.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemInput, MetricsHistory } from '../../../src/contract/index.ts';
import { createStore } from '../../../src/store/index.ts';
import { historyRowKey, hourStart } from '../../../src/store/keys.ts';
import { countQueries, type QueryCounter } from '../../support/query-counter.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** The test's "now": the 5-minute bucket 09:15 and the hour 09:00 are the current, partial ones. */
const NOW = Date.parse('2026-11-21T09:17:30.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestStore;
let queries: QueryCounter;
let sequence = 0;

function item(
  ticker: string,
  timestampMs: number | string,
  sentiment: ItemInput['sentiment'],
  score: number,
): ItemInput {
  sequence += 1;
  const timestamp = typeof timestampMs === 'string' ? timestampMs : iso(timestampMs);
  return { item_id: `hist-${sequence}`, ticker, sentiment, score, timestamp };
}

/** The bucket starting at `startMs` of an answer. */
function bucketAt(answer: MetricsHistory, startMs: number) {
  const found = answer.buckets.find((b) => b.start === iso(startMs));
  if (found === undefined) throw new Error(`no bucket at ${iso(startMs)}`);
  return found;
}

const batch = [
  // The 5-minute boundary 09:10: one item on each side of it, one exactly on it.
  item('HA', NOW - 7.5 * MIN - 1, 'positive', 0.5),
  item('HA', NOW - 7.5 * MIN, 'negative', -0.25),
  item('HA', NOW - 7.5 * MIN + 1, 'neutral', 0),
  // The current 5-minute bucket, and 4 minutes ahead of the clock (a pipeline clock a little fast).
  item('HA', NOW - 1000, 'positive', 0.75),
  item('HB', NOW + 4 * MIN, 'positive', 1),
  // Ten minutes ahead: a clock error, not counted.
  item('HB', NOW + 10 * MIN, 'positive', 1),
  // 3.5 hours back: outside the 5-minute window, inside the hourly one.
  item('HB', NOW - 3.5 * HOUR, 'negative', -0.5),
  // Yesterday 10:00-11:00, the oldest hour of the window (across the day partitions).
  item('HA', Date.parse('2026-11-20T10:00:00.000Z'), 'negative', -1),
  // Published more than 24 h before it arrived: never in any window, not counted.
  item('HA', NOW - DAY - 1, 'positive', 1),
  // A leap second (allowed by the date-time format) counts as the next second: 09:00:00 here.
  item('HC', '2026-11-21T08:59:60Z', 'neutral', 0.125),
  // An offset spelling: 09:16:00Z.
  item('HC', '2026-11-21T10:16:00+01:00', 'neutral', 0.25),
];

beforeAll(async () => {
  t = await startTestStore({ startAt: NOW });
  queries = countQueries(t.clients.client, 1000);
  expect(await t.store.ingest(batch)).toEqual(batch.map(() => 'created'));
});
afterAll(async () => {
  await t.close();
});

describe('history buckets', () => {
  it('answers 36 five-minute buckets, oldest first, aligned, the current one last', async () => {
    const answer = await t.store.history('5m');
    expect(answer.bucket).toBe('5m');
    expect(answer.buckets).toHaveLength(36);
    expect(answer.buckets[0]?.start).toBe('2026-11-21T06:20:00.000Z');
    expect(answer.buckets.at(-1)?.start).toBe('2026-11-21T09:15:00.000Z');
    const first = Date.parse('2026-11-21T06:20:00.000Z');
    expect(answer.buckets.map((b) => Date.parse(b.start))).toEqual(answer.buckets.map((_, i) => first + i * 5 * MIN));
    expect(bucketAt(answer, Date.parse('2026-11-21T09:05:00.000Z'))).toEqual({
      start: '2026-11-21T09:05:00.000Z',
      total: 1,
      positive: 1,
      neutral: 0,
      negative: 0,
      average_score: 0.5,
    });
    expect(bucketAt(answer, Date.parse('2026-11-21T09:10:00.000Z'))).toMatchObject({
      total: 2,
      negative: 1,
      neutral: 1,
      average_score: -0.125,
    });
    // The current bucket: HA 09:17:29, HC 09:16:00; HB's 09:21:30 lies in the next bucket.
    expect(bucketAt(answer, Date.parse('2026-11-21T09:15:00.000Z'))).toMatchObject({ total: 2, average_score: 0.5 });
    // Empty buckets are present with zeros.
    expect(bucketAt(answer, Date.parse('2026-11-21T07:00:00.000Z'))).toEqual({
      start: '2026-11-21T07:00:00.000Z',
      total: 0,
      positive: 0,
      neutral: 0,
      negative: 0,
      average_score: null,
    });
    // The leap-second item (09:00:00) is in the window too.
    expect(answer.buckets.reduce((sum, b) => sum + b.total, 0)).toBe(6);
  });

  it('answers 24 hourly buckets across two days, by timestamp, the rules applied', async () => {
    const answer = await t.store.history('1h');
    expect(answer.buckets).toHaveLength(24);
    expect(answer.buckets[0]?.start).toBe('2026-11-20T10:00:00.000Z');
    expect(answer.buckets.at(-1)?.start).toBe('2026-11-21T09:00:00.000Z');
    expect(answer.buckets[0]).toMatchObject({ total: 1, negative: 1, average_score: -1 });
    expect(bucketAt(answer, Date.parse('2026-11-21T05:00:00.000Z'))).toMatchObject({ total: 1, negative: 1 });
    // 09:00: the three around 09:10, HA 09:17:29, the leap second, HC 09:16 and HB 09:21:30.
    expect(bucketAt(answer, Date.parse('2026-11-21T09:00:00.000Z'))).toMatchObject({
      total: 7,
      positive: 3,
      neutral: 3,
      negative: 1,
      average_score: Math.round(((0.5 - 0.25 + 0 + 0.75 + 1 + 0.125 + 0.25) / 7) * 1000) / 1000,
    });
    expect(answer.buckets.reduce((sum, b) => sum + b.total, 0)).toBe(9);
  });

  it('answers one ticker alone', async () => {
    const ha = await t.store.history('1h', 'HA');
    expect(ha.buckets.reduce((sum, b) => sum + b.total, 0)).toBe(5);
    const hb = await t.store.history('5m', 'HB');
    expect(hb.buckets.reduce((sum, b) => sum + b.total, 0)).toBe(0);
    const unknown = await t.store.history('1h', 'NOPE');
    expect(unknown.buckets.every((b) => b.total === 0 && b.average_score === null)).toBe(true);
  });

  it('moves with the clock: the window is always the last 24 / 36 buckets', async () => {
    t.setTime(NOW + 1 * HOUR);
    try {
      const answer = await t.store.history('1h');
      expect(answer.buckets[0]?.start).toBe('2026-11-20T11:00:00.000Z');
      expect(answer.buckets.reduce((sum, b) => sum + b.total, 0)).toBe(8);
    } finally {
      t.setTime(NOW);
    }
  });

  it('keeps every count when a batch is retried or re-posted with other content', async () => {
    const before = { h: await t.store.history('1h'), m: await t.store.history('5m', 'HA') };
    expect(await t.store.ingest(batch)).toEqual(batch.map(() => 'duplicate'));
    const moved = batch.map((b) => ({ ...b, timestamp: iso(NOW - 2 * HOUR), sentiment: 'neutral' as const }));
    expect(await t.store.ingest(moved)).toEqual(batch.map(() => 'conflict'));
    expect(await t.store.history('1h')).toEqual(before.h);
    expect(await t.store.history('5m', 'HA')).toEqual(before.m);
  });

  it('answers the same once the rows have absorbed the feed', async () => {
    const answers = async () =>
      Promise.all([
        t.store.history('1h'),
        t.store.history('5m'),
        t.store.history('1h', 'HA'),
        t.store.history('5m', 'HC'),
      ]);
    // The clock only moves on from here: a fold makes the past final.
    t.setTime(NOW + 10_000);
    const fromTail = await answers();
    expect((await t.store.fold({ force: true })).outcome).toBe('folded');
    expect(await answers()).toEqual(fromTail);
  });

  it('keeps one row per scope and hour of timestamp, with its slots, until two days after the hour', async () => {
    const slot = Date.parse('2026-11-21T09:05:00.000Z');
    const hour = hourStart(slot);
    const { Item: row } = await t.clients.documents.send(
      new GetCommand({ TableName: t.tableName, Key: historyRowKey(hour, { ticker: 'HA' }), ConsistentRead: true }),
    );
    expect(row?.ttl).toBe((hour + HOUR + 2 * DAY) / 1000);
    // HA's items of that hour: one at 09:05, two at 09:10, one at 09:15.
    expect(row?.slots).toEqual({ '05': [1, 1, 0, 0, 0.5], '10': [2, 0, 1, 1, -0.25], '15': [1, 1, 0, 0, 0.75] });
  });
});

/** A store on the test's table whose answers may be a minute old: only what they lack is read. */
const storeWithLongAge = () =>
  createStore({
    ...t.clients,
    tableName: t.tableName,
    retentionDays: 7,
    settleMs: 5000,
    aggregatesMaxAgeMs: 60_000,
    now: () => t.now(),
  });

describe('history reads are bounded', () => {
  it('reads a scope’s rows in at most two Queries, that scope only, whatever the number of tickers and items', async () => {
    const many = Array.from({ length: 100 }, (_, i) =>
      item(`M${i}`, NOW - (i % 23) * HOUR - (i % 12) * 5 * MIN, 'positive', 0.25),
    );
    for (let i = 0; i < many.length; i += 25) await t.store.ingest(many.slice(i, i + 25));
    t.setTime(NOW + 20_000);
    await t.store.fold({ force: true });
    // A store whose view stays fresh for the test: only the rows a new scope needs are read.
    const fresh = storeWithLongAge();
    await fresh.aggregates();
    for (const [bucket, ticker] of [
      ['1h', undefined],
      ['5m', undefined],
      ['1h', 'M7'],
      ['5m', 'M0'],
    ] as const) {
      queries.reset();
      const answer = await fresh.history(bucket, ticker);
      expect(queries.count, `${bucket} ${ticker ?? 'all'}`).toBeLessThanOrEqual(2);
      const scope = ticker === undefined ? 'HIST#ALL#' : `HIST#T#${ticker}#`;
      expect(queries.partitions.every((pk) => pk.startsWith(scope))).toBe(true);
      if (bucket === '1h' && ticker === undefined) expect(answer.buckets.reduce((s, b) => s + b.total, 0)).toBe(109);
    }
  });
});

describe('the history cache', () => {
  it('serves within its age, shares nothing across windows, and is invalidated by this process', async () => {
    const cached = storeWithLongAge();
    const first = await cached.history('5m', 'HC');
    queries.reset();
    expect(await cached.history('5m', 'HC')).toEqual(first);
    expect(queries.count).toBe(0);
    await cached.history('1h', 'HC');
    expect(queries.count).toBeGreaterThan(0);
    await cached.ingest([item('HC', NOW - 2 * MIN, 'positive', 0.5)]);
    queries.reset();
    const after = await cached.history('5m', 'HC');
    expect(queries.count).toBeGreaterThan(0);
    expect(after.buckets.reduce((s, b) => s + b.total, 0)).toBe(first.buckets.reduce((s, b) => s + b.total, 0) + 1);
  });
});
