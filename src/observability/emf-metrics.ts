/**
 * The stream engine's metrics as CloudWatch EMF, through Powertools Metrics: the Lambda
 * counterpart of the local Prometheus registry, same events, same meaning. EMF is JSON on stdout,
 * so nothing is sent anywhere from here; `publish()` flushes at the end of an invocation.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { StreamMetrics } from './stream-metrics.ts';

interface EmfStreamMetrics extends StreamMetrics {
  publish(): void;
}

function createEmfMetrics(namespace = 'Tickerpulse', serviceName = 'tickerpulse'): EmfStreamMetrics {
  const metrics = new Metrics({ namespace, serviceName });
  return {
    connectionOpened: () => {
      metrics.addMetric('ConnectionsOpened', MetricUnit.Count, 1);
    },
    connectionClosed: (_stream, reason) => {
      metrics.addMetric('ConnectionsClosed', MetricUnit.Count, 1);
      if (reason === 'slow_consumer') metrics.addMetric('SlowConsumerDisconnects', MetricUnit.Count, 1);
    },
    eventsSent: (count) => {
      metrics.addMetric('EventsSent', MetricUnit.Count, count);
    },
    rejected: () => {
      metrics.addMetric('Rejections', MetricUnit.Count, 1);
    },
    deliveryLag: (ms) => {
      metrics.addMetric('DeliveryLag', MetricUnit.Milliseconds, ms);
    },
    pollCompleted: (durationMs) => {
      metrics.addMetric('PollDuration', MetricUnit.Milliseconds, durationMs);
    },
    pollFailed: () => {
      metrics.addMetric('PollErrors', MetricUnit.Count, 1);
    },
    storeRequest: () => {
      metrics.addMetric('StoreRequests', MetricUnit.Count, 1);
    },
    feedLag: (ms) => {
      metrics.addMetric('FeedLag', MetricUnit.Milliseconds, ms);
    },
    publish: () => {
      metrics.publishStoredMetrics();
    },
  };
}

export type { EmfStreamMetrics };
export { createEmfMetrics };
