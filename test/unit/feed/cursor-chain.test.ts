/**
 * The law that matters most of cursors, over generated feeds where many items share one stamp
 * (a batch of 100 is stamped in one millisecond, and concurrent batches in the same one): a
 * chain of reads with any page sizes delivers every item once, in feed order, also while the
 * feed lands between the reads a few items at a time, as one process's ingests write it.
 * Resuming from the id of any event (the position right after its item) loses nothing: with
 * every stamp settled it delivers exactly the items after it; inside the settle window an id
 * lists at most MAX_ENTRIES items, so it may repeat the ones it could not list, never more.
 * A client's text cursor (`?after=`) stays exact and gets every item once.
 *
 * Reads are the store's own, over rows held in memory (`readAppended`, which is how a process
 * answers from what it appended), with the clock held still, so nothing but the cursor decides
 * what is delivered.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCursor, type FeedCursor, MAX_ENTRIES } from '../../../src/feed/cursor.ts';
import { readAppended } from '../../../src/store/feed.ts';
import type { FeedRowRaw } from '../../../src/store/feed-query.ts';
import { entryIds } from '../../../src/stream/entry-ids.ts';
import type { EventId } from '../../../src/stream/ports.ts';
import { asText } from '../../support/cursor-text.ts';
import { memoryContext, rowOf } from '../../support/rows-in-memory.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const SETTLE_MS = 5000;
/** The clock the reads see: NOW (every stamp inside the settle window) unless a test moves it. */
let clock = NOW;
const { ctx, cursors, close } = memoryContext(() => clock, SETTLE_MS);
afterAll(close);
/** Runs `check` with every stamp of the feed settled (the clock past the settle window). */
function settled(check: () => void): void {
  clock = NOW + SETTLE_MS;
  try {
    check();
  } finally {
    clock = NOW;
  }
}

/** The cursor an event id stands for, as a client's resume parses it. */
function resumeFrom(id: EventId): FeedCursor {
  const parsed = cursors.parseCursor(id);
  if (!parsed.ok) throw new Error(`an id we wrote was refused: ${parsed.reason}`);
  return parsed.cursor;
}

/** Stamps a little below now, each with up to 300 items (ids of any allowed shape, distinct). */
const feed = fc
  .array(fc.record({ offset: fc.integer({ min: 1, max: 40 }), count: fc.integer({ min: 1, max: 300 }) }), {
    minLength: 1,
    maxLength: 4,
  })
  .chain((stamps) => {
    const total = stamps.reduce((sum, stamp) => sum + stamp.count, 0);
    return fc
      .uniqueArray(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/), { minLength: total, maxLength: total })
      .map((ids) => {
        let next = 0;
        const rows = stamps.flatMap(({ offset, count }) =>
          Array.from({ length: count }, () => rowOf(NOW - offset, ids[next++] ?? '')),
        );
        return rows.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
      });
  });

const pageSizes = fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 8 });

/** Reads the whole feed from `from`, page after page: every item id delivered, and each event's id. */
function readChain(rows: readonly FeedRowRaw[], from: FeedCursor, sizes: readonly number[]) {
  const delivered: string[] = [];
  const after: EventId[] = [];
  let cursor = from;
  for (let page = 0; page < 10_000; page++) {
    const read = readAppended(ctx, cursor, sizes[page % sizes.length] ?? 1, rows);
    for (const { entry, id } of entryIds(cursors, cursor, read)) {
      delivered.push(entry.item.item_id);
      after.push(id);
    }
    cursor = read.cursor;
    if (read.entries.length === 0) return { delivered, after };
  }
  throw new Error('the chain never ended');
}

/**
 * Like `readChain`, but the feed lands while it is read: before each page, the next few items
 * land, stamp after stamp and within a stamp in id order, as one process's ingests write them
 * (ingest-feed.ts writes a batch in BatchWrites of 25, in feed order). Reads go on until the
 * feed has landed whole and a read finds nothing.
 */
function readLanding(
  rows: readonly FeedRowRaw[],
  from: FeedCursor,
  sizes: readonly number[],
  landings: readonly number[],
) {
  let landed = 0;
  const delivered: string[] = [];
  const after: EventId[] = [];
  let cursor = from;
  for (let page = 0; page < 10_000; page++) {
    landed = Math.min(rows.length, landed + ((landings[page % landings.length] ?? 0) % 30));
    const read = readAppended(ctx, cursor, sizes[page % sizes.length] ?? 1, rows.slice(0, landed));
    for (const { entry, id } of entryIds(cursors, cursor, read)) {
      delivered.push(entry.item.item_id);
      after.push(id);
    }
    cursor = read.cursor;
    if (read.entries.length > 0) continue;
    if (landed === rows.length) return { delivered, after };
    landed += 1;
  }
  throw new Error('the chain never ended');
}

/**
 * A client polling `?after=` with the text of each cursor it was given, `size` items a page;
 * when a read finds nothing while the feed holds more, the clock moves past the settle window.
 */
function pollText(rows: readonly FeedRowRaw[], from: FeedCursor, size: number) {
  const delivered: string[] = [];
  let text = encodeCursor(from);
  for (let page = 0; page < 10_000; page++) {
    const cursor = resumeFrom(text);
    const read = readAppended(ctx, cursor, size, rows, true);
    delivered.push(...read.entries.map((entry) => entry.item.item_id));
    text = encodeCursor(read.cursor);
    expect(resumeFrom(text)).toEqual(asText(read.cursor));
    if (read.entries.length > 0) continue;
    if (delivered.length >= rows.length || clock > NOW) return delivered;
    clock = NOW + SETTLE_MS;
  }
  throw new Error('the chain never ended');
}

const start: FeedCursor = { watermark: NOW - 2 * SETTLE_MS, entries: [] };
const idsOf = (rows: readonly FeedRowRaw[]) => rows.map((row) => row.item.item_id);

/**
 * What resuming from the `at`-th event id of a chain that delivered `sent` must give, inside the
 * settle window: every item sent after it, once, in order; and again at most the items its id
 * could not list (all unsettled here, so those beyond MAX_ENTRIES), each once.
 */
function expectResumed(resumed: readonly string[], sent: readonly string[], at: number): void {
  const later = new Set(sent.slice(at + 1));
  expect(resumed.filter((id) => later.has(id))).toEqual(sent.slice(at + 1));
  const again = resumed.filter((id) => !later.has(id));
  expect(new Set(again).size).toBe(again.length);
  for (const id of again) expect(sent.slice(0, at + 1)).toContain(id);
  expect(again.length).toBeLessThanOrEqual(Math.max(0, at + 1 - MAX_ENTRIES));
}

describe('a chain of reads over stamps shared by many items', () => {
  it('delivers every item once, in feed order, whatever the page sizes', () => {
    fc.assert(
      fc.property(feed, pageSizes, (rows, sizes) => {
        expect(readChain(rows, start, sizes).delivered).toEqual(idsOf(rows));
        settled(() => {
          expect(readChain(rows, start, sizes).delivered).toEqual(idsOf(rows));
        });
      }),
      { numRuns: 150 },
    );
  });

  it('resumes from any event id with exactly the items after it, once its stamps settled', () => {
    fc.assert(
      fc.property(feed, pageSizes, fc.nat(), fc.integer({ min: 1, max: 120 }), (rows, sizes, pick, resumeSize) => {
        settled(() => {
          const { after } = readChain(rows, start, sizes);
          const at = pick % after.length;
          const resumed = readChain(rows, resumeFrom(after[at] ?? encodeCursor(start)), [resumeSize]);
          expect(resumed.delivered).toEqual(idsOf(rows).slice(at + 1));
        });
      }),
      { numRuns: 150 },
    );
  });

  it('resumes from any event id inside the settle window with nothing lost, repeating only what its id could not list', () => {
    fc.assert(
      fc.property(feed, pageSizes, fc.nat(), fc.integer({ min: 1, max: 120 }), (rows, sizes, pick, resumeSize) => {
        const { after } = readChain(rows, start, sizes);
        const at = pick % after.length;
        const resumed = readChain(rows, resumeFrom(after[at] ?? encodeCursor(start)), [resumeSize]);
        expectResumed(resumed.delivered, idsOf(rows), at);
      }),
      { numRuns: 150 },
    );
  });

  it('delivers every item once while the feed lands in order, a few items at a time', () => {
    fc.assert(
      fc.property(feed, pageSizes, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (rows, sizes, landings) => {
        const { delivered } = readLanding(rows, start, sizes, landings);
        expect(delivered).toHaveLength(rows.length);
        expect(new Set(delivered)).toEqual(new Set(idsOf(rows)));
      }),
      { numRuns: 150 },
    );
  });

  it('resumes from any event id of such a chain with every item the chain sent after it', () => {
    fc.assert(
      fc.property(
        feed,
        pageSizes,
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (rows, sizes, landings, pick) => {
          const { delivered, after } = readLanding(rows, start, sizes, landings);
          const at = pick % after.length;
          const resumed = readChain(rows, resumeFrom(after[at] ?? encodeCursor(start)), [100]);
          // The landing chain's order is its own (a late stamp's items after later ones), so compare as sets.
          const later = new Set(delivered.slice(at + 1));
          expect(new Set(resumed.delivered.filter((id) => later.has(id)))).toEqual(later);
          expect(new Set(resumed.delivered).size).toBe(resumed.delivered.length);
          expect(resumed.delivered.length - later.size).toBeLessThanOrEqual(Math.max(0, at + 1 - MAX_ENTRIES));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("gives a client polling with its cursor's text every item once, the text always exact", () => {
    fc.assert(
      fc.property(feed, fc.integer({ min: 1, max: 120 }), (rows, size) => {
        try {
          const delivered = pollText(rows, start, size);
          expect(delivered).toHaveLength(rows.length);
          expect(new Set(delivered)).toEqual(new Set(idsOf(rows)));
        } finally {
          clock = NOW;
        }
      }),
      { numRuns: 150 },
    );
  });
});
