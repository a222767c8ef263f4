/**
 * Fan-out of one poll batch: per view, the items it shows, the changed ticker aggregates and the
 * metrics if they moved, serialised once and written to every live subscriber of the view in a
 * single write. Views are handled in turn, each awaiting its aggregates (and, for a
 * configuration, the configuration as stored now: an edit applies from this batch, a deletion
 * ends its streams).
 */
import { BatchReads } from './batch-reads.ts';
import { newItemEvent, streamClosedEvent } from './events.ts';
import type { BatchItem, PollBatch } from './feed-poller.ts';
import { type BatchFrames, batchFrames, Frames } from './frames.ts';
import type { Aggregates, EngineLogger, EventId, FeedSource, StreamMetrics } from './ports.ts';
import type { Subscriber } from './subscriber.ts';
import {
  applyTickers,
  deferTickerUpdates,
  GLOBAL,
  metricsUpdate,
  snapshotFor,
  type TickerUpdates,
  tickerUpdates,
  type View,
  viewShows,
} from './views.ts';

/** What fan-out uses of the hub's options (HubOptions extends it). */
interface FanOutOptions {
  readonly logger: EngineLogger;
  /** Per batch reads (the poller's store, counted per poll). */
  readonly pollStore: FeedSource;
  readonly metrics: StreamMetrics;
  readonly now?: () => number;
}

/** The hub's state that fan-out reads and moves forward. */
interface FanOutState {
  readonly options: FanOutOptions;
  readonly views: Map<string, View>;
  /**
   * The cursor of the newest batch fanned out to every view: where a new view starts. Undefined
   * until the poller has read the feed head: no stream can start before (hub.ts, isReady).
   */
  lastCursor: EventId | undefined;
  /** Read time of the newest batch fanned out to every view. */
  lastFannedReadAt: number;
}

/** One view's share of a batch, built once for all its subscribers. */
interface ViewBatch {
  readonly items: readonly BatchItem[];
  /** Undefined when the store did not answer: items only, no updates. */
  readonly aggregates: Aggregates | undefined;
  readonly updates: TickerUpdates;
  /** Items and ticker updates, then metrics if they moved. */
  readonly frames: BatchFrames;
}

/** Frames each item of a batch once, whatever the number of views that show it. */
function itemFramer(): (entry: BatchItem) => Frames {
  const frames = new Map<string, Frames>();
  return (entry) => {
    let frame = frames.get(entry.item.item_id);
    if (frame === undefined) {
      frame = newItemEvent(entry.cursor, entry.item);
      frames.set(entry.item.item_id, frame);
    }
    return frame;
  };
}

async function fanOut(state: FanOutState, batch: PollBatch): Promise<void> {
  const frameOf = itemFramer();
  const reads = new BatchReads(state.options.pollStore);
  // The live map, not a copy: a view made while this batch is out (a new configuration stream
  // starts at the hub's cursor, which moves only at the end) gets this batch too.
  for (const view of state.views.values()) {
    if (view.subscribers.size === 0 && view.key !== GLOBAL) {
      state.views.delete(view.key);
      continue;
    }
    if (!(await refreshConfiguration(state, view, reads))) continue;
    // Undefined when the store did not answer: the items go out, the view keeps its snapshot
    // (a stream opening now gets that older one; the next batch sends what changed since).
    const aggregates = await reads.aggregates(view);
    // Nothing awaits from here on: the view's snapshot, its cursor and the delivery move together,
    // so a stream that opens now gets either all of this batch or none of it.
    const share = viewBatch(view, aggregates, batch, frameOf);
    if (aggregates !== undefined) view.snapshot = aggregates;
    view.cursor = batch.cursor;
    view.readAt = batch.readAt;
    const delivered = deliver(view, batch, share, frameOf);
    if (delivered > 0) recordDelivery(state, delivered, share);
  }
  reads.report(state.options.logger, batch.cursor);
  state.lastFannedReadAt = batch.readAt;
  state.lastCursor = batch.cursor;
}

/**
 * False when the view's configuration is gone: its streams are ended and the view dropped. When
 * the store does not answer, the view keeps the tickers it has for this batch.
 */
async function refreshConfiguration(state: FanOutState, view: View, reads: BatchReads): Promise<boolean> {
  if (view.owner === undefined) return true;
  const current = await reads.configuration(view.owner);
  if (current === undefined) return true;
  if (current === null) {
    const frame = streamClosedEvent(view.cursor, { reason: 'configuration_deleted' });
    for (const subscriber of [...view.subscribers]) subscriber.close('configuration_deleted', frame);
    state.views.delete(view.key);
    return false;
  }
  applyTickers(view, current.tickers);
  return true;
}

function viewBatch(
  view: View,
  aggregates: Aggregates | undefined,
  batch: PollBatch,
  frameOf: (entry: BatchItem) => Frames,
): ViewBatch {
  const items = batch.items.filter((entry) => viewShows(view, entry.item));
  const viewItems = { items, readAt: batch.readAt };
  const updates =
    aggregates === undefined
      ? deferTickerUpdates(view, viewItems)
      : tickerUpdates(view, aggregates, viewItems, batch.cursor);
  const metrics = aggregates === undefined ? undefined : metricsUpdate(view, aggregates, batch.cursor);
  const body = Frames.concat([...items.map(frameOf), updates.all]);
  return { items, aggregates, updates, frames: batchFrames(body, metrics) };
}

/** Writes the view's share to each live subscriber; returns how many got it. */
function deliver(view: View, batch: PollBatch, share: ViewBatch, frameOf: (entry: BatchItem) => Frames): number {
  let delivered = 0;
  for (const subscriber of view.subscribers) {
    if (!subscriber.isLive()) continue;
    // Rare path, right after a replay: only what the client does not have yet.
    const items = subscriber.unseen(share.items);
    if (share.aggregates !== undefined && subscriber.takeMissedSnapshot()) {
      sendWithSnapshot(view, share.aggregates, share.updates, subscriber, Frames.concat(items.map(frameOf)));
    } else if (items === share.items) {
      subscriber.sendBatch(share.frames);
    } else {
      subscriber.sendBatch(
        batchFrames(Frames.concat([...items.map(frameOf), share.updates.all]), share.frames.metrics),
      );
    }
    subscriber.liveFrom(batch.feedCursor.watermark, batch.cursor);
    delivered += 1;
  }
  return delivered;
}

/**
 * A stream that opened while the store was down gets the snapshot it could not get then, with the
 * batch's items and only the updates the snapshot does not carry: its metrics and its most active
 * tickers' aggregates are already in the snapshot, and are not sent twice.
 */
function sendWithSnapshot(
  view: View,
  aggregates: Aggregates,
  updates: TickerUpdates,
  subscriber: Subscriber,
  items: Frames,
): void {
  const snapshot = snapshotFor(view, aggregates, view.cursor);
  subscriber.send(snapshot.frames.plus(items, updates.beyondSnapshot));
}

function recordDelivery(state: FanOutState, delivered: number, share: ViewBatch): void {
  const { metrics, now = Date.now } = state.options;
  metrics.eventsSent(delivered * share.frames.all.events);
  const writtenAt = now();
  for (const entry of share.items) {
    metrics.deliveryLag(Math.max(0, writtenAt - Date.parse(entry.item.ingested_at)));
  }
}

export type { FanOutOptions, FanOutState };
export { fanOut };
