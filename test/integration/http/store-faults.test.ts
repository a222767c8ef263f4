/**
 * Store faults met while a request is being served, on the real server whose DynamoDB calls go
 * through a loopback proxy that answers some of them with DynamoDB errors. A fault a retry can
 * get past (the store failing on its side) is a 503 with Retry-After; one no code path expects
 * is a 500 that names nothing of it and is logged with the path only (never a stream token from
 * the query). Both for an ingest and for a configuration stream, which must read the store to be
 * authorized, before its first byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamTokens } from '../../../src/auth/index.ts';
import { loadConfig } from '../../../src/config.ts';
import { type LocalServer, startLocalServer } from '../../../src/runtime/local-server.ts';
import { type EmbeddedDynalite, startEmbeddedDynalite } from '../../../src/store/index.ts';
import { createApiClient } from '../../support/api-client.ts';
import { type CapturingLogger, capturingLogger } from '../../support/capturing-logger.ts';
import { openStream } from '../../support/sse-client.ts';
import { type StoreCall, startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { TEST_INGEST_KEY, TEST_JWT_SECRET } from '../../support/test-server.ts';
import { itemInput } from '../../support/test-store.ts';

const CONFIG_ID = '5e7a9c1b-3d4f-4a6b-8c0d-2e4f6a8b0c1d';
const LEAK = 'arn:aws:dynamodb:eu-west-1:123456789012:table/secret-table';
/** The store refuses what it is sent: no retry helps, and no code path expects it. */
const REFUSED = { status: 400, answer: { __type: 'com.amazon.coral.validate#ValidationException', message: LEAK } };
/** The store fails on its side (retried by the SDK, then given up). */
const FAILING = {
  status: 500,
  answer: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: LEAK },
};

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
let server: LocalServer;
let logger: CapturingLogger;
const api = createApiClient(() => server.url);

/** Calls naming this text (a user's partition, an item id) get the fault of `faults`. */
const faults = new Map<string, typeof REFUSED>();
const faultFor = (call: StoreCall) => {
  const input = JSON.stringify(call.input);
  for (const [text, fault] of faults) if (input.includes(text)) return fault;
  return 'forward' as const;
};

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  proxy = await startStoreProxy(dynalite.endpoint);
  logger = capturingLogger('WARN');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATE: '0',
    LOG_LEVEL: 'warn',
    POLL_INTERVAL_MS: '60000',
    DYNAMODB_ENDPOINT: proxy.endpoint,
    INGEST_API_KEY: TEST_INGEST_KEY,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
  });
  server = await startLocalServer(config, { logger });
  proxy.hook = faultFor;
});
afterAll(async () => {
  await server.close();
  await proxy.close();
  await dynalite.close();
});

const errorLines = () => logger.lines.filter((line) => line.level === 'ERROR');

describe('an ingest', () => {
  it('is a 503 with Retry-After when the store fails on its side, and a retry after it is stored', async () => {
    const item = itemInput({ timestamp: new Date().toISOString() });
    faults.set(`ITEM#${item.item_id}`, FAILING);

    const failed = await api.request('/api/v2/items', {
      method: 'POST',
      headers: { 'x-api-key': TEST_INGEST_KEY },
      json: { items: [item] },
    });
    faults.delete(`ITEM#${item.item_id}`);

    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    expect(failed.text).not.toContain('secret-table');
    const retried = await api.request('/api/v2/items', {
      method: 'POST',
      headers: { 'x-api-key': TEST_INGEST_KEY },
      json: { items: [item] },
    });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ accepted: 1, duplicates: 0 });
  });

  it('is a 500 that names nothing, logged, when the store refuses what it was sent', async () => {
    const item = itemInput({ timestamp: new Date().toISOString() });
    faults.set(`ITEM#${item.item_id}`, REFUSED);
    const logged = errorLines().length;

    const failed = await api.request('/api/v2/items', {
      method: 'POST',
      headers: { 'x-api-key': TEST_INGEST_KEY },
      json: { items: [item] },
    });
    faults.delete(`ITEM#${item.item_id}`);

    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({
      type: '/problems/internal',
      title: 'Internal server error',
      status: 500,
      instance: '/api/v2/items',
    });
    expect(errorLines().slice(logged)).toMatchObject([{ message: 'request failed', path: '/api/v2/items' }]);
  });
});

describe('a configuration stream whose configuration cannot be read', () => {
  const streamUrl = (query = '') => `${server.url}/api/v2/configurations/${CONFIG_ID}/stream${query}`;

  it('is a 503 with Retry-After before any stream byte when the store fails on its side', async () => {
    faults.set('USER#unlucky', FAILING);

    const stream = await openStream(streamUrl(), { headers: { 'x-user-id': 'unlucky' } });

    expect(stream.status).toBe(503);
    expect(stream.headers.get('retry-after')).toBe('2');
    expect(stream.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(stream.refusal)).toMatchObject({ type: '/problems/unavailable', status: 503 });
  });

  it('is a 500 that names nothing, logged with the path but not the stream token, when the store refuses the read', async () => {
    faults.set('USER#refused', REFUSED);
    const { token } = await createStreamTokens({ secret: server.secrets.streamTokenSecret, ttlSeconds: 60 }).issue(
      'refused',
      CONFIG_ID,
    );
    const logged = errorLines().length;

    const stream = await openStream(streamUrl(`?token=${token}`), { channel: 'configurationStream' });

    expect(stream.status).toBe(500);
    expect(stream.refusal).not.toContain('secret-table');
    expect(JSON.parse(stream.refusal)).toEqual({
      type: '/problems/internal',
      title: 'Internal server error',
      status: 500,
      instance: `/api/v2/configurations/${CONFIG_ID}/stream`,
    });
    const lines = errorLines().slice(logged);
    expect(lines).toMatchObject([
      { message: 'request failed', path: `/api/v2/configurations/${CONFIG_ID}/stream`, method: 'GET' },
    ]);
    expect(JSON.stringify(lines)).not.toContain(token);
  });
});
