/**
 * Who may open which stream, decided before any stream byte, independent of the transport: the
 * express routes and the Lambda stream handler both call this and turn its errors into problems.
 * Query parameters (400), Accept (406), credentials or stream token (401), the configuration (404).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { StreamTokens } from '../auth/index.ts';
import { type Configuration, parsePathParams, parseQuery, type ValidationIssue } from '../contract/index.ts';
import type { Store } from '../store/index.ts';
import type { ClientId } from '../stream/ports.ts';
import { authenticateUser, type RequestAuth } from './authenticate.ts';
import { BadRequestError, NotAcceptableError, NotFoundError, UnauthorizedError } from './errors.ts';

interface StreamRequest {
  readonly operationId: 'streamGlobal' | 'streamConfiguration';
  readonly query: Record<string, unknown>;
  readonly pathParams: Record<string, string>;
  /** Lower-cased names, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** A function: reading a socket's peer address is a system call, made only if a log line needs it. */
  readonly remoteAddress: () => string | undefined;
  /** Aborted when the client leaves: authorization stops there instead of reading on. */
  readonly signal?: AbortSignal;
}

interface StreamAccess {
  readonly clientId: ClientId;
  /** Last-Event-ID header, else the `last_event_id` query parameter; anything (client input). */
  readonly lastEventId: string | undefined;
  readonly configuration?: { readonly userId: string; readonly value: Configuration };
}

interface StreamAccessDeps {
  readonly store: Store;
  readonly auth: RequestAuth;
  readonly streamTokens: StreamTokens;
}

/** EventSource sends `Accept: text/event-stream`; a client that accepts none of it gets 406. */
function acceptsEventStream(accept: string | undefined): boolean {
  // What EventSource sends, decided without splitting the header.
  if (accept === undefined || accept === 'text/event-stream') return true;
  if (accept.trim() === '') return true;
  return accept
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase())
    .some((type) => type === 'text/event-stream' || type === 'text/*' || type === '*/*');
}

type StreamOperationId = StreamRequest['operationId'];

/**
 * The contract's verdict on a stream request with no query string, which is most connects: it is
 * the same every time, so it is found once per operation. Its value is only read.
 */
const emptyQueryVerdicts = new Map<StreamOperationId, ReturnType<typeof parseQuery<StreamOperationId>>>();

function parseStreamQuery(operationId: StreamOperationId, query: Record<string, unknown>) {
  for (const _name in query) return parseQuery(operationId, query);
  let verdict = emptyQueryVerdicts.get(operationId);
  if (verdict === undefined) {
    verdict = parseQuery(operationId, {});
    emptyQueryVerdicts.set(operationId, verdict);
  }
  return verdict;
}

/** A request that passed every check that needs no identity: either the global stream's access, or what to identify. */
type CheckedStreamRequest =
  | { readonly kind: 'open'; readonly access: StreamAccess }
  | {
      readonly kind: 'identify';
      readonly configId: string;
      readonly token: string | undefined;
      readonly lastEventId: string | undefined;
    };

/**
 * The checks that need no identity and no I/O, in the contract's order: query and path parameters
 * (400), then Accept (406). Synchronous, so the global stream (which needs nothing more) opens in
 * the tick its request arrived, with no promise in between.
 */
function checkStreamRequest(request: StreamRequest): CheckedStreamRequest {
  const issues: ValidationIssue[] = [];
  const query = parseStreamQuery(request.operationId, request.query);
  if (!query.ok) issues.push(...query.issues);
  let configId: string | undefined;
  if (request.operationId === 'streamConfiguration') {
    const path = parsePathParams('streamConfiguration', request.pathParams);
    if (path.ok) configId = path.value.config_id;
    else issues.push(...path.issues);
  }
  if (issues.length > 0) throw new BadRequestError('The request does not match the contract.', { issues });
  if (!acceptsEventStream(request.headers.accept))
    throw new NotAcceptableError('This endpoint only produces text/event-stream.');
  const values = (query.ok ? query.value : {}) as { last_event_id?: string; token?: string };
  const header = request.headers['last-event-id'];
  // The header wins: the browser sends it on reconnect, newer than the URL's first-connect id.
  const lastEventId = typeof header === 'string' && header !== '' ? header : values.last_event_id;
  if (configId === undefined) {
    const { remoteAddress } = request;
    const clientId = () => `ip:${remoteAddress() ?? 'unknown'}`;
    return { kind: 'open', access: { clientId, lastEventId } };
  }
  return { kind: 'identify', configId, token: values.token, lastEventId };
}

/**
 * Who asks for a configuration's stream (stream token, else the user's credentials: 401), and
 * whether that configuration is theirs (404). `signal` stops it after each read once the client left.
 */
async function identifyStreamClient(
  deps: StreamAccessDeps,
  checked: Extract<CheckedStreamRequest, { kind: 'identify' }>,
  headers: IncomingHttpHeaders,
  signal?: AbortSignal,
): Promise<StreamAccess> {
  const { configId, token, lastEventId } = checked;
  let userId: string;
  if (token !== undefined) {
    const verified = await deps.streamTokens.verify(token, configId);
    if (!verified.ok) {
      throw new UnauthorizedError(
        verified.reason === 'expired'
          ? 'The stream token has expired; mint a new one.'
          : 'The stream token is not valid for this configuration.',
      );
    }
    userId = verified.userId;
  } else {
    const principal = await authenticateUser(deps.auth, headers);
    if (principal.kind !== 'user') throw new UnauthorizedError('A user is required.');
    userId = principal.userId;
  }
  signal?.throwIfAborted();
  const configuration = await deps.store.getConfiguration(userId, configId);
  signal?.throwIfAborted();
  if (configuration === null) throw new NotFoundError(`No configuration ${configId}.`);
  return { clientId: userId, lastEventId, configuration: { userId, value: configuration } };
}

/** Every check of a stream request, for hosts that have nothing to gain from the synchronous split (the Lambda). */
async function authorizeStream(deps: StreamAccessDeps, request: StreamRequest): Promise<StreamAccess> {
  const checked = checkStreamRequest(request);
  if (checked.kind === 'open') return checked.access;
  return identifyStreamClient(deps, checked, request.headers, request.signal);
}

export type { CheckedStreamRequest, StreamAccess, StreamAccessDeps, StreamRequest };
export { acceptsEventStream, authorizeStream, checkStreamRequest, identifyStreamClient };
