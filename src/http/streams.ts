/**
 * The node:http adapter of the stream engine: the two SSE routes of the contract. The server's
 * request listener hands a stream request straight to this, before express: a connect is the
 * hot path of a dashboard fleet (every client, every reconnect), and express's routing, its
 * request and response wrappers and its middleware chain cost about as much per connect as the
 * rest of the work together (docs/performance.md, "Connect path"). express still forwards the
 * spellings its router also accepts (a trailing slash, other letter case) here, so every route
 * to a stream has one behaviour.
 *
 * Everything that can fail is checked before the first byte, so a refusal is a normal
 * problem+json answer: query parameters (400), Accept (406), credentials or stream token (401),
 * the configuration (404), capacity or a feed not read yet (503 + Retry-After). Only then do the
 * SSE headers go out.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { StreamTokens } from '../auth/index.ts';
import { matchOperation, type OperationId, operations } from '../contract/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { StreamMetrics } from '../observability/stream-metrics.ts';
import type { Store } from '../store/index.ts';
import { SSE_HEADERS } from '../stream/constants.ts';
import type { Hub } from '../stream/hub.ts';
import type { SseSink } from '../stream/sink.ts';
import type { RequestAuth } from './authenticate.ts';
import { type ClientWatch, watchClientGone } from './client-gone.ts';
import { ServiceUnavailableError } from './errors.ts';
import { isStreamOperation } from './handler.ts';
import { PROBLEM_TYPES } from './problem-types.ts';
import { queryOf, sendProblem, splitUrl } from './raw-response.ts';
import { API_SECURITY_HEADERS } from './security-headers.ts';
import {
  type CheckedStreamRequest,
  checkStreamRequest,
  identifyStreamClient,
  type StreamAccess,
  type StreamRequest,
} from './stream-access.ts';

/** Every header of an open stream, set in one writeHead. */
const STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...API_SECURITY_HEADERS, ...SSE_HEADERS });

/**
 * Idle time before the kernel starts probing a silent stream's peer. Probes only start on a
 * connection with nothing in flight for this long, so they are armed only when heartbeats are
 * further apart; with heartbeats at this interval or closer, a stream is never that idle and a
 * vanished peer is found by TCP's retransmission timeout instead (docs/streams.md).
 */
const KEEPALIVE_PROBE_AFTER_MS = 30_000;

interface StreamRouteDeps {
  readonly hub: Hub;
  readonly store: Store;
  readonly auth: RequestAuth;
  readonly streamTokens: StreamTokens;
  readonly metrics: StreamMetrics;
  readonly logger: Logger;
  /** Seconds a client refused at capacity (or before the feed could be read) should wait. */
  readonly retryAfterSeconds: number;
  readonly heartbeatIntervalMs: number;
}

/** Which stream a request asks for: the operation, its raw path parameters and its query (as queryOf parses it). */
interface StreamRoute {
  readonly operationId: StreamRequest['operationId'];
  readonly pathParams: Readonly<Record<string, string>>;
  readonly query: Record<string, unknown>;
}

/**
 * One stream request, whichever way it came in (node:http, or the lean path of
 * stream-sockets.ts): what the checks read, and the two ways it can be answered.
 */
interface StreamExchange {
  readonly method: string;
  /** Lower-cased names, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  remoteAddress(): string | undefined;
  /** Watches the client from now on: the signal aborts when it leaves. */
  watchGone(): ClientWatch;
  /** Answers a refusal as a problem; a stream whose headers went out is cut instead. */
  refuse(error: unknown): void;
  /**
   * Accepts: the stream's headers (sent with its first frames) on a socket prepared for a stream,
   * and the sink the engine writes to; undefined for HEAD, which is answered with the headers.
   */
  accept(heartbeatIntervalMs: number): SseSink | undefined;
}

interface StreamRoutes {
  /** Serves the stream `route` names on this request, or its refusal. */
  serve(req: IncomingMessage, res: ServerResponse, route: StreamRoute): void;
  /** The same, for a request that did not come through node:http. */
  serveExchange(exchange: StreamExchange, route: StreamRoute): void;
}

/** The last segment of every stream operation's path: any other request skips the route table. */
const STREAM_PATH_ENDINGS = [
  ...new Set(
    (Object.keys(operations) as OperationId[])
      .filter(isStreamOperation)
      .map((operationId) => operations[operationId].path.slice(operations[operationId].path.lastIndexOf('/'))),
  ),
];

/** The stream a GET or HEAD on the contract's exact path asks for; undefined for anything else. */
function matchStreamRoute(req: {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
}): StreamRoute | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const { path, query } = splitUrl(req.url);
  if (!STREAM_PATH_ENDINGS.some((ending) => path.endsWith(ending))) return undefined;
  const match = matchOperation('GET', path);
  if (match?.operationId !== 'streamGlobal' && match?.operationId !== 'streamConfiguration') return undefined;
  return { operationId: match.operationId, pathParams: match.pathParams, query: queryOf(query) };
}

/**
 * A Node response as the engine's sink. A response that closed before the engine listened (the
 * client left while it was being authorized) still reports its close, one tick later, so the
 * subscriber it became is freed rather than holding a stream slot forever. A class, not an object
 * of closures: one per open stream, and the methods are shared.
 */
class ResponseSink implements SseSink {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  write(chunk: string): boolean {
    return this.#res.write(chunk);
  }

  end(): void {
    this.#res.end();
  }

  destroy(): void {
    this.#res.destroy();
  }

  onDrain(listener: () => void): void {
    this.#res.on('drain', listener);
  }

  onClose(listener: () => void): void {
    if (this.#res.closed || this.#res.destroyed) setImmediate(listener);
    else this.#res.once('close', listener);
  }
}

/** The socket settings of a stream: small frames at once, no request timeout, dead peers found. */
function prepareStreamSocket(socket: Socket, heartbeatIntervalMs: number): void {
  socket.setNoDelay(true);
  // A stream is idle between events by design; Node's request timeouts must not cut it.
  socket.setTimeout(0);
  // A peer that vanished without a FIN between heartbeats far apart is found by keep-alive probes.
  if (heartbeatIntervalMs > KEEPALIVE_PROBE_AFTER_MS) socket.setKeepAlive(true, KEEPALIVE_PROBE_AFTER_MS);
}

/** A node:http request and its response as a stream exchange. */
function nodeExchange(req: IncomingMessage, res: ServerResponse, logger: Logger): StreamExchange {
  return {
    method: req.method ?? 'GET',
    headers: req.headers,
    remoteAddress: () => req.socket.remoteAddress,
    watchGone: () => watchClientGone(res),
    refuse: (error) => {
      sendProblem(req, res, error, { logger });
    },
    accept: (heartbeatIntervalMs) => {
      // No flushHeaders(): the headers go out with the opening frames, in one write (one packet)
      // instead of two; the opening follows at once (or after the first snapshot of a new view).
      res.writeHead(200, STREAM_HEADERS);
      if (req.method === 'HEAD') {
        // The headers a GET would get, and no stream.
        res.end();
        return undefined;
      }
      prepareStreamSocket(req.socket, heartbeatIntervalMs);
      return new ResponseSink(res);
    },
  };
}

function createStreamRoutes(deps: StreamRouteDeps): StreamRoutes {
  const refuseAtCapacity = () => {
    deps.metrics.rejected('capacity');
    deps.logger.warn('stream refused: at capacity', { connections: deps.hub.size });
    return new ServiceUnavailableError('This instance already serves its maximum number of streams.', {
      retryAfterSeconds: deps.retryAfterSeconds,
      kind: PROBLEM_TYPES.atCapacity,
    });
  };

  const refuseNotReady = () => {
    deps.logger.warn('stream refused: the feed head is not known yet');
    return new ServiceUnavailableError('Streams start once the feed can be read; try again shortly.', {
      retryAfterSeconds: deps.retryAfterSeconds,
    });
  };

  /** Opens an authorized stream: capacity and readiness (503), the SSE headers, then the engine. */
  const open = (exchange: StreamExchange, access: StreamAccess): void => {
    if (!deps.hub.hasCapacity()) throw refuseAtCapacity();
    if (!deps.hub.isReady()) throw refuseNotReady();
    const sink = exchange.accept(deps.heartbeatIntervalMs);
    if (sink === undefined) return;
    deps.hub.connect({ sink, ...access }).catch((error: unknown) => {
      exchange.refuse(error);
    });
  };

  /**
   * A configuration's stream: identifying the client reads (a key set, the store), so the
   * connection is watched meanwhile; a client that left stops it there and takes no slot.
   */
  const identifyThenOpen = (
    exchange: StreamExchange,
    checked: Extract<CheckedStreamRequest, { kind: 'identify' }>,
  ): void => {
    const { signal, release } = exchange.watchGone();
    identifyStreamClient(deps, checked, exchange.headers, signal)
      .then((access) => {
        release();
        if (!signal.aborted) open(exchange, access);
      })
      .catch((error: unknown) => {
        release();
        // A client that left needs no answer (and its leaving is no server error).
        if (!signal.aborted) exchange.refuse(error);
      });
  };

  const serveExchange = (exchange: StreamExchange, route: StreamRoute): void => {
    try {
      const checked = checkStreamRequest({
        operationId: route.operationId,
        query: route.query,
        pathParams: route.pathParams,
        headers: exchange.headers,
        remoteAddress: () => exchange.remoteAddress(),
      });
      // The global stream needs nothing more: it opens in this tick, so there is no await during
      // which its client could leave unnoticed (a socket closed already is freed by its sink).
      if (checked.kind === 'open') open(exchange, checked.access);
      else identifyThenOpen(exchange, checked);
    } catch (error) {
      exchange.refuse(error);
    }
  };

  const serve = (req: IncomingMessage, res: ServerResponse, route: StreamRoute): void => {
    serveExchange(nodeExchange(req, res, deps.logger), route);
  };

  return { serve, serveExchange };
}

export type { StreamExchange, StreamRoute, StreamRouteDeps, StreamRoutes };
export { createStreamRoutes, matchStreamRoute, prepareStreamSocket, STREAM_HEADERS };
