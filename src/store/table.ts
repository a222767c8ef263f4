/**
 * The table's definition, from the same key constants (table-keys.ts) the CDK stack declares the
 * table with, so the two can never disagree on keys: created when missing (`npm start`, and
 * `npm run serve` with CREATE_TABLE), or checked before serving (`npm run serve`).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from './table-keys.ts';

/** How long a new table may take to become ACTIVE; dynalite is instant, AWS takes seconds. */
const DEFAULT_ACTIVE_WITHIN_MS = 10_000;
const ACTIVE_POLL_MS = 100;

interface TableWaitOptions {
  /** Give up (throw) when the table is not ACTIVE this long after it was found or created. */
  readonly activeWithinMs?: number;
}

/** The table's description, or undefined when it does not exist. */
async function findTable(
  client: DynamoDBClient,
  tableName: string,
  options: { readonly abortSignal?: AbortSignal } = {},
): Promise<TableDescription | undefined> {
  try {
    const { Table } = await client.send(
      new DescribeTableCommand({ TableName: tableName }),
      options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal },
    );
    return Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/**
 * Why `table` cannot be ours, in words, or undefined when its keys and index are the ones the
 * store reads and writes (a table made for something else would fail at the first query).
 */
function tableKeyProblem(table: TableDescription): string | undefined {
  const k = TABLE_KEYS;
  const keys = (schema: TableDescription['KeySchema']) =>
    (schema ?? []).map((key) => `${key.AttributeName ?? ''} ${key.KeyType ?? ''}`).join(', ');
  const expected = `${k.partitionKey} HASH, ${k.sortKey} RANGE`;
  if (keys(table.KeySchema) !== expected) return `its key is (${keys(table.KeySchema)}), expected (${expected})`;
  const index = table.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === k.tickerIndex);
  const indexExpected = `${k.tickerIndexPartitionKey} HASH, ${k.tickerIndexSortKey} RANGE`;
  if (index === undefined || keys(index.KeySchema) !== indexExpected) {
    return `it has no index ${k.tickerIndex} on (${indexExpected})`;
  }
  return undefined;
}

/** Waits until the table is ACTIVE (DynamoDB Local and AWS create and update asynchronously). */
async function waitUntilActive(client: DynamoDBClient, tableName: string, options: TableWaitOptions): Promise<void> {
  const deadline = Date.now() + (options.activeWithinMs ?? DEFAULT_ACTIVE_WITHIN_MS);
  for (;;) {
    const table = await findTable(client, tableName);
    if (table?.TableStatus === 'ACTIVE') return;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, ACTIVE_POLL_MS));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

function createTableCommand(tableName: string): CreateTableCommand {
  const k = TABLE_KEYS;
  return new CreateTableCommand({
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
  });
}

/**
 * Creates the table when it does not exist and waits until it is ACTIVE; returns whether this
 * call created it. Processes starting together may all try: the losers of the race wait for the
 * winner's table instead of failing.
 */
async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  options: TableWaitOptions = {},
): Promise<boolean> {
  const existing = await findTable(client, tableName);
  if (existing !== undefined) {
    if (existing.TableStatus !== 'ACTIVE') await waitUntilActive(client, tableName, options);
    return false;
  }
  let created = true;
  try {
    await client.send(createTableCommand(tableName));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    created = false;
  }
  await waitUntilActive(client, tableName, options);
  return created;
}

/** Expires items by their TTL attribute, as the CDK stack's table does (not every local store supports it). */
async function enableTimeToLive(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
    }),
  );
}

export type { TableWaitOptions };
export { enableTimeToLive, ensureTable, findTable, TABLE_KEYS, tableKeyProblem, waitUntilActive };
