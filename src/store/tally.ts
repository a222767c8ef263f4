/**
 * What one feed item adds to the aggregates, decided from the item and its arrival stamp alone,
 * so that the fold (writing rows) and the view (adding the feed's unfolded tail to them) always
 * count an item in the same places: the metrics row of its arrival hour, and, when its
 * `timestamp` qualifies (history-window.ts), the 5-minute slot it was published in.
 */
import type { Item } from '../contract/index.ts';
import { countItem, type Counts, zeroCounts } from './counts.ts';
import type { FeedRowRaw } from './feed-query.ts';
import { historySlot } from './history-window.ts';
import { hourStart, parseFeedSortKey } from './keys.ts';

interface TallyItem {
  readonly arrivalMs: number;
  readonly ticker: string;
  readonly sentiment: Item['sentiment'];
  readonly score: number;
  /** Start of the history slot it counts in (epoch ms), null when history does not count it. */
  readonly slotMs: number | null;
}

function tallyOf(row: FeedRowRaw): TallyItem {
  const { arrivalMs } = parseFeedSortKey(row.sk);
  const { ticker, sentiment, score, timestamp } = row.item;
  return { arrivalMs, ticker, sentiment, score, slotMs: historySlot(timestamp, arrivalMs) };
}

/** The metrics row an item counts in: its arrival hour. */
const metricsHourOf = (item: TallyItem): number => hourStart(item.arrivalMs);

/** One hour's counts, as they are built up: all tickers', each ticker's, and what a row had no room for. */
interface HourCounts {
  readonly all: Counts;
  readonly tickers: Map<string, Counts>;
  readonly other: Counts;
}

const emptyHour = (): HourCounts => ({ all: zeroCounts(), tickers: new Map(), other: zeroCounts() });

/** Adds `item` to its arrival hour in `hours` (all tickers and its own). */
function tallyHour(hours: Map<number, HourCounts>, item: TallyItem): void {
  const hourMs = metricsHourOf(item);
  let hour = hours.get(hourMs);
  if (hour === undefined) {
    hour = emptyHour();
    hours.set(hourMs, hour);
  }
  countItem(hour.all, item);
  let ticker = hour.tickers.get(item.ticker);
  if (ticker === undefined) {
    ticker = zeroCounts();
    hour.tickers.set(item.ticker, ticker);
  }
  countItem(ticker, item);
}

/** Adds `item` to its history slot `slotMs` (its `slotMs`, when it has one) in `slots`. */
function tallySlot(slots: Map<number, Counts>, slotMs: number, item: TallyItem): void {
  let slot = slots.get(slotMs);
  if (slot === undefined) {
    slot = zeroCounts();
    slots.set(slotMs, slot);
  }
  countItem(slot, item);
}

export type { HourCounts, TallyItem };
export { emptyHour, metricsHourOf, tallyHour, tallyOf, tallySlot };
