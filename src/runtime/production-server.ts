/**
 * `npm run serve`'s server: DynamoDB through the AWS SDK's standard chain (DYNAMODB_ENDPOINT only
 * redirects the signed requests), checked before serving, then the shared server (server.ts).
 * Never an embedded store, demo data or a simulator; the table is created only with CREATE_TABLE.
 * Any number of these processes share one table: each polls the feed itself, and every cursor is
 * a position in the table, so any of them resumes any client.
 *
 * Whatever stops start-up is a `StartupError` whose message is one line for the operator.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Config, ENV } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { createAwsDynamoClients, type DynamoClients } from '../store/dynamo-client.ts';
import { enableTimeToLive, ensureTable, findTable, tableKeyProblem, waitUntilActive } from '../store/table.ts';
import { phaseLogger } from './phases.ts';
import { type RunningServer, startServer } from './server.ts';

/** Each DescribeTable of the start-up check gets this long, this many times. */
const CHECK_TIMEOUT_MS = 3000;
const CHECK_ATTEMPTS = 3;
const CHECK_PAUSE_MS = 500;
/** The credential chain may ask the instance or container; it must not hold start-up forever. */
const CREDENTIALS_TIMEOUT_MS = 10_000;
/** AWS creates a table with an index in seconds to a minute; another process may be creating it. */
const TABLE_ACTIVE_WITHIN_MS = 120_000;

/** A reason start-up stops, said in one line. */
class StartupError extends Error {
  override readonly name = 'StartupError';
}

interface ProductionServer extends RunningServer {
  /** Where the table is, for people: `at <endpoint> (region <r>)` or `in <region>`. */
  readonly where: string;
  readonly tableCreated: boolean;
}

interface ProductionServerOptions {
  readonly logger: Logger;
  /** The process environment, for the one region variable the SDK does not read (AWS_DEFAULT_REGION). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** An error as one short line: the SDK's name and message, a network error's code, never a stack. */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message.trim() === '' && typeof code === 'string' ? code : error.message;
  const named = error.name === 'Error' || message.startsWith(error.name) ? message : `${error.name}: ${message}`;
  const line = named.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** A service's refusal (bad credentials, no permission), as opposed to no answer at all. */
const isRefusal = (error: unknown): boolean => (error as { $fault?: unknown }).$fault === 'client';

async function regionOf(client: DynamoDBClient): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    throw new StartupError(
      'no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or a region in the shared config of AWS_PROFILE',
    );
  }
}

async function checkCredentials(client: DynamoDBClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${CREDENTIALS_TIMEOUT_MS / 1000} s`));
    }, CREDENTIALS_TIMEOUT_MS);
  });
  try {
    await Promise.race([client.config.credentials(), timedOut]);
  } catch (error) {
    throw new StartupError(
      'no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with a ' +
        `container or instance role (${reasonOf(error)})`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** DescribeTable, each try bounded; what answers (found, missing, refused) ends the retries. */
async function describeOrExplain(client: DynamoDBClient, config: Config, where: string) {
  let last: unknown;
  for (let attempt = 1; attempt <= CHECK_ATTEMPTS; attempt++) {
    const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
    try {
      return await findTable(client, config.tableName, { abortSignal: signal });
    } catch (error) {
      if (isRefusal(error)) throw new StartupError(`DynamoDB ${where} refused the request: ${reasonOf(error)}`);
      last = signal.aborted ? new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`) : error;
    }
    if (attempt < CHECK_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, CHECK_PAUSE_MS));
  }
  throw new StartupError(`cannot reach DynamoDB ${where}: ${reasonOf(last)}`);
}

/** The table exists and is ours when this resolves (created first when CREATE_TABLE allows); returns whether it created it. */
async function prepareTable(client: DynamoDBClient, config: Config, where: string, logger: Logger): Promise<boolean> {
  const table = await describeOrExplain(client, config, where);
  const named = `table "${config.tableName}" (${ENV.TABLE_NAME})`;
  if (table !== undefined) {
    const problem = tableKeyProblem(table);
    if (problem !== undefined) throw new StartupError(`${named} ${where} is not a tickerpulse table: ${problem}`);
    if (table.TableStatus === 'DELETING') throw new StartupError(`${named} ${where} is being deleted`);
    // Another process with CREATE_TABLE may be creating it right now.
    if (table.TableStatus === 'CREATING') {
      await waitUntilActive(client, config.tableName, { activeWithinMs: TABLE_ACTIVE_WITHIN_MS }).catch(
        (error: unknown) => {
          throw new StartupError(`${named} ${where} is not ready: ${reasonOf(error)}`);
        },
      );
    }
    return false;
  }
  if (!config.createTable) {
    throw new StartupError(
      `${named} does not exist ${where}: create it (the CDK stack does), or set ${ENV.CREATE_TABLE}=true to let serve create it`,
    );
  }
  let created: boolean;
  try {
    created = await ensureTable(client, config.tableName, { activeWithinMs: TABLE_ACTIVE_WITHIN_MS });
  } catch (error) {
    throw new StartupError(`cannot create ${named} ${where}: ${reasonOf(error)}`);
  }
  if (created) {
    // Items still expire by reads' retention without it; only storage grows. dynalite lacks it.
    await enableTimeToLive(client, config.tableName).catch((error: unknown) => {
      logger.warn('table created without TTL', { table: config.tableName, reason: reasonOf(error) });
    });
  }
  return created;
}

/**
 * Checks the region, the credentials and the table, in that order, then serves.
 *
 * @throws StartupError with one line saying what is wrong and how to fix it.
 */
async function startProductionServer(config: Config, options: ProductionServerOptions): Promise<ProductionServer> {
  const { env, logger } = options;
  // The SDK reads AWS_REGION only; AWS_DEFAULT_REGION is the AWS CLI's name for the same thing.
  const region = env.AWS_REGION?.trim() ? undefined : env.AWS_DEFAULT_REGION?.trim() || undefined;
  const makeClients = (): DynamoClients => createAwsDynamoClients({ endpoint: config.dynamodbEndpoint, region });
  const clients = makeClients();
  const phase = phaseLogger(logger);
  let where = config.dynamodbEndpoint === undefined ? 'in AWS' : `at ${config.dynamodbEndpoint}`;
  let tableCreated: boolean;
  try {
    const resolvedRegion = await phase(
      'region found',
      () => regionOf(clients.client),
      (region) => ({ region }),
    );
    where = config.dynamodbEndpoint === undefined ? `in ${resolvedRegion}` : `${where} (region ${resolvedRegion})`;
    await phase('credentials accepted', () => checkCredentials(clients.client));
    tableCreated = await phase(
      'table ready',
      () => prepareTable(clients.client, config, where, logger),
      (created) => ({ table: config.tableName, created }),
    );
  } catch (error) {
    clients.client.destroy();
    throw error;
  }
  const server = await phase(
    'server listening',
    () => startServer({ config, clients, pollClients: makeClients(), logger }),
    (started) => ({ url: started.url }),
  );
  return { ...server, where, tableCreated };
}

export type { ProductionServer, ProductionServerOptions };
export { startProductionServer, StartupError };
