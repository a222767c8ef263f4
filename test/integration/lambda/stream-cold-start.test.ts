/**
 * The SSE Lambda from its first invocation on, in one execution environment whose stream-token
 * secret lives in SSM (a loopback stand-in) and whose writes are padded
 * (STREAM_FLUSH_PADDING_BYTES). A cold start that cannot build its configuration is a 500 that
 * names nothing of it; one that cannot read its secrets is a 503 with Retry-After; neither is
 * kept, so the next invocation starts once the cause is gone. Then, on the started function:
 * padding after every write, parameters given more than once refused, the client of an event
 * without a source IP logged as unknown, and a response stream that stops taking bytes dropped
 * as stalled. Logs are read from the process's output, as CloudWatch would.
 */
import { Writable } from 'node:stream';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkProblem, parseEvent } from '../../../src/contract/index.ts';
import { handler } from '../../../src/lambda/stream-handler.ts';
import { API_SECURITY_HEADERS } from '../../../src/http/security-headers.ts';
import { type CapturedOutput, captureOutput } from '../../support/captured-output.ts';
import { collectingResponse, contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { parseSseText } from '../../support/sse-text.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';
import { type SsmStandIn, startSsmStandIn } from './ssm-stand-in.ts';

const SECRET_NAME = '/tickerpulse-test/cold-start/stream-token-secret';
/** Over the 64 KiB a Writable buffers (Node 24's default) before it asks its writer to wait. */
const PADDING_BYTES = 70_000;

let t: TestStore;
let ssm: SsmStandIn;
let output: CapturedOutput;

beforeAll(async () => {
  [t, ssm] = await Promise.all([startTestStore({ settleMs: 1000 }), startSsmStandIn()]);
  ssm.put(SECRET_NAME, 'cold-start-stream-token-secret-0000000000');
  stubLambdaEnv(t.dynalite.endpoint, {
    TABLE_NAME: t.tableName,
    LOG_LEVEL: 'info',
    // Not a number of milliseconds: the first cold start cannot build its configuration.
    POLL_INTERVAL_MS: 'every second',
    HEARTBEAT_INTERVAL_MS: '1000',
    STREAM_DEADLINE_MARGIN_MS: '1000',
    STREAM_FLUSH_PADDING_BYTES: String(PADDING_BYTES),
    STREAM_TOKEN_SECRET: '',
    STREAM_TOKEN_SECRET_PARAMETER: SECRET_NAME,
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: '',
  });
  output = captureOutput();
});
afterAll(async () => {
  output.restore();
  vi.unstubAllEnvs();
  await Promise.all([t.close(), ssm.close()]);
});

/** Runs the handler to completion and decodes what the Function URL would send. */
async function invoke(event: object, remainingMs = 5000) {
  const response = collectingResponse();
  await handler(event as LambdaFunctionURLEvent, response.stream, contextWithDeadline(remainingMs));
  await response.finished;
  return response.decode();
}

const logLines = (message: string) => output.lines().filter((line) => line.message === message);

describe('a cold start', () => {
  it('that cannot build its configuration is a 500 problem naming nothing of it, and logs why', async () => {
    const { prelude, body } = await invoke(functionUrlEvent('GET', '/api/v2/stream'));

    expect(prelude.statusCode).toBe(500);
    expect(prelude.headers).toMatchObject({ ...API_SECURITY_HEADERS, 'Content-Type': 'application/problem+json' });
    expect(JSON.parse(body)).toEqual({
      type: '/problems/internal',
      title: 'Internal server error',
      status: 500,
      instance: '/api/v2/stream',
    });
    expect(body).not.toContain('POLL_INTERVAL_MS');
    expect(logLines('cold start failed')).toHaveLength(1);
  });

  it('that cannot read its secrets from SSM is a 503 with Retry-After, and logs why', async () => {
    vi.stubEnv('POLL_INTERVAL_MS', '200');
    ssm.outage = true;
    try {
      const { prelude, body } = await invoke(functionUrlEvent('GET', '/api/v2/stream'));

      expect(prelude.statusCode).toBe(503);
      expect(prelude.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Retry-After': '5' });
      expect(checkProblem(JSON.parse(body))).toMatchObject({
        ok: true,
        value: { type: '/problems/unavailable', status: 503 },
      });
      expect(logLines('cold start failed')).toHaveLength(2);
    } finally {
      ssm.outage = false;
    }
  });

  it('is tried again by the next invocation, which serves once the cause is gone', async () => {
    const { prelude, body } = await invoke(functionUrlEvent('HEAD', '/api/v2/stream'));

    expect(prelude.statusCode).toBe(200);
    expect(prelude.headers).toMatchObject({ 'Content-Type': 'text/event-stream; charset=utf-8' });
    expect(body).toBe('');
  });
});

describe('the started function', () => {
  it('follows every write with an SSE comment of STREAM_FLUSH_PADDING_BYTES, and every event still reads back valid', async () => {
    const { prelude, body } = await invoke(functionUrlEvent('GET', '/api/v2/stream'), 3000);

    expect(prelude.statusCode).toBe(200);
    const { frames, comments } = parseSseText(body);
    expect(frames.map((frame) => frame.event)).toContain('stream_open');
    expect(frames.at(-1)?.event).toBe('reconnect');
    for (const frame of frames) expect(parseEvent(frame, 'globalStream')).toMatchObject({ ok: true });
    // The opening, at least one heartbeat and the reconnect hint are separate writes.
    expect(comments.length).toBeGreaterThanOrEqual(3);
    for (const comment of comments) expect(comment.trim()).toBe('');
    expect(comments.every((comment) => comment.length >= PADDING_BYTES - 1)).toBe(true);
    // The last write is padded too: nothing is left waiting behind it.
    expect(body.trimEnd().endsWith(':')).toBe(true);
  });

  it.each([
    ['twice', 'last_event_id=a&last_event_id=b'],
    ['three times', 'last_event_id=a&last_event_id=b&last_event_id=c'],
  ])('refuses a parameter given %s with a 400 naming it', async (_name, query) => {
    const { prelude, body } = await invoke(functionUrlEvent('GET', '/api/v2/stream', { query }));

    expect(prelude.statusCode).toBe(400);
    const problem = checkProblem(JSON.parse(body));
    expect(problem).toMatchObject({ ok: true, value: { type: '/problems/invalid-request' } });
    expect(problem.ok && problem.value.errors?.map((error) => error.pointer)).toEqual(['/last_event_id']);
  });

  it('logs the client of an event without a source IP as unknown, and others by their address', async () => {
    const anonymous = functionUrlEvent('GET', '/api/v2/stream');
    Reflect.deleteProperty(anonymous.requestContext.http, 'sourceIp');
    const before = logLines('stream opened').length;

    const answers = await Promise.all([
      invoke(anonymous, 2200),
      invoke(functionUrlEvent('GET', '/api/v2/stream'), 2200),
    ]);

    expect(answers.map((answer) => answer.prelude.statusCode)).toEqual([200, 200]);
    const clients = logLines('stream opened')
      .slice(before)
      .map((line) => line.client_id)
      .sort();
    expect(clients).toEqual(['ip:203.0.113.7', 'ip:unknown']);
  });

  it('drops a response stream that takes nothing for three heartbeat intervals, logged as stalled', async () => {
    // Takes the first chunk and never asks for more: a client that stopped reading.
    const stuck = new Writable({
      write() {
        // Never calls back.
      },
    });
    const dropsBefore = logLines('stream closed').filter((line) => line.close_reason === 'stalled').length;

    void handler(functionUrlEvent('GET', '/api/v2/stream'), stuck, contextWithDeadline(30_000));
    await vi.waitFor(
      () => {
        const drops = logLines('stream closed').filter((line) => line.close_reason === 'stalled');
        expect(drops.length).toBe(dropsBefore + 1);
      },
      { timeout: 8000, interval: 100 },
    );

    expect(logLines('stream closed').at(-1)).toMatchObject({ level: 'WARN', client_id: 'ip:203.0.113.7' });
  });
});
