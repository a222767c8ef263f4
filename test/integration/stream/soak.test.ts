/**
 * Soak: thousands of streams abandoned at every stage a client can leave — before its request
 * is complete, while it is being authorized, while it replays from a cursor, and once live —
 * must leave no stream counted, no subscriber held and no memory growing.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../../src/store/index.ts';
import { createApiClient } from '../../support/api-client.ts';
import { openStream } from '../../support/sse-client.ts';
import { startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

/** Cycles per stage; four stages. Bounded, and all on loopback. */
const CYCLES = 500;
const CONCURRENCY = 16;
const FEED_ITEMS = 150;

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
let server: LocalServer;
const api = createApiClient(() => server.url);

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  proxy = await startStoreProxy(dynalite.endpoint);
  server = await startTestServer({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    POLL_INTERVAL_MS: '200',
    HEARTBEAT_INTERVAL_MS: '1000',
    FEED_SETTLE_MS: '500',
    MAX_CONNECTIONS: '50',
  });
});
afterAll(async () => {
  await server.close();
  await proxy.close();
  await dynalite.close();
});

/** A heap measure after a full collection (the test process also holds the server). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function rawSocket(): Promise<Socket> {
  const { port } = new URL(server.url);
  const socket = connect({ host: '127.0.0.1', port: Number(port) });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return socket;
}

const request = (path: string, headers = '') =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${headers}\r\n`;

/** Resolves once `socket` has received at least `bytes` bytes (or closed). */
const received = (socket: Socket, bytes: number) =>
  new Promise<void>((resolve) => {
    let total = 0;
    socket.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total >= bytes) resolve();
    });
    socket.once('close', () => {
      resolve();
    });
  });

async function inParallel(count: number, cycle: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await cycle(next++);
    }),
  );
}

it('leaves no stream, subscriber or memory behind after thousands of abandoned streams', async () => {
  // A cursor from before the feed was filled: a resume from it replays every item.
  const first = await openStream(`${server.url}/api/v2/stream`);
  await first.waitFor((events) => events.some((e) => e.event === 'stream_open'));
  first.close();
  const resumeFrom = encodeURIComponent(first.lastEventId() ?? '');
  for (let i = 0; i < FEED_ITEMS; i += 25) {
    const items = Array.from({ length: 25 }, (_, j) => ({
      item_id: `soak-${i + j}`,
      ticker: ['AAPL', 'MSFT', 'NVDA'][(i + j) % 3],
      sentiment: 'neutral',
      score: 0,
      timestamp: '2026-11-21T09:00:00Z',
    }));
    await api.request('/api/v2/items', { method: 'POST', headers: { 'x-api-key': TEST_INGEST_KEY }, json: { items } });
  }
  const created = await api.request('/api/v2/configurations', {
    method: 'POST',
    headers: { 'x-user-id': 'soak' },
    json: { name: 'Soak', tickers: ['AAPL', 'NVDA'] },
  });
  const configId = (created.body as { config_id: string }).config_id;
  proxy.hook = (call) => (call.operation === 'GetItem' ? { delayMs: 5 } : 'forward');

  const stages: Record<string, (i: number) => Promise<void>> = {
    beforeHeaders: async (i) => {
      const socket = await rawSocket();
      socket.write(request('/api/v2/stream').slice(0, 10 + (i % 40)));
      socket.destroy();
    },
    duringAuthorization: async (i) => {
      const socket = await rawSocket();
      socket.write(request(`/api/v2/configurations/${configId}/stream`, 'X-User-ID: soak\r\n'));
      await sleep(i % 8);
      socket.destroy();
    },
    duringReplay: async (i) => {
      const socket = await rawSocket();
      socket.write(request(`/api/v2/stream?last_event_id=${resumeFrom}`));
      // The opening is about 1 KB; past it, the replay is under way.
      await received(socket, 2_000 + (i % 10) * 2_500);
      socket.destroy();
    },
    live: async (i) => {
      const s = await openStream(`${server.url}/api/v2/stream`);
      await s.waitFor((events) => events.some((e) => e.event === 'heartbeat'));
      if (i % 2 === 0) s.close();
      else {
        s.close();
        await s.ended.catch(() => undefined);
      }
    },
  };

  // A first round warms every path up (JIT, pools, caches) before the baseline is taken.
  for (const cycle of Object.values(stages)) await inParallel(CYCLES / 10, cycle);
  await expect.poll(() => server.hub.size, { timeout: 10_000 }).toBe(0);
  const heapBefore = heapAfterGc();

  for (const cycle of Object.values(stages)) await inParallel(CYCLES, cycle);

  await expect.poll(() => server.hub.size, { timeout: 10_000 }).toBe(0);
  const metrics = (await api.request('/metrics')).text;
  const growth = heapAfterGc() - heapBefore;
  const gauges = [...metrics.matchAll(/^tickerpulse_stream_connections\{stream="(\w+)"\} (\d+)$/gm)];
  expect(gauges.map(([, stream, value]) => [stream, value])).toContainEqual(['global', '0']);
  expect(gauges.every(([, , value]) => value === '0')).toBe(true);
  // Held subscribers, buffers or listeners would cost far more than this over 1,600 streams.
  expect(growth).toBeLessThan(8 * 1024 * 1024);
  // The public stream still opens: nothing holds its slots.
  const after = await openStream(`${server.url}/api/v2/stream`);
  expect(after.status).toBe(200);
  after.close();
}, 240_000);
