/**
 * An ingest whose feed writes the store keeps leaving unprocessed (DynamoDB's answer to a
 * throttled BatchWriteItem): the request gives up after BATCH_ATTEMPTS sends with backoff, as a
 * `StoreBusyError` (which the HTTP layer answers 503 with Retry-After), having written no feed
 * entry; the same batch posted again once the store takes writes, after the write window of the
 * failed request's markers, stores each item once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BATCH_ATTEMPTS } from '../../../src/store/batch-write.ts';
import { StoreBusyError } from '../../../src/store/index.ts';
import { feedRows } from '../../support/feed-rows.ts';
import { type ProxiedStore, startProxiedStore } from '../../support/proxied-store.ts';
import { itemInput } from '../../support/test-store.ts';

let t: ProxiedStore;
beforeEach(async () => {
  t = await startProxiedStore();
});
afterEach(async () => {
  await t.close();
});

describe('feed writes the store keeps leaving unprocessed', () => {
  it('fail the ingest as StoreBusyError after BATCH_ATTEMPTS sends, and a later retry stores each item once', async () => {
    const batch = [itemInput(), itemInput(), itemInput()];
    // Every BatchWriteItem comes back with all of its puts unprocessed, as a throttled table answers.
    t.proxy.hook = (call) =>
      call.operation === 'BatchWriteItem' ? { answer: { UnprocessedItems: call.input.RequestItems } } : 'forward';

    const outcome: unknown = await t.store.ingest(batch).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(StoreBusyError);
    expect(outcome).toMatchObject({ message: 'BatchWriteItem kept leaving feed entries unprocessed' });
    expect(t.proxy.seen('BatchWriteItem')).toBe(BATCH_ATTEMPTS);
    expect(await feedRows(t.direct.documents, t.tableName)).toEqual([]);

    // The store takes writes again. The markers still name the failed request as writer: a retry
    // within their write window is told to come back (409); one after it (7.5 s) takes them over.
    t.proxy.hook = () => 'forward';
    t.advance(7500);
    expect(await t.store.ingest(batch)).toEqual(['created', 'created', 'created']);
    const stored = await feedRows(t.direct.documents, t.tableName);
    expect(stored.map((row) => row.item.item_id).sort()).toEqual(batch.map((item) => item.item_id).sort());
  }, 20_000);
});
