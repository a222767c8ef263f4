/**
 * Fan-out of one poll batch: per view, the items it shows, the changed ticker aggregates and the
 * metrics if they moved, serialised once and written to every live subscriber of the view in a
 * single write. Views are handled in turn, each awaiting its aggregates (and, for a
 * configuration, the configuration as stored now: an edit applies from this batch, a deletion
 * ends its streams).
 */
import { newItemEvent, streamClosedEvent } from './events.ts';
import type { BatchItem, PollBatch } from './feed-poller.ts';
import type { Aggregates, FeedSource, StreamMetrics } from './ports.ts';
import {
  aggregatesOf,
  applyTickers,
  GLOBAL,
  metricsUpdate,
  snapshotFrames,
  tickerUpdates,
  type View,
  viewShows,
} from './views.ts';

/** The hub's state that fan-out reads and moves forward. */
interface FanOutState {
  readonly views: Map<string, View>;
  /** Per batch reads (the poller's store, counted per poll). */
  readonly pollStore: FeedSource;
  readonly metrics: StreamMetrics;
  readonly now: () => number;
  /** The cursor of the newest batch fanned out: the stream's "now". */
  lastCursor: string;
  /** Read time of the newest batch fanned out. */
  lastFannedReadAt: number;
}

/** One view's share of a batch, built once for all its subscribers. */
interface ViewBatch {
  readonly items: readonly BatchItem[];
  readonly aggregates: Aggregates;
  /** Items and ticker updates. */
  readonly body: string;
  readonly bodyEvents: number;
  readonly updates: { readonly part: string; readonly events: number };
  readonly metricsPart: string | undefined;
}

async function fanOut(state: FanOutState, batch: PollBatch): Promise<void> {
  // Each item is framed once, whatever the number of views that show it.
  const frames = new Map<string, string>();
  const frameOf = (entry: BatchItem): string => {
    let frame = frames.get(entry.item.item_id);
    if (frame === undefined) {
      frame = newItemEvent(entry.cursor, entry.item);
      frames.set(entry.item.item_id, frame);
    }
    return frame;
  };
  for (const view of [...state.views.values()]) {
    if (view.subscribers.size === 0 && view.key !== GLOBAL) {
      state.views.delete(view.key);
      continue;
    }
    if (!(await refreshConfiguration(state, view))) continue;
    const share = await viewBatch(state, view, batch, frameOf);
    const delivered = deliver(view, batch, share, frameOf);
    if (delivered > 0) recordDelivery(state, delivered, share);
  }
  state.lastFannedReadAt = batch.readAt;
  state.lastCursor = batch.cursor;
}

/** False when the view's configuration is gone: its streams are ended and the view dropped. */
async function refreshConfiguration(state: FanOutState, view: View): Promise<boolean> {
  if (view.owner === undefined) return true;
  const current = await state.pollStore.getConfiguration(view.owner.userId, view.owner.configId);
  if (current === null) {
    const frame = streamClosedEvent(state.lastCursor, { reason: 'configuration_deleted' });
    for (const subscriber of [...view.subscribers]) subscriber.close('configuration_deleted', frame);
    state.views.delete(view.key);
    return false;
  }
  applyTickers(view, current.tickers);
  return true;
}

async function viewBatch(
  state: FanOutState,
  view: View,
  batch: PollBatch,
  frameOf: (entry: BatchItem) => string,
): Promise<ViewBatch> {
  const items = batch.items.filter((entry) => viewShows(view, entry.item));
  const aggregates = await aggregatesOf(view, state.pollStore);
  view.snapshot = aggregates;
  const updates = tickerUpdates(view, aggregates, items, batch.cursor);
  const metricsPart = metricsUpdate(view, aggregates, batch.cursor);
  const body = items.map(frameOf).join('') + updates.part;
  return { items, aggregates, body, bodyEvents: items.length + updates.events, updates, metricsPart };
}

/** Writes the view's share to each live subscriber; returns how many got it. */
function deliver(view: View, batch: PollBatch, share: ViewBatch, frameOf: (entry: BatchItem) => string): number {
  const { body, bodyEvents, metricsPart } = share;
  // Built once per view: each subscriber gets the whole batch in one write.
  const combined = metricsPart === undefined ? body : body + metricsPart;
  let delivered = 0;
  for (const subscriber of view.subscribers) {
    if (subscriber.state !== 'live') continue;
    // Opened while the store was down: it gets the snapshot it could not get then.
    if (subscriber.takeMissedSnapshot()) {
      subscriber.send(snapshotFrames(share.aggregates, batch.cursor), 1 + share.aggregates.topTickers.length);
    }
    const replayed = subscriber.replayed;
    if (replayed === undefined) {
      subscriber.sendBatch(combined, body, bodyEvents, metricsPart);
    } else {
      // Rare path, right after a replay: skip the items the replay already sent.
      const fresh = share.items.filter((entry) => !replayed.itemIds.has(entry.item.item_id));
      const own = fresh.map(frameOf).join('') + share.updates.part;
      subscriber.sendBatch(own + (metricsPart ?? ''), own, fresh.length + share.updates.events, metricsPart);
      subscriber.liveFrom(batch.feedCursor.watermark);
    }
    delivered += 1;
  }
  return delivered;
}

function recordDelivery(state: FanOutState, delivered: number, share: ViewBatch): void {
  state.metrics.eventsSent(delivered * (share.bodyEvents + (share.metricsPart === undefined ? 0 : 1)));
  const writtenAt = state.now();
  for (const entry of share.items) {
    state.metrics.deliveryLag(Math.max(0, writtenAt - Date.parse(entry.item.ingested_at)));
  }
}

export type { FanOutState };
export { fanOut };
