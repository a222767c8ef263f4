/** What every store operation needs: the document client, the table and the clock. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface StoreContext {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Item retention (TTL), ms. */
  readonly retentionMs: number;
  /** The settle window of feed cursors (FEED_SETTLE_MS), ms. */
  readonly settleMs: number;
  /** A fold round is due once this much settled feed lies past the fold watermark (FOLD_INTERVAL_MS). */
  readonly foldIntervalMs: number;
  /** Epoch ms; injectable so tests control time. */
  readonly now: () => number;
}

export type { StoreContext };
