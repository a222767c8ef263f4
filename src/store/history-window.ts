/**
 * Sentiment over time, the pure part: which 5-minute slot an item counts in (by its `timestamp`,
 * relative to its arrival stamp, so every reader and every fold decides the same way), and which
 * buckets a window answers. The rows are folded in fold.ts and read in history.ts.
 */
import type { HistoryBucketSize } from '../contract/index.ts';
import { publishedAtMs } from '../dashboard/shared/published-at.js';
import { DAY_MS, HOUR_MS } from './keys.ts';

/** The counters' grain: every bucket size is a whole number of slots. */
const SLOT_MS = 5 * 60_000;

/** Bucket size and the number of buckets of each window, the current (partial) one included. */
const HISTORY_WINDOWS: Readonly<Record<HistoryBucketSize, { readonly sizeMs: number; readonly count: number }>> = {
  '5m': { sizeMs: SLOT_MS, count: 36 },
  '1h': { sizeMs: HOUR_MS, count: 24 },
};

/**
 * An item counts only when its `timestamp` lies at most this long before its arrival: no window
 * starts more than 24 hours before now, so an item published earlier than that before it
 * arrived can never fall into a window read after it arrived, and a counter for it would be a
 * write nobody reads.
 */
const HISTORY_LOOKBACK_MS = DAY_MS;

/** ... and at most this long after it: further ahead is a pipeline clock error, not news. */
const HISTORY_AHEAD_MS = SLOT_MS;

/**
 * History rows expire this long after their hour ends. A window reads at most the last 24 hours;
 * the second day is slack.
 */
const HISTORY_TTL_AFTER_MS = 2 * DAY_MS;

const slotStart = (ms: number): number => Math.floor(ms / SLOT_MS) * SLOT_MS;

/**
 * The slot (start, epoch ms) an item arriving at `arrivalMs` counts in, or null when it is not
 * counted (published more than HISTORY_LOOKBACK_MS before it arrived, more than HISTORY_AHEAD_MS
 * after, or an unreadable timestamp). Decided from the final arrival stamp, so every attempt at
 * an item decides the same way.
 */
function historySlot(timestamp: string, arrivalMs: number): number | null {
  const published = publishedAtMs(timestamp);
  if (Number.isNaN(published)) return null;
  if (published < arrivalMs - HISTORY_LOOKBACK_MS || published > arrivalMs + HISTORY_AHEAD_MS) return null;
  return slotStart(published);
}

interface HistoryWindow {
  readonly sizeMs: number;
  /** Start of the first (oldest) bucket, epoch ms. */
  readonly startMs: number;
  /** End of the last (current) bucket, exclusive. */
  readonly endMs: number;
  readonly count: number;
}

/** The window of `bucket` at `now`: aligned to bucket boundaries (UTC), the current bucket last. */
function historyWindow(bucket: HistoryBucketSize, now: number): HistoryWindow {
  const { sizeMs, count } = HISTORY_WINDOWS[bucket];
  const current = Math.floor(now / sizeMs) * sizeMs;
  return { sizeMs, count, startMs: current - (count - 1) * sizeMs, endMs: current + sizeMs };
}

export type { HistoryWindow };
export {
  HISTORY_AHEAD_MS,
  HISTORY_LOOKBACK_MS,
  HISTORY_TTL_AFTER_MS,
  HISTORY_WINDOWS,
  historySlot,
  historyWindow,
  SLOT_MS,
  slotStart,
};
