/**
 * What the store facade (src/store/store.ts) adds to the operations it binds, on a real dynalite
 * behind a store proxy that counts, holds or fails the calls of the store under test:
 *
 * - `ping` answers the round trip to the table, and null (never an error) when the table is
 *   missing or the store unreachable, which /health reports;
 * - on a feed this process alone writes (an exclusive FeedActivity, the embedded store), a repeat
 *   read or view refresh with nothing appended since sends nothing, and an ingest here is counted
 *   without a read (known-appends.test.ts has the rest); on a shared feed every read goes to the
 *   store;
 * - a store that folds starts a round by itself after an ingest, and `close` and `fold` wait for
 *   it; a round that fails is reported to `onFoldError` and the store goes on serving; on an
 *   exclusive feed no round starts while the store appended nothing since the last, and one does
 *   after its next ingest;
 * - the view keeps at most 256 history answers: the oldest scope is read again, the newest not.
 */
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFeedActivity, MAX_QUERIES_PER_READ, type Store, type StoreOptions } from '../../../src/store/index.ts';
import { FOLD_INTERVAL_MS } from '../../../src/store/fold.ts';
import { FOLD_STATE_KEY } from '../../../src/store/keys.ts';
import { dynamoError, type ProxiedStore, startProxiedStore } from '../../support/proxied-store.ts';
import { holdFirst, type StoreCall } from '../../support/store-proxy.ts';
import { itemInput } from '../../support/test-store.ts';

const SETTLE_MS = 5000;
let t: ProxiedStore;
beforeEach(async () => {
  t = await startProxiedStore({ settleMs: SETTLE_MS });
});
afterEach(async () => {
  await t.close();
});

/** Another store of the process under test, through the proxy, with `options`. */
const storeWith = (options: Partial<StoreOptions>): Store => t.storeWith(options);

const OPERATIONS = ['Query', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'DescribeTable'];
/** Every call the store under test has sent so far. */
const storeCalls = (): number => OPERATIONS.reduce((sum, operation) => sum + t.proxy.seen(operation), 0);

const isFoldState = (call: StoreCall): boolean =>
  (call.input.Key as Record<string, { S?: string }> | undefined)?.pk?.S === FOLD_STATE_KEY.pk;

describe('ping', () => {
  it('answers the round trip to the table in milliseconds', async () => {
    const latency = await t.store.ping();

    expect(latency).toEqual(expect.any(Number));
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(t.proxy.seen('DescribeTable')).toBe(1);
  });

  it('answers null when the table is missing', async () => {
    await t.direct.client.send(new DeleteTableCommand({ TableName: t.tableName }));

    expect(await t.store.ping()).toBeNull();
  });

  it('answers null when the store cannot be reached', async () => {
    t.proxy.hook = () => 'drop';

    expect(await t.store.ping()).toBeNull();
    // The SDK tried, as it does for any call.
    expect(t.proxy.seen('DescribeTable')).toBeGreaterThan(1);
  });
});

describe('repeat reads and refreshes with nothing appended since', () => {
  const cases: [string, boolean][] = [
    ['exclusive: sends nothing for a repeat read with nothing appended since', true],
    ['shared: reads the store again, since another process may have written', false],
  ];

  it.each(cases)('%s', async (_name, exclusive) => {
    const store = storeWith({ activity: createFeedActivity({ exclusive }) });
    const cursor = await store.headCursor();
    const first = await store.readAfter(cursor, 10);
    const before = storeCalls();

    const again = await store.readAfter(first.cursor, 10);

    expect(again).toMatchObject({ entries: [], cursor: first.cursor, full: false });
    // A read is one Query per shard.
    expect(storeCalls() - before).toBe(exclusive ? 0 : MAX_QUERIES_PER_READ);
  });

  it('reads again after an ingest through any store of the process, and finds it', async () => {
    const activity = createFeedActivity({ exclusive: true });
    const reader = storeWith({ activity });
    const writer = storeWith({ activity });
    const first = await reader.readAfter(await reader.headCursor(), 10);
    const item = itemInput();

    await writer.ingest([item]);
    const read = await reader.readAfter(first.cursor, 10);

    expect(read.entries.map((entry) => entry.item.item_id)).toEqual([item.item_id]);
  });

  it.each([
    ['exclusive: counts an ingest of its own without a store call', true],
    ['shared: reads the store again after an ingest', false],
  ] as const)(
    'refreshes the aggregates without a store call while nothing was appended; %s',
    async (_name, exclusive) => {
      const store = storeWith({ activity: createFeedActivity({ exclusive }) });
      await store.ingest([itemInput(), itemInput()]);
      expect((await store.aggregates()).metrics.total).toBe(2);
      const before = storeCalls();

      expect((await store.aggregates()).metrics.total).toBe(2);
      expect(storeCalls()).toBe(exclusive ? before : before + 1 + MAX_QUERIES_PER_READ);

      await store.ingest([itemInput()]);
      const afterIngest = storeCalls();
      expect((await store.aggregates()).metrics.total).toBe(3);
      expect(storeCalls() - afterIngest).toBe(exclusive ? 0 : 1 + MAX_QUERIES_PER_READ);
    },
  );
});

describe('a store that folds by itself', () => {
  it('starts a round after an ingest; fold and close wait for it', async () => {
    const { hook, held } = holdFirst((call) => call.operation === 'UpdateItem' && isFoldState(call));
    t.proxy.hook = hook;
    const store = storeWith({ folds: true });
    expect((await store.foldState()).w).toBeUndefined();

    expect(await store.ingest([itemInput()])).toEqual(['created']);
    // The round the ingest started is about to move the fold watermark.
    const round = await held;
    let closed = false;
    const folding = store.fold();
    const closing = store.close().then(() => {
      closed = true;
    });
    await new Promise(setImmediate);
    expect(closed).toBe(false);
    round.settle('forward');

    await closing;
    // Nothing had settled: the round moved the watermark over an empty stretch, to the settled edge.
    expect(await store.foldState()).toEqual({ w: t.now() - SETTLE_MS, round: undefined });
    expect(await folding).toEqual({ outcome: 'idle', w: t.now() - SETTLE_MS });
  });

  it('reports a round that fails to onFoldError, and goes on serving', async () => {
    t.proxy.hook = (call) =>
      call.operation === 'GetItem' && isFoldState(call)
        ? dynamoError('InternalServerError', 'stand-in store fault', 500)
        : 'forward';
    const failed = Promise.withResolvers<unknown>();
    const store = storeWith({ folds: true, onFoldError: failed.resolve });

    expect(await store.ingest([itemInput()])).toEqual(['created']);

    await expect(failed.promise).resolves.toMatchObject({ name: 'InternalServerError' });
    t.proxy.hook = () => 'forward';
    expect(await store.ingest([itemInput()])).toEqual(['created']);
    expect((await store.aggregates()).metrics.total).toBe(2);
  });

  it.each([
    ['an exclusive feed starts none', true],
    ['a shared feed starts one', false],
  ] as const)('due, with nothing appended since the last round: %s', async (_what, exclusive) => {
    const store = storeWith({ folds: true, activity: createFeedActivity({ exclusive }) });
    // A round by hand, so the store knows where the fold stands; then the next falls due.
    const { w } = await store.fold({ force: true });
    t.advance(FOLD_INTERVAL_MS + SETTLE_MS);
    const before = storeCalls();

    store.maybeFold();
    // Resolves once the round started, if any, is over.
    await store.close();

    expect((await t.other.foldState()).w).toBe(exclusive ? w : t.now() - SETTLE_MS);
    expect(storeCalls() > before).toBe(!exclusive);
  });

  it('on an exclusive feed, starts one after its next ingest', async () => {
    const store = storeWith({ folds: true, activity: createFeedActivity({ exclusive: true }) });
    const { w } = await store.fold({ force: true });
    t.advance(FOLD_INTERVAL_MS + SETTLE_MS);

    await store.ingest([itemInput()]);
    await store.close();

    expect((await t.other.foldState()).w).toBe(t.now() - SETTLE_MS);
    expect(w).toBeLessThan(t.now() - SETTLE_MS);
  });
});

describe('the history answers a view keeps', () => {
  it('are at most 256: the oldest scope is read again, the newest is served from memory', async () => {
    const store = storeWith({ aggregatesMaxAgeMs: 60_000 });
    // H000 … H256: one answer (and one scope's rows) more than the view keeps.
    for (let i = 0; i <= 256; i++) await store.history('5m', `H${i.toString().padStart(3, '0')}`);

    const queriesBefore = t.proxy.seen('Query');
    await store.history('5m', 'H256');
    expect(t.proxy.seen('Query')).toBe(queriesBefore);

    await store.history('5m', 'H000');
    expect(t.proxy.seen('Query')).toBeGreaterThan(queriesBefore);
  });
});
