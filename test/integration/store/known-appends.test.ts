/**
 * On a feed this process alone writes (an exclusive FeedActivity, the embedded store), reads and
 * view refreshes after its own ingests are answered from what the ingests acknowledged, without
 * a store call (src/store/feed-activity.ts). Checked on a real dynalite against another store on
 * the same table that always reads (the truth):
 *
 * - over random runs of ingests (new items, re-posts, conflicts, large batches), clock moves and
 *   reads of every size, each answer equals the read the truth makes at the same instant, the
 *   chain delivers every item once, in feed order, and the aggregates match;
 * - and in every case where the process cannot know, it reads the store: an ingest in flight, a
 *   feed write whose answer never came, a fold round since the last look at the fold state.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import {
  createFeedActivity,
  type FeedActivity,
  MAX_QUERIES_PER_READ,
  type Store,
  type StoreOptions,
} from '../../../src/store/index.ts';
import type { FeedCursor } from '../../../src/feed/cursor.ts';
import { FOLD_STATE_KEY } from '../../../src/store/keys.ts';
import { type ProxiedStore, startProxiedStore } from '../../support/proxied-store.ts';
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

/** A store of the process under test (through the proxy) on `activity`. */
const storeOn = (activity: FeedActivity, options: Partial<StoreOptions> = {}): Store =>
  t.storeWith({ activity, ...options });

/** The process under test: a store that ingests and one that reads (the poller's), sharing what they know. */
function exclusiveProcess(folds = false) {
  const activity = createFeedActivity({ exclusive: true });
  return { writer: storeOn(activity, { folds }), reader: storeOn(activity) };
}

const isFoldState = (call: StoreCall): boolean =>
  (call.input.Key as Record<string, { S?: string }> | undefined)?.pk?.S === FOLD_STATE_KEY.pk;

const steps = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('ingest' as const),
      fresh: fc.integer({ min: 0, max: 40 }),
      reposts: fc.integer({ min: 0, max: 3 }),
      conflicts: fc.integer({ min: 0, max: 2 }),
    }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2 * SETTLE_MS }) }),
    fc.record({ kind: fc.constant('read' as const), limit: fc.integer({ min: 1, max: 60 }) }),
  ),
  { minLength: 1, maxLength: 14 },
);

describe('answers from what this process appended', () => {
  it('equal the store read at the same instant, deliver every item once in order, and count the same', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (run) => {
        t.advance(2 * SETTLE_MS);
        const { writer, reader } = exclusiveProcess();
        let cursor: FeedCursor = await reader.headCursor();
        const stored: ItemInput[] = [];
        const created: string[] = [];
        const delivered: string[] = [];
        const read = async (limit: number) => {
          const queries = t.proxy.seen('Query');
          const known = await reader.readAfter(cursor, limit);
          const truth = await t.other.readAfter(cursor, limit);
          // The truth reads one page per shard and may stop at one; the known answer never does.
          if (!truth.full) expect(known).toEqual(truth);
          expect(known.entries.length).toBeGreaterThanOrEqual(truth.entries.length);
          delivered.push(...known.entries.map((entry) => entry.item.item_id));
          cursor = known.cursor;
          return t.proxy.seen('Query') - queries;
        };
        // The first read of a cursor chain goes to the store; every later one need not.
        expect(await read(10)).toBe(MAX_QUERIES_PER_READ);
        for (const step of run) {
          if (step.kind === 'advance') t.advance(step.ms);
          if (step.kind === 'read') expect(await read(step.limit)).toBe(0);
          if (step.kind === 'ingest') {
            // A stamp of its own per ingest, as ingests a millisecond apart have.
            t.advance(1);
            const fresh = Array.from({ length: step.fresh }, () => itemInput({ score: Math.random() }));
            const reposts = stored.slice(0, step.reposts);
            const conflicts = stored.slice(0, step.conflicts).map((item) => ({ ...item, score: -1 }));
            const statuses = await writer.ingest([...fresh, ...reposts, ...conflicts]);
            expect(statuses.filter((status) => status === 'created')).toHaveLength(fresh.length);
            stored.push(...fresh);
            created.push(...fresh.map((item) => item.item_id));
          }
        }
        for (let count = -1; count !== delivered.length;) {
          count = delivered.length;
          await read(1000);
        }
        expect([...delivered].sort()).toEqual([...created].sort());
        expect(new Set(delivered).size).toBe(delivered.length);
        expect((await reader.aggregates()).metrics).toEqual((await t.other.aggregates()).metrics);
        expect((await writer.aggregates()).metrics).toEqual((await t.other.aggregates()).metrics);
      }),
      { numRuns: 12, endOnFailure: true },
    );
  });
});

describe('a view of another store of the process', () => {
  it('counts what the process appended at once, without a read, however long it may keep an answer', async () => {
    const activity = createFeedActivity({ exclusive: true });
    const writer = storeOn(activity);
    const reader = storeOn(activity, { aggregatesMaxAgeMs: 60_000 });
    const first = await reader.readAfter(await reader.headCursor(), 10);
    expect((await reader.aggregates()).metrics.total).toBe(0);
    const calls = t.proxy.seen('Query') + t.proxy.seen('GetItem');

    await writer.ingest([itemInput(), itemInput({ sentiment: 'negative', score: -0.5 })]);
    await reader.readAfter(first.cursor, 10);
    const { metrics } = await reader.aggregates();

    expect(metrics).toMatchObject({ total: 2, positive: 1, negative: 1 });
    expect(t.proxy.seen('Query') + t.proxy.seen('GetItem')).toBe(calls);
  });
});

describe('reads the store when the process cannot know', () => {
  it('while an ingest is in flight, and not once it is over', async () => {
    const { writer, reader } = exclusiveProcess();
    const first = await reader.readAfter(await reader.headCursor(), 10);
    const { hook, held } = holdFirst((call) => call.operation === 'BatchWriteItem');
    t.proxy.hook = hook;
    const item = itemInput();
    const ingesting = writer.ingest([item]);
    const write = await held;

    let queries = t.proxy.seen('Query');
    const during = await reader.readAfter(first.cursor, 10);
    expect(t.proxy.seen('Query') - queries).toBe(MAX_QUERIES_PER_READ);
    expect(during.entries).toEqual([]);

    write.settle('forward');
    expect(await ingesting).toEqual(['created']);
    queries = t.proxy.seen('Query');
    const after = await reader.readAfter(during.cursor, 10);
    expect(after.entries.map((entry) => entry.item.item_id)).toEqual([item.item_id]);
    expect(t.proxy.seen('Query')).toBe(queries);
  });

  it('after a feed write whose answer never came: it may have been applied', async () => {
    const { writer, reader } = exclusiveProcess();
    const first = await reader.readAfter(await reader.headCursor(), 10);
    t.proxy.hook = (call) => (call.operation === 'BatchWriteItem' ? 'drop' : 'forward');
    await expect(writer.ingest([itemInput()])).rejects.toThrow();
    t.proxy.hook = () => 'forward';
    // What the lost write stands for: an entry that landed though nobody heard of it.
    const landed = itemInput();
    await t.other.ingest([landed]);

    const queries = t.proxy.seen('Query');
    const read = await reader.readAfter(first.cursor, 10);

    expect(t.proxy.seen('Query') - queries).toBe(MAX_QUERIES_PER_READ);
    expect(read.entries.map((entry) => entry.item.item_id)).toEqual([landed.item_id]);
  });

  it('for a cursor other than the one its last read returned', async () => {
    const { writer, reader } = exclusiveProcess();
    const head = await reader.headCursor();
    await writer.ingest([itemInput()]);
    expect((await reader.readAfter(head, 10)).entries).toHaveLength(1);
    await writer.ingest([itemInput()]);

    const queries = t.proxy.seen('Query');
    const replay = await reader.readAfter(head, 10);

    expect(replay.entries).toHaveLength(2);
    expect(t.proxy.seen('Query') - queries).toBe(MAX_QUERIES_PER_READ);
  });

  it('looks at the fold state again only after a fold round of this process', async () => {
    // Rounds by hand only, so that the count is the view's alone.
    const { writer, reader } = exclusiveProcess();
    let foldStateReads = 0;
    t.proxy.hook = (call) => {
      if (call.operation === 'GetItem' && isFoldState(call)) foldStateReads += 1;
      return 'forward';
    };
    await writer.ingest([itemInput(), itemInput({ sentiment: 'negative', score: -0.5 })]);
    expect((await reader.aggregates()).metrics.total).toBe(2);

    let before = foldStateReads;
    await writer.ingest([itemInput()]);
    expect((await reader.aggregates()).metrics.total).toBe(3);
    expect(foldStateReads).toBe(before);

    t.advance(2 * SETTLE_MS);
    await writer.fold({ force: true });
    before = foldStateReads;
    await writer.ingest([itemInput()]);
    const { metrics } = await reader.aggregates();

    expect(foldStateReads - before).toBe(1);
    expect(metrics).toEqual((await t.other.aggregates()).metrics);
    expect(metrics.total).toBe(4);
  });
});
