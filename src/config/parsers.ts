/**
 * The rules settings are checked by: each says what it accepts, in words (the usage prints this),
 * and checks a trimmed, non-empty value. A failure says what was expected and whether the value may
 * be echoed; `quote` echoes a value safely.
 */

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** How much the service logs; `silent` logs nothing. Default `info`. */
type LogLevel = (typeof LOG_LEVELS)[number];

const LOG_FORMATS = ['auto', 'json', 'text'] as const;

/** How log lines look: JSON objects, short text lines, or text on a terminal and JSON elsewhere. */
type LogFormat = (typeof LOG_FORMATS)[number];

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

/** One of `words`, in any case. */
function oneOf<T extends string>(words: readonly T[]): Parser<T> {
  const expected = `one of ${words.join(', ')}`;
  return {
    accepts: `${expected} (any case)`,
    check: (text) => {
      const value = words.find((word) => word === text.toLowerCase());
      return value === undefined ? fail(expected) : ok(value);
    },
  };
}

const logLevel: Parser<LogLevel> = oneOf(LOG_LEVELS);
const logFormat: Parser<LogFormat> = oneOf(LOG_FORMATS);

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

// Relative URLs and other schemes (ftp:, file:, a bare "localhost:8000") would only fail at the
// first request. An endpoint takes no query or fragment: the SDK appends its own path and
// signature, and a query string is where a presigned token would sit, so the value is not echoed.
const ENDPOINT_EXPECTED = `${HTTP_URL_EXPECTED} without query or fragment`;
const httpUrl: Parser<string> = {
  accepts: `${ENDPOINT_EXPECTED}${NO_CREDENTIALS}`,
  check: (text) => {
    const parsed = parseHttpUrl(text);
    if ('problem' in parsed) return parsed.problem;
    const plain = parsed.url.search === '' && parsed.url.hash === '' && !/[?#]/.test(text);
    return plain ? ok(text) : fail(`${ENDPOINT_EXPECTED} (the value is not shown)`, true);
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

// Browsers send `Origin` as scheme://host[:port] exactly (lower case, default port left out, no
// slash): an entry written any other way would never match, so it is refused here, not ignored.
const ORIGIN_EXPECTED =
  'none, or origins separated by commas, each http(s)://host[:port] as a browser sends it, or http(s)://host:* for any port';
const isOrigin = (entry: string): boolean => {
  const url = URL.parse(entry);
  return url !== null && /^https?:$/.test(url.protocol) && url.origin === entry;
};
const isAnyPortOrigin = (entry: string): boolean =>
  entry.endsWith(':*') && isOrigin(entry.slice(0, -2)) && URL.parse(entry.slice(0, -2))?.port === '';
const corsOrigins: Parser<readonly string[]> = {
  accepts: ORIGIN_EXPECTED,
  check: (value) => {
    if (value === 'none') return ok([]);
    const entries = value.split(',').map((entry) => entry.trim());
    return entries.every((entry) => isOrigin(entry) || isAnyPortOrigin(entry)) ? ok(entries) : fail(ORIGIN_EXPECTED);
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

export type { Check, Failure, LogFormat, LogLevel, Parser };
export {
  baseUrl,
  boolean,
  corsOrigins,
  headerSecret,
  host,
  httpUrl,
  integer,
  jwksUrl,
  logFormat,
  logLevel,
  path,
  quote,
  secret,
  tableName,
  text,
};
