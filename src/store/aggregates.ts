/**
 * Metrics and per-ticker aggregates from the hourly counters: the current hour and the 23
 * before it, read as at most two Queries (counters are partitioned by day), never a scan.
 */
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { Metrics, TickerAggregate } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { counterPartition, HOUR_MS, hourStart, parseCounterKey } from './keys.ts';

/** Hours in the window, the current one included. */
const WINDOW_HOURS = 24;

/**
 * The most tickers a snapshot names: `metrics.by_tag` and a new stream's opening
 * `sentiment_update`s cover the most active ones in the window (ties by symbol). Anyone holding
 * the ingest key can create any number of tickers; this keeps a connect, and each metrics event,
 * the same size whatever that number is. A configuration names at most 20 tickers, so its views
 * are never cut.
 */
const MAX_SNAPSHOT_TICKERS = 100;

interface Counts {
  total: number;
  positive: number;
  neutral: number;
  negative: number;
  scoreSum: number;
}

interface CounterRow {
  readonly hourMs: number;
  /** null for the all-tickers counter. */
  readonly ticker: string | null;
  readonly counts: Counts;
}

interface Aggregates {
  readonly metrics: Metrics;
  /** Per ticker with at least one item in the window, sorted by ticker. */
  readonly tickers: readonly TickerAggregate[];
  /** The MAX_SNAPSHOT_TICKERS most active of `tickers`, sorted by ticker: what a snapshot sends. */
  readonly topTickers: readonly TickerAggregate[];
}

const zero = (): Counts => ({ total: 0, positive: 0, neutral: 0, negative: 0, scoreSum: 0 });

function add(into: Counts, from: Counts, weight = 1): void {
  into.total += from.total * weight;
  into.positive += from.positive * weight;
  into.neutral += from.neutral * weight;
  into.negative += from.negative * weight;
  into.scoreSum += from.scoreSum * weight;
}

async function readCounterRows(ctx: StoreContext, now: number): Promise<CounterRow[]> {
  const first = hourStart(now) - (WINDOW_HOURS - 1) * HOUR_MS;
  const partitions = [...new Set([counterPartition(first), counterPartition(now)])];
  const rows: CounterRow[] = [];
  for (const pk of partitions) {
    // A counter partition holds one row per hour and ticker of one day: read it whole.
    const pages = paginateQuery(
      { client: ctx.documents },
      {
        TableName: ctx.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: 'pk, sk, #total, positive, neutral, negative, score_sum',
        ExpressionAttributeNames: { '#total': 'total' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const raw of page.Items ?? []) {
        const { hourMs, ticker } = parseCounterKey(String(raw.pk), String(raw.sk));
        if (hourMs < first || hourMs > now) continue;
        const num = (key: string): number => (typeof raw[key] === 'number' ? raw[key] : 0);
        rows.push({
          hourMs,
          ticker,
          counts: {
            total: num('total'),
            positive: num('positive'),
            neutral: num('neutral'),
            negative: num('negative'),
            scoreSum: num('score_sum'),
          },
        });
      }
    }
  }
  return rows;
}

/**
 * Folds counter rows into the contract's shapes. With `tickers`, everything (including the
 * totals) counts only those tickers: that is what a configuration's stream shows.
 */
function summarize(rows: readonly CounterRow[], now: number, tickers?: ReadonlySet<string>): Aggregates {
  const asOf = new Date(now).toISOString();
  const currentHour = hourStart(now);
  // The previous hour still overlaps the last 60 minutes by this fraction.
  const previousHourShare = 1 - (now - currentHour) / HOUR_MS;
  const window = zero();
  const lastHour = zero();
  const perTicker = new Map<string, Counts>();
  for (const row of rows) {
    const isTotalRow = tickers === undefined ? row.ticker === null : row.ticker !== null && tickers.has(row.ticker);
    if (isTotalRow) {
      add(window, row.counts);
      if (row.hourMs === currentHour) add(lastHour, row.counts);
      else if (row.hourMs === currentHour - HOUR_MS) add(lastHour, row.counts, previousHourShare);
    }
    if (row.ticker !== null && (tickers === undefined || tickers.has(row.ticker))) {
      const counts = perTicker.get(row.ticker) ?? zero();
      add(counts, row.counts);
      perTicker.set(row.ticker, counts);
    }
  }
  const sorted = [...perTicker.entries()].filter(([, c]) => c.total > 0).sort(([a], [b]) => a.localeCompare(b));
  const top = mostActive(sorted);
  const aggregateOf = ([ticker, c]: [string, Counts]): TickerAggregate => ({
    ticker,
    total: c.total,
    positive: c.positive,
    neutral: c.neutral,
    negative: c.negative,
    // Rounded so float noise in the summed scores does not look like a change.
    average_score: c.total === 0 ? null : Math.max(-1, Math.min(1, Math.round((c.scoreSum / c.total) * 1000) / 1000)),
    as_of: asOf,
  });
  const tickerAggregates = sorted.map(aggregateOf);
  const topSet = new Set(top.map(([ticker]) => ticker));
  return {
    metrics: {
      total: window.total,
      positive: window.positive,
      neutral: window.neutral,
      negative: window.negative,
      by_tag: Object.fromEntries(top.map(([ticker, c]) => [ticker, c.total])),
      rate_last_hour: Math.round(lastHour.total),
      rate_last_24h: window.total,
      as_of: asOf,
    },
    tickers: tickerAggregates,
    // The same objects as in `tickers`, so callers can tell them apart by identity.
    topTickers: top.length === sorted.length ? tickerAggregates : tickerAggregates.filter((a) => topSet.has(a.ticker)),
  };
}

/** The MAX_SNAPSHOT_TICKERS entries with the highest totals, still sorted by ticker. */
function mostActive(sorted: readonly [string, Counts][]): [string, Counts][] {
  if (sorted.length <= MAX_SNAPSHOT_TICKERS) return [...sorted];
  const cut = new Set(
    [...sorted]
      .sort(([a, x], [b, y]) => y.total - x.total || a.localeCompare(b))
      .slice(0, MAX_SNAPSHOT_TICKERS)
      .map(([ticker]) => ticker),
  );
  return sorted.filter(([ticker]) => cut.has(ticker));
}

interface AggregatesReader {
  /** Aggregates over all tickers, or only `tickers` (a configuration's view). */
  read(tickers?: ReadonlySet<string>): Promise<Aggregates>;
  /** Forgets cached counters; called after this process wrote to them. */
  invalidate(): void;
}

/**
 * Reads counters through a short cache: rows at most `maxAgeMs` old (monotonic clock), concurrent
 * readers sharing one Query, and this process's own writes invalidating at once. Other
 * processes' writes show within `maxAgeMs`, inside the contract's POLL_INTERVAL_MS + 1 s.
 * Filtered views are folded from the same rows, so a configuration's metrics cost no read.
 */
function createAggregatesReader(ctx: StoreContext, maxAgeMs: number): AggregatesReader {
  let cached: { rows: Promise<CounterRow[]>; fetchedAt: number; generation: number } | undefined;
  let generation = 0;
  const rows = (now: number): Promise<CounterRow[]> => {
    const current = cached;
    if (
      current !== undefined &&
      current.generation === generation &&
      performance.now() - current.fetchedAt < maxAgeMs
    ) {
      return current.rows;
    }
    const pending = readCounterRows(ctx, now);
    cached = { rows: pending, fetchedAt: performance.now(), generation };
    // A failed read must not be served from the cache.
    pending.catch(() => {
      if (cached?.rows === pending) cached = undefined;
    });
    return pending;
  };
  return {
    read: async (tickers) => {
      const now = ctx.now();
      return summarize(await rows(now), now, tickers);
    },
    invalidate: () => {
      generation += 1;
    },
  };
}

export type { Aggregates, AggregatesReader, CounterRow };
export { createAggregatesReader, MAX_SNAPSHOT_TICKERS, readCounterRows, summarize, WINDOW_HOURS };
