/**
 * The secret cache (src/runtime/parameters.ts) through Powertools' SSMProvider and the AWS SDK's
 * SSMClient, against an SSM stand-in on 127.0.0.1: a max age of 1 s (Powertools counts whole
 * seconds) keeps every wait around a second.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createParameterCache,
  SECRET_MAX_AGE_SECONDS,
  SecretsUnavailableError,
} from '../../../src/runtime/parameters.ts';
import { type SsmStandIn, startSsmStandIn } from './ssm-stand-in.ts';

const MAX_AGE_S = 1;
/** Just past the max age (and the pause after a failure, which equals it here). */
const PAST_MAX_AGE_MS = MAX_AGE_S * 1000 + 150;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let ssm: SsmStandIn;
let client: SSMClient;
beforeAll(async () => {
  ssm = await startSsmStandIn();
  client = new SSMClient({
    endpoint: ssm.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await ssm.close();
});

/** A cache over fresh parameter names, so the tests do not share state. */
function cacheOf(names: Record<string, string>, onStale?: (key: string, error: unknown) => void) {
  return createParameterCache({ names, maxAgeSeconds: MAX_AGE_S, client, ...(onStale ? { onStale } : {}) });
}

describe('the secret parameter cache', () => {
  it('reads decrypted SecureStrings with signed GetParameter calls, then answers from its cache', async () => {
    ssm.put('/t1/key', 'key-one');
    ssm.put('/t1/jwt', 'jwt-one');
    const cache = cacheOf({ key: '/t1/key', jwt: '/t1/jwt' });
    expect(await cache.current()).toEqual({ key: 'key-one', jwt: 'jwt-one' });
    expect(await cache.current()).toEqual({ key: 'key-one', jwt: 'jwt-one' });
    const asked = [...ssm.requestsFor('/t1/key'), ...ssm.requestsFor('/t1/jwt')];
    expect(asked).toEqual([
      { operation: 'GetParameter', names: ['/t1/key'], withDecryption: true, signed: true },
      { operation: 'GetParameter', names: ['/t1/jwt'], withDecryption: true, signed: true },
    ]);
  });

  it('uses a rotated value once the max age has passed, not before', async () => {
    ssm.put('/t2/key', 'before');
    const cache = cacheOf({ key: '/t2/key' });
    expect((await cache.current()).key).toBe('before');
    ssm.put('/t2/key', 'after');
    expect((await cache.current()).key).toBe('before');
    await sleep(PAST_MAX_AGE_MS);
    expect((await cache.current()).key).toBe('after');
    expect(ssm.requestsFor('/t2/key')).toHaveLength(2);
  });

  it('serves the last value through an SSM outage, pausing between attempts, and recovers after it', async () => {
    ssm.put('/t3/key', 'cached');
    const stale: string[] = [];
    const cache = cacheOf({ key: '/t3/key' }, (key) => stale.push(key));
    expect((await cache.current()).key).toBe('cached');
    try {
      ssm.outage = true;
      ssm.put('/t3/key', 'rotated during the outage');
      await sleep(PAST_MAX_AGE_MS);
      expect((await cache.current()).key).toBe('cached');
      expect(stale).toEqual(['key']);
      // Paused: the next requests do not wait for SSM again.
      expect((await cache.current()).key).toBe('cached');
      expect((await cache.current()).key).toBe('cached');
      expect(ssm.requestsFor('/t3/key')).toHaveLength(2);
    } finally {
      ssm.outage = false;
    }
    await sleep(PAST_MAX_AGE_MS);
    expect((await cache.current()).key).toBe('rotated during the outage');
    expect(stale).toEqual(['key']);
  });

  it('fails a first read it cannot make: SSM down, or no such parameter', async () => {
    ssm.put('/t4/key', 'never read');
    ssm.outage = true;
    try {
      await expect(cacheOf({ key: '/t4/key' }).current()).rejects.toThrow(SecretsUnavailableError);
    } finally {
      ssm.outage = false;
    }
    await expect(cacheOf({ key: '/t4/missing' }).current()).rejects.toThrow(/\/t4\/missing cannot be read/);
    // Once SSM answers, a new attempt succeeds: a failure is not cached.
    expect((await cacheOf({ key: '/t4/key' }).current()).key).toBe('never read');
  });

  it('defaults to a max age of 5 minutes, and refuses one Powertools would not honour', () => {
    expect(SECRET_MAX_AGE_SECONDS).toBe(300);
    for (const maxAgeSeconds of [0, -1, 0.5, 1.5, Number.NaN]) {
      expect(() => createParameterCache({ names: { key: '/k' }, maxAgeSeconds, client })).toThrow(/max age/);
    }
  });
});
