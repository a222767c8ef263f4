/**
 * Assertions on the synthesized template, one group per requirement of the AWS deployment:
 * properties, not resource counts, so a test fails on what is wrong rather than on what moved.
 * Bundling is skipped (`aws:cdk:bundling-stacks: []`): esbuild is exercised by `npm run cdk:synth`,
 * and each stack here synthesizes in about a second.
 */
import { existsSync } from 'node:fs';
import { App, Duration, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import cdkNag from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../src/store/table-keys.ts';
import { BUNDLING, ESM_REQUIRE_BANNER, HANDLER_ENTRIES, PROJECT_ROOT } from '../lib/bundling.ts';
import { CUSTOM_METRICS } from '../lib/monitoring.ts';
import { TickerpulseStack } from '../lib/tickerpulse-stack.ts';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { TickerpulseStackProps } from '../lib/tickerpulse-stack.ts';

// cdk-nag is CommonJS; Node's ESM loader does not see all of its exports by name.
const { AwsSolutionsChecks } = cdkNag;

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Skipping bundling keeps each synth fast; the asset becomes a placeholder. */
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function synth(props?: TickerpulseStackProps): { stack: TickerpulseStack; template: Template } {
  const app = new App({ context: SKIP_BUNDLING });
  const stack = new TickerpulseStack(app, 'Test', props);
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = synth();

/** The logical id of a construct's CloudFormation resource, as `Ref`/`Fn::GetAtt` use it. */
function idOf(construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

const ref = (construct: IConstruct) => ({ Ref: idOf(construct) });
const resourceOf = (construct: IConstruct): unknown =>
  (template.toJSON().Resources as Record<string, unknown>)[idOf(construct)];
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [idOf(construct), 'Arn'] });

/** Every statement of the inline policies attached to a function's role. */
function statementsOf(t: Template, s: TickerpulseStack, role: IConstruct): Statement[] {
  const roleId = s.getLogicalId(role.node.defaultChild as CfnElement);
  const policies = Object.values(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
  expect(policies).not.toHaveLength(0);
  return policies.flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

const actionsOf = (statements: Statement[]): string[] =>
  statements.flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));

/** The ARN CloudFormation builds for an SSM parameter of this stack's account and region. */
const parameterArn = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ssm:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:parameter${name}`,
    ],
  ],
});

const DYNAMODB_WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:*',
];

describe('DynamoDB table', () => {
  it('has the data model keys, the byTicker index, TTL and on-demand billing (TableV2 → GlobalTable)', () => {
    const k = TABLE_KEYS;
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: k.partitionKey, AttributeType: 'S' },
        { AttributeName: k.sortKey, AttributeType: 'S' },
        { AttributeName: k.tickerIndexPartitionKey, AttributeType: 'S' },
        { AttributeName: k.tickerIndexSortKey, AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byTicker',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('has point-in-time recovery and deletion protection, and is retained on stack deletion', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        Replicas: [
          Match.objectLike({
            Region: { Ref: 'AWS::Region' },
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      }),
    });
  });
});

describe('Lambda functions', () => {
  it.each([
    ['REST', () => stack.restFunction],
    ['SSE', () => stack.streamFunction],
  ])('%s: Node 24 on arm64, 512 MB, X-Ray active, ESM bundle handler, its own log group', (_name, fn) => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Role: arnOf(fn().role ?? fn()),
      LoggingConfig: { LogGroup: ref(fn().logGroup) },
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: ref(stack.table),
          POWERTOOLS_SERVICE_NAME: 'tickerpulse',
          POWERTOOLS_METRICS_NAMESPACE: 'Tickerpulse',
          LOG_LEVEL: 'info',
          AUTH_TRUST_USER_ID_HEADER: 'false',
          AUTH_JWT_SECRET_PARAMETER: '/tickerpulse/auth-jwt-secret',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('REST: 29 s timeout, reserved concurrency 50 (429 above it), the ingest key parameter', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('REST'),
      Timeout: 29,
      ReservedConcurrentExecutions: 50,
      Environment: {
        Variables: Match.objectLike({ INGEST_API_KEY_PARAMETER: '/tickerpulse/ingest-api-key' }),
      },
    });
  });

  it('SSE: 5 min timeout, reserved concurrency 100 (its capacity), one stream per invocation', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('SSE'),
      Timeout: 300,
      ReservedConcurrentExecutions: 100,
      Environment: {
        Variables: Match.objectLike({
          POLL_INTERVAL_MS: '2000',
          HEARTBEAT_INTERVAL_MS: '15000',
          RETRY_MS: '3000',
          MAX_CONNECTIONS: '1',
          STREAM_DEADLINE_MARGIN_MS: '10000',
          // It authenticates but never ingests.
          INGEST_API_KEY_PARAMETER: Match.absent(),
        }),
      },
    });
  });

  it('carries secrets as SSM parameter names only: no secret variable, no parameter value in the template', () => {
    for (const fn of [stack.restFunction, stack.streamFunction]) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: arnOf(fn.role ?? fn),
        Environment: {
          Variables: Match.objectLike({
            INGEST_API_KEY: Match.absent(),
            AUTH_JWT_SECRET: Match.absent(),
            STREAM_TOKEN_SECRET: Match.absent(),
          }),
        },
      });
    }
    // Parameters are created out of band (cdk/README.md): a template-defined one would hold the value.
    expect(template.findResources('AWS::SSM::Parameter')).toEqual({});
    expect(template.findResources('AWS::SecretsManager::Secret')).toEqual({});
  });

  it("keeps each function's own log group for one month", () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    for (const fn of [stack.restFunction, stack.streamFunction]) {
      // Kept after a stack deletion; its events still expire after the retention period.
      expect(resourceOf(fn.logGroup)).toEqual({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });

  it('bundles the existing handler entries with local esbuild as ESM for node24, SDK external', () => {
    for (const entry of Object.values(HANDLER_ENTRIES)) expect(existsSync(`${PROJECT_ROOT}${entry}`)).toBe(true);
    expect(BUNDLING).toMatchObject({
      format: OutputFormat.ESM,
      target: 'node24',
      minify: true,
      sourceMap: true,
      externalModules: ['@aws-sdk/*'],
      mainFields: ['module', 'main'],
      forceDockerBundling: false,
    });
    expect(BUNDLING.banner).toBe(ESM_REQUIRE_BANNER);
    expect(ESM_REQUIRE_BANNER).toContain('createRequire(import.meta.url)');
  });
});

describe('Function URLs', () => {
  it('REST: buffered, public (auth NONE), no CORS unless origins are given', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      TargetFunctionArn: arnOf(stack.restFunction),
      InvokeMode: 'BUFFERED',
      AuthType: 'NONE',
      Cors: Match.absent(),
    });
  });

  it('SSE: response streaming, public (auth NONE), no CORS unless origins are given', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      TargetFunctionArn: arnOf(stack.streamFunction),
      InvokeMode: 'RESPONSE_STREAM',
      AuthType: 'NONE',
      Cors: Match.absent(),
    });
  });

  it.each([
    ['REST', () => stack.restFunction],
    ['SSE', () => stack.streamFunction],
  ])('%s: grants both lambda:InvokeFunctionUrl and lambda:InvokeFunction (new URLs need both)', (_name, fn) => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      FunctionName: arnOf(fn()),
      FunctionUrlAuthType: 'NONE',
      Principal: '*',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(fn()),
      InvokedViaFunctionUrl: true,
      Principal: '*',
    });
  });
});

describe('IAM (least privilege)', () => {
  const tableResources = [arnOf(stack.table), { 'Fn::Join': ['', [arnOf(stack.table), '/index/*']] }];

  it('SSE role: reads the table (GetItem, Query), not its index, and has no write action', () => {
    const statements = statementsOf(template, stack, stack.streamFunction.role ?? stack.streamFunction);
    const actions = actionsOf(statements);
    expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    for (const write of DYNAMODB_WRITES) expect(actions).not.toContain(write);
    expect(statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')))).toEqual([
      expect.objectContaining({ Resource: arnOf(stack.table) }),
    ]);
  });

  it('REST role: reads and writes the table and reads its index', () => {
    const statements = statementsOf(template, stack, stack.restFunction.role ?? stack.restFunction);
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query']),
    );
    expect(statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')))).toEqual([
      expect.objectContaining({ Resource: tableResources }),
    ]);
  });

  it('reads exactly the named SSM parameters: REST the ingest key and JWT secret, SSE only the JWT secret', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(stack.restFunction.role ?? stack.restFunction)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'ssm:GetParameter',
            Effect: 'Allow',
            Resource: [parameterArn('/tickerpulse/ingest-api-key'), parameterArn('/tickerpulse/auth-jwt-secret')],
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(stack.streamFunction.role ?? stack.streamFunction)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: parameterArn('/tickerpulse/auth-jwt-secret') },
        ]),
      },
    });
    const ssmActions = actionsOf(
      statementsOf(template, stack, stack.streamFunction.role ?? stack.streamFunction),
    ).filter((action) => action.startsWith('ssm:'));
    expect(ssmActions).toEqual(['ssm:GetParameter']);
  });

  it.each([
    ['REST', () => stack.restFunction],
    ['SSE', () => stack.streamFunction],
  ])('%s role: no managed policy, logs only to its own log group, X-Ray writes', (_name, fn) => {
    const role = fn().role ?? fn();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
    expect(resourceOf(role)).not.toHaveProperty('Properties.ManagedPolicyArns');
    expect(statementsOf(template, stack, role)).toEqual(
      expect.arrayContaining([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: arnOf(fn().logGroup),
        },
        { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
      ]),
    );
  });
});

describe('alarms', () => {
  it.each([
    ['REST', 'Errors', () => stack.restFunction],
    ['SSE', 'Errors', () => stack.streamFunction],
    ['REST', 'Throttles', () => stack.restFunction],
    ['SSE', 'Throttles', () => stack.streamFunction],
  ])('%s %s: any in 5 minutes', (_name, metricName, fn) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: metricName,
      Dimensions: [{ Name: 'FunctionName', Value: ref(fn()) }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('SSE concurrency: at 80% of the reserved concurrency', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'ConcurrentExecutions',
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack.streamFunction) }],
      Statistic: 'Maximum',
      Threshold: 80,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('delivery lag: custom EMF metric, p99 above 5000 ms over 5 minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Tickerpulse',
      MetricName: 'DeliveryLag',
      Dimensions: [{ Name: 'service', Value: 'tickerpulse' }],
      ExtendedStatistic: 'p99',
      Period: 300,
      Threshold: 5000,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('notifies an SNS topic on alarm and on recovery when one is given (details: limits-and-alarms.test.ts)', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:tickerpulse-alarms';
    const custom = synth({ alarmTopicArn: topicArn });
    custom.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeliveryLag',
      AlarmActions: [topicArn],
      OKActions: [topicArn],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeliveryLag',
      AlarmActions: Match.absent(),
    });
  });
});

describe('dashboard', () => {
  it('graphs both functions, SSE concurrency against its cap, and every custom stream metric', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]);
    for (const metric of ['Invocations', 'Errors', 'Duration', 'Throttles', 'ConcurrentExecutions']) {
      expect(body).toContain(`\\"AWS/Lambda\\",\\"${metric}\\"`);
    }
    for (const metric of Object.values(CUSTOM_METRICS)) {
      expect(body).toContain(`\\"Tickerpulse\\",\\"${metric}\\",\\"service\\",\\"tickerpulse\\"`);
    }
    expect(body).toContain('Reserved concurrency (cap)');
    expect(body).toContain(idOf(stack.restFunction));
    expect(body).toContain(idOf(stack.streamFunction));
  });
});

describe('outputs', () => {
  it('exports both Function URLs', () => {
    template.hasOutput('RestUrl', { Value: { 'Fn::GetAtt': [idOf(stack.restUrl), 'FunctionUrl'] } });
    template.hasOutput('StreamUrl', { Value: { 'Fn::GetAtt': [idOf(stack.streamUrl), 'FunctionUrl'] } });
  });
});

describe('stack props', () => {
  it('applies the CORS origins, stream timeout and capacity', () => {
    const custom = synth({
      corsAllowedOrigins: ['https://dashboard.example.com', 'http://localhost:5173'],
      streamTimeout: Duration.minutes(15),
      streamReservedConcurrency: 20,
    });
    // The same request and response headers and preflight lifetime as the Node servers (src/http/cors-headers.ts).
    const shared = {
      AllowOrigins: ['https://dashboard.example.com', 'http://localhost:5173'],
      AllowHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-User-ID', 'Last-Event-ID'],
      ExposeHeaders: ['Location', 'Retry-After', 'WWW-Authenticate'],
      MaxAge: 3600,
    };
    custom.template.hasResourceProperties('AWS::Lambda::Url', {
      InvokeMode: 'BUFFERED',
      Cors: { ...shared, AllowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'] },
    });
    custom.template.hasResourceProperties('AWS::Lambda::Url', {
      InvokeMode: 'RESPONSE_STREAM',
      Cors: { ...shared, AllowMethods: ['GET', 'HEAD'] },
    });
    custom.template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 900, ReservedConcurrentExecutions: 20 });
    custom.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ConcurrentExecutions',
      Threshold: 16,
    });
  });

  it('JWKS mode: the URL as plain configuration, a shared stream-token secret for both functions', () => {
    const custom = synth({
      jwksUrl: 'https://id.example.com/.well-known/jwks.json',
      jwtIssuer: 'https://id.example.com/',
      jwtAudience: 'tickerpulse',
      streamTokenSecretParameterName: '/tickerpulse/stream-token-secret',
    });
    for (const fn of [custom.stack.restFunction, custom.stack.streamFunction]) {
      const roleId = custom.stack.getLogicalId((fn.role ?? fn).node.defaultChild as CfnElement);
      custom.template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
        Environment: {
          Variables: Match.objectLike({
            AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
            AUTH_JWT_ISSUER: 'https://id.example.com/',
            AUTH_JWT_AUDIENCE: 'tickerpulse',
            AUTH_JWT_SECRET_PARAMETER: Match.absent(),
            STREAM_TOKEN_SECRET_PARAMETER: '/tickerpulse/stream-token-secret',
          }),
        },
      });
      const ssm = statementsOf(custom.template, custom.stack, fn.role ?? fn).filter(
        (statement) => statement.Action === 'ssm:GetParameter',
      );
      expect(JSON.stringify(ssm)).toContain(JSON.stringify(parameterArn('/tickerpulse/stream-token-secret')));
    }
    expect(JSON.stringify(custom.template.toJSON())).not.toContain('auth-jwt-secret');
  });

  it.each<[string, TickerpulseStackProps, RegExp]>([
    ['a stream longer than Lambda allows', { streamTimeout: Duration.minutes(16) }, /from 1 to 15 minutes/],
    ['a stream too short to outlast its deadline margin', { streamTimeout: Duration.seconds(20) }, /from 1 to 15/],
    ['both JWT secret and JWKS', { jwtSecretParameterName: '/a', jwksUrl: 'https://id.example.com/jwks' }, /not both/],
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
    ['an origin with a path', { corsAllowedOrigins: ['https://dashboard.example.com/'] }, /scheme:\/\/host/],
    ['an origin with a wildcard', { corsAllowedOrigins: ['*'] }, /scheme:\/\/host/],
    ['a wildcard parameter name', { ingestApiKeyParameterName: '/tickerpulse/*' }, /not an SSM parameter name/],
    ['an unknown log level', { logLevel: 'verbose' }, /logLevel/],
    ['no stream capacity', { streamReservedConcurrency: 0 }, /positive integer/],
  ])('refuses %s', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('leaves no unacknowledged finding, error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((violation) => `${violation.ruleName} (${violation.severity})`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives a written reason for every acknowledgement, each for one exact finding', () => {
    const acknowledged: Record<string, string> = {};
    for (const construct of stack.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          Object.assign(acknowledged, entry.data as Record<string, string>);
        }
      }
    }
    const ids = Object.keys(acknowledged).map((id) => id.replace(/^annotation::/i, ''));
    expect(ids.sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::<${idOf(stack.table)}.Arn>/index/*]`,
    ]);
    for (const reason of Object.values(acknowledged)) expect(reason.length).toBeGreaterThan(40);
  });

  it('still fails on a wildcard that is not acknowledged', () => {
    const { stack: widened } = synth();
    widened.streamFunction.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));
    const rules = new AwsSolutionsChecks().validateScope(widened).violations.map((violation) => violation.ruleName);
    expect(rules).toContain('AwsSolutions-IAM5[Action::dynamodb:*]');
  });

  it('runs as a synth-time validation plugin, as in cdk/bin/app.ts, without failing the synth', () => {
    const app = new App({ context: SKIP_BUNDLING });
    new TickerpulseStack(app, 'Nagged');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
