/**
 * Reading the feed in order: everything after a cursor (streams and `?after=`), the cursor of
 * the feed's head, and a settled range of stamps (the fold). Newest-first pages are newest.ts.
 *
 * Cursor reads use strongly consistent Queries on the base table: the settle-window argument
 * (see cursor.ts) assumes a read sees every write that completed before it, which neither a GSI
 * nor an eventually consistent read promises.
 *
 * Every read is bounded whatever position it starts from: it never looks below the retention,
 * sends one Query per shard (MAX_QUERIES_PER_READ), and stops (rejecting with the signal's
 * reason) once its AbortSignal fires. A read that stops early returns what it has with a
 * position to continue from, so clients make progress one bounded request at a time.
 */
import type { FeedEntry, FeedRead, FeedReadOptions } from '../stream/ports.ts';
import type { StoreContext } from './context.ts';
import {
  advanceCursor,
  coverage,
  type Delivered,
  type FeedCursor,
  MAX_ENTRIES,
  type ReadThrough,
} from '../feed/cursor.ts';
import {
  compareKeys,
  type FeedRowRaw,
  mergePages,
  type ReadOn,
  QueryBudget,
  queryShards,
  SHARDS,
} from './feed-query.ts';
import {
  FEED_SHARDS,
  feedPartition,
  feedSortKey,
  feedSortKeyAfter,
  feedSortKeyThrough,
  parseFeedSortKey,
} from './keys.ts';

/**
 * Most Queries one read sends, whatever cursor or page token it was given: one page per shard.
 * The store work of one request is therefore bounded by a constant (docs/security.md).
 */
const MAX_QUERIES_PER_READ = FEED_SHARDS;

/** Reads `headCursor` may chain after a burst that filled one read. */
const HEAD_READS = 4;

/** Rows after a stamp, in feed order: what one page of every shard holds, up to the frontier. */
interface RowsAfter {
  readonly rows: readonly FeedRowRaw[];
  readonly readAt: number;
  /** The highest stamp the rows are complete up to when the read was cut; undefined when it was not. */
  readonly completeUpTo: number | undefined;
  /** When the read was cut, the last row it holds every row up to (a shard's last). */
  readonly frontier?: Delivered;
}

/**
 * One page of every shard after `watermark` (never below the retention), `perShard` rows each,
 * merged: every row up to the frontier. Shared by cursor reads and the aggregate view's tail.
 * With `readOn`, a shard page cut inside rows the reader already has is read on (`queryShards`).
 */
async function readRowsAfter(
  ctx: StoreContext,
  watermark: number,
  perShard: number,
  budget: QueryBudget,
  throughId?: string,
  readOn?: ReadOn,
): Promise<RowsAfter> {
  const readAt = ctx.now();
  const after = lowerBound(ctx, readAt, watermark, throughId);
  const inputOf = (shard: number) => ({
    KeyConditionExpression: 'pk = :pk AND sk > :lo',
    ExpressionAttributeValues: { ':pk': feedPartition(shard), ':lo': after },
    ConsistentRead: true,
    ScanIndexForward: true,
    Limit: perShard,
  });
  const pages = await queryShards(budget, inputOf, readOn);
  const merged = mergePages(pages, true);
  if (merged.frontier === undefined) return { rows: merged.rows, readAt, completeUpTo: undefined };
  // Cut at a shard's last row: others may share its stamp, so vouch only below it.
  const frontier = parseFeedSortKey(merged.frontier);
  return { rows: merged.rows, readAt, completeUpTo: frontier.arrivalMs - 1, frontier };
}

/**
 * The key a read after `watermark` starts strictly after: past the retention, and past the last
 * item of stamp `watermark + 1` a cursor names (`throughId`), so that a stamp with more items
 * than one page holds is read onward, not from its start again. (`feedSortKeyAfter` is a bare
 * stamp no row has as its key, so "after" it is "from" it.)
 */
function lowerBound(ctx: StoreContext, readAt: number, watermark: number, throughId: string | undefined): string {
  const floor = feedSortKeyAfter(Math.max(watermark, readAt - ctx.retentionMs));
  const through = throughId === undefined ? undefined : feedSortKey(watermark + 1, throughId);
  return through !== undefined && through > floor ? through : floor;
}

/** Hears every row a cursor read saw, with the watermark it read from (the aggregate view's tail). */
type RowsListener = (read: RowsAfter, fromWatermark: number) => void;

/** Items stored after `cursor`, oldest first, at most `limit`, and the cursor after them. */
async function readAfter(
  ctx: StoreContext,
  cursor: FeedCursor,
  limit: number,
  options: FeedReadOptions = {},
  onRows?: RowsListener,
): Promise<FeedRead> {
  const budget = new QueryBudget(ctx, options.signal, queriesFor(cursor, options.exactText === true));
  return readAfterWithin(ctx, cursor, limit, budget, options.exactText === true, onRows);
}

/** Rows one Query page may return; DynamoDB may return fewer (1 MB per page). */
const MAX_PAGE_ROWS = 1000;

/**
 * The Queries one cursor read may send. A client's text cursor lists at most MAX_ENTRIES items,
 * so one page per shard holds them: a constant (docs/security.md). A process's own cursor may
 * list the whole settle window, and reading past what it covers takes a page per MAX_PAGE_ROWS
 * of it; it is the process's, not a client's, so its size is no client's to choose.
 */
const queriesFor = (cursor: FeedCursor, exactText: boolean): number =>
  exactText || cursor.entries.length <= MAX_ENTRIES
    ? MAX_QUERIES_PER_READ
    : MAX_QUERIES_PER_READ + Math.ceil(cursor.entries.length / MAX_PAGE_ROWS) * FEED_SHARDS;

async function readAfterWithin(
  ctx: StoreContext,
  cursor: FeedCursor,
  limit: number,
  budget: QueryBudget,
  exactText: boolean,
  onRows?: RowsListener,
): Promise<FeedRead> {
  const covered = coverage(cursor);
  // Items spread evenly over the shards; each page also re-reads what the cursor already covers.
  const wanted = Math.ceil(limit / FEED_SHARDS) + 1;
  const perShard = Math.min(MAX_PAGE_ROWS, wanted + cursor.entries.length);
  const isNew = (row: FeedRowRaw) => !covered(parseFeedSortKey(row.sk));
  const rowsAfter = await readRowsAfter(ctx, cursor.watermark, perShard, budget, cursor.throughId, {
    isNew,
    wanted,
  });
  // With an id through stamp W + 1, the rows are complete above W + 1 only.
  onRows?.(rowsAfter, cursor.watermark + (cursor.throughId === undefined ? 0 : 1));
  return readFrom(ctx, cursor, limit, rowsAfter, exactText, covered);
}

/**
 * What a read started now would return, from the rows appended since `cursor` was read to
 * completely, when the process knows them (feed-activity.ts): every other row above the cursor's
 * floor was in that read, so it is covered.
 */
function readAppended(
  ctx: StoreContext,
  cursor: FeedCursor,
  limit: number,
  appended: readonly FeedRowRaw[],
  exactText = false,
): FeedRead {
  const readAt = ctx.now();
  const after = lowerBound(ctx, readAt, cursor.watermark, cursor.throughId);
  const rows = appended.filter((row) => row.sk > after).sort((a, b) => compareKeys(a.sk, b.sk));
  return readFrom(ctx, cursor, limit, { rows, readAt, completeUpTo: undefined }, exactText, coverage(cursor));
}

/**
 * The read's rows the cursor does not cover, at most `limit`, and the cursor after them.
 *
 * With `exactText` (a cursor a client holds as text, `?after=`), the cursor after the read must
 * fit its text exactly (MAX_ENTRIES listed): the read stops before an item above the settled
 * edge that it could not list. The rest comes once its stamps settle (FEED_SETTLE_MS at most),
 * when the watermark covers them and nothing needs listing. Without it (a process's own reader)
 * the cursor lists whatever the settle window holds.
 */
function readFrom(
  ctx: StoreContext,
  cursor: FeedCursor,
  limit: number,
  rowsAfter: RowsAfter,
  exactText: boolean,
  covered: (item: Delivered) => boolean,
): FeedRead {
  const { rows, readAt } = rowsAfter;
  // Above this stamp every delivery is listed; at or below it the watermark takes it over.
  const edge = Math.max(cursor.watermark, readAt - ctx.settleMs);
  let listable = exactText
    ? MAX_ENTRIES - cursor.entries.filter((entry) => entry.arrivalMs > edge).length
    : Number.POSITIVE_INFINITY;
  const entries: FeedEntry[] = [];
  let seen: Delivered | undefined;
  let stoppedAt: Delivered | undefined;
  for (const row of rows) {
    const position = parseFeedSortKey(row.sk);
    if (!covered(position)) {
      if (entries.length === limit || (position.arrivalMs > edge && listable === 0)) {
        stoppedAt = position;
        break;
      }
      if (position.arrivalMs > edge) listable -= 1;
      entries.push({ arrivalMs: position.arrivalMs, item: row.item });
    }
    seen = position;
  }
  const delivered = entries.map((entry) => ({ arrivalMs: entry.arrivalMs, itemId: entry.item.item_id }));
  const through = stoppedAt === undefined ? rowsAfter.frontier : throughBefore(stoppedAt, seen);
  return {
    entries,
    cursor: advanceCursor(cursor, delivered, readAt, ctx.settleMs, through),
    readAt,
    // Stopped for want of room in the text, reading again now finds nothing it may deliver.
    full: through !== undefined && (stoppedAt === undefined || entries.length === limit),
  };
}

/**
 * What a read that stopped before the row at `stop` saw everything up to: all rows below its
 * stamp, and of its stamp those up to the last row seen, if that lies in it.
 */
const throughBefore = (stop: Delivered, seen: Delivered | undefined): ReadThrough =>
  seen?.arrivalMs === stop.arrivalMs ? seen : { arrivalMs: stop.arrivalMs };

/**
 * The cursor of the feed's current head: everything stored so far counts as delivered. After a
 * burst too large for HEAD_READS reads, the cursor returned lies somewhat behind the head (still
 * exact: reading after it returns the rest once).
 */
async function headCursor(ctx: StoreContext, options: FeedReadOptions = {}): Promise<FeedCursor> {
  const budget = new QueryBudget(ctx, options.signal, HEAD_READS * MAX_QUERIES_PER_READ);
  let cursor: FeedCursor = { watermark: ctx.now() - ctx.settleMs, entries: [] };
  for (;;) {
    const read = await readAfterWithin(ctx, cursor, 1000, budget, false);
    cursor = read.cursor;
    if (!read.full || budget.left < MAX_QUERIES_PER_READ) return cursor;
  }
}

/** Rows per shard page of a range read. */
const RANGE_PAGE = 1000;

/**
 * Every item stamped in (fromMs, toMs], oldest first, for the fold; at most about `maxItems`.
 * When the range holds more, `toMs` comes back lowered to a stamp boundary below which all items
 * were read (a stamp's items are never split), so the caller folds a shorter range. Strongly
 * consistent: with `toMs` settled, every item stamped in the range is visible (cursor.ts).
 */
async function readRange(
  ctx: StoreContext,
  fromMs: number,
  toMs: number,
  maxItems: number,
): Promise<{ rows: FeedRowRaw[]; toMs: number }> {
  const perShardCap = Math.ceil(maxItems / FEED_SHARDS);
  const shards = await Promise.all(SHARDS.map((shard) => readShardRange(ctx, shard, fromMs, toMs, perShardCap)));
  // The earliest stamp at which some shard stopped short; everything below it was read.
  let upTo = toMs;
  for (const shard of shards) if (shard.stoppedAt !== undefined) upTo = Math.min(upTo, shard.stoppedAt - 1);
  if (upTo <= fromMs) {
    // One stamp holds more items than a round takes: fold that whole stamp.
    const stamp = Math.min(...shards.flatMap((shard) => (shard.stoppedAt === undefined ? [] : [shard.stoppedAt])));
    const whole = await Promise.all(SHARDS.map((shard) => readShardRange(ctx, shard, fromMs, stamp, Infinity)));
    return { rows: sortRows(whole.flatMap((shard) => shard.rows)), toMs: stamp };
  }
  const rows = shards.flatMap((shard) => shard.rows).filter((row) => parseFeedSortKey(row.sk).arrivalMs <= upTo);
  return { rows: sortRows(rows), toMs: upTo };
}

/** One shard's rows stamped in (fromMs, toMs], page after page, stopping after about `cap` rows. */
async function readShardRange(
  ctx: StoreContext,
  shard: number,
  fromMs: number,
  toMs: number,
  cap: number,
): Promise<{ rows: FeedRowRaw[]; stoppedAt?: number }> {
  const budget = new QueryBudget(ctx, undefined, Number.POSITIVE_INFINITY);
  const rows: FeedRowRaw[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await budget.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: {
        ':pk': feedPartition(shard),
        ':lo': feedSortKeyAfter(fromMs),
        ':hi': feedSortKeyThrough(toMs),
      },
      ConsistentRead: true,
      Limit: Math.min(RANGE_PAGE, cap),
      ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
    });
    rows.push(...page.rows);
    startKey = page.next;
    const last = rows.at(-1);
    if (startKey !== undefined && rows.length >= cap && last !== undefined)
      return { rows, stoppedAt: parseFeedSortKey(last.sk).arrivalMs };
  } while (startKey !== undefined);
  return { rows };
}

const sortRows = (rows: FeedRowRaw[]): FeedRowRaw[] => rows.sort((a, b) => compareKeys(a.sk, b.sk));

export type { RowsAfter, RowsListener };
export { headCursor, MAX_QUERIES_PER_READ, readAfter, readAppended, readRange, readRowsAfter };
