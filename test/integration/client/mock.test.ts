/**
 * The client against what `npm run mock` starts, the frontend developer's setup without a
 * backend: the REST client against the Prism mock (answers from the spec's examples), the stream
 * client against the mock SSE server (Prism cannot stream), which keeps no history and so
 * answers any resume with `reset`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient } from 'tickerpulse/client';
import { checkResponse } from '../../../src/contract/index.ts';
import { type PrismMock, startPrismMock } from '../../../scripts/mock/prism.ts';
import { type MockSseServer, startMockSseServer } from '../../../scripts/mock/sse-server.ts';
import { freePort } from '../../support/free-port.ts';
import { record, waits } from './recorder.ts';

let prism: PrismMock;
let sse: MockSseServer;

beforeAll(async () => {
  [prism, sse] = await Promise.all([
    freePort().then((port) => startPrismMock({ port })),
    startMockSseServer({ port: 0, intervalMs: 200 }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([prism.close(), sse.close()]);
});

describe('the client against npm run mock', () => {
  it('reads the REST mock, typed, with answers that hold to the contract', async () => {
    const rest = createRestClient({ baseUrl: prism.url });
    const metrics = await rest.GET('/api/v2/metrics');
    expect(metrics.response.status).toBe(200);
    const contentType = metrics.response.headers.get('content-type');
    expect(checkResponse('getMetrics', 200, contentType, metrics.data).ok).toBe(true);
    expect(metrics.data?.total).toBe(
      (metrics.data?.positive ?? 0) + (metrics.data?.neutral ?? 0) + (metrics.data?.negative ?? 0),
    );
    const items = await rest.GET('/api/v2/items', { params: { query: { limit: 2 } } });
    expect(items.response.status).toBe(200);
    expect(checkResponse('listItems', 200, items.response.headers.get('content-type'), items.data).ok).toBe(true);
  });

  it('follows the mock stream, and reports reset when resuming there', async () => {
    const stream = record(`${sse.url}/api/v2/stream`);
    try {
      await expect.poll(() => stream.items.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
      expect(stream.opens).toEqual(['fresh']);
      expect(stream.resets).toBe(0);
    } finally {
      stream.subscription.close();
    }

    const resumed = record(`${sse.url}/api/v2/stream`, { lastEventId: stream.subscription.lastEventId ?? '' });
    try {
      await expect.poll(() => resumed.opens, { timeout: 5000 }).toEqual(['reset']);
      expect(resumed.resets).toBe(1);
      await expect.poll(() => resumed.items.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
      expect(waits(resumed)).toEqual([]);
      expect(resumed.errors).toEqual([]);
    } finally {
      resumed.subscription.close();
    }
    await expect(resumed.subscription.closed).resolves.toEqual({ reason: 'closed' });
  });
});
