/**
 * The one place any failure becomes an RFC 9457 problem response. Express's own errors (body
 * parser) and store outages are recognised; anything else is a 500 whose details go to the log,
 * never to the client.
 */
import type { Problem } from '../contract/index.ts';
import {
  BadRequestError,
  HttpError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
} from './errors.ts';
import { PROBLEM_TYPES } from './problem-types.ts';

const PROBLEM_CONTENT_TYPE = 'application/problem+json';

interface ProblemResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Problem;
  /** True when the failure is ours (500): the caller logs it with its cause. */
  readonly unexpected: boolean;
}

/** body-parser marks its errors with `type` and `status`; express's router marks bad path encoding. */
function bodyParserError(error: unknown): HttpError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  // `/api/v2/configurations/%ZZ`: express cannot percent-decode the path parameter (URIError, 400).
  if (error instanceof URIError && 'status' in error && error.status === 400) {
    return new BadRequestError('The path is not valid percent-encoded UTF-8.');
  }
  if (!('type' in error)) return undefined;
  switch (error.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError('The request body exceeds 1048576 bytes.');
    case 'entity.parse.failed':
      return new BadRequestError('The request body is not valid JSON.', { kind: PROBLEM_TYPES.malformedJson });
    // The media type check refuses these first; kept so that no path turns them into a 400 or 500.
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('Send the body uncompressed (no Content-Encoding).');
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('Send the body as application/json in UTF-8.');
    case 'request.aborted':
    case 'request.size.invalid':
      return new BadRequestError('The request body was incomplete.');
    default:
      return undefined;
  }
}

/** Store errors a retry can get past: throttling, timeouts, the store's own faults, our retries running out. */
const RETRYABLE_STORE_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'StoreBusyError',
  'StreamNotReadyError',
]);
const NETWORK_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Store faults a client can retry: throttling, timeouts, the store being down or failing on its
 * side (the SDK marks those `$fault: server`). Answered 503 with a short Retry-After.
 */
function storeUnavailable(error: unknown): ServiceUnavailableError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = error instanceof Error ? error.name : '';
  const code = 'code' in error ? String(error.code) : '';
  const serverFault = '$fault' in error && error.$fault === 'server';
  const retryable = RETRYABLE_STORE_ERRORS.has(name) || NETWORK_ERRORS.has(code) || serverFault;
  return retryable
    ? new ServiceUnavailableError('The store is unavailable; try again shortly.', { retryAfterSeconds: 2 })
    : undefined;
}

/** The Problem schema's cap on `instance`. */
const MAX_INSTANCE = 2048;

/**
 * The request path as a valid URI reference, for `instance`: a path can hold what a URI may not
 * (`/api/v2/configurations/%ZZ`, a raw `{` or byte 0xFF), and the problem must still match the
 * contract. Stray `%` and such characters are percent-encoded; a cut never splits an escape.
 */
function asInstance(path: string): string {
  const encoded = path.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/g, (char) =>
    char === '%' ? '%25' : encodeURIComponent(char),
  );
  return encoded.length <= MAX_INSTANCE ? encoded : encoded.slice(0, MAX_INSTANCE).replace(/%[0-9A-Fa-f]?$/, '');
}

/** The problem for `error`: what the client may know, and whether the failure is ours to log. */
function toProblem(error: unknown, instance: string): ProblemResponse {
  const known = error instanceof HttpError ? error : (bodyParserError(error) ?? storeUnavailable(error));
  if (known !== undefined) {
    const body: Problem = {
      type: known.type,
      title: known.title,
      status: known.status,
      ...(known.detail === undefined ? {} : { detail: known.detail.slice(0, 2000) }),
      instance: asInstance(instance),
      ...(known.issues === undefined ? {} : { errors: [...known.issues] }),
    };
    return { status: known.status, headers: known.headers, body, unexpected: false };
  }
  // Nothing of an unexpected failure goes to the client, at any log level: the log has it all.
  const { type, title, status } = PROBLEM_TYPES.internal;
  return { status, headers: {}, body: { type, title, status, instance: asInstance(instance) }, unexpected: true };
}

export type { ProblemResponse };
export { PROBLEM_CONTENT_TYPE, toProblem };
