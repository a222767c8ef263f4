/**
 * The AWS deployment of tickerpulse: one DynamoDB table, a buffered REST function and a
 * response-streaming SSE function, each behind its own Function URL, with alarms and a dashboard.
 *
 * The stack is env-agnostic (no account or region) so `cdk synth` runs offline, and every setting
 * arrives through {@link TickerpulseStackProps}: nothing here reads `process.env`.
 */
import { CORS_EXPOSED_HEADERS, CORS_MAX_AGE_S, CORS_REQUEST_HEADERS } from '../../src/http/cors-headers.ts';
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Architecture, FunctionUrlAuthType, HttpMethod, InvokeMode, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { BUNDLING, HANDLER_ENTRIES, PROJECT_ROOT } from './bundling.ts';
import { METRICS_NAMESPACE, SERVICE_NAME, TickerpulseMonitoring } from './monitoring.ts';
import { executionRole, grantParameters, grantTable, REST_TABLE_ACTIONS, STREAM_TABLE_ACTIONS } from './permissions.ts';
import { resolveSettings } from './stack-settings.ts';
import { createTable } from './table.ts';
import type { CfnElement } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { FunctionUrl, FunctionUrlCorsOptions } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { TickerpulseStackProps } from './stack-settings.ts';

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
      POWERTOOLS_PARAMETERS_MAX_AGE: String(settings.secretsMaxAge.toSeconds()),
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
    const restRole = executionRole(this, 'RestRole', restLogs);
    this.restFunction = new NodejsFunction(this, 'RestFunction', {
      ...functionBase(HANDLER_ENTRIES.rest),
      description: 'tickerpulse REST API (Function URL, buffered)',
      role: restRole,
      logGroup: restLogs,
      // API Gateway's integration limit, so the function could move behind it unchanged; no REST
      // operation should come near it.
      timeout: Duration.seconds(29),
      // The URL is public: this bounds what a flood can cost, and keeps the REST function from
      // starving the SSE function (and the account) of concurrency. Above it: 429.
      reservedConcurrentExecutions: settings.restReservedConcurrency,
      environment: { ...common, INGEST_API_KEY_PARAMETER: settings.ingestApiKeyParameterName },
    });

    const streamLogs = new LogGroup(this, 'StreamLogs', { retention: settings.logRetention });
    const streamRole = executionRole(this, 'StreamRole', streamLogs);
    this.streamFunction = new NodejsFunction(this, 'StreamFunction', {
      ...functionBase(HANDLER_ENTRIES.stream),
      description: 'tickerpulse SSE streams (Function URL, response streaming)',
      role: streamRole,
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

    // Exactly the calls each function's code makes (permissions.ts); only the REST listing reads the index.
    grantTable(restRole, this.table, REST_TABLE_ACTIONS, { index: true });
    grantTable(streamRole, this.table, STREAM_TABLE_ACTIONS, { index: false });
    grantParameters(restRole, [settings.ingestApiKeyParameterName, ...authParameters]);
    // The SSE function authenticates but never ingests, so it cannot read the ingest key.
    grantParameters(streamRole, authParameters);

    this.restUrl = this.restFunction.addFunctionUrl({
      // Public by design: the application authenticates (JWT, stream token, ingest key); IAM auth
      // would need SigV4, which neither a browser fetch nor EventSource can send.
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
      ...cors(settings.corsAllowedOrigins, [
        HttpMethod.GET,
        HttpMethod.HEAD,
        HttpMethod.POST,
        HttpMethod.PUT,
        HttpMethod.DELETE,
      ]),
    });
    this.streamUrl = this.streamFunction.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.RESPONSE_STREAM,
      ...cors(settings.corsAllowedOrigins, [HttpMethod.GET, HttpMethod.HEAD]),
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
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions; active tracing needs Resource "*".',
      });
    }
    // Only the REST function reads the index (the ticker listing); the SSE role has no wildcard there.
    if (this.restFunction.role !== undefined) {
      Validations.of(this.restFunction.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
        reason:
          'Ticker queries use the table\'s global secondary index; "<table ARN>/index/*" covers only the indexes of this one table.',
      });
    }
  }
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
 * A Function URL's CORS: the allowed origins with the request and response headers and the
 * preflight lifetime the Node servers use (src/http/cors-headers.ts), or none at all when no
 * origin is allowed. The URL then answers preflights itself.
 */
function cors(origins: readonly string[], allowedMethods: HttpMethod[]): { readonly cors?: FunctionUrlCorsOptions } {
  if (origins.length === 0) return {};
  return {
    cors: {
      allowedOrigins: [...origins],
      allowedMethods,
      allowedHeaders: [...CORS_REQUEST_HEADERS],
      exposedHeaders: [...CORS_EXPOSED_HEADERS],
      maxAge: Duration.seconds(CORS_MAX_AGE_S),
    },
  };
}

export type { TickerpulseStackProps } from './stack-settings.ts';
export { DEFAULTS, LOG_LEVELS, parameterName } from './stack-settings.ts';
export { TickerpulseStack };
