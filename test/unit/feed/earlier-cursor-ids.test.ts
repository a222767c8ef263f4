/**
 * A cursor from an earlier version of the same format: past 48 entries it named the last id it
 * had delivered in a stamp that was not settled yet (W just below the stamp). Items of that
 * stamp may still land below the id, so such an id is dropped when the cursor is read
 * (`checkCursor`): the client gets those items, and the stamp's others again, and loses none.
 * (Found by an adversarial review, with the earlier version's own code.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkCursor, encodeCursor } from '../../../src/feed/cursor.ts';
import { readAppended } from '../../../src/store/feed.ts';
import { memoryContext, RETENTION_MS, rowOf } from '../../support/rows-in-memory.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const SETTLE_MS = 5000;
const { ctx, close } = memoryContext(() => NOW, SETTLE_MS);
afterAll(close);
/** 60 items of a stamp 1 s old, delivered; the earlier version's text then named the last. */
const STAMP = NOW - 1000;
const first = Array.from({ length: 60 }, (_, i) => `m${String(i).padStart(2, '0')}`);
const earlierText = encodeCursor({ watermark: STAMP - 1, throughId: 'm59', entries: [] });

describe('a cursor naming an id in a stamp that has not settled', () => {
  it('is read without the id while the stamp is unsettled, and with it once settled', () => {
    expect(checkCursor(earlierText, NOW, RETENTION_MS, SETTLE_MS)).toEqual({
      ok: true,
      cursor: { watermark: STAMP - 1, entries: [] },
    });
    expect(checkCursor(earlierText, STAMP + SETTLE_MS, RETENTION_MS, SETTLE_MS)).toMatchObject({
      ok: true,
      cursor: { throughId: 'm59' },
    });
  });

  it('gives the client the items that landed below the id later, repeating only that stamp', () => {
    const rows = [...first, 'a00', 'a01', 'a02'].map((id) => rowOf(STAMP, id)).sort((a, b) => (a.sk < b.sk ? -1 : 1));
    const parsed = checkCursor(earlierText, NOW, RETENTION_MS, SETTLE_MS);
    if (!parsed.ok) throw new Error(`refused: ${parsed.reason}`);

    const read = readAppended(ctx, parsed.cursor, 100, rows, true);
    const delivered = read.entries.map((entry) => entry.item.item_id);

    expect(delivered).toEqual(expect.arrayContaining(['a00', 'a01', 'a02']));
    for (const id of delivered) expect([...first, 'a00', 'a01', 'a02']).toContain(id);
  });
});
