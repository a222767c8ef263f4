/**
 * The ingest state machine under any interleaving of writers and crashes (fast-check, real
 * dynalite): rounds of concurrent writers post overlapping batches (some with conflicting
 * content: another sentiment and a `timestamp` in the next 5-minute slot), some crash after k
 * store calls, and time moves on between rounds. Invariants:
 * - a writer that answers (a 2xx) has every item of its batch stored and counted, in its arrival
 *   hour and in the history slot of the stored version's `timestamp` (and no other), and no
 *   counter ever counts an item twice, at that moment, while others are still writing;
 * - after retrying every batch until it answers, every posted item is listed once and counted
 *   exactly once, with the version that won, in the hourly and in the history counters.
 *
 * Counting per item is observable because each item of a ticker has its own power-of-two score:
 * a ticker counter's `score_sum` is then the set of items it counted, and `total` equals the size
 * of that set exactly when nothing was counted twice.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Item, ItemInput } from '../../../src/contract/index.ts';
import { IngestNotConfirmedError, LEASE_MS } from '../../../src/store/ingest.ts';
import { createStore, type Store } from '../../../src/store/index.ts';
import { counterKey, feedPartition, historyKey, HOUR_MS } from '../../../src/store/keys.ts';
import { createHaltingClients, type HaltingClients, WriterCrashed } from '../../support/halting-client.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

const TICKERS = 2;
const PER_TICKER = 3;
const POOL = TICKERS * PER_TICKER;
const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;

let t: TestStore;
let runNumber = 0;
beforeAll(async () => {
  t = await startTestStore();
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
  /** How far the clock moves after the round (all writers settled). */
  readonly advance: number;
}

const writerArb: fc.Arbitrary<Writer> = fc.record({
  posts: fc.array(fc.record({ item: fc.nat(POOL - 1), variant: fc.boolean() }), { minLength: 1, maxLength: 5 }),
  crashAfter: fc.option(fc.nat(16), { freq: 2 }),
});
const roundArb: fc.Arbitrary<Round> = fc.record({
  writers: fc.array(writerArb, { minLength: 1, maxLength: 3 }),
  advance: fc.constantFrom(0, LEASE_MS / 2, LEASE_MS + 1),
});

const SLOT_MS = 5 * 60_000;
/** The history slots a run's items (and their variants) can fall in: 10 and 5 minutes before its hour, and the hour. */
const slotsOf = (hourMs: number): number[] => [hourMs - 2 * SLOT_MS, hourMs - SLOT_MS, hourMs];

/**
 * One run's pool: its own tickers and hour, so runs never share a counter. Published 10 or 5
 * minutes before the hour (alternating), so the items fall in two history slots.
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

function writerStore(clients: HaltingClients): Store {
  return createStore({ ...clients, tableName: t.tableName, retentionDays: 7, settleMs: 5000, now: () => t.now() });
}

/**
 * A ticker counter of the run's hour (or, with `slotMs`, the ticker's history counter of that
 * slot): the set of items it counted, and whether any twice.
 */
async function counted(
  hourMs: number,
  ticker: string,
  slotMs?: number,
): Promise<{ mask: number; total: number; row: Record<string, unknown> }> {
  const key = slotMs === undefined ? counterKey(hourMs, { ticker }) : historyKey(slotMs, { ticker });
  const { Item: row = {} } = await t.clients.documents.send(
    new GetCommand({ TableName: t.tableName, Key: key, ConsistentRead: true }),
  );
  const scoreSum = typeof row.score_sum === 'number' ? row.score_sum : 0;
  return { mask: Math.round(scoreSum * 2 ** PER_TICKER), total: typeof row.total === 'number' ? row.total : 0, row };
}

/** The feed entries of the run's hour, as stored (base table, what cursors read). */
async function feedOf(hourMs: number): Promise<Item[]> {
  const { Items = [] } = await t.clients.documents.send(
    new QueryCommand({
      TableName: t.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': feedPartition(hourMs) },
      ConsistentRead: true,
    }),
  );
  return Items.map((row) => row.item as Item);
}

/**
 * After a 2xx: every item of the batch is in the feed and counted, nothing is counted twice, and
 * each status says whether the stored version is the posted one.
 */
async function expectConfirmed(
  pool: readonly ItemInput[],
  hourMs: number,
  batch: readonly ItemInput[],
  statuses: readonly string[],
): Promise<void> {
  const feed = await feedOf(hourMs);
  for (const [position, item] of batch.entries()) {
    const index = pool.findIndex((p) => p.item_id === item.item_id);
    const entries = feed.filter((f) => f.item_id === item.item_id);
    expect(entries, `${item.item_id} in the feed once`).toHaveLength(1);
    const sameVersion = entries[0]?.sentiment === item.sentiment;
    expect(statuses[position], `status of ${item.item_id}`).toMatch(
      sameVersion ? /^(created|duplicate)$/ : /^conflict$/,
    );
    const { mask, total } = await counted(hourMs, item.ticker);
    expect(mask & bitOf(index), `${item.item_id} counted`).not.toBe(0);
    expect(total, `${item.ticker} counted nothing twice`).toBe(popcount(mask));
    // In history: in the slot of the stored version's timestamp, and in no other.
    const storedSlot = Math.floor(Date.parse(entries[0]?.timestamp ?? '') / SLOT_MS) * SLOT_MS;
    for (const slotMs of slotsOf(hourMs)) {
      const history = await counted(hourMs, item.ticker, slotMs);
      expect(history.mask & bitOf(index), `${item.item_id} in history slot ${slotMs}`).toBe(
        slotMs === storedSlot ? bitOf(index) : 0,
      );
      expect(history.total, `${item.ticker} history counted nothing twice`).toBe(popcount(history.mask));
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

async function runScenario(rounds: readonly Round[]): Promise<void> {
  runNumber += 1;
  // A fresh hour per run (plus a minute), far enough from its end for every advance.
  const hourMs = Date.parse('2026-11-21T00:00:00.000Z') + runNumber * HOUR_MS;
  const pool = poolFor(runNumber, hourMs);
  t.setTime(hourMs + 60_000);
  const posted: ItemInput[][] = [];

  for (const round of rounds) {
    await Promise.all(
      round.writers.map(async (writer) => {
        const batch = writer.posts.map((post) => materialize(pool, post));
        posted.push(batch);
        const clients = createHaltingClients(t.dynalite.endpoint, writer.crashAfter ?? Number.POSITIVE_INFINITY);
        const outcome = await attempt(writerStore(clients), batch);
        // Requests in flight at a crash land before anyone's lease can run out.
        await clients.settled();
        clients.destroy();
        if (outcome.kind === 'answered') await expectConfirmed(pool, hourMs, batch, outcome.statuses);
      }),
    );
    t.advance(round.advance);
  }

  // Every batch retried by a writer that does not crash, until it answers.
  const retrier = createHaltingClients(t.dynalite.endpoint);
  const store = writerStore(retrier);
  t.advance(LEASE_MS + 1);
  for (const batch of posted) {
    for (let tries = 0; ; tries++) {
      expect(tries, 'a batch never answered').toBeLessThan(5);
      const outcome = await attempt(store, batch);
      if (outcome.kind === 'answered') {
        await expectConfirmed(pool, hourMs, batch, outcome.statuses);
        break;
      }
      t.advance((outcome.kind === 'retry' ? outcome.after : 0) + 1);
    }
  }
  retrier.destroy();

  // Exactly the posted items, each listed once and counted once, in the version that won.
  const ids = new Set(posted.flat().map((item) => item.item_id));
  const feed = await feedOf(hourMs);
  expect(feed.map((item) => item.item_id).sort()).toEqual([...ids].sort());
  for (let ticker = 0; ticker < TICKERS; ticker++) {
    const name = `S${runNumber}T${ticker}`;
    const expected = pool.filter((item) => item.ticker === name && ids.has(item.item_id));
    const stored = feed.filter((item) => item.ticker === name);
    const { mask, total, row } = await counted(hourMs, name);
    expect(mask).toBe(expected.reduce((bits, item) => bits | bitOf(pool.indexOf(item)), 0));
    expect(total).toBe(expected.length);
    for (const sentiment of SENTIMENTS) {
      expect(row[sentiment] ?? 0, `${name} ${sentiment}`).toBe(stored.filter((i) => i.sentiment === sentiment).length);
    }
    for (const slotMs of slotsOf(hourMs)) {
      const inSlot = stored.filter((item) => Math.floor(Date.parse(item.timestamp) / SLOT_MS) * SLOT_MS === slotMs);
      const history = await counted(hourMs, name, slotMs);
      const bits = inSlot.map((item) => bitOf(pool.findIndex((p) => p.item_id === item.item_id)));
      expect(history.mask, `${name} history slot ${slotMs}`).toBe(bits.reduce((a, b) => a | b, 0));
      expect(history.total).toBe(inSlot.length);
      for (const sentiment of SENTIMENTS) {
        expect(history.row[sentiment] ?? 0).toBe(inSlot.filter((i) => i.sentiment === sentiment).length);
      }
    }
  }
  const { Item: all = {} } = await t.clients.documents.send(
    new GetCommand({ TableName: t.tableName, Key: counterKey(hourMs, 'all'), ConsistentRead: true }),
  );
  expect(all.total ?? 0).toBe(ids.size);
  let historyAll = 0;
  for (const slotMs of slotsOf(hourMs)) {
    const { Item: row = {} } = await t.clients.documents.send(
      new GetCommand({ TableName: t.tableName, Key: historyKey(slotMs, 'all'), ConsistentRead: true }),
    );
    historyAll += typeof row.total === 'number' ? row.total : 0;
  }
  expect(historyAll).toBe(ids.size);
}

it('counts and lists every item exactly once, and answers only when it has', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(roundArb, { minLength: 1, maxLength: 3 }), (rounds) => runScenario(rounds)),
    { numRuns: 30 },
  );
}, 120_000);
