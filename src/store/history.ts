/**
 * Sentiment over time (`GET /api/v2/metrics/history`): the window's buckets from the history
 * rows of one scope (one row per hour of item `timestamp`, with its 5-minute slots) plus the
 * feed's unfolded tail (view.ts merges the two). `1h` buckets are the sum of their twelve slots,
 * `5m` buckets one slot each. Pure: the same slot counts give the same answer.
 */
import type { HistoryBucket, HistoryBucketSize, MetricsHistory } from '../contract/index.ts';
import { addCounts, averageScore, type Counts, zeroCounts } from './counts.ts';
import { type HistoryWindow, historyWindow } from './history-window.ts';
import { hourStart } from './keys.ts';

/** The hours of history rows a window reads: from the hour of its first slot to that of its last. */
function historyHours(window: HistoryWindow): { firstHour: number; lastHour: number } {
  return { firstHour: hourStart(window.startMs), lastHour: hourStart(window.endMs - 1) };
}

/** Folds slot counts into the window's buckets, oldest first; every bucket present, empty ones zero. */
function historyAnswer(
  bucket: HistoryBucketSize,
  now: number,
  slots: Iterable<readonly [number, Readonly<Counts>]>,
): MetricsHistory {
  const window = historyWindow(bucket, now);
  const sums = Array.from({ length: window.count }, zeroCounts);
  for (const [slotMs, counts] of slots) {
    if (slotMs < window.startMs || slotMs >= window.endMs) continue;
    const sum = sums[Math.floor((slotMs - window.startMs) / window.sizeMs)];
    if (sum !== undefined) addCounts(sum, counts);
  }
  const buckets = sums.map((sum, index): HistoryBucket => ({
    start: new Date(window.startMs + index * window.sizeMs).toISOString(),
    total: sum[0],
    positive: sum[1],
    neutral: sum[2],
    negative: sum[3],
    average_score: averageScore(sum),
  }));
  return { bucket, buckets };
}

export { historyAnswer, historyHours };
