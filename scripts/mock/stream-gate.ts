/**
 * Decides what a request to the mock SSE server gets, before any stream byte: a stream, or a
 * refusal. Checks come in the real server's order (src/http/stream-access.ts): parameters (400),
 * `Accept` (406), credentials (401, presence only, as Prism checks them); then `Prefer: code=`
 * (prefer.ts) picks any status the operation documents, answered with that response's example and
 * headers from specs/openapi.yaml (openapi-answers.ts), the same answer Prism gives. A
 * `Last-Event-ID` is never refused: the contract accepts any value.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  type ChannelKey,
  matchOperation,
  parsePathParams,
  parseQuery,
  type ValidationIssue,
} from '../../src/contract/index.ts';
import { type ProblemKind, PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { acceptsEventStream } from '../../src/http/stream-access.ts';
import {
  type Credential,
  type DocumentedResponse,
  loadStreamOperations,
  type StreamOperation,
  type StreamOperationId,
} from './openapi-answers.ts';
import { apiQuery, readPreference } from './prefer.ts';

/** A refusal (or any non-stream answer): status, headers and a problem body. */
interface MockAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
  /** Default `application/problem+json`; another where the contract documents another body. */
  readonly contentType?: string;
}

type StreamDecision =
  | {
      readonly kind: 'stream';
      readonly operationId: StreamOperationId;
      readonly channel: ChannelKey;
      readonly lastEventId: string | undefined;
    }
  | ({ readonly kind: 'refuse'; readonly operationId: StreamOperationId | undefined } & MockAnswer);

interface StreamGate {
  decide(method: string, url: URL, headers: IncomingHttpHeaders): StreamDecision;
}

const CHANNEL_OF: Readonly<Record<StreamOperationId, ChannelKey>> = {
  streamGlobal: 'globalStream',
  streamConfiguration: 'configurationStream',
};

/** The Problem schema's cap on `instance`; a cut never splits a percent-escape. */
const MAX_INSTANCE = 2048;
const asInstance = (pathname: string): string =>
  pathname.length <= MAX_INSTANCE ? pathname : pathname.slice(0, MAX_INSTANCE).replace(/%[0-9A-Fa-f]?$/, '');

/** Prism's own problems, for a preference the document cannot satisfy. */
const prismProblem = (kind: 'NOT_FOUND' | 'UNPROCESSABLE_ENTITY', detail: string): MockAnswer => ({
  status: kind === 'NOT_FOUND' ? 404 : 422,
  headers: {},
  body: {
    type: `https://stoplight.io/prism/errors#${kind}`,
    title: kind === 'NOT_FOUND' ? 'The server cannot find the requested content' : 'Invalid request',
    status: kind === 'NOT_FOUND' ? 404 : 422,
    detail,
  },
});

const firstHeader = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

function hasCredentials(credentials: readonly Credential[], headers: IncomingHttpHeaders, url: URL): boolean {
  if (credentials.length === 0) return true;
  return credentials.some((credential) => {
    if (credential.in === 'bearer') return /^Bearer\s+\S/i.test(firstHeader(headers.authorization) ?? '');
    if (credential.in === 'header') return (firstHeader(headers[credential.name]) ?? '') !== '';
    return (url.searchParams.get(credential.name) ?? '') !== '';
  });
}

/** The documented answer for `status`: the example named `example`, else the first. */
function documented(response: DocumentedResponse, status: number, example?: string): MockAnswer | undefined {
  const key = example ?? response.examples.keys().next().value;
  if (key === undefined || !response.examples.has(key)) return undefined;
  const body = response.examples.get(key) as Record<string, unknown>;
  return { status, headers: response.headers, body, contentType: response.contentType };
}

function createStreamGate(specPath: string): StreamGate {
  const byId = new Map<StreamOperationId, StreamOperation>(
    loadStreamOperations(specPath).map((operation) => [operation.operationId, operation]),
  );
  for (const operationId of byId.keys()) {
    if (!Object.hasOwn(CHANNEL_OF, operationId)) throw new Error(`${specPath}: no channel known for ${operationId}`);
  }

  const refuse = (operation: StreamOperation | undefined, answer: MockAnswer): StreamDecision => ({
    kind: 'refuse',
    operationId: operation?.operationId,
    ...answer,
  });
  /** The operation's documented answer for the kind's status; the registry's problem if it documents none. */
  const canned = (operation: StreamOperation, kind: ProblemKind, detail: string): StreamDecision => {
    const response = operation.refusals.get(kind.status);
    const answer = response === undefined ? undefined : documented(response, kind.status);
    const { type, title, status } = kind;
    return refuse(operation, answer ?? { status, headers: {}, body: { type, title, status, detail } });
  };
  const invalid = (operation: StreamOperation, url: URL, errors: ValidationIssue[]): StreamDecision => {
    const { type, title, status } = PROBLEM_TYPES.invalidRequest;
    const detail = 'The request does not match the contract.';
    return refuse(operation, {
      status,
      headers: {},
      body: { type, title, status, detail, instance: asInstance(url.pathname), errors },
    });
  };

  const decide = (method: string, url: URL, headers: IncomingHttpHeaders): StreamDecision => {
    const match = matchOperation('get', url.pathname);
    const operation = match === undefined ? undefined : byId.get(match.operationId as StreamOperationId);
    if (match === undefined || operation === undefined) {
      const { type, title, status } = PROBLEM_TYPES.notFound;
      const detail = `No stream at ${url.pathname.slice(0, 200)}; the mock SSE server serves ${[...byId.keys()].join(' and ')}.`;
      return refuse(undefined, { status, headers: {}, body: { type, title, status, detail } });
    }
    if (method !== 'GET' && method !== 'HEAD') {
      const { type, title, status } = PROBLEM_TYPES.methodNotAllowed;
      const body = { type, title, status, detail: 'Streams are opened with GET.' };
      return refuse(operation, { status, headers: { Allow: 'GET, HEAD, OPTIONS' }, body });
    }
    const preference = readPreference(headers.prefer, url.searchParams);
    if (!preference.ok) return refuse(operation, prismProblem('UNPROCESSABLE_ENTITY', preference.message));

    const issues: ValidationIssue[] = [];
    const query = parseQuery(operation.operationId, apiQuery(url.searchParams));
    if (!query.ok) issues.push(...query.issues);
    if (match.operationId === 'streamConfiguration') {
      const path = parsePathParams('streamConfiguration', match.pathParams);
      if (!path.ok) issues.push(...path.issues);
    }
    if (issues.length > 0) return invalid(operation, url, issues);
    if (!acceptsEventStream(firstHeader(headers.accept))) {
      return canned(operation, PROBLEM_TYPES.notAcceptable, 'This endpoint only produces text/event-stream.');
    }
    if (!hasCredentials(operation.credentials, headers, url)) {
      return canned(operation, PROBLEM_TYPES.unauthorized, 'Send credentials or a stream token.');
    }

    const { code, example } = preference.value;
    if (code !== undefined && code !== 200) {
      const response = operation.refusals.get(code);
      if (response === undefined) {
        return refuse(
          operation,
          prismProblem('NOT_FOUND', `Requested status code ${code} is not defined in the document.`),
        );
      }
      const answer = documented(response, code, example);
      if (answer === undefined) {
        const detail = `Response for contentType: application/problem+json and exampleKey: ${example ?? ''} does not exist.`;
        return refuse(operation, prismProblem('NOT_FOUND', detail));
      }
      return refuse(operation, answer);
    }
    const lastEventId = firstHeader(headers['last-event-id']) || (url.searchParams.get('last_event_id') ?? undefined);
    return {
      kind: 'stream',
      operationId: operation.operationId,
      channel: CHANNEL_OF[operation.operationId],
      lastEventId: lastEventId === '' ? undefined : lastEventId,
    };
  };
  return { decide };
}

export type { MockAnswer, StreamDecision, StreamGate };
export { createStreamGate };
