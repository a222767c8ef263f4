/**
 * Stream tokens: short-lived credentials a browser passes as `?token=` to open one
 * configuration's event stream, because `EventSource` cannot send an Authorization header.
 *
 * A query string leaks (access logs, browser history, Referer), so a stream token is narrow on
 * purpose: bound to one user and one configuration, marked for streaming only (the authenticator
 * refuses it as a user credential), and valid for minutes. It is an HS256 JWT signed with the
 * server's secret; it can be reused until it expires, so a reconnecting EventSource keeps working.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { isCompactJws, isUserId, MIN_SECRET_LENGTH, STREAM_TOKEN_AUDIENCE, STREAM_TOKEN_USE } from './authenticator.ts';

/** The longest token accepted, as in the contract's `StreamToken.token` (`maxLength: 2048`). */
const MAX_STREAM_TOKEN_LENGTH = 2048;

/** Leeway for `exp`/`iat` between the instance that issued a token and the one verifying it. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Claims every stream token carries; a token lacking one was not issued by {@link createStreamTokens}. */
const REQUIRED_CLAIMS = ['sub', 'aud', 'iat', 'exp', 'cfg', 'use'];

/** How stream tokens are signed and how long they live; see {@link createStreamTokens}. */
interface StreamTokenSettings {
  /** The HS256 secret, at least {@link MIN_SECRET_LENGTH} characters. */
  readonly secret: string;
  /** Lifetime of a token in whole seconds (> 0). */
  readonly ttlSeconds: number;
  /** The clock in milliseconds since the epoch; tests pass a fixed one. Defaults to `Date.now`. */
  readonly now?: () => number;
}

/** A freshly issued token and the moment it stops being accepted (its `exp`). */
interface IssuedStreamToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/** Why a stream token is refused. */
type StreamTokenFailureReason = 'malformed' | 'invalid' | 'expired' | 'wrong-configuration';

/** The result of {@link StreamTokens.verify}. */
type StreamTokenOutcome =
  { readonly ok: true; readonly userId: string } | { readonly ok: false; readonly reason: StreamTokenFailureReason };

/** Issues and verifies stream tokens; see {@link createStreamTokens}. */
interface StreamTokens {
  /**
   * Issues a token for `userId` to stream configuration `configId`. The caller must already
   * have authenticated the user and checked that the configuration is theirs.
   *
   * @throws Error when `userId` is not a valid user id or `configId` is empty (programming errors).
   */
  readonly issue: (userId: string, configId: string) => Promise<IssuedStreamToken>;
  /**
   * Checks a token presented for configuration `configId` (the one in the request path).
   * Expected failures resolve to `{ ok: false }`; it rejects only on a programming error.
   */
  readonly verify: (token: string, configId: string) => Promise<StreamTokenOutcome>;
}

/**
 * Creates the stream-token issuer/verifier.
 *
 * Tokens carry `sub` (user id), `cfg` (configuration id), `use: 'stream'`, `aud:
 * 'tickerpulse:stream'`, `iat` and `exp = iat + ttlSeconds`. Verification requires all of them,
 * HS256 with this secret only, and allows 5 s of clock skew; a user JWT signed with the same
 * secret is refused because it lacks the audience and the `use` claim.
 *
 * @param settings - See {@link StreamTokenSettings}.
 * @throws Error when the secret is shorter than {@link MIN_SECRET_LENGTH} or `ttlSeconds` is not a positive integer.
 */
function createStreamTokens(settings: StreamTokenSettings): StreamTokens {
  if (settings.secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`Stream token settings: secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (!Number.isSafeInteger(settings.ttlSeconds) || settings.ttlSeconds <= 0) {
    throw new Error('Stream token settings: ttlSeconds must be a positive integer');
  }
  const { ttlSeconds } = settings;
  const now = settings.now ?? Date.now;
  const key = new TextEncoder().encode(settings.secret);

  async function issue(userId: string, configId: string): Promise<IssuedStreamToken> {
    if (!isUserId(userId)) throw new Error('Stream token: userId is not a valid user id');
    if (configId === '') throw new Error('Stream token: configId must not be empty');
    // JWT times are whole seconds; expiresAt is derived from the same number as `exp` so the
    // client is told exactly when the token stops working.
    const issuedAt = Math.floor(now() / 1000);
    const expiresAt = issuedAt + ttlSeconds;
    const token = await new SignJWT({ cfg: configId, use: STREAM_TOKEN_USE })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setAudience(STREAM_TOKEN_AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  async function verify(token: string, configId: string): Promise<StreamTokenOutcome> {
    // Shape and size first: nothing else reaches base64 decoding, JSON parsing or HMAC.
    if (!isCompactJws(token, MAX_STREAM_TOKEN_LENGTH)) return { ok: false, reason: 'malformed' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        audience: STREAM_TOKEN_AUDIENCE,
        requiredClaims: REQUIRED_CLAIMS,
        // Also bounds `iat`: a token claiming to be issued in the future, or longer ago than
        // any token this service issues lives, is refused even if its `exp` says otherwise.
        maxTokenAge: ttlSeconds,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now()),
      }));
    } catch (error) {
      if (!(error instanceof errors.JOSEError)) throw error;
      if (error.code === errors.JWTExpired.code) return { ok: false, reason: 'expired' };
      if (error.code === errors.JWSInvalid.code || error.code === errors.JWTInvalid.code) {
        return { ok: false, reason: 'malformed' };
      }
      return { ok: false, reason: 'invalid' };
    }
    // Signed by us, but check anyway: a token from some other HS256 use of this secret must not pass.
    const { sub, cfg, use } = payload;
    if (use !== STREAM_TOKEN_USE || typeof cfg !== 'string' || !isUserId(sub)) return { ok: false, reason: 'invalid' };
    // Only after the signature is verified: an unverified token learns nothing about configurations.
    if (cfg !== configId) return { ok: false, reason: 'wrong-configuration' };
    return { ok: true, userId: sub };
  }

  return { issue, verify };
}

export type { IssuedStreamToken, StreamTokenFailureReason, StreamTokenOutcome, StreamTokens, StreamTokenSettings };
export { createStreamTokens, MAX_STREAM_TOKEN_LENGTH };
