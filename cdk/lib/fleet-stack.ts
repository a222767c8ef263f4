/**
 * The Fargate variant of the AWS deployment (`cdk synth -c streaming=fargate`): the same table as
 * the Lambda variant, and the production server (`npm run serve`) as an ECS Fargate service behind
 * an Application Load Balancer, serving REST, SSE and the dashboard from one URL. One process
 * serves thousands of streams with one feed poll per interval, where Lambda holds one invocation
 * (and one poller) per stream; docs/fleet.md has the cost model and the runbook.
 *
 * Env-agnostic like the Lambda stack: synth stages the image's build context (no Docker needed)
 * and calls no AWS API. Secrets travel as SSM parameter names, which ECS resolves into the
 * container's environment at task start; their values never enter the template.
 */
import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { FleetMonitoring } from './fleet-monitoring.ts';
import { TickerpulseFleet } from './fleet-service.ts';
import { REST_TABLE_ACTIONS, SsmParameterSecret } from './permissions.ts';
import { createTable } from './table.ts';
import { DEFAULTS, LOG_LEVELS, parameterName } from './tickerpulse-stack.ts';
import type { CfnElement, StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Secret } from 'aws-cdk-lib/aws-ecs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * What the server does with the table: the REST function's store calls (the same code, see
 * permissions.ts), which also cover the stream engine's reads. No CreateTable: the stack owns the
 * table, so the server runs without CREATE_TABLE.
 */
const SERVER_TABLE_ACTIONS = REST_TABLE_ACTIONS;

/** Defaults of {@link TickerpulseFleetStackProps}. */
const FLEET_DEFAULTS = Object.freeze({
  // 0.5 vCPU, 1 GiB: about 12 KiB per idle stream (docs/performance.md), so memory is not the limit.
  cpu: 512,
  memoryLimitMiB: 1024,
  minTasks: 2,
  maxTasks: 10,
  maxConnectionsPerTask: 5000,
  // The server's default; the ALB idle timeout follows it (2.5 ×).
  heartbeatIntervalMs: 30_000,
  pollIntervalMs: 1000,
  natGateways: 1,
  feedLagThresholdMs: 5000,
} as const);

/** Settings of {@link TickerpulseFleetStack}; every one has a default. */
interface TickerpulseFleetStackProps extends StackProps {
  /** SSM SecureString name of the ingest API key. Default `/tickerpulse/ingest-api-key`. */
  readonly ingestApiKeyParameterName?: string;
  /** SSM SecureString name of the HS256 JWT secret. Default `/tickerpulse/auth-jwt-secret` unless {@link jwksUrl}. */
  readonly jwtSecretParameterName?: string;
  /** https URL of the JWKS that verifies user JWTs, instead of a shared secret. */
  readonly jwksUrl?: string;
  readonly jwtIssuer?: string;
  readonly jwtAudience?: string;
  /** SSM SecureString name of the stream-token secret: required with {@link jwksUrl} (every task verifies every task's tokens). */
  readonly streamTokenSecretParameterName?: string;
  /** ACM certificate ARN for HTTPS on 443 (HTTP then redirects). Default: none, plain HTTP on 80. */
  readonly certificateArn?: string;
  /**
   * `CORS_ALLOWED_ORIGINS` of every task: browser origins allowed to call the API and open its
   * streams from another page. Default none (the dashboard the fleet serves is same-origin).
   */
  readonly corsAllowedOrigins?: readonly string[];
  /** Task CPU units and memory (a Fargate combination). Default 512 / 1024. */
  readonly cpu?: number;
  readonly memoryLimitMiB?: number;
  /** Autoscaling bounds. Default 2 (one per availability zone) to 10. */
  readonly minTasks?: number;
  readonly maxTasks?: number;
  /** `MAX_CONNECTIONS` of each task: open streams above it are refused with 503. Default 5000. */
  readonly maxConnectionsPerTask?: number;
  /** `HEARTBEAT_INTERVAL_MS`; the ALB idle timeout is 2.5 × this. Default 30000. */
  readonly heartbeatIntervalMs?: number;
  /** `POLL_INTERVAL_MS`: each task reads the feed this often. Default 1000. */
  readonly pollIntervalMs?: number;
  /** NAT gateways of the VPC (image pulls, logs, SSM); DynamoDB goes through a free gateway endpoint. Default 1. */
  readonly natGateways?: number;
  readonly logLevel?: string;
  readonly logRetention?: RetentionDays;
  /** Feed lag above which the lag alarm fires, in ms. Default 5000. */
  readonly feedLagThresholdMs?: number;
  /** SNS topic for alarm and OK notifications. Default: none. */
  readonly alarmTopicArn?: string;
}

/** The table, the fleet, its alarms and dashboard, and the `ServiceUrl` output. */
class TickerpulseFleetStack extends Stack {
  readonly table: TableV2;
  readonly fleet: TickerpulseFleet;
  readonly monitoring: FleetMonitoring;

  constructor(scope: Construct, id: string, props: TickerpulseFleetStackProps = {}) {
    super(scope, id, props);
    const settings = resolveFleetSettings(props);
    this.table = createTable(this);

    // Read by the execution role at task start with ssm:GetParameters on exactly these parameters.
    const secret = (parameter: string) => new SsmParameterSecret(this, parameter);
    const secrets: Record<string, Secret> = {
      INGEST_API_KEY: secret(settings.ingestApiKeyParameterName),
    };
    if (settings.jwtSecretParameterName !== undefined) {
      secrets.AUTH_JWT_SECRET = secret(settings.jwtSecretParameterName);
    }
    if (settings.streamTokenSecretParameterName !== undefined) {
      secrets.STREAM_TOKEN_SECRET = secret(settings.streamTokenSecretParameterName);
    }
    const optional = (name: string, value: string | undefined) => (value === undefined ? {} : { [name]: value });

    this.fleet = new TickerpulseFleet(this, 'Fleet', {
      ...settings,
      environment: {
        TABLE_NAME: this.table.tableName,
        AWS_REGION: this.region,
        LOG_LEVEL: settings.logLevel,
        POLL_INTERVAL_MS: String(settings.pollIntervalMs),
        HEARTBEAT_INTERVAL_MS: String(settings.heartbeatIntervalMs),
        // The load balancer passes client headers through: trusting X-User-ID would let anyone be anyone.
        AUTH_TRUST_USER_ID_HEADER: 'false',
        ...optional('AUTH_JWKS_URL', settings.jwksUrl),
        ...optional('AUTH_JWT_ISSUER', settings.jwtIssuer),
        ...optional('AUTH_JWT_AUDIENCE', settings.jwtAudience),
        ...optional('CORS_ALLOWED_ORIGINS', props.corsAllowedOrigins?.join(',') || undefined),
      },
      secrets,
    });
    this.table.grant(this.fleet.taskDefinition.taskRole, ...SERVER_TABLE_ACTIONS);

    this.monitoring = new FleetMonitoring(this, 'Monitoring', {
      fleet: this.fleet,
      maxConnectionsPerTask: settings.maxConnectionsPerTask,
      maxTasks: settings.maxTasks,
      feedLagThresholdMs: settings.feedLagThresholdMs,
      alarmTopic:
        props.alarmTopicArn === undefined ? undefined : Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn),
    });

    new CfnOutput(this, 'ServiceUrl', {
      value: this.fleet.url,
      description: 'REST API, SSE streams and dashboard (one origin)',
    });
    this.acknowledgeNagFindings();
  }

  /**
   * The cdk-nag AwsSolutions findings that are the design, each acknowledged on its construct for
   * one exact finding id, with its reason (a new wildcard elsewhere still fails the check).
   */
  private acknowledgeNagFindings(): void {
    const tableArn = `<${this.getLogicalId(this.table.node.defaultChild as CfnElement)}.Arn>`;
    const { fleet } = this;
    Validations.of(fleet.taskDefinition.taskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${tableArn}/index/*]`,
      reason:
        'Ticker queries use the table\'s global secondary index; "<table ARN>/index/*" covers only the indexes of this one table.',
    });
    Validations.of(fleet.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, which pulls the image, has no resource-level permissions; every other action of the execution role names its repository, log group or parameter.',
    });
    Validations.of(fleet.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The plain environment is non-secret configuration (table name, region, intervals, limits); the ingest key and JWT secrets reach the container through ECS secrets from SSM SecureStrings.',
    });
    Validations.of(fleet.loadBalancer).acknowledge(
      {
        id: 'AwsSolutions-ELB2',
        reason:
          'The stack is region-agnostic so that synth runs offline, and ALB access logging needs the region at synth; the ALB metrics, the alarms and the server logs cover requests (docs/fleet.md).',
      },
      {
        id: 'AwsSolutions-EC23',
        reason:
          'The load balancer is the public entry point of a public API and dashboard; the tasks accept traffic from its security group only.',
      },
    );
  }
}

/** The props with every default applied and every rule checked. */
function resolveFleetSettings(props: TickerpulseFleetStackProps) {
  const fail = (message: string): never => {
    throw new Error(`TickerpulseFleetStack: ${message}`);
  };
  if (props.jwksUrl !== undefined && props.jwtSecretParameterName !== undefined) {
    fail('set one of jwtSecretParameterName or jwksUrl, not both');
  }
  if (props.jwksUrl !== undefined && URL.parse(props.jwksUrl)?.protocol !== 'https:') {
    fail(`jwksUrl must be an https URL (got ${JSON.stringify(props.jwksUrl)})`);
  }
  if (props.jwksUrl !== undefined && props.streamTokenSecretParameterName === undefined) {
    fail('jwksUrl needs streamTokenSecretParameterName: every task must verify the stream tokens of every other');
  }
  const numbers = { ...FLEET_DEFAULTS, ...definedOnly(props) };
  for (const key of [
    'cpu',
    'memoryLimitMiB',
    'minTasks',
    'maxTasks',
    'maxConnectionsPerTask',
    'pollIntervalMs',
  ] as const) {
    if (!Number.isInteger(numbers[key]) || numbers[key] < 1)
      fail(`${key} must be a positive integer (got ${numbers[key]})`);
  }
  if (numbers.minTasks > numbers.maxTasks)
    fail(`minTasks (${numbers.minTasks}) exceeds maxTasks (${numbers.maxTasks})`);
  if (!Number.isInteger(numbers.natGateways) || numbers.natGateways < 1) {
    fail(
      `natGateways must be at least 1: tasks in private subnets pull the image through it (got ${numbers.natGateways})`,
    );
  }
  // ALB idle timeouts go up to 4000 s; 2.5 × the heartbeat must fit.
  if (
    !Number.isInteger(numbers.heartbeatIntervalMs) ||
    numbers.heartbeatIntervalMs < 1000 ||
    numbers.heartbeatIntervalMs > 1_600_000
  ) {
    fail(`heartbeatIntervalMs must be an integer from 1000 to 1600000 (got ${numbers.heartbeatIntervalMs})`);
  }
  const logLevel = (props.logLevel ?? DEFAULTS.logLevel).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel))
    fail(`logLevel must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`);
  if (props.certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:/.test(props.certificateArn)) {
    fail(`certificateArn must be an ACM certificate ARN (got ${JSON.stringify(props.certificateArn)})`);
  }
  return {
    ...numbers,
    ingestApiKeyParameterName: parameterName(props.ingestApiKeyParameterName ?? DEFAULTS.ingestApiKeyParameterName),
    jwtSecretParameterName:
      props.jwksUrl === undefined
        ? parameterName(props.jwtSecretParameterName ?? DEFAULTS.jwtSecretParameterName)
        : undefined,
    streamTokenSecretParameterName:
      props.streamTokenSecretParameterName === undefined
        ? undefined
        : parameterName(props.streamTokenSecretParameterName),
    jwksUrl: props.jwksUrl,
    jwtIssuer: props.jwtIssuer,
    jwtAudience: props.jwtAudience,
    certificateArn: props.certificateArn,
    logLevel,
    logRetention: props.logRetention ?? DEFAULTS.logRetention,
  };
}

/** The numeric props that were given, so that an explicit `undefined` keeps its default. */
function definedOnly(props: TickerpulseFleetStackProps): Partial<Record<keyof typeof FLEET_DEFAULTS, number>> {
  return Object.fromEntries(
    Object.keys(FLEET_DEFAULTS)
      .map((key) => [key, props[key as keyof typeof FLEET_DEFAULTS]] as const)
      .filter(([, value]) => value !== undefined),
  );
}

export type { TickerpulseFleetStackProps };
export { FLEET_DEFAULTS, SERVER_TABLE_ACTIONS, TickerpulseFleetStack };
