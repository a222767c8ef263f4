/**
 * The node:http stream routes (src/http/streams.ts) composed as the servers compose them (the
 * engine of src/runtime/stream-engine.ts on a real dynalite), behind a loopback server this test
 * controls: a response whose connection closed before the routes were handed it (its `close`
 * already emitted, so no listener will ever hear it) still frees the stream slot it takes, a
 * tick later, instead of holding it forever. An ordinary stream on the same routes holds its slot
 * exactly while its client is connected.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator, createStreamTokens } from '../../../src/auth/index.ts';
import { loadConfig } from '../../../src/config.ts';
import { createStreamRoutes, matchStreamRoute, type StreamRoutes } from '../../../src/http/streams.ts';
import { createPrometheusMetrics } from '../../../src/observability/stream-metrics.ts';
import { type StreamEngine, startStreamEngine } from '../../../src/runtime/stream-engine.ts';
import { type CapturingLogger, capturingLogger } from '../../support/capturing-logger.ts';
import { openStream } from '../../support/sse-client.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const config = loadConfig({
  SIMULATE: '0',
  LOG_LEVEL: 'silent',
  POLL_INTERVAL_MS: '200',
  HEARTBEAT_INTERVAL_MS: '1000',
  AUTH_TRUST_USER_ID_HEADER: 'true',
});

let t: TestStore;
let engine: StreamEngine;
let logger: CapturingLogger;
let routes: StreamRoutes;
let server: Server;
/** What the server does with a stream request before the routes get it. */
let before: (req: IncomingMessage, res: ServerResponse, serve: () => void) => void;

beforeAll(async () => {
  t = await startTestStore({ settleMs: 1000 });
  t.setTime(Date.now());
  logger = capturingLogger('INFO');
  engine = await startStreamEngine({ store: t.store, config, metrics: createPrometheusMetrics(), logger });
  routes = createStreamRoutes({
    hub: engine.hub,
    store: t.store,
    auth: { authenticator: createAuthenticator({ trustUserIdHeader: true }), ingestApiKey: 'unused-ingest-key-0000' },
    streamTokens: createStreamTokens({ secret: 'stream-routes-closed-secret-00000000', ttlSeconds: 60 }),
    metrics: createPrometheusMetrics(),
    logger,
    retryAfterSeconds: 1,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
  });
  server = createServer((req, res) => {
    const route = matchStreamRoute(req);
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    before(req, res, () => {
      routes.serve(req, res, route);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterAll(async () => {
  engine.hub.closeAll('shutdown');
  engine.stop();
  server.closeAllConnections();
  server.close();
  await t.close();
});

const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/stream`;
const closedLines = () => logger.lines.filter((line) => line.message === 'stream closed');

describe('the stream routes', () => {
  it('hold a stream’s slot exactly while its client is connected', async () => {
    before = (_req, _res, serve) => {
      serve();
    };

    const stream = await openStream(url(), { channel: 'globalStream' });
    await stream.waitFor((events) => events.some((event) => event.event === 'heartbeat'));

    expect(stream.status).toBe(200);
    expect(engine.hub.size).toBe(1);
    stream.close();
    await vi.waitFor(() => {
      expect(engine.hub.size).toBe(0);
    });
  });

  it('free the slot of a response whose connection closed before they were handed it', async () => {
    const handed = Promise.withResolvers<undefined>();
    before = (_req, res, serve) => {
      res.destroy();
      // Served only after `close` went out: a listener added now would never hear it.
      res.once('close', () => {
        serve();
        handed.resolve(undefined);
      });
    };
    const closed = closedLines().length;

    await fetch(url(), { headers: { accept: 'text/event-stream' } }).catch(() => undefined);
    await handed.promise;

    await vi.waitFor(() => {
      expect(engine.hub.size).toBe(0);
    });
    expect(closedLines().slice(closed)).toMatchObject([{ level: 'INFO', close_reason: 'client_closed' }]);
  });
});
