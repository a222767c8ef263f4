/**
 * Assembles the whole service in one process: the store (embedded dynalite unless
 * DYNAMODB_ENDPOINT is set), its table, authentication, the REST app, and the HTTP server.
 * `npm start` and the integration tests both use this, so tests run what users run.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, createStreamTokens } from '../auth/index.ts';
import type { Config } from '../config.ts';
import { seedDemoData } from '../demo/seed.ts';
import { createApp } from '../http/app.ts';
import { createRestHandlers } from '../http/handlers/index.ts';
import type { Logger } from '../observability/logger.ts';
import {
  createDynamoClients,
  createStore,
  type EmbeddedDynalite,
  ensureTable,
  startEmbeddedDynalite,
  type Store,
} from '../store/index.ts';
import { resolveSecrets, type RuntimeSecrets } from './secrets.ts';
import { VERSION } from './version.ts';

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
  /** Stops accepting, ends open connections, closes the store; resolves when all is closed. */
  close(): Promise<void>;
}

interface LocalServerOptions {
  readonly logger: Logger;
  /** Injectable clock for tests. */
  readonly now?: () => number;
  /** Write a day of demo history into a store that has none (npm start). */
  readonly seedDemoData?: boolean;
}

async function startLocalServer(config: Config, options: LocalServerOptions): Promise<LocalServer> {
  const now = options.now ?? Date.now;
  let embedded: EmbeddedDynalite | undefined;
  if (config.dynamodbEndpoint === undefined) embedded = await startEmbeddedDynalite({ dataDir: config.dataDir });
  const endpoint = config.dynamodbEndpoint ?? embedded?.endpoint;
  const clients = createDynamoClients(endpoint);
  let server: Server | undefined;
  try {
    const tableCreated = await ensureTable(clients.client, config.tableName);
    const store = createStore({
      ...clients,
      tableName: config.tableName,
      retentionDays: config.itemRetentionDays,
      settleMs: config.feedSettleMs,
      // Metrics may lag other processes' writes by this much; the contract allows POLL_INTERVAL_MS + 1 s.
      aggregatesMaxAgeMs: Math.min(1000, config.pollIntervalMs),
      now,
    });
    const seeded = options.seedDemoData
      ? await seedDemoData({
          ...clients,
          tableName: config.tableName,
          retentionDays: config.itemRetentionDays,
          settleMs: config.feedSettleMs,
          now: now(),
        })
      : 0;
    const secrets = resolveSecrets(config);
    const authenticator = createAuthenticator({
      jwtSecret: config.authJwtSecret,
      jwksUrl: config.authJwksUrl,
      issuer: config.authJwtIssuer,
      audience: config.authJwtAudience,
      trustUserIdHeader: config.authTrustUserIdHeader,
      now,
    });
    const streamTokens = createStreamTokens({
      secret: secrets.streamTokenSecret,
      ttlSeconds: config.streamTokenTtlS,
      now,
    });
    const app = createApp({
      handlers: createRestHandlers({ store, streamTokens, version: VERSION, now }),
      auth: { authenticator, ingestApiKey: secrets.ingestApiKey },
      logger: options.logger,
      exposeErrors: config.logLevel === 'debug',
    });
    const httpServer = createServer(app);
    server = httpServer;
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => {
        resolve();
      });
    });
    const { address, port } = httpServer.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    return {
      url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
      store,
      secrets,
      storeDescription:
        embedded === undefined ? `${config.dynamodbEndpoint}` : `embedded dynalite (${config.dataDir ?? 'in memory'})`,
      tableCreated,
      seeded,
      close: async () => {
        await new Promise<void>((resolve) => {
          httpServer.close(() => {
            resolve();
          });
          httpServer.closeIdleConnections();
        });
        clients.client.destroy();
        await embedded?.close();
      },
    };
  } catch (error) {
    server?.close();
    clients.client.destroy();
    await embedded?.close();
    throw error;
  }
}

export type { LocalServer, LocalServerOptions };
export { startLocalServer };
