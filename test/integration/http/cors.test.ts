/**
 * CORS on the real server, as a browser on another origin sees it: preflights and answers for
 * REST and both streams from the origins `npm start` allows (any port of localhost, 127.0.0.1
 * and [::1]), nothing at all for any other origin or any lookalike, and nothing anywhere when no
 * origin is allowed (`npm run serve`'s default, or `CORS_ALLOWED_ORIGINS=none`). Every answer is
 * also checked against the contract by the API client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

const PAGE = 'http://localhost:5173';

let server: LocalServer;
let closed: LocalServer;
let listed: LocalServer;
beforeAll(async () => {
  [server, closed, listed] = await Promise.all([
    startTestServer({ SIMULATE: '0' }),
    startTestServer({ SIMULATE: '0', CORS_ALLOWED_ORIGINS: 'none' }),
    startTestServer({ SIMULATE: '0', CORS_ALLOWED_ORIGINS: 'https://app.example.com, https://admin.example.com:8443' }),
  ]);
});
afterAll(async () => {
  await Promise.all([server.close(), closed.close(), listed.close()]);
});

const preflight = (base: string, path: string, origin: string, method: string, headers = 'content-type') =>
  fetch(`${base}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });

const corsHeadersOf = (response: Response): Record<string, string> =>
  Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')));

describe('a page on an allowed origin', () => {
  it('gets a 204 preflight for an ingest: the path’s methods, the contract’s request headers, cached an hour', async () => {
    const answer = await preflight(server.url, '/api/v2/items', PAGE, 'POST', 'content-type,x-api-key');
    expect(answer.status).toBe(204);
    expect(corsHeadersOf(answer)).toEqual({
      'access-control-allow-origin': PAGE,
      'access-control-allow-methods': 'GET, POST, HEAD',
      'access-control-allow-headers': 'Content-Type, Authorization, X-API-Key, X-User-ID, Last-Event-ID',
      'access-control-max-age': '3600',
    });
    expect(answer.headers.get('vary')).toBe('Origin');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('gets a configuration’s methods for its path, and a stream’s', async () => {
    const config = await preflight(
      server.url,
      '/api/v2/configurations/6f1c7f52-3d1e-4a57-9a8e-0d6b2c1f4e11',
      PAGE,
      'PUT',
    );
    expect(config.headers.get('access-control-allow-methods')).toBe('GET, PUT, DELETE, HEAD');
    const stream = await preflight(server.url, '/api/v2/stream', 'http://127.0.0.1:8080', 'GET', 'last-event-id');
    expect(stream.status).toBe(204);
    expect(stream.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
  });

  it('reads answers, problems included, with the headers a client needs exposed', async () => {
    const items = await fetch(`${server.url}/api/v2/items?limit=1`, { headers: { origin: PAGE } });
    expect(items.status).toBe(200);
    expect(items.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(items.headers.get('access-control-expose-headers')).toBe('Location, Retry-After, WWW-Authenticate');
    expect(items.headers.get('vary')).toBe('Origin');
    const refused = await fetch(`${server.url}/api/v2/items`, {
      method: 'POST',
      headers: { origin: 'http://[::1]:3001', 'content-type': 'application/json' },
      body: '{"items":[]}',
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://[::1]:3001');
    const ingested = await fetch(`${server.url}/api/v2/items`, {
      method: 'POST',
      headers: { origin: PAGE, 'content-type': 'application/json', 'x-api-key': TEST_INGEST_KEY },
      body: JSON.stringify({
        items: [
          { item_id: 'cors-1', ticker: 'AAPL', sentiment: 'positive', score: 0.4, timestamp: new Date().toISOString() },
        ],
      }),
    });
    expect(ingested.status).toBe(200);
    expect(ingested.headers.get('access-control-allow-origin')).toBe(PAGE);
  });

  it('opens the global stream with the header the browser needs', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${server.url}/api/v2/stream`, {
      headers: { origin: PAGE, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
  });
});

describe('any other origin', () => {
  it.each([
    'https://evil.example',
    'http://localhost.evil.example:5173',
    'http://localhost:5173.evil.example',
    'http://localhost:',
    'http://localhost:99999x',
    'http://localhost',
    'https://localhost:5173',
    'null',
  ])('gets no CORS header at all from %s: its preflight is the API’s 405, its answers unreadable', async (origin) => {
    const answer = await preflight(server.url, '/api/v2/items', origin, 'POST');
    expect(answer.status).toBe(405);
    expect(corsHeadersOf(answer)).toEqual({});
    const read = await fetch(`${server.url}/api/v2/items?limit=1`, { headers: { origin } });
    expect(read.status).toBe(200);
    expect(corsHeadersOf(read)).toEqual({});
    expect(read.headers.get('vary')).toBe('Origin');
  });

  it('is refused by a listed policy, which allows exactly its own origins', async () => {
    const allowed = await preflight(listed.url, '/api/v2/metrics', 'https://admin.example.com:8443', 'GET');
    expect(allowed.status).toBe(204);
    for (const origin of [
      PAGE,
      'https://admin.example.com',
      'https://app.example.com:443x',
      'http://app.example.com',
    ]) {
      const refused = await preflight(listed.url, '/api/v2/metrics', origin, 'GET');
      expect(corsHeadersOf(refused), origin).toEqual({});
    }
  });
});

describe('a server that allows no origin', () => {
  it('sends no CORS header and no Vary to anyone', async () => {
    const answer = await preflight(closed.url, '/api/v2/items', PAGE, 'POST');
    expect(answer.status).toBe(405);
    expect(corsHeadersOf(answer)).toEqual({});
    const read = await fetch(`${closed.url}/api/v2/items?limit=1`, { headers: { origin: PAGE } });
    expect(corsHeadersOf(read)).toEqual({});
    expect(read.headers.get('vary')).toBeNull();
  });
});

describe('the dashboard', () => {
  it('is same-origin only: its files carry no CORS header', async () => {
    const page = await fetch(`${server.url}/`, { headers: { origin: PAGE } });
    expect(page.status).toBe(200);
    expect(corsHeadersOf(page)).toEqual({});
  });
});
