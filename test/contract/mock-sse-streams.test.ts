/**
 * What the mock SSE server streams, against what the contract and the real server promise a
 * frontend developer: the order on connect (`retry:`, `stream_open`, the snapshot, a `heartbeat`
 * at once, not a heartbeat interval later), a configuration's stream carrying only that
 * configuration's tickers (the configurations of the `listConfigurations` example, the ones the
 * REST mock lists), and the edges asked for with `Prefer: scenario=` or `?__scenario=`:
 * `reconnect`, `stream_closed` and `degraded`, each as the real server sends it. Every event is
 * checked against its channel's contract as it arrives.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockSseServer, startMockSseServer } from '../../scripts/mock/sse-server.ts';
import type { ChannelKey, EventPayloads, StreamEvent } from '../../src/contract/index.ts';
import { openStream } from '../support/sse-client.ts';

interface ListedConfiguration {
  readonly config_id: string;
  readonly tickers: readonly string[];
}

/** The configurations Prism lists (the listConfigurations example): those the SSE mock must know. */
const LISTED: readonly ListedConfiguration[] = (() => {
  const spec = parse(readFileSync(resolve(import.meta.dirname, '../../specs/openapi.yaml'), 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
  };
  const list = Object.values(spec.paths)
    .flatMap((item) => Object.values(item))
    .find((operation) => operation.operationId === 'listConfigurations');
  const ok = list?.responses?.['200'] as {
    content: { 'application/json': { examples: Record<string, { value: { configurations: ListedConfiguration[] } }> } };
  };
  return Object.values(ok.content['application/json'].examples).flatMap((example) => example.value.configurations);
})();

const [FIRST, SECOND] = LISTED as [ListedConfiguration, ListedConfiguration];
const STREAM_ACCEPT = { accept: 'text/event-stream, application/problem+json' } as const;
const USER = { 'x-user-id': 'mock-user' } as const;
const configStream = (configId: string): string => `/api/v2/configurations/${configId}/stream`;

let sse: MockSseServer;
beforeAll(async () => {
  sse = await startMockSseServer({ port: 0, intervalMs: 100, heartbeatMs: 1000 });
});
afterAll(async () => {
  await sse.close();
});

const names = (events: readonly StreamEvent[]): string[] => events.map((event) => event.event);
const payloadsOf = <Name extends StreamEvent['event']>(events: readonly StreamEvent[], name: Name) =>
  events.filter((event) => event.event === name).map((event) => event.data as EventPayloads[Name]);

async function open(path: string, headers: Record<string, string> = {}, channel?: ChannelKey) {
  return openStream(`${sse.url}${path}`, {
    headers: { ...STREAM_ACCEPT, ...headers },
    channel: channel ?? (path.startsWith('/api/v2/configurations/') ? 'configurationStream' : 'globalStream'),
  });
}

describe('the order on connect', () => {
  it.each([
    ['the global stream', '/api/v2/stream'],
    ['a configuration stream', configStream(FIRST.config_id)],
  ])('%s: retry, stream_open, metrics, sentiment_updates, then a heartbeat at once', async (_name, path) => {
    const opened = Date.now();
    const stream = await open(path, USER);
    try {
      await stream.waitFor((events) => events.some((event) => event.event === 'heartbeat'), 3000);
      // Heartbeats come every second here: the first one must not be waiting for that timer.
      expect(Date.now() - opened).toBeLessThan(900);
      const upToHeartbeat = names(stream.events).slice(0, names(stream.events).indexOf('heartbeat') + 1);
      const updates = upToHeartbeat.filter((name) => name === 'sentiment_update').length;
      const snapshot = Array.from({ length: updates }, () => 'sentiment_update');
      expect(upToHeartbeat).toEqual(['stream_open', 'metrics', ...snapshot, 'heartbeat']);
      expect(updates).toBeGreaterThan(0);
      expect(stream.retries[0]).toBe(3000);
      expect(payloadsOf(stream.events, 'heartbeat')[0]).toMatchObject({ status: 'ok' });
      expect(stream.violations).toEqual([]);
    } finally {
      stream.close();
    }
  });
});

describe("a configuration's stream carries its tickers only", () => {
  it('knows the configurations of the listConfigurations example, two of them at least', () => {
    expect(LISTED.length).toBeGreaterThanOrEqual(2);
  });

  it.each(LISTED.map((configuration) => [configuration.config_id, configuration] as const))(
    '%s',
    async (_id, configuration) => {
      const tickers = new Set(configuration.tickers);
      const stream = await open(configStream(configuration.config_id), USER);
      try {
        await stream.waitFor((events) => payloadsOf(events, 'new_item').length >= 4, 8000);
        const items = payloadsOf(stream.events, 'new_item');
        expect(items.filter((item) => !tickers.has(item.ticker))).toEqual([]);
        expect(payloadsOf(stream.events, 'sentiment_update').filter((u) => !tickers.has(u.ticker))).toEqual([]);
        for (const metrics of payloadsOf(stream.events, 'metrics')) {
          expect(Object.keys(metrics.by_tag).filter((ticker) => !tickers.has(ticker))).toEqual([]);
          const counted = Object.values(metrics.by_tag).reduce((sum, count) => sum + count, 0);
          expect(metrics.total).toBe(counted);
          expect(metrics.positive + metrics.neutral + metrics.negative).toBe(metrics.total);
        }
        expect(stream.violations).toEqual([]);
      } finally {
        stream.close();
      }
    },
  );

  it('while the global stream carries every ticker, those of both configurations included', async () => {
    const stream = await open('/api/v2/stream');
    try {
      const wanted = new Set([...FIRST.tickers, ...SECOND.tickers]);
      await stream.waitFor((events) => {
        const seen = new Set(payloadsOf(events, 'new_item').map((item) => item.ticker));
        return [...wanted].every((ticker) => seen.has(ticker));
      }, 8000);
      expect(stream.violations).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it('refuses a configuration it does not know with 404, naming those it knows', async () => {
    const response = await fetch(`${sse.url}${configStream('00000000-0000-4000-8000-000000000000')}`, {
      headers: { ...STREAM_ACCEPT, ...USER },
    });
    expect(response.status).toBe(404);
    const problem = (await response.json()) as { type: string; detail: string };
    expect(problem.type).toBe('/problems/not-found');
    for (const configuration of LISTED) expect(problem.detail).toContain(configuration.config_id);
  });
});

describe('edges on request, as the real server sends them', () => {
  it.each([
    ['Prefer: scenario=reconnect', '/api/v2/stream', { prefer: 'scenario=reconnect' }],
    ['?__scenario=reconnect (EventSource)', '/api/v2/stream?__scenario=reconnect', {}],
    ['?__scenario=reconnect on a configuration stream', `${configStream(FIRST.config_id)}?__scenario=reconnect`, USER],
  ])('%s: the opening, then reconnect with its retry, then the end', async (_name, path, headers) => {
    const stream = await open(path, headers);
    await stream.ended;
    const events = names(stream.events);
    expect(events.slice(0, 2)).toEqual(['stream_open', 'metrics']);
    expect(events).toContain('heartbeat');
    expect(events.at(-1)).toBe('reconnect');
    const [reconnect] = payloadsOf(stream.events, 'reconnect');
    expect(reconnect?.reason).toBe('deadline');
    // ±50 % around the stream_open's retry_ms, and sent as the frame's retry: too.
    expect(reconnect?.retry_ms).toBeGreaterThanOrEqual(1500);
    expect(reconnect?.retry_ms).toBeLessThanOrEqual(4500);
    expect(stream.retries).toEqual([3000, reconnect?.retry_ms]);
    expect(stream.violations).toEqual([]);
  });

  it('stream_closed ends a configuration stream for good; coming back finds it gone', async () => {
    const path = `${configStream(FIRST.config_id)}?__scenario=stream_closed`;
    const stream = await open(path, USER);
    await stream.ended;
    expect(names(stream.events).at(-1)).toBe('stream_closed');
    expect(payloadsOf(stream.events, 'stream_closed')).toEqual([{ reason: 'configuration_deleted' }]);
    expect(stream.retries).toEqual([3000]);
    expect(stream.violations).toEqual([]);

    const back = await fetch(`${sse.url}${path}`, {
      headers: { ...STREAM_ACCEPT, ...USER, 'last-event-id': stream.lastEventId() ?? '' },
    });
    expect(back.status).toBe(404);
    expect(await back.json()).toMatchObject({ type: '/problems/not-found', status: 404 });
  });

  it('stream_closed is refused on the global stream, which never closes for good', async () => {
    const response = await fetch(`${sse.url}/api/v2/stream`, {
      headers: { ...STREAM_ACCEPT, prefer: 'scenario=stream_closed' },
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/stream_closed/);
  });

  it('an unknown scenario is refused, naming the known ones', async () => {
    const response = await fetch(`${sse.url}/api/v2/stream?__scenario=outage`, { headers: STREAM_ACCEPT });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: string }).detail).toContain('reconnect, stream_closed, degraded');
  });

  it.each([
    ['Prefer: scenario=degraded', '/api/v2/stream', { prefer: 'scenario=degraded' }],
    ['?__scenario=degraded on a configuration stream', `${configStream(SECOND.config_id)}?__scenario=degraded`, USER],
  ])('%s: no snapshot, heartbeats that report the store degraded and a growing lag, no items', async (_n, path, h) => {
    const stream = await open(path, h);
    try {
      await stream.waitFor((events) => payloadsOf(events, 'heartbeat').length >= 2, 4000);
      expect(names(stream.events)).toEqual(['stream_open', 'heartbeat', 'heartbeat']);
      const [first, second] = payloadsOf(stream.events, 'heartbeat');
      expect(first?.status).toBe('degraded');
      expect(second?.status).toBe('degraded');
      expect(first?.lag_ms).toBeGreaterThanOrEqual(60_000);
      expect(second?.lag_ms).toBeGreaterThan(first?.lag_ms ?? Infinity);
      expect(second?.last_poll_at).toBe(first?.last_poll_at);
      expect(stream.violations).toEqual([]);
    } finally {
      stream.close();
    }
  });
});
