/**
 * HTTP errors as values: each carries what its RFC 9457 problem needs. Handlers throw them; one
 * place (problem.ts) turns them, and anything else, into `application/problem+json`.
 */
import type { ValidationIssue } from '../contract/index.ts';
import { PROBLEM_TYPES, type ProblemOfStatus } from './problem-types.ts';

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

interface BadRequestOptions {
  /** What is wrong where, one entry per problem (the problem's `errors`). */
  readonly issues?: readonly ValidationIssue[] | undefined;
  /** The problem type; default `invalidRequest`. */
  readonly kind?: ProblemOfStatus<400>;
}

class BadRequestError extends HttpError {
  readonly status = 400;
  readonly type: string;
  readonly title: string;
  override readonly issues: readonly ValidationIssue[] | undefined;
  constructor(detail: string, options: BadRequestOptions = {}) {
    super(detail);
    const kind = options.kind ?? PROBLEM_TYPES.invalidRequest;
    this.issues = options.issues;
    this.type = kind.type;
    this.title = kind.title;
  }
}

class UnauthorizedError extends HttpError {
  readonly status = PROBLEM_TYPES.unauthorized.status;
  readonly type = PROBLEM_TYPES.unauthorized.type;
  readonly title = PROBLEM_TYPES.unauthorized.title;
  override readonly headers = { 'WWW-Authenticate': 'Bearer' };
}

class NotFoundError extends HttpError {
  readonly status = PROBLEM_TYPES.notFound.status;
  readonly type = PROBLEM_TYPES.notFound.type;
  readonly title = PROBLEM_TYPES.notFound.title;
}

class MethodNotAllowedError extends HttpError {
  readonly status = PROBLEM_TYPES.methodNotAllowed.status;
  readonly type = PROBLEM_TYPES.methodNotAllowed.type;
  readonly title = PROBLEM_TYPES.methodNotAllowed.title;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(allowed: readonly string[]) {
    super(`Allowed methods: ${allowed.join(', ')}.`);
    this.headers = { Allow: allowed.join(', ') };
  }
}

class NotAcceptableError extends HttpError {
  readonly status = PROBLEM_TYPES.notAcceptable.status;
  readonly type = PROBLEM_TYPES.notAcceptable.type;
  readonly title = PROBLEM_TYPES.notAcceptable.title;
}

class ConflictError extends HttpError {
  readonly status = PROBLEM_TYPES.conflict.status;
  readonly type = PROBLEM_TYPES.conflict.type;
  readonly title = PROBLEM_TYPES.conflict.title;
}

class PayloadTooLargeError extends HttpError {
  readonly status = PROBLEM_TYPES.payloadTooLarge.status;
  readonly type = PROBLEM_TYPES.payloadTooLarge.type;
  readonly title = PROBLEM_TYPES.payloadTooLarge.title;
}

class UnsupportedMediaTypeError extends HttpError {
  readonly status = PROBLEM_TYPES.unsupportedMediaType.status;
  readonly type = PROBLEM_TYPES.unsupportedMediaType.type;
  readonly title = PROBLEM_TYPES.unsupportedMediaType.title;
}

interface ServiceUnavailableOptions {
  /** Sent as `Retry-After`, in whole seconds (at least 1). */
  readonly retryAfterSeconds: number;
  /** The problem type; default `unavailable`. */
  readonly kind?: ProblemOfStatus<503>;
}

class ServiceUnavailableError extends HttpError {
  readonly status = 503;
  readonly type: string;
  readonly title: string;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(detail: string, options: ServiceUnavailableOptions) {
    super(detail);
    const kind = options.kind ?? PROBLEM_TYPES.unavailable;
    this.type = kind.type;
    this.title = kind.title;
    this.headers = { 'Retry-After': String(Math.max(1, Math.ceil(options.retryAfterSeconds))) };
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
