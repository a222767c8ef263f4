/**
 * An unexpected failure is a 500 problem whose details go to the log only, at every log level:
 * at LOG_LEVEL=debug too, the store's own error text (which can name tables, keys and values)
 * never reaches the client. The store answers through a proxy that turns every Query into an
 * error no code path expects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { type EmbeddedDynalite, startEmbeddedDynalite } from '../../../src/store/index.ts';
import { createApiClient } from '../../support/api-client.ts';
import { startStoreProxy, type StoreProxy } from '../../support/store-proxy.ts';
import { startTestServer } from '../../support/test-server.ts';

const SECRET = 'Table arn:aws:dynamodb:eu-west-1:123456789012:table/secret-name key pk=USER#alice';

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
let server: LocalServer;
const api = createApiClient(() => server.url);

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  proxy = await startStoreProxy(dynalite.endpoint);
  server = await startTestServer({ DYNAMODB_ENDPOINT: proxy.endpoint, LOG_LEVEL: 'debug', POLL_INTERVAL_MS: '60000' });
  proxy.hook = (call) =>
    call.operation === 'Query'
      ? { status: 400, answer: { __type: 'com.amazon.coral.validate#ValidationException', message: SECRET } }
      : 'forward';
});
afterAll(async () => {
  await server.close();
  await proxy.close();
  await dynalite.close();
});

describe('an unexpected store failure at LOG_LEVEL=debug', () => {
  it.each(['/api/v2/items', '/api/v2/items?ticker=AAPL', '/api/v2/metrics'])(
    'answers %s with a 500 problem that names nothing of it',
    async (path) => {
      const answer = await api.request(path);
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({ type: '/problems/internal', status: 500 });
      expect(answer.text).not.toContain('secret');
      expect(answer.text).not.toContain('ValidationException');
      expect((answer.body as { detail?: string }).detail).toBeUndefined();
    },
  );
});
