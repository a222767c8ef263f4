/**
 * A writer process for crash tests: ingests one batch into a DynamoDB endpoint and prints the
 * statuses. The test SIGKILLs it mid-way. Run with `node test/support/ingest-child.ts`; input in
 * the environment: INGEST_ENDPOINT, INGEST_TABLE, INGEST_LEASE_MS, INGEST_BATCH (JSON items).
 */
import { createDynamoClients, createStore } from '../../src/store/index.ts';
import type { ItemInput } from '../../src/contract/index.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const clients = createDynamoClients(env('INGEST_ENDPOINT'));
const store = createStore({
  ...clients,
  tableName: env('INGEST_TABLE'),
  retentionDays: 7,
  settleMs: 5000,
  ingestLeaseMs: Number(env('INGEST_LEASE_MS')),
});
const statuses = await store.ingest(JSON.parse(env('INGEST_BATCH')) as ItemInput[]);
process.stdout.write(`${JSON.stringify(statuses)}\n`);
clients.client.destroy();
