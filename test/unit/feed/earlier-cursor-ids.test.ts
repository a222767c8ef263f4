/**
 * Cursors of the earlier format (version 1, same grammar): past 48 entries it named the last id
 * it had delivered in a stamp that was not settled yet (W just below the stamp). Items of that
 * stamp may still land below the id, and nothing in the text says whether the stamp had settled
 * when it was written, so every version-1 id is dropped when read: the client gets that stamp's
 * items again, those that landed below the id included, and loses none, whenever it comes back.
 * Version-2 ids name settled stamps only and are kept. (Found by two adversarial reviews, with
 * the earlier version's own code.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkCursor, encodeCursor } from '../../../src/feed/cursor.ts';
import { readAppended } from '../../../src/store/feed.ts';
import { memoryContext, RETENTION_MS, rowOf } from '../../support/rows-in-memory.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const SETTLE_MS = 5000;
let clock = NOW;
const { ctx, close } = memoryContext(() => clock, SETTLE_MS);
afterAll(close);
/** 60 items of a stamp 1 s old, delivered; the earlier version's text then named the last. */
const STAMP = NOW - 1000;
const first = Array.from({ length: 60 }, (_, i) => `m${String(i).padStart(2, '0')}`);
const position = { watermark: STAMP - 1, throughId: 'm59', entries: [] };
const text = encodeCursor(position);
const earlierText = `1${text.slice(1)}`;

describe('a version-1 cursor naming an id', () => {
  it('is read without its id, whenever it comes back; a version-2 id is kept', () => {
    for (const at of [NOW, NOW + 6000, NOW + 3_600_000]) {
      expect(checkCursor(earlierText, at, RETENTION_MS)).toEqual({
        ok: true,
        cursor: { watermark: STAMP - 1, entries: [] },
      });
      expect(checkCursor(text, at, RETENTION_MS)).toEqual({ ok: true, cursor: position });
    }
    expect(text.startsWith('2.')).toBe(true);
  });

  it.each([
    ['at once', 0],
    ['after the stamp settled', 6000],
  ])('gives the client the items that landed below the id later (%s), repeating only that stamp', (_, later) => {
    clock = NOW + later;
    try {
      const rows = [...first, 'a00', 'a01', 'a02'].map((id) => rowOf(STAMP, id)).sort((a, b) => (a.sk < b.sk ? -1 : 1));
      const parsed = checkCursor(earlierText, clock, RETENTION_MS);
      if (!parsed.ok) throw new Error(`refused: ${parsed.reason}`);

      const read = readAppended(ctx, parsed.cursor, 100, rows, true);
      const delivered = read.entries.map((entry) => entry.item.item_id);

      expect(delivered).toEqual(expect.arrayContaining(['a00', 'a01', 'a02']));
      for (const id of delivered) expect([...first, 'a00', 'a01', 'a02']).toContain(id);
    } finally {
      clock = NOW;
    }
  });
});
