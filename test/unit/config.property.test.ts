/**
 * Properties of loadConfig over arbitrary environments: it returns a deeply frozen config that
 * keeps every documented rule, or throws one ConfigError listing single-line problems; never
 * another error, never an out-of-range value, never a secret in its message. The rules are
 * written out here independently of src/config.ts (docs/security.md states them).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Config, ConfigError, describeConfig, ENV, loadConfig, type Profile } from '../../src/config.ts';
import { authFromConfig } from '../../src/runtime/auth-from-config.ts';
import { resolveSecrets } from '../../src/runtime/secrets.ts';

/** Every integer setting with its documented range. */
const INTEGERS: readonly (readonly [name: string, field: keyof Config, min: number, max: number])[] = [
  ['PORT', 'port', 0, 65_535],
  ['POLL_INTERVAL_MS', 'pollIntervalMs', 100, 60_000],
  ['HEARTBEAT_INTERVAL_MS', 'heartbeatIntervalMs', 1000, 60_000],
  ['RETRY_MS', 'retryMs', 100, 600_000],
  ['MAX_CONNECTIONS', 'maxConnections', 1, 1_000_000],
  ['STREAM_TOKEN_TTL_S', 'streamTokenTtlS', 30, 3600],
  ['STREAM_DEADLINE_MARGIN_MS', 'streamDeadlineMarginMs', 1000, 600_000],
  ['STREAM_FLUSH_PADDING_BYTES', 'streamFlushPaddingBytes', 0, 262_144],
  ['ITEM_RETENTION_DAYS', 'itemRetentionDays', 1, 365],
  ['FEED_SETTLE_MS', 'feedSettleMs', 0, 60_000],
];

/**
 * The integer rule, as for REST query integers: after trimming, decimal digits only (no sign,
 * point, exponent, prefix, other digits or leading zero), in range.
 */
function expectedInteger(raw: string, min: number, max: number): number | 'refused' | 'unset' {
  const text = raw.trim();
  if (text === '') return 'unset';
  const canonical = /^[0-9]+$/.test(text) && (text === '0' || !text.startsWith('0'));
  return canonical && Number(text) >= min && Number(text) <= max ? Number(text) : 'refused';
}

const number = fc.oneof(
  fc.integer({ min: -100, max: 2_000_000 }),
  fc.constantFrom(0, 1, 29, 30, 99, 100, 999, 1000, 60_000, 60_001, 65_535, 65_536, 262_144, 600_000, 1_000_000),
);
/** Ways to spell a number that a lenient parser (Number, parseInt) would take, and a strict one must not. */
const SPELLINGS: readonly ((n: number) => string)[] = [
  (n) => String(n),
  (n) => `+${n}`,
  (n) => `-${n}`,
  (n) => `0${n}`,
  (n) => `00${n}`,
  (n) => `${n}.0`,
  (n) => `${n}.5`,
  (n) => `${n}e0`,
  (n) => `${n / 1000}e3`,
  (n) => `0x${n.toString(16)}`,
  (n) => `0o${n.toString(8)}`,
  (n) => `0b${n.toString(2)}`,
  (n) => ` ${n}`,
  (n) => `${n} `,
  (n) => `\t${n}\n`,
  (n) => `${n}_0`,
  (n) => `${n}n`,
  (n) => `${n}ms`,
  (n) => `${n}\0`,
  (n) => `${n},000`,
  (n) => `${n} ${n}`,
  (n) => String(n).replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d))), // full-width digits
  (n) => String(n).replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d))), // Arabic-Indic digits
  (n) => `${n}`.padStart(400, '0'),
  () => '9'.repeat(400),
  () => 'Infinity',
  () => 'NaN',
  () => '',
  () => '-',
];
const integerSpelling = fc
  .tuple(number, fc.integer({ min: 0, max: SPELLINGS.length - 1 }))
  .map(([n, spelling]) => SPELLINGS[spelling]?.(n) ?? '');

/** Values that stress parsing in general: control characters, lone surrogates, URLs, booleans, huge strings. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const unit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.constantFrom(
    '\0',
    '\n',
    '\r',
    '\t',
    ' ',
    '\u00a0',
    '\uFEFF',
    '\u2028',
    '\u0085',
    '\u202e',
    '\u{e0001}',
    ':',
    '/',
    '@',
    '%',
    '.',
  ),
  loneSurrogate,
);
const anyValue = fc.oneof(
  fc.string({ unit, maxLength: 80 }),
  integerSpelling,
  fc.constantFrom(
    'true',
    'FALSE',
    'yes',
    'off',
    'debug',
    'INFO',
    'silent',
    'http://localhost:8000',
    'https://auth.example.com/jwks.json',
    'http://127.0.0.1:9000/jwks.json',
    'http://127.evil.example/jwks.json',
    'http://user:pass@localhost:8000',
    'ftp://x',
    'localhost:8000',
    'http:localhost',
    '0.0.0.0',
    '::1',
    'tickerpulse',
    'x'.repeat(300),
  ),
  fc.string({ unit: 'grapheme-ascii', minLength: 16, maxLength: 64 }),
);
const envName = fc.oneof(fc.constantFrom(...Object.values(ENV)), fc.string({ maxLength: 12 }));
const env = fc.dictionary(envName, anyValue, { maxKeys: 12 });
const profile = fc.constantFrom<Profile>('local', 'server', 'lambda', 'lambda-stream');

function isDeeplyFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

function outcome(environment: Record<string, string>, profileName: Profile = 'local'): Config | ConfigError {
  try {
    return loadConfig(environment, profileName);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

const isHttpUrl = (value: string): boolean => {
  const url = URL.parse(value);
  return (
    /^https?:\/\//i.test(value) &&
    url !== null &&
    ['http:', 'https:'].includes(url.protocol) &&
    url.username === '' &&
    url.password === ''
  );
};

/** Every rule a returned config must satisfy, whatever the environment was. */
function expectValid(config: Config, profileName: Profile): void {
  expect(isDeeplyFrozen(config)).toBe(true);
  for (const [, field, min, max] of INTEGERS) {
    const value = config[field];
    expect(Number.isSafeInteger(value), field).toBe(true);
    expect(value as number, field).toBeGreaterThanOrEqual(min);
    expect(value as number, field).toBeLessThanOrEqual(max);
    expect(Object.is(value, -0), field).toBe(false);
  }
  expect(config.host).toMatch(/^[A-Za-z0-9._:%-]{1,255}$/);
  expect(config.tableName).toMatch(/^[A-Za-z0-9_.-]{3,255}$/);
  for (const url of [config.dynamodbEndpoint, config.dashboardRestBaseUrl, config.dashboardStreamBaseUrl]) {
    if (url !== undefined) expect(isHttpUrl(url), url).toBe(true);
  }
  expect(config.dataDir ?? '').not.toContain('\0');
  if (config.ingestApiKey !== undefined) expect(config.ingestApiKey).toMatch(/^[\x20-\x7e]{16,}$/);
  for (const secret of [config.authJwtSecret, config.streamTokenSecret]) {
    if (secret !== undefined) expect(Array.from(secret).length).toBeGreaterThanOrEqual(32);
  }
  expect(['debug', 'info', 'warn', 'error', 'silent']).toContain(config.logLevel);
  expect(typeof config.simulate).toBe('boolean');
  expect(typeof config.authTrustUserIdHeader).toBe('boolean');
  expect(typeof config.createTable).toBe('boolean');
  if (profileName === 'lambda' || profileName === 'server') expect(config.ingestApiKey).toBeDefined();
  if (profileName !== 'local') expect(config.streamTokenSecret ?? config.authJwtSecret).toBeDefined();
  // What configuration accepts, the parts built from it accept too: no start-up crash later.
  expect(() => authFromConfig(config, resolveSecrets(config), Date.now)).not.toThrow();
  for (const value of Object.values(describeConfig(config))) expect(value).not.toBeUndefined();
}

function expectClearError(error: ConfigError): void {
  expect(error.problems.length).toBeGreaterThan(0);
  expect(error.message).toBe(['Invalid configuration:', ...error.problems].join('\n'));
  // One line per problem, nothing invisible: an echoed value cannot forge a log line, another
  // problem, or reorder what is shown (bidi controls).
  for (const problem of error.problems) expect(problem).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
  expect(Object.isFrozen(error.problems)).toBe(true);
}

describe('loadConfig over arbitrary environments (property)', () => {
  it('returns a frozen config that keeps every rule, or throws one clear ConfigError; never anything else', () => {
    fc.assert(
      fc.property(env, profile, (environment, profileName) => {
        const result = outcome(environment, profileName);
        if (result instanceof ConfigError) expectClearError(result);
        else expectValid(result, profileName);
      }),
      { numRuns: 2000 },
    );
  });

  it('is a pure function of the environment: same answer twice, the environment untouched', () => {
    fc.assert(
      fc.property(env, profile, (environment, profileName) => {
        const frozen = Object.freeze({ ...environment });

        const first = outcome(frozen, profileName);
        const second = outcome(frozen, profileName);

        expect(second).toEqual(first);
        expect(frozen).toEqual(environment);
      }),
      { numRuns: 300 },
    );
  });

  it('ignores variables it does not define', () => {
    const unknown = fc.dictionary(
      fc.string({ maxLength: 12 }).filter((name) => !(Object.values(ENV) as string[]).includes(name)),
      anyValue,
    );
    fc.assert(
      fc.property(unknown, (environment) => {
        expect(loadConfig(environment)).toEqual(loadConfig({}));
      }),
      { numRuns: 300 },
    );
  });
});

describe('integer settings (property)', () => {
  it('take decimal digits only, in range; every other spelling is refused, naming the variable', () => {
    const setting = fc.constantFrom(...INTEGERS);
    fc.assert(
      fc.property(setting, integerSpelling, ([name, field, min, max], raw) => {
        const expected = expectedInteger(raw, min, max);

        const result = outcome({ [name]: raw });

        if (expected === 'refused') {
          expect(result).toBeInstanceOf(ConfigError);
          expect((result as ConfigError).problems).toEqual([
            expect.stringMatching(new RegExp(`^${name}=".*" is not valid: expected an integer from ${min} to ${max}$`)),
          ]);
        } else {
          expect(result).not.toBeInstanceOf(ConfigError);
          expect((result as Config)[field]).toBe(expected === 'unset' ? loadConfig({})[field] : expected);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it.each(INTEGERS)('%s takes its bounds and refuses one past each', (name, field, min, max) => {
    expect(loadConfig({ [name]: String(min) })[field]).toBe(min);
    expect(loadConfig({ [name]: String(max) })[field]).toBe(max);
    expect(outcome({ [name]: String(max + 1) })).toBeInstanceOf(ConfigError);
    expect(outcome({ [name]: String(min - 1) })).toBeInstanceOf(ConfigError);
  });
});

describe('values that would only fail later (property)', () => {
  it('a host is a name or address of letters, digits, . - _ : and %; anything else is refused at start-up', () => {
    fc.assert(
      fc.property(anyValue, (raw) => {
        const text = raw.trim();
        const result = outcome({ HOST: raw });
        if (text === '') expect((result as Config).host).toBe('127.0.0.1');
        else if (/^[A-Za-z0-9._:%-]{1,255}$/.test(text)) expect((result as Config).host).toBe(text);
        else expect(result).toBeInstanceOf(ConfigError);
      }),
      { numRuns: 1000 },
    );
  });

  it('a data directory with NUL is refused (no file system can open it)', () => {
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), fc.string({ unit, maxLength: 40 }), (before, after) => {
        expect(outcome({ DATA_DIR: `x${before}\0${after}` })).toBeInstanceOf(ConfigError);
      }),
    );
  });

  it('an http JWKS URL is accepted only for a loopback host, exactly as the authenticator checks it', () => {
    const hosts = fc.constantFrom(
      'localhost',
      'LOCALHOST',
      '127.0.0.1',
      '127.1',
      '127.255.255.254',
      '2130706433',
      '[::1]',
      '[0:0:0:0:0:0:0:1]',
      '127.evil.example',
      '127.0.0.1.evil.example',
      'localhost.evil.example',
      'evil.example',
      '[::ffff:127.0.0.1]',
      '10.0.0.1',
    );
    fc.assert(
      fc.property(hosts, fc.constantFrom('', ':9000'), (host, port) => {
        const result = outcome({ AUTH_JWKS_URL: `http://${host}${port}/jwks.json` });
        const hostname = URL.parse(`http://${host}/`)?.hostname ?? '';
        const loopback = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/.test(hostname);
        if (loopback) expect(result).not.toBeInstanceOf(ConfigError);
        else expect(result).toBeInstanceOf(ConfigError);
      }),
    );
  });

  it('an ingest key must be printable ASCII, which is all an X-API-Key header carries reliably', () => {
    fc.assert(
      fc.property(fc.string({ unit, minLength: 16, maxLength: 40 }), (raw) => {
        const text = raw.trim();
        const result = outcome({ INGEST_API_KEY: raw });
        if (text === '') expect((result as Config).ingestApiKey).toBeUndefined();
        else if (/^[\x20-\x7e]+$/.test(text) && text.length >= 16) expect((result as Config).ingestApiKey).toBe(text);
        else expect(result).toBeInstanceOf(ConfigError);
      }),
      { numRuns: 500 },
    );
  });
});

describe('secrets in errors (property)', () => {
  const marker = fc.string({ unit: 'grapheme-ascii', minLength: 4, maxLength: 12 }).map((s) => `SECRET-${s}`);

  it('never echoes a secret variable, whatever else is wrong', () => {
    fc.assert(
      fc.property(
        env,
        marker,
        fc.constantFrom('INGEST_API_KEY', 'AUTH_JWT_SECRET', 'STREAM_TOKEN_SECRET'),
        profile,
        (environment, secret, name, profileName) => {
          const result = outcome({ ...environment, [name]: secret }, profileName);

          if (result instanceof ConfigError) expect(result.message).not.toContain(secret);
          else expect(JSON.stringify(describeConfig(result))).not.toContain(secret);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses credentials in a URL without echoing them', () => {
    const names = fc.constantFrom(
      'DYNAMODB_ENDPOINT',
      'AUTH_JWKS_URL',
      'DASHBOARD_REST_BASE_URL',
      'DASHBOARD_STREAM_BASE_URL',
    );
    fc.assert(
      fc.property(names, marker, fc.boolean(), (name, secret, withUser) => {
        const credentials = withUser ? `user:${encodeURIComponent(secret)}` : encodeURIComponent(secret);
        const result = outcome({ [name]: `https://${credentials}@host.example/path` });

        expect(result).toBeInstanceOf(ConfigError);
        expect((result as ConfigError).message).not.toContain(encodeURIComponent(secret));
        expect((result as ConfigError).message).not.toContain('host.example');
      }),
    );
  });
});
