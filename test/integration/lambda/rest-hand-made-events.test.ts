/**
 * The REST Lambda on events no Function URL sends but test tools, console tests and other
 * integrations can: a Content-Length header the event's body does not have. An event with no
 * body but a length is a 400 problem saying the body was incomplete (never a 500); an event
 * whose body is there is measured as it is, whatever length it claims.
 */
import type { LambdaFunctionURLResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkProblem } from '../../../src/contract/index.ts';
import { handler } from '../../../src/lambda/rest-handler.ts';
import { API_SECURITY_HEADERS } from '../../../src/http/security-headers.ts';
import { contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

const INGEST_KEY = 'hand-made-events-ingest-key-0001';

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore();
  stubLambdaEnv(t.dynalite.endpoint, { TABLE_NAME: t.tableName, INGEST_API_KEY: INGEST_KEY });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await t.close();
});

async function post(headers: Record<string, string>, body?: string) {
  const event = functionUrlEvent('POST', '/api/v2/items', {
    headers: { 'content-type': 'application/json', 'x-api-key': INGEST_KEY, ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const result: LambdaFunctionURLResult = await handler(event, contextWithDeadline(10_000));
  if (typeof result === 'string') throw new Error('expected a structured result');
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    body: JSON.parse(result.body ?? 'null') as unknown,
  };
}

describe('an ingest event claiming a Content-Length', () => {
  it.each([
    ['no body at all', undefined],
    ['an empty body', ''],
  ])('with %s is a 400 problem saying the body was incomplete', async (_name, body) => {
    const answer = await post({ 'content-length': '100' }, body);

    expect(answer.status).toBe(400);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/problem+json; charset=utf-8',
      ...Object.fromEntries(Object.entries(API_SECURITY_HEADERS).map(([name, value]) => [name.toLowerCase(), value])),
    });
    expect(checkProblem(answer.body)).toMatchObject({
      ok: true,
      value: { type: '/problems/invalid-request', detail: 'The request body was incomplete.' },
    });
  });

  it('that its body does not have is measured as it is, and the batch stored', async () => {
    const item = itemInput({ timestamp: new Date().toISOString() });

    const answer = await post({ 'content-length': '100000' }, JSON.stringify({ items: [item] }));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 1, results: [{ item_id: item.item_id, status: 'created' }] });
  });
});
