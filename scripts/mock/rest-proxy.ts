/**
 * The REST mock's front door: a small proxy on the REST port, Prism behind it on a loopback port
 * of its own. Everything goes to Prism and comes back as Prism answers it, except where Prism
 * is not what the real server is:
 *
 * - a 400 names the offending input. Prism's 400 body is the response's first example, naming
 *   another field; the proxy answers the real server's problem instead, its `errors` from the
 *   real server's checks and from Prism's `sl-violations` header (violations.ts);
 * - a query parameter the operation does not define, or one given twice, is a 400 (Prism lets
 *   both through; the real server refuses them), even when another status was asked with
 *   `Prefer: code=`, as Prism itself does for the violations it sees;
 * - a body that is not JSON is the real server's `malformed-json` 400 (Prism never answers it),
 *   and a body over 1 MiB its 413: Prism is sent no body then, so that its 401 (credentials are
 *   checked first) and 415 still come first.
 *
 * A 401, 413, 415 or 422 (Prism's refusal of a preference) from Prism is passed on untouched:
 * those come before the parameters are looked at. Every answer the proxy writes itself is checked
 * against the contract first; one that fails goes out as Prism's own answer, and is reported.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkProblem,
  checkResponse,
  matchOperation,
  type OperationId,
  operations,
  responseContract,
} from '../../src/contract/index.ts';
import { type ProblemKind, PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { asInstance } from './echo.ts';
import { mergeIssues, type RequestBody, requestIssues, violationIssues } from './violations.ts';

interface RestProxyOptions {
  readonly host: string;
  readonly port: number;
  /** Prism's URL, e.g. http://127.0.0.1:40123. */
  readonly upstream: string;
  /** Where an answer the proxy could not give is reported. */
  readonly log: (line: string) => void;
}

interface RestProxy {
  readonly url: string;
  close(): Promise<void>;
}

interface Upstream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The real server's body limit. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Prism answers in milliseconds; one that hangs must not hold the client forever. */
const UPSTREAM_TIMEOUT_MS = 30_000;
/** Prism's `sl-violations` header can be long (it cuts it itself past some length). */
const MAX_UPSTREAM_HEADER_BYTES = 256 * 1024;
/** Refusals that come before the real server looks at parameters or the body's content. */
const PASSED_FIRST = new Set([401, 413, 415, 422]);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'expect']);
/** Prism's CORS answer, for the answers the proxy gives without one of Prism's to copy. */
const CORS = { 'access-control-allow-origin': '*' } as const;
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

const withoutHopByHop = (headers: IncomingHttpHeaders): IncomingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));

/** The request body, up to the limit; past it the rest is read and dropped. */
function readBody(incoming: IncomingMessage): Promise<{ bytes: Buffer; tooLarge: boolean }> {
  return new Promise((done, failed) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    incoming.once('end', () => {
      done({ bytes: Buffer.concat(chunks), tooLarge: size > MAX_BODY_BYTES });
    });
    incoming.once('error', failed);
    // A client gone before the end of its body is not waited for.
    incoming.once('close', () => {
      if (!incoming.complete) failed(new Error('the client went away before the end of its request'));
    });
  });
}

/**
 * The request target as Prism may see it. Prism exits (URIError) on a path segment that does not
 * percent-decode (`/api/v2/configurations/%ZZ`, `%ff`), and `npm run mock` with it; such a segment
 * is sent with its `%` escaped, so Prism reads the text as sent and answers it (401, 400).
 */
function safeTarget(target: string): string {
  const query = target.indexOf('?');
  const path = query < 0 ? target : target.slice(0, query);
  const segments = path.split('/').map((segment) => {
    try {
      decodeURIComponent(segment);
      return segment;
    } catch {
      return segment.replaceAll('%', '%25');
    }
  });
  return segments.join('/') + (query < 0 ? '' : target.slice(query));
}

function forward(upstream: URL, incoming: IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((done, failed) => {
    const outgoing = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: safeTarget(incoming.url ?? '/'),
        headers: { ...withoutHopByHop(incoming.headers), 'content-length': String(body.length) },
        maxHeaderSize: MAX_UPSTREAM_HEADER_BYTES,
        timeout: UPSTREAM_TIMEOUT_MS,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => {
          done({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) });
        });
        answer.once('error', failed);
      },
    );
    outgoing.once('timeout', () =>
      outgoing.destroy(new Error(`Prism did not answer within ${UPSTREAM_TIMEOUT_MS} ms`)),
    );
    outgoing.once('error', failed);
    outgoing.end(body);
  });
}

function passOn(response: ServerResponse, upstream: Upstream): void {
  response.writeHead(upstream.status, withoutHopByHop(upstream.headers));
  response.end(upstream.body);
}

const problemOf = (kind: ProblemKind, detail: string, instance: string, extra: Record<string, unknown> = {}) => ({
  type: kind.type,
  title: kind.title,
  status: kind.status,
  detail,
  instance,
  ...extra,
});

/** The problem the real server answers about the body, if its bytes already settle it. */
function bodyProblem(
  operationId: OperationId,
  headers: IncomingHttpHeaders,
  body: { bytes: Buffer; tooLarge: boolean },
  instance: string,
): { problem: Record<string, unknown> | undefined; parsed: RequestBody } {
  if (body.tooLarge) {
    return {
      problem: problemOf(PROBLEM_TYPES.payloadTooLarge, 'The body is over 1 MiB.', instance),
      parsed: { sent: false },
    };
  }
  if (operations[operationId].body === null || body.bytes.length === 0)
    return { problem: undefined, parsed: { sent: false } };
  if (!JSON_MEDIA_TYPE.test(headers['content-type'] ?? '')) return { problem: undefined, parsed: { sent: false } };
  try {
    return { problem: undefined, parsed: { sent: true, value: JSON.parse(body.bytes.toString('utf8')) as unknown } };
  } catch {
    const detail = 'The request body is not valid JSON.';
    return { problem: problemOf(PROBLEM_TYPES.malformedJson, detail, instance), parsed: { sent: false } };
  }
}

async function startRestProxy(options: RestProxyOptions): Promise<RestProxy> {
  const upstreamUrl = new URL(options.upstream);

  /**
   * Writes the proxy's own problem with Prism's headers (CORS), or Prism's answer if the problem
   * would break the contract. Without an answer from Prism, only a valid problem goes out.
   */
  const answer = (
    response: ServerResponse,
    operationId: OperationId,
    problem: Record<string, unknown>,
    upstream: Upstream | undefined,
  ): void => {
    const status = Number(problem.status);
    const checked =
      responseContract(operationId, status) === undefined
        ? checkProblem(problem)
        : checkResponse(operationId, status, 'application/problem+json', problem);
    if (!checked.ok) {
      if (upstream === undefined) throw new Error(`its own ${status} broke the contract, and Prism gave no answer`);
      options.log(`mock REST proxy: passed Prism's ${upstream.status} on; its own ${status} broke the contract`);
      passOn(response, upstream);
      return;
    }
    const headers = upstream === undefined ? CORS : withoutHopByHop(upstream.headers);
    response.writeHead(status, { ...headers, 'content-type': 'application/problem+json' });
    response.end(JSON.stringify(problem));
  };

  const handle = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(incoming.url ?? '/', 'http://mock.invalid');
    const match = matchOperation(incoming.method ?? 'GET', url.pathname);
    const body = await readBody(incoming);
    if (match === undefined) {
      passOn(response, await forward(upstreamUrl, incoming, body.tooLarge ? Buffer.alloc(0) : body.bytes));
      return;
    }
    const { operationId } = match;
    const instance = asInstance(url.pathname);
    const judged = bodyProblem(operationId, incoming.headers, body, instance);
    // Prism never answers a body it cannot parse; without one it still says 401 or 415 where those come first.
    const sent = judged.problem === undefined && !body.tooLarge ? body.bytes : Buffer.alloc(0);
    const upstream = await forward(upstreamUrl, incoming, sent).catch((error: unknown) => {
      // Prism drops some requests it cannot read (a path segment `%ZZ`): the proxy's own checks still answer.
      options.log(`mock REST proxy: Prism gave no answer (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    });
    if (upstream !== undefined && PASSED_FIRST.has(upstream.status)) {
      passOn(response, upstream);
      return;
    }
    if (judged.problem !== undefined) {
      answer(response, operationId, judged.problem, upstream);
      return;
    }
    const own = requestIssues(operationId, url.searchParams, match.pathParams, judged.parsed);
    const prism = upstream?.status === 400 ? violationIssues(headerText(upstream.headers['sl-violations'])) : [];
    const errors = mergeIssues(own, prism);
    if (errors.length > 0) {
      const detail = 'The request does not match the contract.';
      answer(response, operationId, problemOf(PROBLEM_TYPES.invalidRequest, detail, instance, { errors }), upstream);
      return;
    }
    if (upstream === undefined) throw new Error('Prism gave no answer');
    passOn(response, upstream);
  };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      options.log(`mock REST proxy: ${incoming.method ?? '?'} ${incoming.url?.slice(0, 200) ?? ''} failed: ${message}`);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const { type, title, status } = PROBLEM_TYPES.internal;
      response.writeHead(status, { ...CORS, 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type, title, status, detail: 'The REST mock (Prism) did not answer.' }));
    });
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(options.port, options.host, () => {
      listening();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((closed) => {
        server.close(() => {
          closed();
        });
        server.closeAllConnections();
      }),
  };
}

const headerText = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(',') : value;

export type { RestProxy, RestProxyOptions };
export { startRestProxy };
