/**
 * The settings of `TickerpulseStack`: its typed props, their defaults, and the rules that refuse
 * a bad value at synth rather than at deploy or at the first cold start.
 */
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StackProps } from 'aws-cdk-lib';

/** The `LOG_LEVEL` values `src/config.ts` accepts; a typo would stop every cold start. */
const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Lambda's hard ceiling for one invocation, and so for one SSE stream. */
const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);

/** The shortest SSE function timeout accepted. */
const MIN_STREAM_TIMEOUT = Duration.minutes(1);

/** Defaults of {@link TickerpulseStackProps}, one place for the code and the docs. */
const DEFAULTS = Object.freeze({
  corsAllowedOrigins: [] as readonly string[],
  ingestApiKeyParameterName: '/tickerpulse/ingest-api-key',
  jwtSecretParameterName: '/tickerpulse/auth-jwt-secret',
  // Short streams bound what a vanished client costs (Lambda sees no disconnect and bills the
  // full duration); clients resume by cursor, so a reconnect every few minutes loses nothing.
  streamTimeout: Duration.minutes(5),
  streamReservedConcurrency: 100,
  // A REST request takes tens of milliseconds: 50 at once serve on the order of a thousand
  // requests per second, and cap what a flood of public requests can cost.
  restReservedConcurrency: 50,
  // The longest a rotated secret waits before a warm function uses it (src/runtime/parameters.ts).
  secretsMaxAge: Duration.minutes(5),
  logLevel: 'info',
  logRetention: RetentionDays.ONE_MONTH,
  deliveryLagThresholdMs: 5000,
} as const);

/** Settings of `TickerpulseStack`; every one has a default. */
interface TickerpulseStackProps extends StackProps {
  /**
   * Browser origins allowed to call the REST URL and open the SSE URL from another page (CORS),
   * each `scheme://host[:port]` exactly as a browser sends it. Default none: no Function URL
   * CORS, so no page on another origin can read an answer.
   */
  readonly corsAllowedOrigins?: readonly string[];
  /**
   * Name of the SSM SecureString holding the ingest API key (≥ 16 characters), created out of
   * band. Default `/tickerpulse/ingest-api-key`.
   */
  readonly ingestApiKeyParameterName?: string;
  /**
   * Name of the SSM SecureString holding the HS256 JWT secret (≥ 32 characters), created out of
   * band. Default `/tickerpulse/auth-jwt-secret` unless {@link jwksUrl} is set; set one, not both.
   */
  readonly jwtSecretParameterName?: string;
  /** https URL of the JWKS that verifies user JWTs, instead of a shared secret. A URL is not secret. */
  readonly jwksUrl?: string;
  /** Required `iss` claim of user JWTs. Default: not checked. */
  readonly jwtIssuer?: string;
  /** Required `aud` claim of user JWTs. Default: not checked. */
  readonly jwtAudience?: string;
  /**
   * Name of the SSM SecureString holding the secret that signs stream tokens (≥ 32 characters).
   * Default: none, and the handlers sign with the JWT secret. Required with {@link jwksUrl}:
   * the REST function issues the tokens and the SSE function verifies them, so both need the
   * same secret, and without one each instance would invent its own.
   */
  readonly streamTokenSecretParameterName?: string;
  /**
   * Timeout of the SSE function, so the longest one stream lasts before the client reconnects
   * (1 to 15 minutes). Default 5 minutes.
   */
  readonly streamTimeout?: Duration;
  /** Reserved concurrency of the SSE function: the most streams open at once. Default 100. */
  readonly streamReservedConcurrency?: number;
  /**
   * Reserved concurrency of the public REST function: the most requests handled at once. Above
   * it the Function URL answers 429 (throttled) instead of running up cost and the account's
   * concurrency. Default 50.
   */
  readonly restReservedConcurrency?: number;
  /**
   * How long the functions serve a secret from their cache before reading SSM again
   * (`POWERTOOLS_PARAMETERS_MAX_AGE`): the longest a rotated secret waits. 1 s to 1 hour; default 5 minutes.
   */
  readonly secretsMaxAge?: Duration;
  /** `LOG_LEVEL` of both functions: debug, info, warn, error or silent. Default `info`. */
  readonly logLevel?: string;
  /** Retention of both functions' log groups. Default one month. */
  readonly logRetention?: RetentionDays;
  /** p99 delivery lag above which the lag alarm fires, in ms. Default 5000. */
  readonly deliveryLagThresholdMs?: number;
  /** ARN of an SNS topic that receives alarm and OK notifications. Default: none. */
  readonly alarmTopicArn?: string;
}

/** The props with every default applied and every rule checked. */
function resolveSettings(props: TickerpulseStackProps) {
  if (props.jwksUrl !== undefined && props.jwtSecretParameterName !== undefined) {
    throw new Error('TickerpulseStack: set one of jwtSecretParameterName or jwksUrl, not both');
  }
  if (props.jwksUrl !== undefined && props.streamTokenSecretParameterName === undefined) {
    throw new Error(
      'TickerpulseStack: jwksUrl needs streamTokenSecretParameterName, the secret shared by the function that issues stream tokens and the one that verifies them',
    );
  }
  const streamTimeout = props.streamTimeout ?? DEFAULTS.streamTimeout;
  // Below a minute, the 10 s deadline margin and reconnects would take most of each stream.
  if (
    streamTimeout.toSeconds() < MIN_STREAM_TIMEOUT.toSeconds() ||
    streamTimeout.toSeconds() > MAX_LAMBDA_TIMEOUT.toSeconds()
  ) {
    throw new Error(
      `TickerpulseStack: streamTimeout must be from 1 to 15 minutes (got ${streamTimeout.toHumanString()})`,
    );
  }
  const streamReservedConcurrency = positiveInteger(
    'streamReservedConcurrency',
    props.streamReservedConcurrency ?? DEFAULTS.streamReservedConcurrency,
  );
  const restReservedConcurrency = positiveInteger(
    'restReservedConcurrency',
    props.restReservedConcurrency ?? DEFAULTS.restReservedConcurrency,
  );
  const secretsMaxAge = props.secretsMaxAge ?? DEFAULTS.secretsMaxAge;
  // Powertools counts whole seconds; past an hour a leaked secret outlives its rotation too long.
  const maxAgeSeconds = secretsMaxAge.toSeconds({ integral: false });
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 1 || maxAgeSeconds > 3600) {
    throw new Error(
      `TickerpulseStack: secretsMaxAge must be whole seconds from 1 s to 1 hour (got ${secretsMaxAge.toHumanString()})`,
    );
  }
  const corsAllowedOrigins = props.corsAllowedOrigins ?? DEFAULTS.corsAllowedOrigins;
  // Browsers compare the Origin header verbatim: a trailing slash or a path would never match.
  for (const origin of corsAllowedOrigins) {
    if (URL.parse(origin)?.origin !== origin) {
      throw new Error(
        `TickerpulseStack: corsAllowedOrigins must each be scheme://host[:port] (got ${JSON.stringify(origin)})`,
      );
    }
  }
  // Whoever controls the key set can sign tokens as any user, so it travels over TLS.
  if (props.jwksUrl !== undefined && URL.parse(props.jwksUrl)?.protocol !== 'https:') {
    throw new Error(`TickerpulseStack: jwksUrl must be an https URL (got ${JSON.stringify(props.jwksUrl)})`);
  }
  const logLevel = (props.logLevel ?? DEFAULTS.logLevel).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(
      `TickerpulseStack: logLevel must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`,
    );
  }
  return {
    corsAllowedOrigins,
    ingestApiKeyParameterName: parameterName(props.ingestApiKeyParameterName ?? DEFAULTS.ingestApiKeyParameterName),
    jwtSecretParameterName:
      props.jwksUrl === undefined
        ? parameterName(props.jwtSecretParameterName ?? DEFAULTS.jwtSecretParameterName)
        : undefined,
    jwksUrl: props.jwksUrl,
    jwtIssuer: props.jwtIssuer,
    jwtAudience: props.jwtAudience,
    streamTokenSecretParameterName:
      props.streamTokenSecretParameterName === undefined
        ? undefined
        : parameterName(props.streamTokenSecretParameterName),
    streamTimeout,
    streamReservedConcurrency,
    restReservedConcurrency,
    secretsMaxAge,
    logLevel,
    logRetention: props.logRetention ?? DEFAULTS.logRetention,
    deliveryLagThresholdMs: props.deliveryLagThresholdMs ?? DEFAULTS.deliveryLagThresholdMs,
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`TickerpulseStack: ${name} must be a positive integer (got ${value})`);
  }
  return value;
}

// A wildcard or a stray character in a name would widen or break the exact-ARN grant.
function parameterName(name: string): string {
  if (!/^\/?[A-Za-z0-9_.\-/]+$/.test(name) || name.includes('//')) {
    throw new Error(`TickerpulseStack: ${JSON.stringify(name)} is not an SSM parameter name`);
  }
  return name;
}

/** The settings with every default applied. */
type TickerpulseStackSettings = ReturnType<typeof resolveSettings>;

export type { TickerpulseStackProps, TickerpulseStackSettings };
export { DEFAULTS, LOG_LEVELS, parameterName, resolveSettings };
