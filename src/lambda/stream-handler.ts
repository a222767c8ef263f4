/**
 * The SSE Lambda (Function URL, RESPONSE_STREAM): the stream engine (src/runtime/stream-engine.ts,
 * runStreamUntilDeadline) with one connection per invocation; this file does only the transport:
 * event → request parts, refusals as problem preludes, and ending the response. Facts it is built
 * around (see docs/aws.md, "Facts the Lambda code relies on"):
 * - status and headers leave with the first write, so every refusal is decided before it
 *   and goes out as a problem+json prelude;
 * - there is no client-disconnect signal and billing runs until the end, so every stream ends
 *   on its own, STREAM_DEADLINE_MARGIN_MS before the deadline, with `event: reconnect` and
 *   `retry:` (the client resumes by cursor, so nothing is lost);
 * - the runtime complains about a stream that was never ended, so it is always ended, in `finally`.
 * Three parameters are fine here: nodejs24.x exempts streaming handlers from its arity rule.
 */
import type { Writable } from 'node:stream';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { matchOperation } from '../contract/index.ts';
import { MethodNotAllowedError, NotFoundError, ServiceUnavailableError } from '../http/errors.ts';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../http/problem.ts';
import { API_SECURITY_HEADERS } from '../http/security-headers.ts';
import { authorizeStream, type StreamAccess } from '../http/stream-access.ts';
import { createEmfMetrics } from '../observability/emf-metrics.ts';
import { runStreamUntilDeadline } from '../runtime/stream-engine.ts';
import { SSE_HEADERS } from '../stream/constants.ts';
import { frameComment } from '../stream/frame.ts';
import type { SseSink } from '../stream/sink.ts';
import { awslambda } from './awslambda.ts';
import {
  coldStart,
  type LambdaRuntime,
  lazy,
  reportColdStartFailure,
  SECRETS_UNAVAILABLE_RETRY_S,
} from './cold-start.ts';
import { requestParts } from './function-url-event.ts';

const STREAM_OPERATIONS = new Set(['streamGlobal', 'streamConfiguration']);
const STREAM_PATH = /^\/api\/v2\/(stream|configurations\/[^/]+\/stream)$/;

/** The response stream as the engine's sink; optional padding after each write (see config). */
function lambdaSink(stream: Writable, paddingBytes: number): SseSink {
  const padding = paddingBytes > 0 ? frameComment(' '.repeat(paddingBytes)) : '';
  return {
    write: (chunk) => stream.write(padding === '' ? chunk : chunk + padding),
    end: () => {
      if (!stream.writableEnded) stream.end();
    },
    destroy: () => {
      stream.destroy();
    },
    onDrain: (listener) => stream.on('drain', listener),
    // Fires only after our own end(): Lambda gives no signal when the client leaves.
    onClose: (listener) => stream.on('close', listener),
  };
}

/**
 * Function URL query strings arrive raw; repeated keys become arrays (and fail validation). A
 * prototype-free object, so a `__proto__` key is just an unknown parameter; linear in the input.
 */
function queryOf(raw: string): Record<string, string | string[]> {
  const query = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of new URLSearchParams(raw)) {
    const previous = query[key];
    if (previous === undefined) query[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else query[key] = [previous, value];
  }
  return query;
}

/** Which stream the event asks for, and whether it may have it; throws the refusal otherwise. */
async function streamAccess(rt: LambdaRuntime, request: ReturnType<typeof requestParts>): Promise<StreamAccess> {
  const { path, method } = request;
  const match = matchOperation(method === 'HEAD' ? 'GET' : method, path);
  if (match === undefined || !STREAM_OPERATIONS.has(match.operationId)) {
    if (STREAM_PATH.test(path)) throw new MethodNotAllowedError(['GET', 'HEAD']);
    throw new NotFoundError(`No stream at ${path}; this function serves only the SSE endpoints.`);
  }
  return authorizeStream(rt, {
    operationId: match.operationId as 'streamGlobal' | 'streamConfiguration',
    query: queryOf(request.rawQueryString),
    pathParams: match.pathParams,
    headers: request.headers,
    remoteAddress: () => request.sourceIp,
  });
}

/**
 * Ends the response (the runtime complains about a stream never ended) and waits until it is. A
 * stream already destroyed (a client dropped for not reading) is over: `end` would never call
 * back, and the invocation would run on until the function's timeout.
 */
async function endResponse(stream: Writable): Promise<void> {
  if (stream.writableEnded || stream.destroyed) return;
  await new Promise<void>((resolve) => {
    stream.end(() => {
      resolve();
    });
  });
}

/** Built by the first invocation; a failed cold start is tried again by the next one. */
const runtime = lazy(async () => coldStart(process.env, 'lambda-stream'));

/** The runtime with its secrets up to date, or the refusal of a cold start that could not read them. */
async function currentRuntime(): Promise<LambdaRuntime> {
  let rt: LambdaRuntime;
  try {
    rt = await runtime();
  } catch (error) {
    if (!reportColdStartFailure(process.env, error)) throw error;
    throw new ServiceUnavailableError('The service is starting and cannot read its secrets yet.', {
      retryAfterSeconds: SECRETS_UNAVAILABLE_RETRY_S,
    });
  }
  await rt.refreshSecrets();
  return rt;
}

async function serve(event: LambdaFunctionURLEvent, responseStream: Writable, context: Context): Promise<void> {
  const request = requestParts(event);
  const { path, method } = request;
  const metrics = createEmfMetrics();
  let out: Writable | undefined;
  const respond = (statusCode: number, headers: Record<string, string>): Writable => {
    out = awslambda.HttpResponseStream.from(responseStream, {
      statusCode,
      headers: { ...API_SECURITY_HEADERS, ...headers },
    });
    return out;
  };
  let logger: LambdaRuntime['logger'] | undefined;
  try {
    const rt = await currentRuntime();
    logger = rt.logger;
    rt.logger.addContext(context);
    const access = await streamAccess(rt, request);
    // The runtime sends the prelude (status, headers) with the first write only, and HEAD has
    // no body: an empty write sends it.
    if (method === 'HEAD') {
      respond(200, { ...SSE_HEADERS }).write('');
      return;
    }
    // The 200 goes out only once the stream can start: a feed that cannot be read yet is a 503.
    await runStreamUntilDeadline({
      store: rt.store,
      config: rt.config,
      metrics,
      logger: rt.logger,
      request: access,
      openSink: () => lambdaSink(respond(200, { ...SSE_HEADERS }), rt.config.streamFlushPaddingBytes),
      remainingMs: context.getRemainingTimeInMillis(),
    });
  } catch (error) {
    const problem = toProblem(error, path);
    if (problem.unexpected) logger?.error('stream handler failed', { error });
    if (out === undefined) {
      respond(problem.status, { 'Content-Type': PROBLEM_CONTENT_TYPE, ...problem.headers }).write(
        JSON.stringify(problem.body),
      );
    }
  } finally {
    metrics.publish();
    await endResponse(out ?? respond(500, { 'Content-Type': PROBLEM_CONTENT_TYPE }));
  }
}

const handler = awslambda.streamifyResponse(serve);

export { handler };
