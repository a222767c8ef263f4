/**
 * Views: the streams that see the same events, one for the global stream and one per streamed
 * configuration. A view remembers what it last sent (metrics, each ticker's aggregate) so a batch
 * carries only changes, and keeps the newest aggregates as the snapshot a new stream opens with.
 */
import type { Configuration, Item, TickerAggregate } from '../contract/index.ts';
import { REMEMBERED_TICKERS } from './constants.ts';
import { metricsEvent, sentimentUpdateEvent } from './events.ts';
import type { BatchItem } from './feed-poller.ts';
import type { Aggregates, FeedSource } from './ports.ts';
import type { Subscriber } from './subscriber.ts';

interface View {
  readonly key: string;
  /** null: every ticker (the global stream). */
  tickers: ReadonlySet<string> | null;
  readonly owner?: { readonly userId: string; readonly configId: string };
  readonly subscribers: Set<Subscriber>;
  /** Last metrics sent to this view (without `as_of`), to send only changes. */
  lastMetrics: string | undefined;
  readonly lastTickers: Map<string, string>;
  /** The aggregates of the newest batch (or connect) for this view: what a new stream opens with. */
  snapshot: Aggregates | undefined;
}

/** A configuration stream's owner and its configuration as read at connect. */
interface ViewConfiguration {
  readonly userId: string;
  readonly value: Configuration;
}

/** The global stream's view; kept while empty, so its snapshot is always ready for a connect. */
const GLOBAL = 'global';

const metricsKey = (aggregates: Aggregates): string => {
  const { as_of: _asOf, ...counts } = aggregates.metrics;
  return JSON.stringify(counts);
};
const tickerKey = ({ as_of: _asOf, ...rest }: TickerAggregate): string => JSON.stringify(rest);

/** The view for a stream, made on first use. */
function viewFor(views: Map<string, View>, configuration: ViewConfiguration | undefined): View {
  const key = configuration === undefined ? GLOBAL : `config:${configuration.value.config_id}`;
  let view = views.get(key);
  if (view === undefined) {
    view = {
      key,
      tickers: configuration === undefined ? null : new Set(configuration.value.tickers),
      ...(configuration === undefined
        ? {}
        : { owner: { userId: configuration.userId, configId: configuration.value.config_id } }),
      subscribers: new Set(),
      lastMetrics: undefined,
      lastTickers: new Map(),
      snapshot: undefined,
    };
    views.set(key, view);
  }
  return view;
}

const aggregatesOf = (view: View, from: FeedSource): Promise<Aggregates> =>
  view.tickers === null ? from.aggregates() : from.aggregates(view.tickers);

/** Whether the view streams this item. */
const viewShows = (view: View, item: Item): boolean => view.tickers === null || view.tickers.has(item.ticker);

/** Takes a configuration's current tickers; an edit re-sends metrics and aggregates for them. */
function applyTickers(view: View, current: readonly string[]): void {
  const tickers = new Set(current);
  if (view.tickers === null || [...tickers].sort().join() !== [...view.tickers].sort().join()) {
    view.tickers = tickers;
    view.lastMetrics = undefined;
    view.lastTickers.clear();
  }
}

/** Records a connect's snapshot as the view's, counted as sent so the next batch skips it. */
function adoptSnapshot(view: View, aggregates: Aggregates): void {
  if (view.snapshot !== undefined) return;
  view.snapshot = aggregates;
  view.lastMetrics = metricsKey(aggregates);
  for (const aggregate of aggregates.topTickers) view.lastTickers.set(aggregate.ticker, tickerKey(aggregate));
}

/** The metrics and the most active tickers' aggregates, as a new stream opens with them. */
function snapshotFrames(aggregates: Aggregates, id: string): string {
  let frames = metricsEvent(id, aggregates.metrics);
  for (const aggregate of aggregates.topTickers) frames += sentimentUpdateEvent(id, aggregate);
  return frames;
}

/** The batch's metrics frame for the view, or undefined when they did not change. */
function metricsUpdate(view: View, aggregates: Aggregates, id: string): string | undefined {
  const key = metricsKey(aggregates);
  const frame = key === view.lastMetrics ? undefined : metricsEvent(id, aggregates.metrics);
  view.lastMetrics = key;
  return frame;
}

/**
 * The `sentiment_update`s of one batch for a view: the tickers whose aggregate changed, among
 * the snapshot's most active ones and those that have items in this batch (a global view with
 * thousands of tickers does not re-send them all when the hour turns).
 */
function tickerUpdates(view: View, aggregates: Aggregates, items: readonly BatchItem[], id: string) {
  let candidates = aggregates.tickers;
  if (view.tickers === null && aggregates.topTickers.length < aggregates.tickers.length) {
    const top = new Set(aggregates.topTickers);
    const inBatch = new Set(items.map((entry) => entry.item.ticker));
    candidates = aggregates.tickers.filter((a) => top.has(a) || inBatch.has(a.ticker));
  }
  let part = '';
  let events = 0;
  for (const aggregate of candidates) {
    const key = tickerKey(aggregate);
    if (view.lastTickers.get(aggregate.ticker) === key) continue;
    view.lastTickers.set(aggregate.ticker, key);
    part += sentimentUpdateEvent(id, aggregate);
    events += 1;
  }
  // Only the most active tickers need remembering; the others are re-sent when they move.
  if (view.lastTickers.size > REMEMBERED_TICKERS) {
    const keep = new Set(aggregates.topTickers.map((a) => a.ticker));
    for (const ticker of view.lastTickers.keys()) if (!keep.has(ticker)) view.lastTickers.delete(ticker);
  }
  return { part, events };
}

export type { View, ViewConfiguration };
export {
  adoptSnapshot,
  aggregatesOf,
  applyTickers,
  GLOBAL,
  metricsUpdate,
  snapshotFrames,
  tickerUpdates,
  viewFor,
  viewShows,
};
