/** A real dynalite on a loopback port with the table created, plus a store on it whose clock the test controls. */
import {
  createDynamoClients,
  createStore,
  ensureTable,
  startEmbeddedDynalite,
  type Store,
} from '../../src/store/index.ts';
import type { DynamoClients, EmbeddedDynalite } from '../../src/store/index.ts';

interface TestStore {
  readonly store: Store;
  readonly clients: DynamoClients;
  readonly dynalite: EmbeddedDynalite;
  readonly tableName: string;
  /** Current fake time (epoch ms); tests move it with `advance`. */
  now(): number;
  advance(ms: number): void;
  setTime(ms: number): void;
  close(): Promise<void>;
}

interface TestStoreOptions {
  readonly dataDir?: string;
  readonly settleMs?: number;
  readonly startAt?: number;
}

async function startTestStore(options: TestStoreOptions = {}): Promise<TestStore> {
  const dynalite = await startEmbeddedDynalite({ dataDir: options.dataDir, access: 'any-local-process' });
  const clients = createDynamoClients(dynalite.endpoint);
  const tableName = 'tickerpulse-test';
  await ensureTable(clients.client, tableName);
  let time = options.startAt ?? Date.parse('2026-11-21T09:30:00.000Z');
  const store = createStore({
    ...clients,
    tableName,
    retentionDays: 7,
    settleMs: options.settleMs ?? 5000,
    now: () => time,
  });
  return {
    store,
    clients,
    dynalite,
    tableName,
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
    setTime: (ms) => {
      time = ms;
    },
    close: async () => {
      clients.client.destroy();
      await dynalite.close();
    },
  };
}

let sequence = 0;
/** A valid item input with a unique id; override any field. */
function itemInput(overrides: Record<string, unknown> = {}) {
  sequence += 1;
  return {
    item_id: `test-${sequence}-${Math.random().toString(36).slice(2, 8)}`,
    ticker: 'AAPL',
    sentiment: 'positive' as const,
    score: 0.5,
    timestamp: '2026-11-21T09:00:00.000Z',
    ...overrides,
  };
}

export type { TestStore };
export { itemInput, startTestStore };
