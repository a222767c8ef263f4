/**
 * What both Lambda handlers build once per execution environment: configuration (lambda
 * profile, secrets from SSM), the DynamoDB clients (traced), the store and authentication.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { type Config, loadConfig } from '../config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { authFromConfig, type ConfiguredAuth } from '../runtime/auth-from-config.ts';
import { resolveSecrets } from '../runtime/secrets.ts';
import { storeFromConfig } from '../runtime/store-from-config.ts';
import { createDynamoClients, type DynamoClients, type Store } from '../store/index.ts';
import { withSecretParameters } from './secrets.ts';

interface LambdaRuntime extends ConfiguredAuth {
  readonly config: Config;
  readonly clients: DynamoClients;
  readonly store: Store;
  readonly logger: Logger;
  readonly tracer: Tracer;
}

async function coldStart(
  env: Readonly<Record<string, string | undefined>>,
  profile: 'lambda' | 'lambda-stream',
): Promise<LambdaRuntime> {
  const config = loadConfig(await withSecretParameters(env), profile);
  const logger = createLogger(config.logLevel);
  // Disables itself outside Lambda (no X-Ray daemon locally).
  const tracer = new Tracer({ serviceName: 'tickerpulse' });
  const clients = createDynamoClients(config.dynamodbEndpoint);
  tracer.captureAWSv3Client(clients.client);
  const store = storeFromConfig(config, clients);
  return { config, clients, store, logger, tracer, ...authFromConfig(config, resolveSecrets(config), Date.now) };
}

export type { LambdaRuntime };
export { coldStart };
