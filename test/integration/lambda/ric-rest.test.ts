/**
 * The REST function's bundle under AWS's own runtime interface client (aws-lambda-ric, fetched at
 * test time), against a Runtime API served here on loopback and a dynalite store: the package
 * loads the handler, applies its nodejs24.x arity rule, runs the buffered invoke loop and posts
 * each result; the answers must satisfy the contract. Without a compiled addon, the one POST of a
 * buffered result is made by test/support/ric-native-stand-in.ts, as aws-lambda-cpp makes it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkProblem, checkResponse, matchOperation } from '../../../src/contract/index.ts';
import { functionUrlEvent } from '../../support/lambda-wire.ts';
import { type RicFunction, type RicRuntime, startRicFunction, type TaskRoots } from '../../support/ric-function.ts';
import { type RicBed, startRicBed } from '../../support/ric-bed.ts';
import { TEST_INGEST_KEY } from '../../support/test-server.ts';
import type { TestStore } from '../../support/test-store.ts';

let t: TestStore;
let roots: TaskRoots;
let runtime: RicRuntime;
let fn: RicFunction;
let bed: RicBed | undefined;

beforeAll(async () => {
  bed = await startRicBed();
  ({ runtime, roots, store: t } = bed);
  fn = await startRicFunction({
    runtime,
    taskRoot: roots.rest,
    env: {
      DYNAMODB_ENDPOINT: t.dynalite.endpoint,
      TABLE_NAME: t.tableName,
      INGEST_API_KEY: TEST_INGEST_KEY,
      AUTH_TRUST_USER_ID_HEADER: 'true',
      STREAM_TOKEN_SECRET: 'lambda-test-stream-token-secret-000000000000',
      LOG_LEVEL: 'warn',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
  });
  bed.defer(() => fn.stop());
}, 180_000);
afterAll(async () => {
  await bed?.close();
});

it('starts: the 2-parameter handler passes the runtime’s arity rule', async () => {
  console.log(`init under aws-lambda-ric (${runtime.native} native client): ${(await fn.initMs()).toFixed(0)} ms`);
  expect(fn.api.initErrors).toEqual([]);
});

const item = (id: string) => ({
  item_id: id,
  ticker: 'AAPL',
  sentiment: 'positive',
  score: 0.5,
  timestamp: '2026-11-21T09:00:00Z',
});
const ingest = { 'content-type': 'application/json', 'x-api-key': TEST_INGEST_KEY };

type Options = { headers?: Record<string, string>; body?: string; base64?: boolean };
it.each<[string, string, string, Options, number]>([
  [
    'a valid ingest',
    'POST',
    '/api/v2/items',
    { headers: ingest, body: JSON.stringify({ items: [item('ric-1')] }) },
    200,
  ],
  [
    'a base64 body',
    'POST',
    '/api/v2/items',
    { headers: ingest, body: Buffer.from(JSON.stringify({ items: [item('ric-2')] })).toString('base64'), base64: true },
    200,
  ],
  ['metrics', 'GET', '/api/v2/metrics', {}, 200],
  ['an unknown path', 'GET', '/api/v2/nothing', {}, 404],
  ['no credentials', 'GET', '/api/v2/configurations', {}, 401],
])('answers %s through the runtime, as the contract says', async (_name, method, path, options, status) => {
  const result = await fn.invoke(functionUrlEvent(method, path, options), { remainingMs: 10_000 });

  expect(result).toMatchObject({ outcome: 'response', aborted: false });
  expect(result.headers['content-type']).toBe('application/json');
  expect(result.headers['lambda-runtime-function-response-mode']).toBeUndefined();
  const answer = JSON.parse(result.body.toString('utf8')) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  };
  expect(answer.statusCode).toBe(status);
  const body: unknown = JSON.parse(answer.body);
  const match = matchOperation(method, path);
  const checked =
    match === undefined || status >= 400
      ? checkProblem(body)
      : checkResponse(match.operationId, status, answer.headers['content-type'] ?? null, body);
  expect(checked.ok).toBe(true);
});

it('refuses a 3-parameter handler at init, as nodejs24.x does (Runtime.CallbackHandlerDeprecated)', async () => {
  const taskRoot = join(roots.empty, '..', 'three-parameters');
  mkdirSync(taskRoot);
  writeFileSync(join(taskRoot, 'index.mjs'), 'export const handler = async (event, context, callback) => ({});\n');
  const refused = await startRicFunction({ runtime, taskRoot, env: {} });
  try {
    expect(await refused.exited).toEqual({ code: 1, signal: null });
    expect(refused.api.initErrors.map((e) => e.headers['lambda-runtime-function-error-type'])).toEqual([
      'Runtime.CallbackHandlerDeprecated',
    ]);
    expect(refused.api.nextRequests).toEqual([]);
  } finally {
    await refused.stop();
  }
});

it('reports an invalid configuration as an invocation error (POST …/error), not as an answer', async () => {
  // No AUTH_JWT_SECRET, no AUTH_JWKS_URL, no trusted header: the lambda profile refuses to start.
  const misconfigured = await startRicFunction({
    runtime,
    taskRoot: roots.rest,
    env: { DYNAMODB_ENDPOINT: t.dynalite.endpoint, INGEST_API_KEY: TEST_INGEST_KEY, LOG_LEVEL: 'silent' },
  });
  try {
    const result = await misconfigured.invoke(functionUrlEvent('GET', '/api/v2/metrics'), { remainingMs: 10_000 });
    expect(result.outcome).toBe('error');
    expect(JSON.parse(result.body.toString('utf8'))).toMatchObject({ errorType: 'ConfigError' });
    expect(result.headers['lambda-runtime-function-xray-error-cause']).toContain('ConfigError');
  } finally {
    await misconfigured.stop();
  }
});
