/**
 * Who is calling: turns the credentials of a REST request (`Authorization: Bearer <JWT>`, or
 * `X-User-ID` where the deployment trusts it) into a user id, or says why it cannot.
 *
 * Everything arriving here is attacker-controlled. The user id that comes out ends up in
 * DynamoDB keys and in logs, so it is held to a strict alphabet, and nothing a client sent is
 * ever echoed back in a failure's `detail`.
 */
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';

/**
 * The shape every user id must have, whether it comes from a JWT `sub` or from `X-User-ID`:
 * 1–128 characters of letters, digits and `. _ : @ | -`. No whitespace or control characters,
 * so an id can neither split a log line nor smuggle a separator into a composite key. (JavaScript's
 * `$` without the `m` flag matches only at the very end, so a trailing newline is refused too.)
 */
const USER_ID_PATTERN = /^[A-Za-z0-9._:@|-]{1,128}$/;

/**
 * Whether `value` is a string that satisfies {@link USER_ID_PATTERN}.
 *
 * @param value - Anything; typically a header value or a decoded claim.
 */
function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}

/**
 * The audience of stream tokens (see `stream-tokens.ts`). Defined here, not there, because the
 * authenticator must refuse such tokens and `stream-tokens.ts` already depends on this module
 * for the user-id rule; keeping the dependency one-way avoids an import cycle.
 */
const STREAM_TOKEN_AUDIENCE = 'tickerpulse:stream';

/** The value of the `use` claim that marks a stream token; see {@link STREAM_TOKEN_AUDIENCE}. */
const STREAM_TOKEN_USE = 'stream';

/**
 * The shortest shared secret accepted for HS256 (characters). RFC 7518 §3.2 asks for a key at
 * least as long as the 256-bit hash; a shorter secret makes offline guessing from any one
 * captured token practical.
 */
const MIN_SECRET_LENGTH = 32;

/** Compact JWS: three base64url segments. Nothing else (JWE, JSON serialization) is a bearer JWT here. */
const COMPACT_JWS_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Generous for identity-provider tokens with many claims, yet bounded, so a huge header never
 * reaches base64 decoding or JSON parsing.
 */
const MAX_BEARER_TOKEN_LENGTH = 8192;

/** Leeway for `exp`/`nbf` between this host's clock and the token issuer's. */
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * Asymmetric algorithms accepted for keys from the JWKS. HS256 is deliberately absent: a JWKS
 * holds public keys, and accepting HMAC there would let anyone sign with a public key as the
 * "secret" (algorithm confusion).
 */
const JWKS_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'] as const;

/**
 * Whether `value` is a compact JWS of at most `maxLength` characters. A cheap syntactic gate
 * applied before any decoding or cryptography.
 *
 * @param value - The candidate token.
 * @param maxLength - The longest token accepted.
 */
function isCompactJws(value: string, maxLength: number): boolean {
  return value.length <= maxLength && COMPACT_JWS_PATTERN.test(value);
}

/** How the authenticator is configured; see {@link createAuthenticator}. */
interface AuthSettings {
  /** HS256 shared secret (development), at least {@link MIN_SECRET_LENGTH} characters. Ignored when `jwksUrl` is set. */
  readonly jwtSecret?: string | undefined;
  /**
   * Production: where the issuer publishes its public keys. Must be `https:` except on a
   * loopback host (tests, local identity providers). Takes precedence over `jwtSecret`.
   */
  readonly jwksUrl?: string | undefined;
  /** When set, a JWT's `iss` must equal it. */
  readonly issuer?: string | undefined;
  /** When set, a JWT's `aud` must contain it. */
  readonly audience?: string | undefined;
  /** Honour `X-User-ID`: only where something in front of this service sets it and strips the client's. */
  readonly trustUserIdHeader: boolean;
  /** The clock in milliseconds since the epoch; tests pass a fixed one. Defaults to `Date.now`. */
  readonly now?: () => number;
}

/**
 * The request headers the authenticator reads, named as Node lower-cases them, so an
 * `IncomingHttpHeaders` (express `req.headers`) can be passed as it is.
 */
interface AuthHeaders {
  readonly authorization?: string | undefined;
  /** Node joins repeated unknown headers into one string, but the type allows an array; one is refused. */
  readonly 'x-user-id'?: string | readonly string[] | undefined;
}

/** Why a request is not authenticated. All map to 401; the reason is for logs and metrics. */
type AuthFailureReason = 'missing' | 'malformed' | 'invalid' | 'expired' | 'not-trusted';

/**
 * The result of {@link Authenticator.authenticate}. On failure, `detail` is a short sentence
 * safe to show the client: it never contains the token, the secret, key material or a library
 * message that could echo the input.
 */
type AuthOutcome =
  | { readonly ok: true; readonly userId: string; readonly method: 'jwt' | 'user-id-header' }
  | { readonly ok: false; readonly reason: AuthFailureReason; readonly detail: string };

/** Authenticates requests; see {@link createAuthenticator}. */
interface Authenticator {
  /**
   * Identifies the caller from the request headers. Expected failures (bad or missing
   * credentials) resolve to `{ ok: false }`; the promise rejects only with
   * {@link KeySetUnavailableError} (or on a programming error), which is a server problem, not
   * the client's.
   */
  readonly authenticate: (headers: AuthHeaders) => Promise<AuthOutcome>;
}

/**
 * The JWKS could not be fetched or used (network error, timeout, non-200, invalid key set).
 * Thrown rather than returned because it is not the client's fault: answer 503, not 401. The
 * original error is kept as `cause` for the logs.
 */
class KeySetUnavailableError extends Error {
  override readonly name = 'KeySetUnavailableError';
}

type Failure = Extract<AuthOutcome, { ok: false }>;

const fail = (reason: AuthFailureReason, detail: string): Failure => ({ ok: false, reason, detail });

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

function parseJwksUrl(jwksUrl: string): URL {
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    throw new Error('Auth settings: jwksUrl is not a valid URL');
  }
  // Whoever can tamper with the key set can mint any user's token, so it must come over TLS.
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname));
  if (!secure) throw new Error('Auth settings: jwksUrl must use https (plain http only on a loopback host)');
  return url;
}

function checkSettings(settings: AuthSettings): void {
  if (settings.jwtSecret !== undefined && settings.jwtSecret.length < MIN_SECRET_LENGTH) {
    throw new Error(`Auth settings: jwtSecret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (settings.issuer === '') throw new Error('Auth settings: issuer must not be empty (leave it unset instead)');
  if (settings.audience === '') throw new Error('Auth settings: audience must not be empty (leave it unset instead)');
}

/**
 * Maps a jose error caused by the token to a failure, with a fixed sentence per case: jose's own
 * messages can quote claim values, so they are never passed on. Returns `undefined` for errors
 * that are not about the token (the key set could not be loaded, bugs).
 */
function tokenFailure(error: unknown): Failure | undefined {
  if (!(error instanceof errors.JOSEError)) return undefined;
  switch (error.code) {
    case errors.JWTExpired.code:
      return fail('expired', 'The token has expired.');
    case errors.JWTClaimValidationFailed.code: {
      if (!(error instanceof errors.JWTClaimValidationFailed)) return undefined;
      // `claim` and `reason` are jose's fixed vocabulary, used only to pick a sentence.
      const { claim, reason } = error;
      if (reason === 'missing') return fail('invalid', 'The token lacks a required claim.');
      if (claim === 'nbf') return fail('invalid', 'The token is not valid yet.');
      if (claim === 'iss') return fail('invalid', 'The token was issued by an issuer this service does not accept.');
      if (claim === 'aud') return fail('invalid', 'The token is meant for another audience.');
      return fail('invalid', 'The token has a claim with a value that is not acceptable.');
    }
    case errors.JWSSignatureVerificationFailed.code:
      return fail('invalid', 'The token signature does not verify.');
    case errors.JOSEAlgNotAllowed.code:
      return fail('invalid', 'The token signing algorithm is not accepted.');
    case errors.JWKSNoMatchingKey.code:
    case errors.JWKSMultipleMatchingKeys.code:
      return fail('invalid', 'The token was not signed by a key this service trusts.');
    case errors.JOSENotSupported.code:
      return fail('invalid', 'The token uses a feature this service does not support.');
    case errors.JWSInvalid.code:
    case errors.JWTInvalid.code:
      return fail('malformed', 'The token is not a well-formed JWT.');
    default:
      return undefined;
  }
}

/** Checks a verified payload: it must be a user credential, and name a well-formed user. */
function userFromPayload(payload: JWTPayload): AuthOutcome {
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  // A deployment may sign stream tokens with the same secret as user JWTs; without this check a
  // stream token leaked through a URL (logs, history, Referer) would unlock the whole API.
  if (payload['use'] === STREAM_TOKEN_USE || audiences.includes(STREAM_TOKEN_AUDIENCE)) {
    return fail('invalid', 'A stream token cannot be used as a user credential.');
  }
  if (payload.sub === undefined) return fail('invalid', 'The token has no subject (sub) claim.');
  if (!isUserId(payload.sub)) {
    return fail('malformed', 'The token subject is not a valid user id (1-128 of A-Z a-z 0-9 . _ : @ | -).');
  }
  return { ok: true, userId: payload.sub, method: 'jwt' };
}

/**
 * Creates an authenticator for the given settings. Settings are checked here, once: a bad
 * configuration throws at startup instead of failing every request.
 *
 * Rules, in order:
 * - An `Authorization` header decides on its own (X-User-ID is then ignored): it must be
 *   `Bearer <compact JWS>` (scheme case-insensitive), otherwise `malformed`.
 * - The JWT is verified against the JWKS (`RS256`, `ES256`, `PS256`, `EdDSA`) when `jwksUrl` is
 *   set, else against `jwtSecret` (`HS256` only); with neither, bearer tokens are refused.
 *   Unsigned (`alg: none`) tokens never verify. `exp` and `nbf` are checked with 5 s of leeway;
 *   `iss` and `aud` when configured. `sub` is required and must satisfy {@link USER_ID_PATTERN}.
 *   Stream tokens are refused.
 * - Otherwise `X-User-ID`, when `trustUserIdHeader` is set, must satisfy {@link USER_ID_PATTERN}.
 * - No credentials at all: `missing`.
 *
 * @param settings - See {@link AuthSettings}.
 * @throws Error when the settings are unusable (short secret, non-https JWKS URL, empty issuer/audience).
 */
function createAuthenticator(settings: AuthSettings): Authenticator {
  checkSettings(settings);
  const now = settings.now ?? Date.now;
  const jwksUrl = settings.jwksUrl === undefined ? undefined : parseJwksUrl(settings.jwksUrl);
  const secretKey = settings.jwtSecret === undefined ? undefined : new TextEncoder().encode(settings.jwtSecret);

  // jose's remote key set caches keys and rate-limits refetches: one per authenticator, created
  // on first use so that constructing an authenticator never touches the network.
  let remoteKeys: JWTVerifyGetKey | undefined;

  const claimOptions = (): JWTVerifyOptions => ({
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    currentDate: new Date(now()),
    ...(settings.issuer === undefined ? {} : { issuer: settings.issuer }),
    ...(settings.audience === undefined ? {} : { audience: settings.audience }),
  });

  /** The verification this deployment uses, or `undefined` when it takes no bearer tokens. */
  function chooseVerifier(): ((token: string) => Promise<JWTPayload>) | undefined {
    if (jwksUrl !== undefined) {
      return async (token) => {
        remoteKeys ??= createRemoteJWKSet(jwksUrl);
        const options = { ...claimOptions(), algorithms: [...JWKS_ALGORITHMS] };
        return (await jwtVerify(token, remoteKeys, options)).payload;
      };
    }
    if (secretKey !== undefined) {
      return async (token) => (await jwtVerify(token, secretKey, { ...claimOptions(), algorithms: ['HS256'] })).payload;
    }
    return undefined;
  }
  const verify = chooseVerifier();

  async function verifyJwt(token: string, verifyToken: (token: string) => Promise<JWTPayload>): Promise<AuthOutcome> {
    let payload: JWTPayload;
    try {
      payload = await verifyToken(token);
    } catch (error) {
      const failure = tokenFailure(error);
      if (failure !== undefined) return failure;
      if (jwksUrl !== undefined) {
        throw new KeySetUnavailableError('The JSON Web Key Set could not be loaded', { cause: error });
      }
      throw error;
    }
    return userFromPayload(payload);
  }

  async function fromAuthorization(value: string): Promise<AuthOutcome> {
    if (!/^bearer(?: |$)/i.test(value)) {
      return fail('malformed', 'The Authorization header must use the Bearer scheme.');
    }
    if (verify === undefined) return fail('invalid', 'bearer tokens are not accepted by this deployment');
    const token = value.slice('bearer'.length).replace(/^ +/, '');
    if (!isCompactJws(token, MAX_BEARER_TOKEN_LENGTH)) {
      return fail('malformed', 'The bearer token is not a compact JWT.');
    }
    return verifyJwt(token, verify);
  }

  function fromUserIdHeader(value: string | readonly string[]): AuthOutcome {
    if (!settings.trustUserIdHeader) {
      return fail('not-trusted', 'X-User-ID is not accepted by this deployment; send Authorization: Bearer <JWT>.');
    }
    if (typeof value !== 'string') return fail('malformed', 'Send X-User-ID once.');
    if (!isUserId(value)) {
      return fail('malformed', 'X-User-ID must be 1-128 characters of A-Z a-z 0-9 . _ : @ | -.');
    }
    return { ok: true, userId: value, method: 'user-id-header' };
  }

  async function authenticate(headers: AuthHeaders): Promise<AuthOutcome> {
    const authorization = headers.authorization;
    if (authorization !== undefined) return fromAuthorization(authorization);
    const userIdHeader = headers['x-user-id'];
    if (userIdHeader !== undefined) return fromUserIdHeader(userIdHeader);
    return fail(
      'missing',
      settings.trustUserIdHeader
        ? 'Send Authorization Bearer <JWT> or X-User-ID.'
        : 'Send Authorization: Bearer <JWT>.',
    );
  }

  return { authenticate };
}

export type { AuthFailureReason, AuthHeaders, Authenticator, AuthOutcome, AuthSettings };
export {
  createAuthenticator,
  isCompactJws,
  isUserId,
  KeySetUnavailableError,
  MIN_SECRET_LENGTH,
  STREAM_TOKEN_AUDIENCE,
  STREAM_TOKEN_USE,
  USER_ID_PATTERN,
};
