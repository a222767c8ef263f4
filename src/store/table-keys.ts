/**
 * The table's key attribute and index names, as pure constants (no imports): the store builds and
 * reads keys with them, and the CDK stack declares the table with them, so the two can never
 * disagree, and cdk/ never pulls in the AWS SDK to learn them.
 */
const TABLE_KEYS = Object.freeze({
  partitionKey: 'pk',
  sortKey: 'sk',
  tickerIndex: 'byTicker',
  tickerIndexPartitionKey: 'gsi1pk',
  tickerIndexSortKey: 'gsi1sk',
  ttlAttribute: 'ttl',
} as const);

export { TABLE_KEYS };
