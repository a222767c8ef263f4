/**
 * Every metric name the service publishes, as pure constants: the EMF recorder, the REST Lambda,
 * the Prometheus registry and the CDK dashboard and alarms (cdk/lib/monitoring.ts) all read them
 * from here, so a renamed metric cannot leave an alarm watching nothing. No imports on purpose:
 * cdk/ imports this file and must not pull in any runtime package.
 */

/** Powertools Metrics namespace (`POWERTOOLS_METRICS_NAMESPACE`) of the custom metrics. */
const METRICS_NAMESPACE = 'Tickerpulse';

/** Powertools `serviceName` (`POWERTOOLS_SERVICE_NAME`); Metrics adds it as the `service` dimension. */
const SERVICE_NAME = 'tickerpulse';

/** CloudWatch (EMF) metric names. */
const EMF_METRIC_NAMES = Object.freeze({
  connectionsOpened: 'ConnectionsOpened',
  connectionsClosed: 'ConnectionsClosed',
  slowConsumerDisconnects: 'SlowConsumerDisconnects',
  eventsSent: 'EventsSent',
  rejections: 'Rejections',
  deliveryLag: 'DeliveryLag',
  pollDuration: 'PollDuration',
  pollErrors: 'PollErrors',
  storeRequests: 'StoreRequests',
  feedLag: 'FeedLag',
  /** REST Lambda: one per request, with the `statusClass` dimension. */
  requests: 'Requests',
  requestLatency: 'RequestLatency',
} as const);

/** EMF dimension of the REST request metrics: `2xx`, `4xx`, `5xx`. */
const STATUS_CLASS_DIMENSION = 'statusClass';

/** Prometheus metric names (`GET /metrics` of the local server). */
const PROMETHEUS_METRIC_NAMES = Object.freeze({
  connections: 'tickerpulse_stream_connections',
  connectionsOpened: 'tickerpulse_stream_connections_opened_total',
  connectionsClosed: 'tickerpulse_stream_connections_closed_total',
  eventsSent: 'tickerpulse_stream_events_sent_total',
  rejections: 'tickerpulse_stream_rejections_total',
  slowConsumerDisconnects: 'tickerpulse_stream_slow_consumer_disconnects_total',
  deliveryLag: 'tickerpulse_stream_delivery_lag_seconds',
  pollDuration: 'tickerpulse_feed_poll_duration_seconds',
  polls: 'tickerpulse_feed_polls_total',
  pollErrors: 'tickerpulse_feed_poll_errors_total',
  storeRequests: 'tickerpulse_feed_store_requests_total',
  feedLag: 'tickerpulse_feed_lag_seconds',
} as const);

export { EMF_METRIC_NAMES, METRICS_NAMESPACE, PROMETHEUS_METRIC_NAMES, SERVICE_NAME, STATUS_CLASS_DIMENSION };
