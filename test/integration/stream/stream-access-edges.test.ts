/**
 * The refusals and acceptances of a stream request at its edges, on the real server, every event
 * checked against its channel: an Accept header that is present but empty asks for nothing in
 * particular, so the stream opens; media ranges are matched by type, whatever their case and
 * parameters; a stream token past its expiry is a 401 that says so (a client mints a new one
 * rather than giving up), while a token for another configuration is a 401 of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamTokens } from '../../../src/auth/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { type OpenStream, openStream } from '../../support/sse-client.ts';
import { startTestServer } from '../../support/test-server.ts';

let server: LocalServer;
const api = createApiClient(() => server.url);
const streams: OpenStream[] = [];

beforeAll(async () => {
  server = await startTestServer({ POLL_INTERVAL_MS: '200', HEARTBEAT_INTERVAL_MS: '1000' });
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await server.close();
});

async function open(path: string, headers: Record<string, string>, channel: 'globalStream' | 'configurationStream') {
  const stream = await openStream(`${server.url}${path}`, { headers, channel });
  streams.push(stream);
  return stream;
}

describe('the Accept header of a stream request', () => {
  it.each([
    ['present but empty', ''],
    ['the event-stream type in capitals, with parameters', 'TEXT/EVENT-STREAM;q=1.0'],
    ['a text range among others', 'application/json;q=0.9, text/*;q=0.5'],
  ])('opens the stream when it is %s', async (_name, accept) => {
    const stream = await open('/api/v2/stream', { accept }, 'globalStream');

    expect(stream.status).toBe(200);
    await stream.waitFor((events) => events.some((event) => event.event === 'heartbeat'));
    expect(stream.events[0]).toMatchObject({ event: 'stream_open', data: { outcome: 'fresh' } });
    expect(stream.violations).toEqual([]);
    stream.close();
  });

  it('refuses with 406 when no range covers event streams', async () => {
    const stream = await open('/api/v2/stream', { accept: 'application/json, text/html;q=0.1' }, 'globalStream');

    expect(stream.status).toBe(406);
    expect(JSON.parse(stream.refusal)).toMatchObject({ type: '/problems/not-acceptable', status: 406 });
  });
});

describe('a stream token', () => {
  let configId: string;
  const owner = 'token-holder';

  beforeAll(async () => {
    const created = await api.request('/api/v2/configurations', {
      method: 'POST',
      headers: { 'x-user-id': owner },
      json: { name: 'Chips', tickers: ['NVDA'] },
    });
    configId = (created.body as { config_id: string }).config_id;
  });

  const tokenAt = (issuedAtMs: number, forConfig: string) =>
    createStreamTokens({ secret: server.secrets.streamTokenSecret, ttlSeconds: 60, now: () => issuedAtMs }).issue(
      owner,
      forConfig,
    );

  it('opens its configuration’s stream while it is valid', async () => {
    const { token } = await tokenAt(Date.now(), configId);

    const stream = await open(`/api/v2/configurations/${configId}/stream?token=${token}`, {}, 'configurationStream');

    expect(stream.status).toBe(200);
    await stream.waitFor((events) => events.some((event) => event.event === 'heartbeat'));
    expect(stream.violations).toEqual([]);
    stream.close();
  });

  it('past its expiry is a 401 that says it expired', async () => {
    const { token } = await tokenAt(Date.now() - 10 * 60_000, configId);

    const stream = await open(`/api/v2/configurations/${configId}/stream?token=${token}`, {}, 'configurationStream');

    expect(stream.status).toBe(401);
    expect(stream.headers.get('www-authenticate')).toBe('Bearer');
    expect(JSON.parse(stream.refusal)).toMatchObject({
      type: '/problems/unauthorized',
      detail: 'The stream token has expired; mint a new one.',
    });
  });

  it('for another configuration is a 401 that does not speak of expiry', async () => {
    const { token } = await tokenAt(Date.now(), '00000000-0000-4000-8000-000000000000');

    const stream = await open(`/api/v2/configurations/${configId}/stream?token=${token}`, {}, 'configurationStream');

    expect(stream.status).toBe(401);
    expect(JSON.parse(stream.refusal)).toMatchObject({
      type: '/problems/unauthorized',
      detail: 'The stream token is not valid for this configuration.',
    });
  });
});
