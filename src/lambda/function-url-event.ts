/**
 * The parts of a Function URL event (payload format 2.0) the stream handler uses, read
 * defensively: the aws-lambda types promise every field, but events from test tools, console
 * tests or another integration can lack some, and the answer must still be a clean problem.
 */
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

export type { RequestParts };
export { requestParts };
