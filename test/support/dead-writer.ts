/**
 * What a writer that died between its two puts leaves behind: its marker (the item, its content
 * hash, its feed position and its token) and, if it got that far, its feed entry. Tests put these
 * straight into the table to reach the takeover paths of an ingest without killing a process.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemInput } from '../../src/contract/index.ts';
import { contentHash } from '../../src/store/ingest.ts';
import { feedPartition, feedSortKey, markerKey, tickerIndexKey } from '../../src/store/keys.ts';
import type { TestStore } from './test-store.ts';

interface DeadWrite {
  readonly pk: string;
  readonly sk: string;
}

/** The marker of `item` stamped at `arrivalMs` in `shard`, written by a writer that is gone. */
async function deadMarker(t: TestStore, item: ItemInput, arrivalMs: number, shard = 5): Promise<DeadWrite> {
  const position = { pk: feedPartition(shard), sk: feedSortKey(arrivalMs, item.item_id) };
  await t.clients.documents.send(
    new PutCommand({
      TableName: t.tableName,
      Item: {
        ...markerKey(item.item_id),
        hash: contentHash(item),
        shard,
        feed_sk: position.sk,
        writer: 'dead-writer',
        item: { ...item, ingested_at: new Date(arrivalMs).toISOString() },
      },
    }),
  );
  return position;
}

/** The feed entry the dead writer got to put at `position`. */
async function deadFeedEntry(t: TestStore, item: ItemInput, position: DeadWrite, arrivalMs: number): Promise<void> {
  await t.clients.documents.send(
    new PutCommand({
      TableName: t.tableName,
      Item: {
        ...position,
        gsi1pk: tickerIndexKey(item.ticker),
        gsi1sk: position.sk,
        item: { ...item, ingested_at: new Date(arrivalMs).toISOString() },
      },
    }),
  );
}

export { deadFeedEntry, deadMarker };
