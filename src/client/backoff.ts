/**
 * How long the stream client waits before reconnecting after a failure: exponential backoff with
 * full jitter, so that every browser cut off by one incident does not come back in the same
 * instant (AWS Architecture Blog, "Exponential Backoff And Jitter"), held within the client's
 * delay range (limits.ts) whatever the policy or the server says. Pure, for tests.
 */
import { clampDelay } from './limits.ts';

interface BackoffPolicy {
  /** The ceiling of the first retry's delay (ms); it doubles per failure in a row. */
  readonly baseMs: number;
  /** No delay is longer than this (ms). */
  readonly capMs: number;
}

/** Doubling stops here: 2^16 times any base is past every sensible cap, and the number stays finite. */
const MAX_DOUBLINGS = 16;

/**
 * Uniform in [0, min(cap, base · 2^(failures − 1))), then clamped into the delay range (so at
 * least its floor); `failures` counts from 1. Base and cap are clamped first: a `retry: 0` from
 * the server, or a base of 0 from the caller, would otherwise keep every delay at 0.
 */
function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const doublings = Math.min(Math.max(failures - 1, 0), MAX_DOUBLINGS);
  const ceiling = Math.min(clampDelay(policy.capMs), clampDelay(policy.baseMs) * 2 ** doublings);
  return clampDelay(Math.floor(random() * ceiling));
}

/**
 * `Retry-After` in delta-seconds or as an HTTP date, in ms from `now`; undefined when absent or
 * unreadable. Not clamped: the caller clamps the delay it waits, and reports what was said.
 */
function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type { BackoffPolicy };
export { backoffDelay, retryAfterMs };
