import { decodeJwt, SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createStreamTokens, MAX_STREAM_TOKEN_LENGTH } from '../../../src/auth/index.ts';

const SECRET = 'stream-token-test-secret-0123456789abcdef';
const OTHER_SECRET = 'another-secret-of-sufficient-length-0123456789';
const TTL_SECONDS = 300;
/** 2026-11-21T09:00:00Z, a whole second, so `now + ttl` is exactly representable as `exp`. */
const NOW_MS = Date.UTC(2026, 10, 21, 9, 0, 0);
const NOW_S = NOW_MS / 1000;
const CONFIG_ID = '7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23';
const OTHER_CONFIG_ID = '0b5c3a8e-1f2d-4e6a-8b9c-7d0e1f2a3b4c';

const at = (ms: number) => () => ms;

const tokensAt = (ms: number, secret = SECRET) => createStreamTokens({ secret, ttlSeconds: TTL_SECONDS, now: at(ms) });

async function signHs256(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/** Changes one character in the middle of the payload segment (never a padding-only change). */
function tamperPayload(token: string): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const index = Math.floor(payload.length / 2);
  const replacement = payload[index] === 'A' ? 'B' : 'A';
  return `${header}.${payload.slice(0, index)}${replacement}${payload.slice(index + 1)}.${signature}`;
}

describe('createStreamTokens', () => {
  it('issues a token that verifies for the same configuration and names the user', async () => {
    // Prepare
    const tokens = tokensAt(NOW_MS);

    // Act
    const { token } = await tokens.issue('alice', CONFIG_ID);
    const outcome = await tokens.verify(token, CONFIG_ID);

    // Assess
    expect(outcome).toEqual({ ok: true, userId: 'alice' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThanOrEqual(MAX_STREAM_TOKEN_LENGTH);
  });

  it('carries sub, cfg, use, aud, iat and exp = iat + ttl', async () => {
    // Prepare
    const tokens = tokensAt(NOW_MS);

    // Act
    const { token, expiresAt } = await tokens.issue('alice', CONFIG_ID);

    // Assess
    expect(expiresAt).toEqual(new Date(NOW_MS + TTL_SECONDS * 1000));
    expect(decodeJwt(token)).toEqual({
      sub: 'alice',
      cfg: CONFIG_ID,
      use: 'stream',
      aud: 'tickerpulse:stream',
      iat: NOW_S,
      exp: NOW_S + TTL_SECONDS,
    });
  });

  it('reports expiresAt as the exp it signed when the clock is between seconds', async () => {
    // Prepare
    const tokens = tokensAt(NOW_MS + 750);

    // Act
    const { token, expiresAt } = await tokens.issue('alice', CONFIG_ID);

    // Assess
    expect(expiresAt).toEqual(new Date(NOW_MS + TTL_SECONDS * 1000));
    expect(decodeJwt(token).exp).toBe(expiresAt.getTime() / 1000);
  });

  it('accepts the same token again (EventSource reconnects) until it expires', async () => {
    // Prepare
    const tokens = tokensAt(NOW_MS);
    const { token } = await tokens.issue('alice', CONFIG_ID);

    // Act
    const first = await tokens.verify(token, CONFIG_ID);
    const second = await tokens.verify(token, CONFIG_ID);
    const nearEnd = await tokensAt(NOW_MS + (TTL_SECONDS - 1) * 1000).verify(token, CONFIG_ID);

    // Assess
    expect([first, second, nearEnd]).toEqual([
      { ok: true, userId: 'alice' },
      { ok: true, userId: 'alice' },
      { ok: true, userId: 'alice' },
    ]);
  });

  it.each([
    ['after ttl plus the 5 s tolerance', (TTL_SECONDS + 6) * 1000],
    ['a day later', 86_400_000],
  ])('refuses a token as expired %s', async (_name, laterMs) => {
    // Prepare
    const { token } = await tokensAt(NOW_MS).issue('alice', CONFIG_ID);

    // Act
    const outcome = await tokensAt(NOW_MS + laterMs).verify(token, CONFIG_ID);

    // Assess
    expect(outcome).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token issued for another configuration', async () => {
    // Prepare
    const tokens = tokensAt(NOW_MS);
    const { token } = await tokens.issue('alice', CONFIG_ID);

    // Act
    const outcome = await tokens.verify(token, OTHER_CONFIG_ID);

    // Assess
    expect(outcome).toEqual({ ok: false, reason: 'wrong-configuration' });
  });

  it.each<[string, () => Promise<string>]>([
    ['a tampered payload', async () => tamperPayload((await tokensAt(NOW_MS).issue('alice', CONFIG_ID)).token)],
    [
      'a token signed with another secret',
      async () => (await tokensAt(NOW_MS, OTHER_SECRET).issue('alice', CONFIG_ID)).token,
    ],
    [
      'a user JWT signed with the same secret (no use, no audience)',
      () => signHs256({ sub: 'alice', cfg: CONFIG_ID, iat: NOW_S, exp: NOW_S + 60 }),
    ],
    [
      'a JWT with the stream audience but no use claim',
      () => signHs256({ sub: 'alice', cfg: CONFIG_ID, aud: 'tickerpulse:stream', iat: NOW_S, exp: NOW_S + 60 }),
    ],
    [
      'a JWT with use: stream but no audience',
      () => signHs256({ sub: 'alice', cfg: CONFIG_ID, use: 'stream', iat: NOW_S, exp: NOW_S + 60 }),
    ],
    [
      'a JWT with a different use',
      () =>
        signHs256({ sub: 'alice', cfg: CONFIG_ID, use: 'api', aud: 'tickerpulse:stream', iat: NOW_S, exp: NOW_S + 60 }),
    ],
    [
      'a stream-shaped JWT without cfg',
      () => signHs256({ sub: 'alice', use: 'stream', aud: 'tickerpulse:stream', iat: NOW_S, exp: NOW_S + 60 }),
    ],
    [
      'a stream-shaped JWT without exp',
      () => signHs256({ sub: 'alice', cfg: CONFIG_ID, use: 'stream', aud: 'tickerpulse:stream', iat: NOW_S }),
    ],
    [
      'a stream-shaped JWT issued in the future',
      () =>
        signHs256({
          sub: 'alice',
          cfg: CONFIG_ID,
          use: 'stream',
          aud: 'tickerpulse:stream',
          iat: NOW_S + 60,
          exp: NOW_S + 120,
        }),
    ],
    [
      'a stream-shaped JWT whose sub is not a valid user id',
      () =>
        signHs256({
          sub: 'alice\nadmin',
          cfg: CONFIG_ID,
          use: 'stream',
          aud: 'tickerpulse:stream',
          iat: NOW_S,
          exp: NOW_S + 60,
        }),
    ],
  ])('refuses %s as invalid', async (_name, makeToken) => {
    // Prepare
    const token = await makeToken();

    // Act
    const outcome = await tokensAt(NOW_MS).verify(token, CONFIG_ID);

    // Assess
    expect(outcome).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses an unsigned (alg: none) token', async () => {
    // Prepare
    const { token } = await tokensAt(NOW_MS).issue('alice', CONFIG_ID);
    const [, payload = ''] = token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');

    // Act
    const withEmptySignature = await tokensAt(NOW_MS).verify(`${header}.${payload}.`, CONFIG_ID);
    const withJunkSignature = await tokensAt(NOW_MS).verify(`${header}.${payload}.AAAA`, CONFIG_ID);

    // Assess
    expect(withEmptySignature).toEqual({ ok: false, reason: 'malformed' });
    expect(withJunkSignature).toEqual({ ok: false, reason: 'invalid' });
  });

  it.each([
    ['an empty string', ''],
    ['two segments', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9'],
    ['five segments (a JWE)', 'a.b.c.d.e'],
    ['spaces', 'eyJhbGciOiJIUzI1NiJ9 .eyJzdWIiOiJhbGljZSJ9.c2ln'],
    ['a trailing CR/LF', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln\r\n'],
    ['an embedded newline', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIi\nOiJhbGljZSJ9.c2ln'],
    ['standard base64 characters', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9+/=.c2ln'],
    ['3000 characters', `${'a'.repeat(1000)}.${'b'.repeat(998)}.${'c'.repeat(1000)}`],
    ['one character over the limit', `${'a'.repeat(1000)}.${'b'.repeat(47)}.${'c'.repeat(1000)}`],
  ])('refuses a token with %s as malformed', async (_name, token) => {
    // Act
    const outcome = await tokensAt(NOW_MS).verify(token, CONFIG_ID);

    // Assess
    expect(outcome).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses well-shaped garbage as malformed after decoding', async () => {
    // Prepare: valid base64url segments that are not JSON.
    const token = 'bm90LWpzb24.bm90LWpzb24.c2lnbmF0dXJl';

    // Act
    const outcome = await tokensAt(NOW_MS).verify(token, CONFIG_ID);

    // Assess
    expect(outcome).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['a short secret', { secret: 'too-short', ttlSeconds: TTL_SECONDS }, /at least 32 characters/],
    ['a 31-character secret', { secret: 'x'.repeat(31), ttlSeconds: TTL_SECONDS }, /at least 32 characters/],
    ['a zero ttl', { secret: SECRET, ttlSeconds: 0 }, /positive integer/],
    ['a negative ttl', { secret: SECRET, ttlSeconds: -5 }, /positive integer/],
    ['a fractional ttl', { secret: SECRET, ttlSeconds: 1.5 }, /positive integer/],
    ['a NaN ttl', { secret: SECRET, ttlSeconds: Number.NaN }, /positive integer/],
  ])('refuses to start with %s', (_name, settings, message) => {
    // Act
    const create = () => createStreamTokens(settings);

    // Assess
    expect(create).toThrow(message);
  });

  it.each([
    ['an empty user id', '', CONFIG_ID, /userId/],
    ['a user id with a newline', 'alice\nadmin', CONFIG_ID, /userId/],
    ['an empty configuration id', 'alice', '', /configId/],
  ])('refuses to issue a token for %s', async (_name, userId, configId, message) => {
    // Act
    const issuing = tokensAt(NOW_MS).issue(userId, configId);

    // Assess
    await expect(issuing).rejects.toThrow(message);
  });
});
