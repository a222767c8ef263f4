/**
 * An in-memory FeedSource: the stream engine's test fake, so the hub runs without a database.
 *
 * The cursor model is the store's own (src/feed/cursor.ts, pure functions): items carry arrival
 * stamps from a manual clock that moves one ms per write and per read, so every stamp is unique
 * and every read sees exactly the items written before it started. `readAfter` returns the items
 * the cursor does not cover, in arrival order, at most `limit`, with `full` when more remain, the
 * cursor after them and `readAt`. With a settle window of 0 a watermark can move up to `readAt`,
 * which is safe here because writes become visible in stamp order.
 *
 * Faults: `fail(op)` makes an operation throw until `heal(op)`; `pause(op)` holds its next call
 * until released, so a test can put an event (a poll, a close) exactly inside it;
 * `freezeAggregates()` makes the counters trail the feed (as a store's counter cache does) until
 * `thawAggregates()`.
 */
import type { Configuration, Item, ItemInput, TickerAggregate } from '../../src/contract/index.ts';
import { advanceCursor, checkCursor, cursorCovers, encodeCursor } from '../../src/feed/cursor.ts';
import { PositionIds } from '../../src/feed/position-ids.ts';
import type {
  Aggregates,
  FeedCursor,
  FeedEntry,
  FeedRead,
  FeedReadOptions,
  FeedSource,
} from '../../src/stream/ports.ts';

type FeedOperation = 'readAfter' | 'headCursor' | 'aggregates' | 'getConfiguration';

interface Pause {
  /** Resolves once the paused call has started (and is waiting). */
  readonly reached: Promise<void>;
  release(): void;
}

interface MemoryFeed extends FeedSource {
  /** Writes items (stamped now, in order) and returns them as stored. */
  append(...inputs: ItemInput[]): Item[];
  setConfiguration(userId: string, configuration: Configuration): void;
  deleteConfiguration(userId: string, configId: string): void;
  fail(op: FeedOperation): void;
  heal(op: FeedOperation): void;
  /** From now on `aggregates` counts only the items written so far, until `thawAggregates`. */
  freezeAggregates(): void;
  thawAggregates(): void;
  /**
   * Holds the next call of `op` for which `match` holds (default: any) until `release()`:
   * `before` it reads anything, or (readAfter only) `after` it read, before it answers.
   */
  pause(op: FeedOperation, match?: (options: FeedReadOptions | undefined) => boolean, when?: 'before' | 'after'): Pause;
  /** Calls made so far, per operation. */
  readonly calls: Readonly<Record<FeedOperation, number>>;
  /** Moves the clock forward by `ms` (time passing between polls). */
  advance(ms: number): void;
}

const RETENTION_MS = 7 * 24 * 3_600_000;

const zeroCounts = () => ({ total: 0, positive: 0, neutral: 0, negative: 0, scoreSum: 0 });

interface MemoryFeedOptions {
  /** How many of the most active tickers `topTickers` holds (default: every ticker). */
  readonly maxTopTickers?: number;
}

function summarize(items: readonly Item[], asOf: string, maxTopTickers = Number.POSITIVE_INFINITY): Aggregates {
  const all = zeroCounts();
  const byTicker = new Map<string, ReturnType<typeof zeroCounts>>();
  for (const item of items) {
    const counts = byTicker.get(item.ticker) ?? zeroCounts();
    byTicker.set(item.ticker, counts);
    for (const into of [all, counts]) {
      into.total += 1;
      into[item.sentiment] += 1;
      into.scoreSum += item.score;
    }
  }
  const tickers: TickerAggregate[] = [...byTicker.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([ticker, c]) => ({
      ticker,
      total: c.total,
      positive: c.positive,
      neutral: c.neutral,
      negative: c.negative,
      average_score: c.total === 0 ? null : c.scoreSum / c.total,
      as_of: asOf,
    }));
  const metrics = {
    total: all.total,
    positive: all.positive,
    neutral: all.neutral,
    negative: all.negative,
    by_tag: {},
    rate_last_hour: all.total,
    rate_last_24h: all.total,
    as_of: asOf,
  };
  // The most active first (ties by symbol), then back in ticker order, as the store does.
  const top = new Set(
    [...tickers]
      .sort((a, b) => b.total - a.total || (a.ticker < b.ticker ? -1 : 1))
      .slice(0, maxTopTickers)
      .map((a) => a.ticker),
  );
  return { metrics, tickers, topTickers: tickers.filter((a) => top.has(a.ticker)) };
}

function createMemoryFeed(startMs = Date.now(), options: MemoryFeedOptions = {}): MemoryFeed {
  let clock = startMs;
  /** While set, `aggregates` counts only items stamped at or before it. */
  let aggregatesUpTo: number | undefined;
  const rows: FeedEntry[] = [];
  const configurations = new Map<string, Configuration>();
  const failing = new Set<FeedOperation>();
  const pauses: {
    op: FeedOperation;
    when: 'before' | 'after';
    match: (o: FeedReadOptions | undefined) => boolean;
    wait: () => Promise<void>;
  }[] = [];
  const calls: Record<FeedOperation, number> = { readAfter: 0, headCursor: 0, aggregates: 0, getConfiguration: 0 };

  /** Counts the call, waits at a matching pause, then throws if the operation is failing. */
  async function enter(op: FeedOperation, options?: FeedReadOptions): Promise<void> {
    calls[op] += 1;
    await pausedAt(op, 'before', options);
    if (failing.has(op)) throw new Error(`memory feed: ${op} is failing`);
    options?.signal?.throwIfAborted();
  }

  async function pausedAt(op: FeedOperation, when: 'before' | 'after', options?: FeedReadOptions): Promise<void> {
    const index = pauses.findIndex((p) => p.op === op && p.when === when && p.match(options));
    if (index < 0) return;
    const [pause] = pauses.splice(index, 1);
    await pause?.wait();
    options?.signal?.throwIfAborted();
  }

  const visible = (cursor: FeedCursor, readAt: number) =>
    rows.filter(
      (row) => row.arrivalMs <= readAt && !cursorCovers(cursor, { arrivalMs: row.arrivalMs, itemId: row.item.item_id }),
    );

  return {
    append(...inputs) {
      return inputs.map((input) => {
        clock += 1;
        const item: Item = { ...input, ingested_at: new Date(clock).toISOString() };
        rows.push({ arrivalMs: clock, item });
        return item;
      });
    },
    setConfiguration(userId, configuration) {
      configurations.set(`${userId}/${configuration.config_id}`, configuration);
    },
    deleteConfiguration(userId, configId) {
      configurations.delete(`${userId}/${configId}`);
    },
    advance: (ms) => {
      clock += ms;
    },
    fail: (op) => failing.add(op),
    heal: (op) => failing.delete(op),
    freezeAggregates() {
      aggregatesUpTo = clock;
    },
    thawAggregates() {
      aggregatesUpTo = undefined;
    },
    pause(op, match = () => true, when = 'before') {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      pauses.push({
        op,
        when,
        match,
        wait: () => {
          reached();
          return released;
        },
      });
      return { reached: reachedPromise, release };
    },
    calls,
    async readAfter(cursor, limit, options): Promise<FeedRead> {
      await enter('readAfter', options);
      clock += 1;
      const readAt = clock;
      const pending = visible(cursor, readAt);
      const entries = pending.slice(0, limit);
      const full = pending.length > limit;
      const delivered = entries.map((e) => ({ arrivalMs: e.arrivalMs, itemId: e.item.item_id }));
      // A full page vouches only for stamps below its last item's.
      const through = full ? { arrivalMs: entries.at(-1)?.arrivalMs ?? readAt } : undefined;
      const read = { entries, cursor: advanceCursor(cursor, delivered, readAt, 0, through), readAt, full };
      await pausedAt('readAfter', 'after', options);
      return read;
    },
    async headCursor(options) {
      await enter('headCursor', options);
      clock += 1;
      return { watermark: clock, entries: [] };
    },
    async aggregates(tickers) {
      await enter('aggregates');
      const upTo = aggregatesUpTo ?? Number.POSITIVE_INFINITY;
      const counted = rows.filter((row) => row.arrivalMs <= upTo);
      const items = counted.map((row) => row.item).filter((item) => tickers === undefined || tickers.has(item.ticker));
      return summarize(items, new Date(clock).toISOString(), options.maxTopTickers);
    },
    async getConfiguration(userId, configId) {
      await enter('getConfiguration');
      return configurations.get(`${userId}/${configId}`) ?? null;
    },
    parseCursor: (text) => checkCursor(text, clock, RETENTION_MS),
    encodeCursor,
    positionIds: (from, readAt) => new PositionIds(from, readAt, 0),
  };
}

export type { FeedOperation, MemoryFeed, MemoryFeedOptions, Pause };
export { createMemoryFeed };
