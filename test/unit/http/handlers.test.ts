/**
 * The REST handlers (src/http/handlers/) on a store double that records what it is asked and
 * answers or fails as told: the defaults they fall back on when called without the validator's
 * filled-in values, how an ingest the store cannot confirm becomes a 409 with Retry-After (never
 * a 2xx), that any other store failure passes through unchanged for problem.ts to classify, that
 * a store which loses statuses is a failure rather than a partial success, and that operations
 * for a user refuse to run for anyone else.
 */
import { describe, expect, it } from 'vitest';
import type { StreamTokens } from '../../../src/auth/index.ts';
import type { OperationId } from '../../../src/contract/index.ts';
import { HttpError } from '../../../src/http/errors.ts';
import type { HandlerContext } from '../../../src/http/handler.ts';
import { createRestHandlers, type HandlerDeps } from '../../../src/http/handlers/index.ts';
import { userOf } from '../../../src/http/handlers/deps.ts';
import { toProblem } from '../../../src/http/problem.ts';
import { IngestNotConfirmedError, type Store } from '../../../src/store/index.ts';
import { itemInput } from '../../support/test-store.ts';

/** A store double: the methods a test gives, recording their arguments; any other call fails the test. */
function storeDouble(methods: Partial<Record<keyof Store, (...args: unknown[]) => unknown>>) {
  const calls: { method: string; args: unknown[] }[] = [];
  const store = new Proxy({} as Store, {
    get(_target, name: string) {
      const method = methods[name as keyof Store];
      return (...args: unknown[]) => {
        calls.push({ method: name, args });
        if (method === undefined) throw new Error(`unexpected store call: ${name}`);
        return method(...args);
      };
    },
  });
  return { store, calls };
}

function handlersOn(store: Store) {
  const deps: HandlerDeps = {
    store,
    streamTokens: {} as StreamTokens,
    version: 'test',
    now: Date.now,
    serviceMetrics: () => Promise.resolve(''),
  };
  return createRestHandlers(deps);
}

/** A handler context with only what the test names; handlers read nothing else. */
const contextOf = <Op extends OperationId>(parts: Partial<Record<keyof HandlerContext<Op>, unknown>>) =>
  ({ principal: { kind: 'anonymous' }, signal: new AbortController().signal, ...parts }) as HandlerContext<Op>;

describe('GET /api/v2/metrics/history', () => {
  it('asks the store for hourly buckets when no bucket is given', async () => {
    const { store, calls } = storeDouble({ history: () => Promise.resolve({ bucket: '1h', buckets: [] }) });

    const result = await handlersOn(store).getMetricsHistory(contextOf<'getMetricsHistory'>({ query: {} }));

    expect(calls).toEqual([{ method: 'history', args: ['1h', undefined] }]);
    expect(result).toMatchObject({ status: 200, headers: { 'Cache-Control': 'no-store' } });
  });
});

describe('GET /api/v2/items', () => {
  it('reads 50 of the newest when no limit is given', async () => {
    const { store, calls } = storeDouble({
      headCursor: () => Promise.resolve({ entries: [] }),
      readNewest: () => Promise.resolve({ items: [], nextPage: null }),
      encodeCursor: () => 'head',
    });

    const result = await handlersOn(store).listItems(contextOf<'listItems'>({ query: {} }));

    expect(calls.find((call) => call.method === 'readNewest')?.args[0]).toMatchObject({ limit: 50 });
    expect(result).toMatchObject({ status: 200, body: { items: [], next_cursor: null, cursor: 'head' } });
  });
});

describe('POST /api/v2/items', () => {
  const items = Array.from({ length: 7 }, () => itemInput());

  it('answers a batch the store cannot confirm yet with 409 ingest-in-progress and a whole-second Retry-After', async () => {
    const held = items.slice(0, 5).map((item) => item.item_id);
    const { store } = storeDouble({ ingest: () => Promise.reject(new IngestNotConfirmedError(held, 1200)) });

    const failure = await handlersOn(store)
      .ingestItems(contextOf<'ingestItems'>({ body: { items } }))
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(HttpError);
    const problem = toProblem(failure, '/api/v2/items');
    expect(problem).toMatchObject({
      status: 409,
      headers: { 'Retry-After': '2' },
      body: { type: '/problems/ingest-in-progress' },
    });
    expect(problem.body.detail).toContain(`5 of 7 items (${held.slice(0, 3).join(', ')} and 2 more)`);
  });

  it('never asks for a retry in under a second', async () => {
    const { store } = storeDouble({ ingest: () => Promise.reject(new IngestNotConfirmedError(['a'], 0)) });

    const failure = await handlersOn(store)
      .ingestItems(contextOf<'ingestItems'>({ body: { items: items.slice(0, 1) } }))
      .catch((error: unknown) => error);

    expect(toProblem(failure, '/api/v2/items')).toMatchObject({ status: 409, headers: { 'Retry-After': '1' } });
    expect(toProblem(failure, '/api/v2/items').body.detail).toContain('1 of 1 items (a)');
  });

  it('passes any other store failure through unchanged, for the problem mapping to classify', async () => {
    const outage = Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    const { store } = storeDouble({ ingest: () => Promise.reject(outage) });

    const failure = await handlersOn(store)
      .ingestItems(contextOf<'ingestItems'>({ body: { items } }))
      .catch((error: unknown) => error);

    expect(failure).toBe(outage);
    expect(toProblem(failure, '/api/v2/items').status).toBe(503);
  });

  it('fails rather than answer 200 when the store reports fewer statuses than items', async () => {
    const { store } = storeDouble({ ingest: () => Promise.resolve(['created', 'created']) });

    const failure = await handlersOn(store)
      .ingestItems(contextOf<'ingestItems'>({ body: { items } }))
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    expect(toProblem(failure, '/api/v2/items')).toMatchObject({ status: 500, unexpected: true });
  });
});

describe('an operation for a user', () => {
  it.each([
    ['anonymous', { kind: 'anonymous' }],
    ['the pipeline', { kind: 'pipeline' }],
    ['a user without an id', { kind: 'user' }],
  ])('refuses to run for %s', (_name, principal) => {
    expect(() => userOf(principal)).toThrow('operation requires a user');
  });

  it('refuses to list configurations for the pipeline, before any store read', async () => {
    const { store, calls } = storeDouble({});

    await expect(
      handlersOn(store).listConfigurations(contextOf<'listConfigurations'>({ principal: { kind: 'pipeline' } })),
    ).rejects.toThrow('operation requires a user');
    expect(calls).toEqual([]);
  });
});
