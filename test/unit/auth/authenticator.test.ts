import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, createStreamTokens, KeySetUnavailableError } from '../../../src/auth/index.ts';
import type { AuthHeaders, AuthOutcome, AuthSettings } from '../../../src/auth/index.ts';

const SECRET = 'authenticator-test-secret-0123456789abcdef';
const OTHER_SECRET = 'a-different-secret-of-sufficient-length-0123';
/** 2026-11-21T09:00:00Z */
const NOW_MS = Date.UTC(2026, 10, 21, 9, 0, 0);
const NOW_S = NOW_MS / 1000;
const now = (): number => NOW_MS;
const ISSUER = 'https://login.example.com/';
const AUDIENCE = 'tickerpulse-api';

const valid = (claims: JWTPayload = {}): JWTPayload => ({ sub: 'alice', iat: NOW_S, exp: NOW_S + 300, ...claims });

async function signHs256(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

async function signRs256(claims: JWTPayload, key: CryptoKey, kid: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(key);
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsecured JWT built by hand: `{"alg":"none"}` header, payload, empty signature. */
function unsigned(claims: JWTPayload): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

/** Changes one character in the middle of the payload segment (never a padding-only change). */
function tamperPayload(token: string): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const index = Math.floor(payload.length / 2);
  const replacement = payload[index] === 'A' ? 'B' : 'A';
  return `${header}.${payload.slice(0, index)}${replacement}${payload.slice(index + 1)}.${signature}`;
}

const bearer = (token: string): AuthHeaders => ({ authorization: `Bearer ${token}` });

/**
 * A failure's detail must never echo the credential, any sizeable part of it, or the secret.
 * (Fragments shorter than 8 characters are skipped: they could be ordinary words.)
 */
function expectSafeDetail(outcome: AuthOutcome, token: string): void {
  if (outcome.ok) return;
  if (token.length >= 8) expect(outcome.detail).not.toContain(token);
  for (const segment of token.split('.').filter((part) => part.length >= 8)) {
    expect(outcome.detail).not.toContain(segment);
  }
  expect(outcome.detail).not.toContain(SECRET);
  expect(outcome.detail.length).toBeLessThan(200);
}

describe('createAuthenticator with an HS256 secret', () => {
  const settings: AuthSettings = { jwtSecret: SECRET, trustUserIdHeader: false, now };

  it('accepts a valid token and returns its sub', async () => {
    // Prepare
    const token = await signHs256(valid());

    // Act
    const outcome = await createAuthenticator(settings).authenticate(bearer(token));

    // Assess
    expect(outcome).toEqual({ ok: true, userId: 'alice', method: 'jwt' });
  });

  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('accepts the scheme spelled %s', async (scheme) => {
    // Prepare
    const token = await signHs256(valid());

    // Act
    const outcome = await createAuthenticator(settings).authenticate({ authorization: `${scheme} ${token}` });

    // Assess
    expect(outcome).toEqual({ ok: true, userId: 'alice', method: 'jwt' });
  });

  it.each([
    ['an exp 3 s in the past (within tolerance)', { exp: NOW_S - 3 }],
    ['an nbf 3 s in the future (within tolerance)', { nbf: NOW_S + 3 }],
    ['a user id using every allowed punctuation mark', { sub: 'auth0|user.name_1-x:y@example.com' }],
    ['a 128-character user id', { sub: 'u'.repeat(128) }],
  ])('accepts a token with %s', async (_name, claims) => {
    // Prepare
    const token = await signHs256(valid(claims));

    // Act
    const outcome = await createAuthenticator(settings).authenticate(bearer(token));

    // Assess
    expect(outcome).toMatchObject({ ok: true, method: 'jwt' });
  });

  it.each<[string, () => Promise<string>, string]>([
    ['an unsigned token (alg: none, empty signature)', () => Promise.resolve(unsigned(valid())), 'malformed'],
    ['an unsigned token (alg: none, junk signature)', () => Promise.resolve(`${unsigned(valid())}AAAA`), 'invalid'],
    ['an expired token', () => signHs256(valid({ exp: NOW_S - 60 })), 'expired'],
    ['a token not valid for another minute (nbf)', () => signHs256(valid({ nbf: NOW_S + 60 })), 'invalid'],
    ['a token with a tampered payload', async () => tamperPayload(await signHs256(valid())), 'invalid'],
    ['a token signed with another secret', () => signHs256(valid(), OTHER_SECRET), 'invalid'],
    ['a token without sub', () => signHs256({ iat: NOW_S, exp: NOW_S + 300 }), 'invalid'],
    ['a sub with a newline', () => signHs256(valid({ sub: 'alice\nadmin' })), 'malformed'],
    ['a sub with a trailing newline', () => signHs256(valid({ sub: 'alice\n' })), 'malformed'],
    ['a sub with a space', () => signHs256(valid({ sub: 'alice smith' })), 'malformed'],
    ['an empty sub', () => signHs256(valid({ sub: '' })), 'malformed'],
    ['a 129-character sub', () => signHs256(valid({ sub: 'u'.repeat(129) })), 'malformed'],
    ['a numeric sub', () => signHs256({ sub: 42, iat: NOW_S, exp: NOW_S + 300 } as unknown as JWTPayload), 'malformed'],
    ['an exp that is not a number', () => signHs256(valid({ exp: 'tomorrow' as unknown as number })), 'invalid'],
    [
      'a stream token',
      async () => (await createStreamTokens({ secret: SECRET, ttlSeconds: 300, now }).issue('alice', 'cfg-1')).token,
      'invalid',
    ],
    ['a token with use: stream', () => signHs256(valid({ use: 'stream' })), 'invalid'],
    ['a token with the stream audience', () => signHs256(valid({ aud: ['tickerpulse:stream', 'x'] })), 'invalid'],
    ['a token that is not JSON inside', () => Promise.resolve('bm90LWpzb24.bm90LWpzb24.c2lnbmF0dXJl'), 'malformed'],
    ['two segments', async () => (await signHs256(valid())).split('.').slice(0, 2).join('.'), 'malformed'],
    ['a JWE-shaped token', () => Promise.resolve('a.b.c.d.e'), 'malformed'],
    ['an oversized token', () => Promise.resolve(`${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`), 'malformed'],
  ])('refuses %s', async (_name, makeToken, reason) => {
    // Prepare
    const token = await makeToken();

    // Act
    const outcome = await createAuthenticator(settings).authenticate(bearer(token));

    // Assess
    expect(outcome).toMatchObject({ ok: false, reason });
    expectSafeDetail(outcome, token);
  });

  it('refuses an RS256 token: only HS256 is accepted with a secret', async () => {
    // Prepare
    const { privateKey } = await generateKeyPair('RS256');
    const token = await signRs256(valid(), privateKey, 'k1');

    // Act
    const outcome = await createAuthenticator(settings).authenticate(bearer(token));

    // Assess
    expect(outcome).toMatchObject({ ok: false, reason: 'invalid' });
    expectSafeDetail(outcome, token);
  });

  describe('with issuer and audience configured', () => {
    const strict: AuthSettings = { ...settings, issuer: ISSUER, audience: AUDIENCE };

    it.each([
      ['the expected iss and aud', { iss: ISSUER, aud: AUDIENCE }],
      ['the expected aud among several', { iss: ISSUER, aud: ['other-api', AUDIENCE] }],
    ])('accepts %s', async (_name, claims) => {
      // Prepare
      const token = await signHs256(valid(claims));

      // Act
      const outcome = await createAuthenticator(strict).authenticate(bearer(token));

      // Assess
      expect(outcome).toEqual({ ok: true, userId: 'alice', method: 'jwt' });
    });

    it.each([
      ['a wrong iss', { iss: 'https://evil.example.com/', aud: AUDIENCE }],
      ['a missing iss', { aud: AUDIENCE }],
      ['a wrong aud', { iss: ISSUER, aud: 'other-api' }],
      ['a missing aud', { iss: ISSUER }],
    ])('refuses %s as invalid', async (_name, claims) => {
      // Prepare
      const token = await signHs256(valid(claims));

      // Act
      const outcome = await createAuthenticator(strict).authenticate(bearer(token));

      // Assess
      expect(outcome).toMatchObject({ ok: false, reason: 'invalid' });
      expectSafeDetail(outcome, token);
    });
  });
});

describe('createAuthenticator: the Authorization header', () => {
  it.each([
    ['Basic credentials', 'Basic YWxpY2U6cGFzc3dvcmQ='],
    ['a Token scheme', 'Token abc.def.ghi'],
    ['a scheme glued to the token', 'Bearerabc.def.ghi'],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['an empty header', ''],
    ['a token with a space inside', 'Bearer abc.def .ghi'],
    ['a token followed by CR/LF', 'Bearer abc.def.ghi\r\nX-User-ID: admin'],
    ['an opaque token', 'Bearer 0123456789abcdef'],
  ])('refuses %s as malformed', async (_name, authorization) => {
    // Prepare
    const authenticator = createAuthenticator({ jwtSecret: SECRET, trustUserIdHeader: true, now });

    // Act
    const outcome = await authenticator.authenticate({ authorization, 'x-user-id': 'alice' });

    // Assess: a broken Authorization header never falls back to X-User-ID.
    expect(outcome).toMatchObject({ ok: false, reason: 'malformed' });
    expectSafeDetail(outcome, authorization.replace(/^\S+ /, ''));
  });

  it('prefers a Bearer token over X-User-ID', async () => {
    // Prepare
    const authenticator = createAuthenticator({ jwtSecret: SECRET, trustUserIdHeader: true, now });
    const token = await signHs256(valid({ sub: 'alice' }));

    // Act
    const outcome = await authenticator.authenticate({ authorization: `Bearer ${token}`, 'x-user-id': 'mallory' });

    // Assess
    expect(outcome).toEqual({ ok: true, userId: 'alice', method: 'jwt' });
  });

  it('does not fall back to X-User-ID when the Bearer token is expired', async () => {
    // Prepare
    const authenticator = createAuthenticator({ jwtSecret: SECRET, trustUserIdHeader: true, now });
    const token = await signHs256(valid({ exp: NOW_S - 60 }));

    // Act
    const outcome = await authenticator.authenticate({ authorization: `Bearer ${token}`, 'x-user-id': 'alice' });

    // Assess
    expect(outcome).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses bearer tokens when neither a secret nor a JWKS is configured', async () => {
    // Prepare
    const authenticator = createAuthenticator({ trustUserIdHeader: true, now });
    const token = await signHs256(valid());

    // Act
    const outcome = await authenticator.authenticate(bearer(token));

    // Assess
    expect(outcome).toEqual({
      ok: false,
      reason: 'invalid',
      detail: 'bearer tokens are not accepted by this deployment',
    });
  });
});

describe('createAuthenticator: X-User-ID', () => {
  it.each(['alice', 'user@example.com', 'auth0|5f1c2e', 'tenant:42.user_7-x', 'u'.repeat(128)])(
    'accepts %s when the deployment trusts the header',
    async (userId) => {
      // Prepare
      const authenticator = createAuthenticator({ trustUserIdHeader: true, now });

      // Act
      const outcome = await authenticator.authenticate({ 'x-user-id': userId });

      // Assess
      expect(outcome).toEqual({ ok: true, userId, method: 'user-id-header' });
    },
  );

  it.each<[string, string | readonly string[]]>([
    ['an empty value', ''],
    ['a space', 'alice smith'],
    ['CR/LF', 'alice\r\nX-Admin: true'],
    ['a trailing newline', 'alice\n'],
    ['a tab', 'alice\tbob'],
    ['a slash', 'alice/../bob'],
    ['a NUL byte', 'alice\u0000'],
    ['non-ASCII letters', 'ålice'],
    ['129 characters', 'u'.repeat(129)],
    ['two values', ['alice', 'bob']],
  ])('refuses a trusted header with %s as malformed', async (_name, userId) => {
    // Prepare
    const authenticator = createAuthenticator({ trustUserIdHeader: true, now });

    // Act
    const outcome = await authenticator.authenticate({ 'x-user-id': userId });

    // Assess
    expect(outcome).toMatchObject({ ok: false, reason: 'malformed' });
    if (!outcome.ok && typeof userId === 'string' && userId !== '') expect(outcome.detail).not.toContain(userId);
  });

  it.each([
    ['with a secret configured', { jwtSecret: SECRET }],
    ['with nothing else configured', {}],
  ])('refuses the header as not-trusted when the deployment does not trust it, %s', async (_name, extra) => {
    // Prepare
    const authenticator = createAuthenticator({ ...extra, trustUserIdHeader: false, now });

    // Act
    const outcome = await authenticator.authenticate({ 'x-user-id': 'alice' });

    // Assess
    expect(outcome).toMatchObject({ ok: false, reason: 'not-trusted' });
  });

  it.each([
    [true, 'Send Authorization Bearer <JWT> or X-User-ID.'],
    [false, 'Send Authorization: Bearer <JWT>.'],
  ])('reports missing credentials (trusting X-User-ID: %s)', async (trustUserIdHeader, detail) => {
    // Prepare
    const authenticator = createAuthenticator({ jwtSecret: SECRET, trustUserIdHeader, now });

    // Act
    const outcome = await authenticator.authenticate({});

    // Assess
    expect(outcome).toEqual({ ok: false, reason: 'missing', detail });
  });
});

describe('createAuthenticator settings', () => {
  it.each<[string, AuthSettings, RegExp]>([
    ['a short secret', { jwtSecret: 'short', trustUserIdHeader: false }, /at least 32 characters/],
    ['an empty secret', { jwtSecret: '', trustUserIdHeader: false }, /at least 32 characters/],
    ['a JWKS URL that is not a URL', { jwksUrl: 'not a url', trustUserIdHeader: false }, /not a valid URL/],
    [
      'a plain-http JWKS URL on a public host',
      { jwksUrl: 'http://login.example.com/.well-known/jwks.json', trustUserIdHeader: false },
      /https/,
    ],
    ['a file: JWKS URL', { jwksUrl: 'file:///etc/jwks.json', trustUserIdHeader: false }, /https/],
    ['an empty issuer', { jwtSecret: SECRET, issuer: '', trustUserIdHeader: false }, /issuer/],
    ['an empty audience', { jwtSecret: SECRET, audience: '', trustUserIdHeader: false }, /audience/],
  ])('refuses to start with %s', (_name, settings, message) => {
    // Act
    const create = () => createAuthenticator(settings);

    // Assess
    expect(create).toThrow(message);
  });
});

describe('createAuthenticator with a JWKS', () => {
  let server: Server;
  let baseUrl: string;
  let jwksRequests = 0;
  let privateKey: CryptoKey;
  let strangerKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    const stranger = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    strangerKey = stranger.privateKey;
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }],
    });
    server = createServer((request, response) => {
      if (request.url === '/jwks.json') {
        jwksRequests += 1;
        response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      } else {
        response.writeHead(500, { 'content-type': 'text/plain' }).end('upstream failure');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => {
      server.close((error) => {
        if (error) reject(error);
        else resolve();
      });
      server.closeAllConnections();
    });
  });

  const jwksSettings = (): AuthSettings => ({ jwksUrl: `${baseUrl}/jwks.json`, trustUserIdHeader: false, now });

  it('accepts an RS256 token signed by a key in the set', async () => {
    // Prepare
    const token = await signRs256(valid(), privateKey, 'k1');

    // Act
    const outcome = await createAuthenticator(jwksSettings()).authenticate(bearer(token));

    // Assess
    expect(outcome).toEqual({ ok: true, userId: 'alice', method: 'jwt' });
  });

  it('fetches the key set lazily and once per authenticator', async () => {
    // Prepare
    const before = jwksRequests;
    const authenticator = createAuthenticator(jwksSettings());
    const afterCreate = jwksRequests;
    const token = await signRs256(valid(), privateKey, 'k1');

    // Act
    const outcomes = [await authenticator.authenticate(bearer(token)), await authenticator.authenticate(bearer(token))];

    // Assess
    expect(afterCreate).toBe(before);
    expect(outcomes).toEqual([
      { ok: true, userId: 'alice', method: 'jwt' },
      { ok: true, userId: 'alice', method: 'jwt' },
    ]);
    expect(jwksRequests).toBe(before + 1);
  });

  it.each<[string, () => Promise<string>, string]>([
    ['signed by a key not in the set (same kid)', () => signRs256(valid(), strangerKey, 'k1'), 'invalid'],
    ['signed by a key not in the set (unknown kid)', () => signRs256(valid(), strangerKey, 'k9'), 'invalid'],
    ['HS256 (algorithm confusion)', () => signHs256(valid()), 'invalid'],
    ['unsigned (alg: none) with a junk signature', () => Promise.resolve(`${unsigned(valid())}AAAA`), 'invalid'],
    ['expired', () => signRs256(valid({ exp: NOW_S - 60 }), privateKey, 'k1'), 'expired'],
    ['with a tampered payload', async () => tamperPayload(await signRs256(valid(), privateKey, 'k1')), 'invalid'],
  ])('refuses a token %s', async (_name, makeToken, reason) => {
    // Prepare
    const token = await makeToken();

    // Act
    const outcome = await createAuthenticator(jwksSettings()).authenticate(bearer(token));

    // Assess
    expect(outcome).toMatchObject({ ok: false, reason });
    expectSafeDetail(outcome, token);
  });

  it('rejects with KeySetUnavailableError when the key set cannot be fetched', async () => {
    // Prepare
    const authenticator = createAuthenticator({ ...jwksSettings(), jwksUrl: `${baseUrl}/broken` });
    const token = await signRs256(valid(), privateKey, 'k1');

    // Act
    const authenticating = authenticator.authenticate(bearer(token));

    // Assess
    await expect(authenticating).rejects.toBeInstanceOf(KeySetUnavailableError);
  });
});
