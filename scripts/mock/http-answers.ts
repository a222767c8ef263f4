/**
 * How the mock SSE server writes what is not a stream: CORS for pages on other origins, and
 * problem answers checked against the contract before they leave (the documented response of the
 * operation when there is one, the Problem schema otherwise), like every event it streams.
 */
import type { ServerResponse } from 'node:http';
import { checkProblem, checkResponse, responseContract } from '../../src/contract/index.ts';
import { API_SECURITY_HEADERS } from '../../src/http/security-headers.ts';
import { type ProblemKind, PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { ContractDriftError } from './feed.ts';
import type { StreamOperationId } from './openapi-answers.ts';
import type { MockAnswer } from './stream-gate.ts';

const CORS = {
  'Access-Control-Allow-Origin': '*',
  // A page on another origin may read why it was refused and when to come back.
  'Access-Control-Expose-Headers': 'Retry-After, WWW-Authenticate',
} as const;

const PREFLIGHT = {
  ...CORS,
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Accept, Authorization, Cache-Control, Last-Event-ID, Prefer, X-User-ID',
  'Access-Control-Max-Age': '600',
} as const;

const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A problem of one of the registry's kinds (src/http/problem-types.ts), without extra headers. */
const problemAnswer = (kind: ProblemKind, detail?: string): MockAnswer => {
  const { type, title, status } = kind;
  return {
    status,
    headers: {},
    body: detail === undefined ? { type, title, status } : { type, title, status, detail },
  };
};

/** Throws {@link ContractDriftError} unless `answer` is what the contract allows for it. */
function assertAnswerOnContract(operationId: StreamOperationId | undefined, answer: MockAnswer): void {
  const documented = operationId !== undefined && responseContract(operationId, answer.status) !== undefined;
  const checked =
    operationId !== undefined && documented
      ? checkResponse(operationId, answer.status, answer.contentType ?? PROBLEM_CONTENT_TYPE, answer.body)
      : checkProblem(answer.body);
  if (!checked.ok) {
    const issues = checked.issues.map((issue) => `${issue.pointer || '(root)'} ${issue.message}`).join('; ');
    throw new ContractDriftError(`mock ${answer.status} answer of ${operationId ?? 'no operation'}: ${issues}`);
  }
}

/**
 * Writes `answer` (no body for HEAD). If it breaks the contract, a bare 500 problem goes out
 * instead and `onDrift` hears of it.
 */
function sendAnswer(
  response: ServerResponse,
  method: string,
  operationId: StreamOperationId | undefined,
  answer: MockAnswer,
  onDrift: (error: Error) => void,
): void {
  let sent = answer;
  let drift: Error | undefined;
  try {
    assertAnswerOnContract(operationId, answer);
  } catch (error) {
    drift = error instanceof Error ? error : new Error(String(error));
    sent = problemAnswer(PROBLEM_TYPES.internal);
  }
  response.writeHead(sent.status, {
    ...API_SECURITY_HEADERS,
    ...CORS,
    ...sent.headers,
    'Content-Type': sent.contentType ?? PROBLEM_CONTENT_TYPE,
  });
  response.end(method === 'HEAD' ? undefined : JSON.stringify(sent.body));
  if (drift !== undefined) onDrift(drift);
}

export { CORS, PREFLIGHT, problemAnswer, sendAnswer };
