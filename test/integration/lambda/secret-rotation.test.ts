/**
 * Secret rotation through both Lambda handlers, as deployed: the secrets live in SSM (the
 * handlers get `<SECRET>_PARAMETER` names only) and are read with AWS's own SSM client, pointed
 * by AWS_ENDPOINT_URL_SSM at a stand-in on 127.0.0.1. The cache's max age is 1 s here
 * (POWERTOOLS_PARAMETERS_MAX_AGE), 5 minutes in the stack.
 */
import type { LambdaFunctionURLResult } from 'aws-lambda';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStreamTokens } from '../../../src/auth/index.ts';
import { handler as restHandler } from '../../../src/lambda/rest-handler.ts';
import { handler as streamHandler } from '../../../src/lambda/stream-handler.ts';
import { collectingResponse, contextWithDeadline, functionUrlEvent, stubLambdaEnv } from '../../support/lambda-wire.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';
import { type SsmStandIn, startSsmStandIn } from './ssm-stand-in.ts';

const NAMES = {
  ingestKey: '/tickerpulse-test/ingest-api-key',
  jwtSecret: '/tickerpulse-test/auth-jwt-secret',
  streamSecret: '/tickerpulse-test/stream-token-secret',
};
const OLD = {
  ingestKey: 'ingest-key-before-rotation-0001',
  jwtSecret: 'jwt-secret-before-rotation-000000000000',
  streamSecret: 'stream-secret-before-rotation-0000000000',
};
const NEW = {
  ingestKey: 'ingest-key-after-rotation-00002',
  jwtSecret: 'jwt-secret-after-rotation-0000000000000',
  streamSecret: 'stream-secret-after-rotation-00000000000',
};
const NO_SUCH_CONFIG = '0b3e6a7d-1c2f-4d5e-8f9a-b0c1d2e3f4a5';
/** Just past the 1 s max age (and the pause after a failed refresh, which equals it). */
const PAST_MAX_AGE_MS = 1150;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let t: TestStore;
let ssm: SsmStandIn;
beforeAll(async () => {
  [t, ssm] = await Promise.all([startTestStore(), startSsmStandIn()]);
  ssm.put(NAMES.ingestKey, OLD.ingestKey);
  ssm.put(NAMES.jwtSecret, OLD.jwtSecret);
  ssm.put(NAMES.streamSecret, OLD.streamSecret);
  stubLambdaEnv(t.dynalite.endpoint, {
    TABLE_NAME: t.tableName,
    // As the stack deploys them: names only, JWTs required.
    AUTH_TRUST_USER_ID_HEADER: 'false',
    STREAM_TOKEN_SECRET: '',
    INGEST_API_KEY_PARAMETER: NAMES.ingestKey,
    AUTH_JWT_SECRET_PARAMETER: NAMES.jwtSecret,
    STREAM_TOKEN_SECRET_PARAMETER: NAMES.streamSecret,
    POWERTOOLS_PARAMETERS_MAX_AGE: '1',
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: '',
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([t.close(), ssm.close()]);
});

type RestHandler = typeof restHandler;

async function rest(
  handler: RestHandler,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
) {
  const event = functionUrlEvent(method, path, { headers, ...(body === undefined ? {} : { body }) });
  const result: LambdaFunctionURLResult = await handler(event, contextWithDeadline(10_000));
  return typeof result === 'string' ? { statusCode: 200, headers: {}, body: result } : result;
}

/** The status of an ingest with this key. */
async function ingestWith(key: string): Promise<number | undefined> {
  const body = JSON.stringify({ items: [itemInput({ timestamp: new Date().toISOString() })] });
  return (
    await rest(restHandler, 'POST', '/api/v2/items', { 'content-type': 'application/json', 'x-api-key': key }, body)
  ).statusCode;
}

const jwtSignedWith = (secret: string) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('rotation-user')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));

/** The status of listing configurations with a JWT signed with this secret. */
async function listWith(secret: string): Promise<number | undefined> {
  const authorization = `Bearer ${await jwtSignedWith(secret)}`;
  return (await rest(restHandler, 'GET', '/api/v2/configurations', { authorization })).statusCode;
}

/** The status the SSE function gives a stream token signed with this secret (404: accepted, no such configuration). */
async function streamWith(secret: string, handler = streamHandler): Promise<number> {
  const { token } = await createStreamTokens({ secret, ttlSeconds: 60 }).issue('rotation-user', NO_SUCH_CONFIG);
  const response = collectingResponse();
  const event = functionUrlEvent('HEAD', `/api/v2/configurations/${NO_SUCH_CONFIG}/stream`, {
    query: `token=${token}`,
  });
  await handler(event, response.stream, contextWithDeadline(10_000));
  await response.finished;
  return response.decode().prelude.statusCode;
}

describe('secrets rotated in SSM', () => {
  it('are used, and the old ones refused, once the max age has passed: no redeploy', async () => {
    expect(await ingestWith(OLD.ingestKey)).toBe(200);
    expect(await listWith(OLD.jwtSecret)).toBe(200);
    expect(await streamWith(OLD.streamSecret)).toBe(404);

    ssm.put(NAMES.ingestKey, NEW.ingestKey);
    ssm.put(NAMES.jwtSecret, NEW.jwtSecret);
    ssm.put(NAMES.streamSecret, NEW.streamSecret);
    // Within the max age the cached values still decide.
    expect(await ingestWith(NEW.ingestKey)).toBe(401);
    expect(await ingestWith(OLD.ingestKey)).toBe(200);

    await sleep(PAST_MAX_AGE_MS);
    expect(await ingestWith(NEW.ingestKey)).toBe(200);
    expect(await ingestWith(OLD.ingestKey)).toBe(401);
    expect(await listWith(NEW.jwtSecret)).toBe(200);
    expect(await listWith(OLD.jwtSecret)).toBe(401);
    expect(await streamWith(NEW.streamSecret)).toBe(404);
    expect(await streamWith(OLD.streamSecret)).toBe(401);
    // Every read decrypted its SecureString.
    expect(ssm.requests.every((request) => request.withDecryption && request.operation === 'GetParameter')).toBe(true);
  });

  it('keep the last values in use through an SSM outage', async () => {
    ssm.outage = true;
    const asked = ssm.requests.length;
    try {
      await sleep(PAST_MAX_AGE_MS);
      expect(await ingestWith(NEW.ingestKey)).toBe(200);
      // SSM was asked (and failed) rather than the cache still being young.
      expect(ssm.requests.length).toBeGreaterThan(asked);
      expect(await listWith(NEW.jwtSecret)).toBe(200);
      expect(await streamWith(NEW.streamSecret)).toBe(404);
      expect(await ingestWith(OLD.ingestKey)).toBe(401);
    } finally {
      ssm.outage = false;
    }
  });

  it('a rotated value too short to be safe is refused, and the previous one stays in use', async () => {
    ssm.put(NAMES.ingestKey, 'short');
    await sleep(PAST_MAX_AGE_MS);
    expect(await ingestWith('short')).toBe(401);
    expect(await ingestWith(NEW.ingestKey)).toBe(200);
    ssm.put(NAMES.ingestKey, NEW.ingestKey);
  });

  it('a cold start while SSM is down answers 503 with Retry-After, and the next invocation starts once SSM is back', async () => {
    vi.resetModules();
    const fresh = {
      rest: (await import('../../../src/lambda/rest-handler.ts')).handler,
      stream: (await import('../../../src/lambda/stream-handler.ts')).handler,
    };
    ssm.outage = true;
    try {
      const refused = await rest(fresh.rest, 'GET', '/api/v2/configurations', {
        authorization: `Bearer ${await jwtSignedWith(NEW.jwtSecret)}`,
      });
      expect(refused.statusCode).toBe(503);
      expect(refused.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Retry-After': '5' });
      expect(JSON.parse(refused.body ?? '')).toMatchObject({ status: 503 });
      expect(await streamWith(NEW.streamSecret, fresh.stream)).toBe(503);
    } finally {
      ssm.outage = false;
    }
    expect(await listWith(NEW.jwtSecret)).toBe(200);
    const started = await rest(fresh.rest, 'GET', '/api/v2/configurations', {
      authorization: `Bearer ${await jwtSignedWith(NEW.jwtSecret)}`,
    });
    expect(started.statusCode).toBe(200);
    expect(await streamWith(NEW.streamSecret, fresh.stream)).toBe(404);
  });
});
