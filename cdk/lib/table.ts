/**
 * The single DynamoDB table, shared by both streaming variants (Lambda and Fargate). Both stacks
 * create it with construct id `Table` directly under the stack, so it has the same logical id in
 * either template: switching a deployed stack from one variant to the other keeps the table.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { TABLE_KEYS } from '../../src/store/table-keys.ts';
import type { Stack } from 'aws-cdk-lib';

/** The table (keys from `src/store/table-keys.ts`), as construct `Table` of `stack`. */
function createTable(stack: Stack): TableV2 {
  const k = TABLE_KEYS;
  return new TableV2(stack, 'Table', {
    partitionKey: { name: k.partitionKey, type: AttributeType.STRING },
    sortKey: { name: k.sortKey, type: AttributeType.STRING },
    globalSecondaryIndexes: [
      {
        indexName: k.tickerIndex,
        partitionKey: { name: k.tickerIndexPartitionKey, type: AttributeType.STRING },
        sortKey: { name: k.tickerIndexSortKey, type: AttributeType.STRING },
        // Ticker queries read whole items from the index, with no second fetch from the table.
        projectionType: ProjectionType.ALL,
      },
    ],
    timeToLiveAttribute: k.ttlAttribute,
    billing: Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // The table is the system of record: neither a stack deletion nor a replacement may drop it.
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

export { createTable };
