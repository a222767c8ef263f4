/**
 * One stamp whose items land in several writes, read between them (found by adversarial
 * reviews of the cursor): a POST of 100 items is four BatchWrites at one stamp, and a reader may
 * read after any of them. Every item arrives once: none skipped because a cursor covered the
 * stamp whole, none repeated because a cursor forgot what an earlier read had delivered of it.
 * On an exclusive store the ledger's answer is the store's.
 *
 * The last cases were a loss until cursors stopped covering unsettled stamps (75 of 100 items of
 * the first POST skipped): a process's own reader now lists the whole settle window, and a
 * client's text cursor (`?after=`) delivers only what its text can list until the rest settles.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeedCursor } from '../../../src/feed/cursor.ts';
import { createFeedActivity, type Store } from '../../../src/store/index.ts';
import { type ProxiedStore, startProxiedStore } from '../../support/proxied-store.ts';
import type { Action, Hook } from '../../support/store-proxy.ts';
import { asText } from '../../support/cursor-text.ts';
import { itemInput } from '../../support/test-store.ts';

let t: ProxiedStore;
beforeEach(async () => {
  t = await startProxiedStore({ settleMs: 5000 });
});
afterEach(async () => {
  await t.close();
});

/** Holds the n-th BatchWriteItem (1-based) of the store under test until released. */
function holdNthBatchWrite(n: number) {
  let count = 0;
  const release = Promise.withResolvers<undefined>();
  const reached = Promise.withResolvers<undefined>();
  const hook: Hook = async (call): Promise<Action> => {
    if (call.operation !== 'BatchWriteItem' || ++count !== n) return 'forward';
    reached.resolve(undefined);
    await release.promise;
    return 'forward';
  };
  return {
    hook,
    reached: reached.promise,
    release: () => {
      release.resolve(undefined);
    },
  };
}

const randomItems = (n: number) => Array.from({ length: n }, () => itemInput());
const named = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => itemInput({ item_id: `${prefix}${String(i).padStart(2, '0')}` }));

/** Reads on from `cursor` with `store` until nothing comes; every item id delivered, in order. */
async function readOn(store: Store, from: FeedCursor, limit: number, delivered: string[]): Promise<FeedCursor> {
  let cursor = from;
  for (let page = 0; page < 20; page++) {
    const read = await store.readAfter(cursor, limit);
    delivered.push(...read.entries.map((entry) => entry.item.item_id));
    cursor = read.cursor;
    if (read.entries.length === 0) return cursor;
  }
  return cursor;
}

describe('a POST of 100 items (four BatchWrites at one stamp), read while it lands', () => {
  it.each([
    [100, 3],
    [50, 2],
    [50, 3],
    [10, 2],
  ])('with a limit of %i, read after %i BatchWrites began: every item once', async (limit, nth) => {
    const head = await t.other.headCursor();
    const held = holdNthBatchWrite(nth);
    t.proxy.hook = held.hook;
    const items = randomItems(100);
    const ingesting = t.store.ingest(items);
    await held.reached;
    const delivered: string[] = [];
    const first = await t.other.readAfter(head, limit);
    delivered.push(...first.entries.map((entry) => entry.item.item_id));
    held.release();
    await ingesting;

    await readOn(t.other, first.cursor, limit, delivered);

    expect(delivered).toHaveLength(100);
    expect(new Set(delivered)).toEqual(new Set(items.map((item) => item.item_id)));
  });
});

describe('two ingests in one millisecond, read in between', () => {
  it('delivers the 30 of the first read once, and the 70 after it', async () => {
    const head = await t.other.headCursor();
    await t.other.ingest(named('k', 30));
    const delivered: string[] = [];
    const first = await t.other.readAfter(head, 50);
    delivered.push(...first.entries.map((entry) => entry.item.item_id));
    await t.other.ingest(named('a', 70));

    await readOn(t.other, first.cursor, 50, delivered);

    expect(delivered).toHaveLength(100);
    expect(new Set(delivered).size).toBe(100);
  });

  it('on an exclusive store, answers from the ledger what a store read answers', async () => {
    const activity = createFeedActivity({ exclusive: true });
    const storeOn = () => t.storeWith({ activity });
    const writer = storeOn();
    const reader = storeOn();
    await writer.ingest(named('k', 30));
    let cursor = (await reader.readAfter(await reader.headCursor(), 50)).cursor;
    await writer.ingest(named('a', 70));
    cursor = (await reader.readAfter(cursor, 50)).cursor;
    const queries = t.proxy.seen('Query');

    const known = await reader.readAfter(cursor, 50);
    const truth = await t.other.readAfter(cursor, 50);

    expect(t.proxy.seen('Query')).toBe(queries);
    expect(known.entries.map((entry) => entry.item.item_id)).toEqual(truth.entries.map((entry) => entry.item.item_id));
    expect(known.entries).toHaveLength(20);
  });
});

describe('two POSTs of 100 that overlap, read while the first is between its BatchWrites', () => {
  /** Starts the first POST, holds it after its first BatchWrite, and lands the second meanwhile. */
  async function overlap(readBetween: () => Promise<void>): Promise<void> {
    const held = holdNthBatchWrite(2);
    t.proxy.hook = held.hook;
    const first = t.store.ingest(named('a', 100));
    await held.reached;
    await readBetween();
    t.advance(1);
    await t.other.ingest(named('b', 100));
    await readBetween();
    held.release();
    await first;
  }

  it("delivers every item of both once to a process's own reader", async () => {
    const delivered: string[] = [];
    let cursor = await t.other.headCursor();
    await overlap(async () => {
      cursor = await readOn(t.other, cursor, 100, delivered);
    });

    await readOn(t.other, cursor, 100, delivered);

    expect(delivered).toHaveLength(200);
    expect(new Set(delivered).size).toBe(200);
  });

  it('delivers every item of both once to a client polling ?after= with the text of each cursor', async () => {
    const delivered: string[] = [];
    let text = t.other.encodeCursor(await t.other.headCursor());
    const poll = async (): Promise<void> => {
      for (let page = 0; page < 20; page++) {
        const parsed = t.other.parseCursor(text);
        if (!parsed.ok) throw new Error(`a cursor we wrote was refused: ${parsed.reason}`);
        const read = await t.other.readAfter(parsed.cursor, 50, { exactText: true });
        delivered.push(...read.entries.map((entry) => entry.item.item_id));
        text = t.other.encodeCursor(read.cursor);
        // The text is the whole cursor: nothing it knows is left out.
        expect(t.other.parseCursor(text)).toEqual({ ok: true, cursor: asText(read.cursor) });
        if (read.entries.length === 0) return;
      }
    };
    await overlap(poll);
    await poll();
    expect(delivered.length).toBeLessThan(200);

    t.advance(5001);
    await poll();

    expect(delivered).toHaveLength(200);
    expect(new Set(delivered).size).toBe(200);
  });
});
