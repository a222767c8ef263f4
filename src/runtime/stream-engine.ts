/**
 * The stream engine composed once, for every host: the shared feed poller, the hub fed by it,
 * and the deadline policy of hosts that kill their work at a fixed time (the SSE Lambda).
 * Hosts bring only what differs between them: the store(s), the configuration, a metrics
 * implementation (Prometheus, EMF) and a logger. How the store is created (embedded dynalite,
 * demo data, a counted client) stays in the host, so a production server reuses this as is.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.ts';
import { engineLogger } from '../observability/engine-logger.ts';
import type { Logger } from '../observability/logger.ts';
import type { StreamMetrics } from '../observability/stream-metrics.ts';
import type { Store } from '../store/index.ts';
import { createFeedPoller } from '../stream/feed-poller.ts';
import { reconnectEvent } from '../stream/events.ts';
import { frameRetry } from '../stream/frame.ts';
import { Frames } from '../stream/frames.ts';
import { type ConnectRequest, createHub, type Hub, StreamNotReadyError } from '../stream/hub.ts';
import type { SseSink } from '../stream/sink.ts';

/** The settings the engine reads; a host passes its whole Config. */
type StreamEngineConfig = Pick<
  Config,
  'pollIntervalMs' | 'heartbeatIntervalMs' | 'retryMs' | 'maxConnections' | 'streamDeadlineMarginMs'
>;

interface StreamEngineOptions {
  /** Per connection: the opening snapshot and replays. */
  readonly store: Store;
  /**
   * Per poll: the feed, the aggregates and configuration refreshes. A separate store (its own
   * client) lets a host count the poller's requests exactly; default: `store`.
   */
  readonly pollStore?: Store;
  readonly config: StreamEngineConfig;
  readonly metrics: StreamMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Overrides config.maxConnections (the Lambda serves one stream per invocation). */
  readonly maxConnections?: number;
  /** Per-stream queue limit in bytes; default the hub's. */
  readonly maxQueuedBytes?: number;
}

interface StreamEngine {
  /** The fan-out: the host's stream routes connect to it; closeAll ends every stream. */
  readonly hub: Hub;
  /**
   * This process accepted an ingest: the poller reads the feed now (or right after the poll in
   * progress; a burst of wakes is one more poll) instead of at the next interval.
   */
  wake(): void;
  /** Stops polling and the hub's timers; `closeAll` first to end streams politely. */
  stop(): void;
}

/**
 * Starts the poller and builds the hub on it. Resolves after the poller's first poll: the hub
 * takes its starting cursor from it. If that poll could not read the feed head, the hub refuses
 * streams (`hub.isReady()`) until a later poll has.
 */
async function startStreamEngine(options: StreamEngineOptions): Promise<StreamEngine> {
  const { store, config, metrics } = options;
  const logger = engineLogger(options.logger);
  const pollStore = options.pollStore ?? store;
  const optionalNow = options.now === undefined ? {} : { now: options.now };
  const poller = createFeedPoller({
    store: pollStore,
    intervalMs: config.pollIntervalMs,
    logger,
    metrics,
    ...optionalNow,
  });
  await poller.start();
  const hub = createHub({
    poller,
    pollStore,
    store,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    retryMs: config.retryMs,
    maxConnections: options.maxConnections ?? config.maxConnections,
    metrics,
    logger,
    ...optionalNow,
    ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes }),
  });
  return {
    hub,
    wake: () => {
      poller.wake();
    },
    stop: () => {
      poller.stop();
      hub.stop();
    },
  };
}

/**
 * The whole stream of a client invoked too close to its deadline to stream at all: come back at
 * once, from where you were. The id is the client's own cursor when valid (so nothing is
 * skipped), else the feed head, as a fresh connect would start there. No jitter: one client.
 */
async function deadlineReconnectFrame(store: Store, lastEventId: string | undefined, retryMs: number): Promise<string> {
  // Read before anything is written: a store that does not answer is the host's 503.
  const parsed = lastEventId === undefined ? undefined : store.parseCursor(lastEventId);
  const id = store.encodeCursor(parsed?.ok === true ? parsed.cursor : await store.headCursor());
  return Frames.fields(frameRetry(retryMs)).plus(reconnectEvent(id, { reason: 'deadline', retry_ms: retryMs })).text;
}

interface DeadlineRunOptions extends Omit<StreamEngineOptions, 'maxConnections'> {
  /** The stream asked for, but its sink: that is opened only once the stream can start. */
  readonly request: Omit<ConnectRequest, 'sink'>;
  /**
   * Sends the response's status and headers (200, SSE) and gives the sink. Called once the
   * stream can start; a refusal before (the feed unreadable: StreamNotReadyError, or the store's
   * own error) is thrown instead, for the host to answer as a problem.
   */
  openSink(): SseSink;
  /** Ms left before the host kills the invocation (Lambda: getRemainingTimeInMillis()). */
  readonly remainingMs: number;
}

/**
 * One stream, one engine, until the client leaves or config.streamDeadlineMarginMs before the
 * deadline, when it ends with a reconnect hint (the client resumes by cursor; nothing is lost).
 * The engine is always stopped; ending the transport stays with the host.
 */
async function runStreamUntilDeadline(options: DeadlineRunOptions): Promise<void> {
  const { request, config } = options;
  const budgetMs = options.remainingMs - config.streamDeadlineMarginMs;
  if (budgetMs <= 0) {
    const frame = await deadlineReconnectFrame(options.store, request.lastEventId, config.retryMs);
    options.openSink().write(frame);
    return;
  }
  const engine = await startStreamEngine({ ...options, maxConnections: 1 });
  try {
    if (!engine.hub.isReady()) throw new StreamNotReadyError();
    const subscriber = await engine.hub.connect({ ...request, sink: options.openSink() });
    const deadline = new AbortController();
    await Promise.race([
      subscriber.closed,
      sleep(budgetMs, undefined, { signal: deadline.signal }).catch(() => undefined),
    ]);
    deadline.abort();
    engine.hub.closeAll('deadline');
  } finally {
    engine.stop();
  }
}

export type { DeadlineRunOptions, StreamEngine, StreamEngineConfig, StreamEngineOptions };
export { deadlineReconnectFrame, runStreamUntilDeadline, startStreamEngine };
