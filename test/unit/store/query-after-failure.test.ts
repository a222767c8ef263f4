/**
 * When one shard's Query fails, readAfter rejects at once (Promise.all); the other shards'
 * `queryShards` loops went on reading pages nobody would use, up to the whole budget (found
 * by an adversarial review). They send no more once the read has failed.
 */
import { describe, expect, it } from 'vitest';
import type { FeedCursor } from '../../../src/feed/cursor.ts';
import { advanceCursor } from '../../../src/feed/cursor.ts';
import { readAfter } from '../../../src/store/feed.ts';
import { FakeFeedTable } from '../../support/fake-feed-table.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const SETTLE_MS = 5000;

describe('a shard failing mid-read', () => {
  it('sends no further Queries once the read has failed', async () => {
    const table = new FakeFeedTable();
    const ids: { arrivalMs: number; itemId: string }[] = [];
    for (let i = 0; i < 40_000; i++) {
      const arrivalMs = NOW - 4000 + Math.floor(i / 10);
      const itemId = `i${String(i).padStart(6, '0')}`;
      table.put(arrivalMs, itemId);
      ids.push({ arrivalMs, itemId });
    }
    // A process's own cursor that has delivered all of them (2,500 covered rows per shard).
    const cursor: FeedCursor = advanceCursor({ watermark: NOW - 2 * SETTLE_MS, entries: [] }, ids, NOW, SETTLE_MS);
    table.failing.add(0);
    table.latencyMs = 2;
    const ctx = table.context(() => NOW, SETTLE_MS);
    await expect(readAfter(ctx, cursor, 500)).rejects.toThrow('throttled');
    const atFailure = table.sent;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(table.sent).toBe(atFailure);
  });
});
