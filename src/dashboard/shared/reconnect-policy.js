// The reconnect rules of every stream client this repository ships: the dashboard's
// (src/dashboard/stream.js) and tickerpulse/client's (src/client/reconnect-policy.ts). One module,
// so the two cannot drift apart: the range every wait is held to, the backoff, when a stream
// counts as healthy, and how long a silent connection may live. A server is trusted for the
// meaning of its events, not for the numbers that decide how often a client connects: a broken
// proxy or a hostile host must not make a client loop or overflow a timer.
//
// Plain ES module with JSDoc types: browsers load it as it is, TypeScript checks it (checkJs),
// and the client imports it. Pure: the random source is a parameter.

/**
 * No wait between two connects is shorter (ms). Below a few hundred ms a reconnect is not a wait
 * at all: `retry: 0` or `retry_ms: 0` turned a client into a loop of thousands of connects a
 * second. The server's own smallest advice (RETRY_MS 100, jittered down to 50) is raised to this.
 */
const MIN_DELAY_MS = 250;

/**
 * No wait between two connects is longer (ms): the largest `retry:` the contract allows (and
 * RETRY_MS's maximum). It also keeps every timer far below 2³¹ − 1 ms, past which setTimeout
 * fires after 1 ms instead.
 */
const MAX_DELAY_MS = 600_000;

/** The heartbeat interval a `stream_open` may announce (ms): the contract's range. */
const MIN_HEARTBEAT_MS = 1000;
const MAX_HEARTBEAT_MS = 60_000;

/**
 * Silence allowed past two heartbeat intervals before a connection counts as dead (ms). Two
 * intervals forgive one lost or late heartbeat; the grace covers the lateness of the next one (a
 * busy server, a proxy that holds bytes briefly, a slow network).
 */
const SILENCE_GRACE_MS = 3000;

/** Doubling stops here: 2^16 times any base is past every sensible cap, and the number stays finite. */
const MAX_DOUBLINGS = 16;

/**
 * @typedef {object} BackoffPolicy
 * @property {number} baseMs  The ceiling of the first retry's delay (ms); it doubles per failure in a row.
 * @property {number} capMs  No delay is longer than this (ms).
 */

/**
 * A delay into [MIN_DELAY_MS, MAX_DELAY_MS], in whole ms; anything not a number gets the floor.
 * @param {number} ms
 */
function clampDelay(ms) {
  if (Number.isNaN(ms)) return MIN_DELAY_MS;
  return Math.round(Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, ms)));
}

/**
 * An announced heartbeat interval into the contract's range; anything not a number gets the top.
 * @param {number} ms
 */
function clampHeartbeat(ms) {
  if (Number.isNaN(ms)) return MAX_HEARTBEAT_MS;
  return Math.min(MAX_HEARTBEAT_MS, Math.max(MIN_HEARTBEAT_MS, ms));
}

/**
 * How long a connection may stay silent before it counts as dead: two intervals plus the grace.
 * @param {number} heartbeatMs
 */
const silenceTimeoutMs = (heartbeatMs) => 2 * clampHeartbeat(heartbeatMs) + SILENCE_GRACE_MS;

/**
 * A stream is healthy once it stayed open for one heartbeat interval: only then do failures in
 * a row count from zero again. `stream_open` alone proves nothing (a server that opens and ends
 * streams at once is failing), and the backoff keeps growing.
 * @param {number} openForMs  how long the stream has been open
 * @param {number} heartbeatMs  the interval it announced
 */
const isHealthy = (openForMs, heartbeatMs) => openForMs >= clampHeartbeat(heartbeatMs);

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"),
 * so that every client cut off by one incident does not come back in the same instant: uniform in
 * [0, min(cap, base · 2^(failures − 1))), then clamped into the delay range (so at least its
 * floor); `failures` counts from 1. Base and cap are clamped first: a `retry: 0` from the server,
 * or a base of 0 from a caller, would otherwise keep every delay at 0.
 * @param {BackoffPolicy} policy
 * @param {number} failures
 * @param {() => number} [random]
 */
function backoffDelay(policy, failures, random = Math.random) {
  const doublings = Math.min(Math.max(failures - 1, 0), MAX_DOUBLINGS);
  const ceiling = Math.min(clampDelay(policy.capMs), clampDelay(policy.baseMs) * 2 ** doublings);
  return clampDelay(Math.floor(random() * ceiling));
}

const RECONNECT_LIMITS = Object.freeze({
  minDelayMs: MIN_DELAY_MS,
  maxDelayMs: MAX_DELAY_MS,
  minHeartbeatMs: MIN_HEARTBEAT_MS,
  maxHeartbeatMs: MAX_HEARTBEAT_MS,
  silenceGraceMs: SILENCE_GRACE_MS,
});

export { backoffDelay, clampDelay, clampHeartbeat, isHealthy, RECONNECT_LIMITS, silenceTimeoutMs };
