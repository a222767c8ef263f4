// One reconnecting SSE stream, used by the global view and the configuration view.
//
// A native EventSource gives up for good on any non-200 answer, so the page owns reconnection: on
// error the EventSource is closed and re-created, resuming from the last event id. The rules are
// tickerpulse/client's too, from one module (shared/reconnect-policy.js): exponential backoff
// with full jitter, every wait within [250 ms, 10 min]; a `reconnect` event (the server ends the
// stream on purpose: deadline, shutdown) is honoured after its `retry_ms` and is not a failure
// if the stream was healthy (open for one heartbeat interval; only then do failures count from
// zero again); no event at all for two heartbeat intervals plus 3 s counts as a dead stream,
// whatever TCP says. After `maxRetries` failures the stream either falls back (the global view
// polls REST, and the stream keeps being retried in the background) or gives up (the
// configuration view).
/* global EventSource */

import { isCursor, parseJson } from './contract.js';
import { settings } from './settings.js';
import { backoffDelay, clampDelay, clampHeartbeat, isHealthy, silenceTimeoutMs } from './shared/reconnect-policy.js';

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

/** The wait after `failures` failures in a row, with the page's base and cap. @param {number} failures */
const backoff = (failures) => backoffDelay({ baseMs: settings.backoffBaseMs, capMs: settings.backoffCapMs }, failures);

/** A number the server sent, or undefined for anything else. @param {unknown} value */
const numberOr = (value) => (typeof value === 'number' ? value : undefined);

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
 * Calls `onSilence` when nothing arrived for two heartbeat intervals plus the grace since the
 * last arm().
 * @param {() => void} onSilence
 */
function createWatchdog(onSilence) {
  let heartbeatMs = 30_000;
  const timer = createTimer();
  return {
    /** The interval stream_open announced, clamped into the contract's range; the last one stands for anything else. */
    get heartbeatMs() {
      return heartbeatMs;
    },
    /** @param {unknown} ms */
    heartbeat(ms) {
      const announced = numberOr(ms);
      if (announced !== undefined) heartbeatMs = clampHeartbeat(announced);
    },
    arm() {
      timer.after(silenceTimeoutMs(heartbeatMs), onSilence);
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

/**
 * How long the live stream has been open, measured from its stream_open.
 * @param {{ readonly heartbeatMs: number }} watchdog  the interval it announced
 */
function createStreamLife(watchdog) {
  let /** @type {number | undefined} */ openedAt;
  return {
    opened() {
      openedAt = performance.now();
    },
    /** Whether the stream, if any, lived one heartbeat interval (then failures count from zero); forgets it. */
    endHealthy() {
      const openFor = openedAt === undefined ? 0 : performance.now() - openedAt;
      openedAt = undefined;
      return isHealthy(openFor, watchdog.heartbeatMs);
    },
  };
}

/**
 * Listens to each of `names` once, and to errors.
 * @param {EventSource} es
 * @param {string[]} names
 * @param {(es: EventSource, name: EventName, event: MessageEvent) => void} onEvent
 * @param {() => void} onError
 */
function listen(es, names, onEvent, onError) {
  for (const name of new Set(/** @type {EventName[]} */ (names)))
    es.addEventListener(name, (event) => onEvent(es, name, event));
  es.addEventListener('error', onError);
}

/** @param {StreamOptions} options */
function createReconnectingStream(options) {
  const maxRetries = options.maxRetries ?? settings.maxRetries;
  const fallback = createFallbackSwitch(options.fallback);
  const watchdog = createWatchdog(() => void (source === undefined || failed()));
  const retry = createTimer();
  const retryIn = (/** @type {number} */ ms) => retry.after(ms, open);
  const life = createStreamLife(watchdog);
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
    life.opened();
    fallback.stop();
    options.onStatus('Connected', '');
    if (data.outcome === 'reset') options.onReset?.();
  }

  function reconnectAsked(/** @type {Unchecked<ReconnectPayload>} */ data) {
    const hint = clampDelay(numberOr(data.retry_ms) ?? settings.backoffBaseMs);
    // Asked before the stream was healthy, it is one more failure: the wait grows, at least the hint.
    const healthy = life.endHealthy();
    failures = healthy ? 0 : failures + 1;
    drop();
    if (fallback.active) return retryIn(settings.backgroundRetryMs);
    options.onStatus('Reconnecting', 'the server asked to reconnect');
    retryIn(healthy ? hint : Math.max(hint, backoff(failures)));
  }

  /** The connection failed: one more failure in a row (after a healthy stream, the first). */
  async function failed() {
    const url = options.url(lastEventId);
    if (life.endHealthy()) failures = 0;
    drop();
    failures += 1;
    const exhausted = () => failures >= maxRetries || fallback.active;
    if (!exhausted()) options.onStatus('Reconnecting', `attempt ${failures} of ${maxRetries}`);
    const verdict = (await options.diagnose?.(failures, url)) ?? 'retry';
    if (closed) return;
    if (verdict !== 'retry') return verdict === 'stop' ? close() : open();
    if (!exhausted()) return retryIn(backoff(failures));
    if (options.fallback === undefined) return void (close(), options.onGiveUp?.());
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
    listen(es, [...Object.keys(builtIn), ...Object.keys(options.on)], received, () => {
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

export { createReconnectingStream };
