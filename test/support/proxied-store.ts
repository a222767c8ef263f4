/**
 * A store whose every DynamoDB call passes through a store proxy (store-proxy.ts) in front of a
 * real dynalite, beside a second store on the same table that reaches dynalite directly: the
 * process under test, whose calls a test can fail, hold or answer, and another process racing it.
 * Both share one controllable clock.
 */
import { createDynamoClients, createStore, ensureTable, startEmbeddedDynalite } from '../../src/store/index.ts';
import type { DynamoClients, EmbeddedDynalite, Store, StoreOptions } from '../../src/store/index.ts';
import { type Action, startStoreProxy, type StoreProxy } from './store-proxy.ts';

interface ProxiedStore {
  /** The store under test: every call goes through `proxy`. */
  readonly store: Store;
  readonly proxy: StoreProxy;
  /** Another process on the same table, straight to dynalite. */
  readonly other: Store;
  /** Straight to dynalite, for looking at (and writing into) the table. */
  readonly direct: DynamoClients;
  /** The clients of `store` (through the proxy). */
  readonly proxied: DynamoClients;
  readonly dynalite: EmbeddedDynalite;
  readonly tableName: string;
  /** Another store of the process under test, through the proxy, on the shared clock; closed by `close`. */
  storeWith(options: Partial<StoreOptions>): Store;
  now(): number;
  advance(ms: number): void;
  close(): Promise<void>;
}

async function startProxiedStore(options: { readonly settleMs?: number } = {}): Promise<ProxiedStore> {
  const dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  const direct = createDynamoClients(dynalite.endpoint);
  const tableName = 'tickerpulse-proxied';
  await ensureTable(direct.client, tableName);
  const proxy = await startStoreProxy(dynalite.endpoint);
  const proxied = createDynamoClients(proxy.endpoint);
  let time = Date.parse('2026-11-21T09:30:00.000Z');
  const settleMs = options.settleMs ?? 5000;
  const storeOn = (clients: DynamoClients) =>
    createStore({ ...clients, tableName, retentionDays: 7, settleMs, now: () => time });
  const opened: Store[] = [];
  return {
    store: storeOn(proxied),
    proxy,
    other: storeOn(direct),
    direct,
    proxied,
    dynalite,
    tableName,
    storeWith: (storeOptions) => {
      const store = createStore({
        ...proxied,
        tableName,
        retentionDays: 7,
        settleMs,
        now: () => time,
        ...storeOptions,
      });
      opened.push(store);
      return store;
    },
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
    close: async () => {
      for (const store of opened.splice(0)) await store.close();
      proxied.client.destroy();
      direct.client.destroy();
      await proxy.close();
      await dynalite.close();
    },
  };
}

/** An answer in DynamoDB's error format, as the service sends it (`type` e.g. `ValidationException`). */
function dynamoError(type: string, message = `stand-in ${type}`, status = 400): Action {
  return { status, answer: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message } };
}

export type { ProxiedStore };
export { dynamoError, startProxiedStore };
