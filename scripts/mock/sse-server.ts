/**
 * The mock SSE server of `npm run mock` (Prism cannot stream: its mock answers an SSE endpoint
 * with one buffered body). It serves the two stream channels of specs/asyncapi.yaml on loopback,
 * with CORS open so a page on another origin can connect, and, given the REST mock's URL, the
 * dashboard itself at `/`, wired to both mocks (dashboard.ts):
 *
 *   GET /api/v2/stream                            globalStream
 *   GET /api/v2/configurations/{config_id}/stream configurationStream: the configurations of the
 *                                                 listConfigurations example, each its own tickers
 *
 * A request is checked as the real server checks it, and `Prefer: code=<status>` asks for any
 * refusal the contract documents (stream-gate.ts). A stream opens as the contract orders it:
 * `retry:`, `stream_open` (`fresh`, or `reset` when a Last-Event-ID is sent, since the mock keeps
 * no history), the snapshot (`metrics`, one `sentiment_update` per ticker), a `heartbeat`; then a
 * `new_item` every `intervalMs` with the occasional `sentiment_update` and `metrics`, and a
 * `heartbeat` every `heartbeatMs`. `Prefer: scenario=` plays an edge instead (streams.ts). All
 * connections share one feed, like the real service.
 *
 * Every frame and every refusal is checked against the contract before it is written. Drift in
 * the feed (the mock's own events) stops the server through `onError`; an answer to a request
 * that fails the check is a 500 for that request alone, reported through `log`: no request can
 * stop the mock.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { API_SECURITY_HEADERS } from '../../src/http/security-headers.ts';
import { SSE_HEADERS } from '../../src/stream/constants.ts';
import { repoRoot } from '../docs/tool-env.ts';
import { loadKnownConfigurations } from './configurations.ts';
import { createDashboardHandler, type DashboardHandler } from './dashboard.ts';
import { loadMessageExamples } from './examples.ts';
import { createMockFeed } from './feed.ts';
import { CORS, PREFLIGHT, problemAnswer, sendAnswer } from './http-answers.ts';
import { createStreamGate, type StreamDecision, type StreamGate } from './stream-gate.ts';
import { createStreams, type MockStreams, type StreamRequest } from './streams.ts';

interface MockSseServerOptions {
  /** Default 4011; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Milliseconds between `new_item` events (default 1000). */
  readonly intervalMs?: number;
  /** Milliseconds between heartbeats (default 15000; the contract allows 1000 to 60000). */
  readonly heartbeatMs?: number;
  /** The AsyncAPI document whose examples seed the feed (default specs/asyncapi.yaml). */
  readonly specPath?: string;
  /** The OpenAPI document whose stream refusals the mock answers (default specs/openapi.yaml). */
  readonly openapiSpecPath?: string;
  /** The REST mock's URL: given, the dashboard is served at `/` with its config.js pointing there and here. */
  readonly restBaseUrl?: string;
  /** Seed of the item variations (default 1). */
  readonly seed?: number;
  /**
   * Called once if the feed breaks the contract (or writing fails) after start-up; the server
   * has already stopped streaming. Default: rethrow, which crashes the process.
   */
  readonly onError?: (error: Error) => void;
  /** Where a request that the mock failed to answer well is reported (default: stderr). */
  readonly log?: (line: string) => void;
}

interface MockSseServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** `http://host:port/` when the dashboard is served (`restBaseUrl` was given). */
  readonly dashboardUrl: string | undefined;
  /** Sends `reconnect` to every client, ends the streams and stops listening. */
  close(): Promise<void>;
}

/** Unread output past this closes the connection; the real service's limit (MAX_QUEUED_BYTES) is the same size. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const rethrow = (error: Error): void => {
  process.nextTick(() => {
    throw error;
  });
};

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

type Opened = Extract<StreamDecision, { kind: 'stream' }>;

async function startMockSseServer(options: MockSseServerOptions = {}): Promise<MockSseServer> {
  const intervalMs = options.intervalMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  if (!Number.isFinite(intervalMs) || intervalMs < 10) throw new Error(`intervalMs must be ≥ 10, got ${intervalMs}`);
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 1000 || heartbeatMs > 60_000) {
    throw new Error(`heartbeatMs must be an integer in [1000, 60000] (the contract's range), got ${heartbeatMs}`);
  }
  const onError = options.onError ?? rethrow;
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const openapiSpec = options.openapiSpecPath ?? join(repoRoot, 'specs/openapi.yaml');
  const configurations = loadKnownConfigurations(openapiSpec);
  const feed = createMockFeed({
    examples: loadMessageExamples(options.specPath ?? join(repoRoot, 'specs/asyncapi.yaml')),
    heartbeatIntervalMs: heartbeatMs,
    extraTickers: [...configurations.values()].flatMap((configuration) => [...configuration.tickers]),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const gate = createStreamGate(openapiSpec, configurations);
  let dashboard: DashboardHandler | undefined;
  let failed = false;

  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    clearInterval(itemTimer);
    clearInterval(heartbeatTimer);
    streams.closeAll(undefined);
    onError(asError(error));
  };
  const streams: MockStreams = createStreams({
    feed,
    edgeAfterMs: intervalMs,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    fail,
  });
  // Fail at start-up rather than on the first connection.
  for (const configuration of [undefined, ...configurations.values()]) {
    streams.opening(requestOf(undefined, configuration?.configId, configuration?.tickers, 'fresh'));
  }
  const everyStream = (send: () => void): void => {
    if (failed) return;
    try {
      send();
    } catch (error) {
      fail(error);
    }
  };
  const itemTimer = setInterval(() => {
    everyStream(() => {
      streams.tick();
    });
  }, intervalMs);
  const heartbeatTimer = setInterval(() => {
    everyStream(() => {
      streams.heartbeat();
    });
  }, heartbeatMs);

  const server = createServer(
    requestHandler({ gate, streams, fail, failed: () => failed, log, dashboard: () => dashboard }),
  );
  await new Promise<void>((listening, rejectListen) => {
    server.once('error', (error) => {
      clearInterval(itemTimer);
      clearInterval(heartbeatTimer);
      rejectListen(error);
    });
    server.listen(options.port ?? 4011, options.host ?? '127.0.0.1', () => {
      listening();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  if (options.restBaseUrl !== undefined) {
    dashboard = createDashboardHandler({ restBaseUrl: options.restBaseUrl, streamBaseUrl: url });
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    dashboardUrl: dashboard === undefined ? undefined : `${url}/`,
    close: () =>
      (closing ??= new Promise<void>((closed) => {
        clearInterval(itemTimer);
        clearInterval(heartbeatTimer);
        try {
          streams.closeAll(failed ? undefined : feed.shutdown());
        } catch (error) {
          streams.closeAll(undefined);
          onError(asError(error));
        }
        server.close(() => {
          closed();
        });
        server.closeAllConnections();
      })),
  };
}

interface HandlerContext {
  readonly gate: StreamGate;
  readonly streams: MockStreams;
  /** Contract drift in the mock's own events: the server stops streaming. */
  readonly fail: (error: unknown) => void;
  readonly failed: () => boolean;
  readonly log: (line: string) => void;
  readonly dashboard: () => DashboardHandler | undefined;
}

/**
 * Answers one request: the dashboard, a preflight, a refusal or a stream. Whatever a request
 * does, it is answered and the server goes on serving the others: an answer that would break the
 * contract goes out as a 500 and is reported, and so does a request that throws.
 */
function requestHandler(context: HandlerContext): (request: IncomingMessage, response: ServerResponse) => void {
  const { gate, streams, log } = context;
  const reportDrift = (error: Error): void => {
    log(`mock SSE server: answered 500 instead of an answer that breaks the contract: ${error.message}`);
  };
  const internal = (response: ServerResponse, method: string, detail?: string): void => {
    sendAnswer(response, method, undefined, problemAnswer(PROBLEM_TYPES.internal, detail), reportDrift);
  };

  const openStream = (request: IncomingMessage, response: ServerResponse, method: string, decision: Opened): void => {
    const { configuration, lastEventId, scenario } = decision;
    const outcome = lastEventId === undefined ? 'fresh' : 'reset';
    const stream = requestOf(scenario, configuration?.configId, configuration?.tickers, outcome);
    let opening: ReturnType<MockStreams['opening']>;
    try {
      opening = streams.opening(stream);
    } catch (error) {
      internal(response, method, 'The mock events broke the contract.');
      context.fail(error);
      return;
    }
    request.socket.setNoDelay(true);
    response.writeHead(200, { ...API_SECURITY_HEADERS, ...SSE_HEADERS, ...CORS });
    if (method === 'HEAD') {
      response.end();
      return;
    }
    response.write(opening.text);
    streams.attach(response, stream, opening.health);
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://mock.invalid');
    const method = request.method ?? 'GET';
    const dashboard = context.dashboard();
    if (!url.pathname.startsWith('/api/') && dashboard !== undefined) {
      dashboard(request, response);
      return;
    }
    if (method === 'OPTIONS') {
      response.writeHead(204, PREFLIGHT);
      response.end();
      return;
    }
    const decision = gate.decide(method, url, request.headers);
    if (decision.kind === 'refuse') sendAnswer(response, method, decision.operationId, decision, reportDrift);
    else if (context.failed()) internal(response, method, 'The mock stopped: its events broke the contract.');
    else openStream(request, response, method, decision);
  };

  return (request, response) => {
    try {
      handle(request, response);
    } catch (error) {
      log(`mock SSE server: ${request.method ?? '?'} request failed: ${asError(error).message}`);
      if (response.headersSent) response.destroy();
      else internal(response, request.method ?? 'GET');
    }
  };
}

/** The stream a decision opens: its channel and view (global, or one configuration's tickers). */
function requestOf(
  scenario: StreamRequest['scenario'],
  configId: string | undefined,
  tickers: ReadonlySet<string> | undefined,
  outcome: StreamRequest['outcome'],
): StreamRequest {
  return configId === undefined
    ? { channel: 'globalStream', view: 'global', scope: undefined, outcome, scenario }
    : { channel: 'configurationStream', view: configId, scope: tickers, outcome, scenario };
}

export type { MockSseServer, MockSseServerOptions };
export { startMockSseServer };
