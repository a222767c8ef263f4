/**
 * Every setting in one table: its environment variable, rule, default and meaning. `loadConfig`
 * reads the environment through this table only and the usage (`--help`) prints it, so the two
 * cannot disagree.
 */
import {
  baseUrl,
  boolean,
  corsOrigins,
  headerSecret,
  host,
  httpUrl,
  integer,
  jwksUrl,
  type LogFormat,
  logFormat,
  type LogLevel,
  logLevel,
  type Parser,
  path,
  secret,
  tableName,
  text,
} from './parsers.ts';

/** The environment variable behind each setting; code and docs use these instead of spelling names. */
const ENV = Object.freeze({
  PORT: 'PORT',
  HOST: 'HOST',
  DYNAMODB_ENDPOINT: 'DYNAMODB_ENDPOINT',
  TABLE_NAME: 'TABLE_NAME',
  CREATE_TABLE: 'CREATE_TABLE',
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
  LOG_FORMAT: 'LOG_FORMAT',
  ITEM_RETENTION_DAYS: 'ITEM_RETENTION_DAYS',
  FEED_SETTLE_MS: 'FEED_SETTLE_MS',
  FOLD_INTERVAL_MS: 'FOLD_INTERVAL_MS',
  DASHBOARD_REST_BASE_URL: 'DASHBOARD_REST_BASE_URL',
  DASHBOARD_STREAM_BASE_URL: 'DASHBOARD_STREAM_BASE_URL',
  CORS_ALLOWED_ORIGINS: 'CORS_ALLOWED_ORIGINS',
} as const);

type EnvName = (typeof ENV)[keyof typeof ENV];

/**
 * Where the process runs, which decides a few defaults and requirements:
 * - `local`: `npm start`, one process on the embedded store (the default);
 * - `server`: `npm run serve`, the production server, any number of processes on one table;
 * - `lambda`: the REST function; `lambda-stream`: the SSE function, which never ingests.
 * Outside `local`, authentication and the shared secrets are mandatory: several processes (or
 * functions) serve the same users, so nothing can be generated per process.
 */
type Profile = 'local' | 'server' | 'lambda' | 'lambda-stream';

/**
 * The validated settings, one field per variable. What each means, its default and what it
 * accepts are in `SETTINGS` below, which `loadConfig` reads and `--help` prints.
 */
type Config = {
  readonly port: number;
  readonly host: string;
  readonly dynamodbEndpoint: string | undefined;
  readonly tableName: string;
  readonly createTable: boolean;
  readonly dataDir: string | undefined;
  readonly pollIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly retryMs: number;
  readonly maxConnections: number;
  readonly ingestApiKey: string | undefined;
  readonly authJwtSecret: string | undefined;
  readonly authJwksUrl: string | undefined;
  readonly authJwtIssuer: string | undefined;
  readonly authJwtAudience: string | undefined;
  readonly authTrustUserIdHeader: boolean;
  readonly streamTokenSecret: string | undefined;
  readonly streamTokenTtlS: number;
  readonly streamDeadlineMarginMs: number;
  readonly streamFlushPaddingBytes: number;
  readonly simulate: boolean;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly itemRetentionDays: number;
  readonly feedSettleMs: number;
  readonly foldIntervalMs: number;
  readonly dashboardRestBaseUrl: string | undefined;
  readonly dashboardStreamBaseUrl: string | undefined;
  readonly corsAllowedOrigins: readonly string[];
};

/** One setting: its variable, rule, default and meaning. */
type Setting<T> = {
  readonly env: EnvName;
  readonly parser: Parser<NonNullable<T>>;
  /** The value when the variable is unset (or blank); a function when it depends on the profile. */
  readonly fallback: T | ((profile: Profile) => T);
  /** The default in words, for the usage; required when `fallback` is undefined or a function. */
  readonly defaultText?: string;
  /** What the setting does, for the usage. */
  readonly summary: string;
  /** A credential: never echoed in a problem, never in `describeConfig`. */
  readonly secret?: boolean;
  /** The profiles the setting applies to; elsewhere it is its fallback, whatever the environment says. */
  readonly profiles?: readonly Profile[];
};

/**
 * Every setting, in the order problems are reported. `loadConfig` reads the environment through
 * this table only and the usage (`--help`) prints it, so the two cannot disagree.
 */
const SETTINGS: { readonly [K in keyof Config]: Setting<Config[K]> } = {
  port: {
    env: ENV.PORT,
    parser: integer(0, 65_535),
    fallback: 3000,
    summary: 'TCP port of the HTTP server; 0 asks the OS for a free one.',
  },
  host: {
    env: ENV.HOST,
    parser: host,
    fallback: '127.0.0.1',
    summary: 'Address the HTTP server binds to. The default keeps a local run private; 0.0.0.0 in a container.',
  },
  dynamodbEndpoint: {
    env: ENV.DYNAMODB_ENDPOINT,
    parser: httpUrl,
    fallback: undefined,
    defaultText: 'none: npm start runs the embedded store; npm run serve and Lambda use AWS DynamoDB',
    summary:
      'A DynamoDB-compatible endpoint (a standalone dynalite, DynamoDB Local) instead of the embedded store. ' +
      'npm run serve signs its requests with the AWS region and credentials as for AWS itself.',
  },
  tableName: { env: ENV.TABLE_NAME, parser: tableName, fallback: 'tickerpulse', summary: 'DynamoDB table name.' },
  createTable: {
    env: ENV.CREATE_TABLE,
    parser: boolean,
    fallback: false,
    summary:
      'npm run serve only: create the table (on-demand, with its index and TTL) when it is missing; unset, a ' +
      'missing table stops start-up. npm start always creates it; in AWS the CDK stack does.',
  },
  dataDir: {
    env: ENV.DATA_DIR,
    parser: path,
    fallback: undefined,
    defaultText: 'none: the embedded store is kept in memory',
    summary: 'npm start only: directory the embedded store keeps its files in, so that data survives a restart.',
  },
  pollIntervalMs: {
    env: ENV.POLL_INTERVAL_MS,
    parser: integer(100, 60_000),
    fallback: 1000,
    summary: 'How often the stream engine polls the store for changes, in ms.',
  },
  heartbeatIntervalMs: {
    env: ENV.HEARTBEAT_INTERVAL_MS,
    parser: integer(1000, 60_000),
    fallback: 30_000,
    summary: 'Interval of the SSE heartbeat event, in ms.',
  },
  retryMs: {
    env: ENV.RETRY_MS,
    parser: integer(100, 600_000),
    fallback: 3000,
    summary: 'The SSE retry: reconnection delay sent to clients, in ms.',
  },
  maxConnections: {
    env: ENV.MAX_CONNECTIONS,
    parser: integer(1, 1_000_000),
    fallback: 100,
    summary: 'Concurrent SSE connections per process before new ones are refused.',
  },
  ingestApiKey: {
    env: ENV.INGEST_API_KEY,
    parser: headerSecret(16),
    fallback: undefined,
    defaultText: 'none: npm start generates one and prints it (required by npm run serve and in Lambda)',
    summary: 'Secret key of POST /api/v2/items (X-API-Key header). A configured key is never printed.',
    secret: true,
  },
  authJwtSecret: {
    env: ENV.AUTH_JWT_SECRET,
    parser: secret(32),
    fallback: undefined,
    defaultText: 'none (with no AUTH_JWKS_URL either, Bearer tokens are refused)',
    summary: 'HMAC secret that verifies Bearer JWTs (HS256). Not together with AUTH_JWKS_URL.',
    secret: true,
  },
  authJwksUrl: {
    env: ENV.AUTH_JWKS_URL,
    parser: jwksUrl,
    fallback: undefined,
    defaultText: 'none',
    summary: 'JWKS that verifies Bearer JWTs (RS256, ES256, PS256, EdDSA). Not together with AUTH_JWT_SECRET.',
  },
  authJwtIssuer: {
    env: ENV.AUTH_JWT_ISSUER,
    parser: text,
    fallback: undefined,
    defaultText: 'none: not checked',
    summary: 'Required iss claim of JWTs.',
  },
  authJwtAudience: {
    env: ENV.AUTH_JWT_AUDIENCE,
    parser: text,
    fallback: undefined,
    defaultText: 'none: not checked',
    summary: 'Required aud claim of JWTs.',
  },
  authTrustUserIdHeader: {
    env: ENV.AUTH_TRUST_USER_ID_HEADER,
    parser: boolean,
    // Trusting a header is only safe behind something that sets it, which a local run stands in for.
    fallback: (profile) => profile === 'local',
    defaultText: 'true locally (npm start), false for npm run serve and in Lambda',
    summary: 'Take the user id from the X-User-ID header without a token.',
  },
  streamTokenSecret: {
    env: ENV.STREAM_TOKEN_SECRET,
    parser: secret(32),
    fallback: undefined,
    defaultText: 'none: AUTH_JWT_SECRET, else one generated per start (npm run serve and Lambda require one of them)',
    summary: "HMAC secret of the short-lived tokens that open a configuration's stream from a browser.",
    secret: true,
  },
  streamTokenTtlS: {
    env: ENV.STREAM_TOKEN_TTL_S,
    parser: integer(30, 3600),
    fallback: 300,
    summary: 'Lifetime of a stream token, in seconds.',
  },
  streamDeadlineMarginMs: {
    env: ENV.STREAM_DEADLINE_MARGIN_MS,
    parser: integer(1000, 600_000),
    fallback: 10_000,
    summary: 'Lambda stream handler only: how long before the function deadline a stream ends with a reconnect event.',
  },
  streamFlushPaddingBytes: {
    env: ENV.STREAM_FLUSH_PADDING_BYTES,
    parser: integer(0, 262_144),
    fallback: 0,
    summary:
      'Lambda stream handler only: an SSE comment of this many bytes after each write, for when the service holds back small writes (unverified); 0 is off.',
  },
  simulate: {
    env: ENV.SIMULATE,
    parser: boolean,
    fallback: (profile) => profile === 'local',
    defaultText: 'true',
    profiles: ['local'],
    summary: 'npm start only: it posts simulated items so that a fresh install shows live data.',
  },
  logLevel: {
    env: ENV.LOG_LEVEL,
    parser: logLevel,
    fallback: 'info',
    summary: 'How much is logged; silent logs nothing.',
  },
  logFormat: {
    env: ENV.LOG_FORMAT,
    parser: logFormat,
    fallback: 'auto',
    summary:
      'How log lines look: json (one object per line), text (short lines for a person), or auto: text when ' +
      'standard output is a terminal, json otherwise (pipes, files, containers, Lambda).',
  },
  itemRetentionDays: {
    env: ENV.ITEM_RETENTION_DAYS,
    parser: integer(1, 365),
    fallback: 7,
    summary: 'Days an item is kept before it expires; also how long a stream cursor can be resumed.',
  },
  feedSettleMs: {
    env: ENV.FEED_SETTLE_MS,
    parser: integer(0, 60_000),
    fallback: 5000,
    summary: 'How long a feed waits for late items before it counts as settled, in ms.',
  },
  foldIntervalMs: {
    env: ENV.FOLD_INTERVAL_MS,
    parser: integer(1000, 3_600_000),
    fallback: 15_000,
    summary:
      'How much settled feed waits before a fold round writes it into the aggregate rows, in ms. Longer costs ' +
      'fewer writes per item; metrics and history count every item at once either way.',
  },
  dashboardRestBaseUrl: {
    env: ENV.DASHBOARD_REST_BASE_URL,
    parser: baseUrl,
    fallback: undefined,
    defaultText: "none: the page's own origin",
    summary:
      "Where the dashboard (served by npm start and npm run serve) sends REST requests (restBaseUrl of its /config.js); the page's Content-Security-Policy allows this origin.",
  },
  dashboardStreamBaseUrl: {
    env: ENV.DASHBOARD_STREAM_BASE_URL,
    parser: baseUrl,
    fallback: undefined,
    defaultText: "none: the page's own origin",
    summary: "The same for the dashboard's SSE streams (streamBaseUrl of its /config.js).",
  },
  corsAllowedOrigins: {
    env: ENV.CORS_ALLOWED_ORIGINS,
    parser: corsOrigins,
    fallback: (profile) => (profile === 'local' ? ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'] : []),
    defaultText: 'npm start: any port of http://localhost, http://127.0.0.1 and http://[::1]; npm run serve: none',
    profiles: ['local', 'server'],
    summary:
      'Browser origins allowed to call the API and open its streams from another page (CORS); none allows no ' +
      "other origin. On AWS the Function URLs apply the CDK stack's corsAllowedOrigins instead.",
  },
};

/** Every `Config` field, in the table's order. */
const FIELDS = Object.keys(SETTINGS) as readonly (keyof Config)[];

/** Fields holding credentials: never echoed in a problem, never in `describeConfig`. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(FIELDS.filter((field) => SETTINGS[field].secret === true));

export type { Config, EnvName, Profile, Setting };
export { ENV, FIELDS, SECRET_FIELDS, SETTINGS };
