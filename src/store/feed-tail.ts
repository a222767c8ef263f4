/**
 * The part of the feed a view holds in memory: every item stamped after its floor (the fold
 * watermark, or the oldest window's start) that reads have seen, kept by feed sort key. Read the
 * way a cursor reads (cursor.ts): every item stamped at or below `watermark` has been seen, since
 * a read that started at time R sees every item stamped at or before R − settle; items above it
 * that were seen are kept, so a later read only adds what it lacks. On an exclusive store, what
 * it lacks since its last complete read is often known without a read (feed-activity.ts).
 */
import type { StoreContext } from './context.ts';
import type { ActivityMark, FeedActivity } from './feed-activity.ts';
import { QueryBudget } from './feed-query.ts';
import { MAX_QUERIES_PER_READ, readRowsAfter, type RowsAfter } from './feed.ts';
import { parseFeedSortKey } from './keys.ts';
import { type TallyItem, tallyOf } from './tally.ts';

/** Rows per shard of one tail read, and reads one refresh may chain after a burst. */
const TAIL_PAGE = 1000;
const TAIL_READS = 8;

class FeedTail {
  readonly #ctx: StoreContext;
  readonly #activity: FeedActivity;
  readonly #items = new Map<string, TallyItem>();
  /** Every item stamped at or below this is held (or lies at or below the floor). */
  #watermark = Number.NEGATIVE_INFINITY;
  /** Items at or below this are counted elsewhere, or in no window: never held. */
  #floor = Number.NEGATIVE_INFINITY;
  /** When the newest read that brought the tail up to its own time started (store clock). */
  #readAt = Number.NEGATIVE_INFINITY;
  /** Where the feed stood when the newest read the tail holds all of started; undefined before one. */
  #mark: ActivityMark | undefined;

  constructor(ctx: StoreContext, activity: FeedActivity) {
    this.#ctx = ctx;
    this.#activity = activity;
  }

  get items(): Iterable<TallyItem> {
    return this.#items.values();
  }

  /** When the newest complete read started (store clock): the tail is as fresh as that. */
  get readAt(): number {
    return this.#readAt;
  }

  /** Forgets every item at or below `floor` (counted by the rows now, or in no window). */
  raiseFloor(floor: number): void {
    if (floor <= this.#floor) return;
    this.#floor = floor;
    if (this.#watermark < floor) this.#watermark = floor;
    for (const [sk, item] of this.#items) if (item.arrivalMs <= floor) this.#items.delete(sk);
  }

  /**
   * Takes in what the feed gained after the watermark: the rows the process appended since the
   * last complete read when it knows them, else a few pages read from the store. True when it
   * added any item.
   */
  async read(): Promise<boolean> {
    const mark = this.#activity.mark();
    const caught = this.catchUp();
    if (caught !== undefined) return caught;
    let added = false;
    for (let read = 0; read < TAIL_READS; read++) {
      const budget = new QueryBudget(this.#ctx, undefined, MAX_QUERIES_PER_READ);
      const rows = await readRowsAfter(this.#ctx, this.#watermark, TAIL_PAGE, budget);
      added = this.#take(rows) || added;
      if (rows.completeUpTo === undefined) {
        this.#completeAt(mark);
        return added;
      }
    }
    return added;
  }

  /**
   * Takes in the rows the process appended since the tail's last complete read, when it knows
   * them (feed-activity.ts): true when that added any item, undefined when only a read can tell.
   */
  catchUp(): boolean | undefined {
    if (this.#mark === undefined) return undefined;
    const mark = this.#activity.mark();
    const appended = this.#activity.appendedSince(this.#mark);
    if (appended === undefined) return undefined;
    this.#mark = mark;
    return this.#take({ rows: appended, readAt: this.#ctx.now(), completeUpTo: undefined });
  }

  /**
   * Takes in another reader's read that started from `fromWatermark` at `mark`: when that lies at
   * or below the tail's own, the read saw everything the tail lacks up to where it stopped. True
   * when it added any item.
   */
  absorb(read: RowsAfter, fromWatermark: number, mark: ActivityMark): boolean {
    if (fromWatermark > this.#watermark) return false;
    const added = this.#take(read);
    if (read.completeUpTo === undefined) this.#completeAt(mark);
    return added;
  }

  /** The tail holds every row a read started at `mark` could see (a later mark wins). */
  #completeAt(mark: ActivityMark): void {
    if (this.#mark === undefined || mark.version > this.#mark.version) this.#mark = mark;
  }

  /** Adds the rows the tail lacks; moves its watermark to where the read saw everything. */
  #take({ rows, readAt, completeUpTo }: RowsAfter): boolean {
    let added = false;
    for (const row of rows) {
      if (this.#items.has(row.sk) || parseFeedSortKey(row.sk).arrivalMs <= this.#floor) continue;
      this.#items.set(row.sk, tallyOf(row));
      added = true;
    }
    const settled = Math.min(readAt - this.#ctx.settleMs, completeUpTo ?? Number.POSITIVE_INFINITY);
    this.#watermark = Math.max(this.#watermark, settled);
    if (completeUpTo === undefined) this.#readAt = Math.max(this.#readAt, readAt);
    return added;
  }
}

export { FeedTail };
