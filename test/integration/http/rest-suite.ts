/**
 * The REST suite: every operation, and every bad input with its status, its problem body and an
 * unchanged store. Defined once and run twice: against the server directly
 * (test/integration/http/rest.test.ts) and through `prism proxy --errors`
 * (test/contract/prism-proxy.test.ts), so Prism checks every response the suite provokes too.
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/index.ts';
import type { ApiClient, ApiRequest, ApiResponse } from '../../support/api-client.ts';
import { TEST_INGEST_KEY, TEST_JWT_SECRET } from '../../support/test-server.ts';

interface SuiteTarget {
  readonly api: ApiClient;
  readonly store: Store;
  /** Through Prism, answers outside the spec (unknown route, 405) are Prism's own. */
  readonly viaPrism: boolean;
}

const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function jwtFor(userId: string, claims: { exp?: number } = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? nowSeconds() + 600)
    .sign(secret);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned token (`alg: none`), which must never be accepted. */
const unsignedJwt = (userId: string) =>
  `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, exp: nowSeconds() + 600 })}.`;
/** A valid token whose payload was changed after signing. */
async function tamperedJwt(userId: string): Promise<string> {
  const [header, , signature] = (await jwtFor(userId)).split('.');
  return `${header}.${b64({ sub: 'mallory', exp: nowSeconds() + 600 })}.${signature}`;
}

let sequence = 0;
function item(overrides: Record<string, unknown> = {}) {
  sequence += 1;
  return {
    item_id: `rest-${Date.now().toString(36)}-${sequence}`,
    ticker: 'NVDA',
    sentiment: 'positive',
    score: 0.42,
    timestamp: '2026-11-21T09:14:03.120Z',
    source: 'reuters',
    ...overrides,
  };
}

const ingest = (api: ApiClient, items: unknown[], headers: Record<string, string> = { 'x-api-key': TEST_INGEST_KEY }) =>
  api.request('/api/v2/items', { method: 'POST', json: { items }, headers });

const asUser = (userId: string): Record<string, string> => ({ 'x-user-id': userId });

function problemOf(response: ApiResponse): { type: string; status: number; errors?: { pointer: string }[] } {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return response.body as { type: string; status: number; errors?: { pointer: string }[] };
}

/** Everything a bad request must not change: counters, the feed, the test users' configurations. */
async function snapshot(store: Store) {
  const { metrics, tickers } = await store.aggregates();
  const { as_of: _asOf, rate_last_hour: _rate, ...counts } = metrics;
  return {
    counts,
    tickers: tickers.map(({ as_of: _t, ...rest }) => rest),
    items: (await store.readNewest({ limit: 100 })).items.map((i) => i.item_id),
    alice: await store.listConfigurations('alice'),
    bob: await store.listConfigurations('bob'),
  };
}

function defineRestSuite(name: string, target: () => SuiteTarget): void {
  describe(name, () => {
    describe('health and metrics', () => {
      it('reports a healthy store', async () => {
        const response = await target().api.request('/health');
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ status: 'ok', store: { reachable: true } });
      });

      it('counts an ingested item in the metrics at once', async () => {
        const { api } = target();
        const before = (await api.request('/api/v2/metrics')).body as { total: number; by_tag: Record<string, number> };
        await ingest(api, [item({ ticker: 'META' })]);
        const after = (await api.request('/api/v2/metrics')).body as { total: number; by_tag: Record<string, number> };
        expect(after.total - before.total).toBe(1);
        expect((after.by_tag.META ?? 0) - (before.by_tag.META ?? 0)).toBe(1);
      });
    });

    describe('items', () => {
      it('ingests a batch and answers one result per item, in order', async () => {
        const batch = [item(), item({ ticker: 'AAPL', sentiment: 'negative', score: -0.7 })];
        const response = await ingest(target().api, batch);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({
          accepted: 2,
          duplicates: 0,
          conflicts: 0,
          results: batch.map((i) => ({ item_id: i.item_id, status: 'created' })),
        });
      });

      it('accepts a re-posted item and counts it once; reports a changed re-post as a conflict', async () => {
        const { api } = target();
        const original = item();
        await ingest(api, [original]);
        const before = await snapshot(target().store);

        const again = await ingest(api, [original]);
        const changed = await ingest(api, [{ ...original, score: -0.9 }]);

        expect(again.body).toMatchObject({ accepted: 0, duplicates: 1, results: [{ status: 'duplicate' }] });
        expect(changed.body).toMatchObject({ accepted: 0, conflicts: 1, results: [{ status: 'conflict' }] });
        expect(await snapshot(target().store)).toEqual(before);
      });

      it('accepts a batch of exactly 25', async () => {
        const response = await ingest(
          target().api,
          Array.from({ length: 25 }, () => item()),
        );
        expect(response.body).toMatchObject({ accepted: 25 });
      });

      it('lists newest first and pages with next_cursor until it is null', async () => {
        const { api } = target();
        const ticker = 'GOOGL';
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          const it = item({ ticker });
          ids.push(it.item_id);
          await ingest(api, [it]);
        }
        const seen: string[] = [];
        let page = '';
        for (;;) {
          const response = await api.request(`/api/v2/items?ticker=${ticker}&limit=3${page}`);
          const body = response.body as { items: { item_id: string }[]; next_cursor: string | null };
          seen.push(...body.items.map((i) => i.item_id));
          if (body.next_cursor === null) break;
          page = `&page=${body.next_cursor}`;
        }
        expect(seen.slice(0, 7)).toEqual([...ids].reverse());
      });

      it('returns exactly the items after a cursor, and an empty page when there are none', async () => {
        const { api } = target();
        const head = (await api.request('/api/v2/items?limit=1')).body as { cursor: string };
        const batch = [item(), item(), item()];
        for (const one of batch) await ingest(api, [one]);

        const after = (await api.request(`/api/v2/items?after=${head.cursor}`)).body as {
          items: { item_id: string }[];
          cursor: string;
          next_cursor: null;
        };
        const again = (await api.request(`/api/v2/items?after=${after.cursor}`)).body as { items: unknown[] };

        expect(after.items.map((i) => i.item_id)).toEqual(batch.map((i) => i.item_id).reverse());
        expect(after.next_cursor).toBeNull();
        expect(again.items).toEqual([]);
      });
    });

    describe('configurations', () => {
      it('creates (201 + Location), reads, lists, replaces and deletes (204) as the owner', async () => {
        const { api } = target();
        const owner = asUser('carol');
        const created = await api.request('/api/v2/configurations', {
          method: 'POST',
          headers: owner,
          json: { name: 'Chips', tickers: ['NVDA', 'AMD'] },
        });
        const config = created.body as { config_id: string };
        const path = `/api/v2/configurations/${config.config_id}`;

        const read = await api.request(path, { headers: owner });
        const list = await api.request('/api/v2/configurations', { headers: owner });
        const replaced = await api.request(path, {
          method: 'PUT',
          headers: owner,
          json: { name: 'Chips+', tickers: ['NVDA'] },
        });
        const deleted = await api.request(path, { method: 'DELETE', headers: owner });
        const gone = await api.request(path, { headers: owner });

        expect(created.status).toBe(201);
        expect(created.headers.get('location')).toBe(path);
        expect(read.body).toEqual(created.body);
        expect((list.body as { configurations: unknown[] }).configurations).toContainEqual(created.body);
        expect(replaced.body).toMatchObject({ name: 'Chips+', tickers: ['NVDA'] });
        expect(deleted.status).toBe(204);
        expect(deleted.text).toBe('');
        expect(gone.status).toBe(404);
      });

      it('authenticates with a Bearer JWT as well as X-User-ID', async () => {
        const { api } = target();
        const response = await api.request('/api/v2/configurations', {
          headers: { authorization: `Bearer ${await jwtFor('alice')}` },
        });
        expect(response.status).toBe(200);
      });

      it('issues a stream token for an owned configuration', async () => {
        const { api } = target();
        const created = await api.request('/api/v2/configurations', {
          method: 'POST',
          headers: asUser('dave'),
          json: { name: 'Tokens', tickers: ['AAPL'] },
        });
        const configId = (created.body as { config_id: string }).config_id;
        const response = await api.request(`/api/v2/configurations/${configId}/stream-token`, {
          method: 'POST',
          headers: asUser('dave'),
        });
        const body = response.body as { token: string; expires_at: string };
        expect(response.status).toBe(200);
        expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now());
      });
    });

    describe('bad input: a clear problem, and nothing changes', () => {
      // The owner's configuration that the cases below try to reach as someone else.
      let aliceConfig = '';
      const aliceConfigPath = () => `/api/v2/configurations/${aliceConfig}`;

      it('prepares a configuration owned by alice', async () => {
        const response = await target().api.request('/api/v2/configurations', {
          method: 'POST',
          headers: asUser('alice'),
          json: { name: 'Alice main', tickers: ['AAPL'] },
        });
        aliceConfig = (response.body as { config_id: string }).config_id;
        expect(response.status).toBe(201);
      });

      const key = { 'x-api-key': TEST_INGEST_KEY };
      const json = { 'content-type': 'application/json' };
      type Case = [
        name: string,
        make: () => Promise<[string, ApiRequest]> | [string, ApiRequest],
        status: number,
        type?: string,
      ];
      const cases: Case[] = [
        [
          'malformed JSON',
          () => ['/api/v2/items', { method: 'POST', headers: { ...key, ...json }, raw: '{"items": [' }],
          400,
          '/problems/malformed-json',
        ],
        [
          'a JSON body that is not an object',
          () => ['/api/v2/items', { method: 'POST', headers: { ...key, ...json }, raw: '"items"' }],
          400,
        ],
        ['an empty body', () => ['/api/v2/items', { method: 'POST', headers: key }], 400],
        [
          'a wrong type',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item({ score: '0.5' })] } }],
          400,
        ],
        [
          'an unknown field',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item({ mood: 'happy' })] } }],
          400,
        ],
        [
          'an unknown top-level field',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item()], dryRun: true } }],
          400,
        ],
        [
          'a missing required field',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item({ sentiment: undefined })] } }],
          400,
        ],
        [
          'a sentiment outside the enum',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item({ sentiment: 'bullish' })] } }],
          400,
        ],
        [
          'a score above 1',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item({ score: 1.01 })] } }],
          400,
        ],
        [
          'a score below -1',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item({ score: -1.01 })] } }],
          400,
        ],
        [
          'a ticker with a space',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item({ ticker: 'AA PL' })] } }],
          400,
        ],
        [
          'a ticker with a newline',
          () => [
            '/api/v2/items',
            { method: 'POST', headers: key, json: { items: [item({ ticker: 'AAPL\nevent: x' })] } },
          ],
          400,
        ],
        [
          'an item id with a newline',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item({ item_id: 'a\nb' })] } }],
          400,
        ],
        [
          'a batch of 26',
          () => [
            '/api/v2/items',
            { method: 'POST', headers: key, json: { items: Array.from({ length: 26 }, () => item()) } },
          ],
          400,
        ],
        ['an empty batch', () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [] } }], 400],
        [
          'one bad item in a good batch',
          () => ['/api/v2/items', { method: 'POST', headers: key, json: { items: [item(), item({ score: 7 })] } }],
          400,
        ],
        [
          'a body over 1 MiB',
          () => [
            '/api/v2/items',
            { method: 'POST', headers: { ...key, ...json }, raw: `{"items":[],"pad":"${'x'.repeat(1024 * 1024)}"}` },
          ],
          413,
          '/problems/payload-too-large',
        ],
        [
          'a body that is not JSON',
          () => ['/api/v2/items', { method: 'POST', headers: { ...key, 'content-type': 'text/plain' }, raw: 'items' }],
          415,
        ],
        [
          'no ingest key',
          () => ['/api/v2/items', { method: 'POST', json: { items: [item()] } }],
          401,
          '/problems/unauthorized',
        ],
        [
          'a wrong ingest key',
          () => ['/api/v2/items', { method: 'POST', headers: { 'x-api-key': 'nope' }, json: { items: [item()] } }],
          401,
        ],
        ['no credentials', () => ['/api/v2/configurations', {}], 401, '/problems/unauthorized'],
        [
          'an expired JWT',
          async () => [
            '/api/v2/configurations',
            { headers: { authorization: `Bearer ${await jwtFor('alice', { exp: nowSeconds() - 60 })}` } },
          ],
          401,
        ],
        [
          'an unsigned (alg none) JWT',
          () => ['/api/v2/configurations', { headers: { authorization: `Bearer ${unsignedJwt('alice')}` } }],
          401,
        ],
        [
          'a tampered JWT',
          async () => [
            '/api/v2/configurations',
            { headers: { authorization: `Bearer ${await tamperedJwt('alice')}` } },
          ],
          401,
        ],
        [
          'a malformed Authorization header',
          () => ['/api/v2/configurations', { headers: { authorization: 'Basic YWxpY2U6cGFzcw==' } }],
          401,
        ],
        [
          'a user id with a control character',
          () => ['/api/v2/configurations', { headers: { 'x-user-id': 'alice\tbob' } }],
          401,
        ],
        [
          'more than 20 tickers',
          () => [
            '/api/v2/configurations',
            {
              method: 'POST',
              headers: asUser('alice'),
              json: { name: 'Big', tickers: Array.from({ length: 21 }, (_, i) => `T${i}`) },
            },
          ],
          400,
        ],
        [
          'an empty name',
          () => [
            '/api/v2/configurations',
            { method: 'POST', headers: asUser('alice'), json: { name: '', tickers: ['AAPL'] } },
          ],
          400,
        ],
        [
          'an over-long name',
          () => [
            '/api/v2/configurations',
            { method: 'POST', headers: asUser('alice'), json: { name: 'n'.repeat(101), tickers: ['AAPL'] } },
          ],
          400,
        ],
        [
          'a name with a newline',
          () => [
            '/api/v2/configurations',
            { method: 'POST', headers: asUser('alice'), json: { name: 'a\nb', tickers: ['AAPL'] } },
          ],
          400,
        ],
        [
          'no tickers',
          () => [
            '/api/v2/configurations',
            { method: 'POST', headers: asUser('alice'), json: { name: 'Empty', tickers: [] } },
          ],
          400,
        ],
        [
          'a duplicate name',
          () => [
            '/api/v2/configurations',
            { method: 'POST', headers: asUser('alice'), json: { name: 'ALICE MAIN', tickers: ['AAPL'] } },
          ],
          409,
          '/problems/conflict',
        ],
        [
          "someone else's configuration",
          () => [aliceConfigPath(), { headers: asUser('bob') }],
          404,
          '/problems/not-found',
        ],
        [
          "replacing someone else's configuration",
          () => [
            aliceConfigPath(),
            { method: 'PUT', headers: asUser('bob'), json: { name: 'Mine now', tickers: ['TSLA'] } },
          ],
          404,
        ],
        [
          "deleting someone else's configuration",
          () => [aliceConfigPath(), { method: 'DELETE', headers: asUser('bob') }],
          404,
        ],
        [
          "a stream token for someone else's configuration",
          () => [`${aliceConfigPath()}/stream-token`, { method: 'POST', headers: asUser('bob') }],
          404,
        ],
        [
          'an unknown configuration id',
          () => ['/api/v2/configurations/7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23', { headers: asUser('alice') }],
          404,
        ],
        [
          'a configuration id that is not a UUID',
          () => ['/api/v2/configurations/not-a-uuid', { headers: asUser('alice') }],
          400,
        ],
        ['an unknown query parameter', () => ['/api/v2/items?tickr=AAPL', {}], 400],
        ['a limit of 0', () => ['/api/v2/items?limit=0', {}], 400],
        ['a limit of 101', () => ['/api/v2/items?limit=101', {}], 400],
        ['after and page together', () => ['/api/v2/items?after=1.abc&page=abc', {}], 400],
        ['a cursor this server did not issue', () => ['/api/v2/items?after=1.zzzz~x', {}], 400],
        [
          'an expired cursor',
          () => [`/api/v2/items?after=1.${(Date.now() - 8 * 86_400_000).toString(36)}`, {}],
          400,
          '/problems/cursor-expired',
        ],
        ['a page token this server did not issue', () => ['/api/v2/items?page=bm90LWEtdG9rZW4', {}], 400],
      ];

      // Prism answers these itself instead of forwarding them, so through the proxy they would test
      // Prism: a request without any credentials gets Prism's own 401 (whose body is not RFC 9457),
      // and a malformed JSON body makes the proxy hang.
      const answeredByPrism = new Set([
        'malformed JSON',
        'no ingest key',
        'no credentials',
        'a malformed Authorization header',
      ]);

      it.each(cases)('refuses %s', async (name, make, status, type) => {
        const { api, store, viaPrism } = target();
        if (viaPrism && answeredByPrism.has(name)) return;
        const [path, request] = await make();
        const before = await snapshot(store);

        const response = await api.request(path, request);

        const problem = problemOf(response);
        expect(response.status).toBe(status);
        expect(problem.status).toBe(status);
        if (type !== undefined) expect(problem.type).toBe(type);
        expect(await snapshot(store)).toEqual(before);
      });

      it('points at each offending input', async () => {
        const response = await target().api.request('/api/v2/items', {
          method: 'POST',
          headers: key,
          json: { items: [item(), item({ score: 2, ticker: 'bad ticker' })] },
        });
        expect(
          problemOf(response)
            .errors?.map((e) => e.pointer)
            .sort(),
        ).toEqual(['/items/1/score', '/items/1/ticker']);
      });

      it('answers an unknown route with 404 and a wrong method with 405 and Allow, as problems', async () => {
        const { api, viaPrism } = target();
        const unknown = await api.request('/api/v2/nothing-here');
        const wrongMethod = await api.request('/api/v2/items', { method: 'DELETE' });
        expect(unknown.status).toBe(404);
        expect(wrongMethod.status).toBe(405);
        // Prism answers paths and methods outside the spec itself.
        if (!viaPrism) expect(wrongMethod.headers.get('allow')).toBe('GET, POST, HEAD');
      });
    });
  });
}

export type { SuiteTarget };
export { defineRestSuite };
