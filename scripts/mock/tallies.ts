/**
 * The running totals behind the mock's events: the metrics, one aggregate per ticker and each
 * ticker's count in the last hour, seeded from the AsyncAPI examples and moved by every item, so
 * that consecutive events agree with each other, the way a dashboard expects. A configuration's
 * stream sees them counted over its tickers only (the contract's rule for that channel).
 */
import type { EventPayloads } from '../../src/contract/index.ts';

type Metrics = EventPayloads['metrics'];
type Aggregate = EventPayloads['sentiment_update'];
type Sentiment = EventPayloads['new_item']['sentiment'];
/** The tickers of a configuration's stream; undefined: the global stream, every ticker. */
type Scope = ReadonlySet<string> | undefined;

interface Tallies {
  /** The tickers items rotate over: the metrics example's, then those only a configuration names. */
  readonly tickers: readonly string[];
  /** Counts one item; returns its ticker's aggregate after it. */
  add(ticker: string, sentiment: Sentiment, score: number, at: string): Aggregate;
  /** The metrics of `scope` (a copy). */
  metrics(scope: Scope): Metrics;
  /** The aggregates a snapshot of `scope` carries: every ticker of it with items in the window. */
  aggregates(scope: Scope): Aggregate[];
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));
const clampScore = (value: number): number => Math.min(1, Math.max(-1, value));

/** A ticker's aggregate consistent with the metrics example: the overall split scaled to its count. */
function scaledAggregate(metrics: Metrics, ticker: string): Aggregate {
  const total = metrics.by_tag[ticker] ?? 0;
  const share = metrics.total > 0 ? total / metrics.total : 0;
  const positive = Math.round(metrics.positive * share);
  const negative = Math.min(total - positive, Math.round(metrics.negative * share));
  return {
    ticker,
    total,
    positive,
    neutral: total - positive - negative,
    negative,
    average_score: total > 0 ? round(((positive - negative) / total) * 0.6, 3) : null,
    as_of: metrics.as_of,
  };
}

function createTallies(metricsExample: Metrics, aggregateExample: Aggregate, extraTickers: Iterable<string>): Tallies {
  const metrics: Metrics = { ...metricsExample, by_tag: { ...metricsExample.by_tag } };
  const tickers = [...new Set([...Object.keys(metrics.by_tag), ...extraTickers])];
  // The sentiment_update example for its own ticker, the metrics example scaled for the others.
  const aggregates = new Map<string, Aggregate>();
  const lastHour = new Map<string, number>();
  for (const ticker of tickers) {
    aggregates.set(
      ticker,
      ticker === aggregateExample.ticker ? { ...aggregateExample } : scaledAggregate(metrics, ticker),
    );
    const share = metrics.total > 0 ? (metrics.by_tag[ticker] ?? 0) / metrics.total : 0;
    lastHour.set(ticker, Math.round(metrics.rate_last_hour * share));
  }
  const inScope = (scope: Scope, ticker: string): boolean => scope === undefined || scope.has(ticker);

  return {
    tickers,
    add(ticker, sentiment, score, at) {
      metrics.total += 1;
      metrics[sentiment] += 1;
      metrics.by_tag[ticker] = (metrics.by_tag[ticker] ?? 0) + 1;
      metrics.rate_last_hour += 1;
      metrics.rate_last_24h += 1;
      metrics.as_of = at;
      lastHour.set(ticker, (lastHour.get(ticker) ?? 0) + 1);
      const aggregate = aggregates.get(ticker) ?? scaledAggregate(metrics, ticker);
      const previous = aggregate.average_score ?? score;
      aggregate.total += 1;
      aggregate[sentiment] += 1;
      aggregate.average_score = round(clampScore((previous * (aggregate.total - 1) + score) / aggregate.total), 3);
      aggregate.as_of = at;
      aggregates.set(ticker, aggregate);
      return { ...aggregate };
    },
    metrics(scope) {
      if (scope === undefined) return { ...metrics, by_tag: { ...metrics.by_tag } };
      const scoped: Metrics = { ...metrics, total: 0, positive: 0, neutral: 0, negative: 0, by_tag: {} };
      let hour = 0;
      for (const aggregate of aggregates.values()) {
        if (!scope.has(aggregate.ticker) || aggregate.total === 0) continue;
        scoped.total += aggregate.total;
        scoped.positive += aggregate.positive;
        scoped.neutral += aggregate.neutral;
        scoped.negative += aggregate.negative;
        scoped.by_tag[aggregate.ticker] = aggregate.total;
        hour += lastHour.get(aggregate.ticker) ?? 0;
      }
      return { ...scoped, rate_last_hour: hour, rate_last_24h: scoped.total };
    },
    aggregates(scope) {
      return [...aggregates.values()]
        .filter((aggregate) => aggregate.total > 0 && inScope(scope, aggregate.ticker))
        .map((aggregate) => ({ ...aggregate }));
    },
  };
}

export type { Scope, Tallies };
export { clampScore, createTallies, round };
