/**
 * CORS: which browser pages on other origins may call the API and open its streams, and what
 * they may send and read. One policy for REST and both streams. The Node servers apply it to
 * every `/api/` request before routing (`CORS_ALLOWED_ORIGINS`); on AWS the Function URLs apply
 * it, built from the same lists (cdk/lib/tickerpulse-stack.ts), since a Function URL with CORS
 * answers preflights itself.
 *
 * - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed
 *   origin, on a path of the contract, gets 204 with the path's methods and the request headers
 *   the contract uses, cached for an hour.
 * - Any other request from an allowed origin gets `Access-Control-Allow-Origin` (its own origin,
 *   never `*`) and the response headers a client reads.
 * - A refused origin gets no CORS header at all (its preflight goes on to the API, which answers
 *   `OPTIONS` with 405), so the browser keeps the answer from the page.
 * - Every `/api/` answer says `Vary: Origin` when any origin is allowed, so a cache never hands
 *   one origin's answer to another.
 *
 * No credentials mode: the API authenticates with headers (Authorization, X-API-Key, X-User-ID)
 * or a stream token in the URL, never cookies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchOperation } from '../contract/index.ts';
import { CORS_EXPOSED_HEADERS, CORS_MAX_AGE_S, CORS_REQUEST_HEADERS } from './cors-headers.ts';
import { API_SECURITY_HEADERS } from './security-headers.ts';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const VARY_ONLY: Readonly<Record<string, string>> = Object.freeze({ Vary: 'Origin' });

/** The methods of the contract's operations on `path` (HEAD with GET), or none for a path it does not have. */
function methodsOf(path: string): string[] {
  const methods = METHODS.filter((method) => matchOperation(method, path) !== undefined);
  return methods.includes('GET') ? [...methods, 'HEAD'] : methods;
}

/**
 * An allowed origin: `scheme://host[:port]` exactly as a browser sends it, or `scheme://host:*`
 * for any port of that host (what `npm start` allows for pages on local dev servers).
 */
function originMatcher(allowed: readonly string[]): (origin: string) => boolean {
  const exact = new Set(allowed.filter((entry) => !entry.endsWith(':*')));
  const anyPort = allowed.filter((entry) => entry.endsWith(':*')).map((entry) => entry.slice(0, -1));
  return (origin) => {
    if (exact.has(origin)) return true;
    const prefix = anyPort.find((start) => origin.startsWith(start));
    return prefix !== undefined && /^[1-9][0-9]{0,4}$/.test(origin.slice(prefix.length));
  };
}

interface Cors {
  /**
   * Applies the policy to an `/api/` request: answers a preflight (true: nothing more to do), or
   * sets the headers the answer will carry and returns false.
   */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** The headers `handle` sets on an answer that is not a preflight, for a request from `origin`. */
  headersFor(origin: string | undefined): Readonly<Record<string, string>>;
}

function createCors(allowedOrigins: readonly string[]): Cors {
  const allows = originMatcher(allowedOrigins);
  const exposed = CORS_EXPOSED_HEADERS.join(', ');
  const requestHeaders = CORS_REQUEST_HEADERS.join(', ');
  return {
    handle(req, res, path) {
      if (allowedOrigins.length === 0) return false;
      res.setHeader('Vary', 'Origin');
      const { origin } = req.headers;
      if (origin === undefined || !allows(origin)) return false;
      const methods = methodsOf(path);
      if (
        req.method === 'OPTIONS' &&
        req.headers['access-control-request-method'] !== undefined &&
        methods.length > 0
      ) {
        res.writeHead(204, {
          ...API_SECURITY_HEADERS,
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': methods.join(', '),
          'Access-Control-Allow-Headers': requestHeaders,
          'Access-Control-Max-Age': String(CORS_MAX_AGE_S),
        });
        res.end();
        return true;
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', exposed);
      return false;
    },
    headersFor(origin) {
      if (allowedOrigins.length === 0) return NO_HEADERS;
      if (origin === undefined || !allows(origin)) return VARY_ONLY;
      return { Vary: 'Origin', 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': exposed };
    },
  };
}

export type { Cors };
export { createCors, originMatcher };
