/**
 * The REST mock refuses a bad request as the real server does, and says why. Prism alone answered
 * every 400 with the response's first example, which names another input (`/tickr`), let through
 * query parameters an operation does not define (the real server refuses them), never answered a
 * body that is not JSON, and exited on a path segment that does not percent-decode, taking
 * `npm run mock` with it. The proxy in front of it (scripts/mock/rest-proxy.ts) fixes all four;
 * what comes before the parameters on the real server (credentials: 401) still comes first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrismMock, startPrismMock } from '../../scripts/mock/prism.ts';
import { checkResponse, type OperationId } from '../../src/contract/index.ts';
import { freePort } from '../support/free-port.ts';

const CONFIG_ID = '7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23';
const USER = { 'x-user-id': 'mock-user' } as const;
const INGEST = { 'x-api-key': 'mock-key', 'content-type': 'application/json' } as const;
const item = (overrides: Record<string, unknown> = {}) => ({
  item_id: 'mock-1',
  ticker: 'AAPL',
  sentiment: 'positive',
  score: 0.5,
  timestamp: '2026-11-21T09:14:03.120Z',
  ...overrides,
});

let prism: PrismMock;
const logged: string[] = [];
let exited: string | undefined;
beforeAll(async () => {
  prism = await startPrismMock({
    port: await freePort(),
    log: (line) => logged.push(line),
    onExit: (description) => (exited = description),
  });
}, 60_000);
afterAll(async () => {
  await prism.close();
});

interface Answer {
  readonly status: number;
  readonly body: { type?: string; errors?: { location: string; pointer: string; message: string }[] };
}

async function ask(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Answer> {
  const response = await fetch(`${prism.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** A 400 whose errors are exactly `expected` (location and pointer), valid for `operationId`. */
function expectInvalid(answer: Answer, operationId: OperationId, expected: { location: string; pointer: string }[]) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  expect(answer.body.type).toBe('/problems/invalid-request');
  expect(answer.body.errors?.map(({ location, pointer }) => ({ location, pointer }))).toEqual(expected);
  const checked = checkResponse(operationId, 400, 'application/problem+json', answer.body);
  expect(checked.ok ? [] : checked.issues).toEqual([]);
}

describe('a 400 from the REST mock names the offending input', () => {
  it('a body field out of range', async () => {
    const answer = await ask('/api/v2/items', {
      method: 'POST',
      headers: INGEST,
      body: JSON.stringify({ items: [item(), item({ item_id: 'mock-2', score: 5 })] }),
    });
    expectInvalid(answer, 'ingestItems', [{ location: 'body', pointer: '/items/1/score' }]);
  });

  it('several body fields, and one that is not allowed', async () => {
    const answer = await ask('/api/v2/configurations', {
      method: 'POST',
      headers: { ...USER, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Tech', tickers: ['AAPL', 'msft'], colour: 'blue' }),
    });
    expectInvalid(answer, 'createConfiguration', [
      { location: 'body', pointer: '/colour' },
      { location: 'body', pointer: '/tickers/1' },
    ]);
  });

  it.each([
    ['listItems', '/api/v2/items?limit=abc', '/limit'],
    ['getMetricsHistory', '/api/v2/metrics/history?bucket=2h', '/bucket'],
    ['getMetricsHistory', '/api/v2/metrics/history?ticker=aapl', '/ticker'],
  ] as const)('%s: a query parameter of the wrong shape (%s)', async (operationId, path, pointer) => {
    expectInvalid(await ask(path), operationId, [{ location: 'query', pointer }]);
  });

  it('a path parameter that is not a UUID', async () => {
    expectInvalid(await ask('/api/v2/configurations/abc', { headers: USER }), 'getConfiguration', [
      { location: 'path', pointer: '/config_id' },
    ]);
  });

  it('an empty body where one is required', async () => {
    const answer = await ask('/api/v2/items', { method: 'POST', headers: INGEST });
    expectInvalid(answer, 'ingestItems', [{ location: 'body', pointer: '' }]);
  });
});

describe('the REST mock refuses what the real server refuses', () => {
  it('a query parameter the operation does not define', async () => {
    expectInvalid(await ask('/api/v2/items?tickr=AAPL'), 'listItems', [{ location: 'query', pointer: '/tickr' }]);
  });

  it('a query parameter given twice', async () => {
    const answer = await ask('/api/v2/items?limit=1&limit=2');
    expectInvalid(answer, 'listItems', [{ location: 'query', pointer: '/limit' }]);
    expect(answer.body.errors?.[0]?.message).toMatch(/more than once/);
  });

  it('an unknown parameter even when another status is asked for, as for any invalid request', async () => {
    const answer = await ask(`/api/v2/configurations/${CONFIG_ID}?colour=blue`, {
      headers: { ...USER, prefer: 'code=404' },
    });
    expectInvalid(answer, 'getConfiguration', [{ location: 'query', pointer: '/colour' }]);
  });

  it('but credentials come first: 401 before the parameters are looked at', async () => {
    const answer = await ask('/api/v2/configurations?colour=blue');
    expect(answer.status).toBe(401);
    expect(answer.body.type).toBe('/problems/unauthorized');
  });

  it('a body that is not JSON: the malformed-json problem, not a request that never ends', async () => {
    const answer = await ask('/api/v2/items', { method: 'POST', headers: INGEST, body: '{"items": [' });
    expect(answer.status).toBe(400);
    expect(answer.body.type).toBe('/problems/malformed-json');
    expect(
      (await ask('/api/v2/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }))
        .status,
    ).toBe(401);
  });

  it('a path segment that does not percent-decode is a 400, and the mock lives on', async () => {
    expectInvalid(await ask('/api/v2/configurations/%ZZ', { headers: USER }), 'getConfiguration', [
      { location: 'path', pointer: '/config_id' },
    ]);
    expect((await ask('/api/v2/configurations/%ff', { headers: USER })).status).toBe(400);
    expect((await ask('/api/v2/metrics')).status).toBe(200);
    expect(exited).toBeUndefined();
  });
});

describe('what the proxy leaves to Prism', () => {
  it('a valid request, and the documented example when a 400 is asked for', async () => {
    expect((await ask('/api/v2/items?limit=2')).status).toBe(200);
    const asked = await ask('/api/v2/items', { headers: { prefer: 'code=400' } });
    expect(asked.status).toBe(400);
    expect(asked.body.errors?.[0]?.pointer).toBe('/tickr');
    expect(logged).toEqual([]);
  });
});
