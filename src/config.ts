/**
 * Configuration, read once from the environment at start-up, validated and deep-frozen. The rest
 * of src/ receives a typed `Config` and never reads `process.env`, so every setting has one name,
 * one rule and one default, and a bad deployment fails at start-up with every problem listed at
 * once instead of one per restart.
 */

/** The environment variable behind each setting; code and docs use these instead of spelling names. */
const ENV = Object.freeze({
  PORT: 'PORT',
  HOST: 'HOST',
  DYNAMODB_ENDPOINT: 'DYNAMODB_ENDPOINT',
  TABLE_NAME: 'TABLE_NAME',
  DATA_DIR: 'DATA_DIR',
  POLL_INTERVAL_MS: 'POLL_INTERVAL_MS',
  HEARTBEAT_INTERVAL_MS: 'HEARTBEAT_INTERVAL_MS',
  RETRY_MS: 'RETRY_MS',
  MAX_CONNECTIONS: 'MAX_CONNECTIONS',
  INGEST_API_KEY: 'INGEST_API_KEY',
  AUTH_JWT_SECRET: 'AUTH_JWT_SECRET',
  AUTH_JWKS_URL: 'AUTH_JWKS_URL',
  AUTH_JWT_ISSUER: 'AUTH_JWT_ISSUER',
  AUTH_JWT_AUDIENCE: 'AUTH_JWT_AUDIENCE',
  AUTH_TRUST_USER_ID_HEADER: 'AUTH_TRUST_USER_ID_HEADER',
  STREAM_TOKEN_SECRET: 'STREAM_TOKEN_SECRET',
  STREAM_TOKEN_TTL_S: 'STREAM_TOKEN_TTL_S',
  STREAM_DEADLINE_MARGIN_MS: 'STREAM_DEADLINE_MARGIN_MS',
  STREAM_FLUSH_PADDING_BYTES: 'STREAM_FLUSH_PADDING_BYTES',
  SIMULATE: 'SIMULATE',
  LOG_LEVEL: 'LOG_LEVEL',
  ITEM_RETENTION_DAYS: 'ITEM_RETENTION_DAYS',
  FEED_SETTLE_MS: 'FEED_SETTLE_MS',
} as const);

type EnvName = (typeof ENV)[keyof typeof ENV];

/**
 * Where the process runs: `local` is one Node process on the embedded store (default), `lambda`
 * is the AWS deployment, where authentication and the ingest key are mandatory.
 */
/** `lambda`: the REST function; `lambda-stream`: the SSE function, which never ingests. */
type Profile = 'local' | 'lambda' | 'lambda-stream';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** How much the service logs; `silent` logs nothing. Default `info`. */
type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated settings. Every field is optional in the environment; the default is given per field. */
type Config = {
  /** `PORT`: TCP port of the HTTP server; 0 asks the OS for a free one. Default 3000. */
  readonly port: number;
  /** `HOST`: address the HTTP server binds to. Default `127.0.0.1`, so a local run is not exposed. */
  readonly host: string;
  /**
   * `DYNAMODB_ENDPOINT`: http(s) URL of a DynamoDB-compatible endpoint. Default undefined: locally
   * the embedded store, in Lambda AWS DynamoDB.
   */
  readonly dynamodbEndpoint: string | undefined;
  /** `TABLE_NAME`: DynamoDB table name. Default `tickerpulse`. */
  readonly tableName: string;
  /** `DATA_DIR`: directory the embedded store persists to. Default undefined: kept in memory. */
  readonly dataDir: string | undefined;
  /** `POLL_INTERVAL_MS`: how often the stream engine polls the store for changes. Default 1000. */
  readonly pollIntervalMs: number;
  /** `HEARTBEAT_INTERVAL_MS`: interval of SSE `heartbeat` events. Default 30000. */
  readonly heartbeatIntervalMs: number;
  /** `RETRY_MS`: the SSE `retry:` reconnection delay sent to clients. Default 3000. */
  readonly retryMs: number;
  /** `MAX_CONNECTIONS`: concurrent SSE connections before new ones are refused. Default 100. */
  readonly maxConnections: number;
  /** `INGEST_API_KEY`: secret key of the ingest endpoint, at least 16 characters. Default undefined. */
  readonly ingestApiKey: string | undefined;
  /** `AUTH_JWT_SECRET`: HMAC secret for verifying JWTs, at least 32 characters. Default undefined. */
  readonly authJwtSecret: string | undefined;
  /** `AUTH_JWKS_URL`: http(s) URL of the JWKS that verifies JWTs. Default undefined. */
  readonly authJwksUrl: string | undefined;
  /** `AUTH_JWT_ISSUER`: required `iss` claim of JWTs. Default undefined: not checked. */
  readonly authJwtIssuer: string | undefined;
  /** `AUTH_JWT_AUDIENCE`: required `aud` claim of JWTs. Default undefined: not checked. */
  readonly authJwtAudience: string | undefined;
  /**
   * `AUTH_TRUST_USER_ID_HEADER`: take the user id from a request header without a token. Default
   * true for the `local` profile, false for `lambda`.
   */
  readonly authTrustUserIdHeader: boolean;
  /** `STREAM_TOKEN_SECRET`: HMAC secret of short-lived stream tokens, at least 32 characters. Default undefined. */
  readonly streamTokenSecret: string | undefined;
  /** `STREAM_TOKEN_TTL_S`: lifetime of a stream token in seconds. Default 300. */
  readonly streamTokenTtlS: number;
  /**
   * `STREAM_DEADLINE_MARGIN_MS`: how long before the Lambda deadline a stream is closed with a
   * `reconnect` event. Default 10000.
   */
  /**
   * `STREAM_FLUSH_PADDING_BYTES`: an SSE comment of this many bytes after each write of the Lambda
   * stream handler, for when the service holds back small writes (unverified). Default 0 (off).
   */
  readonly streamFlushPaddingBytes: number;
  readonly streamDeadlineMarginMs: number;
  /** `SIMULATE`: generate simulated items so a fresh install shows live data. Default true. */
  readonly simulate: boolean;
  /** `LOG_LEVEL`: one of debug, info, warn, error, silent (any case). Default `info`. */
  readonly logLevel: LogLevel;
  /** `ITEM_RETENTION_DAYS`: days an item is kept before it expires. Default 7. */
  readonly itemRetentionDays: number;
  /** `FEED_SETTLE_MS`: how long a feed waits for late items before it counts as settled. Default 5000. */
  readonly feedSettleMs: number;
};

/**
 * Thrown by `loadConfig` with every problem found, one message per bad variable or broken rule.
 * The message starts with a line `Invalid configuration:` and has one line per problem.
 */
class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** One message per bad variable or broken cross-field rule, in a stable order. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(['Invalid configuration:', ...problems].join('\n'));
    this.problems = Object.freeze([...problems]);
  }
}

type Check<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };
type Parser<T> = (text: string) => Check<T>;

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = <T>(expected: string): Check<T> => ({ ok: false, expected });

/** Long values are cut so a pasted file or key cannot flood the start-up error. */
const MAX_ECHO_CHARACTERS = 60;

// JSON quoting shows where the value ends and escapes newlines, so a value cannot forge log lines.
// Cutting by code point never leaves half a surrogate pair; splitting a combined emoji is harmless here.
function quote(text: string): string {
  const characters = Array.from(text);
  return JSON.stringify(
    characters.length > MAX_ECHO_CHARACTERS ? `${characters.slice(0, MAX_ECHO_CHARACTERS).join('')}…` : text,
  );
}

// Number() alone would take 1e3, 0x10, 3.5 and ' 12 '; only plain decimal digits are settings.
const integer =
  (min: number, max: number): Parser<number> =>
  (text) => {
    const value = Number(text);
    return /^-?\d+$/.test(text) && value >= min && value <= max
      ? ok(value + 0) // `-0` passes the range check; adding 0 makes it a plain 0
      : fail(`an integer from ${min} to ${max}`);
  };

// A Map rather than an object literal: object keys '1' and '0' would enumerate first.
const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
  ['yes', true],
  ['no', false],
  ['on', true],
  ['off', false],
]);

const boolean: Parser<boolean> = (text) => {
  const value = BOOLEAN_WORDS.get(text.toLowerCase());
  return value === undefined ? fail(`one of ${[...BOOLEAN_WORDS.keys()].join(', ')}`) : ok(value);
};

const logLevel: Parser<LogLevel> = (text) => {
  const value = LOG_LEVELS.find((level) => level === text.toLowerCase());
  return value === undefined ? fail(`one of ${LOG_LEVELS.join(', ')}`) : ok(value);
};

// Relative URLs and other schemes (ftp:, file:, a bare "localhost:8000") would only fail at the first request.
const httpUrl: Parser<string> = (text) => {
  const url = URL.parse(text);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:')
    ? ok(text)
    : fail('an absolute http: or https: URL');
};

// Whoever can change the key set can sign tokens as any user, so keys travel over TLS; plain http
// only to this machine (tests, a local identity provider). The authenticator enforces the same.
const jwksUrl: Parser<string> = (text) => {
  const url = URL.parse(text);
  const loopback =
    url !== null && ['localhost', '[::1]'].includes(url.hostname) ? true : /^127\./.test(url?.hostname ?? '');
  return url !== null && (url.protocol === 'https:' || (url.protocol === 'http:' && loopback))
    ? ok(text)
    : fail('an absolute https: URL (http: only to localhost)');
};

const host: Parser<string> = (text) =>
  /\s/u.test(text) ? fail('a host name or address without whitespace') : ok(text);

// DynamoDB's own rule for table names, checked here so a typo fails at start-up, not at the first query.
const tableName: Parser<string> = (text) =>
  /^[A-Za-z0-9_.-]{3,255}$/.test(text) ? ok(text) : fail('3 to 255 characters of A-Z, a-z, 0-9, _, . and -');

const text: Parser<string> = (value) => ok(value);

// The length is safe to report and tells the operator what to fix; the value never is. Counted in
// code points, so a secret is never shorter in bytes than the minimum it is said to meet.
const secret =
  (min: number): Parser<string> =>
  (value) => {
    const length = Array.from(value).length;
    return length >= min ? ok(value) : fail(`at least ${min} characters (got ${length})`);
  };

/** Fields holding credentials: never echoed in a problem, never in `describeConfig`. */
const SECRET_FIELDS: ReadonlySet<string> = new Set<keyof Config>([
  'ingestApiKey',
  'authJwtSecret',
  'streamTokenSecret',
]);

/**
 * Reads, validates and deep-freezes the configuration. Empty and whitespace-only values count as
 * unset; values are trimmed. `profile` defaults to `local`.
 *
 * @throws ConfigError listing every bad variable and every broken cross-field rule.
 */
function loadConfig(env: Readonly<Record<string, string | undefined>>, profile: Profile = 'local'): Config {
  const problems: string[] = [];
  const valueOf = (name: EnvName): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const read = <T>(name: EnvName, parse: Parser<T>, options: { secret?: boolean } = {}): T | undefined => {
    const value = valueOf(name);
    if (value === undefined) return undefined;
    const check = parse(value);
    if (check.ok) return check.value;
    problems.push(
      `${name}${options.secret === true ? '' : `=${quote(value)}`} is not valid: expected ${check.expected}`,
    );
    return undefined;
  };

  const config: Config = {
    port: read(ENV.PORT, integer(0, 65_535)) ?? 3000,
    host: read(ENV.HOST, host) ?? '127.0.0.1',
    dynamodbEndpoint: read(ENV.DYNAMODB_ENDPOINT, httpUrl),
    tableName: read(ENV.TABLE_NAME, tableName) ?? 'tickerpulse',
    dataDir: read(ENV.DATA_DIR, text),
    pollIntervalMs: read(ENV.POLL_INTERVAL_MS, integer(100, 60_000)) ?? 1000,
    heartbeatIntervalMs: read(ENV.HEARTBEAT_INTERVAL_MS, integer(1000, 60_000)) ?? 30_000,
    retryMs: read(ENV.RETRY_MS, integer(100, 600_000)) ?? 3000,
    maxConnections: read(ENV.MAX_CONNECTIONS, integer(1, 1_000_000)) ?? 100,
    ingestApiKey: read(ENV.INGEST_API_KEY, secret(16), { secret: true }),
    authJwtSecret: read(ENV.AUTH_JWT_SECRET, secret(32), { secret: true }),
    authJwksUrl: read(ENV.AUTH_JWKS_URL, jwksUrl),
    authJwtIssuer: read(ENV.AUTH_JWT_ISSUER, text),
    authJwtAudience: read(ENV.AUTH_JWT_AUDIENCE, text),
    // Trusting a header is only safe behind something that sets it, which a local run stands in for.
    authTrustUserIdHeader: read(ENV.AUTH_TRUST_USER_ID_HEADER, boolean) ?? profile === 'local',
    streamTokenSecret: read(ENV.STREAM_TOKEN_SECRET, secret(32), { secret: true }),
    streamTokenTtlS: read(ENV.STREAM_TOKEN_TTL_S, integer(30, 3600)) ?? 300,
    streamDeadlineMarginMs: read(ENV.STREAM_DEADLINE_MARGIN_MS, integer(1000, 600_000)) ?? 10_000,
    streamFlushPaddingBytes: read(ENV.STREAM_FLUSH_PADDING_BYTES, integer(0, 262_144)) ?? 0,
    simulate: read(ENV.SIMULATE, boolean) ?? true,
    logLevel: read(ENV.LOG_LEVEL, logLevel) ?? 'info',
    itemRetentionDays: read(ENV.ITEM_RETENTION_DAYS, integer(1, 365)) ?? 7,
    feedSettleMs: read(ENV.FEED_SETTLE_MS, integer(0, 60_000)) ?? 5000,
  };

  // Cross-field rules look at what is set, not at what is valid: a too-short secret is one
  // problem ("too short"), not two ("too short" and "missing").
  const jwtSecretSet = valueOf(ENV.AUTH_JWT_SECRET) !== undefined;
  const jwksUrlSet = valueOf(ENV.AUTH_JWKS_URL) !== undefined;
  if (jwtSecretSet && jwksUrlSet) {
    problems.push(`set one of ${ENV.AUTH_JWT_SECRET} or ${ENV.AUTH_JWKS_URL}, not both`);
  }
  if (profile !== 'local') {
    if (!jwtSecretSet && !jwksUrlSet && !config.authTrustUserIdHeader) {
      problems.push(
        `${ENV.AUTH_JWT_SECRET} or ${ENV.AUTH_JWKS_URL} is required for the lambda profile, unless ${ENV.AUTH_TRUST_USER_ID_HEADER} is true`,
      );
    }
    if (profile === 'lambda' && valueOf(ENV.INGEST_API_KEY) === undefined) {
      problems.push(`${ENV.INGEST_API_KEY} is required for the lambda profile`);
    }
    // One function mints stream tokens and the other checks them: a per-process random secret
    // (the local fallback) would make every token invalid.
    if (valueOf(ENV.STREAM_TOKEN_SECRET) === undefined && !jwtSecretSet) {
      problems.push(
        `${ENV.STREAM_TOKEN_SECRET} or ${ENV.AUTH_JWT_SECRET} is required in Lambda (stream tokens cross functions)`,
      );
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

// Config is flat today; freezing deeply keeps it immutable if a nested setting is ever added.
function deepFreeze<T extends object>(value: T): T {
  for (const property of Object.values(value as Record<string, unknown>)) {
    if (typeof property === 'object' && property !== null) deepFreeze(property);
  }
  return Object.freeze(value);
}

/**
 * The settings for a start-up log line, keyed by `Config` field: unset values are null and every
 * secret is `(set)` or null, so the result never holds a secret value.
 */
function describeConfig(config: Config): Record<string, string | number | boolean | null> {
  const described: Record<string, string | number | boolean | null> = {};
  for (const [field, value] of Object.entries(config)) {
    described[field] = SECRET_FIELDS.has(field) ? (value === undefined ? null : '(set)') : (value ?? null);
  }
  return described;
}

export type { Config, LogLevel, Profile };
export { ConfigError, describeConfig, ENV, loadConfig };
