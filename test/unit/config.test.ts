import { describe, expect, it } from 'vitest';
import { type Config, ConfigError, describeConfig, ENV, loadConfig, type Profile } from '../../src/config.ts';

const JWT_SECRET = 'jwt-secret-0123456789-abcdefghijkl'; // 34 characters
const STREAM_SECRET = 'stream-secret-0123456789-abcdefghij'; // 35 characters
const INGEST_KEY = 'ingest-key-0123456'; // 18 characters

const LOCAL_DEFAULTS: Config = {
  port: 3000,
  host: '127.0.0.1',
  dynamodbEndpoint: undefined,
  tableName: 'tickerpulse',
  createTable: false,
  dataDir: undefined,
  pollIntervalMs: 1000,
  heartbeatIntervalMs: 30_000,
  retryMs: 3000,
  maxConnections: 100,
  ingestApiKey: undefined,
  authJwtSecret: undefined,
  authJwksUrl: undefined,
  authJwtIssuer: undefined,
  authJwtAudience: undefined,
  authTrustUserIdHeader: true,
  streamTokenSecret: undefined,
  streamTokenTtlS: 300,
  streamDeadlineMarginMs: 10_000,
  streamFlushPaddingBytes: 0,
  simulate: true,
  logLevel: 'info',
  logFormat: 'auto',
  itemRetentionDays: 7,
  feedSettleMs: 5000,
  foldIntervalMs: 15_000,
  dashboardRestBaseUrl: undefined,
  dashboardStreamBaseUrl: undefined,
  corsAllowedOrigins: ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'],
};

/** Runs `loadConfig` expecting a ConfigError, and returns it so tests can assess its problems. */
function configErrorOf(env: Record<string, string | undefined>, profile: Profile = 'local'): ConfigError {
  try {
    loadConfig(env, profile);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

/** True when `value` and every object reachable from it are frozen; Config is flat today, but need not stay so. */
function isDeeplyFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

describe('ENV', () => {
  it('maps every setting to the environment variable of the same name, frozen', () => {
    // Act
    const entries = Object.entries(ENV);

    // Assess
    expect(entries).toHaveLength(Object.keys(LOCAL_DEFAULTS).length);
    for (const [key, name] of entries) expect(name).toBe(key);
    expect(Object.isFrozen(ENV)).toBe(true);
  });
});

describe('loadConfig defaults', () => {
  it('returns the local defaults for an empty environment, local being the default profile', () => {
    // Act
    const implicit = loadConfig({});
    const explicit = loadConfig({}, 'local');

    // Assess
    expect(implicit).toEqual(LOCAL_DEFAULTS);
    expect(explicit).toEqual(LOCAL_DEFAULTS);
  });

  it('returns the same defaults for lambda, except that the user-id header is not trusted', () => {
    // Prepare: the lambda profile refuses an empty environment, so set only what it requires.
    const env = {
      INGEST_API_KEY: INGEST_KEY,
      AUTH_JWKS_URL: 'https://auth.example.com/.well-known/jwks.json',
      STREAM_TOKEN_SECRET: JWT_SECRET,
    };

    // Act
    const config = loadConfig(env, 'lambda');

    // Assess
    expect(config).toEqual({
      ...LOCAL_DEFAULTS,
      authTrustUserIdHeader: false,
      simulate: false,
      corsAllowedOrigins: [],
      ingestApiKey: INGEST_KEY,
      authJwksUrl: 'https://auth.example.com/.well-known/jwks.json',
      streamTokenSecret: JWT_SECRET,
    });
  });

  it('refuses an empty environment for lambda, naming every missing requirement', () => {
    // Act
    const error = configErrorOf({}, 'lambda');

    // Assess
    expect(error.problems).toEqual([
      'AUTH_JWT_SECRET or AUTH_JWKS_URL is required for the lambda profile, unless AUTH_TRUST_USER_ID_HEADER is true',
      'INGEST_API_KEY is required for the lambda profile',
      'STREAM_TOKEN_SECRET or AUTH_JWT_SECRET is required in Lambda (stream tokens cross functions)',
    ]);
  });
});

describe('loadConfig valid values', () => {
  it.each<[string, string, keyof Config, Config[keyof Config]]>([
    ['PORT', '8080', 'port', 8080],
    ['PORT', '0', 'port', 0],
    ['PORT', '65535', 'port', 65_535],

    ['HOST', '0.0.0.0', 'host', '0.0.0.0'],
    ['HOST', '::1', 'host', '::1'],
    ['HOST', 'api.internal', 'host', 'api.internal'],
    ['DYNAMODB_ENDPOINT', 'http://localhost:8000', 'dynamodbEndpoint', 'http://localhost:8000'],
    [
      'DYNAMODB_ENDPOINT',
      'https://dynamodb.eu-west-1.amazonaws.com',
      'dynamodbEndpoint',
      'https://dynamodb.eu-west-1.amazonaws.com',
    ],
    ['TABLE_NAME', 'abc', 'tableName', 'abc'],
    ['TABLE_NAME', 'Ticker_Pulse.prod-2', 'tableName', 'Ticker_Pulse.prod-2'],
    ['TABLE_NAME', 'x'.repeat(255), 'tableName', 'x'.repeat(255)],
    ['DATA_DIR', './.data/store', 'dataDir', './.data/store'],
    ['HOST', 'fe80::1%eth0', 'host', 'fe80::1%eth0'],
    ['INGEST_API_KEY', 'a key with spaces ~!', 'ingestApiKey', 'a key with spaces ~!'],
    ['AUTH_JWKS_URL', 'http://localhost/jwks.json', 'authJwksUrl', 'http://localhost/jwks.json'],
    ['AUTH_JWKS_URL', 'http://[::1]:9000/jwks.json', 'authJwksUrl', 'http://[::1]:9000/jwks.json'],
    ['DASHBOARD_REST_BASE_URL', 'https://rest.example.com', 'dashboardRestBaseUrl', 'https://rest.example.com'],
    ['CORS_ALLOWED_ORIGINS', 'none', 'corsAllowedOrigins', []],
    [
      'CORS_ALLOWED_ORIGINS',
      'https://app.example.com, http://localhost:5173,https://x.example.com:*',
      'corsAllowedOrigins',
      ['https://app.example.com', 'http://localhost:5173', 'https://x.example.com:*'],
    ],
    [
      'DASHBOARD_STREAM_BASE_URL',
      'http://127.0.0.1:4011/prefix/',
      'dashboardStreamBaseUrl',
      'http://127.0.0.1:4011/prefix/',
    ],
    ['POLL_INTERVAL_MS', '100', 'pollIntervalMs', 100],
    ['POLL_INTERVAL_MS', '60000', 'pollIntervalMs', 60_000],
    ['HEARTBEAT_INTERVAL_MS', '1000', 'heartbeatIntervalMs', 1000],
    ['HEARTBEAT_INTERVAL_MS', '60000', 'heartbeatIntervalMs', 60_000],
    ['RETRY_MS', '100', 'retryMs', 100],
    ['RETRY_MS', '600000', 'retryMs', 600_000],
    ['MAX_CONNECTIONS', '1', 'maxConnections', 1],
    ['MAX_CONNECTIONS', '1000000', 'maxConnections', 1_000_000],
    ['INGEST_API_KEY', 'k'.repeat(16), 'ingestApiKey', 'k'.repeat(16)],
    ['AUTH_JWT_SECRET', 's'.repeat(32), 'authJwtSecret', 's'.repeat(32)],
    ['AUTH_JWKS_URL', 'https://auth.example.com/jwks.json', 'authJwksUrl', 'https://auth.example.com/jwks.json'],
    ['AUTH_JWKS_URL', 'http://127.0.0.1:9000/jwks.json', 'authJwksUrl', 'http://127.0.0.1:9000/jwks.json'],
    ['AUTH_JWT_ISSUER', 'https://auth.example.com/', 'authJwtIssuer', 'https://auth.example.com/'],
    ['AUTH_JWT_AUDIENCE', 'tickerpulse-api', 'authJwtAudience', 'tickerpulse-api'],
    ['AUTH_TRUST_USER_ID_HEADER', 'false', 'authTrustUserIdHeader', false],
    ['AUTH_TRUST_USER_ID_HEADER', 'TRUE', 'authTrustUserIdHeader', true],
    ['STREAM_TOKEN_SECRET', 't'.repeat(32), 'streamTokenSecret', 't'.repeat(32)],
    ['STREAM_TOKEN_TTL_S', '30', 'streamTokenTtlS', 30],
    ['STREAM_TOKEN_TTL_S', '3600', 'streamTokenTtlS', 3600],
    ['STREAM_DEADLINE_MARGIN_MS', '1000', 'streamDeadlineMarginMs', 1000],
    ['STREAM_DEADLINE_MARGIN_MS', '600000', 'streamDeadlineMarginMs', 600_000],
    ['STREAM_FLUSH_PADDING_BYTES', '4096', 'streamFlushPaddingBytes', 4096],
    ['SIMULATE', 'false', 'simulate', false],
    ['CREATE_TABLE', 'true', 'createTable', true],
    ['CREATE_TABLE', 'no', 'createTable', false],
    ['LOG_LEVEL', 'debug', 'logLevel', 'debug'],
    ['LOG_LEVEL', 'warn', 'logLevel', 'warn'],
    ['LOG_LEVEL', 'error', 'logLevel', 'error'],
    ['LOG_LEVEL', 'silent', 'logLevel', 'silent'],
    ['LOG_LEVEL', 'INFO', 'logLevel', 'info'],
    ['ITEM_RETENTION_DAYS', '1', 'itemRetentionDays', 1],
    ['ITEM_RETENTION_DAYS', '365', 'itemRetentionDays', 365],
    ['FEED_SETTLE_MS', '0', 'feedSettleMs', 0],
    ['FOLD_INTERVAL_MS', '1000', 'foldIntervalMs', 1000],
    ['FOLD_INTERVAL_MS', '3600000', 'foldIntervalMs', 3_600_000],
    ['FEED_SETTLE_MS', '60000', 'feedSettleMs', 60_000],
  ])('reads %s=%j as %s', (name, raw, field, expected) => {
    // Act
    const config = loadConfig({ [name]: raw });

    // Assess
    expect(config[field]).toEqual(expected);
    expect(config).toEqual({ ...LOCAL_DEFAULTS, [field]: expected });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['1', true],
    ['0', false],
    ['yes', true],
    ['no', false],
    ['on', true],
    ['off', false],
    ['Yes', true],
    ['OFF', false],
  ])('reads the boolean word %j as %s', (raw, expected) => {
    // Act
    const config = loadConfig({ SIMULATE: raw, AUTH_TRUST_USER_ID_HEADER: raw });

    // Assess
    expect(config.simulate).toBe(expected);
    expect(config.authTrustUserIdHeader).toBe(expected);
  });
});

describe('loadConfig invalid values', () => {
  const int = (min: number, max: number): string => `expected an integer from ${min} to ${max}`;
  const url = 'expected an absolute http: or https: URL';
  const jwks = 'expected an absolute https: URL (http: only to localhost)';
  const bool = 'expected one of true, false, 1, 0, yes, no, on, off';
  const hostRule = 'expected a host name or address: letters, digits, ".", "-", "_", ":" and "%"';
  const credentials = 'a URL without a user name or password (the value is not shown)';
  const origins =
    'expected none, or origins separated by commas, each http(s)://host[:port] as a browser sends it, or http(s)://host:* for any port';

  it.each([
    ['PORT', 'abc', `PORT="abc" is not valid: ${int(0, 65_535)}`],
    ['PORT', '65536', `PORT="65536" is not valid: ${int(0, 65_535)}`],
    ['PORT', '-1', `PORT="-1" is not valid: ${int(0, 65_535)}`],
    ['PORT', '1e3', `PORT="1e3" is not valid: ${int(0, 65_535)}`],
    ['PORT', '12abc', `PORT="12abc" is not valid: ${int(0, 65_535)}`],
    ['PORT', '3.5', `PORT="3.5" is not valid: ${int(0, 65_535)}`],
    ['PORT', '0x10', `PORT="0x10" is not valid: ${int(0, 65_535)}`],
    ['PORT', '+80', `PORT="+80" is not valid: ${int(0, 65_535)}`],
    ['PORT', '80 80', `PORT="80 80" is not valid: ${int(0, 65_535)}`],
    ['PORT', '٣٠٠٠', `PORT="٣٠٠٠" is not valid: ${int(0, 65_535)}`],
    ['PORT', '99999999999999999999', `PORT="99999999999999999999" is not valid: ${int(0, 65_535)}`],
    ['POLL_INTERVAL_MS', '99', `POLL_INTERVAL_MS="99" is not valid: ${int(100, 60_000)}`],
    ['POLL_INTERVAL_MS', '60001', `POLL_INTERVAL_MS="60001" is not valid: ${int(100, 60_000)}`],
    ['HEARTBEAT_INTERVAL_MS', '999', `HEARTBEAT_INTERVAL_MS="999" is not valid: ${int(1000, 60_000)}`],
    ['RETRY_MS', '600001', `RETRY_MS="600001" is not valid: ${int(100, 600_000)}`],
    ['MAX_CONNECTIONS', '0', `MAX_CONNECTIONS="0" is not valid: ${int(1, 1_000_000)}`],
    ['STREAM_TOKEN_TTL_S', '29', `STREAM_TOKEN_TTL_S="29" is not valid: ${int(30, 3600)}`],
    ['STREAM_TOKEN_TTL_S', '5m', `STREAM_TOKEN_TTL_S="5m" is not valid: ${int(30, 3600)}`],
    ['STREAM_DEADLINE_MARGIN_MS', '600001', `STREAM_DEADLINE_MARGIN_MS="600001" is not valid: ${int(1000, 600_000)}`],
    ['STREAM_FLUSH_PADDING_BYTES', '-1', `STREAM_FLUSH_PADDING_BYTES="-1" is not valid: ${int(0, 262_144)}`],
    ['ITEM_RETENTION_DAYS', '366', `ITEM_RETENTION_DAYS="366" is not valid: ${int(1, 365)}`],
    ['ITEM_RETENTION_DAYS', '0', `ITEM_RETENTION_DAYS="0" is not valid: ${int(1, 365)}`],
    ['FEED_SETTLE_MS', '-5', `FEED_SETTLE_MS="-5" is not valid: ${int(0, 60_000)}`],
    ['DYNAMODB_ENDPOINT', 'ftp://x', `DYNAMODB_ENDPOINT="ftp://x" is not valid: ${url}`],
    ['DYNAMODB_ENDPOINT', 'not a url', `DYNAMODB_ENDPOINT="not a url" is not valid: ${url}`],
    ['DYNAMODB_ENDPOINT', 'localhost:8000', `DYNAMODB_ENDPOINT="localhost:8000" is not valid: ${url}`],
    ['DYNAMODB_ENDPOINT', '/relative/path', `DYNAMODB_ENDPOINT="/relative/path" is not valid: ${url}`],
    ['AUTH_JWKS_URL', 'ftp://x', `AUTH_JWKS_URL="ftp://x" is not valid: ${jwks}`],
    ['AUTH_JWKS_URL', 'not a url', `AUTH_JWKS_URL="not a url" is not valid: ${jwks}`],
    ['AUTH_JWKS_URL', 'file:///etc/jwks.json', `AUTH_JWKS_URL="file:///etc/jwks.json" is not valid: ${jwks}`],
    [
      'AUTH_JWKS_URL',
      'http://auth.example.com/jwks.json',
      `AUTH_JWKS_URL="http://auth.example.com/jwks.json" is not valid: ${jwks}`,
    ],
    ['AUTH_TRUST_USER_ID_HEADER', 'maybe', `AUTH_TRUST_USER_ID_HEADER="maybe" is not valid: ${bool}`],
    ['SIMULATE', 'y', `SIMULATE="y" is not valid: ${bool}`],
    ['CREATE_TABLE', 'maybe', `CREATE_TABLE="maybe" is not valid: ${bool}`],
    ['SIMULATE', '2', `SIMULATE="2" is not valid: ${bool}`],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL="loud" is not valid: expected one of debug, info, warn, error, silent'],
    ['LOG_LEVEL', 'warning', 'LOG_LEVEL="warning" is not valid: expected one of debug, info, warn, error, silent'],
    ['HOST', 'my host', `HOST="my host" is not valid: ${hostRule}`],
    ['HOST', 'a\0b', `HOST="a\\u0000b" is not valid: ${hostRule}`],
    ['HOST', 'http://0.0.0.0', `HOST="http://0.0.0.0" is not valid: ${hostRule}`],
    ['PORT', '-0', `PORT="-0" is not valid: ${int(0, 65_535)}`],
    ['PORT', '007', `PORT="007" is not valid: ${int(0, 65_535)}`],
    ['PORT', '00', `PORT="00" is not valid: ${int(0, 65_535)}`],
    ['PORT', '+80', `PORT="+80" is not valid: ${int(0, 65_535)}`],
    ['PORT', '0x10', `PORT="0x10" is not valid: ${int(0, 65_535)}`],
    ['PORT', '1e3', `PORT="1e3" is not valid: ${int(0, 65_535)}`],
    ['PORT', '80.0', `PORT="80.0" is not valid: ${int(0, 65_535)}`],
    ['PORT', '８０', `PORT="８０" is not valid: ${int(0, 65_535)}`],
    ['DATA_DIR', '/var/lib/x\0y', 'DATA_DIR="/var/lib/x\\u0000y" is not valid: expected a path without NUL characters'],
    ['DYNAMODB_ENDPOINT', 'http:localhost:8000', `DYNAMODB_ENDPOINT="http:localhost:8000" is not valid: ${url}`],
    [
      'DYNAMODB_ENDPOINT',
      'http://admin:hunter2@localhost:8000',
      `DYNAMODB_ENDPOINT is not valid: expected ${credentials}`,
    ],
    ['AUTH_JWKS_URL', 'https://me:hunter2@auth.example.com/', `AUTH_JWKS_URL is not valid: expected ${credentials}`],
    // A query string can carry credentials (a presigned token): refused, and not echoed.
    [
      'DYNAMODB_ENDPOINT',
      'https://dynamodb.example.com/?X-Amz-Security-Token=secret-token',
      'DYNAMODB_ENDPOINT is not valid: expected an absolute http: or https: URL without query or fragment (the value is not shown)',
    ],
    [
      'DYNAMODB_ENDPOINT',
      'http://localhost:8000/#secret',
      'DYNAMODB_ENDPOINT is not valid: expected an absolute http: or https: URL without query or fragment (the value is not shown)',
    ],
    [
      'AUTH_JWKS_URL',
      'http://127.evil.example/jwks.json',
      `AUTH_JWKS_URL="http://127.evil.example/jwks.json" is not valid: ${jwks}`,
    ],
    [
      'AUTH_JWKS_URL',
      'http://localhost.evil.example/',
      `AUTH_JWKS_URL="http://localhost.evil.example/" is not valid: ${jwks}`,
    ],
    ['DASHBOARD_REST_BASE_URL', 'rest.example.com', `DASHBOARD_REST_BASE_URL="rest.example.com" is not valid: ${url}`],
    ...[
      'https://app.example.com/',
      'HTTPS://app.example.com',
      'https://app.example.com:443',
      '*',
      'ftp://x.example',
      'https://x.example.com:*/',
      'https://a.example,',
      'https://user@a.example',
    ].map((value): [string, string, string] => [
      'CORS_ALLOWED_ORIGINS',
      value,
      `CORS_ALLOWED_ORIGINS=${JSON.stringify(value)} is not valid: ${origins}`,
    ]),
    [
      'DASHBOARD_STREAM_BASE_URL',
      'https://sse.example.com/?x=1',
      'DASHBOARD_STREAM_BASE_URL="https://sse.example.com/?x=1" is not valid: expected an absolute http: or https: URL without query or fragment',
    ],
    ['INGEST_API_KEY', 'ключ-ключ-ключ-ключ', 'INGEST_API_KEY is not valid: expected printable ASCII characters only'],
    ['TABLE_NAME', 'ab', 'TABLE_NAME="ab" is not valid: expected 3 to 255 characters of A-Z, a-z, 0-9, _, . and -'],
    [
      'TABLE_NAME',
      'ticker pulse',
      'TABLE_NAME="ticker pulse" is not valid: expected 3 to 255 characters of A-Z, a-z, 0-9, _, . and -',
    ],
    [
      'TABLE_NAME',
      'tickers/prod',
      'TABLE_NAME="tickers/prod" is not valid: expected 3 to 255 characters of A-Z, a-z, 0-9, _, . and -',
    ],
    [
      'TABLE_NAME',
      'x'.repeat(256),
      `TABLE_NAME="${'x'.repeat(60)}…" is not valid: expected 3 to 255 characters of A-Z, a-z, 0-9, _, . and -`,
    ],
    ['INGEST_API_KEY', 'hunter2', 'INGEST_API_KEY is not valid: expected at least 16 characters (got 7)'],
    ['INGEST_API_KEY', 'k'.repeat(15), 'INGEST_API_KEY is not valid: expected at least 16 characters (got 15)'],
    ['AUTH_JWT_SECRET', 'short', 'AUTH_JWT_SECRET is not valid: expected at least 32 characters (got 5)'],
    ['AUTH_JWT_SECRET', 's'.repeat(31), 'AUTH_JWT_SECRET is not valid: expected at least 32 characters (got 31)'],
    ['STREAM_TOKEN_SECRET', 'tiny', 'STREAM_TOKEN_SECRET is not valid: expected at least 32 characters (got 4)'],
  ])('refuses %s=%j', (name, raw, message) => {
    // Act
    const error = configErrorOf({ [name]: raw });

    // Assess
    expect(error.problems).toEqual([message]);
    expect(error.message).toBe(`Invalid configuration:\n${message}`);
  });

  it('escapes control characters in an echoed value, so a problem stays on one line', () => {
    // Act
    const error = configErrorOf({ LOG_LEVEL: 'info\nFAKE: injected' });

    // Assess
    expect(error.problems).toEqual([
      'LOG_LEVEL="info\\nFAKE: injected" is not valid: expected one of debug, info, warn, error, silent',
    ]);
  });

  it('escapes what JSON leaves raw: Unicode line separators, C1 controls and format characters', () => {
    // Act: U+E0001 is an astral format character, escaped as its two UTF-16 units.
    const error = configErrorOf({ LOG_LEVEL: 'info\u2028FAKE\u0085x\u202Eevil\u{E0001}' });

    // Assess
    expect(error.problems).toEqual([
      'LOG_LEVEL="info\\u2028FAKE\\u0085x\\u202eevil\\udb40\\udc01" is not valid: expected one of debug, info, warn, error, silent',
    ]);
  });

  it('reports every bad variable in one ConfigError, in the order of the settings', () => {
    // Prepare
    const env = {
      LOG_LEVEL: 'loud',
      PORT: 'abc',
      AUTH_TRUST_USER_ID_HEADER: 'maybe',
      DYNAMODB_ENDPOINT: 'ftp://x',
      AUTH_JWT_SECRET: 'short',
      RETRY_MS: '3.5',
      SIMULATE: 'true',
    };

    // Act
    const error = configErrorOf(env);

    // Assess
    const problems = [
      'PORT="abc" is not valid: expected an integer from 0 to 65535',
      'DYNAMODB_ENDPOINT="ftp://x" is not valid: expected an absolute http: or https: URL',
      'RETRY_MS="3.5" is not valid: expected an integer from 100 to 600000',
      'AUTH_JWT_SECRET is not valid: expected at least 32 characters (got 5)',
      'AUTH_TRUST_USER_ID_HEADER="maybe" is not valid: expected one of true, false, 1, 0, yes, no, on, off',
      'LOG_LEVEL="loud" is not valid: expected one of debug, info, warn, error, silent',
    ];
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toEqual(problems);
    expect(error.message).toBe(['Invalid configuration:', ...problems].join('\n'));
    expect(Object.isFrozen(error.problems)).toBe(true);
  });
});

describe('loadConfig empty and whitespace values', () => {
  it.each([
    ['an empty string', ''],
    ['spaces', '   '],
    ['tabs and newlines', '\t\n \r\n'],
  ])('treats %s as unset, so every default applies', (_name, raw) => {
    // Prepare
    const env = Object.fromEntries(Object.values(ENV).map((name) => [name, raw]));

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toEqual(LOCAL_DEFAULTS);
  });

  it('treats blank values as unset for the lambda requirements too', () => {
    // Act
    const error = configErrorOf({ INGEST_API_KEY: '  ', AUTH_JWT_SECRET: '', AUTH_JWKS_URL: '\t' }, 'lambda');

    // Assess
    expect(error.problems).toEqual([
      'AUTH_JWT_SECRET or AUTH_JWKS_URL is required for the lambda profile, unless AUTH_TRUST_USER_ID_HEADER is true',
      'INGEST_API_KEY is required for the lambda profile',
      'STREAM_TOKEN_SECRET or AUTH_JWT_SECRET is required in Lambda (stream tokens cross functions)',
    ]);
  });

  it.each<[string, string, keyof Config, Config[keyof Config]]>([
    ['PORT', ' 8080\n', 'port', 8080],
    ['HOST', '\t0.0.0.0 ', 'host', '0.0.0.0'],
    ['TABLE_NAME', '  prices  ', 'tableName', 'prices'],
    ['DYNAMODB_ENDPOINT', ' http://localhost:8000 ', 'dynamodbEndpoint', 'http://localhost:8000'],
    ['DATA_DIR', ' /var/lib/tickerpulse ', 'dataDir', '/var/lib/tickerpulse'],
    ['SIMULATE', ' off ', 'simulate', false],
    ['LOG_LEVEL', ' debug\n', 'logLevel', 'debug'],
    ['AUTH_JWT_SECRET', `  ${'s'.repeat(32)}  `, 'authJwtSecret', 's'.repeat(32)],
  ])('trims %s=%j', (name, raw, field, expected) => {
    // Act
    const config = loadConfig({ [name]: raw });

    // Assess
    expect(config[field]).toBe(expected);
  });

  it('counts a secret after trimming, so padding cannot make a short secret long enough', () => {
    // Act
    const error = configErrorOf({ AUTH_JWT_SECRET: `   ${'s'.repeat(30)}   ` });

    // Assess
    expect(error.problems).toEqual(['AUTH_JWT_SECRET is not valid: expected at least 32 characters (got 30)']);
  });
});

describe('loadConfig freezing', () => {
  it('returns a deeply frozen object that cannot be changed', () => {
    // Prepare
    const config = loadConfig({ PORT: '8080' });

    // Act
    const assign = (): void => {
      (config as { port: number }).port = 1;
    };

    // Assess
    expect(isDeeplyFrozen(config)).toBe(true);
    expect(assign).toThrow(TypeError);
    expect(config.port).toBe(8080);
  });

  it('does not keep a reference to the environment it read', () => {
    // Prepare
    const env: Record<string, string | undefined> = { PORT: '8080' };
    const config = loadConfig(env);

    // Act
    env.PORT = '9090';

    // Assess
    expect(config.port).toBe(8080);
  });
});

describe('loadConfig cross-field rules', () => {
  const notBoth = 'set one of AUTH_JWT_SECRET or AUTH_JWKS_URL, not both';
  const authRequired =
    'AUTH_JWT_SECRET or AUTH_JWKS_URL is required for the lambda profile, unless AUTH_TRUST_USER_ID_HEADER is true';
  const ingestRequired = 'INGEST_API_KEY is required for the lambda profile';
  const tokenSecretRequired =
    'STREAM_TOKEN_SECRET or AUTH_JWT_SECRET is required in Lambda (stream tokens cross functions)';
  const jwks = 'https://auth.example.com/jwks.json';

  it.each<[string, Profile, Record<string, string>, string[]]>([
    ['lambda without auth', 'lambda', { INGEST_API_KEY: INGEST_KEY }, [authRequired, tokenSecretRequired]],
    [
      'lambda-stream without auth (no ingest key needed there)',
      'lambda-stream',
      {},
      [authRequired, tokenSecretRequired],
    ],
    [
      'lambda with JWKS but no secret to sign stream tokens',
      'lambda',
      { INGEST_API_KEY: INGEST_KEY, AUTH_JWKS_URL: jwks },
      [tokenSecretRequired],
    ],
    ['lambda without an ingest key', 'lambda', { AUTH_JWT_SECRET: JWT_SECRET }, [ingestRequired]],
    [
      'lambda trusting the header explicitly set to false',
      'lambda',
      { INGEST_API_KEY: INGEST_KEY, AUTH_TRUST_USER_ID_HEADER: 'false' },
      [authRequired, tokenSecretRequired],
    ],
    [
      'both JWT mechanisms in lambda',
      'lambda',
      { INGEST_API_KEY: INGEST_KEY, AUTH_JWT_SECRET: JWT_SECRET, AUTH_JWKS_URL: jwks },
      [notBoth],
    ],
    ['both JWT mechanisms locally', 'local', { AUTH_JWT_SECRET: JWT_SECRET, AUTH_JWKS_URL: jwks }, [notBoth]],
    [
      'a short JWT secret in lambda once, as too short rather than also missing',
      'lambda',
      { INGEST_API_KEY: INGEST_KEY, AUTH_JWT_SECRET: 'short' },
      ['AUTH_JWT_SECRET is not valid: expected at least 32 characters (got 5)'],
    ],
    [
      'a short ingest key in lambda once, as too short rather than also missing',
      'lambda',
      { INGEST_API_KEY: 'hunter2', AUTH_JWKS_URL: jwks, STREAM_TOKEN_SECRET: JWT_SECRET },
      ['INGEST_API_KEY is not valid: expected at least 16 characters (got 7)'],
    ],
    [
      'an invalid header flag in lambda, which then leaves the header untrusted',
      'lambda',
      { INGEST_API_KEY: INGEST_KEY, AUTH_TRUST_USER_ID_HEADER: 'maybe' },
      [
        'AUTH_TRUST_USER_ID_HEADER="maybe" is not valid: expected one of true, false, 1, 0, yes, no, on, off',
        authRequired,
        tokenSecretRequired,
      ],
    ],
  ])('reports %s', (_name, profile, env, problems) => {
    // Act
    const error = configErrorOf(env, profile);

    // Assess
    expect(error.problems).toEqual(problems);
  });

  it.each<[string, Record<string, string>, Partial<Config>]>([
    ['a JWT secret', { INGEST_API_KEY: INGEST_KEY, AUTH_JWT_SECRET: JWT_SECRET }, { authJwtSecret: JWT_SECRET }],
    [
      'a JWKS URL and a stream token secret',
      { INGEST_API_KEY: INGEST_KEY, AUTH_JWKS_URL: jwks, STREAM_TOKEN_SECRET: JWT_SECRET },
      { authJwksUrl: jwks },
    ],
    [
      'a trusted user-id header instead of JWTs',
      { INGEST_API_KEY: INGEST_KEY, AUTH_TRUST_USER_ID_HEADER: 'yes', STREAM_TOKEN_SECRET: JWT_SECRET },
      { authTrustUserIdHeader: true },
    ],
  ])('accepts lambda with an ingest key and %s', (_name, env, expected) => {
    // Act
    const config = loadConfig(env, 'lambda');

    // Assess
    expect(config).toMatchObject({ ingestApiKey: INGEST_KEY, ...expected });
  });

  it('refuses an empty environment for npm run serve, naming every missing requirement', () => {
    // Act
    const error = configErrorOf({}, 'server');

    // Assess: a fleet of processes shares one key and one token secret, so none is generated.
    expect(error.problems).toEqual([
      'AUTH_JWT_SECRET or AUTH_JWKS_URL is required for npm run serve, unless AUTH_TRUST_USER_ID_HEADER is true',
      'INGEST_API_KEY is required for npm run serve',
      'STREAM_TOKEN_SECRET or AUTH_JWT_SECRET is required for npm run serve (stream tokens cross processes)',
    ]);
  });

  it('accepts npm run serve with an ingest key and a JWT secret, trusting no header by default', () => {
    // Act
    const config = loadConfig(
      { INGEST_API_KEY: INGEST_KEY, AUTH_JWT_SECRET: JWT_SECRET, CREATE_TABLE: 'true' },
      'server',
    );

    // Assess
    expect(config).toEqual({
      ...LOCAL_DEFAULTS,
      authTrustUserIdHeader: false,
      simulate: false,
      corsAllowedOrigins: [],
      ingestApiKey: INGEST_KEY,
      authJwtSecret: JWT_SECRET,
      createTable: true,
    });
  });

  it('does not require auth or an ingest key locally', () => {
    // Act
    const config = loadConfig({ AUTH_TRUST_USER_ID_HEADER: 'false' }, 'local');

    // Assess
    expect(config.authTrustUserIdHeader).toBe(false);
    expect(config.ingestApiKey).toBeUndefined();
  });
});

describe('secrets', () => {
  const shortSecrets = {
    INGEST_API_KEY: 'hunter2-ingest',
    AUTH_JWT_SECRET: 'hunter2-jwt',
    STREAM_TOKEN_SECRET: 'hunter2-st',
  };

  it('never echoes a secret in a problem or in the error message', () => {
    // Act
    const error = configErrorOf(shortSecrets, 'lambda');

    // Assess
    expect(error.problems).toEqual([
      'INGEST_API_KEY is not valid: expected at least 16 characters (got 14)',
      'AUTH_JWT_SECRET is not valid: expected at least 32 characters (got 11)',
      'STREAM_TOKEN_SECRET is not valid: expected at least 32 characters (got 10)',
    ]);
    for (const secret of Object.values(shortSecrets)) {
      expect(error.message).not.toContain(secret);
      expect(error.stack).not.toContain(secret);
    }
    expect(error.message).not.toContain('hunter2');
  });

  it('never puts a secret in describeConfig, showing (set) instead', () => {
    // Prepare
    const config = loadConfig(
      { INGEST_API_KEY: INGEST_KEY, AUTH_JWT_SECRET: JWT_SECRET, STREAM_TOKEN_SECRET: STREAM_SECRET },
      'lambda',
    );

    // Act
    const described = describeConfig(config);

    // Assess
    expect(described).toMatchObject({ ingestApiKey: '(set)', authJwtSecret: '(set)', streamTokenSecret: '(set)' });
    const logLine = JSON.stringify(described);
    for (const secret of [INGEST_KEY, JWT_SECRET, STREAM_SECRET]) expect(logLine).not.toContain(secret);
  });
});

describe('describeConfig', () => {
  it('lists every setting, with null for unset values', () => {
    // Act
    const described = describeConfig(loadConfig({}));

    // Assess
    expect(described).toEqual({
      ...LOCAL_DEFAULTS,
      corsAllowedOrigins: LOCAL_DEFAULTS.corsAllowedOrigins.join(','),
      dynamodbEndpoint: null,
      dataDir: null,
      ingestApiKey: null,
      authJwtSecret: null,
      authJwksUrl: null,
      authJwtIssuer: null,
      authJwtAudience: null,
      streamTokenSecret: null,
      dashboardRestBaseUrl: null,
      dashboardStreamBaseUrl: null,
    });
  });

  it('shows the values of settings that are not secrets', () => {
    // Prepare
    const config = loadConfig({
      PORT: '8080',
      DYNAMODB_ENDPOINT: 'http://localhost:8000',
      AUTH_JWKS_URL: 'https://auth.example.com/jwks.json',
      AUTH_JWT_ISSUER: 'https://auth.example.com/',
      LOG_LEVEL: 'debug',
      SIMULATE: 'no',
    });

    // Act
    const described = describeConfig(config);

    // Assess
    expect(described).toMatchObject({
      port: 8080,
      dynamodbEndpoint: 'http://localhost:8000',
      authJwksUrl: 'https://auth.example.com/jwks.json',
      authJwtIssuer: 'https://auth.example.com/',
      logLevel: 'debug',
      simulate: false,
    });
  });
});

describe('settings of one command only', () => {
  it.each(['server', 'lambda', 'lambda-stream'] as const)(
    'say the %s profile never simulates, even with SIMULATE set (its start-up log shows what it does)',
    (profile) => {
      const env = {
        SIMULATE: 'true',
        INGEST_API_KEY: 'profile-test-ingest-key-01',
        AUTH_JWT_SECRET: 'profile-test-jwt-secret-0123456789abcdef',
      };
      const config = loadConfig(env, profile);
      expect(config.simulate).toBe(false);
      expect(describeConfig(config).simulate).toBe(false);
    },
  );

  it('let npm start simulate by default', () => {
    expect(loadConfig({}).simulate).toBe(true);
  });
});
