/**
 * `npm start`'s server, batteries included: the embedded store (dynalite) unless
 * DYNAMODB_ENDPOINT is set, its table created when missing, a day of demo data on request, then
 * the shared server (server.ts). `npm start` and the integration tests both use this, so tests
 * run what users run.
 */
import type { Config } from '../config.ts';
import { seedDemoData } from '../demo/seed.ts';
import type { Logger } from '../observability/logger.ts';
import {
  createDynamoClients,
  type DynamoClients,
  ensureTable,
  startEmbeddedDynalite,
  type Store,
} from '../store/index.ts';
import type { WriteMeter } from '../store/write-meter.ts';
import type { Hub } from '../stream/hub.ts';
import { phaseLogger } from './phases.ts';
import type { RuntimeSecrets } from './secrets.ts';
import { type RunningServer, startServer } from './server.ts';

interface LocalServer {
  /** `http://host:port` the server listens on. */
  readonly url: string;
  readonly store: Store;
  readonly secrets: RuntimeSecrets;
  /** Where the store lives: `embedded (memory)`, `embedded (<dir>)` or the endpoint. */
  readonly storeDescription: string;
  readonly tableCreated: boolean;
  /** Demo items written at start (0 when the store already had them or seeding was off). */
  readonly seeded: number;
  /** The stream engine's fan-out (tests inspect its size). */
  readonly hub: Hub;
  /** Connections the lean stream path holds (tests check that each is released). */
  readonly streamSockets: { readonly size: number };
  /** Stops accepting, ends open connections, closes the store; resolves when all is closed. */
  close(): Promise<void>;
}

interface LocalServerOptions {
  readonly logger: Logger;
  /** Injectable clock for tests. */
  readonly now?: () => number;
  /** Write a day of demo history into a store that has none (npm start). */
  readonly seedDemoData?: boolean;
  /** Per-stream queue limit in bytes (default 1 MiB); tests lower it to reach it quickly. */
  readonly maxQueuedBytes?: number;
  /** Counts every write the server's store clients send (the benchmark and the capacity tests). */
  readonly writeMeter?: WriteMeter;
}

async function startLocalServer(config: Config, options: LocalServerOptions): Promise<LocalServer> {
  const now = options.now ?? Date.now;
  const phase = phaseLogger(options.logger);
  const place = config.dataDir ?? 'in memory';
  const embedded =
    config.dynamodbEndpoint === undefined
      ? await phase(
          'store ready',
          () => startEmbeddedDynalite({ dataDir: config.dataDir }),
          () => ({ store: `embedded dynalite, ${place}` }),
        )
      : undefined;
  const endpoint = config.dynamodbEndpoint ?? embedded?.endpoint;
  const metered = (): DynamoClients => {
    const made = createDynamoClients(endpoint, embedded?.credentials);
    options.writeMeter?.attach(made.client);
    return made;
  };
  const clients = metered();
  let tableCreated: boolean;
  let seeded: number;
  let server: RunningServer;
  try {
    tableCreated = await phase(
      'table ready',
      () => ensureTable(clients.client, config.tableName),
      (created) => ({ table: config.tableName, created }),
    );
    seeded = options.seedDemoData
      ? await phase(
          'demo data ready',
          () => seed(config, clients, now()),
          (items) => ({ items }),
        )
      : 0;
  } catch (error) {
    clients.client.destroy();
    await embedded?.close();
    throw error;
  }
  try {
    // The server owns the clients from here, and destroys them on a failed start too.
    server = await phase(
      'server listening',
      () =>
        startServer({
          config,
          clients,
          pollClients: metered(),
          logger: options.logger,
          now,
          // The embedded store's port answers only this process (docs/security.md): it is the only writer.
          exclusiveStore: embedded !== undefined,
          ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes }),
        }),
      (started) => ({ url: started.url }),
    );
  } catch (error) {
    await embedded?.close();
    throw error;
  }
  return {
    url: server.url,
    store: server.store,
    secrets: server.secrets,
    storeDescription:
      embedded === undefined ? `${config.dynamodbEndpoint}` : `embedded dynalite (${config.dataDir ?? 'in memory'})`,
    tableCreated,
    seeded,
    hub: server.hub,
    streamSockets: server.streamSockets,
    close: async () => {
      await server.close();
      await embedded?.close();
    },
  };
}

/** A day of demo data in a store that has none (seed.ts); how many items it wrote. */
const seed = (config: Config, clients: DynamoClients, at: number): Promise<number> =>
  seedDemoData({
    ...clients,
    tableName: config.tableName,
    retentionDays: config.itemRetentionDays,
    settleMs: config.feedSettleMs,
    now: at,
  });

export type { LocalServer, LocalServerOptions };
export { startLocalServer };
