/**
 * A writer process for crash tests: ingests one batch into a DynamoDB endpoint and prints the
 * statuses, or folds the table once. The test SIGKILLs it mid-way. Run with
 * `node test/support/ingest-child.ts`; input in the environment: INGEST_ENDPOINT, INGEST_TABLE,
 * and INGEST_BATCH (JSON items) to ingest, or FOLD_SKEW_MS (added to the clock, so that what was
 * just written counts as settled) to fold.
 */
import { createDynamoClients, createStore } from '../../src/store/index.ts';
import type { ItemInput } from '../../src/contract/index.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const clients = createDynamoClients(env('INGEST_ENDPOINT'));
const skew = Number(process.env.FOLD_SKEW_MS ?? 0);
const store = createStore({
  ...clients,
  tableName: env('INGEST_TABLE'),
  retentionDays: 7,
  settleMs: 5000,
  now: () => Date.now() + skew,
});
const done =
  process.env.INGEST_BATCH === undefined
    ? await store.fold({ force: true })
    : await store.ingest(JSON.parse(env('INGEST_BATCH')) as ItemInput[]);
process.stdout.write(`${JSON.stringify(done)}\n`);
clients.client.destroy();
