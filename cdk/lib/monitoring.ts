/**
 * Alarms and the CloudWatch dashboard of the two functions and of the stream engine's own
 * metrics, which the handlers publish as EMF through Powertools Metrics (namespace
 * {@link METRICS_NAMESPACE}, default dimension `service` = {@link SERVICE_NAME}).
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { routeAlarms } from './alarm-actions.ts';
import type { HorizontalAnnotation } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
// A pure constants module (no imports): cdk/ takes names from src/, never runtime code.
import { EMF_METRIC_NAMES, METRICS_NAMESPACE, SERVICE_NAME } from '../../src/observability/metric-names.ts';

/** The custom EMF metrics the dashboard and alarms read, named by the handlers' own registry. */
const CUSTOM_METRICS = Object.freeze({
  connectionsOpened: EMF_METRIC_NAMES.connectionsOpened,
  eventsSent: EMF_METRIC_NAMES.eventsSent,
  deliveryLag: EMF_METRIC_NAMES.deliveryLag,
  pollDuration: EMF_METRIC_NAMES.pollDuration,
  rejections: EMF_METRIC_NAMES.rejections,
} as const);

/** Share of the SSE reserved concurrency at which the concurrency alarm fires. */
const CONCURRENCY_ALARM_RATIO = 0.8;

/** Inputs of {@link TickerpulseMonitoring}. */
interface TickerpulseMonitoringProps {
  /** The buffered REST function. */
  readonly restFunction: IFunction;
  /** The response-streaming SSE function. */
  readonly streamFunction: IFunction;
  /** Reserved concurrency of the SSE function: the most streams open at once. */
  readonly streamReservedConcurrency: number;
  /** p99 delivery lag (item stamped → written to clients) above which the lag alarm fires, in ms. */
  readonly deliveryLagThresholdMs: number;
  /** Where alarm and OK notifications go. Default: none (the alarms still show on the dashboard; synth warns). */
  readonly alarmTopic?: ITopic | undefined;
}

/** One alarm per failure mode, and a dashboard of both functions and the stream engine. */
class TickerpulseMonitoring extends Construct {
  /** Every alarm of the stack, keyed by what it watches. */
  readonly alarms: Readonly<Record<string, Alarm>>;
  /** The CloudWatch dashboard. */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: TickerpulseMonitoringProps) {
    super(scope, id);
    const { restFunction: rest, streamFunction: stream } = props;
    const period = Duration.minutes(5);
    // Per-function ConcurrentExecutions; the maximum, because one spike to the cap is what throttles.
    const streamConcurrency = stream.metric('ConcurrentExecutions', { statistic: Stats.MAXIMUM, period });
    const concurrencyThreshold = Math.ceil(props.streamReservedConcurrency * CONCURRENCY_ALARM_RATIO);
    // No label: a labelled metric turns the alarm into a metric-math alarm (a `Metrics` array).
    const deliveryLag = customMetric(CUSTOM_METRICS.deliveryLag, Stats.p(99));

    // Nothing to measure is healthy: an idle stack emits no Errors, Throttles or DeliveryLag data.
    const alarm = (
      name: string,
      description: string,
      metric: Metric,
      threshold: number,
      comparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ): Alarm =>
      new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    this.alarms = Object.freeze({
      restErrors: alarm(
        'RestErrorsAlarm',
        'REST function invocations failed (unhandled errors or timeouts) in the last 5 minutes.',
        rest.metricErrors({ statistic: Stats.SUM, period }),
        1,
      ),
      streamErrors: alarm(
        'StreamErrorsAlarm',
        'SSE function invocations failed (unhandled errors or timeouts) in the last 5 minutes.',
        stream.metricErrors({ statistic: Stats.SUM, period }),
        1,
      ),
      restThrottles: alarm(
        'RestThrottlesAlarm',
        'REST requests were refused with 429 in the last 5 minutes: the REST reserved concurrency was reached.',
        rest.metricThrottles({ statistic: Stats.SUM, period }),
        1,
      ),
      streamThrottles: alarm(
        'StreamThrottlesAlarm',
        'SSE connections were refused with 429: the reserved concurrency (stream capacity) was reached.',
        stream.metricThrottles({ statistic: Stats.SUM, period }),
        1,
      ),
      streamConcurrency: alarm(
        'StreamConcurrencyAlarm',
        `Open SSE streams reached ${CONCURRENCY_ALARM_RATIO * 100}% of the reserved concurrency ` +
          `(${props.streamReservedConcurrency}); new streams are throttled at the cap.`,
        streamConcurrency,
        concurrencyThreshold,
      ),
      deliveryLag: alarm(
        'DeliveryLagAlarm',
        `p99 delivery lag (item stamped → written to clients) above ${props.deliveryLagThresholdMs} ms over 5 minutes.`,
        deliveryLag,
        props.deliveryLagThresholdMs,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      ),
    });

    routeAlarms(this, Object.values(this.alarms), props.alarmTopic);

    const both = (make: (fn: IFunction) => Metric): Metric[] => [
      make(rest).with({ label: 'REST' }),
      make(stream).with({ label: 'SSE' }),
    ];
    const sum = (name: string, label: string): Metric => customMetric(name, Stats.SUM, label);

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24, height: 3 })],
        [
          graph(
            'Invocations',
            both((fn) => fn.metricInvocations({ statistic: Stats.SUM })),
          ),
          graph(
            'Errors',
            both((fn) => fn.metricErrors({ statistic: Stats.SUM })),
          ),
          graph(
            'Duration p99 (ms)',
            both((fn) => fn.metricDuration({ statistic: Stats.p(99) })),
          ),
        ],
        [
          graph(
            'SSE concurrency vs cap',
            [streamConcurrency.with({ label: 'Open streams (max)', period: Duration.minutes(1) })],
            [
              { value: props.streamReservedConcurrency, label: 'Reserved concurrency (cap)' },
              { value: concurrencyThreshold, label: 'Alarm' },
            ],
          ),
          graph(
            'Throttles',
            both((fn) => fn.metricThrottles({ statistic: Stats.SUM })),
          ),
          graph('Rejections', [sum(CUSTOM_METRICS.rejections, 'Rejections')]),
        ],
        [
          graph('Connections opened', [sum(CUSTOM_METRICS.connectionsOpened, 'Connections opened')], [], 6),
          graph('Events sent', [sum(CUSTOM_METRICS.eventsSent, 'Events sent')], [], 6),
          graph(
            'Delivery lag (ms)',
            [
              customMetric(CUSTOM_METRICS.deliveryLag, Stats.p(50), 'p50'),
              customMetric(CUSTOM_METRICS.deliveryLag, Stats.p(99), 'p99'),
            ],
            [{ value: props.deliveryLagThresholdMs, label: 'Alarm' }],
            6,
          ),
          graph(
            'Poll duration (ms)',
            [
              customMetric(CUSTOM_METRICS.pollDuration, Stats.p(50), 'p50'),
              customMetric(CUSTOM_METRICS.pollDuration, Stats.p(99), 'p99'),
            ],
            [],
            6,
          ),
        ],
      ],
    });
  }
}

/**
 * A custom metric as Powertools publishes it. The dimension set must match exactly: a metric
 * emitted with extra dimensions is a different CloudWatch metric and would leave these empty.
 */
function customMetric(metricName: string, statistic: string, label?: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period: Duration.minutes(5),
    ...(label === undefined ? {} : { label }),
  });
}

/** A line graph; widths add up to 24 per dashboard row. */
function graph(title: string, metrics: Metric[], annotations: HorizontalAnnotation[] = [], width = 8): GraphWidget {
  return new GraphWidget({ title, left: metrics, leftAnnotations: annotations, width });
}

export type { TickerpulseMonitoringProps };
export { CONCURRENCY_ALARM_RATIO, CUSTOM_METRICS, METRICS_NAMESPACE, SERVICE_NAME, TickerpulseMonitoring };
