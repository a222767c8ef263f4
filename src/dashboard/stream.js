// One reconnecting SSE stream, used by the global view and the configuration view.
//
// A native EventSource gives up for good on any non-200 answer, so the page owns reconnection: on
// error the EventSource is closed and re-created with exponential backoff and full jitter,
// resuming from the last event id. A `reconnect` event (the server ends the stream on purpose:
// deadline, shutdown) is honoured after its `retry_ms` and is not a failure. No event at all for
// three heartbeat intervals counts as a dead stream, whatever TCP says. After `maxRetries`
// failures the stream either falls back (the global view polls REST, and the stream keeps being
// retried in the background) or gives up (the configuration view).
/* global EventSource */

import { isCursor, parseJson } from './contract.js';
import { settings } from './settings.js';

/** @typedef {import('./contract.js').EventName} EventName */
/** @typedef {import('./contract.js').JsonObject} JsonObject */
/** @typedef {import('./contract.js').StreamOpenPayload} StreamOpenPayload */
/** @typedef {import('./contract.js').ReconnectPayload} ReconnectPayload */
/** @template T @typedef {import('./contract.js').Unchecked<T>} Unchecked */
/**
 * Handlers of event payloads (not checked yet), by contract event name: a name the contract drops is a type error.
 * @typedef {{ [Name in EventName]?: (data: JsonObject) => void }} EventHandlers
 */
/** @typedef {ReturnType<typeof createReconnectingStream>} ReconnectingStream */

/** Full-jitter exponential backoff: uniform in [0, min(cap, base · 2^(attempt-1))). @param {number} attempt */
const backoff = (attempt) =>
  Math.random() * Math.min(settings.backoffCapMs, settings.backoffBaseMs * 2 ** Math.max(0, Math.min(attempt, 6) - 1));

/** @param {unknown} ms @returns {ms is number} */
const validHeartbeat = (ms) => Number.isSafeInteger(ms) && /** @type {number} */ (ms) >= 1000;
/** @param {unknown} ms @returns {ms is number} */
const validRetry = (ms) => Number.isSafeInteger(ms) && /** @type {number} */ (ms) >= 0;

/**
 * @typedef {object} StreamOptions
 * @property {(lastEventId: string | undefined) => string} url  Where to connect, resuming after `lastEventId`.
 * @property {EventHandlers} on  Payload handlers by event name (stream_open, reconnect and heartbeat are
 *   handled here first; their handlers, if any, run after).
 * @property {import('./render.js').SetStatus} onStatus  Connected / Reconnecting.
 * @property {() => void} [onReset]  stream_open said the cursor was unknown or expired: what is shown may have gaps.
 * @property {number} [maxRetries]  Failures in a row before falling back or giving up (default settings.maxRetries).
 * @property {{ start(): void, stop(): void }} [fallback]  Started when retries run out, stopped when the stream opens.
 * @property {() => void} [onGiveUp]  Retries ran out and there is no fallback: the stream is closed.
 * @property {(attempt: number, url: string) => Promise<'retry' | 'now' | 'stop'>} [diagnose]  Consulted on each
 *   failure: 'retry' goes on as usual, 'now' reconnects at once, 'stop' closes the stream.
 */

/** One pending call at a time: scheduling another replaces it. */
function createTimer() {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return {
    /** @param {number} ms @param {() => void} callback */
    after(ms, callback) {
      clearTimeout(timer);
      timer = setTimeout(callback, ms);
    },
    cancel() {
      clearTimeout(timer);
    },
  };
}

/**
 * Calls `onSilence` when nothing arrived for three heartbeat intervals since the last arm().
 * @param {() => void} onSilence
 */
function createWatchdog(onSilence) {
  let heartbeatMs = 30_000;
  const timer = createTimer();
  return {
    /** The interval stream_open announced (at least a second; otherwise the last one stands). @param {unknown} ms */
    heartbeat(ms) {
      if (validHeartbeat(ms)) heartbeatMs = ms;
    },
    arm() {
      timer.after(heartbeatMs * 3, onSilence);
    },
    disarm() {
      timer.cancel();
    },
  };
}

/**
 * The optional fallback (polling), started and stopped at most once each way.
 * @param {StreamOptions['fallback']} fallback
 */
function createFallbackSwitch(fallback) {
  let active = false;
  return {
    get active() {
      return active;
    },
    start() {
      if (!active) fallback?.start();
      active = true;
    },
    stop() {
      if (active) fallback?.stop();
      active = false;
    },
  };
}

/** @param {StreamOptions} options */
function createReconnectingStream(options) {
  const maxRetries = options.maxRetries ?? settings.maxRetries;
  const fallback = createFallbackSwitch(options.fallback);
  const watchdog = createWatchdog(() => {
    if (source !== undefined) void failed();
  });
  const retry = createTimer();
  const retryIn = (/** @type {number} */ ms) => retry.after(ms, open);
  // The cursor to resume after, the live EventSource, failures in a row, closed for good.
  let /** @type {string | undefined} */ lastEventId, /** @type {EventSource | undefined} */ source;
  let [failures, closed] = [0, false];

  const drop = () => {
    watchdog.disarm();
    source?.close();
    source = undefined;
  };

  function opened(/** @type {Unchecked<StreamOpenPayload>} */ data) {
    watchdog.heartbeat(data.heartbeat_interval_ms);
    watchdog.arm();
    failures = 0;
    fallback.stop();
    options.onStatus('Connected', '');
    if (data.outcome === 'reset') options.onReset?.();
  }

  function reconnectAsked(/** @type {Unchecked<ReconnectPayload>} */ data) {
    drop();
    if (fallback.active) return retryIn(settings.backgroundRetryMs);
    options.onStatus('Reconnecting', 'the server asked to reconnect');
    retryIn(Math.min(validRetry(data.retry_ms) ? data.retry_ms : settings.backoffBaseMs, settings.backoffCapMs));
  }

  async function failed() {
    const url = options.url(lastEventId);
    drop();
    failures += 1;
    const exhausted = () => failures >= maxRetries || fallback.active;
    if (!exhausted()) options.onStatus('Reconnecting', `attempt ${failures} of ${maxRetries}`);
    if (options.diagnose !== undefined) {
      const verdict = await options.diagnose(failures, url);
      if (closed) return;
      if (verdict === 'stop') return close();
      if (verdict === 'now') return open();
    }
    if (!exhausted()) return retryIn(backoff(failures));
    if (options.fallback === undefined) {
      close();
      return options.onGiveUp?.();
    }
    fallback.start();
    retryIn(settings.backgroundRetryMs);
  }

  /** @type {EventHandlers} */ const builtIn = { stream_open: opened, reconnect: reconnectAsked, heartbeat: () => {} };

  function received(/** @type {EventSource} */ es, /** @type {EventName} */ name, /** @type {MessageEvent} */ event) {
    if (source !== es || closed) return;
    if (isCursor(event.lastEventId)) lastEventId = event.lastEventId;
    watchdog.arm();
    const data = parseJson(event.data);
    if (data === undefined) return;
    builtIn[name]?.(data);
    // A built-in may have closed this stream (reconnect): the view's handler still sees the event.
    options.on[name]?.(data);
  }

  function open() {
    if (closed) return;
    retry.cancel();
    drop();
    const es = new EventSource(options.url(lastEventId));
    source = es;
    for (const name of new Set(/** @type {EventName[]} */ ([...Object.keys(builtIn), ...Object.keys(options.on)])))
      es.addEventListener(name, (event) => received(es, name, event));
    es.addEventListener('error', () => {
      if (source === es && !closed) void failed();
    });
  }

  function close() {
    closed = true;
    retry.cancel();
    drop();
    fallback.stop();
  }

  return {
    open,
    close,
    /** The cursor the next connection resumes after (polling moves it on). */
    get lastEventId() {
      return lastEventId;
    },
    set lastEventId(value) {
      if (isCursor(value)) lastEventId = value;
    },
  };
}

export { backoff, createReconnectingStream };
