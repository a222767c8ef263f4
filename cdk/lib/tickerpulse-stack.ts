/**
 * The AWS deployment of tickerpulse: one DynamoDB table, a buffered REST function and a
 * response-streaming SSE function, each behind its own Function URL, with alarms and a dashboard.
 *
 * The stack is env-agnostic (no account or region) so `cdk synth` runs offline, and every setting
 * arrives through {@link TickerpulseStackProps}: nothing here reads `process.env`.
 */
import { ArnFormat, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, FunctionUrlAuthType, HttpMethod, InvokeMode, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { BUNDLING, HANDLER_ENTRIES, PROJECT_ROOT } from './bundling.ts';
import { METRICS_NAMESPACE, SERVICE_NAME, TickerpulseMonitoring } from './monitoring.ts';
import { createTable } from './table.ts';
import type { CfnElement, StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { FunctionUrl, FunctionUrlCorsOptions } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/** The `LOG_LEVEL` values `src/config.ts` accepts; a typo would stop every cold start. */
const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Lambda's hard ceiling for one invocation, and so for one SSE stream. */
const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);

/** The shortest SSE function timeout accepted. */
const MIN_STREAM_TIMEOUT = Duration.minutes(1);

/** Defaults of {@link TickerpulseStackProps}, one place for the code and the docs. */
const DEFAULTS = Object.freeze({
  dashboardOrigin: 'http://localhost:3000',
  ingestApiKeyParameterName: '/tickerpulse/ingest-api-key',
  jwtSecretParameterName: '/tickerpulse/auth-jwt-secret',
  // Short streams bound what a vanished client costs (Lambda sees no disconnect and bills the
  // full duration); clients resume by cursor, so a reconnect every few minutes loses nothing.
  streamTimeout: Duration.minutes(5),
  streamReservedConcurrency: 100,
  logLevel: 'info',
  logRetention: RetentionDays.ONE_MONTH,
  deliveryLagThresholdMs: 5000,
} as const);

/** Settings of {@link TickerpulseStack}; every one has a default. */
interface TickerpulseStackProps extends StackProps {
  /** Browser origin of the dashboard, allowed by both URLs' CORS. Default `http://localhost:3000`. */
  readonly dashboardOrigin?: string;
  /**
   * Name of the SSM SecureString holding the ingest API key (≥ 16 characters), created out of
   * band. Default `/tickerpulse/ingest-api-key`.
   */
  readonly ingestApiKeyParameterName?: string;
  /**
   * Name of the SSM SecureString holding the HS256 JWT secret (≥ 32 characters), created out of
   * band. Default `/tickerpulse/auth-jwt-secret` unless {@link jwksUrl} is set; set one, not both.
   */
  readonly jwtSecretParameterName?: string;
  /** https URL of the JWKS that verifies user JWTs, instead of a shared secret. A URL is not secret. */
  readonly jwksUrl?: string;
  /** Required `iss` claim of user JWTs. Default: not checked. */
  readonly jwtIssuer?: string;
  /** Required `aud` claim of user JWTs. Default: not checked. */
  readonly jwtAudience?: string;
  /**
   * Name of the SSM SecureString holding the secret that signs stream tokens (≥ 32 characters).
   * Default: none, and the handlers sign with the JWT secret. Required with {@link jwksUrl}:
   * the REST function issues the tokens and the SSE function verifies them, so both need the
   * same secret, and without one each instance would invent its own.
   */
  readonly streamTokenSecretParameterName?: string;
  /**
   * Timeout of the SSE function, so the longest one stream lasts before the client reconnects
   * (1 to 15 minutes). Default 5 minutes.
   */
  readonly streamTimeout?: Duration;
  /** Reserved concurrency of the SSE function: the most streams open at once. Default 100. */
  readonly streamReservedConcurrency?: number;
  /** `LOG_LEVEL` of both functions: debug, info, warn, error or silent. Default `info`. */
  readonly logLevel?: string;
  /** Retention of both functions' log groups. Default one month. */
  readonly logRetention?: RetentionDays;
  /** p99 delivery lag above which the lag alarm fires, in ms. Default 5000. */
  readonly deliveryLagThresholdMs?: number;
  /** ARN of an SNS topic that receives alarm and OK notifications. Default: none. */
  readonly alarmTopicArn?: string;
}

/** The table, both functions, their URLs, alarms, dashboard and the `RestUrl`/`StreamUrl` outputs. */
class TickerpulseStack extends Stack {
  /** The single DynamoDB table (keys from `src/store/table.ts`). */
  readonly table: TableV2;
  /** The buffered REST function (read/write on the table). */
  readonly restFunction: NodejsFunction;
  /** The response-streaming SSE function (read-only on the table). */
  readonly streamFunction: NodejsFunction;
  /** Function URL of the REST API (`BUFFERED`). */
  readonly restUrl: FunctionUrl;
  /** Function URL of the event streams (`RESPONSE_STREAM`). */
  readonly streamUrl: FunctionUrl;
  /** Alarms and dashboard. */
  readonly monitoring: TickerpulseMonitoring;

  constructor(scope: Construct, id: string, props: TickerpulseStackProps = {}) {
    super(scope, id, props);
    const settings = resolveSettings(props);

    this.table = createTable(this);

    // Read by the handlers through `POWERTOOLS_*`, `LOG_LEVEL` and `src/config.ts` names. Secrets
    // travel as SSM parameter *names*: the values never enter the template or the console.
    const common: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      LOG_LEVEL: settings.logLevel,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // Nothing in front of a Function URL sets X-User-ID, so trusting it would let anyone be anyone.
      AUTH_TRUST_USER_ID_HEADER: 'false',
      // Simulated market data is a local demo; in AWS only the ingest endpoint writes items.
      SIMULATE: 'false',
      // Stack traces point into the minified bundle without the emitted source maps.
      NODE_OPTIONS: '--enable-source-maps',
      ...optional('AUTH_JWT_SECRET_PARAMETER', settings.jwtSecretParameterName),
      ...optional('AUTH_JWKS_URL', settings.jwksUrl),
      ...optional('AUTH_JWT_ISSUER', settings.jwtIssuer),
      ...optional('AUTH_JWT_AUDIENCE', settings.jwtAudience),
      ...optional('STREAM_TOKEN_SECRET_PARAMETER', settings.streamTokenSecretParameterName),
    };
    const authParameters = [settings.jwtSecretParameterName, settings.streamTokenSecretParameterName].filter(
      (name) => name !== undefined,
    );

    const restLogs = new LogGroup(this, 'RestLogs', { retention: settings.logRetention });
    this.restFunction = new NodejsFunction(this, 'RestFunction', {
      ...functionBase(HANDLER_ENTRIES.rest),
      description: 'tickerpulse REST API (Function URL, buffered)',
      role: executionRole(this, 'RestRole', restLogs),
      logGroup: restLogs,
      // API Gateway's integration limit, so the function could move behind it unchanged; no REST
      // operation should come near it.
      timeout: Duration.seconds(29),
      environment: { ...common, INGEST_API_KEY_PARAMETER: settings.ingestApiKeyParameterName },
    });

    const streamLogs = new LogGroup(this, 'StreamLogs', { retention: settings.logRetention });
    this.streamFunction = new NodejsFunction(this, 'StreamFunction', {
      ...functionBase(HANDLER_ENTRIES.stream),
      description: 'tickerpulse SSE streams (Function URL, response streaming)',
      role: executionRole(this, 'StreamRole', streamLogs),
      logGroup: streamLogs,
      timeout: settings.streamTimeout,
      // Each open stream holds one execution: this is the stream capacity, and it keeps SSE from
      // starving the REST function of the account's concurrency.
      reservedConcurrentExecutions: settings.streamReservedConcurrency,
      environment: {
        ...common,
        POLL_INTERVAL_MS: '2000',
        // CloudFront and most proxies drop a connection idle for 30 s.
        HEARTBEAT_INTERVAL_MS: '15000',
        RETRY_MS: '3000',
        // One invocation serves one stream; a second connection is a second invocation.
        MAX_CONNECTIONS: '1',
        // End with `event: reconnect` before Lambda kills the stream mid-write at the timeout.
        STREAM_DEADLINE_MARGIN_MS: '10000',
      },
    });

    this.table.grantReadWriteData(this.restFunction);
    this.table.grantReadData(this.streamFunction);
    grantParameters(this, this.restFunction, [settings.ingestApiKeyParameterName, ...authParameters]);
    // The SSE function authenticates but never ingests, so it cannot read the ingest key.
    grantParameters(this, this.streamFunction, authParameters);

    this.restUrl = this.restFunction.addFunctionUrl({
      // Public by design: the application authenticates (JWT, stream token, ingest key); IAM auth
      // would need SigV4, which neither a browser fetch nor EventSource can send.
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
      cors: cors(settings.dashboardOrigin, {
        allowedMethods: [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE],
        allowedHeaders: ['Content-Type', 'Authorization', 'X-User-ID', 'X-API-Key'],
        exposedHeaders: ['Location', 'Retry-After'],
      }),
    });
    this.streamUrl = this.streamFunction.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.RESPONSE_STREAM,
      cors: cors(settings.dashboardOrigin, {
        allowedMethods: [HttpMethod.GET],
        allowedHeaders: ['Last-Event-ID', 'Authorization', 'X-User-ID'],
        exposedHeaders: ['Retry-After'],
      }),
    });

    this.monitoring = new TickerpulseMonitoring(this, 'Monitoring', {
      restFunction: this.restFunction,
      streamFunction: this.streamFunction,
      streamReservedConcurrency: settings.streamReservedConcurrency,
      deliveryLagThresholdMs: settings.deliveryLagThresholdMs,
      alarmTopic:
        props.alarmTopicArn === undefined ? undefined : Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn),
    });

    new CfnOutput(this, 'RestUrl', { value: this.restUrl.url, description: 'REST API base URL' });
    new CfnOutput(this, 'StreamUrl', { value: this.streamUrl.url, description: 'SSE streams base URL' });

    this.acknowledgeNagFindings();
  }

  /**
   * Acknowledges the cdk-nag AwsSolutions findings that are the design, not an oversight, each
   * with its reason. cdk-nag 3 acknowledges one exact finding id at a time, so a new wildcard
   * elsewhere in a role still fails the check.
   */
  private acknowledgeNagFindings(): void {
    const tableLogicalId = this.getLogicalId(this.table.node.defaultChild as CfnElement);
    for (const fn of [this.restFunction, this.streamFunction]) {
      if (fn.role === undefined) continue;
      Validations.of(fn.role).acknowledge(
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions; active tracing needs Resource "*".',
        },
        {
          id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
          reason:
            'Ticker queries use the table\'s global secondary index; "<table ARN>/index/*" covers only the indexes of this one table.',
        },
      );
    }
  }
}

/** The props with every default applied and every rule checked. */
function resolveSettings(props: TickerpulseStackProps) {
  if (props.jwksUrl !== undefined && props.jwtSecretParameterName !== undefined) {
    throw new Error('TickerpulseStack: set one of jwtSecretParameterName or jwksUrl, not both');
  }
  if (props.jwksUrl !== undefined && props.streamTokenSecretParameterName === undefined) {
    throw new Error(
      'TickerpulseStack: jwksUrl needs streamTokenSecretParameterName, the secret shared by the function that issues stream tokens and the one that verifies them',
    );
  }
  const streamTimeout = props.streamTimeout ?? DEFAULTS.streamTimeout;
  // Below a minute, the 10 s deadline margin and reconnects would take most of each stream.
  if (
    streamTimeout.toSeconds() < MIN_STREAM_TIMEOUT.toSeconds() ||
    streamTimeout.toSeconds() > MAX_LAMBDA_TIMEOUT.toSeconds()
  ) {
    throw new Error(
      `TickerpulseStack: streamTimeout must be from 1 to 15 minutes (got ${streamTimeout.toHumanString()})`,
    );
  }
  const streamReservedConcurrency = props.streamReservedConcurrency ?? DEFAULTS.streamReservedConcurrency;
  if (!Number.isInteger(streamReservedConcurrency) || streamReservedConcurrency < 1) {
    throw new Error(
      `TickerpulseStack: streamReservedConcurrency must be a positive integer (got ${streamReservedConcurrency})`,
    );
  }
  const dashboardOrigin = props.dashboardOrigin ?? DEFAULTS.dashboardOrigin;
  // Browsers compare the Origin header verbatim: a trailing slash or a path would never match.
  if (URL.parse(dashboardOrigin)?.origin !== dashboardOrigin) {
    throw new Error(
      `TickerpulseStack: dashboardOrigin must be scheme://host[:port] (got ${JSON.stringify(dashboardOrigin)})`,
    );
  }
  // Whoever controls the key set can sign tokens as any user, so it travels over TLS.
  if (props.jwksUrl !== undefined && URL.parse(props.jwksUrl)?.protocol !== 'https:') {
    throw new Error(`TickerpulseStack: jwksUrl must be an https URL (got ${JSON.stringify(props.jwksUrl)})`);
  }
  const logLevel = (props.logLevel ?? DEFAULTS.logLevel).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(
      `TickerpulseStack: logLevel must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`,
    );
  }
  return {
    dashboardOrigin,
    ingestApiKeyParameterName: parameterName(props.ingestApiKeyParameterName ?? DEFAULTS.ingestApiKeyParameterName),
    jwtSecretParameterName:
      props.jwksUrl === undefined
        ? parameterName(props.jwtSecretParameterName ?? DEFAULTS.jwtSecretParameterName)
        : undefined,
    jwksUrl: props.jwksUrl,
    jwtIssuer: props.jwtIssuer,
    jwtAudience: props.jwtAudience,
    streamTokenSecretParameterName:
      props.streamTokenSecretParameterName === undefined
        ? undefined
        : parameterName(props.streamTokenSecretParameterName),
    streamTimeout,
    streamReservedConcurrency,
    logLevel,
    logRetention: props.logRetention ?? DEFAULTS.logRetention,
    deliveryLagThresholdMs: props.deliveryLagThresholdMs ?? DEFAULTS.deliveryLagThresholdMs,
  };
}

// A wildcard or a stray character in a name would widen or break the exact-ARN grant.
function parameterName(name: string): string {
  if (!/^\/?[A-Za-z0-9_.\-/]+$/.test(name) || name.includes('//')) {
    throw new Error(`TickerpulseStack: ${JSON.stringify(name)} is not an SSM parameter name`);
  }
  return name;
}

/** `{ [name]: value }`, or nothing when the value is unset. */
function optional(name: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: value };
}

/** What both functions share: runtime, architecture, memory, tracing and bundling. */
function functionBase(entry: string) {
  return {
    entry: `${PROJECT_ROOT}${entry}`,
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
    // Pinned rather than NODEJS_LATEST, which has lagged behind new runtimes.
    runtime: Runtime.NODEJS_24_X,
    // Graviton: cheaper per GB-second, and nothing here is architecture-specific.
    architecture: Architecture.ARM_64,
    memorySize: 512,
    tracing: Tracing.ACTIVE,
    bundling: BUNDLING,
  };
}

/**
 * An execution role that may write only to the function's own log group, instead of the
 * AWSLambdaBasicExecutionRole managed policy (create log groups and write to any of them).
 */
function executionRole(scope: Construct, id: string, logGroup: LogGroup): Role {
  const role = new Role(scope, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  return role;
}

/**
 * `ssm:GetParameter` on exactly these parameters. SecureStrings under the AWS-managed `aws/ssm`
 * key need no `kms:Decrypt` grant: that key's policy lets SSM decrypt for any principal of the
 * account that may read the parameter. A customer-managed key would need a grant here.
 */
function grantParameters(stack: Stack, fn: NodejsFunction, names: readonly string[]): void {
  if (names.length === 0) return;
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: ['ssm:GetParameter'],
      resources: names.map((name) =>
        stack.formatArn({
          service: 'ssm',
          resource: 'parameter',
          // Hierarchical names start with "/", which the ARN already has after "parameter".
          resourceName: name.replace(/^\//, ''),
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      ),
    }),
  );
}

/** CORS for the dashboard origin; preflights are cached for an hour. */
function cors(
  origin: string,
  options: Pick<FunctionUrlCorsOptions, 'allowedMethods' | 'allowedHeaders' | 'exposedHeaders'>,
): FunctionUrlCorsOptions {
  return { allowedOrigins: [origin], maxAge: Duration.hours(1), ...options };
}

export type { TickerpulseStackProps };
export { DEFAULTS, LOG_LEVELS, parameterName, TickerpulseStack };
