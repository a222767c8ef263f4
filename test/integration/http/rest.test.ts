import { afterAll, beforeAll } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { startTestServer } from '../../support/test-server.ts';
import { defineRestSuite } from './rest-suite.ts';

let server: LocalServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const api = createApiClient(() => server.url);
defineRestSuite('REST API on a real server and store', () => ({ api, store: server.store, viaPrism: false }));
