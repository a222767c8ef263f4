/**
 * The typed reasons a stream connection failed, as subscribe() reports them to `onError` (its
 * `onState` says `waiting` with the matching `cause`). Plain Error subclasses, so they log well,
 * with `name` set so they can be told apart across bundles and realms too.
 */
import { isProblem, type Problem } from './rest-errors.ts';

/** How much of a refusal body goes into the message; the whole (bounded) prefix is in `body`. */
const MESSAGE_BODY_CHARS = 300;

function problemIn(body: string): Problem | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return isProblem(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The server answered something other than an event stream (cause `refused`). */
class StreamRefusedError extends Error {
  override readonly name = 'StreamRefusedError';
  /** The HTTP status (200 when a 200 was not `text/event-stream`). */
  readonly status: number;
  /** `Retry-After` as the server sent it, in ms; the client waits it clamped into its delay range. */
  readonly retryAfterMs: number | undefined;
  /** The start of the body (at most CLIENT_LIMITS.maxRefusalBodyBytes); the rest was not read. */
  readonly body: string;
  /** The body as the contract's problem+json, when it is one and fits in `body`. */
  readonly problem: Problem | undefined;

  constructor(status: number, retryAfterMs: number | undefined, body: string) {
    super(`the stream answered ${status}: ${body.slice(0, MESSAGE_BODY_CHARS)}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.body = body;
    this.problem = problemIn(body);
  }
}

/** The server sent an event (its unfinished line included) over the client's cap (cause `too_large`). */
class StreamLimitError extends Error {
  override readonly name = 'StreamLimitError';
  /** The cap that was exceeded, in characters (CLIENT_LIMITS.maxEventChars). */
  readonly limit: number;

  constructor(limit: number) {
    super(`the server sent an SSE event over ${limit} characters without ending it; the connection was closed`);
    this.limit = limit;
  }
}

export { StreamLimitError, StreamRefusedError };
