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
  DASHBOARD_REST_BASE_URL: 'DASHBOARD_REST_BASE_URL',
  DASHBOARD_STREAM_BASE_URL: 'DASHBOARD_STREAM_BASE_URL',
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

/**
 * The validated settings, one field per variable. What each means, its default and what it
 * accepts are in `SETTINGS` below, which `loadConfig` reads and `npm start -- --help` prints.
 */
type Config = {
  readonly port: number;
  readonly host: string;
  readonly dynamodbEndpoint: string | undefined;
  readonly tableName: string;
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
  readonly itemRetentionDays: number;
  readonly feedSettleMs: number;
  readonly dashboardRestBaseUrl: string | undefined;
  readonly dashboardStreamBaseUrl: string | undefined;
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

/** `redact`: the value holds a credential (a URL's user:password) and must not be echoed. */
type Failure = { readonly ok: false; readonly expected: string; readonly redact: boolean };
type Check<T> = { readonly ok: true; readonly value: T } | Failure;
/**
 * A setting's rule: what it accepts, in words (the usage prints this; each failure names the part
 * that failed), and the check itself.
 */
type Parser<T> = { readonly accepts: string; readonly check: (text: string) => Check<T> };

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = (expected: string, redact = false): Failure => ({ ok: false, expected, redact });

/** Long values are cut so a pasted file or key cannot flood the start-up error. */
const MAX_ECHO_CHARACTERS = 60;

// What JSON.stringify leaves as it is but a terminal or log viewer may act on: DEL and C1 controls
// (U+0085 is a line break to some), format characters (bidi overrides reorder the line) and the
// Unicode line and paragraph separators.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** `\uXXXX` for each UTF-16 unit, as JSON would write it (an astral format character is two). */
const escapeUnits = (character: string): string =>
  Array.from({ length: character.length }, (_, unit) => {
    const code = character.charCodeAt(unit).toString(16).padStart(4, '0');
    return `\\u${code}`;
  }).join('');

// JSON quoting shows where the value ends and escapes newlines, so a value cannot forge log lines;
// the rest of the invisible characters are escaped the same way. Cutting by code point never leaves
// half a surrogate pair; splitting a combined emoji is harmless here.
function quote(text: string): string {
  const characters = Array.from(text);
  return JSON.stringify(
    characters.length > MAX_ECHO_CHARACTERS ? `${characters.slice(0, MAX_ECHO_CHARACTERS).join('')}…` : text,
  ).replace(INVISIBLE, escapeUnits);
}

// Number() alone would take 1e3, 0x10, 3.5 and ' 12 ', parseInt '12abc'. A setting is spelt as
// the REST query rules spell integers (src/contract/rest.ts): plain decimal digits, no sign (so no
// -0), point, exponent, 0x/0o/0b prefix or non-ASCII digits, and no leading zero ('010' reads as
// 8 to some tools, 10 to others). Only the surrounding whitespace every setting loses is allowed.
function integer(min: number, max: number): Parser<number> {
  const accepts = `an integer from ${min} to ${max}`;
  return {
    accepts,
    check: (text) => {
      const value = Number(text);
      return /^(?:0|[1-9][0-9]*)$/.test(text) && value >= min && value <= max ? ok(value) : fail(accepts);
    },
  };
}

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

const BOOLEAN_EXPECTED = `one of ${[...BOOLEAN_WORDS.keys()].join(', ')}`;
const boolean: Parser<boolean> = {
  accepts: `${BOOLEAN_EXPECTED} (any case)`,
  check: (text) => {
    const value = BOOLEAN_WORDS.get(text.toLowerCase());
    return value === undefined ? fail(BOOLEAN_EXPECTED) : ok(value);
  },
};

const LOG_LEVEL_EXPECTED = `one of ${LOG_LEVELS.join(', ')}`;
const logLevel: Parser<LogLevel> = {
  accepts: `${LOG_LEVEL_EXPECTED} (any case)`,
  check: (text) => {
    const value = LOG_LEVELS.find((level) => level === text.toLowerCase());
    return value === undefined ? fail(LOG_LEVEL_EXPECTED) : ok(value);
  },
};

const HTTP_URL_EXPECTED = 'an absolute http: or https: URL';
const CREDENTIALS_IN_URL = 'a URL without a user name or password (the value is not shown)';
/** Appended to what each URL setting accepts. */
const NO_CREDENTIALS = '; no user name or password';

/**
 * An absolute http(s) URL written out in full (`http://`; the URL parser would also take
 * `http:host` or backslashes), without credentials: URLs are logged at start-up, and a password
 * in one would be echoed.
 */
function parseHttpUrl(text: string): { url: URL } | { problem: Failure } {
  const url = URL.parse(text);
  if (url === null || !/^https?:\/\//i.test(text)) return { problem: fail(HTTP_URL_EXPECTED) };
  if (url.username !== '' || url.password !== '') return { problem: fail(CREDENTIALS_IN_URL, true) };
  return { url };
}

// Relative URLs and other schemes (ftp:, file:, a bare "localhost:8000") would only fail at the first request.
const httpUrl: Parser<string> = {
  accepts: `${HTTP_URL_EXPECTED}${NO_CREDENTIALS}`,
  check: (text) => {
    const parsed = parseHttpUrl(text);
    return 'problem' in parsed ? parsed.problem : ok(text);
  },
};

// The authenticator's own test (src/auth/authenticator.ts), on the parser's normalised host name,
// so that whatever passes here also passes there: `127.evil.example` is not loopback.
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

// Whoever can change the key set can sign tokens as any user, so keys travel over TLS; plain http
// only to this machine (tests, a local identity provider). The authenticator enforces the same.
const JWKS_EXPECTED = 'an absolute https: URL (http: only to localhost)';
const jwksUrl: Parser<string> = {
  accepts: `${JWKS_EXPECTED}${NO_CREDENTIALS}`,
  check: (text) => {
    const parsed = parseHttpUrl(text);
    if ('problem' in parsed) return parsed.problem.redact ? parsed.problem : fail(JWKS_EXPECTED);
    const { url } = parsed;
    return url.protocol === 'https:' || LOOPBACK_HOST.test(url.hostname) ? ok(text) : fail(JWKS_EXPECTED);
  },
};

// Where the dashboard's requests go: a path prefix is fine, a query or fragment would break the
// paths appended to it.
const BASE_URL_EXPECTED = `${HTTP_URL_EXPECTED} without query or fragment`;
const baseUrl: Parser<string> = {
  accepts: `${BASE_URL_EXPECTED}${NO_CREDENTIALS}`,
  check: (text) => {
    const parsed = parseHttpUrl(text);
    if ('problem' in parsed) return parsed.problem;
    return parsed.url.search === '' && parsed.url.hash === '' && !/[?#]/.test(text)
      ? ok(text)
      : fail(BASE_URL_EXPECTED);
  },
};

// Listen fails late, and with a stack trace, on anything that is not a name or an address; '%' is
// an IPv6 zone (fe80::1%eth0).
const HOST_EXPECTED = 'a host name or address: letters, digits, ".", "-", "_", ":" and "%"';
const host: Parser<string> = {
  accepts: HOST_EXPECTED,
  check: (text) => (/^[A-Za-z0-9._:%-]{1,255}$/.test(text) ? ok(text) : fail(HOST_EXPECTED)),
};

// No file system takes a path with NUL; Node would throw at the first file operation instead.
const PATH_EXPECTED = 'a path without NUL characters';
const path: Parser<string> = {
  accepts: PATH_EXPECTED,
  check: (text) => (text.includes('\0') ? fail(PATH_EXPECTED) : ok(text)),
};

// DynamoDB's own rule for table names, checked here so a typo fails at start-up, not at the first query.
const TABLE_NAME_EXPECTED = '3 to 255 characters of A-Z, a-z, 0-9, _, . and -';
const tableName: Parser<string> = {
  accepts: TABLE_NAME_EXPECTED,
  check: (text) => (/^[A-Za-z0-9_.-]{3,255}$/.test(text) ? ok(text) : fail(TABLE_NAME_EXPECTED)),
};

const text: Parser<string> = { accepts: 'any text', check: (value) => ok(value) };

// The length is safe to report and tells the operator what to fix; the value never is. Counted in
// code points, so a secret is never shorter in bytes than the minimum it is said to meet.
function secret(min: number): Parser<string> {
  const accepts = `at least ${min} characters`;
  return {
    accepts,
    check: (value) => {
      const length = Array.from(value).length;
      return length >= min ? ok(value) : fail(`${accepts} (got ${length})`);
    },
  };
}

// The ingest key travels in the X-API-Key header, which carries bytes that Node reads as latin1:
// a key with any other character could never be matched, so it is refused at start-up.
const PRINTABLE_ASCII_EXPECTED = 'printable ASCII characters only';
function headerSecret(min: number): Parser<string> {
  const length = secret(min);
  return {
    accepts: `${length.accepts}, ${PRINTABLE_ASCII_EXPECTED}`,
    check: (value) => {
      const check = length.check(value);
      if (!check.ok) return check;
      return /^[\x20-\x7e]+$/.test(value) ? check : fail(PRINTABLE_ASCII_EXPECTED);
    },
  };
}

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
};

/**
 * Every setting, in the order problems are reported. `loadConfig` reads the environment through
 * this table only and the usage (`npm start -- --help`) prints it, so the two cannot disagree.
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
    defaultText: 'none: the embedded store (in Lambda: AWS DynamoDB)',
    summary: 'A DynamoDB-compatible endpoint (a standalone dynalite, DynamoDB Local) instead of the embedded store.',
  },
  tableName: { env: ENV.TABLE_NAME, parser: tableName, fallback: 'tickerpulse', summary: 'DynamoDB table name.' },
  dataDir: {
    env: ENV.DATA_DIR,
    parser: path,
    fallback: undefined,
    defaultText: 'none: the embedded store is kept in memory',
    summary: 'Directory the embedded store keeps its files in, so that data survives a restart.',
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
    defaultText: 'none: npm start generates one and prints it (required in Lambda)',
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
    defaultText: 'true locally (npm start), false in Lambda',
    summary: 'Take the user id from the X-User-ID header without a token.',
  },
  streamTokenSecret: {
    env: ENV.STREAM_TOKEN_SECRET,
    parser: secret(32),
    fallback: undefined,
    defaultText: 'none: AUTH_JWT_SECRET, else one generated per start (in Lambda one of them is required)',
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
    fallback: true,
    summary: 'npm start posts simulated items so that a fresh install shows live data.',
  },
  logLevel: {
    env: ENV.LOG_LEVEL,
    parser: logLevel,
    fallback: 'info',
    summary: 'How much is logged; silent logs nothing.',
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
  dashboardRestBaseUrl: {
    env: ENV.DASHBOARD_REST_BASE_URL,
    parser: baseUrl,
    fallback: undefined,
    defaultText: "none: the page's own origin",
    summary:
      "Where the dashboard served by npm start sends REST requests (restBaseUrl of its /config.js); the page's Content-Security-Policy allows this origin.",
  },
  dashboardStreamBaseUrl: {
    env: ENV.DASHBOARD_STREAM_BASE_URL,
    parser: baseUrl,
    fallback: undefined,
    defaultText: "none: the page's own origin",
    summary: "The same for the dashboard's SSE streams (streamBaseUrl of its /config.js).",
  },
};

/** Every `Config` field, in the table's order. */
const FIELDS = Object.keys(SETTINGS) as readonly (keyof Config)[];

/** Fields holding credentials: never echoed in a problem, never in `describeConfig`. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(FIELDS.filter((field) => SETTINGS[field].secret === true));

// No setting's value is a function, so a function is always the profile-dependent form.
function fallbackOf<T>(setting: Setting<T>, profile: Profile): T {
  const { fallback } = setting;
  return typeof fallback === 'function' ? (fallback as (profile: Profile) => T)(profile) : fallback;
}

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
  const read = <T>(setting: Setting<T>): NonNullable<T> | undefined => {
    const value = valueOf(setting.env);
    if (value === undefined) return undefined;
    const check = setting.parser.check(value);
    if (check.ok) return check.value;
    const echo = setting.secret === true || check.redact ? '' : `=${quote(value)}`;
    problems.push(`${setting.env}${echo} is not valid: expected ${check.expected}`);
    return undefined;
  };
  const settle = <K extends keyof Config>(field: K): Config[K] => {
    const setting: Setting<Config[K]> = SETTINGS[field];
    return read(setting) ?? fallbackOf(setting, profile);
  };

  // The table's order is the order of the problems.
  const config = Object.fromEntries(FIELDS.map((field) => [field, settle(field)])) as Config;

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

/** A setting as the usage shows it. */
type SettingDescription = {
  readonly name: EnvName;
  /** The `Config` field it sets. */
  readonly field: keyof Config;
  readonly summary: string;
  /** The default in words: the value itself, or what happens when the variable is unset. */
  readonly default: string;
  readonly accepts: string;
};

/**
 * Every setting with its variable, meaning, default and accepted values, in the table's order:
 * the same table `loadConfig` validates with, so a usage built from it cannot drift.
 */
function describeSettings(): readonly SettingDescription[] {
  return FIELDS.map((field) => {
    const setting: Setting<string | number | boolean | undefined> = SETTINGS[field];
    const { fallback } = setting;
    const shown = typeof fallback === 'function' || fallback === undefined ? undefined : String(fallback);
    return {
      name: setting.env,
      field,
      summary: setting.summary,
      default: shown ?? setting.defaultText ?? 'none',
      accepts: setting.parser.accepts,
    };
  });
}

export type { Config, LogLevel, Profile, SettingDescription };
export { ConfigError, describeConfig, describeSettings, ENV, loadConfig };
