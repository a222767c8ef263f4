/**
 * What CORS lets a page on another origin send and read: the lists both the Node servers
 * (cors.ts) and the CDK stack's Function URLs (cdk/lib/tickerpulse-stack.ts) use. No imports, so
 * the stack can take them without the rest of the app.
 */

/** The request headers the contract has a client send (besides the ones every browser may). */
const CORS_REQUEST_HEADERS = ['Content-Type', 'Authorization', 'X-API-Key', 'X-User-ID', 'Last-Event-ID'] as const;

/** The response headers a client reads: where a created configuration is, when to try again, how to authenticate. */
const CORS_EXPOSED_HEADERS = ['Location', 'Retry-After', 'WWW-Authenticate'] as const;

/** How long a browser may reuse a preflight's answer, in seconds. */
const CORS_MAX_AGE_S = 3600;

export { CORS_EXPOSED_HEADERS, CORS_MAX_AGE_S, CORS_REQUEST_HEADERS };
