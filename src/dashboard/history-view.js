// "Sentiment over time": a ticker selector and a bucket toggle, the chart, and its text alternative
// (a summary under the chart, a visually-hidden table for screen readers), all from
// GET /api/v2/metrics/history?ticker=&bucket=.
//
// Live: every item that arrives (stream or polling) and counts in the selected view (any ticker for
// "All tickers", else the selected one) asks for a refetch. Refetches are throttled to one per
// `historyRefreshMs` and one at a time. The stream may show an item a little before another server
// process's counters do (the contract allows POLL_INTERVAL_MS + 1 s), so a last refetch follows
// SETTLE_MS after the last item; and the window is refetched every minute anyway, to roll on when
// nothing arrives. The server stays the one source of the counts: nothing is added up
// in the page, so duplicates, late items and the window's edges cannot make it drift. A changed
// selection refetches at once, and an answer to an older request is dropped.
/* global document, HTMLInputElement */

import { createSentimentChart } from './chart.js';
import { TICKER, validHistory } from './contract.js';
import { summaryText, tableRows } from './history-data.js';
import { $, el } from './render.js';
import { metricsHistory } from './rest.js';
import { settings } from './settings.js';
import { createThrottle } from './throttle.js';

/** @typedef {import('./contract.js').BucketSize} BucketSize */
/** @typedef {import('./contract.js').ShownHistory} ShownHistory */
/** @typedef {ReturnType<typeof startHistoryView>} HistoryView */

/** The window moves on with time: refetched this often even when no item arrives. */
const ROLL_MS = 60_000;
/** After the last item, one more refetch this much later, once every process counts it. */
const SETTLE_MS = 3000;
const ALL = 'All tickers';

/** The selected bucket size (the toggle's checked radio button). @returns {BucketSize} */
function selectedBucket() {
  const checked = document.querySelector('input[name="history-bucket"]:checked');
  return checked instanceof HTMLInputElement && checked.value === '5m' ? '5m' : '1h';
}

/**
 * The text alternative: the summary sentence, and the table of every bucket.
 * @param {string} summary
 * @param {readonly string[][]} rows
 */
function showText(summary, rows) {
  $('history-summary').textContent = summary;
  $('history-rows').replaceChildren(
    ...rows.map((cells) => {
      const tr = el('tr');
      const [time = '', ...counts] = cells;
      const th = el('th', '', time);
      th.scope = 'row';
      tr.append(th, ...counts.map((text) => el('td', '', text)));
      return tr;
    }),
  );
}

/**
 * The selector's tickers: "All tickers", then those the metrics know, in order; the selected one
 * stays even when it drops out of the metrics. Rebuilt only when the list changes, so that an open
 * selector is not disturbed by every metrics event.
 * @param {HTMLSelectElement} select
 * @param {readonly string[]} tickers
 */
function setTickerOptions(select, tickers) {
  const selected = select.value;
  const wanted = [
    ...new Set([...tickers.filter((t) => TICKER.test(t)), ...(selected === '' ? [] : [selected])]),
  ].sort();
  const current = [...select.options].slice(1).map((option) => option.value);
  if (current.join() === wanted.join()) return;
  const all = el('option', '', ALL);
  all.value = '';
  select.replaceChildren(
    all,
    ...wanted.map((ticker) => {
      const option = el('option', '', ticker);
      option.value = ticker;
      return option;
    }),
  );
  select.value = selected;
}

function startHistoryView() {
  const chart = createSentimentChart($('sentiment-chart'));
  const select = /** @type {HTMLSelectElement} */ ($('history-ticker'));
  let requested = 0;
  let applied = 0;

  async function refresh() {
    const mine = (requested += 1);
    const ticker = select.value;
    const bucket = selectedBucket();
    /** @type {ShownHistory | undefined} */
    let history;
    let problem = 'the answer is not sentiment over time';
    try {
      history = validHistory(await metricsHistory(ticker, bucket));
    } catch (error) {
      problem = String(/** @type {Error} */ (error).message);
    }
    // A newer answer is shown already, or the selection changed meanwhile (its own request is under way).
    if (mine < applied || ticker !== select.value || bucket !== selectedBucket()) return;
    applied = mine;
    if (history === undefined) {
      chart.fail();
      showText(`Sentiment over time is unavailable (${problem}).`, []);
      return;
    }
    showText(summaryText(history, ticker === '' ? ALL : ticker), tableRows(history));
    await chart.draw(history);
  }

  const throttle = createThrottle(refresh, settings.historyRefreshMs);
  select.addEventListener('change', () => throttle.now());
  for (const radio of document.querySelectorAll('input[name="history-bucket"]'))
    radio.addEventListener('change', () => throttle.now());
  setInterval(() => throttle.request(), ROLL_MS);
  throttle.now();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let settle;

  return {
    /** An item arrived: refetch (throttled) if it counts in the view shown. @param {string} ticker */
    itemArrived(ticker) {
      if (select.value !== '' && select.value !== ticker) return;
      throttle.request();
      clearTimeout(settle);
      settle = setTimeout(() => throttle.request(), SETTLE_MS);
    },
    /** The tickers the metrics know, for the selector. @param {readonly string[]} tickers */
    tickers(tickers) {
      setTickerOptions(select, tickers);
    },
    /** What is shown may have gaps (the stream was reset): refetch. */
    refresh() {
      throttle.request();
    },
  };
}

export { startHistoryView };
