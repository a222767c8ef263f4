/**
 * Feed rows held in memory, and a store context whose reads answer from them (`readAppended`)
 * or from an in-memory table (fake-feed-table.ts): for the cursor's laws over more rows, or
 * rarer arrangements, than dynalite could hold in a test's time. Its DynamoDB client is never
 * sent anything; `close` destroys it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Item } from '../../src/contract/index.ts';
import { checkCursor, encodeCursor } from '../../src/feed/cursor.ts';
import { PositionIds } from '../../src/feed/position-ids.ts';
import type { StoreContext } from '../../src/store/context.ts';
import type { FeedRowRaw } from '../../src/store/feed-query.ts';
import { feedSortKey } from '../../src/store/keys.ts';
import type { CursorOps } from '../../src/stream/ports.ts';

const RETENTION_MS = 7 * 86_400_000;

const itemOf = (itemId: string): Item => ({
  item_id: itemId,
  ticker: 'AAPL',
  sentiment: 'neutral',
  score: 0,
  timestamp: '2026-11-21T09:00:00.000Z',
  ingested_at: '2026-11-21T09:00:00.000Z',
});

const rowOf = (arrivalMs: number, itemId: string): FeedRowRaw => ({
  sk: feedSortKey(arrivalMs, itemId),
  item: itemOf(itemId),
});

interface MemoryContext {
  readonly ctx: StoreContext;
  /** The cursor operations a process with this clock and settle window uses. */
  readonly cursors: CursorOps;
  readonly close: () => void;
}

function memoryContext(now: () => number, settleMs: number): MemoryContext {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
  const ctx: StoreContext = {
    documents: DynamoDBDocumentClient.from(client),
    tableName: 'unused',
    retentionMs: RETENTION_MS,
    settleMs,
    foldIntervalMs: 60_000,
    now,
  };
  const cursors: CursorOps = {
    parseCursor: (text) => checkCursor(text, now(), RETENTION_MS),
    encodeCursor,
    positionIds: (from, readAt) => new PositionIds(from, readAt, settleMs),
  };
  return {
    ctx,
    cursors,
    close: () => {
      client.destroy();
    },
  };
}

export type { MemoryContext };
export { itemOf, memoryContext, RETENTION_MS, rowOf };
