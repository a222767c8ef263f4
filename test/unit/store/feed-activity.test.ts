/**
 * The ledger of a process's own appends (src/store/feed-activity.ts): what `appendedSince` may
 * answer without a read, and every case where it must say "read the store" instead: a shared
 * feed, an ingest still running, a feed write that never came back, a mark the ledger has
 * forgotten. Fold rounds likewise (`unfoldedSince`).
 */
import { describe, expect, it } from 'vitest';
import { createFeedActivity, LEDGER_ROWS } from '../../../src/store/feed-activity.ts';
import type { FeedRowRaw } from '../../../src/store/feed-query.ts';

const row = (n: number): FeedRowRaw => ({
  sk: `row-${n.toString().padStart(6, '0')}`,
  item: {
    item_id: `item-${n}`,
    ticker: 'AAPL',
    sentiment: 'positive',
    score: 0.5,
    timestamp: '2026-11-21T09:00:00.000Z',
    ingested_at: '2026-11-21T09:00:00.000Z',
  },
});

/** One ingest through `activity` that writes `rows` in one acknowledged BatchWrite. */
function ingest(activity: ReturnType<typeof createFeedActivity>, rows: readonly FeedRowRaw[]): boolean {
  const report = activity.begin();
  report.sending();
  report.written(rows);
  return report.end();
}

describe('appendedSince', () => {
  it('on an exclusive feed, answers the rows acknowledged since the mark, and none for a fresh mark', () => {
    const activity = createFeedActivity({ exclusive: true });
    ingest(activity, [row(1)]);
    const mark = activity.mark();

    ingest(activity, [row(2), row(3)]);
    ingest(activity, [row(4)]);

    expect(
      activity
        .appendedSince(mark)
        ?.map((entry) => entry.sk)
        .sort(),
    ).toEqual(['row-000002', 'row-000003', 'row-000004']);
    expect(activity.appendedSince(activity.mark())).toEqual([]);
    expect(activity.unchangedSince(mark)).toBe(false);
    expect(activity.unchangedSince(activity.mark())).toBe(true);
  });

  it('on a shared feed, never answers: another process may have written', () => {
    const activity = createFeedActivity({ exclusive: false });
    const mark = activity.mark();

    expect(activity.appendedSince(mark)).toBeUndefined();
    ingest(activity, [row(1)]);
    expect(activity.appendedSince(mark)).toBeUndefined();
    expect(activity.unchangedSince(activity.mark())).toBe(false);
  });

  it('answers nothing while an ingest runs: it may have written rows it has not reported', () => {
    const activity = createFeedActivity({ exclusive: true });
    const mark = activity.mark();
    const running = activity.begin();
    running.sending();

    expect(activity.appendedSince(mark)).toBeUndefined();
    running.written([row(1)]);
    expect(activity.appendedSince(mark)).toBeUndefined();
    expect(running.end()).toBe(true);
    expect(activity.appendedSince(mark)).toEqual([row(1)]);
  });

  it('never answers across a feed write that did not come back (it may have been applied)', () => {
    const activity = createFeedActivity({ exclusive: true });
    const before = activity.mark();
    const lost = activity.begin();
    lost.sending();
    // The BatchWrite threw: `written` is never called.
    expect(lost.end()).toBe(true);
    const after = activity.mark();
    ingest(activity, [row(2)]);

    expect(activity.appendedSince(before)).toBeUndefined();
    expect(activity.appendedSince(after)).toEqual([row(2)]);
  });

  it('counts an ingest that wrote nothing as no change, and wakes no listener for it', () => {
    const activity = createFeedActivity({ exclusive: true });
    let wakes = 0;
    activity.onAppend(() => (wakes += 1));
    const mark = activity.mark();

    const duplicate = activity.begin();
    expect(duplicate.end()).toBe(false);
    // A BatchWrite DynamoDB handed back whole (throttled) wrote nothing, but was sent.
    expect(ingest(activity, [])).toBe(true);

    expect(activity.appendedSince(mark)).toEqual([]);
    expect(wakes).toBe(1);
  });

  it('ends a report once: a second end changes nothing', () => {
    const activity = createFeedActivity({ exclusive: true });
    const report = activity.begin();
    report.sending();
    report.written([row(1)]);
    report.end();
    const mark = activity.mark();

    expect(report.end()).toBe(true);
    expect(activity.mark()).toEqual(mark);
    expect(activity.appendedSince(mark)).toEqual([]);
  });

  it(`forgets the oldest ingests beyond ${LEDGER_ROWS.toString()} rows: a mark before them reads the store`, () => {
    const activity = createFeedActivity({ exclusive: true });
    const oldest = activity.mark();
    ingest(activity, [row(0)]);
    const second = activity.mark();
    for (let n = 1; n <= LEDGER_ROWS; n += 64)
      ingest(
        activity,
        Array.from({ length: 64 }, (_, i) => row(n + i)),
      );

    expect(activity.appendedSince(oldest)).toBeUndefined();
    expect(activity.appendedSince(second)).toHaveLength(LEDGER_ROWS);
  });

  it(`keeps at most ${LEDGER_ROWS.toString()} ingests, also of those that report no row`, () => {
    const activity = createFeedActivity({ exclusive: true });
    const oldest = activity.mark();
    for (let n = 0; n <= LEDGER_ROWS; n++) ingest(activity, []);

    expect(activity.appendedSince(oldest)).toBeUndefined();
    expect(activity.appendedSince(activity.mark())).toEqual([]);
  });

  it('keeps the newest ingest whatever its size', () => {
    const activity = createFeedActivity({ exclusive: true });
    const mark = activity.mark();
    ingest(
      activity,
      Array.from({ length: LEDGER_ROWS + 1 }, (_, n) => row(n)),
    );

    expect(activity.appendedSince(mark)).toHaveLength(LEDGER_ROWS + 1);
  });
});

describe('unfoldedSince', () => {
  it.each([
    ['exclusive: true until a fold round of this process ends', true],
    ['shared: never (another process may fold)', false],
  ] as const)('%s', (_name, exclusive) => {
    const activity = createFeedActivity({ exclusive });
    const mark = activity.mark();

    expect(activity.unfoldedSince(mark)).toBe(exclusive);
    activity.folded();
    expect(activity.unfoldedSince(mark)).toBe(false);
    expect(activity.unfoldedSince(activity.mark())).toBe(exclusive);
  });
});
