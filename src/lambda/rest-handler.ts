/**
 * The REST Lambda (Function URL, BUFFERED): the same express app as the local server, behind
 * @codegenie/serverless-express for payload format 2.0 events. Exported as a 2-parameter
 * function on purpose: nodejs24.x refuses handlers declaring 3 or more parameters
 * (Runtime.CallbackHandlerDeprecated), and the adapter's own handler declares 3.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { configure } from '@codegenie/serverless-express';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createApp } from '../http/app.ts';
import { createRestHandlers } from '../http/handlers/index.ts';
import { apiSecurityHeaders } from '../http/security-headers.ts';
import {
  EMF_METRIC_NAMES,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  STATUS_CLASS_DIMENSION,
} from '../observability/metric-names.ts';
import { VERSION } from '../runtime/version.ts';
import { coldStart } from './cold-start.ts';
import { normalizeFunctionUrlEvent } from './function-url-event.ts';

type Proxy = (event: LambdaFunctionURLEvent, context: Context, callback: never) => Promise<LambdaFunctionURLResult>;

async function createProxy(env: Readonly<Record<string, string | undefined>>): Promise<Proxy> {
  const runtime = await coldStart(env, 'lambda');
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

let proxy: Promise<Proxy> | undefined;
// EMF on stdout, nothing sent from here; CloudWatch reads it from the log stream.
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** Built on the first event and reused by every later one in this execution environment. */
const handler = async (event: LambdaFunctionURLEvent, context: Context): Promise<LambdaFunctionURLResult> => {
  const started = performance.now();
  proxy ??= createProxy(process.env);
  const result = await (await proxy)(normalizeFunctionUrlEvent(event), context, undefined as never);
  const status = typeof result === 'string' ? 200 : (result.statusCode ?? 200);
  metrics.addDimension(STATUS_CLASS_DIMENSION, `${String(status).charAt(0)}xx`);
  metrics.addMetric(EMF_METRIC_NAMES.requests, MetricUnit.Count, 1);
  metrics.addMetric(EMF_METRIC_NAMES.requestLatency, MetricUnit.Milliseconds, performance.now() - started);
  metrics.publishStoredMetrics();
  return result;
};

export { createProxy, handler };
