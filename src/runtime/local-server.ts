/**
 * Assembles the whole service in one process: the store (embedded dynalite unless
 * DYNAMODB_ENDPOINT is set), its table, authentication, the REST app, and the HTTP server.
 * `npm start` and the integration tests both use this, so tests run what users run.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Config } from '../config.ts';
import { seedDemoData } from '../demo/seed.ts';
import { createApp } from '../http/app.ts';
import { answerClientError } from '../http/client-error.ts';
import { createRestHandlers } from '../http/handlers/index.ts';
import { dashboardSecurityHeaders } from '../http/security-headers.ts';
import { createStreamRoutes } from '../http/streams.ts';
import { createPrometheusMetrics, type PrometheusStreamMetrics } from '../observability/stream-metrics.ts';
import type { Hub } from '../stream/hub.ts';
import type { Logger } from '../observability/logger.ts';
import {
  createDynamoClients,
  type EmbeddedDynalite,
  ensureTable,
  startEmbeddedDynalite,
  type Store,
} from '../store/index.ts';
import { authFromConfig } from './auth-from-config.ts';
import { type CountedPollStore, countedPollStore } from './poll-store.ts';
import { resolveSecrets, type RuntimeSecrets } from './secrets.ts';
import { storeFromConfig } from './store-from-config.ts';
import { startStreamEngine, type StreamEngine } from './stream-engine.ts';
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
  /** The stream engine's fan-out (tests inspect its size). */
  readonly hub: Hub;
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
}

interface AppDeps {
  readonly store: Store;
  readonly hub: Hub;
  readonly metrics: PrometheusStreamMetrics;
  readonly secrets: RuntimeSecrets;
  readonly logger: Logger;
  readonly now: () => number;
}

/** The REST API, the streams and the dashboard on one express app. */
function localApp(config: Config, { store, hub, metrics, secrets, logger, now }: AppDeps): express.Express {
  const { auth, streamTokens } = authFromConfig(config, secrets, now);
  return createApp({
    handlers: createRestHandlers({
      store,
      streamTokens,
      version: VERSION,
      now,
      serviceMetrics: () => metrics.registry.metrics(),
    }),
    streamRoutes: createStreamRoutes({
      hub,
      store,
      auth,
      streamTokens,
      metrics,
      logger,
      retryAfterSeconds: Math.max(1, Math.ceil(config.retryMs / 1000)),
    }),
    auth,
    logger,
    exposeErrors: config.logLevel === 'debug',
    // The dashboard (static files, no build step) at `/`. `/api/*` is never looked up on disk,
    // so the API routes and their problem+json 404s stay as they are.
    extend: (app) => {
      app.use(dashboardSecurityHeaders(config));
      const dashboard = express.static(fileURLToPath(new URL('../dashboard/', import.meta.url)), {
        index: 'index.html',
        fallthrough: true,
      });
      app.use((req, res, next) => {
        if (req.path.startsWith('/api/')) next();
        else dashboard(req, res, next);
      });
    },
  });
}

/** Listens; resolves with the URL clients use (a wildcard address is reached on loopback). */
async function listen(httpServer: Server, config: Config): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => {
      resolve();
    });
  });
  const { address, port } = httpServer.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}

/** Stops accepting and ends idle connections; whatever is still open after 1 s (a stuck client) is cut. */
function closeHttpServer(httpServer: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    httpServer.close(() => {
      resolve();
    });
    httpServer.closeIdleConnections();
    setTimeout(() => {
      httpServer.closeAllConnections();
    }, 1000).unref();
  });
}

async function startLocalServer(config: Config, options: LocalServerOptions): Promise<LocalServer> {
  const now = options.now ?? Date.now;
  let embedded: EmbeddedDynalite | undefined;
  if (config.dynamodbEndpoint === undefined) embedded = await startEmbeddedDynalite({ dataDir: config.dataDir });
  const endpoint = config.dynamodbEndpoint ?? embedded?.endpoint;
  const clients = createDynamoClients(endpoint);
  let pollStore: CountedPollStore | undefined;
  let engine: StreamEngine | undefined;
  let server: Server | undefined;
  try {
    const tableCreated = await ensureTable(clients.client, config.tableName);
    const store = storeFromConfig(config, clients, { now });
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
    const metrics = createPrometheusMetrics();
    pollStore = countedPollStore(config, endpoint, metrics, now);
    const started = await startStreamEngine({
      store,
      pollStore: pollStore.store,
      config,
      metrics,
      logger: options.logger,
      now,
      ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes }),
    });
    engine = started;
    const { hub } = started;
    const app = localApp(config, { store, hub, metrics, secrets, logger: options.logger, now });
    const httpServer = createServer(app);
    // Requests Node refuses itself (e.g. a URL over 16 KiB) are answered as problems too.
    httpServer.on('clientError', answerClientError);
    server = httpServer;
    const url = await listen(httpServer, config);
    return {
      url,
      store,
      secrets,
      storeDescription:
        embedded === undefined ? `${config.dynamodbEndpoint}` : `embedded dynalite (${config.dataDir ?? 'in memory'})`,
      tableCreated,
      seeded,
      hub,
      close: async () => {
        // Streams first: each gets a reconnect hint, then the server stops accepting.
        started.closeAll('shutdown');
        started.stop();
        await closeHttpServer(httpServer);
        clients.client.destroy();
        pollStore?.destroy();
        await embedded?.close();
      },
    };
  } catch (error) {
    // A failed start (e.g. the port is taken) must not leave the poller polling a closed store.
    engine?.stop();
    server?.close();
    clients.client.destroy();
    pollStore?.destroy();
    await embedded?.close();
    throw error;
  }
}

export type { LocalServer, LocalServerOptions };
export { startLocalServer };
