/**
 * `npm run serve`: the production server. REST, SSE and the dashboard from one long-lived
 * process, on DynamoDB through the AWS SDK's standard chain. It never starts an embedded store,
 * seeds nothing and runs no simulator; any number of these processes share one table. What stops
 * start-up is said in one line on stderr: exit 2 for a bad command line or setting, 1 when
 * DynamoDB, the region, the credentials or the table are not there. SIGTERM or SIGINT ends every
 * stream with a reconnect hint and exits 0 within 5 s.
 */
import { defineCommand, readCommandLine } from './cli/usage.ts';
import { ConfigError, describeConfig, describeSettings, loadConfig } from './config.ts';

const PREFIX = 'tickerpulse serve';
/** Under the 5 s an orchestrator is promised, with room for the process to exit. */
const SHUTDOWN_DEADLINE_MS = 4500;

const COMMAND = defineCommand({
  command: 'npm run serve',
  summary:
    'The production server: REST API, SSE streams and the dashboard on http://HOST:PORT/ from one long-lived ' +
    'process, for a container or any host. DynamoDB through the AWS SDK (region and credentials from the ' +
    'environment, the shared config, or the container or instance role); DYNAMODB_ENDPOINT only changes where ' +
    'the signed requests go. No embedded store, no demo data, no simulator; the table is created only with ' +
    'CREATE_TABLE=true. Any number of processes share one table, and a client resumes its stream on any of ' +
    'them. SIGTERM or SIGINT ends every stream with a reconnect event and exits 0 within 5 s.',
  options: {},
  environmentNote:
    'read once at start; blank counts as unset; a bad value stops start-up with one line per problem and ' +
    'exit code 2',
  environment: describeSettings(),
  notes: [
    'Required here: INGEST_API_KEY (every process accepts the same key); AUTH_JWT_SECRET or AUTH_JWKS_URL, ' +
      'unless AUTH_TRUST_USER_ID_HEADER is true; STREAM_TOKEN_SECRET or AUTH_JWT_SECRET (a stream token ' +
      'minted by one process opens a stream on another). DATA_DIR and SIMULATE are npm start only.',
    'AWS: the region comes from AWS_REGION (or AWS_DEFAULT_REGION), else the shared config of AWS_PROFILE, ' +
      'else the instance; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and ' +
      'AWS_SESSION_TOKEN), AWS_PROFILE (shared files, SSO), web identity, or the container or instance role.',
    'Start-up checks, each failure one line on stderr and exit code 1: a region, credentials, DynamoDB ' +
      'answering (3 tries of 3 s), and the table (TABLE_NAME) existing with its keys, or created with ' +
      'CREATE_TABLE=true.',
  ],
});

async function main(): Promise<void> {
  // Before the configuration: --help works even when the environment holds a bad value.
  readCommandLine(COMMAND);
  let config;
  try {
    config = loadConfig(process.env, 'server');
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // Loaded once the command line and the configuration are known good, as in npm start.
  const [{ createLogger }, { startProductionServer, StartupError }, { exitOnSignals }] = await Promise.all([
    import('./observability/logger.ts'),
    import('./runtime/production-server.ts'),
    import('./runtime/shutdown.ts'),
  ]);
  const logger = createLogger(config.logLevel, config.logFormat);
  logger.info('starting', { config: describeConfig(config) });
  let server;
  try {
    server = await startProductionServer(config, { logger, env: process.env });
  } catch (error) {
    // One line, no stack: the operator fixes the environment, not the code. The stack is for debug.
    logger.debug('start-up failed', { error });
    const reason =
      error instanceof StartupError
        ? error.message
        : `cannot start: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`${PREFIX}: ${reason.replace(/\s+/g, ' ')}\n`);
    process.exit(1);
  }
  logger.info('serving', {
    url: server.url,
    table: config.tableName,
    store: server.where,
    tableCreated: server.tableCreated,
  });
  process.stdout.write(
    `${PREFIX}: listening on ${server.url} (table ${config.tableName}${server.tableCreated ? ', created' : ''}, DynamoDB ${server.where})\n`,
  );
  exitOnSignals({ logger, deadlineMs: SHUTDOWN_DEADLINE_MS, close: () => server.close() });
}

await main();
