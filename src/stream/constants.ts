/** SSE wire constants in one frozen place; tests assert these headers exactly. */

/** Response headers of every stream (the product's fixed interface, docs/contracts.md). No `Connection`: it is forbidden on HTTP/2. */
const SSE_HEADERS = Object.freeze({
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const);

/** A queue past this many bytes means the client stopped reading: it is disconnected. */
const MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * A stream whose socket takes no bytes for this many heartbeat intervals is dropped. A live
 * socket takes a heartbeat every interval, so only a peer that stopped reading (or vanished
 * without a FIN while data was in flight) stays blocked that long.
 */
const STALL_HEARTBEATS = 3;

/** Items per read when a resuming client replays what it missed. */
const REPLAY_PAGE = 500;

/** Items per read of the shared poller; it keeps reading while pages come back full. */
const POLL_PAGE = 500;
/** …but at most this many pages in one tick, so one tick cannot run unbounded. */
const MAX_PAGES_PER_POLL = 20;

/**
 * Tickers whose last sent aggregate a view remembers (to send only changes). Past this the view
 * forgets all but the snapshot's most active ones; the others are re-sent when they next move.
 */
const REMEMBERED_TICKERS = 400;

/**
 * How far a feed source's aggregates may trail its feed (its counter cache: 500 ms for the
 * poller's store). A ticker with items in a batch is checked for a changed aggregate for this long,
 * so its update is not lost when the batch's aggregates do not count its items yet.
 */
const AGGREGATES_LAG_MS = 2_000;

export {
  AGGREGATES_LAG_MS,
  MAX_PAGES_PER_POLL,
  MAX_QUEUED_BYTES,
  POLL_PAGE,
  REMEMBERED_TICKERS,
  REPLAY_PAGE,
  SSE_HEADERS,
  STALL_HEARTBEATS,
};
