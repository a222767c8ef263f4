/**
 * The REST Lambda on Function URL events must answer exactly as the local server does: same
 * statuses, same problems. Each case runs through both and the answers are compared.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { checkProblem, checkResponse, matchOperation } from '../../../src/contract/index.ts';
import { handler } from '../../../src/lambda/rest-handler.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { type EmbeddedDynalite, startEmbeddedDynalite } from '../../../src/store/index.ts';
import { contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { startTestServer, TEST_INGEST_KEY } from '../../support/test-server.ts';

let local: LocalServer;
let store: EmbeddedDynalite;
beforeAll(async () => {
  // One store behind both: the local server and the Lambda handler see the same data.
  store = await startEmbeddedDynalite({ access: 'any-local-process' });
  local = await startTestServer({ SIMULATE: '0', DYNAMODB_ENDPOINT: store.endpoint });
  stubLambdaEnv(store.endpoint, { INGEST_API_KEY: TEST_INGEST_KEY });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await local.close();
  await store.close();
});

const item = (id: string) => ({
  item_id: id,
  ticker: 'AAPL',
  sentiment: 'positive',
  score: 0.5,
  timestamp: '2026-11-21T09:00:00Z',
});
const json = { 'content-type': 'application/json' };
const key = { 'x-api-key': TEST_INGEST_KEY };

it('is a 2-parameter function (nodejs24.x refuses 3)', () => {
  expect(handler.length).toBeLessThanOrEqual(2);
});

type Options = { headers?: Record<string, string>; body?: string; base64?: boolean; query?: string };
const cases: [name: string, method: string, path: string, options: Options, status: number][] = [
  [
    'a valid ingest',
    'POST',
    '/api/v2/items',
    { headers: { ...json, ...key }, body: JSON.stringify({ items: [item('lambda-1')] }) },
    200,
  ],
  [
    'a base64 body',
    'POST',
    '/api/v2/items',
    {
      headers: { ...json, ...key },
      body: Buffer.from(JSON.stringify({ items: [item('lambda-2')] })).toString('base64'),
      base64: true,
    },
    200,
  ],
  ['malformed JSON', 'POST', '/api/v2/items', { headers: { ...json, ...key }, body: '{"items": [' }, 400],
  [
    'a body over 1 MiB',
    'POST',
    '/api/v2/items',
    { headers: { ...json, ...key }, body: `{"pad":"${'x'.repeat(1024 * 1024)}"}` },
    413,
  ],
  [
    'a body that is not JSON',
    'POST',
    '/api/v2/items',
    { headers: { 'content-type': 'text/plain', ...key }, body: 'items' },
    415,
  ],
  [
    'no ingest key',
    'POST',
    '/api/v2/items',
    { headers: json, body: JSON.stringify({ items: [item('lambda-3')] }) },
    401,
  ],
  [
    'a score out of range',
    'POST',
    '/api/v2/items',
    { headers: { ...json, ...key }, body: JSON.stringify({ items: [{ ...item('lambda-4'), score: 3 }] }) },
    400,
  ],
  ['an unknown path', 'GET', '/api/v2/nothing', {}, 404],
  ['a wrong method', 'DELETE', '/api/v2/items', {}, 405],
  ['query junk', 'GET', '/api/v2/items', { query: 'tickr=AAPL' }, 400],
  ['no credentials', 'GET', '/api/v2/configurations', {}, 401],
  ['metrics', 'GET', '/api/v2/metrics', {}, 200],
];

it.each(cases)('answers %s exactly as the local server does', async (_name, method, path, options, status) => {
  const event = functionUrlEvent(method, path, options);
  const lambda = await handler(event, contextWithDeadline(10_000));
  const body =
    options.base64 === true && options.body !== undefined
      ? Buffer.from(options.body, 'base64').toString('utf8')
      : options.body;
  const direct = await fetch(`${local.url}${path}${options.query === undefined ? '' : `?${options.query}`}`, {
    method,
    headers: options.headers ?? {},
    ...(body === undefined ? {} : { body }),
  });
  const directBody = await direct.text();
  const lambdaBody = typeof lambda === 'string' ? lambda : (lambda.body ?? '');
  const lambdaStatus = typeof lambda === 'string' ? 200 : lambda.statusCode;
  const contentType = typeof lambda === 'string' ? null : String(lambda.headers?.['content-type'] ?? '');

  expect(lambdaStatus).toBe(status);
  expect(direct.status).toBe(status);
  const parsed: unknown = JSON.parse(lambdaBody);
  const match = matchOperation(method, path);
  const checked =
    status >= 400 && (match === undefined || status === 405)
      ? checkProblem(parsed)
      : checkResponse(match?.operationId ?? 'getHealth', status, contentType, parsed);
  expect(checked.ok).toBe(true);
  if (status >= 400) {
    const { instance: _a, ...fromLambda } = parsed as Record<string, unknown>;
    const { instance: _b, ...fromLocal } = JSON.parse(directBody) as Record<string, unknown>;
    expect(fromLambda).toEqual(fromLocal);
  }
});

it('answers an event with missing fields with a problem instead of crashing', async () => {
  const result = await handler({} as LambdaFunctionURLEvent, contextWithDeadline(10_000));
  const answer = typeof result === 'string' ? { statusCode: 200, body: result } : result;
  expect(answer.statusCode).toBe(404);
  expect(checkProblem(JSON.parse(answer.body ?? '')).ok).toBe(true);
});

// The REST function has no stream routes: a stream asked of it is a contract problem that says
// where streams are, not `405 Allow: GET, HEAD` to a GET.
it.each([
  ['streamGlobal', '/api/v2/stream'],
  ['streamConfiguration', '/api/v2/configurations/7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23/stream'],
] as const)('answers %s with a problem naming the stream function', async (operationId, path) => {
  for (const method of ['GET', 'HEAD']) {
    const result = await handler(functionUrlEvent(method, path, {}), contextWithDeadline(10_000));
    const answer = typeof result === 'string' ? { statusCode: 200, body: result, headers: {} } : result;
    expect(answer.statusCode).toBe(400);
    expect(String(answer.headers?.['content-type'] ?? '')).toMatch(/^application\/problem\+json/);
    expect(answer.headers?.allow).toBeUndefined();
    if (method === 'HEAD') continue;
    const body: unknown = JSON.parse(answer.body ?? '');
    expect(checkResponse(operationId, 400, String(answer.headers?.['content-type']), body).ok).toBe(true);
    expect(body).toMatchObject({ type: '/problems/stream-served-elsewhere', status: 400 });
  }
});
