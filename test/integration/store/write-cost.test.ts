/**
 * What an ingested item costs the store, pinned: write units (as DynamoDB bills them: per KB of
 * each written item, index entries included) and the hottest partition key's share of the writes,
 * counted by the write meter on the store's client (src/store/write-meter.ts) over everything the
 * ingest and the fold write. Items spread over 25 tickers with 128-character ids (the largest
 * rows), folded in several rounds, more often than a server's fold interval would at these rates.
 * `npm run bench:rest` measures the same through a running server (docs/data-model.md, "Capacity").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWriteMeter, type WriteMeter } from '../../../src/store/write-meter.ts';
import { batchMaker, tickersOf } from '../../support/sentiment-batches.ts';
import { startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;
let meter: WriteMeter;
beforeEach(async () => {
  t = await startTestStore();
  meter = createWriteMeter();
  meter.attach(t.clients.client);
});
afterEach(async () => {
  await t.close();
});

const itemsOf = batchMaker('cost', tickersOf('W', 25), 128);
const at = () => new Date(t.now()).toISOString();

/** Ingests `batches` batches of `size`, a fold round every `foldEvery` batches, then the last one. */
async function ingestAndFold(batches: number, size: number, foldEvery: number): Promise<number> {
  for (let i = 1; i <= batches; i++) {
    expect(await t.store.ingest(itemsOf(size, at()))).toEqual(Array<string>(size).fill('created'));
    t.advance(100);
    if (i % foldEvery === 0) await t.store.fold({ force: true });
  }
  t.advance(10_000);
  await t.store.fold({ force: true });
  // Everything was folded: the rows count every item.
  expect((await t.store.foldState()).w).toBeGreaterThan(t.now() - 10_000);
  return batches * size;
}

describe('store writes per ingested item', () => {
  it('stay within 3.2 write units in 25-item batches, no partition key taking more than 1 in 10', async () => {
    const items = await ingestAndFold(40, 25, 10);

    expect(meter.units / items).toBeLessThanOrEqual(3.2);
    expect((meter.hottest()?.writes ?? 0) / items).toBeLessThanOrEqual(0.1);
    // The floor: a marker, a feed entry and its index entry, one unit each.
    expect(meter.units / items).toBeGreaterThanOrEqual(3);
  });

  it('stay within 4 write units for single-item posts, no partition key taking more than 1 in 10', async () => {
    const items = await ingestAndFold(100, 1, 25);

    expect(meter.units / items).toBeLessThanOrEqual(4);
    expect((meter.hottest()?.writes ?? 0) / items).toBeLessThanOrEqual(0.1);
  });

  it('cost nothing more for a re-post than the refused marker put', async () => {
    const batch = itemsOf(25, at());
    await t.store.ingest(batch);
    meter.reset();

    expect(await t.store.ingest(batch)).toEqual(Array<string>(25).fill('duplicate'));

    // A refused conditional put is still billed: one unit per item, nothing else written.
    expect(meter.requests).toBe(25);
    expect(meter.units).toBe(25);
  });
});
