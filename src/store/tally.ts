/**
 * What one feed item adds to the aggregates, decided from the item and its arrival stamp alone,
 * so that the fold (writing rows) and the view (adding the feed's unfolded tail to them) always
 * count an item in the same places: the metrics row of its arrival hour, and, when its
 * `timestamp` qualifies (history-window.ts), the 5-minute slot it was published in.
 */
import type { Item } from '../contract/index.ts';
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

export type { TallyItem };
export { metricsHourOf, tallyOf };
