/**
 * A batch of 100 items is stamped in one millisecond, and concurrent batches may share it. Read
 * from dynalite page after page with the limits of `GET /api/v2/items?after=`, such a stamp is
 * delivered whole, once, in feed order (src/feed/cursor.ts). Half of each batch was skipped
 * before cursors named the last id a read saw in a stamp.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startProxiedStore, type ProxiedStore } from '../../support/proxied-store.ts';
import { itemInput } from '../../support/test-store.ts';

let t: ProxiedStore;
beforeEach(async () => {
  t = await startProxiedStore({ settleMs: 5000 });
});
afterEach(async () => {
  await t.close();
});

describe('two batches of 100 items in one millisecond, read page after page', () => {
  it.each([1, 10, 49, 50, 100])('with a limit of %i: every item once, in feed order', async (limit) => {
    const head = await t.store.headCursor();
    const batches = [0, 1].map(() => Array.from({ length: 100 }, () => itemInput()));
    await Promise.all(batches.map((batch) => t.store.ingest(batch)));
    const expected = batches
      .flat()
      .map((item) => item.item_id)
      .sort();

    const delivered: string[] = [];
    let cursor = head;
    for (let page = 0; page <= 200 / limit + 1; page++) {
      const read = await t.store.readAfter(cursor, limit);
      delivered.push(...read.entries.map((entry) => entry.item.item_id));
      cursor = read.cursor;
    }

    expect(delivered).toEqual(expected);
    expect(t.store.encodeCursor(cursor).length).toBeLessThanOrEqual(1024);
  });
});
