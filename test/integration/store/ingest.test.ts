import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../../src/store/ingest.ts';
import { deadFeedEntry, deadMarker } from '../../support/dead-writer.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

/** The test store's settle window (5 s): a dead writer's item is taken over 1.5 windows after its stamp. */
const TAKEOVER_AFTER_MS = 7500;

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore();
});
afterAll(async () => {
  await t.close();
});

const totals = async () => (await t.store.aggregates()).metrics;

describe('ingest', () => {
  it('stores new items once and counts them', async () => {
    const before = await totals();
    const items = [itemInput({ ticker: 'MSFT', sentiment: 'negative', score: -0.4 }), itemInput({ ticker: 'MSFT' })];

    const statuses = await t.store.ingest(items);

    const after = await totals();
    expect(statuses).toEqual(['created', 'created']);
    expect(after.total - before.total).toBe(2);
    expect(after.negative - before.negative).toBe(1);
    expect((after.by_tag.MSFT ?? 0) - (before.by_tag.MSFT ?? 0)).toBe(2);
  });

  it('accepts a re-posted item as a duplicate and counts it once', async () => {
    const item = itemInput();
    await t.store.ingest([item]);
    const before = await totals();

    const statuses = await t.store.ingest([item, { ...item }]);

    expect(statuses).toEqual(['duplicate', 'duplicate']);
    expect((await totals()).total).toBe(before.total);
  });

  it('reports a re-post with different content as a conflict and keeps the first version', async () => {
    const item = itemInput({ score: 0.1 });
    await t.store.ingest([item]);

    const statuses = await t.store.ingest([{ ...item, score: 0.9 }]);

    const page = await t.store.readNewest({ limit: 100 });
    expect(statuses).toEqual(['conflict']);
    expect(page.items.find((i) => i.item_id === item.item_id)?.score).toBe(0.1);
  });

  it('treats field order as irrelevant to content', () => {
    const item = itemInput();
    const reordered = Object.fromEntries(Object.entries(item).reverse()) as typeof item;
    expect(contentHash(reordered)).toBe(contentHash(item));
  });

  it('counts the same id twice in one batch once, and flags a differing second copy', async () => {
    const item = itemInput();
    const before = await totals();

    const statuses = await t.store.ingest([item, item, { ...item, score: -1 }]);

    expect(statuses).toEqual(['created', 'duplicate', 'conflict']);
    expect((await totals()).total - before.total).toBe(1);
  });

  it('counts each of many concurrent re-posts of one item exactly once', async () => {
    const item = itemInput();
    const before = await totals();

    const results = await Promise.allSettled(Array.from({ length: 10 }, () => t.store.ingest([item])));

    // The others saw it stored (duplicate), waiting a moment for its feed entry if they had to,
    // or were told to retry while it was still being written.
    const answers = results.map((r) => (r.status === 'fulfilled' ? r.value.join() : (r.reason as Error).name));
    expect(answers.filter((a) => a === 'created')).toHaveLength(1);
    expect(answers.every((a) => ['created', 'duplicate', 'IngestNotConfirmedError'].includes(a))).toBe(true);
    expect((await totals()).total - before.total).toBe(1);
  });
});

describe('ingest after a writer died between its two puts', () => {
  it('lets a retry after the writer’s window take the item over, re-stamped so readers see it', async () => {
    const item = itemInput({ ticker: 'NVDA' });
    const cursorBefore = await t.store.headCursor();
    const before = await totals();
    await deadMarker(t, item, t.now() - TAKEOVER_AFTER_MS - 1);

    const statuses = await t.store.ingest([item]);

    const read = await t.store.readAfter(cursorBefore, 100);
    // This request is the one that stored it; it is counted once, now and after folding.
    expect(statuses).toEqual(['created']);
    expect((await totals()).total - before.total).toBe(1);
    expect(read.entries.map((entry) => entry.item.item_id)).toContain(item.item_id);
    t.advance(20_000);
    await t.store.fold({ force: true });
    expect((await totals()).total - before.total).toBe(1);
  });

  it('keeps the first content when a conflicting re-post takes the item over', async () => {
    const item = itemInput({ score: 0.25 });
    await deadMarker(t, item, t.now() - TAKEOVER_AFTER_MS - 1);

    const statuses = await t.store.ingest([{ ...item, score: -0.75 }]);

    const page = await t.store.readNewest({ limit: 100 });
    expect(statuses).toEqual(['conflict']);
    expect(page.items.filter((i) => i.item_id === item.item_id).map((i) => i.score)).toEqual([0.25]);
  });

  it('answers duplicate when the dead writer’s feed entry made it, and counts nothing again', async () => {
    const item = itemInput({ ticker: 'AMZN' });
    const arrival = t.now() - 2000;
    const position = await deadMarker(t, item, arrival);
    await deadFeedEntry(t, item, position, arrival);
    const before = await totals();

    expect(await t.store.ingest([item])).toEqual(['duplicate']);
    expect(await t.store.ingest([item])).toEqual(['duplicate']);

    const after = await totals();
    expect(after.total).toBe(before.total);
    const page = await t.store.readNewest({ limit: 100, ticker: 'AMZN' });
    expect(page.items.filter((i) => i.item_id === item.item_id)).toHaveLength(1);
  });

  it('leaves an item alone while its writer may still put it, and says when a retry will be answered', async () => {
    const item = itemInput();
    await deadMarker(t, item, t.now() - 1000);
    const before = await totals();

    const attempt = t.store.ingest([item]);

    // The store waited a moment for the entry, then names the end of the writer's window.
    await expect(attempt).rejects.toMatchObject({ itemIds: [item.item_id], retryAfterMs: TAKEOVER_AFTER_MS - 1000 });
    expect((await totals()).total).toBe(before.total);
  });

  it('treats field order as irrelevant to the stored content hash', async () => {
    const item = itemInput();
    const reordered = Object.fromEntries(Object.entries(item).reverse()) as typeof item;
    await deadMarker(t, reordered, t.now() - TAKEOVER_AFTER_MS - 1);
    expect(contentHash(reordered)).toBe(contentHash(item));
    expect(await t.store.ingest([item])).toEqual(['created']);
  });
});
