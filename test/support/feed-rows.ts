/** Every feed entry of a table, shard by shard, straight from the table (what cursors read). */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Item } from '../../src/contract/index.ts';
import { FEED_SHARDS, feedPartition } from '../../src/store/keys.ts';

interface FeedEntryRow {
  readonly pk: string;
  readonly sk: string;
  readonly item: Item;
}

async function feedRows(documents: DynamoDBDocumentClient, tableName: string): Promise<FeedEntryRow[]> {
  const rows: FeedEntryRow[] = [];
  for (let shard = 0; shard < FEED_SHARDS; shard++) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': feedPartition(shard) },
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      rows.push(...((page.Items ?? []) as FeedEntryRow[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
  return rows;
}

export type { FeedEntryRow };
export { feedRows };
