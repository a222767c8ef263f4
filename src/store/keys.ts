/**
 * Key layout of the single table (see docs/data-model.md). Every key is built here, so the
 * layout is defined in one place and the rest of the store never concatenates key strings.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Width of the zero-padded millisecond stamp, so feed sort keys sort as numbers (good until year 2286). */
const STAMP_WIDTH = 13;

/** The hour an instant falls in, as epoch ms of the hour's start. */
const hourStart = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** `2026-11-21T09` for the hour of `ms` (UTC). */
const hourLabel = (ms: number): string => new Date(hourStart(ms)).toISOString().slice(0, 13);

/** `2026-11-21` for the day of `ms` (UTC). */
const dayLabel = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const pad = (ms: number): string => Math.trunc(ms).toString().padStart(STAMP_WIDTH, '0');

/** The feed: one partition per arrival hour, sorted by arrival stamp then item id. */
const feedKey = (arrivalMs: number, itemId: string) => ({
  pk: `FEED#${hourLabel(arrivalMs)}`,
  sk: `${pad(arrivalMs)}#${itemId}`,
});

/** Feed partition of an hour. */
const feedPartition = (ms: number): string => `FEED#${hourLabel(ms)}`;

/** Smallest feed sort key strictly after every item stamped at or before `ms`. */
const feedSortKeyAfter = (ms: number): string => pad(ms + 1);

/**
 * A key between every feed sort key stamped before `ms` and every one stamped at or after it
 * (`<ms>#` sorts before `<ms>#<any id>`): where a newest-first read continues below an hour.
 */
const feedSortKeyBelow = (ms: number): string => `${pad(ms)}#`;

/** Arrival stamp and item id back from a feed sort key. */
function parseFeedSortKey(sk: string): { arrivalMs: number; itemId: string } {
  const cut = sk.indexOf('#');
  return { arrivalMs: Number(sk.slice(0, cut)), itemId: sk.slice(cut + 1) };
}

/** The per-ticker index (GSI `byTicker`) partition. */
const tickerIndexKey = (ticker: string): string => `TICKER#${ticker}`;

/** The idempotency marker of an item id. */
const markerKey = (itemId: string) => ({ pk: `ITEM#${itemId}`, sk: 'ITEM' });

/** Hourly counters live one day per partition, so a 24-hour window is two Queries. */
const counterKey = (ms: number, scope: { ticker: string } | 'all') => ({
  pk: `AGG#${dayLabel(ms)}`,
  sk: `${hourLabel(ms).slice(11)}#${scope === 'all' ? 'ALL' : `T#${scope.ticker}`}`,
});

const counterPartition = (ms: number): string => `AGG#${dayLabel(ms)}`;

/** Hour (epoch ms) and scope back from a counter item's keys. */
function parseCounterKey(pk: string, sk: string): { hourMs: number; ticker: string | null } {
  const [hour, kind, ticker] = sk.split('#');
  return {
    hourMs: Date.parse(`${pk.slice(4)}T${hour ?? '00'}:00:00.000Z`),
    ticker: kind === 'T' && ticker !== undefined ? ticker : null,
  };
}

/** Where a history counter counts: all tickers together, or one ticker. */
type HistoryScope = { ticker: string } | 'all';

/**
 * History counters: one row per 5-minute slot of item `timestamp` and scope, one partition per
 * scope and (UTC) day, so a window of any scope is one or two Queries on a sort-key range and
 * never touches another ticker's rows.
 */
const historyPartition = (ms: number, scope: HistoryScope): string =>
  `HIST#${scope === 'all' ? 'ALL' : `T#${scope.ticker}`}#${dayLabel(ms)}`;

/** `09:05` for the slot starting at `ms` (UTC): sorts in time order within a day. */
const historySortKey = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

const historyKey = (slotMs: number, scope: HistoryScope) => ({
  pk: historyPartition(slotMs, scope),
  sk: historySortKey(slotMs),
});

/** Start of the slot (epoch ms) back from a history counter's keys. */
const parseHistoryKey = (pk: string, sk: string): number => Date.parse(`${pk.slice(-10)}T${sk}:00.000Z`);

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
  counterKey,
  counterPartition,
  DAY_MS,
  dayLabel,
  feedKey,
  feedPartition,
  feedSortKeyAfter,
  feedSortKeyBelow,
  historyKey,
  historyPartition,
  historySortKey,
  HOUR_MS,
  hourLabel,
  hourStart,
  markerKey,
  parseCounterKey,
  parseFeedSortKey,
  parseHistoryKey,
  tickerIndexKey,
  ttlSeconds,
  userPartition,
};
