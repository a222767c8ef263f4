/**
 * The hub: every open stream, grouped into views (views.ts: the global stream; one view per
 * streamed configuration), fed from the shared poller. Each batch is serialised once per view and
 * the same string is written to every subscriber of that view (fan-out.ts). A client with a
 * cursor replays what it missed before it goes live (resume.ts). Every event is built by a typed
 * builder (events.ts), and the engine reaches the store only through its ports (ports.ts).
 */
import { MAX_QUEUED_BYTES, STALL_HEARTBEATS } from './constants.ts';
import { reconnectEvent } from './events.ts';
import { fanOut, type FanOutOptions, type FanOutState } from './fan-out.ts';
import type { FeedPoller } from './feed-poller.ts';
import { Openings } from './opening.ts';
import type { Frames } from './frames.ts';
import type { ClientId, EventId, FeedSource, HostCloseReason } from './ports.ts';
import { replayOrReconnect, type ResumeContext } from './resume.ts';
import type { SseSink } from './sink.ts';
import { Subscriber } from './subscriber.ts';
import { adoptSnapshot, aggregatesOf, snapshotFor, type View, viewFor, type ViewConfiguration } from './views.ts';

interface ConnectRequest {
  readonly sink: SseSink;
  readonly clientId: ClientId;
  /** The raw Last-Event-ID (header or query); anything, since it is client input. */
  readonly lastEventId: string | undefined;
  /** For a configuration stream: its owner and the configuration as just read. */
  readonly configuration?: ViewConfiguration;
}

/** With fan-out's: the poller's store (`pollStore`, for aggregates and configuration refreshes per batch), the metrics, the logger and the clock. */
interface HubOptions extends FanOutOptions {
  readonly poller: FeedPoller;
  /** Per connection: the opening snapshot and replays (kept out of the per-poll count). */
  readonly store: FeedSource;
  readonly heartbeatIntervalMs: number;
  readonly retryMs: number;
  readonly maxConnections: number;
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
  /**
   * False until the poller has read the feed head (its first read can fail: a store blip at
   * start-up, or in the SSE Lambda's invocation): a stream has no id to open with before. The
   * caller answers 503 with Retry-After; `connect` refuses with StreamNotReadyError.
   */
  isReady(): boolean;
  connect(request: ConnectRequest): Promise<Subscriber>;
  /** Ends every stream with a reconnect hint (SIGTERM, or a Lambda deadline). */
  closeAll(reason: HostCloseReason): void;
  /** Stops timers; `closeAll` first to end streams politely. */
  stop(): void;
  /** Resolves once every batch the poller has handed over so far is fanned out. */
  settled(): Promise<void>;
}

type ReconnectReason = HostCloseReason | 'store_unavailable';

/** A connect before the feed head is known (see Hub.isReady). */
class StreamNotReadyError extends Error {
  override readonly name = 'StreamNotReadyError';

  constructor() {
    super('The feed cannot be read yet, so a stream has no position to start from.');
  }
}

/** Everything a hub keeps between calls. */
interface HubState extends FanOutState {
  readonly options: HubOptions;
  size: number;
  readonly openings: Openings;
}

/** `retry` with ±50 % jitter, so a fleet of clients does not come back in one wave. */
const jittered = (ms: number): number => Math.round(ms * (0.5 + Math.random()));

const reconnectFrame = (state: HubState, reason: ReconnectReason, id: EventId): Frames =>
  reconnectEvent(id, { reason, retry_ms: jittered(state.options.retryMs) });

function sendHeartbeats(state: HubState): void {
  let delivered = 0;
  for (const view of state.views.values()) {
    // Each view's own cursor: mid-batch, a view already given the batch is ahead of the others.
    let frame: Frames | undefined;
    for (const subscriber of view.subscribers) {
      const id = subscriber.resumeId(view.cursor);
      if (id === undefined) continue;
      // Right after a replay a stream stands ahead of its view: its heartbeat carries its own id.
      subscriber.send(id === view.cursor ? (frame ??= state.openings.heartbeat(id)) : state.openings.heartbeat(id));
      delivered += 1;
    }
  }
  state.options.metrics.eventsSent(delivered);
}

/**
 * A view's first snapshot, read from the store. When the store cannot answer the stream opens
 * anyway, degraded, and gets the snapshot with the first batch after recovery.
 */
async function firstSnapshot(state: HubState, view: View): Promise<void> {
  try {
    adoptSnapshot(view, await aggregatesOf(view, state.options.store));
  } catch (error) {
    state.options.logger.warn('stream opened without a snapshot: the store did not answer', { error });
  }
}

function addSubscriber(state: HubState, request: ConnectRequest, view: View): Subscriber {
  const { options } = state;
  state.size += 1;
  const subscriber = new Subscriber(request.sink, {
    clientId: request.clientId,
    stream: request.configuration === undefined ? 'global' : 'configuration',
    configId: request.configuration?.value.config_id,
    maxQueuedBytes: options.maxQueuedBytes ?? MAX_QUEUED_BYTES,
    stallTimeoutMs: options.stallTimeoutMs ?? STALL_HEARTBEATS * options.heartbeatIntervalMs,
    metrics: options.metrics,
    logger: options.logger,
    onClosed: (closed) => {
      state.size -= 1;
      view.subscribers.delete(closed);
    },
  });
  view.subscribers.add(subscriber);
  return subscriber;
}

async function connect(state: HubState, resume: ResumeContext, request: ConnectRequest): Promise<Subscriber> {
  const { store } = state.options;
  if (state.lastCursor === undefined) throw new StreamNotReadyError();
  const view = viewFor(state.views, request.configuration, {
    cursor: state.lastCursor,
    readAt: state.lastFannedReadAt,
  });
  const parsed = request.lastEventId === undefined ? undefined : store.parseCursor(request.lastEventId);
  const outcome = parsed === undefined ? 'fresh' : parsed.ok ? 'resumed' : 'reset';
  const subscriber = addSubscriber(state, request, view);
  // Usually there: the newest batch's. A new view reads its own (batches may go out meanwhile).
  if (view.snapshot === undefined) await firstSnapshot(state, view);
  if (subscriber.isClosed()) return subscriber;
  // Read after any await: a fresh stream takes every batch after the view's cursor as of now.
  const startId = parsed?.ok === true ? store.encodeCursor(parsed.cursor) : view.cursor;
  const snapshot = view.snapshot === undefined ? undefined : snapshotFor(view, view.snapshot, startId);
  if (snapshot === undefined) subscriber.snapshotMissed();
  subscriber.send(state.openings.opening(outcome, startId, snapshot));
  if (parsed?.ok === true) await replayOrReconnect(resume, subscriber, view, parsed.cursor, startId);
  else subscriber.goLive();
  return subscriber;
}

function closeAll(state: HubState, reason: HostCloseReason): void {
  for (const view of state.views.values()) {
    for (const subscriber of [...view.subscribers]) {
      // One still opening or replaying ends without a hint: its client resumes from its last id.
      const id = subscriber.resumeId(view.cursor);
      subscriber.close(reason, id === undefined ? undefined : reconnectFrame(state, reason, id));
    }
  }
}

function createHub(options: HubOptions): Hub {
  const now = options.now ?? Date.now;
  const state: HubState = {
    options,
    views: new Map(),
    lastCursor: options.poller.cursor,
    lastFannedReadAt: options.poller.lastReadAt,
    size: 0,
    openings: new Openings({
      retryMs: options.retryMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      now,
      connections: () => state.size,
      health: () => options.poller.health(),
    }),
  };
  const resume: ResumeContext = {
    store: options.store,
    logger: options.logger,
    reconnectFrame: (reason, id) => reconnectFrame(state, reason, id),
  };
  // Batches are handled one at a time, in order, even though each awaits the store.
  let chain: Promise<void> = Promise.resolve();
  options.poller.onBatch((batch) => {
    chain = chain
      .then(() => fanOut(state, batch))
      .catch((error: unknown) => {
        options.logger.error('fan-out failed', { error });
      });
  });
  const heartbeat = setInterval(() => {
    sendHeartbeats(state);
  }, options.heartbeatIntervalMs);
  heartbeat.unref();

  return {
    get size() {
      return state.size;
    },
    hasCapacity: () => state.size < options.maxConnections,
    isReady: () => state.lastCursor !== undefined,
    connect: (request) => connect(state, resume, request),
    closeAll: (reason) => {
      closeAll(state, reason);
    },
    stop() {
      clearInterval(heartbeat);
    },
    settled: () => chain,
  };
}

export type { ConnectRequest, Hub, HubOptions };
export { createHub, StreamNotReadyError };
