/**
 * The REST suite again, through `prism proxy --errors` in front of the real server: Prism checks
 * every response against specs/openapi.yaml independently of our generated validators, and any
 * violation fails the suite (a 500 with `sl-violations` instead of the real answer).
 */
import { afterAll, beforeAll } from 'vitest';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { defineRestSuite } from '../integration/http/rest-suite.ts';
import { createApiClient } from '../support/api-client.ts';
import { type PrismProxy, startPrismProxy } from '../support/prism-proxy.ts';
import { startTestServer } from '../support/test-server.ts';

let server: LocalServer;
let prism: PrismProxy;
beforeAll(async () => {
  server = await startTestServer();
  prism = await startPrismProxy(server.url);
});
afterAll(async () => {
  await prism.close();
  await server.close();
});

const api = createApiClient(() => prism.url);
defineRestSuite('REST API through prism proxy --errors', () => ({ api, store: server.store, viaPrism: true }));
