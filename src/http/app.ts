/**
 * The express app serving the REST operations of specs/openapi.yaml. Routes come from the
 * contract's operation map, so a documented operation without a handler, or a handler without an
 * operation, is a start-up error rather than a silent 404. Requests are checked with the
 * generated validators before a handler runs; every error leaves through toProblem().
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { type OperationId, operations } from '../contract/index.ts';
import type { Logger } from '../observability/logger.ts';
import { authenticateRequest, type RequestAuth } from './authenticate.ts';
import { MethodNotAllowedError, NotFoundError, UnsupportedMediaTypeError } from './errors.ts';
import type { HandlerResult, Handlers } from './handler.ts';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';
import { parseRequest } from './request.ts';

/** The contract's 413 threshold. */
const MAX_BODY_BYTES = 1024 * 1024;

interface AppOptions {
  /** One handler per REST operation it serves (streams are added by the stream engine). */
  readonly handlers: Handlers;
  readonly auth: RequestAuth;
  readonly logger: Logger;
  /** Puts internal error messages in 500 problems; development only. */
  readonly exposeErrors?: boolean;
  /** The SSE operations, served by the stream engine (GET, and HEAD with headers only). */
  readonly streamRoutes?: Partial<Record<OperationId, express.RequestHandler>>;
  /** Extra routes mounted before the contract's (e.g. static files). */
  readonly extend?: (app: express.Express) => void;
}

/** `/api/v2/configurations/{config_id}` → `/api/v2/configurations/:config_id` */
const expressPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

function send(res: Response, result: HandlerResult): void {
  res.status(result.status);
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
  if (result.text !== undefined) res.type(result.text.contentType).send(result.text.content);
  else if (result.body === undefined) res.end();
  else res.json(result.body);
}

function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Query strings are parsed flat (`a[b]=c` stays a key): the contract has no nested parameters.
  app.set('query parser', 'simple');
  // One line per request at debug level. The path only: query strings can carry stream tokens.
  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      options.logger.debug('request', {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      });
    });
    next();
  });
  options.extend?.(app);

  const jsonBody = express.json({ limit: MAX_BODY_BYTES, strict: true, type: 'application/json' });
  const methodsByPath = new Map<string, string[]>();

  for (const operationId of Object.keys(operations) as OperationId[]) {
    const operation = operations[operationId];
    const handler = options.handlers[operationId];
    const path = expressPath(operation.path);
    methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), operation.method.toUpperCase()]);
    const streamRoute = options.streamRoutes?.[operationId];
    if (streamRoute !== undefined) {
      app.get(path, streamRoute);
      continue;
    }
    if (handler === undefined) continue;
    const middleware = operation.body === null ? [] : [requireJson, jsonBody];
    app[operation.method](path, ...middleware, async (req: Request, res: Response, next: NextFunction) => {
      try {
        const parsed = parseRequest(operationId, req);
        const principal = await authenticateRequest(options.auth, operationId, req);
        // Each handler is typed for its own operation; the contract check above is what makes
        // the parsed values match those types.
        const run = handler as (context: unknown) => Promise<HandlerResult>;
        send(res, await run({ ...parsed, principal, request: req }));
      } catch (error) {
        next(error);
      }
    });
  }

  // A known path with another method is 405 with Allow; anything else is 404, both as problems.
  for (const [path, methods] of methodsByPath) {
    app.all(path, (_req, _res, next) => {
      next(new MethodNotAllowedError(methods.includes('GET') ? [...methods, 'HEAD'] : methods));
    });
  }
  app.use((req, _res, next) => {
    next(new NotFoundError(`No route for ${req.method} ${req.path}.`));
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = toProblem(error, req.path, options.exposeErrors ?? false);
    if (problem.unexpected)
      options.logger.error('request failed', { path: req.path, method: req.method, error: error as Error });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(problem.status).set(problem.headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem.body));
  });
  return app;
}

/** Bodies are JSON only: anything else is 415 before a byte is parsed. */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && req.is('application/json') === false) {
    next(new UnsupportedMediaTypeError('Send the body as application/json.'));
    return;
  }
  next();
}

export type { AppOptions };
export { createApp, MAX_BODY_BYTES };
