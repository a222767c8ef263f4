/**
 * The stream engine's metrics as CloudWatch EMF, through Powertools Metrics: the Lambda
 * counterpart of the local Prometheus registry, same events, same meaning. EMF is JSON on stdout,
 * so nothing is sent anywhere from here; `publish()` flushes at the end of an invocation.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EMF_METRIC_NAMES, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.ts';
import type { StreamMetrics } from './stream-metrics.ts';

interface EmfStreamMetrics extends StreamMetrics {
  publish(): void;
}

function createEmfMetrics(namespace = METRICS_NAMESPACE, serviceName = SERVICE_NAME): EmfStreamMetrics {
  const metrics = new Metrics({ namespace, serviceName });
  return {
    connectionOpened: () => {
      metrics.addMetric(EMF_METRIC_NAMES.connectionsOpened, MetricUnit.Count, 1);
    },
    connectionClosed: (_stream, reason) => {
      metrics.addMetric(EMF_METRIC_NAMES.connectionsClosed, MetricUnit.Count, 1);
      if (reason === 'slow_consumer') metrics.addMetric(EMF_METRIC_NAMES.slowConsumerDisconnects, MetricUnit.Count, 1);
    },
    eventsSent: (count) => {
      metrics.addMetric(EMF_METRIC_NAMES.eventsSent, MetricUnit.Count, count);
    },
    rejected: () => {
      metrics.addMetric(EMF_METRIC_NAMES.rejections, MetricUnit.Count, 1);
    },
    deliveryLag: (ms) => {
      metrics.addMetric(EMF_METRIC_NAMES.deliveryLag, MetricUnit.Milliseconds, ms);
    },
    pollCompleted: (durationMs) => {
      metrics.addMetric(EMF_METRIC_NAMES.pollDuration, MetricUnit.Milliseconds, durationMs);
    },
    pollFailed: () => {
      metrics.addMetric(EMF_METRIC_NAMES.pollErrors, MetricUnit.Count, 1);
    },
    storeRequest: () => {
      metrics.addMetric(EMF_METRIC_NAMES.storeRequests, MetricUnit.Count, 1);
    },
    feedLag: (ms) => {
      metrics.addMetric(EMF_METRIC_NAMES.feedLag, MetricUnit.Milliseconds, ms);
    },
    publish: () => {
      metrics.publishStoredMetrics();
    },
  };
}

export type { EmfStreamMetrics };
export { createEmfMetrics };
