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
import { type ConnectRequest, createHub, type Hub } from '../stream/hub.ts';
import type { Subscriber } from '../stream/subscriber.ts';

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
  /** The fan-out, for the host's stream routes (capacity checks) and its tests (size). */
  readonly hub: Hub;
  connect(request: ConnectRequest): Promise<Subscriber>;
  /**
   * This process accepted an ingest: the poller reads the feed now (or right after the poll in
   * progress; a burst of wakes is one more poll) instead of at the next interval.
   */
  wake(): void;
  /** Ends every open stream with a reconnect hint. */
  closeAll(reason: 'shutdown' | 'deadline'): void;
  /** Stops polling and the hub's timers; `closeAll` first to end streams politely. */
  stop(): void;
}

/**
 * Starts the poller and builds the hub on it. Resolves once the poller knows the feed head: the
 * hub takes its starting cursor from the poller, so it can only be built after that.
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
    connect: (request) => hub.connect(request),
    wake: () => {
      poller.wake();
    },
    closeAll: (reason) => {
      hub.closeAll(reason);
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
  const parsed = lastEventId === undefined ? undefined : store.parseCursor(lastEventId);
  const id = store.encodeCursor(parsed?.ok === true ? parsed.cursor : await store.headCursor());
  return frameRetry(retryMs) + reconnectEvent(id, { reason: 'deadline', retry_ms: retryMs });
}

interface DeadlineRunOptions extends Omit<StreamEngineOptions, 'maxConnections'> {
  readonly request: ConnectRequest;
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
    request.sink.write(await deadlineReconnectFrame(options.store, request.lastEventId, config.retryMs));
    return;
  }
  const engine = await startStreamEngine({ ...options, maxConnections: 1 });
  try {
    const subscriber = await engine.connect(request);
    const deadline = new AbortController();
    await Promise.race([
      subscriber.closed,
      sleep(budgetMs, undefined, { signal: deadline.signal }).catch(() => undefined),
    ]);
    deadline.abort();
    engine.closeAll('deadline');
  } finally {
    engine.stop();
  }
}

export type { DeadlineRunOptions, StreamEngine, StreamEngineConfig, StreamEngineOptions };
export { deadlineReconnectFrame, runStreamUntilDeadline, startStreamEngine };
