/**
 * The express adapter of the stream engine: the two SSE routes of the contract. Everything that
 * can fail is checked before the first byte, so a refusal is a normal problem+json answer:
 * query parameters (400), Accept (406), credentials or stream token (401), the configuration
 * (404), capacity (503 + Retry-After). Only then do the SSE headers go out.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { StreamTokens } from '../auth/index.ts';
import type { OperationId } from '../contract/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { StreamMetrics } from '../observability/stream-metrics.ts';
import type { Store } from '../store/index.ts';
import { SSE_HEADERS } from '../stream/constants.ts';
import type { Hub } from '../stream/hub.ts';
import type { SseSink } from '../stream/sink.ts';
import type { RequestAuth } from './authenticate.ts';
import { watchClientGone } from './client-gone.ts';
import { ServiceUnavailableError } from './errors.ts';
import { PROBLEM_TYPES } from './problem-types.ts';
import { authorizeStream, type StreamRequest } from './stream-access.ts';

const SSE_HEADER_ENTRIES = Object.entries(SSE_HEADERS);

/** Idle time before the kernel starts probing a silent stream's peer. */
const KEEPALIVE_PROBE_AFTER_MS = 30_000;

interface StreamRouteDeps {
  readonly hub: Hub;
  readonly store: Store;
  readonly auth: RequestAuth;
  readonly streamTokens: StreamTokens;
  readonly metrics: StreamMetrics;
  readonly logger: Logger;
  /** Seconds a client refused at capacity should wait. */
  readonly retryAfterSeconds: number;
}

/**
 * A Node response as the engine's sink. A response that closed before the engine listened (the
 * client left while it was being authorized) still reports its close, one tick later, so the
 * subscriber it became is freed rather than holding a stream slot forever.
 */
function responseSink(res: Response): SseSink {
  return {
    write: (chunk) => res.write(chunk),
    end: () => {
      res.end();
    },
    destroy: () => {
      res.destroy();
    },
    onDrain: (listener) => res.on('drain', listener),
    onClose: (listener) => {
      if (res.closed || res.destroyed) setImmediate(listener);
      else res.once('close', listener);
    },
  };
}

function createStreamRoutes(deps: StreamRouteDeps): Partial<Record<OperationId, RequestHandler>> {
  const refuseAtCapacity = () => {
    deps.metrics.rejected('capacity');
    deps.logger.warn('stream refused: at capacity', { connections: deps.hub.size });
    return new ServiceUnavailableError(
      'This instance already serves its maximum number of streams.',
      deps.retryAfterSeconds,
      PROBLEM_TYPES.atCapacity,
    );
  };

  const open = async (
    req: Request,
    res: Response,
    signal: AbortSignal,
    connect: () => Parameters<Hub['connect']>[0],
  ) => {
    // Gone while it was being authorized: nothing was taken, nothing to answer.
    if (signal.aborted) return;
    if (!deps.hub.hasCapacity()) throw refuseAtCapacity();
    res.statusCode = 200;
    // setHeader, not express's res.set: that re-parses the Content-Type on every connect.
    for (const [name, value] of SSE_HEADER_ENTRIES) res.setHeader(name, value);
    if (req.method === 'HEAD') {
      // The headers a GET would get, and no stream.
      res.end();
      return;
    }
    // No flushHeaders(): the headers go out with the opening frames, in one write (one packet)
    // instead of two; the opening follows at once (or after the first snapshot of a new view).
    req.socket.setNoDelay(true);
    // A stream is idle between events by design; Node's request timeouts must not cut it.
    req.socket.setTimeout(0);
    // A peer that vanished without a FIN on a quiet stream is found by TCP keep-alive probes.
    req.socket.setKeepAlive(true, KEEPALIVE_PROBE_AFTER_MS);
    await deps.hub.connect(connect());
  };

  const route =
    (operationId: StreamRequest['operationId']): RequestHandler =>
    (req: Request, res: Response, next: NextFunction) => {
      const { signal, release } = watchClientGone(res);
      void (async () => {
        const access = await authorizeStream(deps, {
          operationId,
          query: req.query,
          pathParams: req.params as Record<string, string>,
          headers: req.headers,
          remoteAddress: req.socket.remoteAddress,
          signal,
        });
        await open(req, res, signal, () => {
          release();
          return { sink: responseSink(res), ...access };
        });
      })().catch((error: unknown) => {
        // A client that left needs no answer (and its leaving is no server error).
        if (!signal.aborted) next(error);
      });
    };

  const streamGlobal = route('streamGlobal');
  const streamConfiguration = route('streamConfiguration');

  return { streamGlobal, streamConfiguration };
}

export type { StreamRouteDeps };
export { createStreamRoutes };
