/**
 * The parts of a Function URL event (payload format 2.0) the stream handler uses, read
 * defensively: the aws-lambda types promise every field, but events from test tools, console
 * tests or another integration can lack some, and the answer must still be a clean problem.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';

interface RequestParts {
  readonly method: string;
  readonly path: string;
  readonly rawQueryString: string;
  readonly headers: Record<string, string>;
  readonly sourceIp: string | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function requestParts(event: unknown): RequestParts {
  const root = isRecord(event) ? event : {};
  const context = isRecord(root.requestContext) ? root.requestContext : {};
  const http = isRecord(context.http) ? context.http : {};
  const headers: Record<string, string> = {};
  if (isRecord(root.headers)) {
    // Function URLs lower-case header names; a hand-made event may not.
    for (const [name, value] of Object.entries(root.headers))
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  return {
    method: (text(http.method) ?? 'GET').toUpperCase(),
    path: text(root.rawPath) ?? text(http.path) ?? '/',
    rawQueryString: text(root.rawQueryString) ?? '',
    headers,
    sourceIp: text(http.sourceIp),
  };
}

/**
 * A complete payload-2.0 event from whatever arrived. The express adapter throws on events it
 * cannot classify ("Unable to determine event source") or that lack `requestContext.http`;
 * normalised, a bare `{}` becomes `GET /`, and the app answers it with its own 404 problem.
 */
function normalizeFunctionUrlEvent(event: unknown): LambdaFunctionURLEvent {
  const root = isRecord(event) ? event : {};
  const parts = requestParts(event);
  const context = isRecord(root.requestContext) ? root.requestContext : {};
  const body = text(root.body);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: parts.path,
    rawQueryString: parts.rawQueryString,
    headers: parts.headers,
    ...(Array.isArray(root.cookies) ? { cookies: root.cookies.filter((c): c is string => typeof c === 'string') } : {}),
    requestContext: {
      accountId: text(context.accountId) ?? 'anonymous',
      apiId: text(context.apiId) ?? 'unknown',
      domainName: text(context.domainName) ?? parts.headers.host ?? 'localhost',
      domainPrefix: text(context.domainPrefix) ?? 'unknown',
      http: {
        method: parts.method,
        path: parts.path,
        protocol: 'HTTP/1.1',
        sourceIp: parts.sourceIp ?? '0.0.0.0',
        userAgent: parts.headers['user-agent'] ?? '',
      },
      requestId: text(context.requestId) ?? 'unknown',
      routeKey: '$default',
      stage: '$default',
      time: text(context.time) ?? '',
      timeEpoch: typeof context.timeEpoch === 'number' ? context.timeEpoch : 0,
    },
    isBase64Encoded: root.isBase64Encoded === true,
    ...(body === undefined ? {} : { body }),
  };
}

export type { RequestParts };
export { normalizeFunctionUrlEvent, requestParts };
