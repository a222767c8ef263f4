/** The store: DynamoDB single-table access for items, the feed, counters and configurations. */
export type { Aggregates } from './aggregates.ts';
export { MAX_SNAPSHOT_TICKERS } from './aggregates.ts';
export type { ConfigurationWrite } from './configurations.ts';
export { MAX_CONFIGURATIONS } from './configurations.ts';
export type { Delivered, FeedCursor } from '../stream/cursor.ts';
export { advanceCursor, decodeCursor, encodeCursor } from '../stream/cursor.ts';
export type { DynamoClients } from './dynamo-client.ts';
export { createDynamoClients } from './dynamo-client.ts';
export type { EmbeddedDynalite } from './embedded-dynalite.ts';
export { startEmbeddedDynalite } from './embedded-dynalite.ts';
export type { FeedRead, FeedRow, NewestPage, PageToken, PageTokenParse, ReadOptions } from './feed.ts';
export { decodePageToken, MAX_QUERIES_PER_READ } from './feed.ts';
export type { IngestStatus } from './ingest.ts';
export { IngestNotConfirmedError } from './ingest.ts';
export type { CursorParse, Store, StoreOptions } from './store.ts';
export { createStore } from './store.ts';
export { ensureTable, TABLE_KEYS } from './table.ts';
