/**
 * HTTP errors as values: each carries what its RFC 9457 problem needs. Handlers throw them; one
 * place (problem.ts) turns them, and anything else, into `application/problem+json`.
 */
import type { ValidationIssue } from '../contract/index.ts';

abstract class HttpError extends Error {
  abstract readonly status: number;
  /** Stable problem type URI (relative reference), safe for clients to branch on. */
  abstract readonly type: string;
  abstract readonly title: string;
  /** Extra response headers (Allow, Retry-After, WWW-Authenticate). */
  readonly headers: Readonly<Record<string, string>> = {};
  readonly issues: readonly ValidationIssue[] | undefined = undefined;

  constructor(detail?: string, options?: ErrorOptions) {
    super(detail, options);
    this.name = new.target.name;
  }

  /** The occurrence-specific explanation, if any. */
  get detail(): string | undefined {
    return this.message === '' ? undefined : this.message;
  }
}

class BadRequestError extends HttpError {
  readonly status = 400;
  readonly type: string;
  readonly title: string;
  override readonly issues: readonly ValidationIssue[] | undefined;
  constructor(
    detail: string,
    issues?: readonly ValidationIssue[],
    kind: { type: string; title: string } = { type: '/problems/invalid-request', title: 'Invalid request' },
  ) {
    super(detail);
    this.issues = issues;
    this.type = kind.type;
    this.title = kind.title;
  }
}

class UnauthorizedError extends HttpError {
  readonly status = 401;
  readonly type = '/problems/unauthorized';
  readonly title = 'Unauthorized';
  override readonly headers = { 'WWW-Authenticate': 'Bearer' };
}

class NotFoundError extends HttpError {
  readonly status = 404;
  readonly type = '/problems/not-found';
  readonly title = 'Not found';
}

class MethodNotAllowedError extends HttpError {
  readonly status = 405;
  readonly type = '/problems/method-not-allowed';
  readonly title = 'Method not allowed';
  override readonly headers: Readonly<Record<string, string>>;
  constructor(allowed: readonly string[]) {
    super(`Allowed methods: ${allowed.join(', ')}.`);
    this.headers = { Allow: allowed.join(', ') };
  }
}

class NotAcceptableError extends HttpError {
  readonly status = 406;
  readonly type = '/problems/not-acceptable';
  readonly title = 'Not acceptable';
}

class ConflictError extends HttpError {
  readonly status = 409;
  readonly type = '/problems/conflict';
  readonly title = 'Conflict';
}

class PayloadTooLargeError extends HttpError {
  readonly status = 413;
  readonly type = '/problems/payload-too-large';
  readonly title = 'Payload too large';
}

class UnsupportedMediaTypeError extends HttpError {
  readonly status = 415;
  readonly type = '/problems/unsupported-media-type';
  readonly title = 'Unsupported media type';
}

class ServiceUnavailableError extends HttpError {
  readonly status = 503;
  readonly type: string;
  readonly title: string;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(
    detail: string,
    retryAfterSeconds: number,
    kind = { type: '/problems/unavailable', title: 'Service unavailable' },
  ) {
    super(detail);
    this.type = kind.type;
    this.title = kind.title;
    this.headers = { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  }
}

export {
  BadRequestError,
  ConflictError,
  HttpError,
  MethodNotAllowedError,
  NotAcceptableError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
};
