/**
 * One store poller per process, shared by every connection: each tick reads what the feed gained
 * since the poller's cursor, plus the counters, and hands one batch to the hub. Store reads per
 * tick therefore do not depend on how many clients are connected.
 *
 * A failed tick leaves the cursor where it was, so the next successful tick reads everything the
 * outage held back, in order, once. Health (last success, lag) feeds heartbeats and metrics.
 */
import type { Item } from '../contract/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { StreamMetrics } from '../observability/stream-metrics.ts';
import type { FeedCursor, Store } from '../store/index.ts';
import { MAX_PAGES_PER_POLL, POLL_PAGE } from './constants.ts';

interface BatchItem {
  readonly item: Item;
  /** The cursor right after this item: the `id` of its `new_item` event. */
  readonly cursor: string;
}

interface PollBatch {
  /** When the last read of this batch started (store clock). */
  readonly readAt: number;
  /** The cursor after everything in the batch (encoded). */
  readonly cursor: string;
  readonly feedCursor: FeedCursor;
  readonly items: readonly BatchItem[];
}

interface FeedHealth {
  readonly status: 'ok' | 'degraded';
  /** Last successful poll (epoch ms), null before the first. */
  readonly lastPollAt: number | null;
  /** Ms since the last successful poll (since start-up before the first). */
  readonly lagMs: number;
}

interface FeedPoller {
  /** Starts polling; resolves once the starting cursor is known (the feed head). */
  start(): Promise<void>;
  stop(): void;
  onBatch(listener: (batch: PollBatch) => void): void;
  /** The cursor of the newest batch emitted (encoded), the stream's "now". */
  readonly cursor: string;
  /** Read time of the newest batch emitted; a replay is caught up once it has read past it. */
  readonly lastReadAt: number;
  health(): FeedHealth;
}

interface FeedPollerOptions {
  /** A store whose requests count as the poller's (see store-requests metrics). */
  readonly store: Store;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly metrics: StreamMetrics;
  readonly now?: () => number;
}

function createFeedPoller(options: FeedPollerOptions): FeedPoller {
  const { store, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const listeners: ((batch: PollBatch) => void)[] = [];
  let feedCursor: FeedCursor | undefined;
  let encoded = '';
  let lastReadAt = 0;
  let lastPollAt: number | null = null;
  let failing = false;
  /** When the current outage was first seen (store clock), and how many polls it has failed. */
  let failingSince = 0;
  let failedPolls = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const health = (): FeedHealth => {
    const lagMs = Math.max(0, now() - (lastPollAt ?? startedAt));
    return { status: failing || lastPollAt === null ? 'degraded' : 'ok', lastPollAt, lagMs };
  };

  async function tick(): Promise<void> {
    const started = performance.now();
    try {
      feedCursor ??= await store.headCursor();
      let cursor = feedCursor;
      const items: BatchItem[] = [];
      let readAt = lastReadAt;
      for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
        const read = await store.readAfter(cursor, POLL_PAGE);
        // Each item's id is the cursor just after it: it lists the item, and its watermark stays
        // below the items that follow (same settle rule as the read's own cursor).
        let itemCursor = cursor;
        for (const entry of read.entries) {
          const delivered = [{ arrivalMs: entry.arrivalMs, itemId: entry.item.item_id }];
          itemCursor = store.advanceCursor(itemCursor, delivered, read.readAt, entry.arrivalMs - 1);
          items.push({ item: entry.item, cursor: store.encodeCursor(itemCursor) });
        }
        cursor = read.cursor;
        readAt = read.readAt;
        if (!read.full) break;
      }
      feedCursor = cursor;
      encoded = store.encodeCursor(cursor);
      lastReadAt = readAt;
      const previousPollAt = lastPollAt ?? startedAt;
      lastPollAt = now();
      if (failing) {
        // The outage as operators measure it (first failure to recovery) and the lag streams saw
        // (last success to recovery); not the process's uptime.
        logger.info('feed poll recovered', {
          outage_ms: lastPollAt - failingSince,
          lag_ms: lastPollAt - previousPollAt,
          failed_polls: failedPolls,
        });
      }
      failing = false;
      failedPolls = 0;
      metrics.pollCompleted(performance.now() - started);
      const batch: PollBatch = { readAt, cursor: encoded, feedCursor: cursor, items };
      for (const listener of listeners) listener(batch);
    } catch (error) {
      if (!failing) {
        failingSince = now();
        logger.warn('feed poll failed; streams stay open and report the lag', { error: error as Error });
      }
      failing = true;
      failedPolls += 1;
      metrics.pollFailed();
    } finally {
      metrics.feedLag(health().lagMs);
    }
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, options.intervalMs);
  };

  return {
    async start() {
      await tick();
      schedule();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    onBatch(listener) {
      listeners.push(listener);
    },
    get cursor() {
      return encoded;
    },
    get lastReadAt() {
      return lastReadAt;
    },
    health,
  };
}

export type { BatchItem, FeedHealth, FeedPoller, FeedPollerOptions, PollBatch };
export { createFeedPoller };
