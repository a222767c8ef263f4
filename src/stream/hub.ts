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
import type { Aggregates, FeedCursor, Store } from '../store/index.ts';
import { MAX_QUEUED_BYTES, REPLAY_PAGE } from './constants.ts';
import type { FeedPoller, PollBatch } from './feed-poller.ts';
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
  const views = new Map<string, View>();
  let size = 0;
  let lastFannedReadAt = poller.lastReadAt;
  let lastCursor = poller.cursor;
  // Batches are handled one at a time, in order, even though each awaits the store.
  let chain: Promise<void> = Promise.resolve();

  const viewFor = (request: ConnectRequest): View => {
    const key = request.configuration === undefined ? 'global' : `config:${request.configuration.value.config_id}`;
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
      if (view.subscribers.size === 0) {
        views.delete(view.key);
        continue;
      }
      await refreshConfiguration(view);
      if (!views.has(view.key)) continue;
      const items = view.tickers === null ? batch.items : batch.items.filter((e) => view.tickers?.has(e.item.ticker));
      const aggregates = await aggregatesOf(view, pollStore);
      const itemsPart = items.map(frameOf).join('');
      let aggregatesPart = '';
      let aggregateEvents = 0;
      for (const aggregate of aggregates.tickers) {
        const key = tickerKey(aggregate);
        if (view.lastTickers.get(aggregate.ticker) === key) continue;
        view.lastTickers.set(aggregate.ticker, key);
        aggregatesPart += frameEvent({ event: 'sentiment_update', id: batch.cursor, data: JSON.stringify(aggregate) });
        aggregateEvents += 1;
      }
      const key = metricsKey(aggregates);
      const metricsPart = key === view.lastMetrics ? undefined : metricsFrame(aggregates, batch.cursor);
      view.lastMetrics = key;
      const body = itemsPart + aggregatesPart;
      // Built once per view: each subscriber gets the whole batch in one write.
      const combined = metricsPart === undefined ? body : body + metricsPart;
      const events = items.length + aggregateEvents + (metricsPart === undefined ? 0 : 1);
      let delivered = 0;
      for (const subscriber of view.subscribers) {
        if (subscriber.state !== 'live') continue;
        const replayed = subscriber.replayed;
        if (replayed === undefined) {
          subscriber.sendBatch(combined, body, items.length + aggregateEvents, metricsPart);
        } else {
          // Rare path, right after a replay: skip the items the replay already sent.
          const fresh = items.filter((entry) => !replayed.itemIds.has(entry.item.item_id));
          const own = fresh.map(frameOf).join('') + aggregatesPart;
          subscriber.sendBatch(own + (metricsPart ?? ''), own, fresh.length + aggregateEvents, metricsPart);
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

  const heartbeat = setInterval(() => {
    const health = poller.health();
    const frame = frameEvent({
      event: 'heartbeat',
      id: lastCursor,
      data: JSON.stringify({
        timestamp: new Date(now()).toISOString(),
        connections: size,
        status: health.status,
        last_poll_at: health.lastPollAt === null ? null : new Date(health.lastPollAt).toISOString(),
        lag_ms: health.lagMs,
      }),
    });
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

  async function replay(subscriber: Subscriber, view: View, from: FeedCursor): Promise<void> {
    let cursor = from;
    const itemIds = new Set<string>();
    let maxArrivalMs = 0;
    for (;;) {
      const read = await store.readAfter(cursor, REPLAY_PAGE);
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
        chunk += itemFrame(entry.item, store.encodeCursor(itemCursor));
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
    const aggregates = await aggregatesOf(view, store);
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
        metrics,
        logger,
        onClosed: (closed) => {
          size -= 1;
          view.subscribers.delete(closed);
        },
      });
      view.subscribers.add(subscriber);
      const startId = parsed?.ok === true ? store.encodeCursor(parsed.cursor) : lastCursor;
      const aggregates = await aggregatesOf(view, store);
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
      opening += metricsFrame(aggregates, startId);
      for (const aggregate of aggregates.tickers) {
        opening += frameEvent({ event: 'sentiment_update', id: startId, data: JSON.stringify(aggregate) });
      }
      subscriber.send(opening, 2 + aggregates.tickers.length);
      if (parsed?.ok === true) await replay(subscriber, view, parsed.cursor);
      else if (!subscriber.isClosed()) subscriber.state = 'live';
      return subscriber;
    },
    closeAll(reason) {
      for (const view of views.values()) {
        for (const subscriber of [...view.subscribers]) {
          const retry = jittered(options.retryMs);
          const frame = frameEvent({
            event: 'reconnect',
            id: lastCursor,
            retry,
            data: JSON.stringify({ reason, retry_ms: retry }),
          });
          subscriber.close(
            reason,
            subscriber.state === 'live' && subscriber.replayed === undefined ? frame : undefined,
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
