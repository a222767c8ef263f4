/**
 * Security headers on every kind of response of all three servers: the local server (dashboard
 * pages, config.js, JSON, problems, 404s inside and outside /api/, SSE), the REST Lambda and the
 * SSE Lambda. API answers are checked against the contract as everywhere else.
 */
import { connect } from 'node:net';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkProblem, checkResponse } from '../../../src/contract/index.ts';
import { handler as restHandler } from '../../../src/lambda/rest-handler.ts';
import { handler as streamHandler } from '../../../src/lambda/stream-handler.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { collectingResponse, contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const COMMON = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000',
  'cross-origin-opener-policy': 'same-origin',
};
const API_CSP = {
  'default-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};
const dashboardCsp = (connect: string[] = []) => ({
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'", ...connect],
  'form-action': ["'self'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
});

/** A policy as directive → sources, so tests compare meaning rather than spacing and order. */
function parseCsp(header: string | null | undefined): Record<string, string[]> {
  expect(header, 'Content-Security-Policy').toBeTypeOf('string');
  const directives: Record<string, string[]> = {};
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name === undefined || name === '') continue;
    expect(directives, `directive ${name} twice`).not.toHaveProperty(name);
    directives[name.toLowerCase()] = sources;
  }
  return directives;
}

/** Header names lower-cased, whatever the server or the Lambda wire format used. */
function lower(headers: Headers | Record<string, unknown> | undefined): Record<string, string> {
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers ?? {});
  return Object.fromEntries(entries.map(([name, value]) => [name.toLowerCase(), String(value)]));
}

function expectHeaders(headers: Headers | Record<string, unknown> | undefined, csp: Record<string, string[]>) {
  const all = lower(headers);
  expect(all).toMatchObject(COMMON);
  expect(parseCsp(all['content-security-policy'])).toEqual(csp);
}

describe('the local server', () => {
  let server: LocalServer;
  const api = createApiClient(() => server.url);
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['the dashboard page', '/', /^text\/html/],
    ['index.html', '/index.html', /^text\/html/],
    ['its script', '/app.js', /javascript/],
    ['its styles', '/styles.css', /^text\/css/],
    ['its configuration', '/config.js', /^text\/javascript/],
  ])("sends %s with the dashboard's policy", async (_name, path, type) => {
    const response = await fetch(`${server.url}${path}`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(type);
    expectHeaders(response.headers, dashboardCsp());
  });

  it('writes config.js for the same origin when no endpoints are configured', async () => {
    const response = await fetch(`${server.url}/config.js`);

    expect(await response.text()).toBe('window.TICKERPULSE_CONFIG = {"restBaseUrl":"","streamBaseUrl":""};\n');
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  it.each([
    ['JSON', 'GET', '/api/v2/metrics', {}, undefined, 200],
    ['JSON items', 'GET', '/api/v2/items?limit=1', {}, undefined, 200],
    ['a 400 problem', 'GET', '/api/v2/items?limit=0', {}, undefined, 400],
    [
      'a 401 problem',
      'POST',
      '/api/v2/items',
      { 'x-api-key': 'wrong-key-0123456789' },
      {
        items: [
          { item_id: 'headers-1', ticker: 'AAPL', sentiment: 'neutral', score: 0, timestamp: '2026-11-21T09:00:00Z' },
        ],
      },
      401,
    ],
    ['a 404 problem under /api/', 'GET', '/api/v2/nope', {}, undefined, 404],
    ['a 405 problem', 'PUT', '/api/v2/metrics', {}, undefined, 405],
  ])("sends %s with the API's policy", async (_name, method, path, headers, json, status) => {
    const response = await api.request(path, { method, headers, json });

    expect(response.status).toBe(status);
    expectHeaders(response.headers, API_CSP);
  });

  it("sends a 404 outside /api/ (a problem) with the dashboard's policy and nosniff", async () => {
    const response = await fetch(`${server.url}/no-such-page.html`);

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(checkProblem(await response.json()).ok).toBe(true);
    expectHeaders(response.headers, dashboardCsp());
  });

  /** Sends `request` as raw bytes and reads the whole answer: Node answers these before any route. */
  async function rawExchange(
    request: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.end(request);
    let text = '';
    for await (const chunk of socket) text += (chunk as Buffer).toString('latin1');
    const [head = '', body = ''] = text.split('\r\n\r\n');
    const [statusLine = '', ...headerLines] = head.split('\r\n');
    const headers = Object.fromEntries(
      headerLines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }

  it.each([
    [
      'headers over 16 KiB (431)',
      `GET /api/v2/metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
    ['a request that is not HTTP (400)', 'HELLO THERE\r\n\r\n', 400],
    ['a broken header line (400)', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400],
  ])("answers %s, which Node refuses itself, with the API's headers", async (_name, request, status) => {
    const answer = await rawExchange(request);

    expect(answer.status).toBe(status);
    expect(checkProblem(JSON.parse(answer.body)).ok).toBe(true);
    expectHeaders(answer.headers, API_CSP);
  });

  it.each(['/API/v2/items', '/Api/V2/metrics', '/api/V2/metrics', '/API/V2/STREAM'])(
    "answers %s, another letter case of /api/, with the API's policy (it is no page)",
    async (path) => {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expectHeaders(response.headers, API_CSP);
    },
  );

  it('sends health and metrics with nosniff', async () => {
    for (const path of ['/health', '/metrics']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it("opens an SSE stream with the API's policy, as well as HEAD", async () => {
    const controller = new AbortController();
    const stream = await fetch(`${server.url}/api/v2/stream`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    controller.abort();
    const head = await fetch(`${server.url}/api/v2/stream`, { method: 'HEAD' });

    for (const response of [stream, head]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expectHeaders(response.headers, API_CSP);
    }
  });
});

describe('the local server with the dashboard pointed elsewhere', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startTestServer({
      DASHBOARD_REST_BASE_URL: 'https://rest.example.com/prefix/',
      DASHBOARD_STREAM_BASE_URL: 'http://127.0.0.1:4011',
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('lets the page connect to exactly those origins, and tells it the same in config.js', async () => {
    const page = await fetch(`${server.url}/`);
    const config = await fetch(`${server.url}/config.js`);

    expectHeaders(page.headers, dashboardCsp(['https://rest.example.com', 'http://127.0.0.1:4011']));
    expect(await config.text()).toBe(
      'window.TICKERPULSE_CONFIG = {"restBaseUrl":"https://rest.example.com/prefix/","streamBaseUrl":"http://127.0.0.1:4011"};\n',
    );
  });
});

describe('the Lambdas', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await startTestStore();
    stubLambdaEnv(t.dynalite.endpoint, {
      TABLE_NAME: t.tableName,
      INGEST_API_KEY: TEST_INGEST_KEY,
      STREAM_DEADLINE_MARGIN_MS: '1000',
    });
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await t.close();
  });

  it.each([
    ['JSON', '/api/v2/metrics', 'getMetrics', 200],
    ['a 404 problem', '/api/v2/nope', undefined, 404],
  ] as const)("REST: sends %s with the API's policy", async (_name, path, operation, status) => {
    const result = await restHandler(functionUrlEvent('GET', path), contextWithDeadline(10_000));
    if (typeof result === 'string') throw new Error('expected a structured result');
    const headers = lower(result.headers);
    const body: unknown = JSON.parse(result.body ?? 'null');

    expect(result.statusCode).toBe(status);
    if (operation === undefined) expect(checkProblem(body).ok).toBe(true);
    else expect(checkResponse(operation, status, headers['content-type'] ?? null, body).ok).toBe(true);
    expectHeaders(headers, API_CSP);
  });

  async function invokeStream(method: string, path: string, remainingMs: number) {
    const response = collectingResponse();
    const event = functionUrlEvent(method, path) as LambdaFunctionURLEvent;
    await streamHandler(event, response.stream, contextWithDeadline(remainingMs));
    await response.finished;
    return response.decode();
  }

  it("SSE: sends a stream (here, the deadline's reconnect hint), HEAD and a 404 problem with the API's policy", async () => {
    // Less time left than STREAM_DEADLINE_MARGIN_MS: the handler answers with an immediate reconnect.
    const stream = await invokeStream('GET', '/api/v2/stream', 500);
    const head = await invokeStream('HEAD', '/api/v2/stream', 10_000);
    const missing = await invokeStream('GET', '/api/v2/nope', 10_000);

    for (const { prelude } of [stream, head]) {
      expect(prelude.statusCode).toBe(200);
      expect(lower(prelude.headers)['content-type']).toBe('text/event-stream; charset=utf-8');
      expectHeaders(prelude.headers, API_CSP);
    }
    expect(stream.body).toContain('event: reconnect');
    expect(missing.prelude.statusCode).toBe(404);
    expect(checkProblem(JSON.parse(missing.body)).ok).toBe(true);
    expectHeaders(missing.prelude.headers, API_CSP);
  });
});
