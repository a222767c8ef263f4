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

/** Backoff before attempt `attempt` (> 0) of a BatchWrite chunk: 50 ms, doubling. */
const backoff = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));

/** One BatchWriteItem of puts; the rows DynamoDB left unprocessed (not written). */
async function sendPuts(ctx: StoreContext, rows: readonly Row[]): Promise<Row[]> {
  const { UnprocessedItems } = await ctx.documents.send(
    new BatchWriteCommand({ RequestItems: { [ctx.tableName]: rows.map((Item) => ({ PutRequest: { Item } })) } }),
  );
  const left = (UnprocessedItems?.[ctx.tableName] ?? []) as { PutRequest?: { Item?: Row } }[];
  return left.flatMap((request) => (request.PutRequest?.Item ? [request.PutRequest.Item] : []));
}

const tooManyAttempts = () => new Error(`BatchWriteItem left items unprocessed after ${BATCH_ATTEMPTS} attempts`);

/**
 * Puts `rows` in chunks, retrying what DynamoDB leaves unprocessed; `check` runs right before
 * every send (retries included) and throws to stop writing.
 */
async function batchPut(ctx: StoreContext, rows: readonly Row[], check: () => void): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH_SIZE) {
    let pending = rows.slice(i, i + BATCH_SIZE);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === BATCH_ATTEMPTS) throw tooManyAttempts();
      if (attempt > 0) await backoff(attempt);
      check();
      pending = await sendPuts(ctx, pending);
    }
  }
}

export type { Row };
export { BATCH_ATTEMPTS, BATCH_SIZE, backoff, batchPut, sendPuts, tooManyAttempts };
