/**
 * One store poller per process, shared by every connection: each tick reads what the feed gained
 * since the poller's cursor, plus the counters, and hands one batch to the hub. Store reads per
 * tick therefore do not depend on how many clients are connected.
 *
 * Ticks come every `intervalMs` (from the end of the previous one), and at once on `wake()`: an
 * ingest accepted by this process wakes it, so its items reach this process's clients without
 * waiting for the interval. Wakes coalesce: while a tick runs, any number of wakes queue exactly
 * one more tick, right after it; ticks never overlap. Each tick is the same read wherever it
 * comes from, so the cursor rules (cursor.ts: the settle window, delivered items remembered by
 * hash above the watermark) hold whatever the pace.
 *
 * A failed tick leaves the cursor where it was, so the next successful tick reads everything the
 * outage held back, in order, once. Health (last success, lag) feeds heartbeats and metrics.
 */
import type { Item } from '../contract/index.ts';
import { MAX_PAGES_PER_POLL, POLL_PAGE } from './constants.ts';
import { entryIds } from './entry-ids.ts';
import type { EngineLogger, EventId, FeedCursor, FeedSource, StreamMetrics } from './ports.ts';

interface BatchItem {
  readonly item: Item;
  /** Its arrival stamp: its position in the feed. */
  readonly arrivalMs: number;
  /** The cursor right after this item: the `id` of its `new_item` event. */
  readonly cursor: EventId;
}

interface PollBatch {
  /** When the last read of this batch started (store clock). */
  readonly readAt: number;
  /** The cursor after everything in the batch (encoded). */
  readonly cursor: EventId;
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
  /**
   * Starts polling; resolves after the first poll, which reads the feed head. If that read
   * failed, `cursor` stays undefined until a later poll reads it.
   */
  start(): Promise<void>;
  stop(): void;
  /** Polls once now, after any poll in progress (ticks never overlap); for hosts and tests. */
  poll(): Promise<void>;
  /**
   * New items may be in the feed (this process accepted an ingest): polls now, or right after the
   * poll in progress; wakes that arrive while one such poll is queued join it. Before `start` and
   * after `stop` it does nothing.
   */
  wake(): void;
  onBatch(listener: (batch: PollBatch) => void): void;
  /** The cursor of the newest batch emitted, the stream's "now"; undefined until the head is known. */
  readonly cursor: EventId | undefined;
  /** Read time of the newest batch emitted; a replay is caught up once it has read past it. */
  readonly lastReadAt: number;
  health(): FeedHealth;
}

interface FeedPollerOptions {
  /** A feed whose requests count as the poller's (see store-requests metrics). */
  readonly store: FeedSource;
  readonly intervalMs: number;
  readonly logger: EngineLogger;
  readonly metrics: StreamMetrics;
  readonly now?: () => number;
}

/** What the feed gained after `from`: pages while they come back full, at most MAX_PAGES_PER_POLL. */
async function readBatch(store: FeedSource, from: FeedCursor, lastReadAt: number) {
  let cursor = from;
  const items: BatchItem[] = [];
  let readAt = lastReadAt;
  for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
    const read = await store.readAfter(cursor, POLL_PAGE);
    for (const { entry, id } of entryIds(store, cursor, read))
      items.push({ item: entry.item, arrivalMs: entry.arrivalMs, cursor: id });
    cursor = read.cursor;
    readAt = read.readAt;
    if (!read.full) break;
  }
  return { cursor, readAt, items };
}

/** When ticks run: every `intervalMs` after the last, at once when asked, never two at a time. */
interface TickPacer {
  /** One tick now, after the one in progress. */
  poll(): Promise<void>;
  /** Starts the interval; `request` does nothing before. */
  start(): void;
  /** A tick now, or after the one in progress; requests until it starts are the same tick. */
  request(): void;
  stop(): void;
}

/** @param tick never rejects (the poller's tick catches its own errors), so the chain never does. */
function createTickPacer(tick: () => Promise<void>, intervalMs: number): TickPacer {
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;
  /** A tick was requested (a wake, or the interval) and has not started yet. */
  let queued = false;
  /** The tick in progress (or the last one): the next waits for it, so ticks never overlap. */
  let running: Promise<void> = Promise.resolve();
  const poll = (): Promise<void> => (running = running.then(tick));
  const request = (): void => {
    if (!started || stopped || queued) return;
    queued = true;
    clearTimeout(timer);
    const next: Promise<void> = (running = running.then(async () => {
      queued = false;
      await tick();
      // The interval restarts after the last tick in line, so a woken tick leaves no timed one
      // due right behind it; a tick already chained (a wake meanwhile) re-arms it when it ends.
      if (running === next && !stopped) timer = setTimeout(request, intervalMs);
    }));
  };
  return {
    poll,
    request,
    start() {
      started = true;
      if (!stopped) timer = setTimeout(request, intervalMs);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function createFeedPoller(options: FeedPollerOptions): FeedPoller {
  const { store, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const listeners: ((batch: PollBatch) => void)[] = [];
  let feedCursor: FeedCursor | undefined;
  let encoded: EventId | undefined;
  let lastReadAt = 0;
  let lastPollAt: number | null = null;
  let failing = false;
  /** When the current outage was first seen (store clock), and how many polls it has failed. */
  let failingSince = 0;
  let failedPolls = 0;

  const health = (): FeedHealth => {
    const lagMs = Math.max(0, now() - (lastPollAt ?? startedAt));
    return { status: failing || lastPollAt === null ? 'degraded' : 'ok', lastPollAt, lagMs };
  };

  async function tick(): Promise<void> {
    const started = performance.now();
    try {
      feedCursor ??= await store.headCursor();
      const { cursor, readAt, items } = await readBatch(store, feedCursor, lastReadAt);
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
        logger.warn('feed poll failed; streams stay open and report the lag', { error: error });
      }
      failing = true;
      failedPolls += 1;
      metrics.pollFailed();
    } finally {
      metrics.feedLag(health().lagMs);
    }
  }

  const pacer = createTickPacer(tick, options.intervalMs);
  return {
    async start() {
      await pacer.poll();
      pacer.start();
    },
    poll: () => pacer.poll(),
    wake: () => {
      pacer.request();
    },
    stop: () => {
      pacer.stop();
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
