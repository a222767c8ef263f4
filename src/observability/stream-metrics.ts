/**
 * The stream engine's counters and gauges behind a small interface, so the local server can
 * expose them as Prometheus text (`GET /metrics`) and the Lambda handler as CloudWatch EMF.
 * Calls happen per connection, per batch or per poll, never per delivered event, so recording
 * costs nothing measurable on the fan-out path.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PROMETHEUS_METRIC_NAMES } from './metric-names.ts';
// The engine owns these types (its metrics port); re-exported so recorders and hosts keep one import.
import type { CloseReason, RejectReason, StreamKind, StreamMetrics } from '../stream/ports.ts';

interface PrometheusStreamMetrics extends StreamMetrics {
  readonly registry: Registry;
}

/** Streams opened and still open, per kind: plain numbers, read by the instruments when scraped. */
interface ConnectionTally {
  readonly open: Record<StreamKind, number>;
  /** Opened since the last scrape. */
  readonly openedSince: Record<StreamKind, number>;
}

const STREAM_KINDS: readonly StreamKind[] = ['global', 'configuration'];

/**
 * The instruments of the streams themselves (connections, events, refusals, lag), in `registry`.
 * Open and opened streams are tallied in plain numbers and handed to prom-client when scraped:
 * a labelled inc() hashes its labels on every call, and a reconnect storm opens thousands of
 * streams a second.
 */
function registerStreamInstruments(registry: Registry, tally: ConnectionTally) {
  return {
    connections: new Gauge({
      name: PROMETHEUS_METRIC_NAMES.connections,
      help: 'Open SSE streams.',
      labelNames: ['stream'],
      registers: [registry],
      collect() {
        for (const kind of STREAM_KINDS) this.set({ stream: kind }, tally.open[kind]);
      },
    }),
    opened: new Counter({
      name: PROMETHEUS_METRIC_NAMES.connectionsOpened,
      help: 'SSE streams opened.',
      labelNames: ['stream'],
      registers: [registry],
      collect() {
        for (const kind of STREAM_KINDS) {
          this.inc({ stream: kind }, tally.openedSince[kind]);
          tally.openedSince[kind] = 0;
        }
      },
    }),
    closed: new Counter({
      name: PROMETHEUS_METRIC_NAMES.connectionsClosed,
      help: 'SSE streams closed, by reason.',
      labelNames: ['stream', 'reason'],
      registers: [registry],
    }),
    sent: new Counter({
      name: PROMETHEUS_METRIC_NAMES.eventsSent,
      help: 'SSE events written to clients.',
      registers: [registry],
    }),
    rejections: new Counter({
      name: PROMETHEUS_METRIC_NAMES.rejections,
      help: 'Stream requests refused (503), by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    slow: new Counter({
      name: PROMETHEUS_METRIC_NAMES.slowConsumerDisconnects,
      help: 'Clients disconnected because their queue overflowed.',
      registers: [registry],
    }),
    lag: new Histogram({
      name: PROMETHEUS_METRIC_NAMES.deliveryLag,
      help: 'Item arrival to write, per item and view.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30],
      registers: [registry],
    }),
  };
}

/** The instruments of the shared feed poller (polls, failures, store requests, feed lag), in `registry`. */
function registerPollInstruments(registry: Registry) {
  return {
    duration: new Histogram({
      name: PROMETHEUS_METRIC_NAMES.pollDuration,
      help: 'Duration of one shared feed poll.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    polls: new Counter({
      name: PROMETHEUS_METRIC_NAMES.polls,
      help: 'Successful shared feed polls.',
      registers: [registry],
    }),
    errors: new Counter({
      name: PROMETHEUS_METRIC_NAMES.pollErrors,
      help: 'Failed shared feed polls.',
      registers: [registry],
    }),
    storeRequests: new Counter({
      name: PROMETHEUS_METRIC_NAMES.storeRequests,
      help: 'Store requests made by the shared feed poller.',
      registers: [registry],
    }),
    feedLag: new Gauge({
      name: PROMETHEUS_METRIC_NAMES.feedLag,
      help: 'Time since the last successful feed poll.',
      registers: [registry],
    }),
  };
}

/** The engine's metrics port recorded as Prometheus metrics, in a registry of their own. */
function createPrometheusMetrics(): PrometheusStreamMetrics {
  const registry = new Registry();
  const tally: ConnectionTally = {
    open: { global: 0, configuration: 0 },
    openedSince: { global: 0, configuration: 0 },
  };
  const stream = registerStreamInstruments(registry, tally);
  const poll = registerPollInstruments(registry);
  return {
    registry,
    connectionOpened: (kind) => {
      tally.open[kind] += 1;
      tally.openedSince[kind] += 1;
    },
    connectionClosed: (kind, reason) => {
      tally.open[kind] -= 1;
      stream.closed.inc({ stream: kind, reason });
      if (reason === 'slow_consumer') stream.slow.inc();
    },
    eventsSent: (count) => {
      stream.sent.inc(count);
    },
    rejected: (reason) => {
      stream.rejections.inc({ reason });
    },
    deliveryLag: (ms) => {
      stream.lag.observe(ms / 1000);
    },
    pollCompleted: (durationMs) => {
      poll.polls.inc();
      poll.duration.observe(durationMs / 1000);
    },
    pollFailed: () => {
      poll.errors.inc();
    },
    storeRequest: () => {
      poll.storeRequests.inc();
    },
    feedLag: (ms) => {
      poll.feedLag.set(ms / 1000);
    },
  };
}

export type { CloseReason, PrometheusStreamMetrics, RejectReason, StreamKind, StreamMetrics };
export { createPrometheusMetrics };
