/**
 * The REST Lambda (Function URL, BUFFERED): the same express app as the local server, behind
 * @codegenie/serverless-express for payload format 2.0 events. Exported as a 2-parameter
 * function on purpose: nodejs24.x refuses handlers declaring 3 or more parameters
 * (Runtime.CallbackHandlerDeprecated), and the adapter's own handler declares 3.
 * Each invocation first brings the secrets up to date (from their cache; see rotating-auth.ts).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { configure } from '@codegenie/serverless-express';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createApp } from '../http/app.ts';
import { createRestHandlers } from '../http/handlers/index.ts';
import { ServiceUnavailableError } from '../http/errors.ts';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../http/problem.ts';
import { API_SECURITY_HEADERS, apiSecurityHeaders } from '../http/security-headers.ts';
import {
  EMF_METRIC_NAMES,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  STATUS_CLASS_DIMENSION,
} from '../observability/metric-names.ts';
import { VERSION } from '../runtime/version.ts';
import {
  coldStart,
  type LambdaRuntime,
  lazy,
  reportColdStartFailure,
  SECRETS_UNAVAILABLE_RETRY_S,
} from './cold-start.ts';
import { normalizeFunctionUrlEvent } from './function-url-event.ts';

type Proxy = (event: LambdaFunctionURLEvent, context: Context, callback: never) => Promise<LambdaFunctionURLResult>;

interface RestFunction {
  readonly runtime: LambdaRuntime;
  readonly proxy: Proxy;
}

function createProxy(runtime: LambdaRuntime): Proxy {
  const app = createApp({
    handlers: createRestHandlers({
      store: runtime.store,
      streamTokens: runtime.streamTokens,
      version: VERSION,
      now: Date.now,
      // The stream engine runs in the other function; its figures go to CloudWatch (EMF).
      serviceMetrics: () => Promise.resolve(''),
    }),
    auth: runtime.auth,
    logger: runtime.logger,
    extend: (app) => app.use(apiSecurityHeaders()),
  });
  return configure({ app }) as unknown as Proxy;
}

/** Built on the first event and reused by every later one in this execution environment. */
const restFunction = lazy(async (): Promise<RestFunction> => {
  const runtime = await coldStart(process.env, 'lambda');
  return { runtime, proxy: createProxy(runtime) };
});
// EMF on stdout, nothing sent from here; CloudWatch reads it from the log stream.
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** A cold start that could not read its secrets from SSM: 503 with Retry-After, tried again next time. */
function secretsUnavailable(path: string): LambdaFunctionURLResult {
  const problem = toProblem(
    new ServiceUnavailableError('The service is starting and cannot read its secrets yet.', {
      retryAfterSeconds: SECRETS_UNAVAILABLE_RETRY_S,
    }),
    path,
  );
  return {
    statusCode: problem.status,
    headers: { ...API_SECURITY_HEADERS, 'Content-Type': PROBLEM_CONTENT_TYPE, ...problem.headers },
    body: JSON.stringify(problem.body),
  };
}

async function respond(event: LambdaFunctionURLEvent, context: Context): Promise<LambdaFunctionURLResult> {
  const normalized = normalizeFunctionUrlEvent(event);
  let fn: RestFunction;
  try {
    fn = await restFunction();
  } catch (error) {
    if (reportColdStartFailure(process.env, error)) return secretsUnavailable(normalized.rawPath);
    throw error;
  }
  // A rotated secret is in use from the first request after the cache's max age.
  await fn.runtime.refreshSecrets();
  return fn.proxy(normalized, context, undefined as never);
}

const handler = async (event: LambdaFunctionURLEvent, context: Context): Promise<LambdaFunctionURLResult> => {
  const started = performance.now();
  const result = await respond(event, context);
  const status = typeof result === 'string' ? 200 : (result.statusCode ?? 200);
  metrics.addDimension(STATUS_CLASS_DIMENSION, `${String(status).charAt(0)}xx`);
  metrics.addMetric(EMF_METRIC_NAMES.requests, MetricUnit.Count, 1);
  metrics.addMetric(EMF_METRIC_NAMES.requestLatency, MetricUnit.Milliseconds, performance.now() - started);
  metrics.publishStoredMetrics();
  return result;
};

export { handler };
