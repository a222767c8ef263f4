/**
 * The log and its views under any interleaving of writers, folders and crashes (fast-check, real
 * dynalite): rounds of concurrent writers post overlapping batches (some with conflicting
 * content: another sentiment and a `timestamp` in the next 5-minute slot) while concurrent
 * folders run fold rounds, any of them crashing after k store calls, and time moves on between
 * rounds. Invariants:
 * - a writer that answers (a 2xx) has every item of its batch in the feed exactly once, its
 *   status telling whether the stored version is the posted one;
 * - between rounds, what readers see (folded rows plus the feed's tail) counts every stored item
 *   once, per ticker and sentiment, whatever rounds were claimed, half applied or finished;
 * - after retrying every batch until it answers and folding until nothing is left, every posted
 *   item is listed once and counted exactly once, with the version that won, in the metrics
 *   rows and in the history rows of its slot (and no other).
 *
 * Counting per item is observable in the rows because each item of a ticker has its own
 * power-of-two score: a ticker's score sum is then the set of items counted, and its total
 * equals the size of that set exactly when nothing was counted twice.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Item, ItemInput } from '../../../src/contract/index.ts';
import { IngestNotConfirmedError } from '../../../src/store/ingest.ts';
import { createStore, type Store } from '../../../src/store/index.ts';
import { FOLD_TAKEOVER_MS } from '../../../src/store/fold.ts';
import { historyRowKey, HOUR_MS, metricsRowKey } from '../../../src/store/keys.ts';
import { feedRows } from '../../support/feed-rows.ts';
import { createHaltingClients, type HaltingClients, WriterCrashed } from '../../support/halting-client.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const TICKERS = 2;
const PER_TICKER = 3;
const POOL = TICKERS * PER_TICKER;
const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;
const SETTLE_MS = 5000;
/** A dead writer's items may be taken over 1.5 settle windows after their stamp. */
const WRITE_TAKEOVER_MS = 1.5 * SETTLE_MS;

let t: TestStore;
let runNumber = 0;
beforeAll(async () => {
  t = await startTestStore({ settleMs: SETTLE_MS });
});
afterAll(async () => {
  await t.close();
});

interface Post {
  /** Pool index. */
  readonly item: number;
  /** A differing copy (another sentiment): a conflicting re-post of the same id. */
  readonly variant: boolean;
}

interface Writer {
  readonly posts: readonly Post[];
  /** Store calls it makes before it crashes; none: it runs to its end. */
  readonly crashAfter: number | null;
}

interface Round {
  readonly writers: readonly Writer[];
  /** Fold rounds run alongside the writers, each crashing after that many store calls (or not). */
  readonly folders: readonly (number | null)[];
  /** How far the clock moves after the round (all writers and folders settled). */
  readonly advance: number;
}

const writerArb: fc.Arbitrary<Writer> = fc.record({
  posts: fc.array(fc.record({ item: fc.nat(POOL - 1), variant: fc.boolean() }), { minLength: 1, maxLength: 5 }),
  crashAfter: fc.option(fc.nat(8), { freq: 2 }),
});
const roundArb: fc.Arbitrary<Round> = fc.record({
  writers: fc.array(writerArb, { minLength: 1, maxLength: 3 }),
  folders: fc.array(fc.option(fc.nat(30), { freq: 2 }), { maxLength: 2 }),
  advance: fc.constantFrom(0, 3000, SETTLE_MS + 1, WRITE_TAKEOVER_MS + 1, FOLD_TAKEOVER_MS + 1),
});

const SLOT_MS = 5 * 60_000;
/** The history slots a run's items (and their variants) can fall in: 10 and 5 minutes before its hour, and the hour. */
const slotsOf = (hourMs: number): number[] => [hourMs - 2 * SLOT_MS, hourMs - SLOT_MS, hourMs];

/**
 * One run's pool: its own tickers and hour, so runs never share a row. Published 10 or 5 minutes
 * before the hour (alternating), so the items fall in two history slots (and two history rows).
 */
function poolFor(run: number, hourMs: number): ItemInput[] {
  return Array.from({ length: POOL }, (_, i) => {
    const slot = i % PER_TICKER;
    return {
      item_id: `state-${run}-${i}`,
      ticker: `S${run}T${Math.floor(i / PER_TICKER)}`,
      sentiment: SENTIMENTS[(i + run) % 3] as (typeof SENTIMENTS)[number],
      // 1/2, 1/4, 1/8: the item's own bit in its ticker's score sum.
      score: 2 ** -(slot + 1),
      timestamp: new Date(hourMs - (2 - (i % 2)) * SLOT_MS + 1000).toISOString(),
    };
  });
}

const bitOf = (index: number): number => 1 << (PER_TICKER - 1 - (index % PER_TICKER));
const popcount = (mask: number): number => mask.toString(2).replaceAll('0', '').length;

function materialize(pool: readonly ItemInput[], post: Post): ItemInput {
  const item = pool[post.item] as ItemInput;
  if (!post.variant) return item;
  const other = SENTIMENTS[(SENTIMENTS.indexOf(item.sentiment) + 1) % 3] as (typeof SENTIMENTS)[number];
  // Another sentiment and the next history slot: counting the losing version shows in both.
  return { ...item, sentiment: other, timestamp: new Date(Date.parse(item.timestamp) + SLOT_MS).toISOString() };
}

function storeOn(clients: HaltingClients): Store {
  return createStore({ ...clients, tableName: t.tableName, retentionDays: 7, settleMs: SETTLE_MS, now: () => t.now() });
}

/** Every feed entry of the run's items, as stored (base table, what cursors read). */
async function feedOf(run: number): Promise<Item[]> {
  const rows = await feedRows(t.clients.documents, t.tableName);
  return rows.map((row) => row.item).filter((item) => item.item_id.startsWith(`state-${run}-`));
}

/** After a 2xx: every item of the batch is in the feed once, and each status tells its version. */
async function expectConfirmed(run: number, batch: readonly ItemInput[], statuses: readonly string[]): Promise<void> {
  const feed = await feedOf(run);
  for (const [position, item] of batch.entries()) {
    const entries = feed.filter((f) => f.item_id === item.item_id);
    expect(entries, `${item.item_id} in the feed once`).toHaveLength(1);
    const sameVersion = entries[0]?.sentiment === item.sentiment;
    expect(statuses[position], `status of ${item.item_id}`).toMatch(
      sameVersion ? /^(created|duplicate)$/ : /^conflict$/,
    );
  }
}

/** What readers see counts every stored item once, per ticker and sentiment. */
async function expectViewCountsFeed(run: number): Promise<void> {
  const feed = await feedOf(run);
  const tickers = new Set(Array.from({ length: TICKERS }, (_, i) => `S${run}T${i}`));
  const { tickers: aggregates } = await t.store.aggregates(tickers);
  for (const ticker of tickers) {
    const stored = feed.filter((item) => item.ticker === ticker);
    const seen = aggregates.find((aggregate) => aggregate.ticker === ticker);
    expect(seen?.total ?? 0, `${ticker} total`).toBe(stored.length);
    for (const sentiment of SENTIMENTS) {
      expect(seen?.[sentiment] ?? 0, `${ticker} ${sentiment}`).toBe(
        stored.filter((i) => i.sentiment === sentiment).length,
      );
    }
  }
}

/** Ingests `batch` with `store`: the statuses, or why there are none. */
async function attempt(store: Store, batch: readonly ItemInput[]) {
  try {
    return { kind: 'answered' as const, statuses: await store.ingest(batch) };
  } catch (error) {
    if (error instanceof WriterCrashed) return { kind: 'crashed' as const };
    if (error instanceof IngestNotConfirmedError) return { kind: 'retry' as const, after: error.retryAfterMs };
    throw error;
  }
}

/** A fold round on its own clients, crashing after `crashAfter` store calls (or not). */
async function folder(crashAfter: number | null): Promise<void> {
  const clients = createHaltingClients(t.dynalite.endpoint, crashAfter ?? Number.POSITIVE_INFINITY);
  try {
    await storeOn(clients).fold({ force: true });
  } catch (error) {
    if (!(error instanceof WriterCrashed)) throw error;
  }
  // Requests in flight at a crash land before anyone looks.
  await clients.settled();
  clients.destroy();
}

async function writer(run: number, pool: readonly ItemInput[], spec: Writer, posted: ItemInput[][]): Promise<void> {
  const batch = spec.posts.map((post) => materialize(pool, post));
  posted.push(batch);
  const clients = createHaltingClients(t.dynalite.endpoint, spec.crashAfter ?? Number.POSITIVE_INFINITY);
  const outcome = await attempt(storeOn(clients), batch);
  await clients.settled();
  clients.destroy();
  if (outcome.kind === 'answered') await expectConfirmed(run, batch, outcome.statuses);
}

/** Retries every batch with a writer that does not crash, until it answers. */
async function retryAll(run: number, posted: readonly ItemInput[][]): Promise<void> {
  const retrier = createHaltingClients(t.dynalite.endpoint);
  const store = storeOn(retrier);
  t.advance(WRITE_TAKEOVER_MS + 1);
  for (const batch of posted) {
    for (let tries = 0; ; tries++) {
      expect(tries, 'a batch never answered').toBeLessThan(5);
      const outcome = await attempt(store, batch);
      if (outcome.kind === 'answered') {
        await expectConfirmed(run, batch, outcome.statuses);
        break;
      }
      t.advance((outcome.kind === 'retry' ? outcome.after : 0) + 1);
    }
  }
  retrier.destroy();
}

/** Folds until the rows have absorbed everything (finishing crashed rounds once overdue). */
async function foldEverything(): Promise<void> {
  t.advance(Math.max(SETTLE_MS, FOLD_TAKEOVER_MS) + 1);
  for (let rounds = 0; ; rounds++) {
    expect(rounds, 'the fold never caught up').toBeLessThan(10);
    const { outcome } = await t.store.fold({ force: true });
    if (outcome === 'idle') return;
    if (outcome === 'busy') t.advance(FOLD_TAKEOVER_MS + 1);
  }
}

async function row(key: { pk: string; sk: string }): Promise<Record<string, unknown>> {
  const { Item = {} } = await t.clients.documents.send(
    new GetCommand({ TableName: t.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

/** Counts as stored in a row: the set of a ticker's items they count (by score bits), and their total. */
const asCounted = (counts: unknown) => {
  const [total = 0, positive = 0, neutral = 0, negative = 0, scoreSum = 0] = (counts as number[] | undefined) ?? [];
  return { total, bySentiment: { positive, neutral, negative }, mask: Math.round(scoreSum * 2 ** PER_TICKER) };
};

/** The metrics and history rows count exactly the stored items, each once, in its slot. */
async function expectRowsCountFeed(run: number, pool: readonly ItemInput[], hourMs: number, ids: Set<string>) {
  const feed = await feedOf(run);
  expect(feed.map((item) => item.item_id).sort()).toEqual([...ids].sort());
  // Every item arrived in the run's hour (the clock never leaves it).
  const metrics = await row(metricsRowKey(hourMs));
  expect(asCounted(metrics.all).total).toBe(ids.size);
  const bitsOf = (items: readonly Item[]) =>
    items.map((item) => bitOf(pool.findIndex((p) => p.item_id === item.item_id))).reduce((a, b) => a | b, 0);
  for (let ticker = 0; ticker < TICKERS; ticker++) {
    const name = `S${run}T${ticker}`;
    const stored = feed.filter((item) => item.ticker === name);
    const counted = asCounted((metrics.tickers as Record<string, unknown> | undefined)?.[name]);
    expect(counted.mask, `${name} metrics`).toBe(bitsOf(stored));
    expect(counted.total, `${name} counted nothing twice`).toBe(popcount(counted.mask));
    expect(counted.total).toBe(stored.length);
    for (const sentiment of SENTIMENTS) {
      expect(counted.bySentiment[sentiment]).toBe(stored.filter((i) => i.sentiment === sentiment).length);
    }
    for (const slotMs of slotsOf(hourMs)) {
      const inSlot = stored.filter((item) => Math.floor(Date.parse(item.timestamp) / SLOT_MS) * SLOT_MS === slotMs);
      const history = await row(historyRowKey(Math.floor(slotMs / HOUR_MS) * HOUR_MS, { ticker: name }));
      const minute = new Date(slotMs).toISOString().slice(14, 16);
      const inRow = asCounted((history.slots as Record<string, unknown> | undefined)?.[minute]);
      expect(inRow.mask, `${name} history slot ${minute}`).toBe(bitsOf(inSlot));
      expect(inRow.total).toBe(inSlot.length);
    }
  }
}

async function runScenario(rounds: readonly Round[]): Promise<void> {
  runNumber += 1;
  const run = runNumber;
  // A fresh hour per run (plus a minute), far enough from its end for every advance.
  const hourMs = Date.parse('2026-11-21T10:00:00.000Z') + run * HOUR_MS;
  const pool = poolFor(run, hourMs);
  t.setTime(hourMs + 60_000);
  const posted: ItemInput[][] = [];

  for (const round of rounds) {
    await Promise.all([
      ...round.writers.map((spec) => writer(run, pool, spec, posted)),
      ...round.folders.map((crashAfter) => folder(crashAfter)),
    ]);
    await expectViewCountsFeed(run);
    t.advance(round.advance);
  }
  await retryAll(run, posted);
  await expectViewCountsFeed(run);
  await foldEverything();
  await expectViewCountsFeed(run);
  await expectRowsCountFeed(run, pool, hourMs, new Set(posted.flat().map((item) => item.item_id)));
}

it('lists and counts every item exactly once, and answers only when it has stored it', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(roundArb, { minLength: 1, maxLength: 3 }), (rounds) => runScenario(rounds)),
    { numRuns: 40 },
  );
}, 180_000);
