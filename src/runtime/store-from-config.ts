/** The store as configured: one place maps Config to StoreOptions for every runtime. */
import type { Config } from '../config.ts';
import { createStore, type DynamoClients, type Store } from '../store/index.ts';

/**
 * @param aggregatesMaxAgeMs how stale metrics may be; the contract allows POLL_INTERVAL_MS + 1 s,
 *                           so request paths use `min(1 s, POLL_INTERVAL_MS)` (the default).
 */
function storeFromConfig(
  config: Config,
  clients: DynamoClients,
  options: { readonly aggregatesMaxAgeMs?: number; readonly now?: () => number } = {},
): Store {
  return createStore({
    ...clients,
    tableName: config.tableName,
    retentionDays: config.itemRetentionDays,
    settleMs: config.feedSettleMs,
    aggregatesMaxAgeMs: options.aggregatesMaxAgeMs ?? Math.min(1000, config.pollIntervalMs),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

export { storeFromConfig };
