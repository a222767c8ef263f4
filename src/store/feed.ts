/**
 * Reading the feed: everything after a cursor (streams and `?after=`), the cursor of the feed's
 * head, and newest-first pages for `GET /api/v2/items`.
 *
 * Cursor reads use strongly consistent Queries on the base table: the settle-window argument
 * (see cursor.ts) assumes a read sees every write that completed before it, which neither a GSI
 * nor an eventually consistent read promises.
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Item } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { advanceCursor, cursorCovers, type FeedCursor } from './cursor.ts';
import { feedPartition, feedSortKeyAfter, HOUR_MS, hourStart, parseFeedSortKey, tickerIndexKey } from './keys.ts';
import { TABLE_KEYS } from './table.ts';

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
  /** True when the read stopped at `limit`; more may follow right away. */
  readonly full: boolean;
}

type Row = { sk: string; item: Item };

async function* query(ctx: StoreContext, input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<Row> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ctx.documents.send(
      new QueryCommand({ TableName: ctx.tableName, ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
    );
    for (const row of page.Items ?? []) yield row as Row;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}

/** Items stored after `cursor`, oldest first, at most `limit`, and the cursor after them. */
async function readAfter(ctx: StoreContext, cursor: FeedCursor, limit: number): Promise<FeedRead> {
  const readAt = ctx.now();
  const rows: FeedRow[] = [];
  const lowerBound = feedSortKeyAfter(cursor.watermark);
  outer: for (let bucket = hourStart(cursor.watermark + 1); bucket <= hourStart(readAt); bucket += HOUR_MS) {
    const pages = query(ctx, {
      KeyConditionExpression: 'pk = :pk AND sk >= :lo',
      ExpressionAttributeValues: { ':pk': feedPartition(bucket), ':lo': lowerBound },
      ConsistentRead: true,
      ScanIndexForward: true,
      Limit: Math.min(1000, limit + cursor.entries.length + 1),
    });
    for await (const row of pages) {
      const { arrivalMs, itemId } = parseFeedSortKey(row.sk);
      if (cursorCovers(cursor, { arrivalMs, itemId })) continue;
      rows.push({ arrivalMs, item: row.item });
      if (rows.length === limit) break outer;
    }
  }
  const full = rows.length === limit;
  const last = rows.at(-1);
  const delivered = rows.map((row) => ({ arrivalMs: row.arrivalMs, itemId: row.item.item_id }));
  // A full page vouches only for stamps before its last one (others may share that stamp).
  const upTo = full && last !== undefined ? last.arrivalMs - 1 : Number.POSITIVE_INFINITY;
  return {
    items: rows.map((row) => row.item),
    entries: rows,
    cursor: advanceCursor(cursor, delivered, readAt, ctx.settleMs, upTo),
    readAt,
    full,
  };
}

/** The cursor of the feed's current head: everything stored so far counts as delivered. */
async function headCursor(ctx: StoreContext): Promise<FeedCursor> {
  const readAt = ctx.now();
  const start: FeedCursor = { watermark: readAt - ctx.settleMs, entries: [] };
  let cursor = start;
  // The settle window holds few items; page through it in case a burst filled it.
  for (;;) {
    const read = await readAfter(ctx, cursor, 1000);
    cursor = read.cursor;
    if (!read.full) return cursor;
  }
}

interface PageToken {
  /** Sort key of the last item returned; the next page starts below it. */
  readonly k: string;
}

const encodePageToken = (token: PageToken): string => Buffer.from(JSON.stringify(token)).toString('base64url');

/** The token of a previous answer, or null when it is not one (client input: never throws). */
function decodePageToken(text: string): PageToken | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const k = (value as Record<string, unknown>).k;
    return typeof k === 'string' && /^\d{13}#[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(k) ? { k } : null;
  } catch {
    return null;
  }
}

interface Partition {
  readonly index?: string;
  readonly pkName: string;
  readonly skName: string;
  readonly pk: string;
}

/** Appends one partition's rows, newest first, strictly below `below` and not before `oldest`, until `rows` holds `want`. */
async function collectNewest(
  ctx: StoreContext,
  rows: Row[],
  want: number,
  partition: Partition,
  oldest: string,
  below: string | undefined,
): Promise<void> {
  const range = below === undefined ? `${partition.skName} >= :lo` : `${partition.skName} BETWEEN :lo AND :hi`;
  const pages = query(ctx, {
    ...(partition.index === undefined ? {} : { IndexName: partition.index }),
    KeyConditionExpression: `${partition.pkName} = :pk AND ${range}`,
    ExpressionAttributeValues: { ':pk': partition.pk, ':lo': oldest, ...(below === undefined ? {} : { ':hi': below }) },
    ScanIndexForward: false,
    Limit: want - rows.length + 1,
  });
  for await (const row of pages) {
    // BETWEEN includes the bound, which the previous page already returned.
    if (row.sk === below) continue;
    rows.push(row);
    if (rows.length === want) return;
  }
}

interface NewestPage {
  readonly items: readonly Item[];
  readonly nextPage: string | null;
}

/** Newest items first, optionally of one ticker, continuing below `page` when given. */
async function readNewest(
  ctx: StoreContext,
  options: { readonly limit: number; readonly ticker?: string | undefined; readonly page?: PageToken | undefined },
): Promise<NewestPage> {
  const now = ctx.now();
  const oldest = feedSortKeyAfter(now - ctx.retentionMs);
  const below = options.page?.k;
  // One more than asked tells whether another page exists.
  const want = options.limit + 1;
  const rows: Row[] = [];
  if (options.ticker !== undefined) {
    // The per-ticker index: one partition per ticker, sorted like the feed (eventually consistent,
    // which is fine for browsing; cursors never read it).
    const partition = {
      index: TABLE_KEYS.tickerIndex,
      pkName: 'gsi1pk',
      skName: 'gsi1sk',
      pk: tickerIndexKey(options.ticker),
    };
    await collectNewest(ctx, rows, want, partition, oldest, below);
  } else {
    const first = below === undefined ? hourStart(now) : hourStart(parseFeedSortKey(below).arrivalMs);
    for (let bucket = first; bucket >= hourStart(now - ctx.retentionMs) && rows.length < want; bucket -= HOUR_MS) {
      await collectNewest(ctx, rows, want, { pkName: 'pk', skName: 'sk', pk: feedPartition(bucket) }, oldest, below);
    }
  }
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => row.item),
    nextPage: rows.length > options.limit && last !== undefined ? encodePageToken({ k: last.sk }) : null,
  };
}

export type { FeedRead, FeedRow, NewestPage, PageToken };
export { decodePageToken, headCursor, readAfter, readNewest };
