/**
 * Requests Node refuses before express sees them (headers or URL over Node's 16 KiB limit,
 * unparseable HTTP, a request that arrives too slowly) get a problem+json answer like every other
 * error, instead of Node's bare status line. Attach with `server.on('clientError', ...)`.
 */
import type { Duplex } from 'node:stream';
import type { Problem } from '../contract/index.ts';
import { closingHead, endThenCut } from './closing-answer.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import { PROBLEM_TYPES, type ProblemKind } from './problem-types.ts';
import { API_SECURITY_HEADERS } from './security-headers.ts';

/** A problem kind whose title is the status line's reason phrase, and its detail. */
interface Refusal {
  readonly kind: ProblemKind;
  readonly detail: string;
}

const REFUSALS: Readonly<Record<string, Refusal>> = {
  HPE_HEADER_OVERFLOW: {
    kind: PROBLEM_TYPES.headersTooLarge,
    detail: 'The request line and headers together must stay under 16 KiB (a long query string counts).',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    kind: PROBLEM_TYPES.requestTimeout,
    detail: 'The request did not arrive in time.',
  },
};

const MALFORMED: Refusal = {
  kind: PROBLEM_TYPES.malformedRequest,
  detail: 'The request is not valid HTTP/1.1.',
};

const answered = new WeakSet<Duplex>();

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Node reports each further chunk of a refused request too; the first answer stands.
  if (answered.has(socket)) return;
  // A response already under way on this connection cannot be followed by another status line.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  answered.add(socket);
  const { kind, detail } = REFUSALS[error.code ?? ''] ?? MALFORMED;
  const problem: Problem = { type: kind.type, title: kind.title, status: kind.status, detail };
  const body = JSON.stringify(problem);
  // The API's security headers too: this answer is no page, whatever the request was.
  const head = closingHead(kind.status, {
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': String(Buffer.byteLength(body)),
    ...API_SECURITY_HEADERS,
  });
  endThenCut(socket, head + body);
}

export { answerClientError };
