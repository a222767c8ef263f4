/**
 * The fleet's own metrics in CloudWatch. The server publishes Prometheus metrics at `/metrics`
 * (names in `src/observability/metric-names.ts`); a collector sidecar in each task (the AWS
 * Distro for OpenTelemetry collector) scrapes them over the task's loopback and writes them to
 * CloudWatch as embedded-metric-format logs, so autoscaling can track open streams per task.
 *
 * - Open streams are the server's capacity: an idle SSE connection costs memory and a heartbeat,
 *   not CPU, so a fleet at `MAX_CONNECTIONS` can sit at low CPU and refuse new streams with 503.
 *   Target tracking on streams per task scales it out before that.
 * - The gauge has a `stream` label (global / configuration); the collector sums it away, so each
 *   task publishes one value per scrape and the metric's Average is "open streams per task".
 * - The sidecar is not essential: if it stops, the server keeps serving and only the connections
 *   policy lacks data (target tracking then does nothing; the CPU policy still scales).
 *
 * Unverified on a real AWS account: the collector configuration follows the collector's
 * documented `prometheus` receiver, `metricstransform` processor and `awsemf` exporter.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { ContainerImage, LogDriver } from 'aws-cdk-lib/aws-ecs';
import { PROMETHEUS_METRIC_NAMES } from '../../src/observability/metric-names.ts';
import type { FargateTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';

/** CloudWatch namespace of the fleet's server metrics (the Lambda metrics are in `Tickerpulse`). */
const FLEET_METRICS_NAMESPACE = 'Tickerpulse/Fleet';

/** The one dimension: the stack name, so two fleets in one account keep apart. */
const FLEET_DIMENSION = 'fleet';

/** The collector image, pinned: bump it deliberately (public ECR, no credentials needed). */
const COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0';

/** How often the collector reads `/metrics`. */
const SCRAPE_INTERVAL = Duration.seconds(15);

/** The Prometheus gauges the fleet publishes to CloudWatch, one value per task and scrape. */
const FLEET_GAUGES = Object.freeze({
  /** Open SSE streams of a task (the `stream` label summed). */
  connections: PROMETHEUS_METRIC_NAMES.connections,
  /** Seconds since the task's last successful feed poll. */
  feedLag: PROMETHEUS_METRIC_NAMES.feedLag,
} as const);

/** The collector's configuration (YAML is a superset of JSON, so JSON it is). */
function collectorConfig(port: number, fleet: string, logGroupName: string): string {
  const gauges = Object.values(FLEET_GAUGES);
  return JSON.stringify({
    receivers: {
      prometheus: {
        config: {
          scrape_configs: [
            {
              job_name: 'tickerpulse',
              scrape_interval: `${SCRAPE_INTERVAL.toSeconds()}s`,
              scrape_timeout: '5s',
              metrics_path: '/metrics',
              // awsvpc: the containers of a task share one network namespace and its loopback.
              static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { [FLEET_DIMENSION]: fleet } }],
            },
          ],
        },
      },
    },
    processors: {
      // Keeps only the fleet label: the per-`stream` series of a gauge become one sum per task.
      metricstransform: {
        transforms: gauges.map((name) => ({
          include: name,
          action: 'update',
          operations: [{ action: 'aggregate_labels', label_set: [FLEET_DIMENSION], aggregation_type: 'sum' }],
        })),
      },
      batch: { timeout: '10s' },
    },
    exporters: {
      awsemf: {
        namespace: FLEET_METRICS_NAMESPACE,
        log_group_name: logGroupName,
        log_stream_name: 'collector/{TaskId}',
        dimension_rollup_option: 'NoDimensionRollup',
        // Only these become CloudWatch metrics; `\b` rather than `$`, which the collector's
        // configuration loader would read as a variable reference.
        metric_declarations: [
          { dimensions: [[FLEET_DIMENSION]], metric_name_selectors: gauges.map((name) => `^${name}\\b`) },
        ],
      },
    },
    service: {
      pipelines: {
        metrics: { receivers: ['prometheus'], processors: ['metricstransform', 'batch'], exporters: ['awsemf'] },
      },
    },
  });
}

/** Adds the collector sidecar to `taskDefinition`, scraping the server on `port`; EMF goes to `metricsLogGroup`. */
function addMetricsCollector(
  taskDefinition: FargateTaskDefinition,
  port: number,
  metricsLogGroup: ILogGroup,
  collectorLogGroup: ILogGroup,
): void {
  const fleet = Stack.of(taskDefinition).stackName;
  taskDefinition.addContainer('MetricsCollector', {
    image: ContainerImage.fromRegistry(COLLECTOR_IMAGE),
    essential: false,
    cpu: 64,
    memoryReservationMiB: 64,
    memoryLimitMiB: 128,
    environment: { AOT_CONFIG_CONTENT: collectorConfig(port, fleet, metricsLogGroup.logGroupName) },
    logging: LogDriver.awsLogs({ logGroup: collectorLogGroup, streamPrefix: 'collector' }),
  });
  metricsLogGroup.grantWrite(taskDefinition.taskRole);
}

/** A fleet gauge as CloudWatch sees it, for alarms, scaling and the dashboard. */
function fleetGauge(
  stack: Stack,
  name: string,
  statistic: string = Stats.AVERAGE,
  period = Duration.minutes(1),
): Metric {
  return new Metric({
    namespace: FLEET_METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [FLEET_DIMENSION]: stack.stackName },
    statistic,
    period,
  });
}

export { addMetricsCollector, COLLECTOR_IMAGE, collectorConfig, FLEET_GAUGES, FLEET_METRICS_NAMESPACE, fleetGauge };
