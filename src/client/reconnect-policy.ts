/**
 * What subscribe() does after a connection ends: stop for good, or wait how long before the next
 * one. Pure but for the session it updates, so the rules are in one place:
 *
 * - a `reconnect` hint is honoured (its `retry_ms`, clamped into the delay range) and is not a
 *   failure, if the stream it ended was healthy;
 * - a stream is healthy if it stayed open (a 200 event stream) for at least one heartbeat
 *   interval. Only then does the count of failures in a row start again: a server that opens
 *   and ends streams at once (after a `reconnect` hint or not) is failing, and the backoff keeps
 *   growing; `stream_open` alone proves nothing;
 * - a refusal retrying cannot fix (4xx but 408 and 429) stops the subscription;
 * - anything else is a failure: backoff with full jitter, and at least what the server asked for
 *   (`Retry-After`, or the hint), every delay clamped into [MIN_DELAY_MS, MAX_DELAY_MS].
 */
import { type BackoffPolicy, backoffDelay, clampDelay, isHealthy } from '../dashboard/shared/reconnect-policy.js';
import type { ConnectionEnd } from './sse-connection.ts';

type CloseReason = 'closed' | 'stream_closed' | 'refused' | 'gave_up';

/** Why a subscription ended; `status` is the HTTP status of a refusal. */
interface StreamClosure {
  readonly reason: CloseReason;
  readonly status?: number;
}

/** What made the client wait before its next connect. */
type WaitCause = 'reconnect' | Exclude<ConnectionEnd['kind'], 'stopped'>;

/** Wait, then connect again; `failures` counts failures in a row (0 after a healthy stream's hint). */
interface Wait {
  readonly delayMs: number;
  readonly cause: WaitCause;
  readonly failures: number;
}

type Decision = StreamClosure | Wait;

/** What one subscription carries from connection to connection. */
interface Session {
  lastEventId: string | undefined;
  failures: number;
  /** The last `retry:` field, as sent (ms). */
  serverRetryMs: number | undefined;
  /** The announced heartbeat interval, clamped into the contract's range (ms). */
  heartbeatMs: number;
  /** When the current connection's event stream started (performance.now()), if it did. */
  openedAt: number | undefined;
  /** The retry_ms of a `reconnect` just received, as sent. */
  hintMs: number | undefined;
  streamClosed: boolean;
}

/** The caller's choices that bear on the decision. */
interface RetryOptions {
  readonly backoff?: Partial<BackoffPolicy> | undefined;
  readonly maxRetries?: number | undefined;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 30_000 };

/** Refusals that another try cannot change; 408, 429 and 5xx are retried. */
const isFinalRefusal = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429;

/** After a connection: stop for good, or wait how long before the next one. `now` is performance.now(). */
function decide(
  end: ConnectionEnd,
  session: Session,
  options: RetryOptions,
  closing: AbortSignal,
  now: number,
): Decision {
  const lived = session.openedAt === undefined ? 0 : now - session.openedAt;
  const hint = session.hintMs;
  session.openedAt = undefined;
  session.hintMs = undefined;
  if (closing.aborted) return { reason: 'closed' };
  if (session.streamClosed) return { reason: 'stream_closed' };
  const healthy = isHealthy(lived, session.heartbeatMs);
  if (healthy) session.failures = 0;
  if (hint !== undefined && healthy) return { delayMs: clampDelay(hint), cause: 'reconnect', failures: 0 };
  if (end.kind === 'refused' && isFinalRefusal(end.status)) return { reason: 'refused', status: end.status };
  session.failures += 1;
  if (session.failures > (options.maxRetries ?? Infinity))
    return end.kind === 'refused' ? { reason: 'gave_up', status: end.status } : { reason: 'gave_up' };
  const policy: BackoffPolicy = {
    baseMs: options.backoff?.baseMs ?? session.serverRetryMs ?? DEFAULT_BACKOFF.baseMs,
    capMs: options.backoff?.capMs ?? DEFAULT_BACKOFF.capMs,
  };
  const asked = hint ?? (end.kind === 'refused' ? end.retryAfterMs : undefined);
  const delayMs = Math.max(backoffDelay(policy, session.failures), asked === undefined ? 0 : clampDelay(asked));
  const cause: WaitCause = hint !== undefined ? 'reconnect' : end.kind === 'stopped' ? 'ended' : end.kind;
  return { delayMs, cause, failures: session.failures };
}

export type { CloseReason, Decision, RetryOptions, Session, StreamClosure, Wait, WaitCause };
export { decide };
