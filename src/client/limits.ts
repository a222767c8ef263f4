/**
 * The bounds the stream client holds any server to, whatever it says or sends. The reconnect
 * bounds (the delay range, the heartbeat range, the silence timeout) are the dashboard's too,
 * from the one module both use (src/dashboard/shared/reconnect-policy.js); the buffer bounds
 * below are the client's own (the browser's EventSource has its own). docs/client.md lists them
 * with their reasons.
 */
import { RECONNECT_LIMITS } from '../dashboard/shared/reconnect-policy.js';

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

/** The bounds, for callers that show or test them. */
const CLIENT_LIMITS = Object.freeze({
  ...RECONNECT_LIMITS,
  maxEventChars: MAX_EVENT_CHARS,
  maxRefusalBodyBytes: MAX_REFUSAL_BODY_BYTES,
});

export { CLIENT_LIMITS, MAX_EVENT_CHARS, MAX_REFUSAL_BODY_BYTES };
