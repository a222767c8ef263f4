/**
 * A process's own cursor lists every item of the settle window, and a read re-reads that window
 * to find late writes. With more than a page (1000 rows) of covered rows in a shard, every
 * shard page was cut inside rows the cursor already had: the read delivered nothing, came back
 * `full`, and the next was the same, so a replay never went live (found by an adversarial review
 * at 3,200 items/s). A shard page cut among covered rows is now read on (`queryShards`).
 * The feed here is an in-memory table answering the store's own Queries with DynamoDB's paging:
 * tens of thousands of rows per run, which dynalite would take minutes to hold.
 */
import { describe, expect, it } from 'vitest';
import type { FeedCursor } from '../../../src/feed/cursor.ts';
import { readAfter } from '../../../src/store/feed.ts';
import { FakeFeedTable } from '../../support/fake-feed-table.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const SETTLE_MS = 5000;

describe('a settle window holding more than 1000 rows per shard', () => {
  it('a reader at one instant that reads on while full gets every visible item and then stops being full', async () => {
    const table = new FakeFeedTable();
    // 17,600 items over the last 4 s (unsettled), shards in turn: 1,100 per shard.
    for (let i = 0; i < 17_600; i++) table.put(NOW - 4000 + Math.floor(i / 5), `i${String(i).padStart(6, '0')}`);
    const ctx = table.context(() => NOW, SETTLE_MS);
    let cursor: FeedCursor = { watermark: NOW - 2 * SETTLE_MS, entries: [] };
    const delivered = new Set<string>();
    let reads = 0;
    let full = true;
    for (; reads < 200 && full; reads++) {
      const read = await readAfter(ctx, cursor, 500);
      for (const entry of read.entries) delivered.add(entry.item.item_id);
      expect(read.full && read.entries.length === 0, 'a full read that delivered nothing').toBe(false);
      cursor = read.cursor;
      full = read.full;
    }
    expect(delivered.size).toBe(table.size);
    expect(full).toBe(false);
  });

  it('a replay-like loop (read on while full) ends while 4,000 items/s keep arriving, and delivers each within the time its backlog takes', async () => {
    const table = new FakeFeedTable();
    let clock = NOW;
    const ctx = table.context(() => clock, SETTLE_MS);
    const landedAt = new Map<string, number>();
    let n = 0;
    /** 4 items per ms (4,000/s), shards in turn. */
    const land = (untilMs: number, fromMs: number, timed: boolean) => {
      for (let t = fromMs + 1; t <= untilMs; t++)
        for (let k = 0; k < 4; k++) {
          const id = `j${String(n++).padStart(7, '0')}`;
          table.put(t, id);
          if (timed) landedAt.set(id, t);
        }
    };
    // The window before the reader starts (its latency is not measured).
    land(clock, clock - 6000, false);
    let cursor: FeedCursor = { watermark: clock - 2 * SETTLE_MS, entries: [] };
    let worstLatency = 0;
    let reads = 0;
    let ended = false;
    for (; reads < 400; reads++) {
      // Each read takes 25 ms of store time, during which 100 more items land.
      const read = await readAfter(ctx, cursor, 500);
      // Latency of items that landed while the reader ran: read time minus stamp.
      for (const entry of read.entries)
        worstLatency = Math.max(worstLatency, clock - (landedAt.get(entry.item.item_id) ?? clock));
      cursor = read.cursor;
      land(clock + 25, clock, true);
      clock += 25;
      if (!read.full) {
        ended = true;
        break;
      }
    }
    expect(ended).toBe(true);
    // The backlog of 24,000 items takes 48 reads of 500 (1.2 s of reads); nothing waits longer than that and one more.
    expect(worstLatency).toBeLessThan(1500);
  });
});
