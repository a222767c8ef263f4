/**
 * Metrics and per-ticker aggregates over the trailing 24 hours (the current hour and the 23
 * before it), from per-hour counts: the folded metrics rows plus the feed's unfolded tail
 * (view.ts merges the two). Pure: the same counts give the same answer.
 */
import type { Metrics, TickerAggregate } from '../contract/index.ts';
import type { Aggregates } from '../stream/ports.ts';
import { addCounts, averageScore, type Counts, zeroCounts } from './counts.ts';
import type { MetricsCounts } from './aggregate-rows.ts';
import { HOUR_MS, hourStart } from './keys.ts';

/** Hours in the window, the current one included. */
const WINDOW_HOURS = 24;

/**
 * The most tickers a snapshot names: `metrics.by_tag` and a new stream's opening
 * `sentiment_update`s cover the most active ones in the window (ties by symbol). Anyone holding
 * the ingest key can create any number of tickers; this keeps a connect, and each metrics event,
 * the same size whatever that number is. A configuration names at most 20 tickers, so its views
 * are never cut.
 */
const MAX_SNAPSHOT_TICKERS = 100;

/** The window's first and last hour (epoch ms) at `now`. */
function metricsWindow(now: number): { firstHour: number; lastHour: number } {
  const lastHour = hourStart(now);
  return { firstHour: lastHour - (WINDOW_HOURS - 1) * HOUR_MS, lastHour };
}

/**
 * Folds per-hour counts into the contract's shapes. With `tickers`, everything (including the
 * totals) counts only those tickers: that is what a configuration's stream shows.
 */
function summarize(hours: ReadonlyMap<number, MetricsCounts>, now: number, tickers?: ReadonlySet<string>): Aggregates {
  const asOf = new Date(now).toISOString();
  const { firstHour, lastHour } = metricsWindow(now);
  // The previous hour still overlaps the last 60 minutes by this fraction.
  const previousHourShare = 1 - (now - lastHour) / HOUR_MS;
  const window = zeroCounts();
  const lastHourCounts = zeroCounts();
  const perTicker = new Map<string, Counts>();
  for (const [hourMs, counts] of hours) {
    if (hourMs < firstHour || hourMs > lastHour) continue;
    const total = tickers === undefined ? counts.all : totalOf(counts, tickers);
    addCounts(window, total);
    if (hourMs === lastHour) addCounts(lastHourCounts, total);
    else if (hourMs === lastHour - HOUR_MS) addCounts(lastHourCounts, total, previousHourShare);
    for (const [ticker, ofTicker] of counts.tickers) {
      if (tickers !== undefined && !tickers.has(ticker)) continue;
      let into = perTicker.get(ticker);
      if (into === undefined) {
        into = zeroCounts();
        perTicker.set(ticker, into);
      }
      addCounts(into, ofTicker);
    }
  }
  const sorted = [...perTicker.entries()].filter(([, c]) => c[0] > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const top = mostActive(sorted);
  const aggregateOf = ([ticker, c]: [string, Counts]): TickerAggregate => ({
    ticker,
    total: c[0],
    positive: c[1],
    neutral: c[2],
    negative: c[3],
    average_score: averageScore(c),
    as_of: asOf,
  });
  const tickerAggregates = sorted.map(aggregateOf);
  const topSet = new Set(top.map(([ticker]) => ticker));
  return {
    metrics: metricsOf(window, lastHourCounts, top, asOf),
    tickers: tickerAggregates,
    // The same objects as in `tickers`, so callers can tell them apart by identity.
    topTickers: top.length === sorted.length ? tickerAggregates : tickerAggregates.filter((a) => topSet.has(a.ticker)),
  };
}

/** One hour's counts of `tickers` only. */
function totalOf(counts: MetricsCounts, tickers: ReadonlySet<string>): Counts {
  const total = zeroCounts();
  for (const ticker of tickers) {
    const ofTicker = counts.tickers.get(ticker);
    if (ofTicker !== undefined) addCounts(total, ofTicker);
  }
  return total;
}

function metricsOf(window: Counts, lastHour: Counts, top: readonly [string, Counts][], asOf: string): Metrics {
  return {
    total: window[0],
    positive: window[1],
    neutral: window[2],
    negative: window[3],
    by_tag: Object.fromEntries(top.map(([ticker, c]) => [ticker, c[0]])),
    rate_last_hour: Math.round(lastHour[0]),
    rate_last_24h: window[0],
    as_of: asOf,
  };
}

/** The MAX_SNAPSHOT_TICKERS entries with the highest totals, still sorted by ticker. */
function mostActive(sorted: readonly [string, Counts][]): [string, Counts][] {
  if (sorted.length <= MAX_SNAPSHOT_TICKERS) return [...sorted];
  const cut = new Set(
    [...sorted]
      .sort(([a, x], [b, y]) => y[0] - x[0] || (a < b ? -1 : 1))
      .slice(0, MAX_SNAPSHOT_TICKERS)
      .map(([ticker]) => ticker),
  );
  return sorted.filter(([ticker]) => cut.has(ticker));
}

export { MAX_SNAPSHOT_TICKERS, metricsWindow, summarize, WINDOW_HOURS };
