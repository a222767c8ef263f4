/**
 * Key layout of the single table (see docs/data-model.md). Every key is built here, so the
 * layout is defined in one place and the rest of the store never concatenates key strings.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Partitions the feed is spread over. DynamoDB serves at most 1,000 write units per second to one
 * partition key, and every item is one feed write: with 16 shards the feed takes 16,000 items/s,
 * and no shard takes more than one write in 16 (docs/data-model.md, "Capacity"). Every feed read
 * sends one Query per shard, so raising it raises the cost of a poll. Writers and readers of one
 * table must agree on it: it is part of the layout, not a setting.
 */
const FEED_SHARDS = 16;

/** Width of the zero-padded millisecond stamp, so feed sort keys sort as numbers (good until year 2286). */
const STAMP_WIDTH = 13;

/** The hour an instant falls in, as epoch ms of the hour's start. */
const hourStart = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** `2026-11-21` for the day of `ms` (UTC). */
const dayLabel = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `09` for the hour of `ms` (UTC). */
const hourOfDay = (ms: number): string => new Date(ms).toISOString().slice(11, 13);

const pad = (ms: number): string => Math.trunc(ms).toString().padStart(STAMP_WIDTH, '0');

/** Feed partition of a shard: the shard's whole history, sorted by arrival stamp then item id. */
const feedPartition = (shard: number): string => `FEED#${shard.toString()}`;

/** A feed entry's sort key: arrival stamp, then item id, so keys sort in feed order. */
const feedSortKey = (arrivalMs: number, itemId: string): string => `${pad(arrivalMs)}#${itemId}`;

/** Smallest feed sort key strictly after every item stamped at or before `ms`. */
const feedSortKeyAfter = (ms: number): string => pad(ms + 1);

/**
 * A key between every feed sort key stamped before `ms` and every one stamped at or after it
 * (`<ms>#` sorts before `<ms>#<any id>`): where a newest-first read continues below a stamp.
 */
const feedSortKeyBelow = (ms: number): string => `${pad(ms)}#`;

/** Largest feed sort key stamped at or before `ms` (`~` sorts after every character of an item id). */
const feedSortKeyThrough = (ms: number): string => `${pad(ms)}#~`;

/** Arrival stamp and item id back from a feed sort key. */
function parseFeedSortKey(sk: string): { arrivalMs: number; itemId: string } {
  const cut = sk.indexOf('#');
  return { arrivalMs: Number(sk.slice(0, cut)), itemId: sk.slice(cut + 1) };
}

/** The per-ticker index (GSI `byTicker`) partition. */
const tickerIndexKey = (ticker: string): string => `TICKER#${ticker}`;

/** The idempotency marker of an item id: the item's one exactly-once record. */
const markerKey = (itemId: string) => ({ pk: `ITEM#${itemId}`, sk: 'ITEM' });

/** The fold's progress: how far the aggregate rows have absorbed the feed (fold-state.ts). */
const FOLD_STATE_KEY = Object.freeze({ pk: 'FOLD', sk: 'STATE' });

/**
 * Metrics rows: one per arrival hour with every ticker's counts in it, one partition per day, so
 * a 24-hour window is at most two Queries and a fold writes one row per hour it touches.
 */
const metricsRowKey = (hourMs: number) => ({ pk: `AGG#${dayLabel(hourMs)}`, sk: hourOfDay(hourMs) });

const metricsPartition = (ms: number): string => `AGG#${dayLabel(ms)}`;

/** Hour (epoch ms) back from a metrics row's keys. */
const parseMetricsRowKey = (pk: string, sk: string): number => Date.parse(`${pk.slice(4)}T${sk}:00:00.000Z`);

/** Where a history row counts: all tickers together, or one ticker. */
type HistoryScope = { readonly ticker: string } | 'all';

/**
 * History rows: one per scope and hour of item `timestamp`, holding that hour's twelve 5-minute
 * slots; one partition per scope and (UTC) day, so a window of any scope is one or two Queries on
 * a sort-key range and never touches another ticker's rows.
 */
const historyPartition = (ms: number, scope: HistoryScope): string =>
  `HIST#${scope === 'all' ? 'ALL' : `T#${scope.ticker}`}#${dayLabel(ms)}`;

const historyRowKey = (hourMs: number, scope: HistoryScope) => ({
  pk: historyPartition(hourMs, scope),
  sk: hourOfDay(hourMs),
});

/** Hour (epoch ms) back from a history row's keys. */
const parseHistoryRowKey = (pk: string, sk: string): number => Date.parse(`${pk.slice(-10)}T${sk}:00:00.000Z`);

/** A user's configuration and the claim that keeps its name unique for that user. */
const configurationKey = (userId: string, configId: string) => ({ pk: `USER#${userId}`, sk: `CONFIG#${configId}` });
const configurationNameKey = (userId: string, nameKey: string) => ({ pk: `USER#${userId}`, sk: `NAME#${nameKey}` });
const userPartition = (userId: string): string => `USER#${userId}`;

/** DynamoDB TTL wants epoch seconds. */
const ttlSeconds = (ms: number): number => Math.ceil(ms / 1000);

export type { HistoryScope };
export {
  configurationKey,
  configurationNameKey,
  DAY_MS,
  dayLabel,
  FEED_SHARDS,
  feedPartition,
  feedSortKey,
  feedSortKeyAfter,
  feedSortKeyBelow,
  feedSortKeyThrough,
  FOLD_STATE_KEY,
  historyPartition,
  historyRowKey,
  HOUR_MS,
  hourStart,
  markerKey,
  metricsPartition,
  metricsRowKey,
  parseFeedSortKey,
  parseHistoryRowKey,
  parseMetricsRowKey,
  tickerIndexKey,
  ttlSeconds,
  userPartition,
};
