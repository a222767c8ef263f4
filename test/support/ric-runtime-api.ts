/**
 * The Lambda Runtime API, served by the test on loopback, for a runtime process (AWS's runtime
 * interface client) to drive: the runtime asks for work with GET /invocation/next, which is held
 * until the test invokes; it answers with POST /invocation/{id}/response (buffered, or streamed
 * with `Lambda-Runtime-Function-Response-Mode: streaming`, chunked, errors in trailers) or
 * /invocation/{id}/error; a failed init posts /init/error. Each request id is answered once.
 *
 * Everything is recorded as received: headers, body, trailers, and when each piece of a body
 * arrived (process.hrtime.bigint(), the clock the runtime's write probe uses).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const BASE = '/2018-06-01/runtime';

interface Arrival {
  readonly at: bigint;
  /** Body bytes received so far, this piece included. */
  readonly totalBytes: number;
}

interface ReceivedPost {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly arrivals: readonly Arrival[];
  readonly trailers: Readonly<Record<string, string | undefined>>;
  /** Cut by the test (`abortWhen`) or by the runtime before the body ended. */
  readonly aborted: boolean;
  readonly endedAt: bigint;
}

interface InvocationResult extends ReceivedPost {
  readonly requestId: string;
  readonly outcome: 'response' | 'error';
}

interface InvokeOptions {
  /** Milliseconds from now to the deadline the runtime is given (`Lambda-Runtime-Deadline-Ms`). */
  readonly remainingMs: number;
  /** Checked after each piece of the body; true cuts the connection, as a dropped client would. */
  readonly abortWhen?: (bodySoFar: Buffer) => boolean;
}

interface RuntimeApi {
  /** `127.0.0.1:<port>`, the value of AWS_LAMBDA_RUNTIME_API. */
  readonly hostPort: string;
  /** When each GET /invocation/next arrived. */
  readonly nextRequests: readonly bigint[];
  readonly initErrors: readonly ReceivedPost[];
  /** Resolves at the n-th GET /invocation/next (1 = the end of init). */
  nextRequest(n: number): Promise<bigint>;
  invoke(event: unknown, options: InvokeOptions): Promise<InvocationResult>;
  close(): Promise<void>;
}

interface Pending {
  readonly requestId: string;
  readonly event: unknown;
  readonly options: InvokeOptions;
  readonly settle: (result: InvocationResult) => void;
}

/** Reads a POST body, recording arrivals; `abortWhen` may cut it. */
function receive(req: IncomingMessage, abortWhen?: (body: Buffer) => boolean): Promise<ReceivedPost> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const arrivals: Arrival[] = [];
    let total = 0;
    let settled = false;
    const finish = (aborted: boolean) => {
      if (settled) return;
      settled = true;
      const trailers = aborted ? {} : { ...req.trailers };
      const body = Buffer.concat(chunks);
      resolve({ headers: req.headers, body, arrivals, trailers, aborted, endedAt: process.hrtime.bigint() });
    };
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      arrivals.push({ at: process.hrtime.bigint(), totalBytes: total });
      if (abortWhen?.(Buffer.concat(chunks)) === true) {
        req.socket.destroy();
        finish(true);
      }
    });
    req.on('end', () => {
      finish(false);
    });
    req.on('close', () => {
      finish(!req.complete);
    });
  });
}

function accepted(res: ServerResponse): void {
  if (res.destroyed) return;
  res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"OK"}');
}

function rejectRequest(res: ServerResponse, status: number, errorType: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errorType }));
}

async function startRuntimeApi(): Promise<RuntimeApi> {
  const queue: Pending[] = [];
  const waiting: ServerResponse[] = [];
  const inFlight = new Map<string, Pending>();
  const nextRequests: bigint[] = [];
  const nextWaiters: { n: number; resolve: (at: bigint) => void }[] = [];
  const initErrors: ReceivedPost[] = [];

  const hand = (res: ServerResponse, pending: Pending) => {
    inFlight.set(pending.requestId, pending);
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': pending.requestId,
      'lambda-runtime-deadline-ms': String(Date.now() + pending.options.remainingMs),
      'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:eu-west-1:000000000000:function:tickerpulse-ric',
      'lambda-runtime-trace-id': `Root=1-${randomUUID().replaceAll('-', '').slice(0, 8)}-${'0'.repeat(24)};Sampled=0`,
    });
    res.end(JSON.stringify(pending.event));
  };

  const onNext = (res: ServerResponse) => {
    const at = process.hrtime.bigint();
    nextRequests.push(at);
    for (const waiter of nextWaiters.filter((w) => w.n === nextRequests.length)) waiter.resolve(at);
    const pending = queue.shift();
    if (pending !== undefined) {
      hand(res, pending);
      return;
    }
    waiting.push(res);
    // A runtime that died while waiting must not be handed the next invocation.
    res.once('close', () => {
      const index = waiting.indexOf(res);
      if (index >= 0) waiting.splice(index, 1);
    });
  };

  const onPost = async (req: IncomingMessage, res: ServerResponse, url: string) => {
    if (url === `${BASE}/init/error`) {
      initErrors.push(await receive(req));
      accepted(res);
      return;
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    const requestId = decodeURIComponent(match?.[1] ?? '');
    const pending = inFlight.get(requestId);
    if (match === null || pending === undefined) {
      req.resume();
      rejectRequest(res, 400, 'InvalidRequestID');
      return;
    }
    inFlight.delete(requestId);
    const received = await receive(req, pending.options.abortWhen);
    accepted(res);
    pending.settle({ ...received, requestId, outcome: match[2] === 'error' ? 'error' : 'response' });
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === `${BASE}/invocation/next`) onNext(res);
    else if (req.method === 'POST') void onPost(req, res, url);
    else rejectRequest(res, 404, 'NotFound');
  });
  // The runtime keeps one connection alive between invocations; so does this API.
  server.keepAliveTimeout = 600_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    hostPort: `127.0.0.1:${port}`,
    nextRequests,
    initErrors,
    nextRequest: (n) =>
      new Promise((resolve) => {
        const at = nextRequests[n - 1];
        if (at !== undefined) resolve(at);
        else nextWaiters.push({ n, resolve });
      }),
    invoke: (event, options) =>
      new Promise((settle) => {
        const pending: Pending = { requestId: randomUUID(), event, options, settle };
        const res = waiting.shift();
        if (res === undefined) queue.push(pending);
        else hand(res, pending);
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

export type { Arrival, InvocationResult, InvokeOptions, ReceivedPost, RuntimeApi };
export { startRuntimeApi };
