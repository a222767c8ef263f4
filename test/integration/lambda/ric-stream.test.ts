/**
 * The SSE function's bundle under AWS's own runtime interface client (aws-lambda-ric, fetched
 * at test time: test/support/ric-package.ts), against a Runtime API served here on loopback and
 * a dynalite store. `streamifyResponse`, `HttpResponseStream.from`, the prelude, the 8 NUL bytes,
 * the chunked POST and its end are the package's code, not our stand-in. Prints what it measures
 * (write-to-arrival delays, what a cut connection does); docs/aws.md records the figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProblem, parseEvent, type StreamEvent } from '../../../src/contract/index.ts';
import { collectingResponse, functionUrlEvent } from '../../support/lambda-wire.ts';
import { type RicFunction, type RicRuntime, startRicFunction, type TaskRoots } from '../../support/ric-function.ts';
import { type RicBed, startRicBed } from '../../support/ric-bed.ts';
import type { InvocationResult } from '../../support/ric-runtime-api.ts';
import { percentile, writeDelays } from '../../support/ric-write-delays.ts';
import { parseSseText } from '../../support/sse-text.ts';
import { itemInput, type TestStore } from '../../support/test-store.ts';

const HEARTBEAT_MS = 1000;

let t: TestStore;
let roots: TaskRoots;
let runtime: RicRuntime;
let fn: RicFunction;
let bed: RicBed | undefined;

/** The SSE function's environment (the stack's, scaled down), on the test's dynalite. */
const functionEnv = (): Record<string, string> => ({
  DYNAMODB_ENDPOINT: t.dynalite.endpoint,
  TABLE_NAME: t.tableName,
  AUTH_TRUST_USER_ID_HEADER: 'true',
  STREAM_TOKEN_SECRET: 'lambda-test-stream-token-secret-000000000000',
  LOG_LEVEL: 'warn',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POLL_INTERVAL_MS: '200',
  HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
  RETRY_MS: '2000',
  FEED_SETTLE_MS: '1000',
  STREAM_DEADLINE_MARGIN_MS: '1000',
  MAX_CONNECTIONS: '1',
});

beforeAll(async () => {
  bed = await startRicBed({ settleMs: 1000 });
  ({ runtime, roots, store: t } = bed);
  t.setTime(Date.now());
  fn = await startRicFunction({ runtime, taskRoot: roots.stream, env: functionEnv() });
  bed.defer(() => fn.stop());
}, 180_000);
afterAll(async () => {
  await bed?.close();
});

/** The POSTed body as a Function URL reads it: prelude, 8 NUL bytes, SSE; frames checked against the contract. */
function decode(result: InvocationResult) {
  const response = collectingResponse();
  response.stream.write(result.body);
  const { prelude, body } = response.decode();
  const parsed = parseSseText(body);
  const events: StreamEvent[] = [];
  const violations: string[] = [];
  if (prelude.statusCode === 200)
    for (const frame of parsed.frames) {
      const checked = parseEvent(frame, 'globalStream');
      if (checked.ok) events.push(checked.value);
      else violations.push(JSON.stringify(checked.issues));
    }
  return { prelude, body, events, retries: parsed.retries, violations };
}

describe('the SSE function under aws-lambda-ric', () => {
  let streamed: InvocationResult;
  let firstWrite = 0;

  it('starts: the 3-parameter handler is accepted because streamifyResponse tagged it', async () => {
    console.log(`init under aws-lambda-ric (${runtime.native} native client): ${(await fn.initMs()).toFixed(0)} ms`);
    expect(fn.api.initErrors).toEqual([]);
  });

  it('streams through the runtime: chunked POST, prelude + 8 NUL bytes, SSE until the deadline margin', async () => {
    firstWrite = fn.writeCount();
    const running = fn.invoke(functionUrlEvent('GET', '/api/v2/stream'), { remainingMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.setTime(Date.now());
    const items = [itemInput(), itemInput()];
    await t.store.ingest(items);
    streamed = await running;

    expect(streamed).toMatchObject({ outcome: 'response', aborted: false, trailers: {} });
    expect(streamed.headers).toMatchObject({
      'lambda-runtime-function-response-mode': 'streaming',
      'content-type': 'application/vnd.awslambda.http-integration-response',
      'transfer-encoding': 'chunked',
      trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    });
    const run = decode(streamed);
    expect(run.prelude).toMatchObject({
      statusCode: 200,
      headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    });
    expect(run.violations).toEqual([]);
    expect(run.events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'fresh' } });
    expect(run.events.flatMap((e) => (e.event === 'new_item' ? [e.data.item_id] : [])).sort()).toEqual(
      items.map((i) => i.item_id).sort(),
    );
    expect(run.events.filter((e) => e.event === 'heartbeat').length).toBeGreaterThanOrEqual(2);
    expect(run.events.at(-1)).toMatchObject({ event: 'reconnect', data: { reason: 'deadline' } });
    // The invocation is over: the runtime asks for the next one.
    await fn.api.nextRequest(2);
  });

  it('delivers each small write at once: none waits for the next write', async () => {
    const writes = await fn.writesSince(firstWrite, streamed.body.length);
    const delays = writeDelays(writes, streamed.arrivals);
    const ms = delays.map((d) => d.delayMs);
    console.log(
      `write → Runtime API: ${delays.length} writes of ${Math.min(...delays.map((d) => d.bytes))}-` +
        `${Math.max(...delays.map((d) => d.bytes))} bytes in ${streamed.arrivals.length} arrivals; delay median ` +
        `${percentile(ms, 50).toFixed(2)} ms, max ${Math.max(...ms).toFixed(2)} ms`,
    );
    console.log(delays.map((d) => `${d.bytes}B ${d.delayMs.toFixed(2)}ms`).join(', '));
    expect(writes.reduce((sum, w) => sum + w.bytes, 0)).toBe(streamed.body.length);
    // Held back, a write would arrive only with the next one; the writes here are up to a
    // heartbeat apart, so whatever came after a pause must have arrived before the next write.
    const heldBack = delays.filter((d, k) => {
      const next = delays[k + 1];
      return next !== undefined && next.writtenAt - d.writtenAt > BigInt(HEARTBEAT_MS / 4) * 1_000_000n
        ? d.arrivedAt >= next.writtenAt
        : false;
    });
    expect(heldBack).toEqual([]);
  });

  it.each([
    ['a path it does not serve', functionUrlEvent('GET', '/api/v2/metrics'), 404],
    [
      'an Accept without text/event-stream',
      functionUrlEvent('GET', '/api/v2/stream', { headers: { accept: 'application/json' } }),
      406,
    ],
  ])('answers %s with a problem in the prelude', async (_name, event, status) => {
    const result = await fn.invoke(event, { remainingMs: 5000 });
    const { prelude, body } = decode(result);
    expect(prelude).toMatchObject({ statusCode: status, headers: { 'Content-Type': 'application/problem+json' } });
    expect(checkProblem(JSON.parse(body)).ok).toBe(true);
  });

  // The real HttpResponseStream.from sends the prelude with the first write only, and HEAD has
  // no body: the handler writes an empty chunk so the Function URL gets status and headers.
  it('answers HEAD with a prelude carrying the stream headers', async () => {
    const result = await fn.invoke(functionUrlEvent('HEAD', '/api/v2/stream'), { remainingMs: 5000 });
    expect(result.outcome).toBe('response');
    expect(decode(result).prelude.statusCode).toBe(200);
  });
});

describe('a connection the Runtime API cuts mid-stream', () => {
  it('ends the runtime process itself (an unhandled "socket hang up" inside aws-lambda-ric)', async () => {
    const cut = await startRicFunction({ runtime, taskRoot: roots.stream, env: functionEnv() });
    try {
      await cut.initMs();
      const result = await cut.invoke(functionUrlEvent('GET', '/api/v2/stream'), {
        remainingMs: 8000,
        abortWhen: (body) => body.includes('event: stream_open'),
      });
      const exit = await Promise.race([
        cut.exited,
        new Promise<undefined>((resolve) => setTimeout(resolve, 5000, undefined)),
      ]);
      const exitedAfterMs = Number(process.hrtime.bigint() - result.endedAt) / 1e6;
      console.log(
        `cut after stream_open: runtime exit ${JSON.stringify(exit)} ${exitedAfterMs.toFixed(0)} ms later; ` +
          `GET /next after the cut: ${cut.api.nextRequests.length - 1}; output: ${/Error: [^\n]*/.exec(cut.output())?.[0] ?? ''}`,
      );
      expect(result.aborted).toBe(true);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(cut.output()).toMatch(/socket hang up/);
      // It never came back for more work: on AWS, the next invocation would start a new environment.
      expect(cut.api.nextRequests).toHaveLength(1);
    } finally {
      await cut.stop();
    }
  });
});
