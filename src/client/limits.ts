/**
 * The bounds the stream client holds any server to, whatever it says or sends. A server is
 * trusted for the meaning of its events (the contract), not for the numbers that decide how
 * often the client connects or how much it buffers: a broken proxy, a misconfigured instance or
 * a hostile host must not make it loop, overflow a timer, or fill the memory of a phone.
 * docs/client.md lists them with their reasons.
 */

/**
 * No wait between two connects is shorter (ms). Below a few hundred ms a reconnect is not a
 * wait at all: `retry: 0` or `retry_ms: 0` turned the client into a loop of thousands of
 * connects a second. The server's own smallest advice (RETRY_MS 100, jittered down to 50) is
 * raised to this, which costs a legitimate reconnect a fraction of a second.
 */
const MIN_DELAY_MS = 250;

/**
 * No wait between two connects is longer (ms): the largest `retry:` the contract allows
 * (SseFields.retry, and the server's RETRY_MS maximum). Anything longer is not advice the
 * contract can give, and a client that stays away longer looks dead to its user. It also keeps
 * every timer far below 2³¹ − 1 ms, beyond which setTimeout fires after 1 ms instead.
 */
const MAX_DELAY_MS = 600_000;

/** The heartbeat interval a `stream_open` may announce (ms): the contract's range. */
const MIN_HEARTBEAT_MS = 1000;
const MAX_HEARTBEAT_MS = 60_000;

/**
 * Silence allowed past two heartbeat intervals before a connection counts as dead (ms). Two
 * intervals already forgive one lost or late heartbeat; the grace covers the lateness of the
 * next one (a busy server's event loop, a proxy that holds bytes briefly, a slow network).
 */
const SILENCE_GRACE_MS = 3000;

/**
 * The most characters one pending SSE event may buffer, its unfinished line included. The
 * largest event the contract allows is about 5 KB (a `metrics` snapshot of 100 tickers and a
 * 1024-character id), so this is some 200 times that, and still small enough for any browser.
 */
const MAX_EVENT_CHARS = 1024 * 1024;

/**
 * The most bytes read of an answer that is not an event stream (a refusal). The client only
 * reports it: a problem+json of the contract without `errors` fits with room, and the rest of
 * a longer body is cancelled unread.
 */
const MAX_REFUSAL_BODY_BYTES = 8 * 1024;

/** A delay into [MIN_DELAY_MS, MAX_DELAY_MS], in whole ms; anything not a number gets the floor. */
function clampDelay(ms: number): number {
  if (Number.isNaN(ms)) return MIN_DELAY_MS;
  return Math.round(Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, ms)));
}

/** An announced heartbeat interval into the contract's range. */
function clampHeartbeat(ms: number): number {
  if (Number.isNaN(ms)) return MAX_HEARTBEAT_MS;
  return Math.min(MAX_HEARTBEAT_MS, Math.max(MIN_HEARTBEAT_MS, ms));
}

/** How long a connection may stay silent before it counts as dead: two intervals plus the grace. */
const silenceTimeoutMs = (heartbeatMs: number): number => 2 * clampHeartbeat(heartbeatMs) + SILENCE_GRACE_MS;

/** The bounds, for callers that show or test them. */
const CLIENT_LIMITS = Object.freeze({
  minDelayMs: MIN_DELAY_MS,
  maxDelayMs: MAX_DELAY_MS,
  minHeartbeatMs: MIN_HEARTBEAT_MS,
  maxHeartbeatMs: MAX_HEARTBEAT_MS,
  silenceGraceMs: SILENCE_GRACE_MS,
  maxEventChars: MAX_EVENT_CHARS,
  maxRefusalBodyBytes: MAX_REFUSAL_BODY_BYTES,
});

export { CLIENT_LIMITS, clampDelay, clampHeartbeat, MAX_EVENT_CHARS, MAX_REFUSAL_BODY_BYTES, silenceTimeoutMs };
