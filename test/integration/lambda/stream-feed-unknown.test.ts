/**
 * The SSE Lambda starts an engine per invocation, so a store blip at that moment leaves it
 * without the feed head: the invocation must answer 503 with Retry-After as its prelude, never
 * a 200 stream whose events carry an empty id. The blip is real: the function's Query calls go
 * through a loopback proxy in front of dynalite that drops them while the store is "down".
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkProblem, parseEvent } from '../../../src/contract/index.ts';
import { decodeCursor } from '../../../src/feed/cursor.ts';
import { handler } from '../../../src/lambda/stream-handler.ts';
import { collectingResponse, contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { parseSseText } from '../../support/sse-text.ts';
import { startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;
let proxy: StoreProxy;
let storeDown = true;

beforeAll(async () => {
  t = await startTestStore({ settleMs: 1000 });
  proxy = await startStoreProxy(t.dynalite.endpoint);
  proxy.hook = (call) => (storeDown && call.operation === 'Query' ? 'drop' : 'forward');
  stubLambdaEnv(proxy.endpoint, {
    TABLE_NAME: t.tableName,
    POLL_INTERVAL_MS: '200',
    HEARTBEAT_INTERVAL_MS: '1000',
    STREAM_DEADLINE_MARGIN_MS: '1000',
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await proxy.close();
  await t.close();
});

async function invoke(remainingMs: number) {
  const response = collectingResponse();
  await handler(functionUrlEvent('GET', '/api/v2/stream'), response.stream, contextWithDeadline(remainingMs));
  await response.finished;
  return response.decode();
}

describe('the SSE Lambda invoked while the feed cannot be read', () => {
  it('answers 503 with Retry-After and a problem, and streams nothing', async () => {
    const { prelude, body } = await invoke(2500);
    expect(prelude.statusCode).toBe(503);
    expect(Number(prelude.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(checkProblem(JSON.parse(body))).toMatchObject({ ok: true, value: { status: 503 } });
  });

  it('streams with cursor ids once the store answers again', async () => {
    storeDown = false;
    const { prelude, body } = await invoke(2500);
    expect(prelude.statusCode).toBe(200);
    const frames = parseSseText(body).frames;
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      expect(parseEvent(frame, 'globalStream')).toMatchObject({ ok: true });
      expect(decodeCursor(frame.id ?? '')).not.toBeNull();
    }
  });
});
