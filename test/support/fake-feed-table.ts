/**
 * A stand-in for the document client that answers the feed's cursor Queries
 * (`pk = :pk AND sk > :lo`, ascending, Limit) from rows in memory, as DynamoDB would: a page cut
 * at Limit carries LastEvaluatedKey. Counts queries and rows returned.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Item } from '../../src/contract/index.ts';
import type { StoreContext } from '../../src/store/context.ts';
import { FEED_SHARDS, feedPartition, feedSortKey } from '../../src/store/keys.ts';
import { itemOf } from './rows-in-memory.ts';

interface StoredRow {
  readonly pk: string;
  readonly sk: string;
  readonly item: Item;
  /** When a read first sees it (epoch ms, the reader's clock); 0: at once. */
  readonly visibleAt: number;
}

class FakeFeedTable {
  readonly shards: StoredRow[][] = Array.from({ length: FEED_SHARDS }, () => []);
  /** Queries sent (counted when sent), and answered (counted when answered). */
  sent = 0;
  queries = 0;
  /** Shards whose Queries fail, and how long each Query takes. */
  readonly failing = new Set<number>();
  latencyMs = 0;
  rowsReturned = 0;
  cuts = 0;
  #next = 0;

  /** Lands an item at `arrivalMs` in `shard` (default: shards in turn, as ingest-claim does). */
  /** The clock visibility is judged by (rows with `visibleAt` above it are not returned yet). */
  clock: () => number = () => Number.POSITIVE_INFINITY;

  put(arrivalMs: number, itemId: string, shard = this.#next++ % FEED_SHARDS, visibleAt = 0): void {
    const rows = this.shards[shard] ?? [];
    const sk = feedSortKey(arrivalMs, itemId);
    let at = rows.length;
    while (at > 0 && (rows[at - 1]?.sk ?? '') > sk) at -= 1;
    rows.splice(at, 0, { pk: feedPartition(shard), sk, item: itemOf(itemId), visibleAt });
  }

  get size(): number {
    return this.shards.reduce((sum, rows) => sum + rows.length, 0);
  }

  readonly documents = {
    send: async (command: { input: Record<string, unknown> }) => {
      this.sent += 1;
      await (this.latencyMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.latencyMs)) : Promise.resolve());
      const input = command.input as {
        KeyConditionExpression: string;
        ExpressionAttributeValues: Record<string, string>;
        Limit?: number;
        ScanIndexForward?: boolean;
        ExclusiveStartKey?: { sk: string };
      };
      if (input.KeyConditionExpression !== 'pk = :pk AND sk > :lo' || input.ScanIndexForward !== true)
        throw new Error(`fake table: unsupported query ${input.KeyConditionExpression}`);
      this.queries += 1;
      const pk = input.ExpressionAttributeValues[':pk'] ?? '';
      const from = input.ExpressionAttributeValues[':lo'] ?? '';
      // A page that goes on from another starts after its last key.
      const start = input.ExclusiveStartKey?.sk;
      const lo = start !== undefined && start > from ? start : from;
      const shard = Number(pk.slice('FEED#'.length));
      if (this.failing.has(shard)) throw new Error('throttled');
      const now = this.clock();
      const after = (this.shards[shard] ?? []).filter((row) => row.sk > lo && row.visibleAt <= now);
      const limit = input.Limit ?? Number.POSITIVE_INFINITY;
      const page = after.slice(0, limit);
      this.rowsReturned += page.length;
      const last = page.at(-1);
      // DynamoDB hands back a key whenever a page stops at Limit, whether or not rows follow.
      const cut = page.length === limit;
      if (cut) this.cuts += 1;
      return {
        Items: page.map((row) => ({ pk: row.pk, sk: row.sk, item: row.item })),
        ...(cut && last !== undefined ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } } : {}),
      };
    },
  } as unknown as DynamoDBDocumentClient;

  context(now: () => number, settleMs = 5000): StoreContext {
    return {
      documents: this.documents,
      tableName: 'fake',
      retentionMs: 7 * 86_400_000,
      settleMs,
      foldIntervalMs: 60_000,
      now,
    };
  }
}

export { FakeFeedTable };
