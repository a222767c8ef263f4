/**
 * Comparing secrets (the ingest `X-API-Key`) without a timing side channel.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Generated once per process and never leaves it. Comparing HMACs rather than the secrets
 * themselves means the attacker-controlled input never meets the secret byte by byte, and both
 * sides become 32-byte digests whatever their lengths. The key only has to be unpredictable: it
 * makes the digests useless to anyone who sees them (they are never exposed anyway).
 */
const comparisonKey = randomBytes(32);

const digest = (value: string): Buffer => createHmac('sha256', comparisonKey).update(value, 'utf8').digest();

/**
 * Whether two secrets are equal, in time that depends on neither their content nor how many
 * leading characters they share, and without revealing the expected secret's length.
 *
 * `crypto.timingSafeEqual` alone is not enough: it throws when the lengths differ, so a caller
 * must compare lengths first, which tells an attacker the secret's length.
 *
 * @param a - One value, typically the credential the client sent.
 * @param b - The other, typically the configured secret.
 * @returns `true` only when both strings are identical.
 */
function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export { safeEqual };
