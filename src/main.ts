/**
 * `npm start`: the whole of tickerpulse in one process. Embedded dynalite (in memory, or on disk
 * under DATA_DIR), the table, a day of demo data, the simulator, REST on PORT. Ctrl-C or SIGTERM
 * shuts everything down cleanly.
 */
import { ConfigError, describeConfig, loadConfig } from './config.ts';
import { startSimulator } from './demo/simulator.ts';
import { createLogger } from './observability/logger.ts';
import { startLocalServer } from './runtime/local-server.ts';

/** A stuck shutdown must not keep the process alive. */
const SHUTDOWN_DEADLINE_MS = 5000;
const DEV_USER_ID = 'dev-user';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  logger.info('starting', { config: describeConfig(config) });
  const started = performance.now();
  const server = await startLocalServer(config, { logger, seedDemoData: true });
  const simulator = config.simulate
    ? startSimulator({ baseUrl: server.url, ingestApiKey: server.secrets.ingestApiKey, logger })
    : undefined;

  const lines = [
    '',
    `tickerpulse is running (${Math.round(performance.now() - started)} ms to start)`,
    `  dashboard       ${server.url}/`,
    `  REST API        ${server.url}/api/v2/metrics   ${server.url}/api/v2/items`,
    `  live stream     ${server.url}/api/v2/stream   (SSE; configurations: /api/v2/configurations/{id}/stream)`,
    `  health          ${server.url}/health   metrics ${server.url}/metrics`,
    `  store           ${server.storeDescription}, table ${config.tableName}${server.seeded > 0 ? `, seeded ${server.seeded} demo items` : ''}`,
    `  ingest key      ${server.secrets.ingestApiKey}${server.secrets.ingestApiKeyGenerated ? '   (generated; set INGEST_API_KEY to choose one)' : ''}`,
    `  dev user id     ${DEV_USER_ID}   (send as X-User-ID${config.authTrustUserIdHeader ? '' : '; AUTH_TRUST_USER_ID_HEADER is off'})`,
    `  simulator       ${simulator === undefined ? 'off (SIMULATE=0)' : 'posting an item about every second (SIMULATE=0 turns it off)'}`,
    '',
    `  try: curl -s ${server.url}/api/v2/items?limit=3`,
    `       curl -s -H 'X-User-ID: ${DEV_USER_ID}' -H 'content-type: application/json' \\`,
    `         -d '{"name":"Megacap","tickers":["AAPL","MSFT"]}' ${server.url}/api/v2/configurations`,
    '',
  ];
  process.stdout.write(lines.join('\n'));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    const deadline = setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    simulator?.stop();
    server.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error: error as Error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
}

await main();
