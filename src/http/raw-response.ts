/**
 * What a route served by plain node:http (the stream routes, ahead of express) needs of what
 * express would otherwise do: split and parse the URL the way the express app does, answer a
 * problem with the API's security headers, and log the request line at debug level.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ParsedUrlQuery, parse as parseQueryString } from 'node:querystring';
import { LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type { Logger } from '../observability/logger.ts';
import { ClientGoneError } from './client-gone.ts';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';
import { API_SECURITY_HEADERS } from './security-headers.ts';

/** The path and the raw query string (without `?`) of a request target. */
function splitUrl(url: string | undefined): { readonly path: string; readonly query: string } {
  const target = url ?? '/';
  const mark = target.indexOf('?');
  return mark === -1 ? { path: target, query: '' } : { path: target.slice(0, mark), query: target.slice(mark + 1) };
}

/**
 * A query string parsed as the express app parses it: flat (`a[b]=c` stays a key), repeated keys
 * as arrays, on a prototype-free object, and with no cap on the number of pairs. Node's default
 * cap (1000) silently drops the rest, which would let `&&&…&limit=0x10` slip past validation; the
 * request line is capped at 16 KiB anyway.
 */
function queryOf(text: string): ParsedUrlQuery {
  return parseQueryString(text, '&', '=', { maxKeys: 0 });
}

interface ProblemOptions {
  readonly logger: Logger;
}

/**
 * Answers `error` as a problem+json response with the API's security headers. A response whose
 * headers already went out cannot change its status: it is cut instead, as is one whose client
 * left (nobody to answer).
 */
function sendProblem(req: IncomingMessage, res: ServerResponse, error: unknown, options: ProblemOptions): void {
  const { path } = splitUrl(req.url);
  if (error instanceof ClientGoneError) return void res.destroy();
  const problem = toProblem(error, path);
  if (problem.unexpected) options.logger.error('request failed', { path, method: req.method, error });
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify(problem.body);
  res.writeHead(problem.status, {
    ...API_SECURITY_HEADERS,
    ...problem.headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * One line per request at debug level, when the response finishes; the path only, as query
 * strings can carry stream tokens. The level is read once (Powertools reads the environment on
 * every level check, which shows at thousands of connects); below debug, nothing is added.
 */
function requestLog(logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  if (logger.level > LogLevelThreshold.DEBUG) return () => undefined;
  return (req, res) => {
    const started = performance.now();
    res.on('finish', () => {
      logger.debug('request', {
        method: req.method,
        path: splitUrl(req.url).path,
        status: res.statusCode,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      });
    });
  };
}

export { queryOf, requestLog, sendProblem, splitUrl };
