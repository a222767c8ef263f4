/**
 * The aggregate view (src/store/view.ts) on real dynalite with a controlled clock: it takes in
 * what the stream poller's reads saw instead of reading the same rows again, only when those
 * reads started at or below its own watermark; and a read after an ingest through the same store
 * always counts that ingest, even when a refresh was already on its way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import { createStore, type Store } from '../../../src/store/index.ts';
import { countQueries, type QueryCounter } from '../../support/query-counter.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;
let store: Store;
let queries: QueryCounter;
beforeEach(async () => {
  t = await startTestStore({ settleMs: 5000 });
  queries = countQueries(t.clients.client, 1000);
  // A view that may be half a second old, like the poller's.
  store = createStore({
    ...t.clients,
    tableName: t.tableName,
    retentionDays: 7,
    settleMs: 5000,
    aggregatesMaxAgeMs: 500,
    now: () => t.now(),
  });
});
afterEach(async () => {
  await t.close();
});

const batch = (count: number): ItemInput[] => Array.from({ length: count }, () => itemInput({ ticker: 'VW' }));

describe('a view fed by the poller’s reads', () => {
  it('counts what the reads saw without a feed query of its own', async () => {
    const cursor = await store.headCursor();
    await store.aggregates();
    await t.store.ingest(batch(3));
    t.advance(10);

    const read = await store.readAfter(cursor, 500);
    // The view's age runs out: the next answer refreshes it.
    await sleep(600);
    queries.reset();
    const { metrics } = await store.aggregates();

    expect(read.entries).toHaveLength(3);
    expect(metrics.total).toBe(3);
    // The fold's state is a GetItem: no Query at all.
    expect(queries.count).toBe(0);
  });

  it('reads the feed itself when a read started above its watermark', async () => {
    await store.aggregates();
    await t.store.ingest(batch(2));
    t.advance(10_000);
    // A cursor far ahead of the view's watermark: its read cannot vouch for what lies below it.
    const ahead = await store.headCursor();
    await t.store.ingest(batch(1));
    await store.readAfter(ahead, 500);
    await sleep(600);
    queries.reset();

    const { metrics } = await store.aggregates();

    expect(metrics.total).toBe(3);
    expect(queries.count).toBeGreaterThan(0);
  });
});

describe('a read after an ingest through the same store', () => {
  it('counts it, even when a refresh was already on its way', async () => {
    await store.aggregates();
    t.advance(600);
    // A refresh starts (its age ran out), and the ingest lands while it reads.
    const inFlight = store.aggregates();
    await store.ingest(batch(2));
    const during = await inFlight;
    const after = await store.aggregates();

    expect(during.metrics.total).toBeLessThanOrEqual(2);
    expect(after.metrics.total).toBe(2);
  });
});
