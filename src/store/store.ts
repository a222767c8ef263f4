/**
 * The store facade: one object with every operation the HTTP handlers and the stream engine
 * need, bound to one table. The same code runs on embedded dynalite, an external endpoint and
 * AWS DynamoDB; only the client differs.
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
import { type Aggregates, createAggregatesReader } from './aggregates.ts';
import {
  type ConfigurationWrite,
  createConfiguration,
  deleteConfiguration,
  getConfiguration,
  listConfigurations,
  replaceConfiguration,
} from './configurations.ts';
import type { StoreContext } from './context.ts';
import {
  advanceCursor,
  checkCursor,
  type CursorParse,
  type Delivered,
  encodeCursor,
  type FeedCursor,
} from '../stream/cursor.ts';
import {
  checkPageToken,
  type FeedRead,
  headCursor,
  type NewestOptions,
  type NewestPage,
  type PageTokenParse,
  type ReadOptions,
  readAfter,
  readNewest,
} from './feed.ts';
import { createHistoryReader } from './history.ts';
import { type IngestStatus, ingestItems, LEASE_MS } from './ingest.ts';
import { DAY_MS } from './keys.ts';

interface StoreOptions {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Item retention in days (TTL); cursors older than this are expired. */
  readonly retentionDays: number;
  /** FEED_SETTLE_MS */
  readonly settleMs: number;
  /** How stale metrics and history may be (ms); 0 reads the counters every time. Default 0. */
  readonly aggregatesMaxAgeMs?: number;
  readonly now?: () => number;
  /** Ingest lease (ms), default LEASE_MS (30 s); tests shorten it to reach the takeover quickly. */
  readonly ingestLeaseMs?: number;
}

interface Store {
  /** Final statuses only when every item is stored and counted; else throws IngestNotConfirmedError (ingest.ts). */
  ingest(items: readonly ItemInput[]): Promise<IngestStatus[]>;
  /** Bounded: at most MAX_QUERIES_PER_READ queries; `full` says to read again (feed.ts). */
  readAfter(cursor: FeedCursor, limit: number, options?: ReadOptions): Promise<FeedRead>;
  headCursor(options?: ReadOptions): Promise<FeedCursor>;
  readNewest(options: NewestOptions): Promise<NewestPage>;
  aggregates(tickers?: ReadonlySet<string>): Promise<Aggregates>;
  /** Sentiment over time by item timestamp, one ticker or all; at most MAX_HISTORY_QUERIES queries (history.ts). */
  history(bucket: HistoryBucketSize, ticker?: string): Promise<MetricsHistory>;
  /** Parses a cursor from a client; expired when older than the retention, malformed when not ours or in the future. */
  parseCursor(text: string): CursorParse;
  /** Parses a page token from a client for a listing of `ticker`, the same way. */
  parsePageToken(text: string, ticker: string | undefined): PageTokenParse;
  encodeCursor(cursor: FeedCursor): string;
  /**
   * The cursor after delivering `items` from a read at `readAt`, never past `upToMs`, with this
   * store's settle window (for per-event cursors inside one read).
   */
  advanceCursor(cursor: FeedCursor, items: readonly Delivered[], readAt: number, upToMs?: number): FeedCursor;
  listConfigurations(userId: string): Promise<Configuration[]>;
  getConfiguration(userId: string, configId: string): Promise<Configuration | null>;
  createConfiguration(userId: string, input: ConfigurationInput): Promise<ConfigurationWrite>;
  replaceConfiguration(userId: string, configId: string, input: ConfigurationInput): Promise<ConfigurationWrite>;
  deleteConfiguration(userId: string, configId: string): Promise<boolean>;
  /** Round trip to the table, for /health: latency in ms, or null when unreachable. */
  ping(): Promise<number | null>;
}

function createStore(options: StoreOptions): Store {
  const ctx: StoreContext = {
    documents: options.documents,
    tableName: options.tableName,
    retentionMs: options.retentionDays * DAY_MS,
    settleMs: options.settleMs,
    now: options.now ?? Date.now,
    ingestLeaseMs: options.ingestLeaseMs ?? LEASE_MS,
  };
  const aggregates = createAggregatesReader(ctx, options.aggregatesMaxAgeMs ?? 0);
  const history = createHistoryReader(ctx, options.aggregatesMaxAgeMs ?? 0);
  return {
    ingest: async (items) => {
      try {
        return await ingestItems(ctx, items);
      } finally {
        aggregates.invalidate();
        history.invalidate();
      }
    },
    readAfter: (cursor, limit, readOptions) => readAfter(ctx, cursor, limit, readOptions),
    headCursor: (readOptions) => headCursor(ctx, readOptions),
    readNewest: (readOptions) => readNewest(ctx, readOptions),
    aggregates: (tickers) => aggregates.read(tickers),
    history: (bucket, ticker) => history.read(bucket, ticker),
    parseCursor: (text) => checkCursor(text, ctx.now(), ctx.retentionMs),
    parsePageToken: (text, ticker) => checkPageToken(text, ticker, ctx.now(), ctx.retentionMs),
    encodeCursor,
    advanceCursor: (cursor, items, readAt, upToMs) => advanceCursor(cursor, items, readAt, ctx.settleMs, upToMs),
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
