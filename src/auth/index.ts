/**
 * Authentication: who is calling (REST credentials), stream tokens for EventSource, and
 * constant-time comparison of the ingest API key.
 */
export type { AuthFailureReason, AuthHeaders, Authenticator, AuthOutcome, AuthSettings } from './authenticator.ts';
export {
  createAuthenticator,
  isUserId,
  KeySetUnavailableError,
  MIN_SECRET_LENGTH,
  STREAM_TOKEN_AUDIENCE,
  STREAM_TOKEN_USE,
  USER_ID_PATTERN,
} from './authenticator.ts';
export { safeEqual } from './constant-time.ts';
export type {
  IssuedStreamToken,
  StreamTokenFailureReason,
  StreamTokenOutcome,
  StreamTokens,
  StreamTokenSettings,
} from './stream-tokens.ts';
export { createStreamTokens, MAX_STREAM_TOKEN_LENGTH } from './stream-tokens.ts';
