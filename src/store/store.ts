/**
 * The store facade: one object with every operation the HTTP handlers and the stream engine
 * need, bound to one table. The same code runs on embedded dynalite, an external endpoint and
 * AWS DynamoDB; only the client differs.
 *
 * The feed is the log (ingest.ts appends to it, feed.ts and newest.ts read it); metrics and
 * history are a view of it (view.ts: folded rows plus the unfolded tail; fold.ts keeps the rows
 * up to date).
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  Configuration,
  ConfigurationInput,
  HistoryBucketSize,
  ItemInput,
  MetricsHistory,
} from '../contract/index.ts';
import type { FeedRead, FeedReadOptions, FeedSource } from '../stream/ports.ts';
import {
  type ConfigurationWrite,
  createConfiguration,
  deleteConfiguration,
  getConfiguration,
  listConfigurations,
  replaceConfiguration,
} from './configurations.ts';
import type { StoreContext } from './context.ts';
import { checkCursor, type CursorParse, encodeCursor, type FeedCursor } from '../feed/cursor.ts';
import { PositionIds } from '../feed/position-ids.ts';
import { type ActivityMark, createFeedActivity, type FeedActivity } from './feed-activity.ts';
import { headCursor, readAfter, readAppended, type RowsAfter } from './feed.ts';
import { FOLD_INTERVAL_MS, type FoldOptions, type FoldOutcome } from './fold.ts';
import { type FoldState, readFoldState } from './fold-state.ts';
import { type IngestStatus, ingestItems } from './ingest.ts';
import { DAY_MS } from './keys.ts';
import { checkPageToken, type NewestOptions, type NewestPage, type PageTokenParse, readNewest } from './newest.ts';
import { AggregateView } from './view.ts';

interface StoreOptions {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Item retention in days (TTL); cursors older than this are expired. */
  readonly retentionDays: number;
  /** FEED_SETTLE_MS */
  readonly settleMs: number;
  /** FOLD_INTERVAL_MS; default FOLD_INTERVAL_MS (fold.ts). */
  readonly foldIntervalMs?: number;
  /** How stale metrics and history may be (ms); 0 reads on every request. Default 0. */
  readonly aggregatesMaxAgeMs?: number;
  readonly now?: () => number;
  /**
   * What this process knows of its appends, shared by all its stores (feed-activity.ts); by
   * default the store's own, not exclusive.
   */
  readonly activity?: FeedActivity;
  /**
   * Fold rounds start by themselves when due (after ingests and reads, and on `maybeFold`);
   * default false: a process turns it on for one store of its own (`fold()` works regardless).
   */
  readonly folds?: boolean;
  /** A fold round failed; it is tried again later. */
  readonly onFoldError?: (error: unknown) => void;
}

/**
 * The store: the engine's feed source (ports.ts: `readAfter` bounded to one Query per shard, see
 * feed.ts; `headCursor`; `aggregates` from the view, see view.ts; the cursor operations with this
 * store's settle window; `getConfiguration`), and what the REST handlers need besides.
 */
interface Store extends FeedSource {
  /** Final statuses only when every item is stored; else throws IngestNotConfirmedError (ingest.ts). */
  ingest(items: readonly ItemInput[]): Promise<IngestStatus[]>;
  readNewest(options: NewestOptions): Promise<NewestPage>;
  /** Sentiment over time by item timestamp, one ticker or all (view.ts). */
  history(bucket: HistoryBucketSize, ticker?: string): Promise<MetricsHistory>;
  /** One fold round now, if one is due (or with `force`, whatever has settled): fold.ts. */
  fold(options?: FoldOptions): Promise<FoldOutcome>;
  /** Where the fold stands: its watermark and the round in progress (fold-state.ts). */
  foldState(): Promise<FoldState>;
  /**
   * Starts a fold round in the background if one is due (checked at most every FOLD_CHECK_MS);
   * ingests and reads call it, and a long-running host calls it on a timer.
   */
  maybeFold(): void;
  /** Stops folding; resolves once a round in progress is over. The client stays the caller's. */
  close(): Promise<void>;
  /** Parses a page token from a client for a listing of `ticker`, as `parseCursor` parses cursors. */
  parsePageToken(text: string, ticker: string | undefined): PageTokenParse;
  listConfigurations(userId: string): Promise<Configuration[]>;
  createConfiguration(userId: string, input: ConfigurationInput): Promise<ConfigurationWrite>;
  replaceConfiguration(userId: string, configId: string, input: ConfigurationInput): Promise<ConfigurationWrite>;
  deleteConfiguration(userId: string, configId: string): Promise<boolean>;
  /** Round trip to the table, for /health: latency in ms, or null when unreachable. */
  ping(): Promise<number | null>;
}

/**
 * `readAfter`, without the store when the process knows what a read would find: the cursor the
 * last complete read returned, on an exclusive store that has since appended only rows it
 * knows (feed-activity.ts; none at all while the server is idle). Any other cursor, or a feed
 * another writer may have touched, is read from the store, and the view takes in those reads.
 */
function ledgerReads(
  ctx: StoreContext,
  activity: FeedActivity,
  onRows: (read: RowsAfter, fromWatermark: number, mark: ActivityMark) => void,
) {
  // The cursor object the last complete read returned: its reader hands the same object back.
  let last: { readonly cursor: FeedCursor; readonly mark: ActivityMark } | undefined;
  return async (cursor: FeedCursor, limit: number, options?: FeedReadOptions): Promise<FeedRead> => {
    const mark = activity.mark();
    const fromStore = () =>
      readAfter(ctx, cursor, limit, options, (rows, from) => {
        onRows(rows, from, mark);
      });
    // A client's cursor is read from its text each time, and a read for it may stop short of
    // rows it neither delivered nor covers (`exactText`): never a ledger read's starting point.
    if (options?.exactText === true) return fromStore();
    const since = last?.cursor === cursor ? last.mark : undefined;
    const appended = since === undefined ? undefined : activity.appendedSince(since);
    if (since !== undefined && appended !== undefined) {
      const read = readAppended(ctx, cursor, limit, appended);
      // Cut short, the rest is still among the rows appended since the same mark.
      last = { cursor: read.cursor, mark: read.full ? since : mark };
      return read;
    }
    const read = await fromStore();
    last = read.full ? undefined : { cursor: read.cursor, mark };
    return read;
  };
}

function createStore(options: StoreOptions): Store {
  const ctx: StoreContext = {
    documents: options.documents,
    tableName: options.tableName,
    retentionMs: options.retentionDays * DAY_MS,
    settleMs: options.settleMs,
    foldIntervalMs: options.foldIntervalMs ?? FOLD_INTERVAL_MS,
    now: options.now ?? Date.now,
  };
  const activity = options.activity ?? createFeedActivity({ exclusive: false });
  const view = new AggregateView(ctx, {
    maxAgeMs: options.aggregatesMaxAgeMs ?? 0,
    folds: options.folds ?? false,
    activity,
    onFoldError: options.onFoldError,
  });
  return {
    ingest: async (items) => {
      const report = activity.begin();
      try {
        return await ingestItems(ctx, items, { onFeedSend: report.sending, onFeedWritten: report.written });
      } finally {
        if (report.end()) view.invalidate();
      }
    },
    // The view takes in what the poller's reads see, rather than reading the same rows again.
    readAfter: ledgerReads(ctx, activity, (rows, from, mark) => {
      view.absorb(rows, from, mark);
    }),
    headCursor: (readOptions) => headCursor(ctx, readOptions),
    readNewest: (readOptions) => readNewest(ctx, readOptions),
    aggregates: (tickers) => view.aggregates(tickers),
    history: (bucket, ticker) => view.history(bucket, ticker),
    fold: (foldOptions) => view.fold(foldOptions),
    foldState: () => readFoldState(ctx),
    maybeFold: () => {
      view.maybeFold();
    },
    close: () => view.close(),
    parseCursor: (text) => checkCursor(text, ctx.now(), ctx.retentionMs),
    parsePageToken: (text, ticker) => checkPageToken(text, ticker, ctx.now(), ctx.retentionMs),
    encodeCursor,
    positionIds: (from, readAt) => new PositionIds(from, readAt, ctx.settleMs),
    listConfigurations: (userId) => listConfigurations(ctx, userId),
    getConfiguration: (userId, configId) => getConfiguration(ctx, userId, configId),
    createConfiguration: (userId, input) => createConfiguration(ctx, userId, input),
    replaceConfiguration: (userId, configId, input) => replaceConfiguration(ctx, userId, configId, input),
    deleteConfiguration: (userId, configId) => deleteConfiguration(ctx, userId, configId),
    ping: async () => {
      const started = performance.now();
      try {
        await options.client.send(new DescribeTableCommand({ TableName: options.tableName }));
        return Math.round((performance.now() - started) * 10) / 10;
      } catch {
        return null;
      }
    },
  };
}

export type { CursorParse, Store, StoreOptions };
export { createStore };
