/**
 * The stream engine's counters and gauges behind a small interface, so the local server can
 * expose them as Prometheus text (`GET /metrics`) and the Lambda handler as CloudWatch EMF.
 * Calls happen per connection, per batch or per poll, never per delivered event, so recording
 * costs nothing measurable on the fan-out path.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

type StreamKind = 'global' | 'configuration';
type CloseReason =
  | 'client_closed'
  | 'shutdown'
  | 'slow_consumer'
  | 'stalled'
  | 'store_unavailable'
  | 'configuration_deleted'
  | 'deadline'
  | 'error';
type RejectReason = 'capacity';

interface StreamMetrics {
  connectionOpened(stream: StreamKind): void;
  connectionClosed(stream: StreamKind, reason: CloseReason): void;
  /** `count` events written (one batch to many subscribers is one call). */
  eventsSent(count: number): void;
  rejected(reason: RejectReason): void;
  /** Item stamp → written to the clients of one view, in ms. */
  deliveryLag(ms: number): void;
  pollCompleted(durationMs: number): void;
  pollFailed(): void;
  /** Store requests made by the shared poller (whatever their outcome). */
  storeRequest(): void;
  /** Milliseconds since the last successful poll. */
  feedLag(ms: number): void;
}

interface PrometheusStreamMetrics extends StreamMetrics {
  readonly registry: Registry;
}

function createPrometheusMetrics(): PrometheusStreamMetrics {
  const registry = new Registry();
  const prefix = 'tickerpulse_';
  const connections = new Gauge({
    name: `${prefix}stream_connections`,
    help: 'Open SSE streams.',
    labelNames: ['stream'],
    registers: [registry],
  });
  const opened = new Counter({
    name: `${prefix}stream_connections_opened_total`,
    help: 'SSE streams opened.',
    labelNames: ['stream'],
    registers: [registry],
  });
  const closed = new Counter({
    name: `${prefix}stream_connections_closed_total`,
    help: 'SSE streams closed, by reason.',
    labelNames: ['stream', 'reason'],
    registers: [registry],
  });
  const sent = new Counter({
    name: `${prefix}stream_events_sent_total`,
    help: 'SSE events written to clients.',
    registers: [registry],
  });
  const rejections = new Counter({
    name: `${prefix}stream_rejections_total`,
    help: 'Stream requests refused (503), by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const slow = new Counter({
    name: `${prefix}stream_slow_consumer_disconnects_total`,
    help: 'Clients disconnected because their queue overflowed.',
    registers: [registry],
  });
  const lag = new Histogram({
    name: `${prefix}stream_delivery_lag_seconds`,
    help: 'Item arrival to write, per item and view.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30],
    registers: [registry],
  });
  const pollDuration = new Histogram({
    name: `${prefix}feed_poll_duration_seconds`,
    help: 'Duration of one shared feed poll.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const polls = new Counter({
    name: `${prefix}feed_polls_total`,
    help: 'Successful shared feed polls.',
    registers: [registry],
  });
  const pollErrors = new Counter({
    name: `${prefix}feed_poll_errors_total`,
    help: 'Failed shared feed polls.',
    registers: [registry],
  });
  const storeRequests = new Counter({
    name: `${prefix}feed_store_requests_total`,
    help: 'Store requests made by the shared feed poller.',
    registers: [registry],
  });
  const feedLag = new Gauge({
    name: `${prefix}feed_lag_seconds`,
    help: 'Time since the last successful feed poll.',
    registers: [registry],
  });
  return {
    registry,
    connectionOpened: (stream) => {
      connections.inc({ stream });
      opened.inc({ stream });
    },
    connectionClosed: (stream, reason) => {
      connections.dec({ stream });
      closed.inc({ stream, reason });
      if (reason === 'slow_consumer') slow.inc();
    },
    eventsSent: (count) => {
      sent.inc(count);
    },
    rejected: (reason) => {
      rejections.inc({ reason });
    },
    deliveryLag: (ms) => {
      lag.observe(ms / 1000);
    },
    pollCompleted: (durationMs) => {
      polls.inc();
      pollDuration.observe(durationMs / 1000);
    },
    pollFailed: () => {
      pollErrors.inc();
    },
    storeRequest: () => {
      storeRequests.inc();
    },
    feedLag: (ms) => {
      feedLag.set(ms / 1000);
    },
  };
}

export type { CloseReason, PrometheusStreamMetrics, RejectReason, StreamKind, StreamMetrics };
export { createPrometheusMetrics };
