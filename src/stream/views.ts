/**
 * Views: the streams that see the same events, one for the global stream and one per streamed
 * configuration. A view remembers what it last sent (metrics, each ticker's aggregate) so a batch
 * carries only changes, and keeps the newest aggregates as the snapshot a new stream opens with,
 * serialised once per batch however many streams open with it.
 */
import type { Configuration, Item, TickerAggregate } from '../contract/index.ts';
import { AGGREGATES_LAG_MS, REMEMBERED_TICKERS } from './constants.ts';
import { metricsEvent, sentimentUpdateEvent } from './events.ts';
import type { BatchItem } from './feed-poller.ts';
import { Frames } from './frames.ts';
import type { Aggregates, EventId, FeedSource } from './ports.ts';
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
  /**
   * Tickers that had items in a recent batch → that batch's read time. They stay candidates for
   * updates for AGGREGATES_LAG_MS, as the aggregates may not count their items yet (a woken poll
   * can come within the feed source's counter cache).
   */
  readonly recentTickers: Map<string, number>;
  /**
   * Tickers of batches that went out without aggregates (the store did not answer): candidates for
   * updates at the next batch that has them, however long that takes.
   */
  readonly deferredTickers: Set<string>;
  /** The aggregates of the newest batch (or connect) for this view: what a new stream opens with. */
  snapshot: Aggregates | undefined;
  /**
   * The id of the newest batch given to this view: a fresh stream opens with it, and takes every
   * later batch. It moves with `snapshot` (in the same synchronous step as the delivery), so the
   * two describe the same point of the feed, except after a batch whose aggregates the store did
   * not give: the snapshot is then older, and the next batch sends what changed since it.
   */
  cursor: EventId;
  /** Read time of that batch: a replay into this view is caught up once it has read past it. */
  readAt: number;
  /** `snapshot` framed with one id, kept for the next stream that opens with that id. */
  framed: FramedSnapshot | undefined;
}

/** A snapshot's frames for one id: serialised once, written to every stream that opens with it. */
interface FramedSnapshot {
  readonly aggregates: Aggregates;
  readonly id: EventId;
  readonly frames: Frames;
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

/** Where a new view starts: the hub's newest batch fanned out. */
interface ViewStart {
  readonly cursor: EventId;
  readonly readAt: number;
}

/** The view for a stream, made on first use. */
function viewFor(views: Map<string, View>, configuration: ViewConfiguration | undefined, start: ViewStart): View {
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
      recentTickers: new Map(),
      deferredTickers: new Set(),
      snapshot: undefined,
      cursor: start.cursor,
      readAt: start.readAt,
      framed: undefined,
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
const frameSnapshot = (aggregates: Aggregates, id: EventId): Frames =>
  Frames.concat([
    metricsEvent(id, aggregates.metrics),
    ...aggregates.topTickers.map((aggregate) => sentimentUpdateEvent(id, aggregate)),
  ]);

/**
 * The view's snapshot framed with `id`, from the view's cache when it can. Every fresh stream
 * opens with the view's cursor, so the frames are built once per batch and reused; a resumed
 * stream's snapshot carries the client's own cursor and is built for it alone (it does not
 * replace the shared one).
 */
function snapshotFor(view: View, aggregates: Aggregates, id: EventId): FramedSnapshot {
  const cached = view.framed;
  if (cached !== undefined && cached.aggregates === aggregates && cached.id === id) return cached;
  const framed = { aggregates, id, frames: frameSnapshot(aggregates, id) };
  if (id === view.cursor && aggregates === view.snapshot) view.framed = framed;
  return framed;
}

/** The batch's metrics frame for the view, or undefined when they did not change. */
function metricsUpdate(view: View, aggregates: Aggregates, id: EventId): Frames | undefined {
  const key = metricsKey(aggregates);
  const frame = key === view.lastMetrics ? undefined : metricsEvent(id, aggregates.metrics);
  view.lastMetrics = key;
  return frame;
}

/** The items of one batch a view shows, and when the batch's read started. */
interface ViewItems {
  readonly items: readonly BatchItem[];
  readonly readAt: number;
}

/**
 * Moves the view's recent tickers on by this batch: its items' tickers join, those not seen for
 * AGGREGATES_LAG_MS leave (by then the aggregates count their items; see ports.ts).
 */
function refreshRecentTickers(view: View, batch: ViewItems): ReadonlyMap<string, number> {
  for (const entry of batch.items) view.recentTickers.set(entry.item.ticker, batch.readAt);
  for (const [ticker, seenAt] of view.recentTickers) {
    if (batch.readAt - seenAt > AGGREGATES_LAG_MS) view.recentTickers.delete(ticker);
  }
  return view.recentTickers;
}

/** One batch's `sentiment_update`s for a view, and those of them a snapshot does not carry. */
interface TickerUpdates {
  readonly all: Frames;
  /** The updates of tickers outside the snapshot's most active ones (`topTickers`). */
  readonly beyondSnapshot: Frames;
}

/**
 * The `sentiment_update`s of one batch for a view: the tickers whose aggregate changed, among
 * the snapshot's most active ones and those that had items in a recent batch (a global view with
 * thousands of tickers does not re-send them all when the hour turns).
 */
function tickerUpdates(view: View, aggregates: Aggregates, batch: ViewItems, id: EventId): TickerUpdates {
  const top = new Set(aggregates.topTickers.map((a) => a.ticker));
  let candidates = aggregates.tickers;
  if (view.tickers === null && aggregates.topTickers.length < aggregates.tickers.length) {
    const recent = refreshRecentTickers(view, batch);
    const deferred = view.deferredTickers;
    candidates = aggregates.tickers.filter((a) => top.has(a.ticker) || recent.has(a.ticker) || deferred.has(a.ticker));
  }
  view.deferredTickers.clear();
  const all: Frames[] = [];
  const beyondSnapshot: Frames[] = [];
  for (const aggregate of candidates) {
    const key = tickerKey(aggregate);
    if (view.lastTickers.get(aggregate.ticker) === key) continue;
    view.lastTickers.set(aggregate.ticker, key);
    const frame = sentimentUpdateEvent(id, aggregate);
    all.push(frame);
    if (!top.has(aggregate.ticker)) beyondSnapshot.push(frame);
  }
  // Only the most active tickers need remembering; the others are re-sent when they move.
  if (view.lastTickers.size > REMEMBERED_TICKERS) {
    for (const ticker of view.lastTickers.keys()) if (!top.has(ticker)) view.lastTickers.delete(ticker);
  }
  return { all: Frames.concat(all), beyondSnapshot: Frames.concat(beyondSnapshot) };
}

/**
 * A batch whose aggregates the store did not give: no update goes out now, and its tickers stay
 * candidates until a batch's aggregates send their updates.
 */
function deferTickerUpdates(view: View, batch: ViewItems): TickerUpdates {
  for (const entry of batch.items) view.deferredTickers.add(entry.item.ticker);
  return { all: Frames.none, beyondSnapshot: Frames.none };
}

export type { FramedSnapshot, TickerUpdates, View, ViewConfiguration };
export {
  adoptSnapshot,
  aggregatesOf,
  applyTickers,
  deferTickerUpdates,
  snapshotFor,
  GLOBAL,
  metricsUpdate,
  tickerUpdates,
  viewFor,
  viewShows,
};
