/**
 * Reading the feed: everything after a cursor (streams and `?after=`), the cursor of the feed's
 * head, and newest-first pages for `GET /api/v2/items`.
 *
 * Cursor reads use strongly consistent Queries on the base table: the settle-window argument
 * (see cursor.ts) assumes a read sees every write that completed before it, which neither a GSI
 * nor an eventually consistent read promises.
 *
 * Every read is bounded whatever position it starts from: it never looks outside the retention
 * window, sends at most MAX_QUERIES_PER_READ Queries, and stops (rejecting with the signal's
 * reason) once its AbortSignal fires. A read that runs out of queries returns what it has with a
 * position to continue from, so clients make progress one bounded request at a time.
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Item } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { advanceCursor, cursorCovers, type FeedCursor, MAX_CLOCK_SKEW_MS } from '../stream/cursor.ts';
import {
  feedPartition,
  feedSortKeyAfter,
  feedSortKeyBelow,
  HOUR_MS,
  hourStart,
  parseFeedSortKey,
  tickerIndexKey,
} from './keys.ts';
import { TABLE_KEYS } from './table-keys.ts';

/**
 * Most Queries one read sends, whatever cursor or page token it was given: a day of empty hour
 * buckets. The store work of one request is therefore bounded by a constant (docs/security.md).
 */
const MAX_QUERIES_PER_READ = 24;

/** What a caller may pass to any read. */
interface ReadOptions {
  /** Aborted when nobody waits for the answer any more (the client left): the read stops. */
  readonly signal?: AbortSignal | undefined;
}

interface FeedRow {
  readonly arrivalMs: number;
  readonly item: Item;
}

interface FeedRead {
  /** Oldest first. */
  readonly items: readonly Item[];
  /** The same items with their feed positions (arrival stamps), for per-event cursors. */
  readonly entries: readonly FeedRow[];
  readonly cursor: FeedCursor;
  /** When the read started (store clock, epoch ms). */
  readonly readAt: number;
  /**
   * True when the read stopped early, at `limit` or at its query budget: more may follow right
   * away, so read again from `cursor` (which always moves forward when this is true).
   */
  readonly full: boolean;
}

type Row = { sk: string; item: Item };

/** The reason an aborted read rejects with: the signal's own, as `signal.throwIfAborted()` does. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The read was aborted.', 'AbortError');
}

/** Counts the Queries of one read and carries its AbortSignal to each of them. */
class QueryBudget {
  readonly #ctx: StoreContext;
  readonly #signal: AbortSignal | undefined;
  #left: number;

  constructor(ctx: StoreContext, signal: AbortSignal | undefined, queries = MAX_QUERIES_PER_READ) {
    this.#ctx = ctx;
    this.#signal = signal;
    this.#left = queries;
  }

  get exhausted(): boolean {
    return this.#left <= 0;
  }

  /** One Query page; callers check `exhausted` first. */
  async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<{ rows: Row[]; next?: Record<string, unknown> }> {
    this.#throwIfAborted();
    if (this.exhausted) throw new Error('query budget exhausted');
    this.#left -= 1;
    try {
      const page = await this.#ctx.documents.send(new QueryCommand({ TableName: this.#ctx.tableName, ...input }), {
        abortSignal: this.#signal,
      });
      return { rows: (page.Items ?? []) as Row[], ...(page.LastEvaluatedKey ? { next: page.LastEvaluatedKey } : {}) };
    } catch (error) {
      // The SDK wraps the abort in its own error; callers see the signal's reason either way.
      this.#throwIfAborted();
      throw error;
    }
  }

  #throwIfAborted(): void {
    if (this.#signal?.aborted === true) throw abortReason(this.#signal);
  }
}

/** How a partition scan ended: read to its end, stopped by `take`, or out of queries. */
type ScanEnd = 'complete' | 'stopped' | 'budget';

/** Reads one partition (or index partition) in key order, handing rows to `take` until it returns false. */
async function scan(
  budget: QueryBudget,
  input: Omit<QueryCommandInput, 'TableName'>,
  take: (row: Row) => boolean,
): Promise<ScanEnd> {
  let startKey: Record<string, unknown> | undefined;
  do {
    if (budget.exhausted) return 'budget';
    const page = await budget.query(startKey === undefined ? input : { ...input, ExclusiveStartKey: startKey });
    for (const row of page.rows) if (!take(row)) return 'stopped';
    startKey = page.next;
  } while (startKey !== undefined);
  return 'complete';
}

/** Items stored after `cursor`, oldest first, at most `limit`, and the cursor after them. */
async function readAfter(
  ctx: StoreContext,
  cursor: FeedCursor,
  limit: number,
  options: ReadOptions = {},
): Promise<FeedRead> {
  return readAfterWithin(ctx, cursor, limit, new QueryBudget(ctx, options.signal));
}

async function readAfterWithin(
  ctx: StoreContext,
  cursor: FeedCursor,
  limit: number,
  budget: QueryBudget,
): Promise<FeedRead> {
  const readAt = ctx.now();
  const rows: FeedRow[] = [];
  const lowerBound = feedSortKeyAfter(cursor.watermark);
  // Never below the retention: older entries are expired (TTL may remove them at any moment).
  const first = Math.max(hourStart(cursor.watermark + 1), hourStart(readAt - ctx.retentionMs));
  // The highest stamp this read has seen everything up to; the watermark never passes it.
  let upTo = Number.POSITIVE_INFINITY;
  for (let bucket = first; bucket <= hourStart(readAt); bucket += HOUR_MS) {
    let lastSeen: number | undefined;
    const end = await scan(
      budget,
      {
        KeyConditionExpression: 'pk = :pk AND sk >= :lo',
        ExpressionAttributeValues: { ':pk': feedPartition(bucket), ':lo': lowerBound },
        ConsistentRead: true,
        ScanIndexForward: true,
        Limit: Math.min(1000, limit + cursor.entries.length + 1),
      },
      (row) => {
        const { arrivalMs, itemId } = parseFeedSortKey(row.sk);
        lastSeen = arrivalMs;
        if (cursorCovers(cursor, { arrivalMs, itemId })) return true;
        rows.push({ arrivalMs, item: row.item });
        return rows.length < limit;
      },
    );
    if (end === 'complete') continue;
    // Stopped inside this bucket: others may share the last stamp seen, so vouch only below it.
    upTo = lastSeen === undefined ? bucket - 1 : lastSeen - 1;
    break;
  }
  const full = upTo !== Number.POSITIVE_INFINITY;
  const delivered = rows.map((row) => ({ arrivalMs: row.arrivalMs, itemId: row.item.item_id }));
  return {
    items: rows.map((row) => row.item),
    entries: rows,
    cursor: advanceCursor(cursor, delivered, readAt, ctx.settleMs, upTo),
    readAt,
    full,
  };
}

/**
 * The cursor of the feed's current head: everything stored so far counts as delivered. Within one
 * query budget: after a burst too large for it, the cursor returned lies somewhat behind the head
 * (still exact: reading after it returns the rest once).
 */
async function headCursor(ctx: StoreContext, options: ReadOptions = {}): Promise<FeedCursor> {
  const budget = new QueryBudget(ctx, options.signal);
  let cursor: FeedCursor = { watermark: ctx.now() - ctx.settleMs, entries: [] };
  // The settle window holds few items; page through it in case a burst filled it.
  for (;;) {
    const read = await readAfterWithin(ctx, cursor, 1000, budget);
    cursor = read.cursor;
    if (!read.full || budget.exhausted) return cursor;
  }
}

interface PageToken {
  /**
   * The next page holds the items whose sort key is strictly below this one: the last item
   * returned (`<stamp>#<item id>`), or the start of the last hour bucket read (`<stamp>#`).
   */
  readonly k: string;
  /** The listing it continues: a ticker, or `*` for all tickers. */
  readonly s: string;
}

/** Longest page token we write: base64url of `{"k":"<13>#<128>","s":"<10>"}` is 223 characters. */
const MAX_PAGE_TOKEN_LENGTH = 256;
const TOKEN_TEXT = /^[A-Za-z0-9_-]+$/;
const TOKEN_KEY = /^\d{13}#(?:[A-Za-z0-9][A-Za-z0-9._:-]{0,127})?$/;
const TOKEN_SCOPE = /^(?:\*|[A-Z][A-Z0-9]{0,5}(?:[.-][A-Z0-9]{1,3})?)$/;

/** The token's scope for a listing of `ticker` (or of every ticker). */
const pageScope = (ticker: string | undefined): string => ticker ?? '*';

const encodePageToken = (token: PageToken): string =>
  Buffer.from(JSON.stringify({ k: token.k, s: token.s })).toString('base64url');

/**
 * The token of a previous answer, or null when it is not one we could have written (client
 * input: never throws). Length and alphabet are checked before anything is decoded, and only the
 * canonical encoding is accepted, so a token has exactly one spelling.
 */
function decodePageToken(text: string): PageToken | null {
  if (text.length > MAX_PAGE_TOKEN_LENGTH || !TOKEN_TEXT.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { k, s } = value as Record<string, unknown>;
  if (typeof k !== 'string' || typeof s !== 'string' || !TOKEN_KEY.test(k) || !TOKEN_SCOPE.test(s)) return null;
  const token = { k, s };
  return encodePageToken(token) === text ? token : null;
}

/** Outcome of reading a client-supplied page token. */
type PageTokenParse =
  { readonly ok: true; readonly page: PageToken } | { readonly ok: false; readonly reason: 'malformed' | 'expired' };

/**
 * A client-supplied page token for a listing of `ticker`, checked before it may drive a read: it
 * must be ours, for the same listing, and point inside the retention (a key beyond now plus the
 * clock skew was never written by any instance).
 */
function checkPageToken(text: string, ticker: string | undefined, nowMs: number, retentionMs: number): PageTokenParse {
  const page = decodePageToken(text);
  if (page === null || page.s !== pageScope(ticker)) return { ok: false, reason: 'malformed' };
  const { arrivalMs } = parseFeedSortKey(page.k);
  if (arrivalMs > nowMs + MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'malformed' };
  if (arrivalMs < nowMs - retentionMs) return { ok: false, reason: 'expired' };
  return { ok: true, page };
}

interface NewestPage {
  readonly items: readonly Item[];
  readonly nextPage: string | null;
}

interface NewestOptions extends ReadOptions {
  readonly limit: number;
  readonly ticker?: string | undefined;
  /** Only its position matters here; its scope was checked when it was parsed. */
  readonly page?: Pick<PageToken, 'k'> | undefined;
}

/** Newest items first, optionally of one ticker, continuing below `page` when given. */
async function readNewest(ctx: StoreContext, options: NewestOptions): Promise<NewestPage> {
  const now = ctx.now();
  const budget = new QueryBudget(ctx, options.signal);
  const oldest = feedSortKeyAfter(now - ctx.retentionMs);
  // Never above the present, whatever the token says (it was checked, but reads stay safe alone).
  const top = feedSortKeyBelow(now + MAX_CLOCK_SKEW_MS + 1);
  const start = options.page === undefined || options.page.k > top ? top : options.page.k;
  // One more than asked tells whether another page exists.
  const want = options.limit + 1;
  const rows: Row[] = [];
  // Where the next page continues (strictly below), once this one stops short of the end.
  let position = start;
  const partitionRead = async (partition: {
    index?: string;
    pkName: string;
    skName: string;
    pk: string;
  }): Promise<ScanEnd> =>
    scan(
      budget,
      {
        ...(partition.index === undefined ? {} : { IndexName: partition.index }),
        KeyConditionExpression: `${partition.pkName} = :pk AND ${partition.skName} BETWEEN :lo AND :hi`,
        ExpressionAttributeValues: { ':pk': partition.pk, ':lo': oldest, ':hi': start },
        ScanIndexForward: false,
        Limit: want - rows.length + 1,
      },
      (row) => {
        // BETWEEN includes the bound, which the previous page already returned.
        if (row.sk === start) return true;
        rows.push(row);
        position = row.sk;
        return rows.length < want;
      },
    );
  let end: ScanEnd = 'complete';
  if (start < oldest) {
    // Nothing left inside the retention.
  } else if (options.ticker !== undefined) {
    // The per-ticker index: one partition per ticker, sorted like the feed (eventually consistent,
    // which is fine for browsing; cursors never read it).
    end = await partitionRead({
      index: TABLE_KEYS.tickerIndex,
      pkName: 'gsi1pk',
      skName: 'gsi1sk',
      pk: tickerIndexKey(options.ticker),
    });
  } else {
    const { arrivalMs, itemId } = parseFeedSortKey(start);
    // `<stamp>#` (no item id) lies below every key of that stamp: it continues in the hour before.
    const first = hourStart(itemId === '' ? arrivalMs - 1 : arrivalMs);
    for (let bucket = first; bucket >= hourStart(now - ctx.retentionMs); bucket -= HOUR_MS) {
      end = await partitionRead({ pkName: 'pk', skName: 'sk', pk: feedPartition(bucket) });
      if (end !== 'complete') break;
      position = feedSortKeyBelow(bucket);
    }
  }
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  let nextPage: string | null = null;
  if (rows.length > options.limit && last !== undefined)
    nextPage = encodePageToken({ k: last.sk, s: pageScope(options.ticker) });
  // Out of queries before the page filled: the client continues from where this read stopped.
  else if (end === 'budget' && position < start)
    nextPage = encodePageToken({ k: position, s: pageScope(options.ticker) });
  return { items: page.map((row) => row.item), nextPage };
}

export type { FeedRead, FeedRow, NewestOptions, NewestPage, PageToken, PageTokenParse, ReadOptions };
export {
  checkPageToken,
  decodePageToken,
  encodePageToken,
  headCursor,
  MAX_PAGE_TOKEN_LENGTH,
  MAX_QUERIES_PER_READ,
  readAfter,
  readNewest,
};
