// Rendering: text only (textContent, never innerHTML), no network.
/* global document */

import { settings } from './settings.js';

/** @typedef {import('./contract.js').ShownItem} ShownItem */
/** @typedef {import('./contract.js').ShownMetrics} ShownMetrics */
/** Shows a connection state and, optionally, why. @typedef {(state: string, detail?: string) => void} SetStatus */
/** @typedef {ReturnType<typeof createItemList>} ItemList */
/** @typedef {ReturnType<typeof createMetricsView>} MetricsView */

/**
 * The page's element with this id. index.html has every id the scripts ask for, so it is typed as
 * present; a caller that needs a form or input element says so with a cast.
 * @param {string} id
 * @returns {HTMLElement}
 */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * A new element with an optional class and text (as text, never markup).
 * @template {keyof HTMLElementTagNameMap} Tag
 * @param {Tag} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[Tag]}
 */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {string} iso */
const formatTime = (iso) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour12: false });
};

/** @param {ShownItem} item */
function renderItem(item) {
  const li = el('li', `item ${item.sentiment}`);
  li.dataset.itemId = item.item_id;
  li.dataset.timestamp = item.timestamp;
  li.append(
    el('span', 'ticker', item.ticker),
    el('span', 'sentiment', item.sentiment),
    el('span', 'score', (item.score >= 0 ? '+' : '') + item.score.toFixed(2)),
  );
  const time = el('time', 'time', formatTime(item.timestamp));
  time.dateTime = item.timestamp;
  li.append(time);
  if (item.source !== undefined) li.append(el('span', 'source', item.source));
  return li;
}

/** An entry's item time in ms (renderItem set it from a timestamp validItem checked). @param {Element} li */
const itemTime = (li) => Date.parse(/** @type {HTMLElement} */ (li).dataset.timestamp ?? '');

/**
 * A bounded list of items, newest first by the item's own `timestamp` (not by arrival), without
 * duplicates: an item that arrives late slots in below the newer ones, and once the list is full the
 * oldest go. `onNew` hears of every item not shown before, kept or not (the chart counts it either way).
 * @param {HTMLElement} listElement
 * @param {(item: ShownItem) => void} [onNew]
 */
function createItemList(listElement, onNew) {
  /** @type {Set<string>} */
  const seen = new Set();
  const list = {
    /** Adds one item in its place in time; true when it is shown now (new, and not the oldest of a full list). @param {ShownItem} item */
    add(item) {
      if (seen.has(item.item_id)) return false;
      seen.add(item.item_id);
      const at = Date.parse(item.timestamp);
      // Among equal times the later arrival goes on top. At most maxItems entries: a linear scan.
      const next = [...listElement.children].find((li) => itemTime(li) <= at);
      listElement.insertBefore(renderItem(item), next ?? null);
      while (listElement.children.length > settings.maxItems) {
        // Children are the items this list rendered (renderItem), each with data-item-id.
        const last = /** @type {HTMLElement} */ (listElement.lastElementChild);
        seen.delete(/** @type {string} */ (last.dataset.itemId));
        last.remove();
      }
      onNew?.(item);
      return seen.has(item.item_id);
    },
    /**
     * Adds `items` (newest first) under what is shown, keeping each one's place in time.
     * @param {readonly ShownItem[]} items
     */
    addAll(items) {
      for (const item of [...items].reverse()) list.add(item);
    },
    /** Replaces the list with `items` (newest first). @param {readonly ShownItem[]} items */
    replace(items) {
      list.clear();
      list.addAll(items);
    },
    clear() {
      seen.clear();
      listElement.replaceChildren();
    },
    /** The ids shown, top to bottom. @returns {string[]} */
    ids() {
      return [...listElement.children].map(
        (li) => /** @type {string} */ (/** @type {HTMLElement} */ (li).dataset.itemId),
      );
    },
  };
  return list;
}

/**
 * @param {string} ticker
 * @param {number} count
 * @param {number} max
 * @param {number | undefined} average
 */
function tickerRow(ticker, count, max, average) {
  const li = el('li', 'ticker-row');
  li.dataset.ticker = ticker;
  const bar = el('span', 'bar');
  bar.setAttribute('role', 'img');
  bar.setAttribute('aria-label', `${ticker}: ${count} items`);
  const fill = el('span', 'bar-fill');
  // The CSSOM, not a style attribute: CSP's style-src does not restrict it.
  fill.style.width = `${Math.round((count / max) * 100)}%`;
  bar.append(fill);
  const value = average === undefined ? String(count) : `${count} · avg ${average.toFixed(2)}`;
  li.append(el('span', 'ticker-label', ticker), bar, el('span', 'ticker-count', value));
  return li;
}

/** The global metrics and the per-ticker bars (with the average score once a sentiment_update told it). */
function createMetricsView() {
  /** @type {Map<string, number>} */
  const averages = new Map();
  /** @type {ShownMetrics | undefined} */
  let lastMetrics;
  const renderTickers = () => {
    if (lastMetrics === undefined) return;
    const rows = [...lastMetrics.by_tag].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 30);
    const max = Math.max(1, ...rows.map((r) => r[1]));
    $('tickers').replaceChildren(...rows.map(([ticker, count]) => tickerRow(ticker, count, max, averages.get(ticker))));
  };
  return {
    /** @param {ShownMetrics} m */
    metrics(m) {
      lastMetrics = m;
      for (const key of /** @type {const} */ (['total', 'positive', 'neutral', 'negative']))
        $(`metric-${key}`).textContent = String(m[key]);
      $('metric-rate-hour').textContent = String(m.rate_last_hour);
      $('metric-rate-24h').textContent = String(m.rate_last_24h);
      const asOf = /** @type {HTMLTimeElement} */ ($('metric-as-of'));
      asOf.textContent = m.as_of ? formatTime(m.as_of) : '–';
      if (m.as_of) asOf.dateTime = m.as_of;
      renderTickers();
    },
    /** @param {string} ticker @param {number} averageScore */
    average(ticker, averageScore) {
      averages.set(ticker, averageScore);
      renderTickers();
    },
  };
}

const STATES = ['Connecting', 'Connected', 'Reconnecting', 'Polling', 'Disconnected'];

/**
 * A status line: `node` shows one of STATES (and `data-state`), `detailNode` (optional) the why.
 * @param {HTMLElement} node
 * @param {HTMLElement} [detailNode]
 * @returns {SetStatus}
 */
function createStatus(node, detailNode) {
  return (state, detail) => {
    if (!STATES.includes(state)) return;
    // Unchanged text is not rewritten: aria-live would announce it again.
    if (node.textContent !== state) node.textContent = state;
    node.dataset.state = state.toLowerCase();
    if (detailNode) detailNode.textContent = detail ?? '';
  };
}

export { $, createItemList, createMetricsView, createStatus, el };
