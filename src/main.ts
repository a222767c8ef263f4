/**
 * `npm start`: the whole of tickerpulse in one process. Embedded dynalite (in memory, or on disk
 * under DATA_DIR), the table, a day of demo data, the simulator, REST on PORT. Ctrl-C or SIGTERM
 * shuts everything down cleanly.
 */
import { defineCommand, readCommandLine } from './cli/usage.ts';
import { ConfigError, describeConfig, describeSettings, loadConfig } from './config.ts';
import type { RuntimeSecrets } from './runtime/secrets.ts';

/** A stuck shutdown must not keep the process alive. */
const SHUTDOWN_DEADLINE_MS = 5000;
const DEV_USER_ID = 'dev-user';

/**
 * Secrets are never echoed: a configured key is the operator's and may be a production one. A
 * generated key exists only in this process, so printing it is the only way to use it.
 */
function ingestKeyLine(secrets: RuntimeSecrets): string {
  return secrets.ingestApiKeyGenerated
    ? `${secrets.ingestApiKey}   (generated; set INGEST_API_KEY to choose one)`
    : '(set by INGEST_API_KEY; not shown)';
}

const COMMAND = defineCommand({
  command: 'npm start',
  summary:
    'The whole of tickerpulse in one process, for development: REST API, SSE streams and the dashboard on ' +
    'http://HOST:PORT/, an embedded DynamoDB-compatible store (dynalite; in memory unless DATA_DIR is set) ' +
    'or DYNAMODB_ENDPOINT, the table created when missing, a day of demo data, and a simulator posting ' +
    'items. Prints its URLs, the ingest key and a dev user id. Ctrl-C or SIGTERM stops it within 5 s.',
  options: {},
  environmentNote:
    'every variable is optional; read once at start; blank counts as unset; a bad value stops start-up ' +
    'with one line per problem and exit code 2',
  environment: describeSettings(),
});

async function main(): Promise<void> {
  // Before the configuration: --help works even when the environment holds a bad value.
  readCommandLine(COMMAND);
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
  // Loaded once the command line and the configuration are known good: --help and a bad setting
  // answer at once instead of after loading the server, the store and the AWS SDK.
  const [{ startSimulator }, { createLogger }, { startLocalServer }, { exitOnSignals }] = await Promise.all([
    import('./demo/simulator.ts'),
    import('./observability/logger.ts'),
    import('./runtime/local-server.ts'),
    import('./runtime/shutdown.ts'),
  ]);
  const logger = createLogger(config.logLevel, config.logFormat);
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
    `  ingest key      ${ingestKeyLine(server.secrets)}`,
    `  dev user id     ${DEV_USER_ID}   (send as X-User-ID${config.authTrustUserIdHeader ? '' : '; AUTH_TRUST_USER_ID_HEADER is off'})`,
    `  simulator       ${simulator === undefined ? 'off (SIMULATE=0)' : 'posting an item about every second (SIMULATE=0 turns it off)'}`,
    '',
    `  try: curl -s ${server.url}/api/v2/items?limit=3`,
    `       curl -s -H 'X-User-ID: ${DEV_USER_ID}' -H 'content-type: application/json' \\`,
    `         -d '{"name":"Megacap","tickers":["AAPL","MSFT"]}' ${server.url}/api/v2/configurations`,
    '',
  ];
  process.stdout.write(lines.join('\n'));

  exitOnSignals({
    logger,
    deadlineMs: SHUTDOWN_DEADLINE_MS,
    close: () => {
      simulator?.stop();
      return server.close();
    },
  });
}

await main();
