/**
 * The Fargate fleet: the production server (`node src/serve.ts`, REST + SSE + dashboard in one
 * long-lived process) as an ECS service behind an Application Load Balancer, built from the
 * repository's Dockerfile. What the Dockerfile says (port, health check command) is read from it
 * (scripts/lib/dockerfile.ts), so the task definition cannot drift from the image.
 *
 * Timing, all derived from the server's heartbeat and drain:
 * - ALB idle timeout 2.5 × the heartbeat (75 s for 30 s): an open stream is never idle that long;
 * - deregistration delay 10 s, container stop timeout 10 s: ECS deregisters a task, waits the
 *   delay, then sends SIGTERM; the server tells its streams to reconnect and exits within 5 s.
 *   Streams never finish by themselves, so a longer delay would only slow every deployment;
 *   clients resume by cursor on another task, with no gap and no duplicate.
 */
import { readFileSync } from 'node:fs';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  GatewayVpcEndpointAwsService,
  FlowLogDestination,
  FlowLogTrafficType,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import {
  AwsLogDriverMode,
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  LogDriver,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ListenerAction,
  ListenerCertificate,
  ListenerCondition,
  TargetGroupLoadBalancingAlgorithmType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { imageSpec } from '../../scripts/lib/dockerfile.ts';
import { PROJECT_ROOT } from './bundling.ts';
import { addMetricsCollector, FLEET_GAUGES, fleetGauge } from './fleet-metrics.ts';
import type { HealthCheckSpec } from '../../scripts/lib/dockerfile.ts';
import type { ContainerDefinition, Secret } from 'aws-cdk-lib/aws-ecs';
import type { ApplicationListener, ApplicationTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ScalableTaskCount } from 'aws-cdk-lib/aws-ecs';

/** The ALB's idle timeout for a heartbeat interval: more than two heartbeats, so one lost or late heartbeat never cuts a stream. */
function idleTimeoutFor(heartbeatIntervalMs: number): Duration {
  return Duration.seconds(Math.ceil((heartbeatIntervalMs * 2.5) / 1000));
}

/** The timings of a task's end (see the file comment). */
const DRAIN = Object.freeze({
  /** What the server promises: streams told to reconnect, process gone, within this of SIGTERM. */
  serverShutdown: Duration.seconds(5),
  deregistrationDelay: Duration.seconds(10),
  /** SIGKILL after this; twice the server's own bound. */
  stopTimeout: Duration.seconds(10),
});

/** Share of `MAX_CONNECTIONS` per task that the connections policy keeps the fleet at. */
const CONNECTIONS_TARGET_RATIO = 0.6;

/** Average CPU the CPU policy keeps the fleet at, in percent. */
const CPU_TARGET_PERCENT = 60;

/** Inputs of {@link TickerpulseFleet}, all resolved by the stack. */
interface TickerpulseFleetProps {
  /** Plain environment of the server container (no secrets). */
  readonly environment: Readonly<Record<string, string>>;
  /** Secrets injected as environment variables by ECS at task start. */
  readonly secrets: Readonly<Record<string, Secret>>;
  readonly cpu: number;
  readonly memoryLimitMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly maxConnectionsPerTask: number;
  readonly heartbeatIntervalMs: number;
  readonly natGateways: number;
  readonly logRetention: RetentionDays;
  /** ACM certificate for an HTTPS listener; without one the listener is plain HTTP on port 80. */
  readonly certificateArn: string | undefined;
}

/** VPC, cluster, task definition, service, load balancer and autoscaling of the server. */
class TickerpulseFleet extends Construct {
  readonly vpc: Vpc;
  readonly cluster: Cluster;
  readonly taskDefinition: FargateTaskDefinition;
  readonly server: ContainerDefinition;
  readonly service: FargateService;
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly listener: ApplicationListener;
  readonly targetGroup: ApplicationTargetGroup;
  readonly scaling: ScalableTaskCount;
  readonly logGroup: LogGroup;
  /** `http://` or `https://` and the load balancer's DNS name. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: TickerpulseFleetProps) {
    super(scope, id);
    const image = imageSpec(readFileSync(`${PROJECT_ROOT}Dockerfile`, 'utf8'));
    const port = Number(image.env.PORT ?? 3000);

    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'tasks', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      // Every poll of every task is a DynamoDB request: through the free gateway endpoint, not the NAT.
      gatewayEndpoints: { DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
    });
    const flowLogs = new LogGroup(this, 'FlowLogs', { retention: props.logRetention });
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: FlowLogTrafficType.REJECT,
    });

    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ContainerInsights.ENABLED });
    this.logGroup = new LogGroup(this, 'ServerLogs', { retention: props.logRetention });
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryLimitMiB,
      // Graviton, as the Lambda functions: cheaper per vCPU-hour; the image's one native module has arm64 builds.
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
      // Its own role, so the table grants of the stack land on this task only.
      taskRole: new Role(this, 'TaskRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') }),
    });
    if (image.healthCheck === undefined) throw new Error('TickerpulseFleet: the Dockerfile has no HEALTHCHECK');
    this.server = this.addServer(props, port, image.healthCheck);
    const metricsLogs = new LogGroup(this, 'MetricsLogs', { retention: props.logRetention });
    addMetricsCollector(this.taskDefinition, port, metricsLogs, this.logGroup);

    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      // A deployment starts new tasks before it stops old ones, and rolls back if they never get healthy.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
    });

    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      idleTimeout: idleTimeoutFor(props.heartbeatIntervalMs),
      dropInvalidHeaderFields: true,
    });
    this.listener = this.addListener(props.certificateArn);
    this.targetGroup = this.listener.addTargets('Server', {
      port,
      protocol: ApplicationProtocol.HTTP,
      targets: [this.service.loadBalancerTarget({ containerName: this.server.containerName, containerPort: port })],
      // An open stream is an outstanding request for its whole life, so this balances open streams
      // across tasks, and a new task takes the new streams until it holds its share.
      loadBalancingAlgorithmType: TargetGroupLoadBalancingAlgorithmType.LEAST_OUTSTANDING_REQUESTS,
      deregistrationDelay: DRAIN.deregistrationDelay,
      healthCheck: {
        path: '/health',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    // Metrics are for the collector inside the task (loopback), not for the internet.
    this.listener.addAction('HideMetrics', {
      priority: 10,
      conditions: [ListenerCondition.pathPatterns(['/metrics', '/metrics/*'])],
      action: ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not Found' }),
    });
    this.url = `${props.certificateArn === undefined ? 'http' : 'https'}://${this.loadBalancer.loadBalancerDnsName}`;

    this.scaling = this.addScaling(props);
  }

  /** The server container: the image built from the Dockerfile, its health check, logs and drain. */
  private addServer(props: TickerpulseFleetProps, port: number, check: HealthCheckSpec): ContainerDefinition {
    return this.taskDefinition.addContainer('Server', {
      // Staged offline at synth (the build context, filtered by .dockerignore); built at deploy.
      image: ContainerImage.fromAsset(PROJECT_ROOT, { file: 'Dockerfile', platform: Platform.LINUX_ARM64 }),
      essential: true,
      environment: { ...props.environment, MAX_CONNECTIONS: String(props.maxConnectionsPerTask) },
      secrets: { ...props.secrets },
      portMappings: [{ containerPort: port }],
      // ECS ignores an image's HEALTHCHECK: the same command, from the Dockerfile.
      healthCheck: {
        command: check.shellForm ? ['CMD-SHELL', check.command.at(-1) ?? ''] : ['CMD', ...check.command],
        interval: Duration.seconds(check.intervalS),
        timeout: Duration.seconds(check.timeoutS),
        startPeriod: Duration.seconds(check.startPeriodS),
        retries: check.retries,
      },
      stopTimeout: DRAIN.stopTimeout,
      // The server writes no file; its code stays as the image has it.
      readonlyRootFilesystem: true,
      logging: LogDriver.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: 'server',
        // A slow log service must never block the event loop on a stdout write.
        mode: AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
  }

  /** HTTPS with a certificate (and HTTP redirected to it), else plain HTTP. */
  private addListener(certificateArn: string | undefined): ApplicationListener {
    if (certificateArn === undefined) {
      return this.loadBalancer.addListener('Http', { protocol: ApplicationProtocol.HTTP, port: 80, open: true });
    }
    this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
    return this.loadBalancer.addListener('Https', {
      protocol: ApplicationProtocol.HTTPS,
      port: 443,
      open: true,
      certificates: [ListenerCertificate.fromArn(certificateArn)],
    });
  }

  /** Target tracking on CPU and on open streams per task; slow scale-in, since it cuts streams. */
  private addScaling(props: TickerpulseFleetProps): ScalableTaskCount {
    const scaling = this.service.autoScaleTaskCount({ minCapacity: props.minTasks, maxCapacity: props.maxTasks });
    const cooldowns = { scaleOutCooldown: Duration.minutes(1), scaleInCooldown: Duration.minutes(10) };
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: CPU_TARGET_PERCENT, ...cooldowns });
    scaling.scaleToTrackCustomMetric('Connections', {
      metric: fleetGauge(Stack.of(this), FLEET_GAUGES.connections),
      targetValue: Math.floor(props.maxConnectionsPerTask * CONNECTIONS_TARGET_RATIO),
      ...cooldowns,
    });
    return scaling;
  }
}

export type { TickerpulseFleetProps };
export { CONNECTIONS_TARGET_RATIO, CPU_TARGET_PERCENT, DRAIN, idleTimeoutFor, TickerpulseFleet };
