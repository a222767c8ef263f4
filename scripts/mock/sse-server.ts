/**
 * The mock SSE server of `npm run mock` (Prism cannot stream: its mock answers an SSE endpoint
 * with one buffered body). It serves the two stream channels of specs/asyncapi.yaml on loopback,
 * with CORS open so a page on another origin can connect, and, given the REST mock's URL, the
 * dashboard itself at `/`, wired to both mocks (dashboard.ts):
 *
 *   GET /api/v2/stream                           globalStream
 *   GET /api/v2/configurations/{config_id}/stream configurationStream (any credentials, no ticker filter)
 *
 * A request is checked as the real server checks it, and `Prefer: code=<status>` asks for any
 * refusal the contract documents (stream-gate.ts). On connect: `retry:`, `stream_open` (`fresh`,
 * or `reset` when a Last-Event-ID is sent, since the mock keeps no history), `metrics`, one
 * `sentiment_update` per ticker; then a `new_item` every `intervalMs` with the occasional
 * `sentiment_update` and `metrics`, and a `heartbeat` every `heartbeatMs`. All connections share
 * one feed, like the real service. Every frame and every refusal is checked against the contract
 * before it is written; a drift stops the server through `onError`.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ChannelKey } from '../../src/contract/index.ts';
import { PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { API_SECURITY_HEADERS } from '../../src/http/security-headers.ts';
import { SSE_HEADERS } from '../../src/stream/constants.ts';
import { frameEvent, frameRetry } from '../../src/stream/frame.ts';
import { repoRoot } from '../docs/tool-env.ts';
import { createDashboardHandler, type DashboardHandler } from './dashboard.ts';
import { loadMessageExamples } from './examples.ts';
import { assertOnContract, createMockFeed, type MockEvent } from './feed.ts';
import { CORS, PREFLIGHT, problemAnswer, sendAnswer } from './http-answers.ts';
import { createStreamGate } from './stream-gate.ts';

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

/** Both channels carry every event the mock sends, so each frame must be valid on both. */
const CHANNELS: readonly ChannelKey[] = ['globalStream', 'configurationStream'];

/** Unread output past this closes the connection; the real service's limit (MAX_QUEUED_BYTES) is the same size. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const rethrow = (error: Error): void => {
  process.nextTick(() => {
    throw error;
  });
};

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

async function startMockSseServer(options: MockSseServerOptions = {}): Promise<MockSseServer> {
  const intervalMs = options.intervalMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  if (!Number.isFinite(intervalMs) || intervalMs < 10) throw new Error(`intervalMs must be ≥ 10, got ${intervalMs}`);
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 1000 || heartbeatMs > 60_000) {
    throw new Error(`heartbeatMs must be an integer in [1000, 60000] (the contract's range), got ${heartbeatMs}`);
  }
  const onError = options.onError ?? rethrow;
  const feed = createMockFeed({
    examples: loadMessageExamples(options.specPath ?? join(repoRoot, 'specs/asyncapi.yaml')),
    heartbeatIntervalMs: heartbeatMs,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  // Fail at start-up rather than on the first connection.
  for (const event of feed.opening('fresh')) for (const channel of CHANNELS) assertOnContract(event, channel);
  const gate = createStreamGate(options.openapiSpecPath ?? join(repoRoot, 'specs/openapi.yaml'));
  let dashboard: DashboardHandler | undefined;

  const clients = new Set<ServerResponse>();
  let failed = false;

  /** The frames of `events`, each checked against the contract first. */
  const framesOf = (events: readonly MockEvent[]): string => {
    let out = '';
    for (const event of events) {
      for (const channel of CHANNELS) assertOnContract(event, channel);
      out += frameEvent(event);
    }
    return out;
  };

  const fail = (error: unknown): void => {
    failed = true;
    clearInterval(itemTimer);
    clearInterval(heartbeatTimer);
    for (const client of clients) client.destroy();
    clients.clear();
    onError(asError(error));
  };

  const broadcast = (events: () => MockEvent[]): void => {
    if (failed) return;
    try {
      const text = framesOf(events());
      for (const client of clients) {
        // A client that stopped reading (a paused tab, a stuck proxy) must not grow memory without bound.
        if (!client.write(text) && client.writableLength > MAX_BUFFERED_BYTES) client.destroy();
      }
    } catch (error) {
      fail(error);
    }
  };

  const itemTimer = setInterval(() => {
    broadcast(() => feed.next());
  }, intervalMs);
  const heartbeatTimer = setInterval(() => {
    broadcast(() => [feed.heartbeat(clients.size)]);
  }, heartbeatMs);

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://mock.invalid');
    const method = request.method ?? 'GET';
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
    if (decision.kind === 'refuse') {
      sendAnswer(response, method, decision.operationId, decision, fail);
      return;
    }
    if (failed) {
      const detail = 'The mock stopped: its events broke the contract.';
      sendAnswer(response, method, undefined, problemAnswer(PROBLEM_TYPES.internal, detail), fail);
      return;
    }
    let opening: string;
    try {
      const outcome = decision.lastEventId === undefined ? 'fresh' : 'reset';
      opening = frameRetry(feed.retryMs) + framesOf(feed.opening(outcome));
    } catch (error) {
      const detail = 'The mock events broke the contract.';
      sendAnswer(response, method, undefined, problemAnswer(PROBLEM_TYPES.internal, detail), fail);
      fail(error);
      return;
    }
    request.socket.setNoDelay(true);
    response.writeHead(200, { ...API_SECURITY_HEADERS, ...SSE_HEADERS, ...CORS });
    if (method === 'HEAD') {
      response.end();
      return;
    }
    response.write(opening);
    clients.add(response);
    response.once('close', () => {
      clients.delete(response);
    });
  });

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
        let goodbye = '';
        try {
          if (!failed) goodbye = framesOf([feed.shutdown()]);
        } catch (error) {
          onError(asError(error));
        }
        for (const client of clients) client.end(goodbye);
        clients.clear();
        server.close(() => {
          closed();
        });
        server.closeAllConnections();
      })),
  };
}

export type { MockSseServer, MockSseServerOptions };
export { startMockSseServer };
