/**
 * The reconnect rules and bounds of every stream client here (the dashboard's and
 * tickerpulse/client's share src/dashboard/shared/reconnect-policy.js), as pure functions: every delay it can wait lies
 * in [250 ms, 10 min] whatever the server or the caller says (a property over arbitrary numbers,
 * absurd ones included); a stream counts as healthy, and resets the failures in a row, only after
 * it stayed open for one heartbeat interval; the silence timeout is two intervals plus 3 s.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  clampDelay,
  clampHeartbeat,
  isHealthy,
  RECONNECT_LIMITS,
  silenceTimeoutMs,
} from '../../../src/dashboard/shared/reconnect-policy.js';
import { decide, type Session } from '../../../src/client/reconnect-policy.ts';
import type { ConnectionEnd } from '../../../src/client/sse-connection.ts';

const { minDelayMs: MIN, maxDelayMs: MAX } = RECONNECT_LIMITS;
const open = new AbortController().signal;

/** A session whose stream opened at 0 and (unless said otherwise) announced a 1 s heartbeat. */
const session = (fields: Partial<Session> = {}): Session => ({
  lastEventId: 'c1',
  failures: 0,
  serverRetryMs: undefined,
  heartbeatMs: 1000,
  openedAt: 0,
  hintMs: undefined,
  streamClosed: false,
  ...fields,
});

const ended: ConnectionEnd = { kind: 'ended' };
const stopped: ConnectionEnd = { kind: 'stopped' };
const refused = (status: number, retryAfterMs?: number): ConnectionEnd => ({
  kind: 'refused',
  status,
  retryAfterMs,
  body: '',
});

/** Any number JSON or a header can carry, and the ones that break timers. */
const anyNumber = fc.oneof(
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -1, 3e9, 2 ** 31, 99_999_999_000, Infinity, -Infinity, Number.NaN),
);

describe('delays', () => {
  it.each([
    { given: 0, want: MIN },
    { given: -5, want: MIN },
    { given: Number.NaN, want: MIN },
    { given: 3e9, want: MAX },
    { given: Infinity, want: MAX },
    { given: 1234.4, want: 1234 },
  ])('clampDelay($given) is $want', ({ given, want }) => {
    expect(clampDelay(given)).toBe(want);
  });

  it('keeps every backoff delay in [250 ms, 10 min], whatever the base, cap, failures and jitter', () => {
    fc.assert(
      fc.property(
        anyNumber,
        anyNumber,
        fc.integer({ min: -5, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true }),
        (baseMs, capMs, failures, r) => {
          const delay = backoffDelay({ baseMs, capMs }, failures, () => r);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(MIN);
          expect(delay).toBeLessThanOrEqual(MAX);
        },
      ),
    );
  });

  it('keeps every wait decide() returns in range, whatever retry:, retry_ms or Retry-After said', () => {
    fc.assert(
      fc.property(anyNumber, anyNumber, anyNumber, fc.boolean(), (retry, hint, retryAfter, healthy) => {
        const state = session({ serverRetryMs: retry, openedAt: healthy ? 0 : 999 });
        for (const [end, hintMs] of [
          [stopped, hint],
          [refused(503, retryAfter), undefined],
          [ended, undefined],
        ] as const) {
          state.hintMs = hintMs;
          state.openedAt = healthy ? 0 : 999;
          const decision = decide(end, state, {}, open, 1000);
          expect(decision).toHaveProperty('delayMs');
          const { delayMs } = decision as { delayMs: number };
          expect(delayMs).toBeGreaterThanOrEqual(MIN);
          expect(delayMs).toBeLessThanOrEqual(MAX);
        }
      }),
    );
  });
});

describe('failures in a row', () => {
  it('count from zero again only after a stream lived one (clamped) heartbeat interval', () => {
    expect(isHealthy(999, 1000)).toBe(false);
    expect(isHealthy(1000, 1000)).toBe(true);
    // An announced interval outside the contract's range is clamped first.
    expect(isHealthy(999, 1)).toBe(false);
    expect(isHealthy(60_000, 3_600_000)).toBe(true);
    expect(isHealthy(59_999, Number.NaN)).toBe(false);
  });

  it('honours a reconnect hint after a healthy stream, and counts no failure', () => {
    const state = session({ failures: 4, hintMs: 1500 });
    expect(decide(stopped, state, {}, open, 1000)).toEqual({ delayMs: 1500, cause: 'reconnect', failures: 0 });
    expect(state.failures).toBe(0);
  });

  it('counts a reconnect hint right after opening as one more failure, waiting at least the hint', () => {
    const state = session({ failures: 2, hintMs: 0, openedAt: 500 });
    const decision = decide(stopped, state, { backoff: { baseMs: 1000 } }, open, 1000);
    expect(decision).toMatchObject({ cause: 'reconnect', failures: 3 });
    expect((decision as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(MIN);
  });

  it.each([
    { lived: 999, before: 3, want: 4 },
    { lived: 1000, before: 3, want: 1 },
    { lived: 60_000, before: 3, want: 1 },
  ])(
    'after a stream that lived $lived ms (heartbeat 1 s), $before failures become $want',
    ({ lived, before, want }) => {
      const state = session({ failures: before });
      expect(decide(ended, state, {}, open, lived)).toMatchObject({ cause: 'ended', failures: want });
    },
  );

  it('never resets after a connection that did not open an event stream', () => {
    const state = session({ failures: 3, openedAt: undefined });
    expect(decide(refused(503, 2000), state, {}, open, 1e9)).toMatchObject({ cause: 'refused', failures: 4 });
    expect(decide(refused(503, 3e9), state, {}, open, 1e9)).toMatchObject({ delayMs: MAX, failures: 5 });
  });

  it('stops on a final refusal, on stream_closed, on close(), and after maxRetries', () => {
    expect(decide(refused(404), session(), {}, open, 0)).toEqual({ reason: 'refused', status: 404 });
    expect(decide(stopped, session({ streamClosed: true }), {}, open, 0)).toEqual({ reason: 'stream_closed' });
    expect(decide(ended, session(), {}, AbortSignal.abort(), 0)).toEqual({ reason: 'closed' });
    const state = session({ failures: 2, openedAt: undefined });
    expect(decide(refused(503), state, { maxRetries: 2 }, open, 0)).toEqual({ reason: 'gave_up', status: 503 });
    expect(decide(stopped, session({ hintMs: 0, openedAt: 999, failures: 2 }), { maxRetries: 2 }, open, 1000)).toEqual({
      reason: 'gave_up',
    });
  });
});

describe('the heartbeat watchdog', () => {
  it.each([
    { announced: 30_000, silence: 63_000 },
    { announced: 1000, silence: 5000 },
    { announced: 0, silence: 5000 },
    { announced: 1e12, silence: 123_000 },
    { announced: Number.NaN, silence: 123_000 },
  ])('an announced interval of $announced ms gives a silence timeout of $silence ms', ({ announced, silence }) => {
    expect(silenceTimeoutMs(clampHeartbeat(announced))).toBe(silence);
  });
});
