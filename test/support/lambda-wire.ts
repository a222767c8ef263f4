/**
 * The Lambda streaming wire format decoded, as a Function URL does: a JSON prelude, exactly 8 NUL
 * bytes, then the body. Tests hand handlers a collecting Writable as the response stream.
 *
 * In-process, the handlers write through the local stand-in (src/lambda/awslambda.ts). The same
 * decoder reads what AWS's runtime interface client (aws-lambda-ric 4.0.2) POSTs to the Runtime
 * API in test/integration/lambda/ric-stream.test.ts, where the bytes are the package's own. One
 * difference found there: the real client sends the prelude with the first write only, so a
 * response ended without any write (HEAD) carries none; the stand-in writes it at the end.
 */
import { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';

interface CollectedResponse {
  readonly stream: Writable;
  /** Resolves when the handler ended the stream. */
  readonly finished: Promise<void>;
  decode(): { prelude: { statusCode: number; headers?: Record<string, string> }; body: string };
}

function collectingResponse(): CollectedResponse {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  const finished = new Promise<void>((resolve) => {
    stream.once('finish', () => {
      resolve();
    });
  });
  return {
    stream,
    finished,
    decode() {
      const all = Buffer.concat(chunks);
      const separator = all.indexOf(Buffer.alloc(8));
      if (separator < 0) throw new Error('no prelude separator (8 NUL bytes) in the response');
      return {
        prelude: JSON.parse(all.subarray(0, separator).toString('utf8')) as {
          statusCode: number;
          headers?: Record<string, string>;
        },
        body: all.subarray(separator + 8).toString('utf8'),
      };
    },
  };
}

/** A Context whose deadline is `remainingMs` from now. */
function contextWithDeadline(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  // The deprecated callback members (done/fail/succeed) are left out: nothing may call them.
  const context = {
    getRemainingTimeInMillis: () => deadline - Date.now(),
    awsRequestId: 'test-request',
    functionName: 'tickerpulse-stream',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:tickerpulse-stream',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/tickerpulse-stream',
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
  };
  return context as unknown as Context;
}

/** A Function URL event (payload format 2.0). */
function functionUrlEvent(
  method: string,
  path: string,
  options: { query?: string; headers?: Record<string, string>; body?: string; base64?: boolean } = {},
) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: { host: 'abc.lambda-url.eu-west-1.on.aws', ...options.headers },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc',
      domainName: 'abc.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abc',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '21/Nov/2026:09:00:00 +0000',
      timeEpoch: 0,
    },
    isBase64Encoded: options.base64 ?? false,
    ...(options.body === undefined ? {} : { body: options.body }),
  };
}

export type { CollectedResponse };
/**
 * The environment both Lambda handlers read at cold start, stubbed for one test file (undo with
 * `vi.unstubAllEnvs()`): a store endpoint, trusted X-User-ID, a stream-token secret, silent
 * logs, and Powertools metrics and tracing off. `extra` adds or overrides variables.
 */
function stubLambdaEnv(dynamodbEndpoint: string, extra: Record<string, string> = {}): void {
  const env: Record<string, string> = {
    DYNAMODB_ENDPOINT: dynamodbEndpoint,
    AUTH_TRUST_USER_ID_HEADER: 'true',
    STREAM_TOKEN_SECRET: 'lambda-test-stream-token-secret-000000000000',
    LOG_LEVEL: 'silent',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    ...extra,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

export { collectingResponse, contextWithDeadline, functionUrlEvent, stubLambdaEnv };
