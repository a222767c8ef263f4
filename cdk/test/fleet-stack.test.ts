/**
 * The Fargate variant (`-c streaming=fargate`): assertions on the synthesized template, one group
 * per requirement, like stack.test.ts for the Lambda variant. The image asset is staged (the build
 * context, filtered by .dockerignore) but never built: no container runtime is needed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import cdkNag from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { imageSpec } from '../../scripts/lib/dockerfile.ts';
import { PROMETHEUS_METRIC_NAMES } from '../../src/observability/metric-names.ts';
import { collectorConfig, FLEET_METRICS_NAMESPACE } from '../lib/fleet-metrics.ts';
import { FLEET_ALARMS } from '../lib/fleet-monitoring.ts';
import { DRAIN, idleTimeoutFor } from '../lib/fleet-service.ts';
import { FLEET_DEFAULTS, SERVER_TABLE_ACTIONS, TickerpulseFleetStack } from '../lib/fleet-stack.ts';
import { TickerpulseStack } from '../lib/tickerpulse-stack.ts';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { TickerpulseFleetStackProps } from '../lib/fleet-stack.ts';

// cdk-nag is CommonJS; Node's ESM loader does not see all of its exports by name.
const { AwsSolutionsChecks } = cdkNag;

const root = resolve(import.meta.dirname, '../..');
const image = imageSpec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function synth(props?: TickerpulseFleetStackProps) {
  const outdir = mkdtempSync(join(tmpdir(), 'fleet-synth-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new TickerpulseFleetStack(app, 'Tickerpulse', props);
  return { app, stack, template: Template.fromStack(stack) };
}

const { app, stack, template } = synth();
const idOf = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const ref = (construct: IConstruct) => ({ Ref: idOf(construct) });

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
function statementsOf(role: IConstruct): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(role)] } }));
  return policies.flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}
const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

/** The server container of the task definition. */
function serverContainer(t: Template = template): Record<string, unknown> {
  const [task] = Object.values(t.findResources('AWS::ECS::TaskDefinition')) as {
    Properties: { ContainerDefinitions: Record<string, unknown>[] };
  }[];
  const server = task?.Properties.ContainerDefinitions.find((container) => container.Name === 'Server');
  expect(server).toBeDefined();
  return server ?? {};
}
const envOf = (container: Record<string, unknown>) =>
  Object.fromEntries((container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));

describe('table', () => {
  it('is the Lambda variant’s table, with the same logical id: switching variants keeps the data', () => {
    const lambda = Template.fromStack(
      new TickerpulseStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Tickerpulse'),
    );
    expect(template.findResources('AWS::DynamoDB::GlobalTable')).toEqual(
      lambda.findResources('AWS::DynamoDB::GlobalTable'),
    );
    expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toEqual([]);
  });
});

describe('image', () => {
  it('is built by CDK from the repository Dockerfile for arm64, from a build context of only what the image copies', () => {
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'Tickerpulse.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]?.source).toMatchObject({ dockerFile: 'Dockerfile', platform: 'linux/arm64' });
    const staged = readdirSync(join(assembly.directory, images[0]?.source.directory ?? '')).sort();
    expect(staged).toEqual(['.dockerignore', 'Dockerfile', 'generated', 'package-lock.json', 'package.json', 'src']);
  });

  it('runs the server on the Dockerfile’s port, with its HEALTHCHECK (which ECS would otherwise ignore)', () => {
    const server = serverContainer();
    expect(server.PortMappings).toEqual([{ ContainerPort: Number(image.env.PORT), Protocol: 'tcp' }]);
    expect(server.HealthCheck).toEqual({
      Command: ['CMD', ...(image.healthCheck?.command ?? [])],
      Interval: image.healthCheck?.intervalS,
      Timeout: image.healthCheck?.timeoutS,
      StartPeriod: image.healthCheck?.startPeriodS,
      Retries: image.healthCheck?.retries,
    });
    expect(server).toMatchObject({ Essential: true, ReadonlyRootFilesystem: true });
  });
});

describe('task', () => {
  it('is Fargate on Graviton, 0.5 vCPU and 1 GiB by default', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '1024',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
  });

  it('configures the server by environment: table, region, intervals, capacity; no CREATE_TABLE, no secret', () => {
    const env = envOf(serverContainer());
    expect(env).toEqual({
      TABLE_NAME: ref(stack.table),
      AWS_REGION: { Ref: 'AWS::Region' },
      LOG_LEVEL: 'info',
      POLL_INTERVAL_MS: '1000',
      HEARTBEAT_INTERVAL_MS: '30000',
      MAX_CONNECTIONS: '5000',
      AUTH_TRUST_USER_ID_HEADER: 'false',
    });
  });

  it('passes the CORS origins it is given to every task, and none by default', () => {
    expect(envOf(serverContainer())).not.toHaveProperty('CORS_ALLOWED_ORIGINS');
    const custom = synth({ corsAllowedOrigins: ['https://app.example.com', 'http://localhost:5173'] });
    expect(envOf(serverContainer(custom.template))).toMatchObject({
      CORS_ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:5173',
    });
  });

  it('injects the secrets from SSM SecureStrings by name; the template holds no value', () => {
    const secrets = serverContainer().Secrets as { Name: string; ValueFrom: unknown }[];
    expect(secrets.map((secret) => secret.Name)).toEqual(['INGEST_API_KEY', 'AUTH_JWT_SECRET']);
    expect(JSON.stringify(secrets)).toContain(':parameter/tickerpulse/ingest-api-key');
    expect(JSON.stringify(secrets)).toContain(':parameter/tickerpulse/auth-jwt-secret');
    expect(template.findResources('AWS::SSM::Parameter')).toEqual({});
  });

  it('drains: SIGTERM, then SIGKILL only after twice the server’s own shutdown bound', () => {
    expect(serverContainer().StopTimeout).toBe(DRAIN.stopTimeout.toSeconds());
    expect(DRAIN.stopTimeout.toSeconds()).toBeGreaterThanOrEqual(2 * DRAIN.serverShutdown.toSeconds());
    expect(image.stopSignal).toBe('SIGTERM');
  });

  it('logs to its own log group, kept one month, without ever blocking the event loop', () => {
    expect(serverContainer().LogConfiguration).toMatchObject({
      LogDriver: 'awslogs',
      Options: { 'awslogs-group': ref(stack.fleet.logGroup), mode: 'non-blocking' },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('service and load balancer', () => {
  it('runs in private subnets, replaces tasks before stopping old ones, rolls back failed deployments', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('keeps streams open: the ALB idle timeout is more than two heartbeats (75 s for 30 s)', () => {
    expect(idleTimeoutFor(FLEET_DEFAULTS.heartbeatIntervalMs).toSeconds()).toBe(75);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'idle_timeout.timeout_seconds', Value: '75' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
      ]),
    });
    const fast = synth({ heartbeatIntervalMs: 15_000 });
    fast.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '38' }]),
    });
    expect(envOf(serverContainer(fast.template)).HEARTBEAT_INTERVAL_MS).toBe('15000');
  });

  it('checks /health, balances open streams (least outstanding requests), drains in 10 s', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: Number(image.env.PORT),
      TargetType: 'ip',
      HealthCheckPath: '/health',
      Matcher: { HttpCode: '200' },
      HealthCheckIntervalSeconds: 10,
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: String(DRAIN.deregistrationDelay.toSeconds()) },
        { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' },
      ]),
    });
    expect(DRAIN.deregistrationDelay.toSeconds()).toBeGreaterThanOrEqual(DRAIN.serverShutdown.toSeconds());
    expect(DRAIN.deregistrationDelay.toSeconds()).toBeLessThanOrEqual(10);
  });

  it('listens on HTTP 80 without a certificate, HTTPS 443 (80 redirected) with one', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
    const https = synth({ certificateArn: arn }).template;
    https.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: arn }],
    });
    https.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443' }) })],
    });
    https.hasOutput('ServiceUrl', { Value: { 'Fn::Join': ['', ['https://', Match.anyValue()]] } });
  });

  it('hides /metrics from the internet (the collector reads it over the task’s loopback)', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/metrics', '/metrics/*'] } }],
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '404' }) }],
    });
  });

  it('sends DynamoDB traffic through a gateway endpoint and logs rejected VPC traffic', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
    });
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
  });

  it('outputs the service URL', () => {
    template.hasOutput('ServiceUrl', {
      Value: { 'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [idOf(stack.fleet.loadBalancer), 'DNSName'] }]] },
    });
  });
});

describe('autoscaling', () => {
  it('tracks CPU at 60% and open streams per task at 60% of MAX_CONNECTIONS, between 2 and 10 tasks', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        CustomizedMetricSpecification: {
          Namespace: FLEET_METRICS_NAMESPACE,
          MetricName: PROMETHEUS_METRIC_NAMES.connections,
          Dimensions: [{ Name: 'fleet', Value: 'Tickerpulse' }],
          Statistic: 'Average',
        },
        TargetValue: 3000,
        ScaleInCooldown: 600,
      }),
    });
  });

  it('publishes exactly those gauges: the collector scrapes the server over loopback and sums the stream label', () => {
    const config = JSON.parse(collectorConfig(3000, 'Tickerpulse', 'group')) as {
      receivers: { prometheus: { config: { scrape_configs: { static_configs: { targets: string[] }[] }[] } } };
      exporters: { awsemf: { namespace: string; metric_declarations: { metric_name_selectors: string[] }[] } };
    };
    expect(config.receivers.prometheus.config.scrape_configs[0]?.static_configs[0]?.targets).toEqual([
      '127.0.0.1:3000',
    ]);
    expect(config.exporters.awsemf.namespace).toBe(FLEET_METRICS_NAMESPACE);
    const selectors = (config.exporters.awsemf.metric_declarations[0]?.metric_name_selectors ?? []).map(
      (s) => new RegExp(s),
    );
    const published = Object.values(PROMETHEUS_METRIC_NAMES).filter((name) => selectors.some((s) => s.test(name)));
    expect(published.sort()).toEqual([PROMETHEUS_METRIC_NAMES.connections, PROMETHEUS_METRIC_NAMES.feedLag].sort());
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'MetricsCollector', Essential: false })]),
    });
  });
});

describe('IAM (least privilege)', () => {
  it('task role: only the table actions the server uses, on the table and its index; no CreateTable', () => {
    const statements = statementsOf(stack.fleet.taskDefinition.taskRole);
    const dynamodb = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
    expect(dynamodb).toEqual([
      {
        Action: [...SERVER_TABLE_ACTIONS],
        Effect: 'Allow',
        Resource: [
          { 'Fn::GetAtt': [idOf(stack.table), 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [idOf(stack.table), 'Arn'] }, '/index/*']] },
        ],
      },
    ]);
    expect(actionsOf(statements)).not.toContain('dynamodb:CreateTable');
    expect(actionsOf(statements).filter((a) => !a.startsWith('dynamodb:'))).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('execution role: reads exactly the named parameters', () => {
    const ssm = statementsOf(stack.fleet.taskDefinition.obtainExecutionRole()).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('ssm:')),
    );
    expect(JSON.stringify(ssm.map((s) => s.Resource))).toMatch(/ingest-api-key.*auth-jwt-secret/);
    expect(ssm).toHaveLength(2);
  });

  it('JWKS mode: the URL as configuration, a shared stream-token secret, no JWT secret', () => {
    const custom = synth({
      jwksUrl: 'https://id.example.com/.well-known/jwks.json',
      streamTokenSecretParameterName: '/tickerpulse/stream-token-secret',
    });
    const server = serverContainer(custom.template);
    expect(envOf(server).AUTH_JWKS_URL).toBe('https://id.example.com/.well-known/jwks.json');
    expect((server.Secrets as { Name: string }[]).map((s) => s.Name)).toEqual([
      'INGEST_API_KEY',
      'STREAM_TOKEN_SECRET',
    ]);
  });
});

describe('alarms', () => {
  it.each([
    ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', FLEET_ALARMS.http5xxPer5Min],
    ['AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', FLEET_ALARMS.http5xxPer5Min],
    ['AWS/ApplicationELB', 'UnHealthyHostCount', 1],
    ['AWS/ApplicationELB', 'HealthyHostCount', 1],
    ['AWS/ApplicationELB', 'TargetResponseTime', FLEET_ALARMS.responseTimeP99S],
    ['AWS/ECS', 'CPUUtilization', FLEET_ALARMS.cpuPercent],
    ['AWS/ECS', 'MemoryUtilization', FLEET_ALARMS.memoryPercent],
    ['ECS/ContainerInsights', 'RunningTaskCount', 10],
    [FLEET_METRICS_NAMESPACE, PROMETHEUS_METRIC_NAMES.connections, 4000],
    [FLEET_METRICS_NAMESPACE, PROMETHEUS_METRIC_NAMES.feedLag, 5],
  ])('%s %s at %d', (namespace, metricName, threshold) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: namespace,
      MetricName: metricName,
      Threshold: threshold,
      TreatMissingData: 'notBreaching',
    });
  });

  it('notifies an SNS topic on alarm and on recovery when one is given', () => {
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:tickerpulse-alarms';
    const alarms = Object.values(synth({ alarmTopicArn: topicArn }).template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(10);
    for (const alarm of alarms)
      expect(alarm).toMatchObject({ Properties: { AlarmActions: [topicArn], OKActions: [topicArn] } });
  });
});

describe('stack props', () => {
  it.each<[string, TickerpulseFleetStackProps, RegExp]>([
    ['more minimum than maximum tasks', { minTasks: 5, maxTasks: 4 }, /exceeds maxTasks/],
    ['no task', { maxTasks: 0 }, /positive integer/],
    ['a fractional capacity', { maxConnectionsPerTask: 10.5 }, /positive integer/],
    ['a heartbeat too short', { heartbeatIntervalMs: 500 }, /heartbeatIntervalMs/],
    ['no NAT gateway', { natGateways: 0 }, /natGateways/],
    [
      'JWKS without a stream-token secret',
      { jwksUrl: 'https://id.example.com/jwks' },
      /streamTokenSecretParameterName/,
    ],
    [
      'a JWKS URL without TLS',
      { jwksUrl: 'http://id.example.com/jwks', streamTokenSecretParameterName: '/s' },
      /https/,
    ],
    ['both JWT secret and JWKS', { jwtSecretParameterName: '/a', jwksUrl: 'https://id.example.com/jwks' }, /not both/],
    ['a certificate that is not ACM', { certificateArn: 'arn:aws:iam::1:server-certificate/x' }, /ACM/],
    ['a wildcard parameter name', { ingestApiKeyParameterName: '/tickerpulse/*' }, /not an SSM parameter name/],
    ['an unknown log level', { logLevel: 'verbose' }, /logLevel/],
  ])('refuses %s', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('leaves no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} (${v.severity})`)).toEqual([]);
  });

  it('gives a written reason for every acknowledgement, each for one exact finding', () => {
    const acknowledged: Record<string, string> = {};
    for (const construct of stack.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) Object.assign(acknowledged, entry.data);
      }
    }
    // CDK acknowledges a few CloudFormation-Validate rules of its own; ours are the AwsSolutions ones.
    const ours = Object.entries(acknowledged)
      .map(([id, reason]) => [id.replace(/^annotation::/i, ''), reason] as const)
      .filter(([id]) => id.startsWith('AwsSolutions-'));
    expect(ours.map(([id]) => id).sort()).toEqual([
      'AwsSolutions-EC23',
      'AwsSolutions-ECS2',
      'AwsSolutions-ELB2',
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::<${idOf(stack.table)}.Arn>/index/*]`,
    ]);
    for (const [, reason] of ours) expect(reason.length).toBeGreaterThan(40);
  });

  it('still fails on a wildcard that is not acknowledged', () => {
    const { stack: widened } = synth();
    widened.fleet.taskDefinition.taskRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }),
    );
    const rules = new AwsSolutionsChecks().validateScope(widened).violations.map((v) => v.ruleName);
    expect(rules).toContain('AwsSolutions-IAM5[Action::dynamodb:*]');
  });
});

describe('cdk/bin/app.ts', () => {
  /** Runs the CDK app as the CLI does (context in CDK_CONTEXT_JSON, output in CDK_OUTDIR). */
  function runApp(context: Record<string, string>) {
    const outdir = mkdtempSync(join(tmpdir(), 'fleet-app-'));
    outdirs.push(outdir);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'cdk/bin/app.ts'], {
      cwd: root,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
      encoding: 'utf8',
      // One synth takes about 12 s alone, several times that beside the other cdk test files.
      timeout: 110_000,
    });
    return { ...run, outdir };
  }

  it('-c streaming=fargate synthesizes the fleet, cdk-nag clean', () => {
    const run = runApp({ streaming: 'fargate' });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const synthesized = JSON.parse(readFileSync(join(run.outdir, 'Tickerpulse.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    expect(Object.values(synthesized.Resources).map((r) => r.Type)).toContain('AWS::ECS::Service');
  }, 120_000);

  it('refuses an unknown streaming variant', () => {
    const run = runApp({ streaming: 'kubernetes' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('context streaming must be lambda or fargate (got "kubernetes")');
  }, 120_000);
});
