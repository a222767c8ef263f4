/**
 * Waking the poller: an ingest accepted by this process polls at once instead of at the next
 * interval. Wakes coalesce (a wake while a poll runs queues exactly one more, right after it),
 * polls never overlap, every poll is the same read (queries per poll stay constant), and the
 * items still come once each, in order. Real poller, in-memory feed, no database.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import { engineLogger } from '../../../src/observability/engine-logger.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createFeedPoller, type FeedPoller, type PollBatch } from '../../../src/stream/feed-poller.ts';
import type { FeedSource } from '../../../src/stream/ports.ts';
import { createMemoryFeed, type MemoryFeed } from '../../support/memory-feed.ts';
import { recordingMetrics } from './hub-harness.ts';

const HOUR = 3_600_000;

let sequence = 0;
const input = (): ItemInput => {
  sequence += 1;
  return {
    item_id: `wake-${String(sequence)}`,
    ticker: 'AAA',
    sentiment: 'neutral',
    score: 0,
    timestamp: '2026-11-21T09:14:03.120Z',
  };
};

/** The feed, counting the reads in flight at once (the poller's ticks must never overlap). */
function trackedFeed(feed: MemoryFeed) {
  let inFlight = 0;
  let maxInFlight = 0;
  const source: FeedSource = {
    ...feed,
    readAfter: async (cursor, limit, options) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await feed.readAfter(cursor, limit, options);
      } finally {
        inFlight -= 1;
      }
    },
  };
  return { source, maxInFlight: () => maxInFlight };
}

const pollers: FeedPoller[] = [];
afterEach(() => {
  for (const poller of pollers.splice(0)) poller.stop();
  vi.useRealTimers();
});

/** A poller over `feed` whose batches are recorded; it reads one page per tick (few items). */
function pollerOn(source: FeedSource, intervalMs: number) {
  const poller = createFeedPoller({
    store: source,
    intervalMs,
    logger: engineLogger(createLogger('silent')),
    metrics: recordingMetrics().metrics,
  });
  pollers.push(poller);
  const batches: PollBatch[] = [];
  poller.onBatch((batch) => batches.push(batch));
  const delivered = () => batches.flatMap((batch) => batch.items.map((entry) => entry.item.item_id));
  return { poller, batches, delivered };
}

/** Lets every queued tick run (the memory feed answers within the same turn of the loop). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FeedPoller.wake', () => {
  it('polls at once: an item is delivered long before the interval', async () => {
    const feed = createMemoryFeed();
    const { poller, delivered } = pollerOn(feed, HOUR);
    await poller.start();
    const [added] = feed.append(input());
    poller.wake();
    await vi.waitFor(() => {
      expect(delivered()).toEqual([added?.item_id]);
    });
  });

  it('queues exactly one more poll for any number of wakes during a poll, and never overlaps two', async () => {
    const feed = createMemoryFeed();
    const tracked = trackedFeed(feed);
    const { poller, batches, delivered } = pollerOn(tracked.source, HOUR);
    await poller.start();
    const readsAtStart = feed.calls.readAfter;
    // The woken poll has read (the first item only) and is held before it answers.
    const held = feed.pause('readAfter', undefined, 'after');
    const first = feed.append(input());
    poller.wake();
    await held.reached;
    // The poll is under way; a burst of ingests wakes the poller again and again.
    const during = feed.append(input(), input());
    for (let i = 0; i < 50; i += 1) poller.wake();
    held.release();
    await vi.waitFor(() => {
      expect(delivered()).toHaveLength(3);
    });
    await settle();
    expect(feed.calls.readAfter - readsAtStart).toBe(2);
    expect(tracked.maxInFlight()).toBe(1);
    expect(batches.slice(1).map((b) => b.items.length)).toEqual([1, 2]);
    expect(delivered()).toEqual([...first, ...during].map((i) => i.item_id));
  });

  it('does nothing before start or after stop', async () => {
    const feed = createMemoryFeed();
    const { poller } = pollerOn(feed, HOUR);
    poller.wake();
    await settle();
    expect(feed.calls.readAfter).toBe(0);
    await poller.start();
    poller.stop();
    const reads = feed.calls.readAfter;
    poller.wake();
    await settle();
    expect(feed.calls.readAfter).toBe(reads);
  });

  it('restarts the interval after a woken poll, so no timed poll follows right behind it', async () => {
    vi.useFakeTimers();
    const feed = createMemoryFeed();
    const { poller } = pollerOn(feed, 1000);
    await poller.start();
    const reads = () => feed.calls.readAfter;
    const atStart = reads();
    await vi.advanceTimersByTimeAsync(900);
    poller.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(reads()).toBe(atStart + 1);
    // The timed poll that was due at 1000 ms is now due 1000 ms after the woken one.
    await vi.advanceTimersByTimeAsync(900);
    expect(reads()).toBe(atStart + 1);
    await vi.advanceTimersByTimeAsync(100);
    expect(reads()).toBe(atStart + 2);
  });

  it('polls at most once per burst of wakes, and delivers every item once, in order (property)', async () => {
    // A run: bursts of wakes (each burst in one turn of the event loop), items appended anywhere,
    // and turns of the loop in between, during which queued polls run.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('burst' as const), wakes: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ kind: fc.constant('append' as const), items: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('turn' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const feed = createMemoryFeed();
        const tracked = trackedFeed(feed);
        const { poller, delivered } = pollerOn(tracked.source, HOUR);
        await poller.start();
        const readsAtStart = feed.calls.readAfter;
        const appended: string[] = [];
        let bursts = 0;
        for (const s of steps) {
          if (s.kind === 'burst') {
            bursts += 1;
            for (let i = 0; i < s.wakes; i += 1) poller.wake();
          } else if (s.kind === 'append') {
            appended.push(...feed.append(...Array.from({ length: s.items }, input)).map((i) => i.item_id));
          } else {
            await settle();
          }
        }
        await settle();
        // One last poll, after any still queued, brings whatever no wake asked for.
        await poller.poll();
        const polls = feed.calls.readAfter - readsAtStart;
        expect(polls).toBeLessThanOrEqual(bursts + 1);
        expect(tracked.maxInFlight()).toBe(1);
        expect(delivered()).toEqual(appended);
        poller.stop();
      }),
      { numRuns: 200 },
    );
  });
});
