/**
 * Sentiment over time (`GET /api/v2/metrics/history`) from the history counters the ingest keeps
 * per 5-minute slot of item `timestamp` (history-window.ts): one Query per day partition the
 * window touches (at most two), on a sort-key range of one scope, whatever the number of items or
 * tickers. `1h` buckets are folded from their twelve slots, so an item costs one counter pair.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryBucket, HistoryBucketSize, MetricsHistory } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { type HistoryWindow, historyWindow, SLOT_MS } from './history-window.ts';
import { DAY_MS, historyPartition, historySortKey, type HistoryScope, parseHistoryKey } from './keys.ts';

/**
 * Queries one history read may send. A window touches at most two day partitions, each one page
 * (at most 288 rows of about 100 bytes); the rest is headroom for rows grown by pending
 * attributes left behind by crashed ingests. Beyond it the read fails rather than grow.
 */
const MAX_HISTORY_QUERIES = 4;

/** Distinct (bucket, ticker, window) answers the cache keeps; the oldest goes first. */
const MAX_CACHED_ANSWERS = 256;

interface SlotCounts {
  readonly slotMs: number;
  readonly total: number;
  readonly positive: number;
  readonly neutral: number;
  readonly negative: number;
  readonly scoreSum: number;
}

const EMPTY = { total: 0, positive: 0, neutral: 0, negative: 0, scoreSum: 0 };

/** The day partitions of `window` and the slot range to read in each. */
function partitionsOf(window: HistoryWindow, scope: HistoryScope) {
  const ranges: { pk: string; from: string; to: string }[] = [];
  for (let day = Math.floor(window.startMs / DAY_MS) * DAY_MS; day < window.endMs; day += DAY_MS) {
    const first = Math.max(window.startMs, day);
    const last = Math.min(window.endMs, day + DAY_MS) - SLOT_MS;
    ranges.push({ pk: historyPartition(day, scope), from: historySortKey(first), to: historySortKey(last) });
  }
  return ranges;
}

/** The slots of `window` that have counts, for one scope; at most MAX_HISTORY_QUERIES Queries. */
async function readSlots(ctx: StoreContext, window: HistoryWindow, scope: HistoryScope): Promise<SlotCounts[]> {
  const slots: SlotCounts[] = [];
  let queries = 0;
  for (const { pk, from, to } of partitionsOf(window, scope)) {
    let startKey: Record<string, unknown> | undefined;
    do {
      queries += 1;
      if (queries > MAX_HISTORY_QUERIES)
        throw new Error(`history read of ${pk} exceeded ${MAX_HISTORY_QUERIES} queries`);
      const page = await ctx.documents.send(
        new QueryCommand({
          TableName: ctx.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
          ProjectionExpression: 'pk, sk, #total, positive, neutral, negative, score_sum',
          ExpressionAttributeNames: { '#total': 'total' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const row of page.Items ?? []) {
        const num = (key: string): number => (typeof row[key] === 'number' ? row[key] : 0);
        slots.push({
          slotMs: parseHistoryKey(String(row.pk), String(row.sk)),
          total: num('total'),
          positive: num('positive'),
          neutral: num('neutral'),
          negative: num('negative'),
          scoreSum: num('score_sum'),
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
  return slots;
}

/** Folds slots into the window's buckets, oldest first; every bucket present, empty ones zero. */
function foldBuckets(bucket: HistoryBucketSize, window: HistoryWindow, slots: readonly SlotCounts[]): MetricsHistory {
  const sums = Array.from({ length: window.count }, () => ({ ...EMPTY }));
  for (const slot of slots) {
    const index = Math.floor((slot.slotMs - window.startMs) / window.sizeMs);
    const sum = sums[index];
    if (sum === undefined) continue;
    sum.total += slot.total;
    sum.positive += slot.positive;
    sum.neutral += slot.neutral;
    sum.negative += slot.negative;
    sum.scoreSum += slot.scoreSum;
  }
  const buckets = sums.map((sum, index): HistoryBucket => ({
    start: new Date(window.startMs + index * window.sizeMs).toISOString(),
    total: sum.total,
    positive: sum.positive,
    neutral: sum.neutral,
    negative: sum.negative,
    // Rounded so float noise in the summed scores does not look like a change (as in metrics).
    average_score:
      sum.total === 0 ? null : Math.max(-1, Math.min(1, Math.round((sum.scoreSum / sum.total) * 1000) / 1000)),
  }));
  return { bucket, buckets };
}

/** The history of `ticker` (all tickers without it) in `bucket`s at `now`, read from the counters. */
async function readHistory(
  ctx: StoreContext,
  bucket: HistoryBucketSize,
  ticker: string | undefined,
  now: number,
): Promise<MetricsHistory> {
  const window = historyWindow(bucket, now);
  const slots = await readSlots(ctx, window, ticker === undefined ? 'all' : { ticker });
  return foldBuckets(bucket, window, slots);
}

interface HistoryReader {
  read(bucket: HistoryBucketSize, ticker?: string): Promise<MetricsHistory>;
  /** Forgets cached answers; called after this process wrote to the counters. */
  invalidate(): void;
}

/**
 * Reads history through a short cache, like the metrics (aggregates.ts): answers at most
 * `maxAgeMs` old (monotonic clock), concurrent requests for the same answer sharing one read, and
 * this process's own ingests invalidating at once. An answer is cached per bucket, ticker and
 * window start, so a window that moved on is read afresh; at most MAX_CACHED_ANSWERS of them.
 * With `maxAgeMs` 0 every request reads.
 */
function createHistoryReader(ctx: StoreContext, maxAgeMs: number): HistoryReader {
  const cache = new Map<string, { answer: Promise<MetricsHistory>; fetchedAt: number; generation: number }>();
  let generation = 0;
  return {
    read: (bucket, ticker) => {
      const now = ctx.now();
      if (maxAgeMs <= 0) return readHistory(ctx, bucket, ticker, now);
      const key = `${bucket}|${ticker ?? '*'}|${historyWindow(bucket, now).startMs}`;
      const hit = cache.get(key);
      if (hit !== undefined && hit.generation === generation && performance.now() - hit.fetchedAt < maxAgeMs) {
        return hit.answer;
      }
      const answer = readHistory(ctx, bucket, ticker, now);
      cache.delete(key);
      cache.set(key, { answer, fetchedAt: performance.now(), generation });
      if (cache.size > MAX_CACHED_ANSWERS) cache.delete(cache.keys().next().value as string);
      // A failed read must not be served from the cache.
      answer.catch(() => {
        if (cache.get(key)?.answer === answer) cache.delete(key);
      });
      return answer;
    },
    invalidate: () => {
      generation += 1;
    },
  };
}

export type { HistoryReader, SlotCounts };
export { createHistoryReader, foldBuckets, MAX_HISTORY_QUERIES, readHistory };
