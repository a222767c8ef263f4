/**
 * The shared poller's store on a client of its own, so that its requests can be counted exactly:
 * reads per poll must not grow with the number of connections, and the benchmark checks that.
 * Any long-running server (local, production) builds its engine's `pollStore` with this.
 */
import type { Config } from '../config.ts';
import type { StreamMetrics } from '../observability/stream-metrics.ts';
import type { DynamoClients, Store } from '../store/index.ts';
import { storeFromConfig, type StoreFromConfigOptions } from './store-from-config.ts';

interface CountedPollStore {
  readonly store: Store;
  /** Closes its client. */
  destroy(): void;
}

/**
 * @param clients the poller's own clients, used by nothing else (every request they send is
 *                counted); destroyed by `destroy`.
 */
function countedPollStore(
  config: Config,
  clients: DynamoClients,
  metrics: StreamMetrics,
  shared: Omit<StoreFromConfigOptions, 'aggregatesMaxAgeMs'>,
): CountedPollStore {
  clients.client.middlewareStack.add(
    (next) => (args) => {
      metrics.storeRequest();
      return next(args);
    },
    { step: 'initialize', name: 'countFeedPollerRequests' },
  );
  // One counter read serves every view of a tick.
  const store = storeFromConfig(config, clients, {
    ...shared,
    aggregatesMaxAgeMs: Math.min(500, config.pollIntervalMs / 2),
  });
  return {
    store,
    destroy: () => {
      clients.client.destroy();
    },
  };
}

export type { CountedPollStore };
export { countedPollStore };
