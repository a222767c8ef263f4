// The sentiment chart: three stacked areas (positive on top of neutral on top of negative) drawn by
// uPlot. uPlot is served by the dashboard's own server under vendor/uplot/ (from the installed
// package, never a CDN) and imported on first use, so that the rest of the page works even where it
// is missing; the summary and the table under the chart say the same in text either way.
/* global ResizeObserver */

import { LAYER_KEYS, stackedColumns } from './history-data.js';

/** @typedef {typeof import('uplot')} UPlotClass */
/** @typedef {import('uplot')} UPlot */
/** @typedef {import('uplot').Options} UPlotOptions */
/** @typedef {import('./contract.js').ShownHistory} ShownHistory */
/** @typedef {import('./contract.js').ShownBucket} ShownBucket */

// Next to app.js, wherever the dashboard is served from.
const UPLOT_URL = new URL('./vendor/uplot/uPlot.esm.js', import.meta.url).href;

/** Colours of styles.css (--positive, --neutral, --negative), fills lighter but opaque: they stack by covering. */
const LAYERS = Object.freeze({
  positive: { label: 'Positive', stroke: '#0a6b2e', fill: '#a6d8b6' },
  neutral: { label: 'Neutral', stroke: '#4a4f57', fill: '#cdd1d8' },
  negative: { label: 'Negative', stroke: '#a3161b', fill: '#eeb0b2' },
});

/**
 * uPlot formats numbers for `navigator.language` as it loads, and Chromium started under the C locale
 * (LANG=C.UTF-8: containers, CI, some Linux desktops) reports `en-US@posix`, a tag Intl refuses, so
 * uPlot would not load at all. On this page only, such a tag reads as the locale Intl resolves itself.
 */
function repairLanguage() {
  try {
    Intl.NumberFormat.supportedLocalesOf(navigator.language);
  } catch {
    const locale = new Intl.NumberFormat().resolvedOptions().locale;
    Object.defineProperty(navigator, 'language', { value: locale, configurable: true });
  }
}

/** @type {Promise<UPlotClass> | undefined} */
let loading;
/** uPlot, loaded once. @returns {Promise<UPlotClass>} */
function loadUPlot() {
  if (loading === undefined) {
    repairLanguage();
    loading = import(UPLOT_URL).then(
      (module) => /** @type {{ default: UPlotClass }} */ (module).default,
      (error) => {
        loading = undefined; // the next drawing tries again
        throw error;
      },
    );
  }
  return loading;
}

/** @param {number} seconds */
const timeOfDay = (seconds) =>
  new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });

/** A phone gets a lower chart, so that the page around it stays in view. @param {number} width */
const heightFor = (width) => (width < 500 ? 180 : 240);

/**
 * uPlot's options. The legend shows each layer's own count under the cursor (not the stacked sum it
 * draws); clicking it does not hide a layer (styles.css), since the stack would then lie.
 * @param {number} width
 * @param {() => readonly ShownBucket[]} shown  the buckets drawn, for the legend's values
 * @returns {UPlotOptions}
 */
function chartOptions(width, shown) {
  const axis = { stroke: '#4d5560', grid: { stroke: '#e3e6eb', width: 1 }, ticks: { stroke: '#c9ced6', width: 1 } };
  return {
    width,
    height: heightFor(width),
    // The newest bucket sits at the right edge; counts start at 0 and an empty window still has a scale.
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    series: [
      {},
      ...LAYER_KEYS.map((key) => ({
        ...LAYERS[key],
        width: 1.5,
        points: { show: false },
        /** @type {(u: UPlot, raw: number, series: number, index: number | null) => string} */
        value: (_u, _raw, _series, index) => String((index === null ? undefined : shown()[index]?.[key]) ?? '–'),
      })),
    ],
    // Times of day on the 24-hour clock, as everywhere else on the page.
    axes: [
      { ...axis, values: (_u, splits) => splits.map(timeOfDay) },
      { ...axis, size: 44 },
    ],
    // No drag to zoom: the chart is redrawn as items arrive, which would undo a zoom anyway.
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
  };
}

/**
 * The chart in `container`: `draw` shows a history (creating the plot on first use), `fail` says
 * there is none to show. The container's `data-state` (`loading`, `drawn`, `unavailable`) and
 * `data-total` (the items drawn) tell tests and styles what it shows.
 * @param {HTMLElement} container
 */
function createSentimentChart(container) {
  /** @type {UPlot | undefined} */
  let plot;
  /** @type {readonly ShownBucket[]} */
  let shown = [];
  let draws = 0;
  const width = () => Math.max(200, Math.floor(container.clientWidth));

  // The plot follows its container's width (a rotated phone, a resized window).
  new ResizeObserver(() => {
    if (plot !== undefined && plot.width !== width()) plot.setSize({ width: width(), height: heightFor(width()) });
  }).observe(container);

  /** @param {ShownHistory} history */
  async function draw(history) {
    const UPlotClass = await loadUPlot();
    shown = history.buckets;
    const columns = stackedColumns(shown);
    if (plot === undefined)
      plot = new UPlotClass(
        chartOptions(width(), () => shown),
        columns,
        container,
      );
    else plot.setData(columns);
    draws += 1;
    container.dataset.state = 'drawn';
    container.dataset.total = String(columns[1].reduce((sum, n) => sum + n, 0));
    container.dataset.draws = String(draws);
  }

  return {
    /** Draws `history`; if uPlot cannot be loaded, the chart says so and the text stays. @param {ShownHistory} history */
    async draw(history) {
      try {
        await draw(history);
      } catch {
        container.dataset.state = 'unavailable';
      }
    },
    /** Nothing to draw (the history could not be loaded): the last drawing is cleared. */
    fail() {
      plot?.setData(stackedColumns([]));
      shown = [];
      container.dataset.state = 'unavailable';
      delete container.dataset.total;
    },
  };
}

export { createSentimentChart };
