/**
 * The identity provider's key set cannot be fetched: that is the service's problem, not the
 * caller's. A bearer token is then answered 503 with Retry-After (never 401, which would tell a
 * browser to sign in again), over REST and on a configuration's stream before its first byte;
 * once the key set answers again, the same kind of token is accepted. The key set is served by a
 * loopback server the test switches between failing and answering.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { createApiClient } from '../../support/api-client.ts';
import { openStream } from '../../support/sse-client.ts';
import { startTestServer } from '../../support/test-server.ts';

const CONFIG_ID = '2c4f6a8b-0d1e-4f3a-9b5c-7d9e1f3a5b7c';

let jwks: Server;
/** What the identity provider serves: nothing (a 500) while undefined. */
let keySet: JWK | undefined;
let publicJwk: JWK;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let server: LocalServer;
const api = createApiClient(() => server.url);

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    if (keySet === undefined) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('identity provider down');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [keySet] }));
  });
  jwks.listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  server = await startTestServer({
    AUTH_JWT_SECRET: '',
    AUTH_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`,
  });
});
afterAll(async () => {
  await server.close();
  jwks.closeAllConnections();
  jwks.close();
});

const bearer = async (subject: string) => ({
  authorization: `Bearer ${await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey)}`,
});

describe('while the key set cannot be fetched', () => {
  it('a bearer token over REST is a 503 with Retry-After, not a 401', async () => {
    const answer = await api.request('/api/v2/configurations', { headers: await bearer('ada') });

    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(answer.headers.get('www-authenticate')).toBeNull();
    expect(answer.body).toMatchObject({ type: '/problems/unavailable', status: 503 });
  });

  it('a bearer token on a configuration stream is a 503 problem before any stream byte', async () => {
    const stream = await openStream(`${server.url}/api/v2/configurations/${CONFIG_ID}/stream`, {
      headers: await bearer('ada'),
      channel: 'configurationStream',
    });

    expect(stream.status).toBe(503);
    expect(stream.headers.get('content-type')).toBe('application/problem+json');
    expect(stream.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(stream.refusal)).toMatchObject({ type: '/problems/unavailable', status: 503 });
  });
});

describe('once the key set answers again', () => {
  it('the same kind of token is accepted', async () => {
    keySet = publicJwk;

    const answer = await api.request('/api/v2/configurations', { headers: await bearer('ada') });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ configurations: [] });
  });
});
