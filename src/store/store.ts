/**
 * The store facade: one object with every operation the HTTP handlers and the stream engine
 * need, bound to one table. The same code runs on embedded dynalite, an external endpoint and
 * AWS DynamoDB; only the client differs.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Configuration, ConfigurationInput, ItemInput } from '../contract/index.ts';
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
import { advanceCursor, type Delivered, decodeCursor, encodeCursor, type FeedCursor } from './cursor.ts';
import { type FeedRead, headCursor, type NewestPage, type PageToken, readAfter, readNewest } from './feed.ts';
import { type IngestStatus, ingestItems } from './ingest.ts';
import { DAY_MS } from './keys.ts';

interface StoreOptions {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Item retention in days (TTL); cursors older than this are expired. */
  readonly retentionDays: number;
  /** FEED_SETTLE_MS */
  readonly settleMs: number;
  /** How stale metrics may be (ms); 0 reads the counters every time. Default 0. */
  readonly aggregatesMaxAgeMs?: number;
  readonly now?: () => number;
}

/** Outcome of reading a client-supplied cursor. */
type CursorParse =
  { readonly ok: true; readonly cursor: FeedCursor } | { readonly ok: false; readonly reason: 'malformed' | 'expired' };

interface Store {
  ingest(items: readonly ItemInput[]): Promise<IngestStatus[]>;
  readAfter(cursor: FeedCursor, limit: number): Promise<FeedRead>;
  headCursor(): Promise<FeedCursor>;
  readNewest(options: {
    limit: number;
    ticker?: string | undefined;
    page?: PageToken | undefined;
  }): Promise<NewestPage>;
  aggregates(tickers?: ReadonlySet<string>): Promise<Aggregates>;
  /** Parses a cursor from a client; expired when older than the retention. */
  parseCursor(text: string): CursorParse;
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
  };
  const aggregates = createAggregatesReader(ctx, options.aggregatesMaxAgeMs ?? 0);
  return {
    ingest: async (items) => {
      try {
        return await ingestItems(ctx, items);
      } finally {
        aggregates.invalidate();
      }
    },
    readAfter: (cursor, limit) => readAfter(ctx, cursor, limit),
    headCursor: () => headCursor(ctx),
    readNewest: (readOptions) => readNewest(ctx, readOptions),
    aggregates: (tickers) => aggregates.read(tickers),
    parseCursor: (text) => {
      const cursor = decodeCursor(text);
      if (cursor === null) return { ok: false, reason: 'malformed' };
      if (cursor.watermark < ctx.now() - ctx.retentionMs) return { ok: false, reason: 'expired' };
      return { ok: true, cursor };
    },
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
