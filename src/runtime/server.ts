/**
 * The long-running server, assembled once for every command that runs one: the store, the stream
 * engine, the REST API with the streams and the dashboard on one express app, and the HTTP server.
 * Each command brings only its DynamoDB clients and what it does before serving: `npm start`
 * (local-server.ts) an embedded store, the table and demo data; `npm run serve`
 * (production-server.ts) the AWS SDK's chain and a table check. So what the tests run through
 * `npm start` is the server production runs.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Config } from '../config.ts';
import { createApp } from '../http/app.ts';
import { isApiPath } from '../http/api-path.ts';
import { answerClientError } from '../http/client-error.ts';
import { createRestHandlers } from '../http/handlers/index.ts';
import { dashboardSecurityHeaders } from '../http/security-headers.ts';
import { type Cors, createCors } from '../http/cors.ts';
import { serveStreamsOnSockets, type StreamSockets } from '../http/stream-sockets.ts';
import { requestLog, splitUrl } from '../http/raw-response.ts';
import { createStreamRoutes, matchStreamRoute, type StreamRoutes } from '../http/streams.ts';
import type { Logger } from '../observability/logger.ts';
import { createPrometheusMetrics, type PrometheusStreamMetrics } from '../observability/stream-metrics.ts';
import { createFeedActivity, type DynamoClients, FOLD_CHECK_MS, type Store } from '../store/index.ts';
import type { Hub } from '../stream/hub.ts';
import { authFromConfig } from './auth-from-config.ts';
import { type CountedPollStore, countedPollStore } from './poll-store.ts';
import { resolveSecrets, type RuntimeSecrets } from './secrets.ts';
import { storeFromConfig } from './store-from-config.ts';
import { startStreamEngine, type StreamEngine } from './stream-engine.ts';
import { VERSION } from './version.ts';

/** What a command hands over to be served; the server owns the clients from then on. */
interface ServerAssembly {
  readonly config: Config;
  /** The request path's clients (REST, stream openings and replays). */
  readonly clients: DynamoClients;
  /** The feed poller's own clients, used by nothing else, so that its requests are counted exactly. */
  readonly pollClients: DynamoClients;
  readonly logger: Logger;
  /** Injectable clock for tests. */
  readonly now?: () => number;
  /** Per-stream queue limit in bytes (default 1 MiB); tests lower it to reach it quickly. */
  readonly maxQueuedBytes?: number;
  /** No other process can write to the table (the embedded store): idle reads are skipped. */
  readonly exclusiveStore?: boolean;
}

interface RunningServer {
  /** `http://host:port` the server listens on (a wildcard address as loopback). */
  readonly url: string;
  readonly store: Store;
  readonly secrets: RuntimeSecrets;
  readonly engine: StreamEngine;
  /** The stream engine's fan-out (tests inspect its size). */
  readonly hub: Hub;
  /** Connections the lean stream path holds (tests check that each is released). */
  readonly streamSockets: { readonly size: number };
  /**
   * Ends every stream with a reconnect hint, stops the engine, stops accepting, ends the open
   * connections (a stuck one after 1 s) and destroys both clients.
   */
  close(): Promise<void>;
}

interface AppDeps {
  readonly store: Store;
  readonly engine: StreamEngine;
  readonly metrics: PrometheusStreamMetrics;
  readonly secrets: RuntimeSecrets;
  readonly logger: Logger;
  readonly now: () => number;
}

/** What serves requests: node:http's listener, and the stream routes and CORS policy the lean path shares with it. */
interface ServerRoutes {
  readonly listener: RequestListener;
  readonly streams: StreamRoutes;
  readonly cors: Cors;
}

/**
 * The request listener: CORS for every API path first (src/http/cors.ts), then the streams
 * straight from node:http (their connect is the hot path, see src/http/streams.ts), everything
 * else (the REST API, the dashboard) through one express app.
 */
function serverListener(config: Config, deps: AppDeps): ServerRoutes {
  const { auth, streamTokens } = authFromConfig(config, deps.secrets, deps.now);
  const streams = createStreamRoutes({
    hub: deps.engine.hub,
    store: deps.store,
    auth,
    streamTokens,
    metrics: deps.metrics,
    logger: deps.logger,
    retryAfterSeconds: Math.max(1, Math.ceil(config.retryMs / 1000)),
    heartbeatIntervalMs: config.heartbeatIntervalMs,
  });
  const app = serverApp(config, deps, { auth, streamTokens, streams });
  const logRequest = requestLog(deps.logger);
  const cors = createCors(config.corsAllowedOrigins);
  const listener: RequestListener = (req, res) => {
    const { path } = splitUrl(req.url);
    if (isApiPath(path) && cors.handle(req, res, path)) {
      logRequest(req, res);
      return;
    }
    const route = matchStreamRoute(req);
    if (route === undefined) return void app(req, res);
    logRequest(req, res);
    streams.serve(req, res, route);
  };
  return { listener, streams, cors };
}

/** The REST API, the dashboard, and the other spellings of the stream paths, on one express app. */
function serverApp(
  config: Config,
  { store, metrics, logger, now }: AppDeps,
  { auth, streamTokens, streams }: ReturnType<typeof authFromConfig> & { readonly streams: StreamRoutes },
): express.Express {
  return createApp({
    handlers: createRestHandlers({
      store,
      streamTokens,
      version: VERSION,
      now,
      serviceMetrics: () => metrics.registry.metrics(),
    }),
    streamRoutes: streams,
    auth,
    logger,
    // The dashboard (static files, no build step) at `/`. `/api/*` (any case) is never looked up on disk,
    // so the API routes and their problem+json 404s stay as they are.
    extend: (app) => {
      app.use(dashboardSecurityHeaders(config));
      // The chart library the dashboard imports, from the installed package (a production dependency), no CDN.
      const uplot = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
      app.use('/vendor/uplot', express.static(uplot, { index: false, fallthrough: true }));
      const dashboard = express.static(fileURLToPath(new URL('../dashboard/', import.meta.url)), {
        index: 'index.html',
        fallthrough: true,
      });
      app.use((req, res, next) => {
        if (isApiPath(req.path)) next();
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
function closeHttpServer(httpServer: Server, sockets: StreamSockets): Promise<void> {
  return new Promise<void>((resolve) => {
    httpServer.close(() => {
      resolve();
    });
    httpServer.closeIdleConnections();
    sockets.closeWaiting();
    setTimeout(() => {
      httpServer.closeAllConnections();
      sockets.destroyAll();
    }, 1000).unref();
  });
}

/**
 * Starts the engine on the store, then the HTTP server. A failed start (e.g. the port is taken)
 * stops what it started and destroys the clients before it rethrows, so no poller polls on.
 */
async function startServer(assembly: ServerAssembly): Promise<RunningServer> {
  const { config, clients, logger } = assembly;
  const now = assembly.now ?? Date.now;
  const metrics = createPrometheusMetrics();
  const activity = createFeedActivity({ exclusive: assembly.exclusiveStore === true });
  const onFoldError = (error: unknown) => {
    logger.warn('fold round failed; it is tried again shortly', { error });
  };
  const store = storeFromConfig(config, clients, { now, activity, folds: true, onFoldError });
  const secrets = resolveSecrets(config);
  let pollStore: CountedPollStore | undefined;
  let engine: StreamEngine | undefined;
  const httpServer = createServer();
  try {
    // One folder per process: the request store folds, the poller's store only reads.
    pollStore = countedPollStore(config, assembly.pollClients, metrics, { now, activity });
    const started = await startStreamEngine({
      store,
      pollStore: pollStore.store,
      config,
      metrics,
      logger,
      now,
      ...(assembly.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: assembly.maxQueuedBytes }),
    });
    engine = started;
    // An ingest through this process wakes the poller, so its streams get the items at once.
    activity.onAppend(() => {
      started.wake();
    });
    const routes = serverListener(config, { store, engine: started, metrics, secrets, logger, now });
    httpServer.on('request', routes.listener);
    // Plain stream requests are served from their sockets, below node:http (stream-sockets.ts).
    const sockets = serveStreamsOnSockets(httpServer, { streams: routes.streams, cors: routes.cors, logger });
    // Requests Node refuses itself (e.g. a URL over 16 KiB) are answered as problems too.
    httpServer.on('clientError', answerClientError);
    const url = await listen(httpServer, config);
    const poll = pollStore;
    // The aggregate rows stay folded whether or not anyone reads them (fold.ts).
    const folding = setInterval(() => {
      store.maybeFold();
    }, FOLD_CHECK_MS);
    folding.unref();
    return {
      url,
      store,
      secrets,
      engine: started,
      hub: started.hub,
      streamSockets: sockets,
      close: async () => {
        // Streams first: each gets a reconnect hint, then the server stops accepting.
        started.hub.closeAll('shutdown');
        started.stop();
        clearInterval(folding);
        await closeHttpServer(httpServer, sockets);
        await store.close();
        clients.client.destroy();
        poll.destroy();
      },
    };
  } catch (error) {
    engine?.stop();
    httpServer.close();
    clients.client.destroy();
    if (pollStore === undefined) assembly.pollClients.client.destroy();
    else pollStore.destroy();
    throw error;
  }
}

export type { RunningServer, ServerAssembly };
export { startServer };
