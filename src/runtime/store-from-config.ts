/** The store as configured: one place maps Config to StoreOptions for every runtime. */
import type { Config } from '../config.ts';
import { createStore, type DynamoClients, type FeedActivity, type Store } from '../store/index.ts';

interface StoreFromConfigOptions {
  /**
   * How stale metrics may be; the contract allows POLL_INTERVAL_MS + 1 s, so request paths use
   * `min(1 s, POLL_INTERVAL_MS)` (the default).
   */
  readonly aggregatesMaxAgeMs?: number;
  readonly now?: () => number;
  /** Shared by every store of the process (feed-activity.ts). */
  readonly activity?: FeedActivity;
  /** The store starts fold rounds when due (one store per process; never where the role may not write). */
  readonly folds?: boolean;
  readonly onFoldError?: (error: unknown) => void;
}

function storeFromConfig(config: Config, clients: DynamoClients, options: StoreFromConfigOptions = {}): Store {
  return createStore({
    ...clients,
    tableName: config.tableName,
    retentionDays: config.itemRetentionDays,
    settleMs: config.feedSettleMs,
    foldIntervalMs: config.foldIntervalMs,
    aggregatesMaxAgeMs: options.aggregatesMaxAgeMs ?? Math.min(1000, config.pollIntervalMs),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.activity === undefined ? {} : { activity: options.activity }),
    ...(options.folds === undefined ? {} : { folds: options.folds }),
    ...(options.onFoldError === undefined ? {} : { onFoldError: options.onFoldError }),
  });
}

export type { StoreFromConfigOptions };
export { storeFromConfig };
