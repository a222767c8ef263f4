import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterKey, feedKey, markerKey } from '../../../src/store/keys.ts';
import { contentHash, LEASE_MS } from '../../../src/store/ingest.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

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

    // The others either saw it done (duplicate) or were told to retry while it was in progress.
    const answers = results.map((r) => (r.status === 'fulfilled' ? r.value.join() : (r.reason as Error).name));
    expect(answers.filter((a) => a === 'created')).toHaveLength(1);
    expect(answers.every((a) => ['created', 'duplicate', 'IngestNotConfirmedError'].includes(a))).toBe(true);
    expect((await totals()).total - before.total).toBe(1);
  });
});

describe('ingest after an owner died mid-way', () => {
  /** Writes the marker a crashed owner would have left: pending, lease expired. */
  async function abandonedMarker(item: ReturnType<typeof itemInput>, arrivalMs: number) {
    const position = feedKey(arrivalMs, item.item_id);
    await t.clients.documents.send(
      new PutCommand({
        TableName: t.tableName,
        Item: {
          ...markerKey(item.item_id),
          hash: contentHash(item),
          state: 'pending',
          arrival_ms: arrivalMs,
          feed_pk: position.pk,
          feed_sk: position.sk,
          lease_until: arrivalMs + LEASE_MS,
          owner: 'dead-owner',
          item: { ...item, ingested_at: new Date(arrivalMs).toISOString() },
        },
      }),
    );
    return position;
  }

  it('lets a retry finish the item, re-stamping its feed position so readers see it', async () => {
    const item = itemInput({ ticker: 'NVDA' });
    const cursorBefore = await t.store.headCursor();
    const before = await totals();
    await abandonedMarker(item, t.now() - LEASE_MS - 1000);

    const statuses = await t.store.ingest([item]);

    const read = await t.store.readAfter(cursorBefore, 100);
    // This request is the one that stored and counted it.
    expect(statuses).toEqual(['created']);
    expect((await totals()).total - before.total).toBe(1);
    expect(read.items.map((i) => i.item_id)).toContain(item.item_id);
  });

  it('does not count again where the dead owner had already counted', async () => {
    const item = itemInput({ ticker: 'AMZN' });
    const arrival = t.now() - LEASE_MS - 1000;
    await abandonedMarker(item, arrival);
    // The dead owner got as far as the all-tickers counter (its pending attribute is still there).
    await t.clients.documents.send(
      new UpdateCommand({
        TableName: t.tableName,
        Key: counterKey(arrival, 'all'),
        UpdateExpression: 'ADD #total :one, positive :one, score_sum :s SET #p = :o',
        ExpressionAttributeNames: { '#total': 'total', '#p': `p_${item.item_id}` },
        ExpressionAttributeValues: { ':one': 1, ':s': item.score, ':o': 'dead-owner' },
      }),
    );
    const before = await totals();

    await t.store.ingest([item]);
    await t.store.ingest([item]);

    const after = await totals();
    expect(after.total).toBe(before.total);
    expect((after.by_tag.AMZN ?? 0) - (before.by_tag.AMZN ?? 0)).toBe(1);
  });

  it('leaves an item alone while its owner still holds the lease, and says when to retry', async () => {
    const item = itemInput();
    await abandonedMarker(item, t.now() - 1000);
    const before = await totals();

    const attempt = t.store.ingest([item]);

    await expect(attempt).rejects.toMatchObject({ reason: 'in-progress', retryAfterMs: LEASE_MS - 1000 });
    expect((await totals()).total).toBe(before.total);
  });
});
