/**
 * The table's definition for local start-up (create if missing), from the same key constants
 * (table-keys.ts) the CDK stack declares the table with, so the two can never disagree on keys.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from './table-keys.ts';

/** Creates the table when it does not exist (embedded store, DYNAMODB_ENDPOINT); returns whether it did. */
async function ensureTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const k = TABLE_KEYS;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: k.partitionKey, AttributeType: 'S' },
        { AttributeName: k.sortKey, AttributeType: 'S' },
        { AttributeName: k.tickerIndexPartitionKey, AttributeType: 'S' },
        { AttributeName: k.tickerIndexSortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: k.partitionKey, KeyType: 'HASH' },
        { AttributeName: k.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: k.tickerIndex,
          KeySchema: [
            { AttributeName: k.tickerIndexPartitionKey, KeyType: 'HASH' },
            { AttributeName: k.tickerIndexSortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  // DynamoDB Local and AWS create asynchronously; dynalite is configured to be instant.
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

export { ensureTable, TABLE_KEYS };
