/**
 * The real server at the edges of what a request can be, each answer checked against the
 * contract: a POST that announces no body at all; media-type parameters around `charset`; paths
 * holding bytes a URI may not, echoed back as a valid `instance`; a path that only looks like a
 * stream's; garbage sent on a connection whose stream is open (cut, never a second status line
 * inside the stream); a cursor listing narrowed to one ticker; the fifty-first configuration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProblem } from '../../../src/contract/index.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { rawConnection, rawExchange } from '../../support/raw-http.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';
import { itemInput } from '../../support/test-store.ts';

let server: LocalServer;
const api = createApiClient(() => server.url);
const withKey = { 'x-api-key': TEST_INGEST_KEY };

beforeAll(async () => {
  server = await startTestServer({ POLL_INTERVAL_MS: '200', HEARTBEAT_INTERVAL_MS: '1000' });
});
afterAll(async () => {
  await server.close();
});

const problemOf = (body: unknown) => {
  const checked = checkProblem(body);
  if (!checked.ok) throw new Error(`not a problem: ${JSON.stringify(checked.issues)}`);
  return checked.value;
};

describe('a POST that announces no body', () => {
  it('is a 400 saying a JSON body is required, when it has neither Content-Length nor Transfer-Encoding', async () => {
    const answer = await rawExchange(
      server.url,
      `POST /api/v2/items HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${TEST_INGEST_KEY}\r\nConnection: close\r\n\r\n`,
    );

    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problemOf(JSON.parse(answer.body))).toMatchObject({
      type: '/problems/invalid-request',
      errors: [{ location: 'body', message: 'a JSON body is required' }],
    });
  });
});

describe('media-type parameters', () => {
  const post = (contentType: string) =>
    api.request('/api/v2/items', {
      method: 'POST',
      headers: { ...withKey, 'content-type': contentType },
      raw: JSON.stringify({ items: [itemInput({ timestamp: new Date().toISOString() })] }),
    });

  it('other than charset are passed over: the body is taken as UTF-8 JSON', async () => {
    const answer = await post('application/json; profile="urn:x"; version=1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 1 });
  });

  it('do not hide a charset other than UTF-8 that follows them', async () => {
    const answer = await post('application/json; version=1; charset="latin1"');
    expect(answer.status).toBe(415);
    expect(answer.body).toMatchObject({ type: '/problems/unsupported-media-type' });
  });

  it('accept a quoted UTF-8 charset after them', async () => {
    expect((await post('application/json; version=1; charset="UTF-8"')).status).toBe(200);
  });
});

describe('a path holding what a URI may not', () => {
  it.each([
    ['stray percent signs', '/api/v2/%ZZ/%', '/api/v2/%25ZZ/%25'],
    ['braces and a backtick', '/api/v2/{id}/`x`', '/api/v2/%7Bid%7D/%60x%60'],
  ])('is a 404 whose instance is the path, percent-encoded: %s', async (_name, path, instance) => {
    const answer = await rawExchange(
      server.url,
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );

    expect(answer.status).toBe(404);
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
    expect(problemOf(JSON.parse(answer.body))).toMatchObject({ status: 404, instance });
  });
});

describe('a path that only looks like a stream', () => {
  it.each([
    ['an unknown resource', '/api/v2/items/stream'],
    ['a configuration path one level too deep', '/api/v2/configurations/a/b/stream'],
  ])('is a 404 problem from the REST app: %s', async (_name, path) => {
    const answer = await api.request(path, { headers: { accept: 'text/event-stream' } });

    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ type: '/problems/not-found', instance: path });
  });
});

describe('garbage on a connection whose stream is open', () => {
  it('cuts the connection without writing a status line into the stream', async () => {
    const connection = await rawConnection(server.url);
    connection.socket.write('GET /api/v2/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    await connection.waitFor((text) => text.includes('event: heartbeat'));

    connection.socket.write('THIS IS NOT HTTP\r\n\r\n');
    const text = await connection.closed;

    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(text).not.toContain('problem');
  });
});

describe('a cursor listing narrowed to one ticker', () => {
  it('has only that ticker’s items that came after the cursor', async () => {
    const before = await api.request('/api/v2/items?limit=1');
    const cursor = (before.body as { cursor: string }).cursor;
    const now = new Date().toISOString();
    const items = [
      itemInput({ ticker: 'NVDA', timestamp: now }),
      itemInput({ ticker: 'AMD', timestamp: now }),
      itemInput({ ticker: 'NVDA', timestamp: now }),
    ];
    expect((await api.request('/api/v2/items', { method: 'POST', headers: withKey, json: { items } })).status).toBe(
      200,
    );

    const narrowed = await api.request(`/api/v2/items?after=${encodeURIComponent(cursor)}&ticker=NVDA`);

    expect(narrowed.status).toBe(200);
    const listed = (narrowed.body as { items: { item_id: string; ticker: string }[] }).items;
    expect(listed.map((item) => item.item_id).sort()).toEqual(
      items
        .filter((item) => item.ticker === 'NVDA')
        .map((item) => item.item_id)
        .sort(),
    );
  });
});

describe('a user’s configurations', () => {
  it('stop at 50: the next one is a 409 naming the limit, and nothing more is stored', async () => {
    const owner = { 'x-user-id': 'collector' };
    for (let start = 0; start < 50; start += 10) {
      const created = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          api.request('/api/v2/configurations', {
            method: 'POST',
            headers: owner,
            json: { name: `watchlist ${start + i}`, tickers: ['AAPL'] },
          }),
        ),
      );
      expect(created.map((answer) => answer.status)).toEqual(Array.from({ length: 10 }, () => 201));
    }

    const refused = await api.request('/api/v2/configurations', {
      method: 'POST',
      headers: owner,
      json: { name: 'one too many', tickers: ['MSFT'] },
    });

    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: '/problems/conflict' });
    expect((refused.body as { detail: string }).detail).toContain('50 configurations');
    const listed = await api.request('/api/v2/configurations', { headers: owner });
    expect((listed.body as { configurations: unknown[] }).configurations).toHaveLength(50);
  });
});
