/**
 * What both Lambda handlers build once per execution environment: configuration (lambda
 * profile, secrets from SSM), the DynamoDB clients (traced), the store and authentication, whose
 * secrets are read again from their cache as they age (rotating-auth.ts).
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { type Config, type LogLevel, loadConfig } from '../config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import type { ConfiguredAuth } from '../runtime/auth-from-config.ts';
import { SecretsUnavailableError } from '../runtime/parameters.ts';
import { storeFromConfig } from '../runtime/store-from-config.ts';
import { createDynamoClients, type DynamoClients, type Store } from '../store/index.ts';
import { rotatingAuth } from './rotating-auth.ts';
import { secretParameters, type SecretVariable } from './secrets.ts';

type Environment = Readonly<Record<string, string | undefined>>;

interface LambdaRuntime extends ConfiguredAuth {
  readonly config: Config;
  readonly clients: DynamoClients;
  readonly store: Store;
  readonly logger: Logger;
  readonly tracer: Tracer;
  /** Brings the secrets up to date; once per invocation, before the request is handled. */
  readonly refreshSecrets: () => Promise<void>;
}

async function coldStart(env: Environment, profile: 'lambda' | 'lambda-stream'): Promise<LambdaRuntime> {
  // Disables itself outside Lambda (no X-Ray daemon locally).
  const tracer = new Tracer({ serviceName: 'tickerpulse' });
  // The logger needs the configuration, which needs the secrets: it reports stale reads once it exists.
  const late: { logger?: Logger } = {};
  const onStale = (variable: SecretVariable, error: unknown) =>
    late.logger?.warn('secret refresh failed; serving the cached value', { variable, error });
  const parameters = secretParameters(env, onStale);
  if (parameters !== undefined) tracer.captureAWSv3Client(parameters.client);
  const values = (await parameters?.source.current()) ?? {};
  const config = loadConfig({ ...env, ...values }, profile);
  const logger = createLogger(config.logLevel);
  late.logger = logger;
  const clients = createDynamoClients(config.dynamodbEndpoint);
  tracer.captureAWSv3Client(clients.client);
  // The streaming function's role may not write (cdk/lib/permissions.ts): its views read the
  // folded rows and the tail, and the REST function folds (after ingests and reads).
  const store = storeFromConfig(config, clients, {
    folds: profile === 'lambda',
    onFoldError: (error) => {
      logger.warn('fold round failed; it is tried again shortly', { error });
    },
  });
  const { auth, streamTokens, refresh } = rotatingAuth({
    env,
    profile,
    initial: { values, config },
    source: parameters?.source,
    logger,
    now: Date.now,
  });
  return { config, clients, store, logger, tracer, auth, streamTokens, refreshSecrets: refresh };
}

/**
 * What an execution environment builds once: made by the first invocation and shared by the
 * later ones. A failed build is not kept: the next invocation tries again, so an environment
 * whose cold start met an SSM outage recovers with SSM instead of failing until it is recycled.
 */
function lazy<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** Every level, checked against the type: a failed cold start has no configuration to ask. */
const LOG_LEVELS: Readonly<Record<LogLevel, true>> = { debug: true, info: true, warn: true, error: true, silent: true };

/** Seconds a client should wait after a cold start that could not read its secrets. */
const SECRETS_UNAVAILABLE_RETRY_S = 5;

/**
 * Logs why a cold start failed, at the level LOG_LEVEL asks for when it is valid (the
 * configuration itself could not be built). Returns whether the failure is SSM's, which the
 * handlers answer with 503 and Retry-After rather than as a crash.
 */
function reportColdStartFailure(env: Environment, error: unknown): boolean {
  const level = env.LOG_LEVEL?.trim().toLowerCase() ?? '';
  createLogger(Object.hasOwn(LOG_LEVELS, level) ? (level as LogLevel) : 'info').error('cold start failed', {
    error,
  });
  return error instanceof SecretsUnavailableError;
}

export type { LambdaRuntime };
export { coldStart, lazy, reportColdStartFailure, SECRETS_UNAVAILABLE_RETRY_S };
