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
import { ServiceUnavailableError } from './errors.ts';
import { authorizeStream, type StreamRequest } from './stream-access.ts';

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

/** A Node response as the engine's sink. */
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
    onClose: (listener) => res.on('close', listener),
  };
}

function createStreamRoutes(deps: StreamRouteDeps): Partial<Record<OperationId, RequestHandler>> {
  const refuseAtCapacity = () => {
    deps.metrics.rejected('capacity');
    deps.logger.warn('stream refused: at capacity', { connections: deps.hub.size });
    return new ServiceUnavailableError(
      'This instance already serves its maximum number of streams.',
      deps.retryAfterSeconds,
      {
        type: '/problems/at-capacity',
        title: 'At capacity',
      },
    );
  };

  const open = async (req: Request, res: Response, connect: () => Parameters<Hub['connect']>[0]) => {
    if (!deps.hub.hasCapacity()) throw refuseAtCapacity();
    res.status(200).set(SSE_HEADERS);
    if (req.method === 'HEAD') {
      // The headers a GET would get, and no stream.
      res.end();
      return;
    }
    res.flushHeaders();
    req.socket.setNoDelay(true);
    // A stream is idle between events by design; Node's request timeouts must not cut it.
    req.socket.setTimeout(0);
    await deps.hub.connect(connect());
  };

  const route =
    (operationId: StreamRequest['operationId']): RequestHandler =>
    (req: Request, res: Response, next: NextFunction) => {
      void (async () => {
        const access = await authorizeStream(deps, {
          operationId,
          query: req.query,
          pathParams: req.params as Record<string, string>,
          headers: req.headers,
          remoteAddress: req.socket.remoteAddress,
        });
        await open(req, res, () => ({ sink: responseSink(res), ...access }));
      })().catch(next);
    };

  const streamGlobal = route('streamGlobal');
  const streamConfiguration = route('streamConfiguration');

  return { streamGlobal, streamConfiguration };
}

export type { StreamRouteDeps };
export { createStreamRoutes };
