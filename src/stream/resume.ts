/**
 * Resume. A client with a valid cursor replays the feed after it, page by page and at the pace
 * its connection drains, until a final page whose read started no earlier than the newest batch
 * its view was given. Every later batch then starts where a read no later than the replay's end
 * left off, so the client takes all later batches and skips only the items the replay already
 * gave it (`Subscriber.unseen`). Batches fanned out during the replay are covered by the
 * replay itself.
 */
import { REPLAY_PAGE } from './constants.ts';
import { entryIds } from './entry-ids.ts';
import { metricsEvent, newItemEvent } from './events.ts';
import { Frames } from './frames.ts';
import type { EngineLogger, EventId, FeedCursor, FeedRead, FeedSource } from './ports.ts';
import type { Subscriber } from './subscriber.ts';
import { aggregatesOf, type View, viewShows } from './views.ts';

interface ResumeContext {
  /** Per connection reads (kept out of the poller's per-poll count). */
  readonly store: FeedSource;
  readonly logger: EngineLogger;
  /** The reconnect hint that ends a replay the store failed. */
  reconnectFrame(reason: 'store_unavailable', id: EventId): Frames;
}

/** What the replay has sent so far: the items, their newest stamp, and the last id. */
interface Progress {
  lastId: EventId;
  readonly itemIds: Set<string>;
  maxArrivalMs: number;
}

/**
 * Replays from the client's cursor. If the store fails mid-way the stream ends with a reconnect
 * hint carrying the last cursor sent, so the client resumes from there once the store is back.
 */
async function replayOrReconnect(
  ctx: ResumeContext,
  subscriber: Subscriber,
  view: View,
  from: FeedCursor,
  startId: EventId,
): Promise<void> {
  // The client's own cursor counts as delivered: its newest position bounds what it already has.
  const through = from.throughId === undefined ? from.watermark : from.watermark + 1;
  const covered = Math.max(through, from.entries.at(-1)?.arrivalMs ?? 0);
  const progress: Progress = { lastId: startId, itemIds: new Set(), maxArrivalMs: covered };
  subscriber.startReplay();
  try {
    await replay(ctx, subscriber, view, from, progress);
  } catch (error) {
    // The client left: its read was cancelled, and there is nobody to tell.
    if (subscriber.isClosed()) return;
    ctx.logger.warn('replay failed; the client is told to reconnect', { error });
    subscriber.close('store_unavailable', ctx.reconnectFrame('store_unavailable', progress.lastId));
  }
}

async function replay(
  ctx: ResumeContext,
  subscriber: Subscriber,
  view: View,
  from: FeedCursor,
  progress: Progress,
): Promise<void> {
  let cursor = from;
  for (;;) {
    const read = await ctx.store.readAfter(cursor, REPLAY_PAGE, { signal: subscriber.signal });
    if (subscriber.isClosed()) return;
    sendPage(ctx.store, subscriber, view, cursor, read, progress);
    cursor = read.cursor;
    await subscriber.writable();
    if (subscriber.isClosed()) return;
    // Caught up once it read past the newest batch its view was given (`view.readAt`, which
    // moves with the delivery: mid-batch, other views may not have it yet).
    if (!read.full && read.readAt >= view.readAt) break;
  }
  const lastId = ctx.store.encodeCursor(cursor);
  subscriber.finishReplay({ itemIds: progress.itemIds, cursor, maxArrivalMs: progress.maxArrivalMs, lastId });
  // Metrics may have moved while replaying; the client gets the current ones.
  const aggregates = view.snapshot ?? (await aggregatesOf(view, ctx.store));
  subscriber.sendMetrics(metricsEvent(lastId, aggregates.metrics));
}

/** One page of the replay in one write: the view's items, each with the cursor right after it. */
function sendPage(
  store: FeedSource,
  subscriber: Subscriber,
  view: View,
  from: FeedCursor,
  read: FeedRead,
  progress: Progress,
): void {
  const page: Frames[] = [];
  for (const { entry, id } of entryIds(store, from, read)) {
    progress.itemIds.add(entry.item.item_id);
    progress.maxArrivalMs = Math.max(progress.maxArrivalMs, entry.arrivalMs);
    if (!viewShows(view, entry.item)) continue;
    progress.lastId = id;
    page.push(newItemEvent(progress.lastId, entry.item));
  }
  subscriber.send(Frames.concat(page));
}

export type { ResumeContext };
export { replayOrReconnect };
