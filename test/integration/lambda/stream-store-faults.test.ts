/**
 * The SSE Lambda and its store, whose calls go through a loopback proxy in front of dynalite that
 * answers some of them with DynamoDB errors. A configuration stream must read its configuration
 * before its first byte: a read the store refuses is a 500 problem that names nothing of it and
 * is logged as the handler's failure; a read failing on the store's side is a 503 with
 * Retry-After. A configuration deleted while its stream is open ends the stream with
 * `stream_closed`, and the invocation with it, long before its deadline.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkProblem, parseEvent } from '../../../src/contract/index.ts';
import { handler } from '../../../src/lambda/stream-handler.ts';
import { type CapturedOutput, captureOutput } from '../../support/captured-output.ts';
import { collectingResponse, contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { parseSseText } from '../../support/sse-text.ts';
import { startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const LEAK = 'arn:aws:dynamodb:eu-west-1:123456789012:table/secret-table';
const REFUSED = { status: 400, answer: { __type: 'com.amazon.coral.validate#ValidationException', message: LEAK } };
const FAILING = {
  status: 500,
  answer: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: LEAK },
};
const CONFIG_ID = '8a6c4e2f-1b3d-4c5e-9f7a-0b2d4f6a8c0e';

let t: TestStore;
let proxy: StoreProxy;
let output: CapturedOutput;

beforeAll(async () => {
  t = await startTestStore({ settleMs: 1000 });
  t.setTime(Date.now());
  proxy = await startStoreProxy(t.dynalite.endpoint);
  // Reads of these users' partitions get a DynamoDB error; everything else reaches the store.
  proxy.hook = (call) => {
    const input = JSON.stringify(call.input);
    if (input.includes('USER#refused')) return REFUSED;
    if (input.includes('USER#unlucky')) return FAILING;
    return 'forward';
  };
  stubLambdaEnv(proxy.endpoint, {
    TABLE_NAME: t.tableName,
    LOG_LEVEL: 'error',
    POLL_INTERVAL_MS: '200',
    HEARTBEAT_INTERVAL_MS: '1000',
    STREAM_DEADLINE_MARGIN_MS: '1000',
  });
  output = captureOutput();
});
afterAll(async () => {
  output.restore();
  vi.unstubAllEnvs();
  await proxy.close();
  await t.close();
});

const configurationStream = (userId: string, configId = CONFIG_ID) =>
  functionUrlEvent('GET', `/api/v2/configurations/${configId}/stream`, { headers: { 'x-user-id': userId } });

async function invoke(event: object, remainingMs = 5000) {
  const response = collectingResponse();
  await handler(event as LambdaFunctionURLEvent, response.stream, contextWithDeadline(remainingMs));
  await response.finished;
  return response.decode();
}

describe('a configuration stream whose configuration cannot be read', () => {
  it('is a 500 problem naming nothing of it when the store refuses the read, logged as the handler’s failure', async () => {
    const { prelude, body } = await invoke(configurationStream('refused'));

    expect(prelude).toMatchObject({ statusCode: 500, headers: { 'Content-Type': 'application/problem+json' } });
    expect(body).not.toContain('secret-table');
    expect(JSON.parse(body)).toEqual({
      type: '/problems/internal',
      title: 'Internal server error',
      status: 500,
      instance: `/api/v2/configurations/${CONFIG_ID}/stream`,
    });
    expect(output.lines().filter((line) => line.message === 'stream handler failed')).toMatchObject([
      { level: 'ERROR' },
    ]);
  });

  it('is a 503 with Retry-After when the store fails on its side', async () => {
    const { prelude, body } = await invoke(configurationStream('unlucky'));

    expect(prelude).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '2' } });
    expect(checkProblem(JSON.parse(body))).toMatchObject({ ok: true, value: { type: '/problems/unavailable' } });
  });
});

describe('a configuration deleted while its stream is open', () => {
  it('ends the stream with stream_closed, and the invocation with it, long before the deadline', async () => {
    const created = await t.store.createConfiguration('leaver', { name: 'Short-lived', tickers: ['AAPL'] });
    if (!created.ok) throw new Error(`could not create the configuration: ${created.reason}`);
    const configId = created.configuration.config_id;
    const response = collectingResponse();
    const invocation = handler(configurationStream('leaver', configId), response.stream, contextWithDeadline(25_000));
    await vi.waitFor(
      () => {
        expect(response.decode().body).toContain('event: heartbeat');
      },
      { timeout: 5000, interval: 50 },
    );

    expect(await t.store.deleteConfiguration('leaver', configId)).toBe(true);
    await invocation;
    await response.finished;

    const { prelude, body } = response.decode();
    expect(prelude.statusCode).toBe(200);
    const frames = parseSseText(body).frames;
    for (const frame of frames) expect(parseEvent(frame, 'configurationStream')).toMatchObject({ ok: true });
    expect(frames[0]?.event).toBe('stream_open');
    expect(frames.at(-1)?.event).toBe('stream_closed');
    expect(frames.map((frame) => frame.event)).not.toContain('reconnect');
  });
});
