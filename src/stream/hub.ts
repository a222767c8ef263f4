/**
 * Fan-out: every open stream, grouped into views (the global stream; one view per streamed
 * configuration), fed from the shared poller. Each batch is serialised once per view and the
 * same string is written to every subscriber of that view.
 *
 * Resume. A client with a valid cursor replays the feed after it, page by page and at the
 * pace its connection drains, until a final page whose read started no earlier than the last batch
 * the hub fanned out. Every later batch then starts where a read no later than the replay's end
 * left off, so the client takes all later batches and skips only the items the replay already
 * gave it. Batches fanned out during the replay are covered by the replay itself.
 */
import { randomUUID } from 'node:crypto';
import type { Configuration, Item, TickerAggregate } from '../contract/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { StreamKind, StreamMetrics } from '../observability/stream-metrics.ts';
import { type Aggregates, type FeedCursor, MAX_SNAPSHOT_TICKERS, type Store } from '../store/index.ts';
import { MAX_QUEUED_BYTES, REPLAY_PAGE, STALL_HEARTBEATS } from './constants.ts';
import type { BatchItem, FeedPoller, PollBatch } from './feed-poller.ts';
import { frameEvent, frameRetry } from './frame.ts';
import type { SseSink } from './sink.ts';
import { Subscriber } from './subscriber.ts';

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

interface ConnectRequest {
  readonly sink: SseSink;
  readonly clientId: string;
  /** The raw Last-Event-ID (header or query); anything, since it is client input. */
  readonly lastEventId: string | undefined;
  /** For a configuration stream: its owner and the configuration as just read. */
  readonly configuration?: { readonly userId: string; readonly value: Configuration };
}

interface HubOptions {
  readonly poller: FeedPoller;
  /** Per batch: aggregates and configuration refreshes (the poller's store, counted per poll). */
  readonly pollStore: Store;
  /** Per connection: the opening snapshot and replays (kept out of the per-poll count). */
  readonly store: Store;
  readonly heartbeatIntervalMs: number;
  readonly retryMs: number;
  readonly maxConnections: number;
  readonly metrics: StreamMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Per-subscriber queue limit; default MAX_QUEUED_BYTES. */
  readonly maxQueuedBytes?: number;
  /**
   * A stream whose socket takes no bytes for this long (its peer stopped reading, or vanished
   * without a FIN) is dropped. Default: STALL_HEARTBEATS heartbeat intervals.
   */
  readonly stallTimeoutMs?: number;
}

interface Hub {
  /** Open streams in this process. */
  readonly size: number;
  /** False at MAX_CONNECTIONS: the caller answers 503. */
  hasCapacity(): boolean;
  connect(request: ConnectRequest): Promise<Subscriber>;
  /** Ends every stream with a reconnect hint (SIGTERM, or a Lambda deadline). */
  closeAll(reason: 'shutdown' | 'deadline'): void;
  /** Stops timers; `closeAll` first to end streams politely. */
  stop(): void;
}

/** The global stream's view; kept while empty, so its snapshot is always ready for a connect. */
const GLOBAL = 'global';

type ReconnectReason = 'shutdown' | 'deadline' | 'store_unavailable';

/** `retry` with ±50 % jitter, so a fleet of clients does not come back in one wave. */
const jittered = (ms: number): number => Math.round(ms * (0.5 + Math.random()));

const metricsKey = (aggregates: Aggregates): string => {
  const { as_of: _asOf, ...counts } = aggregates.metrics;
  return JSON.stringify(counts);
};
const tickerKey = ({ as_of: _asOf, ...rest }: TickerAggregate): string => JSON.stringify(rest);

function createHub(options: HubOptions): Hub {
  const { poller, pollStore, store, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
  const stallTimeoutMs = options.stallTimeoutMs ?? STALL_HEARTBEATS * options.heartbeatIntervalMs;
  const views = new Map<string, View>();
  let size = 0;
  let lastFannedReadAt = poller.lastReadAt;
  let lastCursor = poller.cursor;
  // Batches are handled one at a time, in order, even though each awaits the store.
  let chain: Promise<void> = Promise.resolve();

  const viewFor = (request: ConnectRequest): View => {
    const key = request.configuration === undefined ? GLOBAL : `config:${request.configuration.value.config_id}`;
    let view = views.get(key);
    if (view === undefined) {
      view = {
        key,
        tickers: request.configuration === undefined ? null : new Set(request.configuration.value.tickers),
        ...(request.configuration === undefined
          ? {}
          : { owner: { userId: request.configuration.userId, configId: request.configuration.value.config_id } }),
        subscribers: new Set(),
        lastMetrics: undefined,
        lastTickers: new Map(),
        snapshot: undefined,
      };
      views.set(key, view);
    }
    return view;
  };

  const aggregatesOf = (view: View, from: Store): Promise<Aggregates> =>
    view.tickers === null ? from.aggregates() : from.aggregates(view.tickers);

  const metricsFrame = (aggregates: Aggregates, id: string) =>
    frameEvent({ event: 'metrics', id, data: JSON.stringify(aggregates.metrics) });
  const itemFrame = (item: Item, id: string) => frameEvent({ event: 'new_item', id, data: JSON.stringify(item) });

  async function refreshConfiguration(view: View): Promise<void> {
    if (view.owner === undefined) return;
    const current = await pollStore.getConfiguration(view.owner.userId, view.owner.configId);
    if (current === null) {
      const frame = frameEvent({
        event: 'stream_closed',
        id: lastCursor,
        data: JSON.stringify({ reason: 'configuration_deleted' }),
      });
      for (const subscriber of [...view.subscribers]) subscriber.close('configuration_deleted', frame);
      views.delete(view.key);
      return;
    }
    // An edit applies from this batch on: new tickers, and metrics/aggregates re-sent for them.
    const tickers = new Set(current.tickers);
    if (view.tickers === null || [...tickers].sort().join() !== [...view.tickers].sort().join()) {
      view.tickers = tickers;
      view.lastMetrics = undefined;
      view.lastTickers.clear();
    }
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
      part += frameEvent({ event: 'sentiment_update', id, data: JSON.stringify(aggregate) });
      events += 1;
    }
    // Only the most active tickers need remembering; the others are re-sent when they move.
    if (view.lastTickers.size > 4 * MAX_SNAPSHOT_TICKERS) {
      const keep = new Set(aggregates.topTickers.map((a) => a.ticker));
      for (const ticker of view.lastTickers.keys()) if (!keep.has(ticker)) view.lastTickers.delete(ticker);
    }
    return { part, events };
  }

  async function fanOut(batch: PollBatch): Promise<void> {
    const frames = new Map<string, string>();
    const frameOf = (entry: { item: Item; cursor: string }) => {
      let frame = frames.get(entry.item.item_id);
      if (frame === undefined) {
        frame = itemFrame(entry.item, entry.cursor);
        frames.set(entry.item.item_id, frame);
      }
      return frame;
    };
    for (const view of [...views.values()]) {
      if (view.subscribers.size === 0 && view.key !== GLOBAL) {
        views.delete(view.key);
        continue;
      }
      await refreshConfiguration(view);
      if (!views.has(view.key)) continue;
      const items = view.tickers === null ? batch.items : batch.items.filter((e) => view.tickers?.has(e.item.ticker));
      const aggregates = await aggregatesOf(view, pollStore);
      view.snapshot = aggregates;
      const itemsPart = items.map(frameOf).join('');
      const updates = tickerUpdates(view, aggregates, items, batch.cursor);
      const key = metricsKey(aggregates);
      const metricsPart = key === view.lastMetrics ? undefined : metricsFrame(aggregates, batch.cursor);
      view.lastMetrics = key;
      const body = itemsPart + updates.part;
      // Built once per view: each subscriber gets the whole batch in one write.
      const combined = metricsPart === undefined ? body : body + metricsPart;
      const events = items.length + updates.events + (metricsPart === undefined ? 0 : 1);
      let delivered = 0;
      for (const subscriber of view.subscribers) {
        if (subscriber.state !== 'live') continue;
        // Opened while the store was down: it gets the snapshot it could not get then.
        if (subscriber.awaitingSnapshot) {
          subscriber.awaitingSnapshot = false;
          subscriber.send(snapshotFrames(aggregates, batch.cursor), 1 + aggregates.topTickers.length);
        }
        const replayed = subscriber.replayed;
        if (replayed === undefined) {
          subscriber.sendBatch(combined, body, items.length + updates.events, metricsPart);
        } else {
          // Rare path, right after a replay: skip the items the replay already sent.
          const fresh = items.filter((entry) => !replayed.itemIds.has(entry.item.item_id));
          const own = fresh.map(frameOf).join('') + updates.part;
          subscriber.sendBatch(own + (metricsPart ?? ''), own, fresh.length + updates.events, metricsPart);
          if (batch.feedCursor.watermark >= replayed.maxArrivalMs) subscriber.replayed = undefined;
        }
        delivered += 1;
      }
      if (delivered > 0) {
        metrics.eventsSent(delivered * events);
        const writtenAt = now();
        for (const entry of items) metrics.deliveryLag(Math.max(0, writtenAt - Date.parse(entry.item.ingested_at)));
      }
    }
    lastFannedReadAt = batch.readAt;
    lastCursor = batch.cursor;
  }

  poller.onBatch((batch) => {
    chain = chain
      .then(() => fanOut(batch))
      .catch((error: unknown) => {
        logger.error('fan-out failed', { error: error as Error });
      });
  });

  const heartbeatFrame = (id: string): string => {
    const health = poller.health();
    return frameEvent({
      event: 'heartbeat',
      id,
      data: JSON.stringify({
        timestamp: new Date(now()).toISOString(),
        connections: size,
        status: health.status,
        last_poll_at: health.lastPollAt === null ? null : new Date(health.lastPollAt).toISOString(),
        lag_ms: health.lagMs,
      }),
    });
  };

  const heartbeat = setInterval(() => {
    const frame = heartbeatFrame(lastCursor);
    let delivered = 0;
    for (const view of views.values()) {
      for (const subscriber of view.subscribers) {
        // Replaying or just replayed: its own cursor is ahead of the hub's; an older id would
        // move its resume point back and repeat items on reconnect.
        if (subscriber.state !== 'live' || subscriber.replayed !== undefined) continue;
        subscriber.send(frame, 1);
        delivered += 1;
      }
    }
    metrics.eventsSent(delivered);
  }, options.heartbeatIntervalMs);
  heartbeat.unref();

  /** The metrics and the most active tickers' aggregates, as a new stream opens with them. */
  const snapshotFrames = (aggregates: Aggregates, id: string): string => {
    let frames = metricsFrame(aggregates, id);
    for (const aggregate of aggregates.topTickers) {
      frames += frameEvent({ event: 'sentiment_update', id, data: JSON.stringify(aggregate) });
    }
    return frames;
  };

  /**
   * A view's first snapshot, read from the store; undefined when the store cannot answer (the
   * stream opens anyway, degraded, and gets the snapshot from the first batch after recovery).
   * The view then counts it as sent, so the next batch does not send it again.
   */
  async function firstSnapshot(view: View): Promise<Aggregates | undefined> {
    try {
      const aggregates = await aggregatesOf(view, store);
      if (view.snapshot === undefined) {
        view.snapshot = aggregates;
        view.lastMetrics = metricsKey(aggregates);
        for (const aggregate of aggregates.topTickers) view.lastTickers.set(aggregate.ticker, tickerKey(aggregate));
      }
      return aggregates;
    } catch (error) {
      logger.warn('stream opened without a snapshot: the store did not answer', { error: error as Error });
      return undefined;
    }
  }

  /**
   * Replays from the client's cursor. If the store fails mid-way the stream ends with a reconnect
   * hint carrying the last cursor sent, so the client resumes from there once the store is back.
   */
  async function replayOrReconnect(subscriber: Subscriber, view: View, from: FeedCursor, startId: string) {
    const progress = { lastId: startId };
    try {
      await replay(subscriber, view, from, progress);
    } catch (error) {
      // The client left: its read was cancelled, and there is nobody to tell.
      if (subscriber.isClosed()) return;
      logger.warn('replay failed; the client is told to reconnect', { error: error as Error });
      subscriber.close('store_unavailable', reconnectFrame('store_unavailable', progress.lastId));
    }
  }

  const reconnectFrame = (reason: ReconnectReason, id: string): string => {
    const retry = jittered(options.retryMs);
    return frameEvent({ event: 'reconnect', id, retry, data: JSON.stringify({ reason, retry_ms: retry }) });
  };

  async function replay(
    subscriber: Subscriber,
    view: View,
    from: FeedCursor,
    progress: { lastId: string },
  ): Promise<void> {
    let cursor = from;
    const itemIds = new Set<string>();
    let maxArrivalMs = 0;
    for (;;) {
      const read = await store.readAfter(cursor, REPLAY_PAGE, { signal: subscriber.signal });
      if (subscriber.isClosed()) return;
      let chunk = '';
      let events = 0;
      let itemCursor = cursor;
      for (const entry of read.entries) {
        itemCursor = store.advanceCursor(
          itemCursor,
          [{ arrivalMs: entry.arrivalMs, itemId: entry.item.item_id }],
          read.readAt,
          entry.arrivalMs - 1,
        );
        itemIds.add(entry.item.item_id);
        maxArrivalMs = Math.max(maxArrivalMs, entry.arrivalMs);
        if (view.tickers !== null && !view.tickers.has(entry.item.ticker)) continue;
        progress.lastId = store.encodeCursor(itemCursor);
        chunk += itemFrame(entry.item, progress.lastId);
        events += 1;
      }
      subscriber.send(chunk, events);
      cursor = read.cursor;
      await subscriber.writable();
      if (subscriber.isClosed()) return;
      if (!read.full && read.readAt >= lastFannedReadAt) break;
    }
    subscriber.replayed = { itemIds, maxArrivalMs };
    subscriber.state = 'live';
    // Metrics may have moved while replaying; the client gets the current ones.
    const aggregates = view.snapshot ?? (await aggregatesOf(view, store));
    subscriber.sendMetrics(metricsFrame(aggregates, store.encodeCursor(cursor)));
  }

  return {
    get size() {
      return size;
    },
    hasCapacity: () => size < options.maxConnections,
    async connect(request) {
      const view = viewFor(request);
      const parsed = request.lastEventId === undefined ? undefined : store.parseCursor(request.lastEventId);
      const outcome = parsed === undefined ? 'fresh' : parsed.ok ? 'resumed' : 'reset';
      size += 1;
      const subscriber = new Subscriber(request.sink, {
        connectionId: randomUUID(),
        clientId: request.clientId,
        stream: (request.configuration === undefined ? 'global' : 'configuration') satisfies StreamKind,
        configId: request.configuration?.value.config_id,
        maxQueuedBytes,
        stallTimeoutMs,
        metrics,
        logger,
        onClosed: (closed) => {
          size -= 1;
          view.subscribers.delete(closed);
        },
      });
      view.subscribers.add(subscriber);
      const startId = parsed?.ok === true ? store.encodeCursor(parsed.cursor) : lastCursor;
      const snapshot = view.snapshot ?? (await firstSnapshot(view));
      if (subscriber.isClosed()) return subscriber;
      let opening = frameRetry(options.retryMs);
      opening += frameEvent({
        event: 'stream_open',
        id: startId,
        data: JSON.stringify({
          outcome,
          retry_ms: options.retryMs,
          heartbeat_interval_ms: options.heartbeatIntervalMs,
          server_time: new Date(now()).toISOString(),
        }),
      });
      if (snapshot !== undefined) opening += snapshotFrames(snapshot, startId);
      else subscriber.awaitingSnapshot = true;
      // The confirmation a client can read at once: the stream is up and how fresh its data is.
      opening += heartbeatFrame(startId);
      subscriber.send(opening, 2 + (snapshot === undefined ? 0 : 1 + snapshot.topTickers.length));
      if (parsed?.ok === true) await replayOrReconnect(subscriber, view, parsed.cursor, startId);
      else if (!subscriber.isClosed()) subscriber.state = 'live';
      return subscriber;
    },
    closeAll(reason) {
      for (const view of views.values()) {
        for (const subscriber of [...view.subscribers]) {
          subscriber.close(
            reason,
            subscriber.state === 'live' && subscriber.replayed === undefined
              ? reconnectFrame(reason, lastCursor)
              : undefined,
          );
        }
      }
    },
    stop() {
      clearInterval(heartbeat);
    },
  };
}

export type { ConnectRequest, Hub, HubOptions };
export { createHub };
