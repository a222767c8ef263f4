// The global view: a REST snapshot (items + metrics) gives a cursor, then the global stream opens
// with `?last_event_id=<cursor>` so it continues exactly where the snapshot ends. While the stream
// is down for good, REST is polled (`GET /api/v2/items?after=<cursor>`, `GET /api/v2/metrics`).

import { takePage, validAggregate, validItem, validMetrics } from './contract.js';
import { $, createItemList, createMetricsView, createStatus } from './render.js';
import { itemsAfter, latestItems, metrics } from './rest.js';
import { settings, streamUrl } from './settings.js';
import { createReconnectingStream } from './stream.js';

/** @typedef {import('./history-view.js').HistoryView} HistoryView */
/** @typedef {import('./render.js').ItemList} ItemList */
/** @typedef {import('./render.js').MetricsView} MetricsView */
/** @typedef {import('./render.js').SetStatus} SetStatus */
/** @typedef {import('./stream.js').ReconnectingStream} ReconnectingStream */

const SNAPSHOT_SIZE = 50;
const POLL_PAGE = 100;
// Bounds one poll's catching up: the next poll goes on from where this one stopped.
const POLL_ROUNDS = 10;

/**
 * Polls REST for new items and the metrics, moving the stream's cursor along.
 * @param {ReconnectingStream} stream
 * @param {ItemList} items
 * @param {MetricsView} view
 * @param {SetStatus} setStatus
 */
function createPoller(stream, items, view, setStatus) {
  let generation = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const every = () => `every ${Math.round(settings.pollIntervalMs / 100) / 10} s`;

  /** @param {number} current  the generation this poll belongs to */
  async function pollItems(current) {
    if (stream.lastEventId === undefined) {
      const page = takePage(await latestItems(SNAPSHOT_SIZE));
      if (current !== generation || page === undefined) return;
      items.replace(page.items);
      stream.lastEventId = page.cursor;
      return;
    }
    // Follow the cursor until an answer is not full. Once set, the stream's cursor is never unset.
    for (let round = 0; round < POLL_ROUNDS; round += 1) {
      const page = takePage(await itemsAfter(/** @type {string} */ (stream.lastEventId), POLL_PAGE));
      if (current !== generation || page === undefined) return;
      items.addAll(page.items);
      stream.lastEventId = page.cursor;
      if (page.count < POLL_PAGE) break;
    }
  }

  /** @param {number} current  the generation this poll belongs to */
  async function pollOnce(current) {
    try {
      await pollItems(current);
      const m = validMetrics(await metrics());
      if (current !== generation) return;
      if (m !== undefined) view.metrics(m);
      setStatus('Polling', every());
    } catch (error) {
      if (current === generation) setStatus('Polling', `REST failed (${String(/** @type {Error} */ (error).message)})`);
    } finally {
      if (current === generation) timer = setTimeout(() => void pollOnce(current), settings.pollIntervalMs);
    }
  }

  return {
    start() {
      generation += 1;
      setStatus('Polling', every());
      void pollOnce(generation);
    },
    stop() {
      // Answers still under way belong to an older generation and are dropped.
      generation += 1;
      clearTimeout(timer);
    },
  };
}

/**
 * After a `reset`: reload the newest items, keeping ones the stream delivered meanwhile on top.
 * @param {ItemList} items
 */
async function reloadItems(items) {
  try {
    const page = takePage(await latestItems(SNAPSHOT_SIZE));
    if (page === undefined) return;
    const known = new Set(page.items.map((i) => i.item_id));
    if (items.ids().every((id) => known.has(id))) items.replace(page.items);
    else items.addAll(page.items);
  } catch {
    // The stream keeps the list going; the next reset tries again.
  }
}

/**
 * The first snapshot; a failure leaves the list empty (the stream sends metrics on connect anyway).
 * @param {ReconnectingStream} stream
 * @param {ItemList} items
 * @param {MetricsView} view
 */
async function loadSnapshot(stream, items, view) {
  try {
    const [page, m] = await Promise.all([latestItems(SNAPSHOT_SIZE), metrics()]);
    const p = takePage(page);
    if (p !== undefined) {
      items.replace(p.items);
      stream.lastEventId = p.cursor;
    }
    const valid = validMetrics(m);
    if (valid !== undefined) view.metrics(valid);
  } catch {
    // Opened from the start of the stream's window instead.
  }
}

/**
 * @param {HistoryView} history  the sentiment chart: told of every new item, the tickers the metrics
 *   know, and a reset
 */
function startGlobalView(history) {
  const items = createItemList($('items'), (item) => history.itemArrived(item.ticker));
  const metricsView = createMetricsView();
  /** @type {MetricsView} */
  const view = {
    ...metricsView,
    metrics(m) {
      metricsView.metrics(m);
      history.tickers(m.by_tag.map(([ticker]) => ticker));
    },
  };
  const setStatus = createStatus($('connection-status'), $('connection-detail'));
  const stream = createReconnectingStream({
    url: (lastEventId) =>
      streamUrl(
        `/api/v2/stream${lastEventId === undefined ? '' : `?${new URLSearchParams({ last_event_id: lastEventId })}`}`,
      ),
    on: {
      metrics: (data) => {
        const m = validMetrics(data);
        if (m !== undefined) view.metrics(m);
      },
      new_item: (data) => {
        const item = validItem(data);
        if (item !== undefined) items.add(item);
      },
      sentiment_update: (data) => {
        const a = validAggregate(data);
        if (a !== undefined) view.average(a.ticker, a.average_score);
      },
    },
    onStatus: setStatus,
    onReset: () => {
      void reloadItems(items);
      history.refresh();
    },
    // The poller moves the stream's cursor on and the stream starts and stops it: they know each other.
    fallback: { start: () => poller.start(), stop: () => poller.stop() },
  });
  const poller = createPoller(stream, items, view, setStatus);
  setStatus('Connecting', '');
  void loadSnapshot(stream, items, view).then(() => stream.open());
}

export { startGlobalView };
