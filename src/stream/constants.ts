/** SSE wire constants in one frozen place; tests assert these headers exactly. */

/** Response headers of every stream (PRODUCT.md). No `Connection`: it is forbidden on HTTP/2. */
const SSE_HEADERS = Object.freeze({
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const);

/** A queue past this many bytes means the client stopped reading: it is disconnected. */
const MAX_QUEUED_BYTES = 1024 * 1024;

/** Items per read when a resuming client replays what it missed. */
const REPLAY_PAGE = 500;

/** Items per read of the shared poller; it keeps reading while pages come back full. */
const POLL_PAGE = 500;
/** …but at most this many pages in one tick, so one tick cannot run unbounded. */
const MAX_PAGES_PER_POLL = 20;

export { MAX_PAGES_PER_POLL, MAX_QUEUED_BYTES, POLL_PAGE, REPLAY_PAGE, SSE_HEADERS };
