/**
 * subscribe() against servers that are broken or hostile, on loopback: it must neither loop hot
 * (every delay clamped into [250 ms, 10 min]; streams that end right after opening keep the
 * backoff growing) nor buffer without bound (a refusal body is read for 8 KiB at most; a pending
 * SSE event, its unfinished line included, is capped at 1 MiB and the connection fails with a
 * typed reason). Each server counts the requests it got and the bytes it managed to write, so
 * nothing here depends on measuring the client's memory.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type StreamState, type Subscription, subscribe } from 'tickerpulse/client';
import {
  flood,
  frame,
  type HostileServer,
  MiB,
  openPayload,
  SSE_HEADERS,
  startHostileServer,
} from './hostile-server.ts';

/** The documented bounds (docs/client.md), pinned here. */
const MIN_DELAY_MS = 250;
const MAX_DELAY_MS = 600_000;
const MAX_EVENT_CHARS = MiB;
const MAX_REFUSAL_BODY_BYTES = 8 * 1024;
/** How long each hot-loop scenario runs; the issue measured 3 s. */
const WINDOW_MS = 3000;
/** Connects possible in WINDOW_MS if every wait were the floor: the first one plus one per floor. */
const MOST_CONNECTS = 1 + Math.floor(WINDOW_MS / MIN_DELAY_MS);
/** What a hostile body may offer; a client that reads it all makes the server write all of it. */
const BUDGET = 128 * MiB;
/** What the socket buffers of both ends can hold on loopback, with room: reading stopped long before. */
const STALLED = 24 * MiB;

const servers: HostileServer[] = [];
const subscriptions: Subscription[] = [];
afterEach(async () => {
  for (const subscription of subscriptions.splice(0)) subscription.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Watched {
  readonly subscription: Subscription;
  readonly states: StreamState[];
  readonly errors: unknown[];
}

/** Subscribes with the production policy (no test backoff): the bounds under test are its own. */
function watch(server: HostileServer, maxRetries?: number): Watched {
  const states: StreamState[] = [];
  const errors: unknown[] = [];
  const subscription = subscribe(`${server.url}/api/v2/stream`, {
    onEvent: {},
    onState: (state) => states.push(state),
    onError: (error) => errors.push(error),
    ...(maxRetries === undefined ? {} : { maxRetries }),
  });
  subscriptions.push(subscription);
  return { subscription, states, errors };
}

const waitsOf = (watched: Watched) =>
  watched.states.filter((state): state is Extract<StreamState, { state: 'waiting' }> => state.state === 'waiting');

async function serve(behaviour: Parameters<typeof startHostileServer>[0]): Promise<HostileServer> {
  const server = await startHostileServer(behaviour);
  servers.push(server);
  return server;
}

describe('subscribe() does not loop hot against a broken or hostile server', () => {
  it('caps an absurd Retry-After on a 503 at 10 minutes instead of overflowing the timer', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(503, { 'retry-after': '99999999', 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type: '/problems/at-capacity', title: 'At capacity', status: 503 }));
    });
    const watched = watch(server);
    await sleep(WINDOW_MS);
    expect(server.connections).toBe(1);
    expect(waitsOf(watched)).toEqual([{ state: 'waiting', cause: 'refused', delayMs: MAX_DELAY_MS, failures: 1 }]);
  });

  it('caps a reconnect retry_ms of 3e9 at 10 minutes', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.write(`retry: 1000\n\n${frame('stream_open', 'c1', openPayload())}`);
      response.end(frame('reconnect', 'c1', { reason: 'shutdown', retry_ms: 3e9 }));
    });
    const watched = watch(server);
    await sleep(WINDOW_MS);
    expect(server.connections).toBe(1);
    expect(waitsOf(watched)).toMatchObject([{ cause: 'reconnect', delayMs: MAX_DELAY_MS }]);
  });

  it.each([
    {
      scenario: 'a reconnect with retry_ms 0 right after stream_open',
      body: () =>
        frame('stream_open', 'c1', openPayload()) + frame('reconnect', 'c1', { reason: 'shutdown', retry_ms: 0 }),
      cause: 'reconnect',
    },
    {
      scenario: 'retry: 0, then stream_open, then the end of the stream',
      body: () => `retry: 0\n\n${frame('stream_open', 'c1', openPayload(1000, 0))}`,
      cause: 'ended',
    },
  ])('backs off, floor 250 ms, while streams end right after opening: $scenario', async ({ body, cause }) => {
    const server = await serve((_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.end(body());
    });
    const watched = watch(server);
    await sleep(WINDOW_MS);
    watched.subscription.close();
    expect(server.connections).toBeGreaterThanOrEqual(2);
    expect(server.connections).toBeLessThanOrEqual(MOST_CONNECTS);
    const waits = waitsOf(watched);
    // stream_open no longer wipes the count: each short-lived stream is one more failure in a row.
    expect(waits.map((wait) => wait.failures)).toEqual(waits.map((_wait, index) => index + 1));
    for (const wait of waits) {
      expect(wait.cause).toBe(cause);
      expect(wait.delayMs).toBeGreaterThanOrEqual(MIN_DELAY_MS);
    }
  });

  it('reads steering events whose data is not an object (null) without failing on them', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.end('event: stream_open\nid: c1\ndata: null\n\nevent: reconnect\nid: c1\ndata: null\n\n');
    });
    const watched = watch(server);
    await expect.poll(() => waitsOf(watched).length).toBeGreaterThanOrEqual(1);
    expect(waitsOf(watched)[0]).toMatchObject({ cause: 'reconnect', failures: 1 });
    expect(watched.errors).toEqual([]);
  });

  it('starts the count afresh after a stream that stayed open for a heartbeat interval', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.write(frame('stream_open', 'c1', openPayload(1000)));
      const ending = setTimeout(() => response.end(), 1200);
      response.on('close', () => {
        clearTimeout(ending);
      });
    });
    const watched = watch(server);
    await expect.poll(() => waitsOf(watched).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(waitsOf(watched).map((wait) => wait.failures)).toEqual(waitsOf(watched).map(() => 1));
  });
});

describe('subscribe() reads a bounded amount from any server', () => {
  it('reads at most 8 KiB of a refusal body, cancels the rest, and reports a typed refusal', async () => {
    let flooded: Promise<number> = Promise.resolve(0);
    const server = await serve((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/html' });
      flooded = flood(server, response, `<p>${'busy '.repeat(13_106)}</p>\n`, BUDGET);
    });
    const watched = watch(server, 0);
    await expect(watched.subscription.closed).resolves.toEqual({ reason: 'gave_up', status: 503 });
    expect(await flooded).toBeLessThan(STALLED);
    expect(watched.errors).toHaveLength(1);
    expect(watched.errors[0]).toMatchObject({ name: 'StreamRefusedError', status: 503 });
    const { body } = watched.errors[0] as { body: string };
    expect(body.startsWith('<p>busy busy')).toBe(true);
    expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(MAX_REFUSAL_BODY_BYTES);
  });

  it.each([
    { shape: 'an SSE line that never ends', opening: 'data: ', chunk: 'x'.repeat(64 * 1024) },
    { shape: 'an SSE event that never ends', opening: '', chunk: `data: ${'y'.repeat(1018)}\n`.repeat(64) },
  ])('fails the connection with a typed reason on $shape, having read about 1 MiB', async ({ opening, chunk }) => {
    const floods: Promise<number>[] = [];
    const server = await serve((_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.write(frame('stream_open', 'c1', openPayload()) + opening);
      floods.push(flood(server, response, chunk, BUDGET));
    });
    const watched = watch(server, 1);
    await expect(watched.subscription.closed).resolves.toEqual({ reason: 'gave_up' });
    const sent = await Promise.all(floods);
    expect(sent).toHaveLength(2);
    for (const bytes of sent) expect(bytes).toBeLessThan(STALLED);
    expect(waitsOf(watched)).toMatchObject([{ cause: 'too_large', failures: 1 }]);
    expect(watched.errors).toHaveLength(2);
    expect(watched.errors[0]).toMatchObject({ name: 'StreamLimitError', limit: MAX_EVENT_CHARS });
    expect(String(watched.errors[0])).toMatch(/1048576 characters/);
  });
});
