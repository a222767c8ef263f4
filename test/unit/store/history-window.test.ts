/**
 * The pure rules of sentiment over time (src/store/history-window.ts): which slot an item counts
 * in (by its `timestamp`, relative to its arrival), and the windows each bucket size answers. How
 * a timestamp is read is published-at.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HISTORY_AHEAD_MS,
  HISTORY_LOOKBACK_MS,
  historySlot,
  historyWindow,
  SLOT_MS,
} from '../../../src/store/history-window.ts';
import { historyRowKey, hourStart, parseHistoryRowKey } from '../../../src/store/keys.ts';

const ARRIVAL = Date.parse('2026-11-21T09:17:30.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('historySlot', () => {
  it('counts from 24 h before to 5 min after arrival, in the slot of the timestamp', () => {
    expect(historySlot(iso(ARRIVAL - HISTORY_LOOKBACK_MS), ARRIVAL)).toBe(
      Math.floor((ARRIVAL - HISTORY_LOOKBACK_MS) / SLOT_MS) * SLOT_MS,
    );
    expect(historySlot(iso(ARRIVAL - HISTORY_LOOKBACK_MS - 1), ARRIVAL)).toBeNull();
    expect(historySlot(iso(ARRIVAL + HISTORY_AHEAD_MS), ARRIVAL)).toBe(Date.parse('2026-11-21T09:20:00.000Z'));
    expect(historySlot(iso(ARRIVAL + HISTORY_AHEAD_MS + 1), ARRIVAL)).toBeNull();
    expect(historySlot('2026-11-21T09:10:00.000Z', ARRIVAL)).toBe(Date.parse('2026-11-21T09:10:00.000Z'));
    expect(historySlot('2026-11-21T09:09:59.999Z', ARRIVAL)).toBe(Date.parse('2026-11-21T09:05:00.000Z'));
    expect(historySlot('garbage', ARRIVAL)).toBeNull();
  });

  it('puts every counted item in a slot that contains it, in rows whose keys read back as its hour', () => {
    fc.assert(
      fc.property(fc.integer({ min: -HISTORY_LOOKBACK_MS, max: HISTORY_AHEAD_MS }), (offset) => {
        const published = ARRIVAL + offset;
        const slot = historySlot(iso(published), ARRIVAL);
        expect(slot).not.toBeNull();
        expect(published - (slot ?? 0)).toBeGreaterThanOrEqual(0);
        expect(published - (slot ?? 0)).toBeLessThan(SLOT_MS);
        // The slot's rows (all tickers, and its ticker) are keyed by its hour, which reads back.
        for (const scope of ['all', { ticker: 'AAPL' }] as const) {
          const key = historyRowKey(hourStart(slot ?? 0), scope);
          expect(parseHistoryRowKey(key.pk, key.sk)).toBe(hourStart(slot ?? 0));
        }
      }),
    );
  });
});

describe('historyWindow', () => {
  it('is 36 five-minute buckets or 24 hours, aligned, ending with the current bucket', () => {
    expect(historyWindow('5m', ARRIVAL)).toEqual({
      sizeMs: SLOT_MS,
      count: 36,
      startMs: Date.parse('2026-11-21T06:20:00.000Z'),
      endMs: Date.parse('2026-11-21T09:20:00.000Z'),
    });
    expect(historyWindow('1h', ARRIVAL)).toEqual({
      sizeMs: 3_600_000,
      count: 24,
      startMs: Date.parse('2026-11-20T10:00:00.000Z'),
      endMs: Date.parse('2026-11-21T10:00:00.000Z'),
    });
    // On a boundary the new bucket is the current one.
    expect(historyWindow('1h', Date.parse('2026-11-21T10:00:00.000Z')).startMs).toBe(
      Date.parse('2026-11-20T11:00:00.000Z'),
    );
  });

  it('never starts more than the lookback before now: a skipped item could never be shown', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), fc.constantFrom('5m', '1h' as const), (t, bucket) => {
        const now = ARRIVAL + t;
        expect(now - historyWindow(bucket, now).startMs).toBeLessThanOrEqual(HISTORY_LOOKBACK_MS);
      }),
    );
  });
});
