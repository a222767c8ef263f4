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

function createPrometheusMetrics(): PrometheusStreamMetrics {
  const registry = new Registry();
  const connections = new Gauge({
    name: PROMETHEUS_METRIC_NAMES.connections,
    help: 'Open SSE streams.',
    labelNames: ['stream'],
    registers: [registry],
  });
  const opened = new Counter({
    name: PROMETHEUS_METRIC_NAMES.connectionsOpened,
    help: 'SSE streams opened.',
    labelNames: ['stream'],
    registers: [registry],
  });
  const closed = new Counter({
    name: PROMETHEUS_METRIC_NAMES.connectionsClosed,
    help: 'SSE streams closed, by reason.',
    labelNames: ['stream', 'reason'],
    registers: [registry],
  });
  const sent = new Counter({
    name: PROMETHEUS_METRIC_NAMES.eventsSent,
    help: 'SSE events written to clients.',
    registers: [registry],
  });
  const rejections = new Counter({
    name: PROMETHEUS_METRIC_NAMES.rejections,
    help: 'Stream requests refused (503), by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const slow = new Counter({
    name: PROMETHEUS_METRIC_NAMES.slowConsumerDisconnects,
    help: 'Clients disconnected because their queue overflowed.',
    registers: [registry],
  });
  const lag = new Histogram({
    name: PROMETHEUS_METRIC_NAMES.deliveryLag,
    help: 'Item arrival to write, per item and view.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30],
    registers: [registry],
  });
  const pollDuration = new Histogram({
    name: PROMETHEUS_METRIC_NAMES.pollDuration,
    help: 'Duration of one shared feed poll.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const polls = new Counter({
    name: PROMETHEUS_METRIC_NAMES.polls,
    help: 'Successful shared feed polls.',
    registers: [registry],
  });
  const pollErrors = new Counter({
    name: PROMETHEUS_METRIC_NAMES.pollErrors,
    help: 'Failed shared feed polls.',
    registers: [registry],
  });
  const storeRequests = new Counter({
    name: PROMETHEUS_METRIC_NAMES.storeRequests,
    help: 'Store requests made by the shared feed poller.',
    registers: [registry],
  });
  const feedLag = new Gauge({
    name: PROMETHEUS_METRIC_NAMES.feedLag,
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
