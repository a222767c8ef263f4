/** The real local server (startLocalServer, as `npm start` uses it) on a loopback port for tests. */
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { type LocalServer, startLocalServer } from '../../src/runtime/local-server.ts';

const TEST_INGEST_KEY = 'test-ingest-key-0123456789abcdef';
const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijklmnop';

async function startTestServer(
  env: Record<string, string> = {},
  options: { now?: () => number; maxQueuedBytes?: number } = {},
): Promise<LocalServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATE: '0',
    LOG_LEVEL: 'silent',
    INGEST_API_KEY: TEST_INGEST_KEY,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    ...env,
  });
  return startLocalServer(config, { logger: createLogger('silent'), ...options });
}

export { startTestServer, TEST_INGEST_KEY, TEST_JWT_SECRET };
