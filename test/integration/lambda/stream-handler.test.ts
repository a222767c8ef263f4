import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkProblem, parseEvent, type StreamEvent } from '../../../src/contract/index.ts';
import { handler } from '../../../src/lambda/stream-handler.ts';
import { collectingResponse, contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { parseSseText } from '../../support/sse-text.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore({ settleMs: 1000 });
  t.setTime(Date.now());
  stubLambdaEnv(t.dynalite.endpoint, {
    TABLE_NAME: t.tableName,
    POLL_INTERVAL_MS: '200',
    HEARTBEAT_INTERVAL_MS: '1000',
    RETRY_MS: '2000',
    FEED_SETTLE_MS: '1000',
    STREAM_DEADLINE_MARGIN_MS: '1000',
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await t.close();
});

/** Runs the handler to completion; returns the decoded prelude and the frames, each checked against the contract. */
async function invoke(event: object, remainingMs: number) {
  const response = collectingResponse();
  await handler(event as LambdaFunctionURLEvent, response.stream, contextWithDeadline(remainingMs));
  await response.finished;
  const { prelude, body } = response.decode();
  const parsed = parseSseText(body);
  const events: StreamEvent[] = [];
  const violations: string[] = [];
  if (prelude.statusCode === 200) {
    for (const frame of parsed.frames) {
      const result = parseEvent(frame, 'globalStream');
      if (result.ok) events.push(result.value);
      else violations.push(JSON.stringify(result.issues));
    }
  }
  return { prelude, body, events, retries: parsed.retries, violations };
}

const stamp = async (count: number) => {
  t.setTime(Date.now());
  const items = Array.from({ length: count }, () => itemInput());
  await t.store.ingest(items);
  return items.map((i) => i.item_id);
};

describe('the SSE Lambda handler', () => {
  let firstRun: Awaited<ReturnType<typeof invoke>>;

  it('streams until STREAM_DEADLINE_MARGIN_MS before the deadline, then ends with a reconnect hint and retry', async () => {
    const running = invoke(functionUrlEvent('GET', '/api/v2/stream'), 3000);
    await new Promise((r) => setTimeout(r, 500));
    const ids = await stamp(2);
    firstRun = await running;

    expect(firstRun.prelude).toMatchObject({
      statusCode: 200,
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        'X-Accel-Buffering': 'no',
      },
    });
    expect(firstRun.events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'fresh' } });
    expect(firstRun.events.flatMap((e) => (e.event === 'new_item' ? [e.data.item_id] : [])).sort()).toEqual(
      [...ids].sort(),
    );
    expect(firstRun.events.at(-1)).toMatchObject({ event: 'reconnect', data: { reason: 'deadline' } });
    expect(firstRun.retries.at(-1)).toBe(
      firstRun.events.at(-1)?.event === 'reconnect'
        ? (firstRun.events.at(-1)?.data as { retry_ms: number }).retry_ms
        : -1,
    );
    expect(firstRun.violations).toEqual([]);
  });

  it('resumes from Last-Event-ID: only what came after, nothing twice', async () => {
    const delivered = firstRun.events.filter(
      (e): e is Extract<StreamEvent, { event: 'new_item' }> => e.event === 'new_item',
    );
    const ids = await stamp(1);

    const resumed = await invoke(
      functionUrlEvent('GET', '/api/v2/stream', { headers: { 'last-event-id': delivered[0]?.id ?? '' } }),
      2200,
    );

    const items = resumed.events.flatMap((e) => (e.event === 'new_item' ? [e.data.item_id] : []));
    expect(resumed.events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'resumed' } });
    expect(items).toEqual([delivered[1]?.data.item_id, ...ids]);
  });

  it('ends at once with a reconnect hint when invoked with its deadline already too close', async () => {
    const result = await invoke(functionUrlEvent('GET', '/api/v2/stream'), 500);
    expect(result.prelude.statusCode).toBe(200);
    expect(result.events.map((e) => e.event)).toEqual(['reconnect']);
    expect(result.retries).toEqual([2000, 2000]);
  });

  it.each([
    [
      'a configuration stream without credentials',
      functionUrlEvent('GET', '/api/v2/configurations/7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23/stream'),
      401,
    ],
    [
      'someone else’s (unknown) configuration',
      functionUrlEvent('GET', '/api/v2/configurations/7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23/stream', {
        headers: { 'x-user-id': 'nobody' },
      }),
      404,
    ],
    ['a path it does not serve', functionUrlEvent('GET', '/api/v2/metrics'), 404],
    ['a method it does not serve', functionUrlEvent('POST', '/api/v2/stream'), 405],
    ['query junk', functionUrlEvent('GET', '/api/v2/stream', { query: 'since=yesterday' }), 400],
    [
      'an Accept without text/event-stream',
      functionUrlEvent('GET', '/api/v2/stream', { headers: { accept: 'application/json' } }),
      406,
    ],
    ['an event with no fields at all', {}, 404],
  ])('answers %s with a problem in the prelude', async (_name, event, status) => {
    const result = await invoke(event, 5000);
    expect(result.prelude).toMatchObject({
      statusCode: status,
      headers: { 'Content-Type': 'application/problem+json' },
    });
    expect(checkProblem(JSON.parse(result.body)).ok).toBe(true);
  });

  it('answers HEAD with the stream headers and no body', async () => {
    const result = await invoke(functionUrlEvent('HEAD', '/api/v2/stream'), 5000);
    expect(result.prelude.statusCode).toBe(200);
    expect(result.body).toBe('');
  });
});
