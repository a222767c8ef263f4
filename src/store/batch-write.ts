/**
 * BatchWriteItem of puts, in chunks of 25 (DynamoDB's limit), retrying with backoff what DynamoDB
 * leaves unprocessed (throttling): a row handed back unprocessed was not written.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';

/** Rows per BatchWriteItem call: DynamoDB takes at most 25. */
const BATCH_SIZE = 25;

/** Attempts of one BatchWriteItem chunk at items DynamoDB left unprocessed (throttling). */
const BATCH_ATTEMPTS = 8;

type Row = Record<string, unknown>;

/**
 * The store is throttling this request's writes and retries did not get them through: a caller
 * may try again shortly (the HTTP layer answers 503 with Retry-After).
 */
class StoreBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreBusyError';
  }
}

/** Backoff before attempt `attempt` (> 0) of a BatchWrite chunk: 50 ms, doubling. */
const backoff = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));

/** One BatchWriteItem of puts; the rows DynamoDB left unprocessed (not written). */
async function sendPuts(ctx: StoreContext, rows: readonly Row[]): Promise<Row[]> {
  const { UnprocessedItems } = await ctx.documents.send(
    new BatchWriteCommand({ RequestItems: { [ctx.tableName]: rows.map((Item) => ({ PutRequest: { Item } })) } }),
  );
  const left = UnprocessedItems?.[ctx.tableName] ?? [];
  return left.flatMap((request) => (request.PutRequest?.Item ? [request.PutRequest.Item] : []));
}

export type { Row };
export { BATCH_ATTEMPTS, BATCH_SIZE, backoff, sendPuts, StoreBusyError };
