/**
 * The fold (src/store/fold.ts) on real dynalite with a controlled clock: a round that dies at any
 * of its store calls leaves readers exact and is finished, once, by whoever comes after its
 * takeover time; folders racing each other apply a round once; a late writer of a finished round
 * changes nothing; a backlog is folded in bounded rounds that never split a stamp; nothing older
 * than every window is folded; an empty stretch moves the watermark with one write; a row names
 * at most MAX_ROW_TICKERS tickers and still counts every item.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemInput } from '../../../src/contract/index.ts';
import { MAX_ROW_TICKERS } from '../../../src/store/aggregate-rows.ts';
import { FOLD_HORIZON_MS, FOLD_TAKEOVER_MS, MAX_FOLD_ITEMS } from '../../../src/store/fold.ts';
import { createStore, type Store } from '../../../src/store/index.ts';
import { hourStart, metricsRowKey } from '../../../src/store/keys.ts';
import { createWriteMeter } from '../../../src/store/write-meter.ts';
import { createHaltingClients, type HaltingClients, WriterCrashed } from '../../support/halting-client.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const SETTLE_MS = 5000;
let t: TestStore;
beforeEach(async () => {
  t = await startTestStore({ settleMs: SETTLE_MS });
});
afterEach(async () => {
  await t.close();
});

let sequence = 0;
function itemsOf(count: number, tickers = 3): ItemInput[] {
  return Array.from({ length: count }, (_, i) => {
    sequence += 1;
    return {
      item_id: `fold-${sequence}`,
      ticker: `F${String(i % tickers).padStart(4, '0')}`,
      sentiment: (['positive', 'neutral', 'negative'] as const)[i % 3] ?? 'neutral',
      score: 0.5,
      timestamp: new Date(t.now()).toISOString(),
    };
  });
}

const storeOn = (clients: HaltingClients): Store =>
  createStore({ ...clients, tableName: t.tableName, retentionDays: 7, settleMs: SETTLE_MS, now: () => t.now() });

/** A fold on clients that stop after `haltAfter` store calls; whether it got that far. */
async function crashedFold(haltAfter: number): Promise<boolean> {
  const clients = createHaltingClients(t.dynalite.endpoint, haltAfter);
  try {
    await storeOn(clients).fold({ force: true });
    return false;
  } catch (error) {
    if (!(error instanceof WriterCrashed)) throw error;
    return true;
  } finally {
    await clients.settled();
    clients.destroy();
  }
}

async function metricsRow(hourMs: number): Promise<Record<string, unknown> | undefined> {
  const { Item } = await t.clients.documents.send(
    new GetCommand({ TableName: t.tableName, Key: metricsRowKey(hourMs), ConsistentRead: true }),
  );
  return Item;
}

const totalOf = (row: Record<string, unknown> | undefined): number => (row?.all as number[] | undefined)?.[0] ?? 0;

describe('a fold round that dies at a store call', () => {
  it('leaves readers exact at every point, and is finished once after its takeover time', async () => {
    // Two hours of items over three tickers: a round writes two metrics rows and eight history rows.
    await t.store.ingest(itemsOf(6));
    t.advance(3_600_000);
    await t.store.ingest(itemsOf(9));
    t.advance(SETTLE_MS + 1);
    const expected = (await t.store.aggregates()).metrics;
    expect(expected.total).toBe(15);

    let crashes = 0;
    for (let haltAfter = 1; await crashedFold(haltAfter); haltAfter++) {
      crashes += 1;
      expect({ ...(await t.store.aggregates()).metrics, as_of: expected.as_of }).toEqual(expected);
      // Before its takeover time nobody else touches the round; after it, the next fold finishes it.
      const state = await t.store.foldState();
      if (state.round !== undefined) expect((await t.store.fold({ force: true })).outcome).toBe('busy');
      t.advance(FOLD_TAKEOVER_MS + 1);
      await t.store.fold({ force: true });
      expect({ ...(await t.store.aggregates()).metrics, as_of: expected.as_of }).toEqual(expected);
      expect((await t.store.foldState()).round).toBeUndefined();
      // Start the next trial from scratch: the same items, another round.
      await t.close();
      t = await startTestStore({ settleMs: SETTLE_MS });
      await t.store.ingest(itemsOf(6));
      t.advance(3_600_000);
      await t.store.ingest(itemsOf(9));
      t.advance(SETTLE_MS + 1);
    }
    // FOLD read, range read (16), claim, 10 rows × (get, put), complete: every one was a crash point.
    expect(crashes).toBeGreaterThanOrEqual(1 + 16 + 1 + 20);
  }, 120_000);
});

describe('folders at the same moment', () => {
  it('apply a round once however many race for it', async () => {
    await t.store.ingest(itemsOf(12));
    t.advance(SETTLE_MS + 1);
    const folders = Array.from({ length: 4 }, () =>
      createStore({ ...t.clients, tableName: t.tableName, retentionDays: 7, settleMs: SETTLE_MS, now: () => t.now() }),
    );

    const outcomes = await Promise.all(folders.map((store) => store.fold({ force: true })));

    expect(outcomes.filter(({ outcome }) => outcome === 'folded').length).toBeGreaterThanOrEqual(1);
    expect(totalOf(await metricsRow(hourStart(t.now())))).toBe(12);
    expect((await t.store.aggregates()).metrics.total).toBe(12);
  });

  it('refuses the late writes of a claimer that stalled past its takeover', async () => {
    await t.store.ingest(itemsOf(3));
    t.advance(SETTLE_MS + 1);
    // The stalled claimer: its clients hold every row put until released.
    const stalled = createHaltingClients(t.dynalite.endpoint);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    stalled.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') await held;
        return next(args);
      },
      { step: 'initialize', name: 'stall', priority: 'high' },
    );
    const zombie = storeOn(stalled).fold({ force: true });
    await expect.poll(async () => (await t.store.foldState()).round).toBeDefined();

    t.advance(FOLD_TAKEOVER_MS + 1);
    expect((await t.store.fold({ force: true })).outcome).toBe('folded');
    release();
    await zombie.catch(() => undefined);
    await stalled.settled();
    stalled.destroy();

    expect(totalOf(await metricsRow(hourStart(t.now())))).toBe(3);
    expect((await t.store.aggregates()).metrics.total).toBe(3);
  });
});

describe('what a round takes', () => {
  it('folds a backlog in rounds of at most MAX_FOLD_ITEMS, never splitting a stamp', async () => {
    // Forty 25-item batches a millisecond apart, then far more than one round's worth of time.
    const count = MAX_FOLD_ITEMS + 1000;
    for (let i = 0; i < count; i += 25) {
      await t.store.ingest(itemsOf(25));
      t.advance(1);
    }
    t.advance(SETTLE_MS + 1);

    const first = await t.store.fold({ force: true });
    const afterFirst = totalOf(await metricsRow(hourStart(t.now())));
    const second = await t.store.fold({ force: true });

    expect(first.outcome).toBe('folded');
    expect(afterFirst).toBeLessThanOrEqual(MAX_FOLD_ITEMS);
    expect(afterFirst % 25).toBe(0);
    expect(second.outcome).toBe('folded');
    expect(totalOf(await metricsRow(hourStart(t.now())))).toBe(count);
    expect((await t.store.aggregates()).metrics.total).toBe(count);
  }, 60_000);

  it('skips what lies before every window, and moves over an empty stretch with one write', async () => {
    await t.store.ingest(itemsOf(2));
    t.advance(FOLD_HORIZON_MS + 60_000);
    const meter = createWriteMeter();
    meter.attach(t.clients.client);

    const folded = await t.store.fold({ force: true });

    expect(folded.outcome).toBe('folded');
    expect(meter.requests).toBe(1);
    expect(folded.w).toBe(t.now() - SETTLE_MS);
    expect(totalOf(await metricsRow(hourStart(t.now())))).toBe(0);
  });

  it('names at most MAX_ROW_TICKERS tickers per row and counts every item in the totals', async () => {
    const tickers = MAX_ROW_TICKERS + 5;
    const items = itemsOf(tickers, tickers);
    for (let i = 0; i < items.length; i += 25) await t.store.ingest(items.slice(i, i + 25));
    t.advance(SETTLE_MS + 1);
    await t.store.fold({ force: true });

    const row = await metricsRow(hourStart(t.now()));
    expect(Object.keys(row?.tickers as object)).toHaveLength(MAX_ROW_TICKERS);
    expect((row?.other as number[])[0]).toBe(5);
    expect(totalOf(row)).toBe(tickers);
    expect((await t.store.aggregates()).metrics.total).toBe(tickers);
  }, 60_000);
});
