/**
 * The SSE Lambda drops a response stream that stops taking bytes (close reason `stalled`, the
 * sink destroyed) and then returns at once. It used to hang: ending the response called `end(cb)`
 * on the destroyed stream, whose callback Node never calls, so the invocation ran (and was
 * billed) until the function's hard timeout instead of ending right after the drop.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { handler } from '../../../src/lambda/stream-handler.ts';
import { contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore({ settleMs: 1000 });
  stubLambdaEnv(t.dynalite.endpoint, {
    TABLE_NAME: t.tableName,
    POLL_INTERVAL_MS: '200',
    HEARTBEAT_INTERVAL_MS: '1000',
    STREAM_DEADLINE_MARGIN_MS: '1000',
    // One write over a Writable's 64 KiB buffer: the first write already waits for 'drain'.
    STREAM_FLUSH_PADDING_BYTES: '70000',
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await t.close();
});

it('returns once a stream that takes nothing is dropped, well before its deadline', async () => {
  const stuck = new Writable({ write() {} }); // a client that stopped reading
  const invocation = handler(functionUrlEvent('GET', '/api/v2/stream'), stuck, contextWithDeadline(20_000));
  // Dropped as stalled after 3 heartbeat intervals (3 s); the deadline margin is at 19 s.
  const outcome = await Promise.race([
    invocation.then(() => 'returned'),
    new Promise((resolve) =>
      setTimeout(() => {
        resolve('still running');
      }, 6000),
    ),
  ]);
  expect(outcome).toBe('returned');
}, 15_000);
