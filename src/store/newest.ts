/**
 * Newest-first pages for `GET /api/v2/items`: all tickers from the feed's shards, one ticker from
 * the `byTicker` index, continuing below a page token. Tokens are client input: they are bounded
 * and checked (`checkPageToken`) before they may drive a read, and every read sends at most
 * MAX_QUERIES_PER_READ Queries, whatever the token says.
 */
import type { Item } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { MAX_CLOCK_SKEW_MS } from '../feed/cursor.ts';
import { type FeedRowRaw, mergePages, QueryBudget, queryShards } from './feed-query.ts';
import type { FeedReadOptions } from '../stream/ports.ts';
import { MAX_QUERIES_PER_READ } from './feed.ts';
import { feedPartition, feedSortKeyAfter, feedSortKeyBelow, parseFeedSortKey, tickerIndexKey } from './keys.ts';
import { TABLE_KEYS } from './table-keys.ts';

interface PageToken {
  /**
   * The next page holds the items whose sort key is strictly below this one: the last item
   * returned (`<stamp>#<item id>`), or a stamp (`<stamp>#`, no item id) below which reading goes on.
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
  if (typeof value !== 'object' || value === null || !('k' in value) || !('s' in value)) return null;
  const { k, s } = value;
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

interface NewestOptions extends FeedReadOptions {
  readonly limit: number;
  readonly ticker?: string | undefined;
  /** Only its position matters here; its scope was checked when it was parsed. */
  readonly page?: Pick<PageToken, 'k'> | undefined;
}

/** The rows of one ticker below `start`, newest first, from the index (eventually consistent). */
async function tickerRows(budget: QueryBudget, ticker: string, bounds: { lo: string; hi: string }, want: number) {
  const rows: FeedRowRaw[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await budget.query({
      IndexName: TABLE_KEYS.tickerIndex,
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: { ':pk': tickerIndexKey(ticker), ':lo': bounds.lo, ':hi': bounds.hi },
      ScanIndexForward: false,
      Limit: want - rows.length + 1,
      ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
    });
    // The index entry's sort key is the feed's; the row's own `sk` is the feed entry's too.
    rows.push(...page.rows.filter((row) => row.sk !== bounds.hi));
    startKey = page.next;
  } while (startKey !== undefined && rows.length < want && budget.left > 0);
  return { rows: rows.slice(0, want), complete: startKey === undefined };
}

/** The rows of every ticker below `start`, newest first: one page of each shard, merged. */
async function allRows(budget: QueryBudget, bounds: { lo: string; hi: string }, want: number) {
  const pages = await queryShards(budget, (shard) => ({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
    ExpressionAttributeValues: { ':pk': feedPartition(shard), ':lo': bounds.lo, ':hi': bounds.hi },
    ScanIndexForward: false,
    // One more than wanted, since BETWEEN includes the bound the previous page already returned.
    Limit: want + 1,
  }));
  // Every cut shard returned `want` rows above its cut, so the newest `want` rows merged are final.
  const { rows } = mergePages(pages, false);
  return { rows: rows.filter((row) => row.sk !== bounds.hi).slice(0, want), complete: true };
}

/** Newest items first, optionally of one ticker, continuing below `page` when given. */
async function readNewest(ctx: StoreContext, options: NewestOptions): Promise<NewestPage> {
  const now = ctx.now();
  const budget = new QueryBudget(ctx, options.signal, MAX_QUERIES_PER_READ);
  const lo = feedSortKeyAfter(now - ctx.retentionMs);
  // Never above the present, whatever the token says (it was checked, but reads stay safe alone).
  const top = feedSortKeyBelow(now + MAX_CLOCK_SKEW_MS + 1);
  const hi = options.page === undefined || options.page.k > top ? top : options.page.k;
  if (hi < lo) return { items: [], nextPage: null };
  // One more than asked tells whether another page exists.
  const want = options.limit + 1;
  const { rows, complete } =
    options.ticker === undefined
      ? await allRows(budget, { lo, hi }, want)
      : await tickerRows(budget, options.ticker, { lo, hi }, want);
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  const more = rows.length > options.limit || !complete;
  const nextPage = more && last !== undefined ? encodePageToken({ k: last.sk, s: pageScope(options.ticker) }) : null;
  return { items: page.map((row) => row.item), nextPage };
}

export type { NewestOptions, NewestPage, PageToken, PageTokenParse };
export { checkPageToken, decodePageToken, encodePageToken, MAX_PAGE_TOKEN_LENGTH, readNewest };
