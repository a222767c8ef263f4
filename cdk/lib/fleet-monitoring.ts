/**
 * Alarms and the CloudWatch dashboard of the Fargate fleet: the load balancer's view (5xx,
 * response time, healthy hosts), the service's (CPU, memory, running tasks) and the server's own
 * gauges (open streams per task, feed lag) that the metrics collector publishes. docs/fleet.md
 * says what each alarm means and what to do about it.
 */
import { Duration, Stack } from 'aws-cdk-lib';
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
import { HttpCodeElb, HttpCodeTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { routeAlarms } from './alarm-actions.ts';
import { FLEET_GAUGES, fleetGauge } from './fleet-metrics.ts';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { TickerpulseFleet } from './fleet-service.ts';

/** Alarm thresholds, one place for the code, the tests and docs/fleet.md. */
const FLEET_ALARMS = Object.freeze({
  /** 5xx answers in 5 minutes, from the tasks (503 at MAX_CONNECTIONS included) or from the ALB itself. */
  http5xxPer5Min: 10,
  /** p99 target response time, in seconds (time to the response headers: for a stream, to its opening). */
  responseTimeP99S: 1,
  /** Average CPU and memory of the service, in percent, for 3 minutes in a row. */
  cpuPercent: 85,
  memoryPercent: 85,
  /** Share of MAX_CONNECTIONS per task, over 5 minutes. */
  connectionsRatio: 0.8,
} as const);

/** Inputs of {@link FleetMonitoring}. */
interface FleetMonitoringProps {
  readonly fleet: TickerpulseFleet;
  readonly maxConnectionsPerTask: number;
  readonly maxTasks: number;
  /** Feed lag (seconds since a task's last good poll) above which the lag alarm fires, in ms. */
  readonly feedLagThresholdMs: number;
  readonly alarmTopic?: ITopic | undefined;
}

/** One alarm per failure mode of the fleet, and its dashboard. */
class FleetMonitoring extends Construct {
  readonly alarms: Readonly<Record<string, Alarm>>;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: FleetMonitoringProps) {
    super(scope, id);
    const { fleet } = props;
    const lb = fleet.loadBalancer.metrics;
    const tg = fleet.targetGroup.metrics;
    const fiveMinutes = Duration.minutes(5);
    const minute = Duration.minutes(1);
    const connectionsThreshold = Math.floor(props.maxConnectionsPerTask * FLEET_ALARMS.connectionsRatio);
    const runningTasks = runningTaskCount(fleet);
    const alarm = (name: string, description: string, metric: IMetric, threshold: number, periods = 1, below = false) =>
      new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: periods,
        comparisonOperator: below
          ? ComparisonOperator.LESS_THAN_THRESHOLD
          : ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // The ALB reports nothing while no request flows, and an idle fleet is a healthy one.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    this.alarms = Object.freeze({
      target5xx: alarm(
        'Target5xxAlarm',
        `Tasks answered ${FLEET_ALARMS.http5xxPer5Min}+ 5xx in 5 minutes: server errors, or 503 when tasks are at MAX_CONNECTIONS.`,
        tg.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { statistic: Stats.SUM, period: fiveMinutes }),
        FLEET_ALARMS.http5xxPer5Min,
      ),
      elb5xx: alarm(
        'LoadBalancer5xxAlarm',
        `The load balancer itself answered ${FLEET_ALARMS.http5xxPer5Min}+ 5xx in 5 minutes: no healthy task (503), a task reset or refused the connection (502), or a timeout (504).`,
        lb.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, { statistic: Stats.SUM, period: fiveMinutes }),
        FLEET_ALARMS.http5xxPer5Min,
      ),
      unhealthyHosts: alarm(
        'UnhealthyHostsAlarm',
        'A task failed the /health check for 3 minutes in a row: it is not serving (ECS replaces it).',
        tg.unhealthyHostCount({ statistic: Stats.MAXIMUM, period: minute }),
        1,
        3,
      ),
      noHealthyHost: alarm(
        'NoHealthyHostAlarm',
        'No task passed the /health check for 2 minutes: the service is down.',
        tg.healthyHostCount({ statistic: Stats.MINIMUM, period: minute }),
        1,
        2,
        true,
      ),
      responseTime: alarm(
        'ResponseTimeAlarm',
        `p99 time to response headers above ${FLEET_ALARMS.responseTimeP99S} s over 5 minutes: REST requests are slow (the store, or CPU).`,
        tg.targetResponseTime({ statistic: Stats.p(99), period: fiveMinutes }),
        FLEET_ALARMS.responseTimeP99S,
      ),
      cpu: alarm(
        'CpuAlarm',
        `Service CPU at ${FLEET_ALARMS.cpuPercent}%+ for 3 minutes: scaling is not keeping up, or the fleet is at its maximum.`,
        fleet.service.metricCpuUtilization({ statistic: Stats.AVERAGE, period: minute }),
        FLEET_ALARMS.cpuPercent,
        3,
      ),
      memory: alarm(
        'MemoryAlarm',
        `Service memory at ${FLEET_ALARMS.memoryPercent}%+ for 3 minutes: too many streams per task, or a leak.`,
        fleet.service.metricMemoryUtilization({ statistic: Stats.AVERAGE, period: minute }),
        FLEET_ALARMS.memoryPercent,
        3,
      ),
      connections: alarm(
        'ConnectionsAlarm',
        `Open streams per task at ${connectionsThreshold}+ (${FLEET_ALARMS.connectionsRatio * 100}% of MAX_CONNECTIONS ${props.maxConnectionsPerTask}) over 5 minutes: new streams will be refused with 503.`,
        fleetGauge(Stack.of(this), FLEET_GAUGES.connections, Stats.AVERAGE, fiveMinutes),
        connectionsThreshold,
      ),
      maxTasks: alarm(
        'MaxTasksAlarm',
        `The service runs its maximum of ${props.maxTasks} tasks: it cannot scale out further.`,
        runningTasks.with({ period: fiveMinutes }),
        props.maxTasks,
      ),
      feedLag: alarm(
        'FeedLagAlarm',
        `A task has not polled the feed successfully for ${props.feedLagThresholdMs / 1000} s: the store is unreachable or slow; streams get heartbeats but no items.`,
        fleetGauge(Stack.of(this), FLEET_GAUGES.feedLag, Stats.MAXIMUM, fiveMinutes),
        props.feedLagThresholdMs / 1000,
      ),
    });
    routeAlarms(this, Object.values(this.alarms), props.alarmTopic);

    this.dashboard = this.addDashboard(fleet, Object.values(this.alarms));
  }

  /** Alarm status, then the load balancer, the service and the server's gauges. */
  private addDashboard(fleet: TickerpulseFleet, alarms: Alarm[]): Dashboard {
    const lb = fleet.loadBalancer.metrics;
    const tg = fleet.targetGroup.metrics;
    const minute = Duration.minutes(1);
    const runningTasks = runningTaskCount(fleet);
    const graph = (title: string, left: IMetric[], width = 8) => new GraphWidget({ title, left, width });
    return new Dashboard(this, 'Dashboard', {
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
        [
          graph('Requests and 5xx', [
            lb.requestCount({ period: minute }),
            tg.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period: minute }),
            lb.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, { period: minute }),
          ]),
          graph('Target response time (s)', [
            tg.targetResponseTime({ statistic: Stats.p(50), period: minute }),
            tg.targetResponseTime({ statistic: Stats.p(99), period: minute }),
          ]),
          graph('Healthy / unhealthy tasks', [
            tg.healthyHostCount({ period: minute }),
            tg.unhealthyHostCount({ period: minute }),
          ]),
        ],
        [
          graph('CPU and memory (%)', [
            fleet.service.metricCpuUtilization({ period: minute }),
            fleet.service.metricMemoryUtilization({ period: minute }),
          ]),
          graph('Running tasks', [runningTasks]),
          graph('Open streams per task', [fleetGauge(Stack.of(this), FLEET_GAUGES.connections)]),
        ],
        [
          graph('Feed lag, worst task (s)', [fleetGauge(Stack.of(this), FLEET_GAUGES.feedLag, Stats.MAXIMUM)], 12),
          graph('Active connections at the load balancer', [lb.activeConnectionCount({ period: minute })], 12),
        ],
      ],
    });
  }
}

/** Running tasks of the service (Container Insights), per minute. */
function runningTaskCount(fleet: TickerpulseFleet): Metric {
  return new Metric({
    namespace: 'ECS/ContainerInsights',
    metricName: 'RunningTaskCount',
    dimensionsMap: { ClusterName: fleet.cluster.clusterName, ServiceName: fleet.service.serviceName },
    statistic: Stats.MAXIMUM,
    period: Duration.minutes(1),
  });
}

export type { FleetMonitoringProps };
export { FLEET_ALARMS, FleetMonitoring };
