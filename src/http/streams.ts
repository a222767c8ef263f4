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
import { authenticateUser, type RequestAuth } from './authenticate.ts';
import { NotAcceptableError, NotFoundError, ServiceUnavailableError, UnauthorizedError } from './errors.ts';
import { parseRequest } from './request.ts';

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

/** EventSource sends `Accept: text/event-stream`; a client that accepts none of it gets 406. */
function acceptsEventStream(req: Request): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return true;
  return req.accepts('text/event-stream') !== false;
}

function lastEventIdOf(req: Request, query: { last_event_id?: string | undefined }): string | undefined {
  const header = req.headers['last-event-id'];
  // The header wins (the browser sends it on reconnect, newer than the URL's first-connect id).
  if (typeof header === 'string' && header !== '') return header;
  return query.last_event_id;
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

  const streamGlobal: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const { query } = parseRequest('streamGlobal', req) as { query: { last_event_id?: string } };
      if (!acceptsEventStream(req)) throw new NotAcceptableError('This endpoint only produces text/event-stream.');
      await open(req, res, () => ({
        sink: responseSink(res),
        clientId: `ip:${req.socket.remoteAddress ?? 'unknown'}`,
        lastEventId: lastEventIdOf(req, query),
      }));
    })().catch(next);
  };

  const streamConfiguration: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const { query, pathParams } = parseRequest('streamConfiguration', req) as {
        query: { last_event_id?: string; token?: string };
        pathParams: { config_id: string };
      };
      if (!acceptsEventStream(req)) throw new NotAcceptableError('This endpoint only produces text/event-stream.');
      let userId: string;
      if (query.token !== undefined) {
        const verified = await deps.streamTokens.verify(query.token, pathParams.config_id);
        if (!verified.ok) {
          throw new UnauthorizedError(
            verified.reason === 'expired'
              ? 'The stream token has expired; mint a new one.'
              : 'The stream token is not valid for this configuration.',
          );
        }
        userId = verified.userId;
      } else {
        const principal = await authenticateUser(deps.auth, req);
        if (principal.kind !== 'user') throw new UnauthorizedError('A user is required.');
        userId = principal.userId;
      }
      const configuration = await deps.store.getConfiguration(userId, pathParams.config_id);
      if (configuration === null) throw new NotFoundError(`No configuration ${pathParams.config_id}.`);
      await open(req, res, () => ({
        sink: responseSink(res),
        clientId: userId,
        lastEventId: lastEventIdOf(req, query),
        configuration: { userId, value: configuration },
      }));
    })().catch(next);
  };

  return { streamGlobal, streamConfiguration };
}

export type { StreamRouteDeps };
export { createStreamRoutes };
