/**
 * The typed stream client (`tickerpulse/client`, subscribe) against the real server on loopback:
 * events arrive typed; after a server-side disconnect it resumes from the last event id with
 * nothing lost or repeated (a cut, a server that refuses for a while, a frozen connection); it
 * honours `reconnect` (waits its retry_ms, resumes from its id) and `Retry-After` at capacity; it
 * reports `reset`; it stops on `stream_closed` and on refusals that retrying cannot fix.
 */
import { decodeCursor } from '../../../src/feed/cursor.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  CLIENT_LIMITS,
  createRestClient,
  type EventPayloads,
  StreamRefusedError,
  type Subscription,
  subscribe,
} from 'tickerpulse/client';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { startTestServer } from '../../support/test-server.ts';
import { ingest, type Recording, record, TEST_BACKOFF, waitForItems, waits } from './recorder.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

const STREAM_ENV = { POLL_INTERVAL_MS: '200', HEARTBEAT_INTERVAL_MS: '1000', RETRY_MS: '600', FEED_SETTLE_MS: '1000' };

let server: LocalServer;
let proxy: TcpProxy;
const open: Subscription[] = [];

beforeAll(async () => {
  server = await startTestServer(STREAM_ENV);
  proxy = await startTcpProxy(server.url);
});
afterEach(() => {
  for (const subscription of open.splice(0)) subscription.close();
  proxy.refuse(false);
  proxy.cut();
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

function follow(url: string, extra: Parameters<typeof record>[1] = {}): Recording {
  const recording = record(url, extra);
  open.push(recording.subscription);
  return recording;
}

/** Nothing lost (every ingested id arrived), nothing repeated (each once). */
function expectEachOnce(recording: Recording, ingested: readonly string[]): void {
  const mine = recording.items.filter((id) => ingested.includes(id));
  expect(mine.toSorted()).toEqual([...ingested].toSorted());
  expect(new Set(recording.items).size).toBe(recording.items.length);
}

describe('subscribe() on the real server', () => {
  it('resumes after the server side cuts the connection and then refuses for a while: nothing lost or repeated', async () => {
    const stream = follow(`${proxy.url}/api/v2/stream`);
    await expect.poll(() => stream.opens).toEqual(['fresh']);
    const before = await ingest(server.url, 3);
    await waitForItems(stream, before);

    proxy.refuse(true);
    proxy.cut();
    // Refused connects are failures in a row: the backoff grows, jittered under its ceiling.
    await expect.poll(() => waits(stream).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const during = await ingest(server.url, 4);
    proxy.refuse(false);

    await waitForItems(stream, during);
    const after = await ingest(server.url, 2);
    await waitForItems(stream, after);

    expectEachOnce(stream, [...before, ...during, ...after]);
    expect(stream.opens).toEqual(['fresh', 'resumed']);
    expect(stream.resets).toBe(0);
    const backoffs = waits(stream);
    expect(backoffs.map((wait) => wait.failures).slice(0, 3)).toEqual([1, 2, 3]);
    for (const wait of backoffs) {
      expect(wait.cause === 'ended' || wait.cause === 'failed', wait.cause).toBe(true);
      // Full jitter under the ceiling, held at the client's delay floor.
      const ceiling = Math.min(TEST_BACKOFF.capMs, TEST_BACKOFF.baseMs * 2 ** (wait.failures - 1));
      expect(wait.delayMs).toBeGreaterThanOrEqual(CLIENT_LIMITS.minDelayMs);
      expect(wait.delayMs).toBeLessThanOrEqual(Math.max(CLIENT_LIMITS.minDelayMs, ceiling - 1));
    }
    // The subscription resumes from the last event it got: at or past the last item's position.
    const last = decodeCursor(stream.subscription.lastEventId ?? '');
    expect(last?.watermark).toBeGreaterThanOrEqual(decodeCursor(stream.ids.at(-1) ?? '')?.watermark ?? Infinity);
  });

  it('honours reconnect after a healthy stream: waits its retry_ms, resumes from its id, and counts no failure', async () => {
    const stream = follow(`${server.url}/api/v2/stream`);
    await expect.poll(() => stream.opens).toEqual(['fresh']);
    const before = await ingest(server.url, 2);
    await waitForItems(stream, before);
    // Healthy: open for at least one heartbeat interval (1 s here), i.e. past a third heartbeat.
    await expect.poll(() => stream.heartbeats.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await sleep(100);

    server.hub.closeAll('deadline');
    await expect.poll(() => stream.reconnects.length).toBe(1);
    const during = await ingest(server.url, 3);
    await waitForItems(stream, during);

    const hint = stream.reconnects[0];
    expect(hint?.reason).toBe('deadline');
    const wait = waits(stream)[0];
    expect(wait).toEqual({ state: 'waiting', cause: 'reconnect', delayMs: hint?.retry_ms, failures: 0 });
    // It did wait that long: the next connect came no sooner (timers never fire early).
    const waited = stream.states.indexOf(wait as never);
    const waitedMs = (stream.stateTimes[waited + 1] ?? 0) - (stream.stateTimes[waited] ?? 0);
    expect(waitedMs).toBeGreaterThanOrEqual((hint?.retry_ms ?? 0) - 2);
    expect(stream.opens).toEqual(['fresh', 'resumed']);
    expectEachOnce(stream, [...before, ...during]);
  });

  it('treats silence for two heartbeat intervals plus the grace as a dead connection and resumes', async () => {
    const stream = follow(`${proxy.url}/api/v2/stream`);
    await expect.poll(() => stream.opens).toEqual(['fresh']);
    proxy.freeze();
    const during = await ingest(server.url, 2);
    // HEARTBEAT_INTERVAL_MS is 1000 here: silence is declared after 2 × 1 s + 3 s.
    await expect.poll(() => waits(stream).map((wait) => wait.cause), { timeout: 10_000 }).toContain('silent');
    await waitForItems(stream, during);
    expect(stream.opens).toEqual(['fresh', 'resumed']);
    expectEachOnce(stream, during);
  });

  it('tells the caller when the server could not honour its cursor (reset)', async () => {
    const stream = follow(`${server.url}/api/v2/stream`, { lastEventId: 'not-a-cursor' });
    await expect.poll(() => stream.opens).toEqual(['reset']);
    expect(stream.resets).toBe(1);
    expect(stream.states).toContainEqual({ state: 'open', outcome: 'reset' });
  });

  it("follows a configuration's stream with a fresh ?token= per connect, and stops for good on stream_closed", async () => {
    const owner = createRestClient({ baseUrl: server.url, headers: { 'x-user-id': 'client-owner' } });
    const created = await owner.POST('/api/v2/configurations', { body: { name: 'Apple', tickers: ['AAPL'] } });
    const configId = created.data?.config_id ?? '';
    expect(created.response.status).toBe(201);
    let tokens = 0;
    const configuration = record(async () => {
      tokens += 1;
      const { data } = await owner.POST('/api/v2/configurations/{config_id}/stream-token', {
        params: { path: { config_id: configId } },
      });
      return `${server.url}/api/v2/configurations/${configId}/stream?token=${encodeURIComponent(data?.token ?? '')}`;
    });
    open.push(configuration.subscription);
    await expect.poll(() => configuration.opens).toEqual(['fresh']);
    const [apple = ''] = await ingest(server.url, 1, 'AAPL');
    await waitForItems(configuration, [apple]);

    server.hub.closeAll('deadline');
    await expect.poll(() => configuration.opens).toEqual(['fresh', 'resumed']);
    expect(tokens).toBe(2);

    const deleted = await owner.DELETE('/api/v2/configurations/{config_id}', {
      params: { path: { config_id: configId } },
    });
    expect(deleted.response.status).toBe(204);
    await expect(configuration.subscription.closed).resolves.toEqual({ reason: 'stream_closed' });
    expect(configuration.states.at(-1)).toEqual({ state: 'closed', reason: 'stream_closed' });
  });

  it('stops on a refusal that retrying cannot fix, and reports it', async () => {
    const stream = follow(`${server.url}/api/v2/configurations/00000000-0000-4000-8000-000000000000/stream`, {
      headers: { 'x-user-id': 'nobody' },
    });
    await expect(stream.subscription.closed).resolves.toEqual({ reason: 'refused', status: 404 });
    expect(waits(stream)).toEqual([]);
    expect(String(stream.errors[0])).toMatch(/404/);
    // Typed: the status, and the contract's problem+json read from the (bounded) body.
    expect(stream.errors[0]).toBeInstanceOf(StreamRefusedError);
    const { problem } = stream.errors[0] as StreamRefusedError;
    expect(problem?.status).toBe(404);
    expect(problem?.type).toMatch(/^\/problems\//);
  });

  it('waits at least Retry-After when the server is at capacity (503), then connects', async () => {
    const small = await startTestServer({ ...STREAM_ENV, MAX_CONNECTIONS: '1' });
    try {
      const first = follow(`${small.url}/api/v2/stream`);
      await expect.poll(() => first.opens).toEqual(['fresh']);
      const second = follow(`${small.url}/api/v2/stream`);
      await expect.poll(() => waits(second).length).toBeGreaterThanOrEqual(1);
      // RETRY_MS 600 makes the server say Retry-After: 1, longer than this backoff's 250 ms ceiling.
      expect(waits(second)[0]).toMatchObject({ cause: 'refused', failures: 1 });
      expect(waits(second)[0]?.delayMs).toBeGreaterThanOrEqual(1000);
      first.subscription.close();
      await expect.poll(() => second.opens, { timeout: 10_000 }).toEqual(['fresh']);
    } finally {
      for (const subscription of open.splice(0)) subscription.close();
      await small.close();
    }
  });

  it('gives up after maxRetries failures in a row', async () => {
    proxy.refuse(true);
    const stream = follow(`${proxy.url}/api/v2/stream`, { maxRetries: 2 });
    await expect(stream.subscription.closed).resolves.toEqual({ reason: 'gave_up' });
    expect(waits(stream).map((wait) => wait.failures)).toEqual([1, 2]);
  });

  it('types handlers from the contract: payloads by event name, unknown events refused', () => {
    const typesOnly = (): void => {
      subscribe('', {
        onEvent: {
          new_item: (item) => expectTypeOf(item).toEqualTypeOf<EventPayloads['new_item']>(),
          metrics: (metrics) => expectTypeOf(metrics.by_tag).toEqualTypeOf<Record<string, number>>(),
          // @ts-expect-error -- the contract has no `new_items` event
          new_items: () => undefined,
        },
      });
      subscribe('', {
        onEvent: {
          heartbeat: (beat) => expectTypeOf(beat).not.toHaveProperty('ticker'),
        },
      });
    };
    expect(typeof typesOnly).toBe('function');
  });
});
