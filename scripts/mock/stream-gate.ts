/**
 * Decides what a request to the mock SSE server gets, before any stream byte: a stream, or a
 * refusal. Checks come in the real server's order (src/http/stream-access.ts): parameters (400),
 * `Accept` (406), credentials (401, presence only, as Prism checks them); then `Prefer: code=`
 * (prefer.ts) picks any status the operation documents, answered with that response's example and
 * headers from specs/openapi.yaml (openapi-answers.ts), the same answer Prism gives. Then the
 * configuration (configurations.ts): one the mock does not know is a 404, as on the real server.
 * A `Last-Event-ID` is never refused: the contract accepts any value. Whatever a refusal quotes of
 * the request is cut to fit the Problem schema (echo.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  type ChannelKey,
  MAX_ISSUES,
  matchOperation,
  parsePathParams,
  parseQuery,
  type ValidationIssue,
} from '../../src/contract/index.ts';
import { type ProblemKind, PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { acceptsEventStream } from '../../src/http/stream-access.ts';
import { describeConfiguration, type KnownConfiguration } from './configurations.ts';
import { asInstance, clip } from './echo.ts';
import {
  type Credential,
  type DocumentedResponse,
  loadStreamOperations,
  type StreamOperation,
  type StreamOperationId,
} from './openapi-answers.ts';
import { apiQuery, readPreference, type Scenario } from './prefer.ts';

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
      /** The configuration whose tickers the stream carries; undefined: the global stream. */
      readonly configuration: KnownConfiguration | undefined;
      /** The edge the stream is to play (Prefer: scenario= or ?__scenario=). */
      readonly scenario: Scenario | undefined;
    }
  | ({ readonly kind: 'refuse'; readonly operationId: StreamOperationId | undefined } & MockAnswer);

interface StreamGate {
  decide(method: string, url: URL, headers: IncomingHttpHeaders): StreamDecision;
}

const CHANNEL_OF: Readonly<Record<StreamOperationId, ChannelKey>> = {
  streamGlobal: 'globalStream',
  streamConfiguration: 'configurationStream',
};

/** How many known configurations a 404 lists. */
const LISTED_CONFIGURATIONS = 5;

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

/** The stream's query and path parameters checked as the real server checks them. */
function parameterIssues(
  operationId: StreamOperationId,
  url: URL,
  pathParams: Record<string, string>,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const query = parseQuery(operationId, apiQuery(url.searchParams));
  if (!query.ok) issues.push(...query.issues);
  if (operationId === 'streamConfiguration') {
    const path = parsePathParams('streamConfiguration', pathParams);
    if (!path.ok) issues.push(...path.issues);
  }
  return issues;
}

/** The registry's 404, as the real server answers an unknown configuration. */
function notFound(detail: string): MockAnswer {
  const { type, title, status } = PROBLEM_TYPES.notFound;
  return { status, headers: {}, body: { type, title, status, detail } };
}

/** What `Prefer: code=<code>, example=<key>` gets: the documented answer, or Prism's 404 when there is none. */
function askedFor(operation: StreamOperation, code: number, example: string | undefined): MockAnswer {
  const response = operation.refusals.get(code);
  if (response === undefined) {
    return prismProblem('NOT_FOUND', `Requested status code ${code} is not defined in the document.`);
  }
  // Prism's wording, with the key cut short: quoted whole, a long one broke the Problem schema.
  const detail = `Response for contentType: application/problem+json and exampleKey: ${clip(example ?? '')} does not exist.`;
  return documented(response, code, example) ?? prismProblem('NOT_FOUND', detail);
}

function createStreamGate(specPath: string, configurations: ReadonlyMap<string, KnownConfiguration>): StreamGate {
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
      body: { type, title, status, detail, instance: asInstance(url.pathname), errors: errors.slice(0, MAX_ISSUES) },
    });
  };

  const decide = (method: string, url: URL, headers: IncomingHttpHeaders): StreamDecision => {
    const match = matchOperation('get', url.pathname);
    const operation = match === undefined ? undefined : byId.get(match.operationId as StreamOperationId);
    if (match === undefined || operation === undefined) {
      const { type, title, status } = PROBLEM_TYPES.notFound;
      const detail = `No stream at ${clip(url.pathname, 200)}; the mock SSE server serves ${[...byId.keys()].join(' and ')}.`;
      return refuse(undefined, { status, headers: {}, body: { type, title, status, detail } });
    }
    if (method !== 'GET' && method !== 'HEAD') {
      const { type, title, status } = PROBLEM_TYPES.methodNotAllowed;
      const body = { type, title, status, detail: 'Streams are opened with GET.' };
      return refuse(operation, { status, headers: { Allow: 'GET, HEAD, OPTIONS' }, body });
    }
    const preference = readPreference(headers.prefer, url.searchParams);
    if (!preference.ok) return refuse(operation, prismProblem('UNPROCESSABLE_ENTITY', preference.message));
    if (preference.value.scenario === 'stream_closed' && operation.operationId !== 'streamConfiguration') {
      const detail =
        'scenario: stream_closed ends a configuration stream (its configuration was deleted); the global stream never closes for good.';
      return refuse(operation, prismProblem('UNPROCESSABLE_ENTITY', detail));
    }

    const issues = parameterIssues(operation.operationId, url, match.pathParams);
    if (issues.length > 0) return invalid(operation, url, issues);
    if (!acceptsEventStream(firstHeader(headers.accept))) {
      return canned(operation, PROBLEM_TYPES.notAcceptable, 'This endpoint only produces text/event-stream.');
    }
    if (!hasCredentials(operation.credentials, headers, url)) {
      return canned(operation, PROBLEM_TYPES.unauthorized, 'Send credentials or a stream token.');
    }

    const { code, example } = preference.value;
    if (code !== undefined && code !== 200) return refuse(operation, askedFor(operation, code, example));
    const header = firstHeader(headers['last-event-id']);
    const lastEventId = header === undefined || header === '' ? (url.searchParams.get('last_event_id') ?? '') : header;
    const { scenario } = preference.value;
    let configuration: KnownConfiguration | undefined;
    if (operation.operationId === 'streamConfiguration') {
      const configId = match.pathParams.config_id ?? '';
      configuration = configurations.get(configId);
      if (configuration === undefined) return unknownConfiguration(operation, configId);
      // After stream_closed the configuration is gone: a client that comes back finds nothing, as on the real server.
      if (scenario === 'stream_closed' && lastEventId !== '') return deletedConfiguration(operation, configId);
    }
    return {
      kind: 'stream',
      operationId: operation.operationId,
      channel: CHANNEL_OF[operation.operationId],
      lastEventId: lastEventId === '' ? undefined : lastEventId,
      configuration,
      scenario,
    };
  };
  const known = [...configurations.values()].slice(0, LISTED_CONFIGURATIONS).map(describeConfiguration).join('; ');
  const unknownConfiguration = (operation: StreamOperation, configId: string): StreamDecision =>
    refuse(
      operation,
      notFound(
        `No configuration ${configId}. The mock knows those of the listConfigurations example of specs/openapi.yaml: ${known}.`,
      ),
    );
  const deletedConfiguration = (operation: StreamOperation, configId: string): StreamDecision =>
    refuse(
      operation,
      notFound(`No configuration ${configId}: it was deleted (scenario stream_closed), so its stream is gone.`),
    );
  return { decide };
}

export type { MockAnswer, StreamDecision, StreamGate };
export { createStreamGate };
