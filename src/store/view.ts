/**
 * A process's view of the aggregates: the folded rows (aggregate-rows.ts) plus the feed's
 * unfolded tail, so that metrics, per-ticker aggregates and history count every item as soon
 * as a feed read sees it, whether or not a fold round has absorbed it yet.
 *
 * Exact by construction. The fold watermark `w` is read before the rows; a row has absorbed every
 * item of its own up to `max(row.wm, w)` (rounds follow one another, and a round that has not
 * touched a row had none of its items). The tail holds every item stamped after `w` that the
 * view's reads have seen, read the way a cursor reads (every item at or below `readAt − settle`
 * is visible, so nothing settles unseen), and an item is added to a row only above that row's
 * point. So each item counts once: in the row, or from the tail.
 *
 * Refreshes are shared and at most `maxAgeMs` old (this process's ingests make the next read
 * refresh at once). On an exclusive store (feed-activity.ts) a refresh with nothing new to find
 * sends nothing. A view that may write also starts fold rounds when they are due (fold.ts).
 */
import type { HistoryBucketSize, MetricsHistory } from '../contract/index.ts';
import type { Aggregates } from '../stream/ports.ts';
import type { StoreContext } from './context.ts';
import { copyCounts, type Counts } from './counts.ts';
import { type ActivityMark, type FeedActivity } from './feed-activity.ts';
import type { RowsAfter } from './feed.ts';
import { FeedTail } from './feed-tail.ts';
import {
  type HistoryRow,
  type MetricsCounts,
  type MetricsRow,
  readHistoryRows,
  readMetricsRows,
} from './aggregate-rows.ts';
import { metricsWindow, summarize } from './aggregates.ts';
import { FOLD_HORIZON_MS, foldDue, type FoldOptions, type FoldOutcome, foldRound, MAX_FOLD_ITEMS } from './fold.ts';
import { readFoldState } from './fold-state.ts';
import { historyAnswer, historyHours } from './history.ts';
import { historyWindow } from './history-window.ts';
import { hourStart } from './keys.ts';
import { type HourCounts, metricsHourOf, tallyHour, tallySlot } from './tally.ts';

/** How often a view checks whether a fold round is due. */
const FOLD_CHECK_MS = 5_000;

/** Distinct history answers kept per refresh; the oldest goes first. */
const MAX_CACHED_ANSWERS = 256;

interface ViewOptions {
  /** How stale an answer may be (ms, monotonic clock); 0 refreshes on every read. */
  readonly maxAgeMs: number;
  /** This process may write aggregate rows (the SSE Lambda's role may not). */
  readonly folds: boolean;
  readonly activity: FeedActivity;
  /** A fold round failed (it is tried again at the next check). */
  readonly onFoldError?: ((error: unknown) => void) | undefined;
}

/** Drops a map's oldest entries (insertion order) beyond `max`. */
function trimOldest(map: Map<string, unknown>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}

/** Where a row stands: the point up to which it counts its items. */
const absorbedBy = (row: { readonly wm: number } | undefined, base: number): number => Math.max(row?.wm ?? base, base);

class AggregateView {
  readonly #ctx: StoreContext;
  readonly #options: ViewOptions;
  /** The fold watermark the rows were read under (−∞: never folded). */
  #base = Number.NEGATIVE_INFINITY;
  #metricsRows: { readonly firstHour: number; readonly rows: ReadonlyMap<number, MetricsRow> } | undefined;
  #historyRows = new Map<string, Promise<ReadonlyMap<number, HistoryRow>>>();
  /** The feed after the fold watermark, as reads have seen it. */
  readonly #tail: FeedTail;
  /** When this process last changed what a view must show (store clock). */
  #lastChangeAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined;
  /** Changes readers must see: this process's appends and folds, counted. */
  #changes = 0;
  /** `#changes` as the last refresh to complete found it when it started. */
  #refreshedThrough = -1;
  #refreshedAt = Number.NEGATIVE_INFINITY;
  #mark: ActivityMark | undefined;
  /** Where the feed stood when the fold state was last read. */
  #stateMark: ActivityMark | undefined;
  /** Answers built from the current refresh; dropped by the next one. */
  #hours: Map<number, MetricsCounts> | undefined;
  #answers = new Map<string, MetricsHistory>();
  #folding: Promise<FoldOutcome> | undefined;
  #foldCheckedAt = Number.NEGATIVE_INFINITY;
  /** The fold watermark as last seen (null: not read yet; undefined: never folded). */
  #knownW: number | undefined | null = null;
  /** When this process last appended to the feed (store clock). */
  #lastAppendAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(ctx: StoreContext, options: ViewOptions) {
    this.#ctx = ctx;
    this.#options = options;
    this.#tail = new FeedTail(ctx, options.activity);
  }

  async aggregates(tickers?: ReadonlySet<string>): Promise<Aggregates> {
    await this.#fresh();
    this.#catchUp();
    this.#hours ??= this.#mergeHours();
    return summarize(this.#hours, this.#ctx.now(), tickers);
  }

  async history(bucket: HistoryBucketSize, ticker?: string): Promise<MetricsHistory> {
    await this.#fresh();
    this.#catchUp();
    const now = this.#ctx.now();
    const key = `${bucket}|${ticker ?? '*'}|${historyWindow(bucket, now).startMs.toString()}`;
    const cached = this.#answers.get(key);
    if (cached !== undefined) return cached;
    const answer = await this.#historyOf(bucket, ticker, now);
    this.#answers.set(key, answer);
    trimOldest(this.#answers, MAX_CACHED_ANSWERS);
    return answer;
  }

  /** This process wrote to the feed: the next read refreshes, and a fold may be due. */
  invalidate(): void {
    this.#changes += 1;
    this.#lastAppendAt = this.#ctx.now();
    this.#lastChangeAt = this.#lastAppendAt;
    this.maybeFold();
  }

  /**
   * Takes in what a cursor read of this store saw (the stream poller's reads): when it read from
   * at or below the tail's watermark, it saw everything the tail lacks up to where it stopped, so
   * the view need not read the same rows again.
   */
  absorb(read: RowsAfter, fromWatermark: number, mark: ActivityMark): void {
    if (this.#tail.absorb(read, fromWatermark, mark)) this.#dropAnswers();
  }

  /**
   * On an exclusive store, what another store of the process appended since is known without a
   * read (the poller's reads then send nothing for the view to take in): the answer counts it.
   */
  #catchUp(): void {
    if (this.#tail.catchUp() === true) this.#dropAnswers();
  }

  /** Answers built before no longer count everything the view holds. */
  #dropAnswers(): void {
    this.#hours = undefined;
    this.#answers.clear();
  }

  /** Stops starting fold rounds; resolves once the one running (if any) is over. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#folding?.catch(() => undefined);
  }

  /** One fold round now, after any this process has running; the next read sees its rows. */
  async fold(options: FoldOptions = {}): Promise<FoldOutcome> {
    await this.#folding?.catch(() => undefined);
    try {
      const folded = await foldRound(this.#ctx, options);
      this.#knownW = folded.w;
      return folded;
    } finally {
      this.#options.activity.folded();
      this.#changes += 1;
      this.#lastChangeAt = this.#ctx.now();
    }
  }

  /**
   * Refreshes when the answer is older than allowed or misses a change of this process;
   * concurrent readers share one refresh. A refresh that started before a change this reader must
   * see is followed by another, so a read after an ingest here always sees it (at most two).
   */
  async #fresh(): Promise<void> {
    const mustSee = this.#changes;
    const oldest = performance.now() - this.#options.maxAgeMs;
    while (this.#refreshedThrough < mustSee || this.#refreshedAt < oldest) {
      this.#refreshing ??= this.#refresh().finally(() => {
        this.#refreshing = undefined;
      });
      await this.#refreshing;
    }
  }

  async #refresh(): Promise<void> {
    const started = performance.now();
    const now = this.#ctx.now();
    const mark = this.#options.activity.mark();
    const window = metricsWindow(now);
    const through = this.#changes;
    const idle =
      through === this.#refreshedThrough &&
      this.#mark !== undefined &&
      this.#options.activity.unchangedSince(this.#mark) &&
      this.#metricsRows?.firstHour === window.firstHour;
    if (!idle) {
      const base = await this.#foldWatermark(mark);
      if (base !== this.#base || this.#metricsRows?.firstHour !== window.firstHour) {
        const rows = await readMetricsRows(this.#ctx, window.firstHour, window.lastHour);
        this.#metricsRows = { firstHour: window.firstHour, rows: new Map(rows.map((row) => [row.hourMs, row])) };
        if (base !== this.#base) this.#historyRows.clear();
        this.#base = base;
      }
      this.#tail.raiseFloor(Math.max(this.#base, now - FOLD_HORIZON_MS));
      const tailFresh = this.#tail.readAt > this.#lastChangeAt && now - this.#tail.readAt < this.#options.maxAgeMs;
      if (!tailFresh) await this.#tail.read();
      this.#mark = mark;
      this.#dropAnswers();
    }
    this.#refreshedAt = started;
    this.#refreshedThrough = through;
    this.maybeFold();
  }

  /**
   * The fold watermark (−∞: never folded). On an exclusive store only this process's rounds move
   * it, so while none has ended since the last look the view's own is current.
   */
  async #foldWatermark(mark: ActivityMark): Promise<number> {
    if (this.#stateMark !== undefined && this.#options.activity.unfoldedSince(this.#stateMark)) return this.#base;
    const state = await readFoldState(this.#ctx);
    this.#knownW = state.w;
    this.#stateMark = mark;
    return state.w ?? Number.NEGATIVE_INFINITY;
  }

  /** Per arrival hour of the window: the row's counts plus the tail's items above the row's point. */
  #mergeHours(): Map<number, MetricsCounts> {
    const rows = this.#metricsRows?.rows ?? new Map<number, MetricsRow>();
    const hours = new Map<number, HourCounts>();
    for (const [hourMs, row] of rows) {
      const tickers = new Map([...row.tickers].map(([ticker, counts]) => [ticker, copyCounts(counts)]));
      hours.set(hourMs, { all: copyCounts(row.all), tickers, other: copyCounts(row.other) });
    }
    for (const item of this.#tail.items) {
      if (item.arrivalMs > absorbedBy(rows.get(metricsHourOf(item)), this.#base)) tallyHour(hours, item);
    }
    return hours;
  }

  async #historyOf(bucket: HistoryBucketSize, ticker: string | undefined, now: number): Promise<MetricsHistory> {
    const { firstHour, lastHour } = historyHours(historyWindow(bucket, now));
    for (;;) {
      const base = this.#base;
      const rows = await this.#historyRowsOf(ticker, firstHour, lastHour);
      // Rows and tail must stand on the same watermark: a refresh during the read moved it.
      if (base === this.#base) return historyAnswer(bucket, now, this.#slotsOf(rows, ticker));
    }
  }

  /** The rows' slots plus the tail's items above each row's point, for one scope. */
  #slotsOf(rows: ReadonlyMap<number, HistoryRow>, ticker: string | undefined): Map<number, Counts> {
    const slots = new Map<number, Counts>();
    for (const row of rows.values()) {
      for (const [slotMs, counts] of row.slots) slots.set(slotMs, copyCounts(counts));
    }
    for (const item of this.#tail.items) {
      if (item.slotMs === null || (ticker !== undefined && item.ticker !== ticker)) continue;
      const { slotMs } = item;
      if (item.arrivalMs > absorbedBy(rows.get(hourStart(slotMs)), this.#base)) tallySlot(slots, slotMs, item);
    }
    return slots;
  }

  /** A scope's history rows for those hours, read once per fold watermark (shared by concurrent reads). */
  #historyRowsOf(ticker: string | undefined, firstHour: number, lastHour: number) {
    const key = `${ticker ?? '*'}|${firstHour.toString()}|${lastHour.toString()}`;
    let rows = this.#historyRows.get(key);
    if (rows === undefined) {
      const scope = ticker === undefined ? 'all' : { ticker };
      rows = readHistoryRows(this.#ctx, scope, firstHour, lastHour).then(
        (list) => new Map(list.map((row) => [row.hourMs, row])),
      );
      this.#historyRows.set(key, rows);
      // A failed read must not be served from the cache.
      rows.catch(() => this.#historyRows.delete(key));
      trimOldest(this.#historyRows, MAX_CACHED_ANSWERS);
    }
    return rows;
  }

  /**
   * Starts a fold round in the background when one may be due; checks at most every
   * FOLD_CHECK_MS. Called after reads and ingests, and by long-running hosts on a timer. What the
   * view knows spares the store a look: a watermark seen recently enough is not due yet, and on an
   * exclusive store nothing is unfolded if this process appended nothing since it.
   */
  maybeFold(): void {
    if (!this.#options.folds || this.#closed || this.#folding !== undefined) return;
    const started = performance.now();
    if (started - this.#foldCheckedAt < FOLD_CHECK_MS) return;
    const now = this.#ctx.now();
    const backlog = this.#settledBacklog(now);
    const known = this.#knownW;
    if (known !== null && backlog < MAX_FOLD_ITEMS) {
      if (!foldDue(this.#ctx, known, now)) return;
      if (this.#options.activity.exclusive && known !== undefined && this.#lastAppendAt <= known) return;
    }
    this.#foldCheckedAt = started;
    this.#folding = foldRound(this.#ctx, { force: backlog >= MAX_FOLD_ITEMS });
    this.#folding
      .then(
        (folded) => {
          this.#options.activity.folded();
          this.#knownW = folded.w;
          if (folded.outcome === 'folded') this.#changes += 1;
        },
        (error: unknown) => {
          // A round that failed may have moved the watermark before it did.
          this.#options.activity.folded();
          this.#options.onFoldError?.(error);
        },
      )
      .finally(() => {
        this.#folding = undefined;
      });
  }

  /** Tail items old enough to fold. */
  #settledBacklog(now: number): number {
    const settled = now - this.#ctx.settleMs;
    let backlog = 0;
    for (const item of this.#tail.items) if (item.arrivalMs <= settled) backlog += 1;
    return backlog;
  }
}

export type { ViewOptions };
export { AggregateView, FOLD_CHECK_MS };
