/**
 * The express app serving the REST operations of specs/openapi.yaml. Routes come from the
 * contract's operation map, and `Handlers` requires one handler per operation that is not a
 * stream, so a documented operation without a handler is a type error (and a start-up error for
 * an untyped caller). A host without stream routes answers the stream operations with a 400
 * problem naming where streams are served, never a bare 405. Each request passes, in this order:
 * credentials (401), media type and encoding of a body (415), reading and parsing it (413, 400),
 * the contract's validators for query, path and body (400), then the handler. Every error leaves
 * through toProblem().
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { type OperationId, operations } from '../contract/index.ts';
import type { Logger } from '../observability/logger.ts';
import { authenticateRequest, type Principal, type RequestAuth } from './authenticate.ts';
import { ClientGoneError, watchClientGone } from './client-gone.ts';
import { findDuplicateKey } from './duplicate-keys.ts';
import { BadRequestError, MethodNotAllowedError, NotFoundError, UnsupportedMediaTypeError } from './errors.ts';
import {
  type HandlerResult,
  type Handlers,
  isStreamOperation,
  type RestOperationId,
  type StreamOperationId,
} from './handler.ts';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';
import { PROBLEM_TYPES } from './problem-types.ts';
import { queryOf, requestLog } from './raw-response.ts';
import { parseRequest } from './request.ts';
import type { StreamRoutes } from './streams.ts';

/** The contract's 413 threshold. */
const MAX_BODY_BYTES = 1024 * 1024;

interface AppOptions {
  /** One handler per REST operation (the stream operations are `streamRoutes`). */
  readonly handlers: Handlers;
  readonly auth: RequestAuth;
  readonly logger: Logger;
  /**
   * The SSE operations, served by the stream engine (GET, and HEAD with headers only). The server
   * hands the contract's exact paths to them before express; this app forwards the other
   * spellings its router matches. Without them (the REST Lambda) each answers 400
   * `stream-served-elsewhere`.
   */
  readonly streamRoutes?: StreamRoutes;
  /** Extra routes mounted before the contract's (e.g. static files). */
  readonly extend?: (app: express.Express) => void;
}

/** `/api/v2/configurations/{config_id}` → `/api/v2/configurations/:config_id` */
const expressPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

/** A stream operation on a host that serves none (the contract lists 400 for both). */
const streamServedElsewhere: express.RequestHandler = (_req, _res, next) => {
  next(
    new BadRequestError('Event streams are not served by this function; connect to the stream function URL instead.', {
      kind: PROBLEM_TYPES.streamServedElsewhere,
    }),
  );
};

/** A stream operation's express route: the other spellings of its path, or the refusal of a host without streams. */
function streamRoute(operationId: StreamOperationId, streams: StreamRoutes | undefined): express.RequestHandler {
  if (streams === undefined) return streamServedElsewhere;
  return (req, res) => {
    // req.query is parsed by queryOf, as the server's own stream path parses it.
    streams.serve(req, res, { operationId, pathParams: req.params as Record<string, string>, query: req.query });
  };
}

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
  // `/API/v2/items` is not the API's spelling: a 404, with the API's headers (api-path.ts).
  app.set('case sensitive routing', true);
  app.set('etag', false);
  // Query strings are parsed flat (`a[b]=c` stays a key): the contract has no nested parameters.
  app.set('query parser', queryOf);
  const logRequest = requestLog(options.logger);
  app.use((req, res, next) => {
    logRequest(req, res);
    next();
  });
  options.extend?.(app);

  // `inflate: false`: compressed bodies are refused (415) before this, never decompressed.
  const jsonBody = express.json({
    limit: MAX_BODY_BYTES,
    strict: true,
    type: 'application/json',
    inflate: false,
    verify: refuseDuplicateKeys,
  });
  const methodsByPath = new Map<string, string[]>();
  const principals = new WeakMap<Request, Principal>();
  // The caller first: credentials are checked before the body is even read, so an anonymous
  // client learns nothing about what the body should be and costs no parsing.
  const authenticate =
    (operationId: OperationId): express.RequestHandler =>
    async (req, _res, next) => {
      try {
        principals.set(req, await authenticateRequest(options.auth, operationId, req));
        next();
      } catch (error) {
        next(error);
      }
    };

  for (const operationId of Object.keys(operations) as OperationId[]) {
    const operation = operations[operationId];
    const path = expressPath(operation.path);
    methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), operation.method.toUpperCase()]);
    if (isStreamOperation(operationId)) {
      app.get(path, streamRoute(operationId, options.streamRoutes));
      continue;
    }
    const handler = options.handlers[operationId] as Handlers[RestOperationId] | undefined;
    // The type requires every handler; a caller outside the type checker still fails here, at start.
    if (handler === undefined) throw new Error(`no handler for the operation ${operationId}`);
    // authenticate → media type → read and parse JSON → validate → handler.
    const body = operation.body === null ? [] : [requireJson, jsonBody];
    const route = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const parsed = parseRequest(operationId, req);
        const principal = principals.get(req);
        if (principal === undefined) throw new Error(`${operationId}: no principal after authentication`);
        // Each handler is typed for its own operation; the contract check above is what makes
        // the parsed values match those types.
        const run = handler as (context: unknown) => Promise<HandlerResult>;
        send(res, await run({ ...parsed, principal, request: req, signal: watchClientGone(res).signal }));
      } catch (error) {
        next(error);
      }
    };
    app[operation.method](path, authenticate(operationId), ...body, route);
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
    // Work stopped because the client left (the handler's signal): nobody to answer, nothing failed.
    if (error instanceof ClientGoneError) return void res.destroy();
    const problem = toProblem(error, req.path);
    if (problem.unexpected) options.logger.error('request failed', { path: req.path, method: req.method, error });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(problem.status).set(problem.headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem.body));
  });
  return app;
}

/**
 * Bodies are what the contract accepts or nothing: `application/json`, in UTF-8 (no charset
 * parameter, or `utf-8`), not compressed (no Content-Encoding, or `identity`). Anything else is
 * 415 before a byte is read; without this, express.json would decode a body declared UTF-16 and
 * inflate gzip, deflate and brotli.
 */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) {
    next();
    return;
  }
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    next(new UnsupportedMediaTypeError('Send the body uncompressed (no Content-Encoding).'));
    return;
  }
  if (req.is('application/json') === false) {
    next(new UnsupportedMediaTypeError('Send the body as application/json.'));
    return;
  }
  const charset = charsetOf(req.headers['content-type'] ?? '');
  if (charset !== undefined && charset !== 'utf-8') {
    next(new UnsupportedMediaTypeError('Send the body as application/json in UTF-8 (charset=utf-8, or no charset).'));
    return;
  }
  next();
}

/** Runs on the raw body before JSON.parse, which would silently keep the last of two equal names. */
function refuseDuplicateKeys(_req: unknown, _res: unknown, body: Buffer): void {
  const name = findDuplicateKey(body);
  if (name === undefined) return;
  throw new BadRequestError(
    `The member name ${JSON.stringify(name.slice(0, 100))} occurs twice in one object; send each name once.`,
    { kind: PROBLEM_TYPES.malformedJson },
  );
}

/** The lower-cased `charset` parameter of a Content-Type (quoted or not), if any. */
function charsetOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const [name = '', ...value] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const text = value.join('=').trim();
    const unquoted = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
    return unquoted.toLowerCase();
  }
  return undefined;
}

export type { AppOptions };
export { createApp, MAX_BODY_BYTES };
