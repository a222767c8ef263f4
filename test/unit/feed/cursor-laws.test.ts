/**
 * The laws of feed cursors, checked with generated inputs: the wire format round-trips, parsing
 * is total on anything a client can send, positions are bounded by the clock, and advancing never
 * forgets what was delivered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advanceCursor,
  checkCursor,
  type CursorEntry,
  cursorCovers,
  decodeCursor,
  encodeCursor,
  type FeedCursor,
  itemHash,
  MAX_CLOCK_SKEW_MS,
  MAX_CURSOR_LENGTH,
  MAX_ENTRIES,
  serialId,
} from '../../../src/feed/cursor.ts';
import { asText } from '../../support/cursor-text.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const RETENTION_MS = 7 * 86_400_000;
const SETTLE_MS = 5000;
const SSE_SAFE = /^[A-Za-z0-9._~-]+$/;

const hashArb = fc.stringMatching(/^[A-Za-z0-9_-]{8}$/);

/** Any item id the contract allows. */
const itemIdArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);

/** Any cursor this service could hand out now: inside the retention, no position in the future. */
const validCursor: fc.Arbitrary<FeedCursor> = fc
  .record({
    watermark: fc.integer({ min: NOW - RETENTION_MS, max: NOW - 1 }),
    throughId: fc.option(itemIdArb, { nil: undefined }),
    entries: fc.uniqueArray(fc.record({ offset: fc.integer({ min: 1, max: RETENTION_MS }), hash: hashArb }), {
      maxLength: MAX_ENTRIES,
      selector: (entry) => entry.hash,
    }),
  })
  .map(({ watermark, throughId, entries }) => ({
    watermark,
    ...(throughId === undefined ? {} : { throughId }),
    entries: entries
      .map((entry): CursorEntry => ({ arrivalMs: Math.min(watermark + entry.offset, NOW), hash: entry.hash }))
      .filter((entry) => entry.arrivalMs > watermark)
      .sort((a, b) => a.arrivalMs - b.arrivalMs || (a.hash < b.hash ? -1 : 1)),
  }));

/** Strings a client might send: random text, near-misses of real cursors, and long ones. */
const clientText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.stringMatching(/^[0-9a-z.~A-Z_-]{0,60}$/),
  validCursor.chain((cursor) =>
    fc.tuple(fc.nat({ max: 200 }), fc.string({ maxLength: 3 }), fc.nat({ max: 3 })).map(([at, insert, cut]) => {
      const text = encodeCursor(cursor);
      const i = at % (text.length + 1);
      return text.slice(0, i) + insert + text.slice(i + cut);
    }),
  ),
  fc.nat({ max: 5000 }).map((n) => `1.${'a'.repeat(n)}`),
  // Near-misses of serials: leading zeros, empty, twice, other characters.
  fc
    .tuple(validCursor, fc.stringMatching(/^[0-9a-z.~_-]{0,14}$/))
    .map(([cursor, tail]) => `${encodeCursor(cursor)}.~${tail}`),
);

describe('cursor wire format', () => {
  it('round-trips every valid cursor, in both directions', () => {
    fc.assert(
      fc.property(validCursor, (cursor) => {
        const text = encodeCursor(cursor);
        expect(decodeCursor(text)).toEqual(cursor);
        expect(encodeCursor(decodeCursor(text) as FeedCursor)).toBe(text);
        expect(checkCursor(text, NOW, RETENTION_MS)).toEqual({ ok: true, cursor });
      }),
    );
  });

  it('is SSE-safe and within the contract length for every valid cursor', () => {
    fc.assert(
      fc.property(validCursor, (cursor) => {
        const text = encodeCursor(cursor);
        expect(text).toMatch(SSE_SAFE);
        expect(text.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
      }),
    );
  });

  it('parses any client text without throwing, and accepts only canonical cursors', () => {
    fc.assert(
      fc.property(clientText, (text) => {
        const decoded = decodeCursor(text);
        const checked = checkCursor(text, NOW, RETENTION_MS);
        if (decoded === null) expect(checked).toEqual({ ok: false, reason: 'malformed' });
        else if (text.startsWith('1')) {
          // The earlier version: the same text as this one's, read without its id.
          const { throughId: _dropped, ...current } = decodeCursor(`2${text.slice(1)}`) ?? { throughId: 'none' };
          expect(decoded).toEqual(current);
        } else {
          // Canonical: the position as encoded, then at most a canonical serial.
          const position = encodeCursor(decoded);
          const serial = text.slice(position.length + 2);
          expect(text === position || (text === `${position}.~${serial}` && /^[1-9a-z][0-9a-z]*$/.test(serial))).toBe(
            true,
          );
        }
        if (text.length > MAX_CURSOR_LENGTH) expect(decoded).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('gives each serial its own id, and every serial id the position it was made from', () => {
    fc.assert(
      fc.property(validCursor, fc.integer({ min: 1, max: 2 ** 53 - 1 }), fc.integer({ min: 1 }), (cursor, a, b) => {
        const position = encodeCursor(cursor);
        const id = serialId(position, a);
        expect(id).toMatch(SSE_SAFE);
        expect(id.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
        expect(decodeCursor(id)).toEqual(cursor);
        expect(checkCursor(id, NOW, RETENTION_MS)).toEqual({ ok: true, cursor });
        // A serial replaces a serial: the id of a serial id is that of its position.
        expect(serialId(id, b)).toBe(serialId(position, b));
        if (a !== b) expect(serialId(position, b)).not.toBe(id);
        expect(id).not.toBe(position);
      }),
    );
  });

  it('refuses a serial that is not canonical, or not last', () => {
    const position = '1.mhx3k9q0.5~Qm9vYWJj';
    expect(decodeCursor(`${position}.~1z`)).not.toBeNull();
    for (const text of [
      `${position}.~`,
      `${position}.~0`,
      `${position}.~01`,
      `${position}.~1.~2`,
      `${position}.~A`,
      `1.mhx3k9q0.~1.5~Qm9vYWJj`,
      `${position}.~${'z'.repeat(13)}`,
    ]) {
      expect(decodeCursor(text), text).toBeNull();
    }
  });

  it('refuses an id through W + 1 that is not an item id, or not in its canonical spelling', () => {
    const through = (id: string) => `2.mhx3k9q0_${Buffer.from(id).toString('base64url')}.5~Qm9vYWJj`;
    expect(decodeCursor(through('reuters-2026:aapl.0042'))).toMatchObject({ throughId: 'reuters-2026:aapl.0042' });
    // The earlier version's id may name an unsettled stamp: read without it (earlier-cursor-ids.test.ts).
    expect(decodeCursor(`1${through('reuters-2026:aapl.0042').slice(1)}`)).toEqual({
      watermark: parseInt('mhx3k9q0', 36),
      entries: [{ arrivalMs: parseInt('mhx3k9q0', 36) + 5, hash: 'Qm9vYWJj' }],
    });
    for (const text of [
      through('has space'),
      through('-leading-dash'),
      through('é'),
      through('x'.repeat(129)),
      '2.mhx3k9q0_',
      '2.mhx3k9q0_QR',
      '2.mhx3k9q0_QQ==',
      '2.mhx3k9q0_QQ_QQ',
      '2_QQ.mhx3k9q0',
      '3.mhx3k9q0',
    ]) {
      expect(decodeCursor(text), text).toBeNull();
    }
  });

  it('refuses long and many-entry texts', () => {
    const entry = (i: number) => `.${(i + 1).toString(36)}~${String(i).padStart(8, 'A')}`;
    const withEntries = (n: number) => `1.mhx3k9q0${Array.from({ length: n }, (_, i) => entry(i)).join('')}`;
    expect(decodeCursor(withEntries(MAX_ENTRIES))).not.toBeNull();
    expect(decodeCursor(withEntries(MAX_ENTRIES + 1))).toBeNull();
    expect(decodeCursor(`1.${'a'.repeat(100_000)}`)).toBeNull();
  });
});

describe('cursor bounds', () => {
  it('calls a watermark older than the retention expired', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: NOW - RETENTION_MS - 1 }), (watermark) => {
        expect(checkCursor(encodeCursor({ watermark, entries: [] }), NOW, RETENTION_MS)).toEqual({
          ok: false,
          reason: 'expired',
        });
      }),
    );
  });

  it('calls any position beyond now plus the clock skew malformed (no instance wrote it)', () => {
    const future = fc.integer({ min: NOW + MAX_CLOCK_SKEW_MS + 1, max: 10_000_000_000_000 });
    fc.assert(
      fc.property(future, hashArb, (at, hash) => {
        const inWatermark = encodeCursor({ watermark: at, entries: [] });
        const inEntry = encodeCursor({ watermark: NOW - 1000, entries: [{ arrivalMs: at, hash }] });
        expect(checkCursor(inWatermark, NOW, RETENTION_MS)).toEqual({ ok: false, reason: 'malformed' });
        expect(checkCursor(inEntry, NOW, RETENTION_MS)).toEqual({ ok: false, reason: 'malformed' });
      }),
    );
  });
});

describe('advanceCursor', () => {
  /** Items delivered by one read; an item id has one feed position, so ids never repeat across reads. */
  const deliveryOf = (prefix: string) =>
    fc.uniqueArray(
      fc.record({
        itemId: fc.stringMatching(/^[a-z0-9]{1,12}$/).map((id) => `${prefix}${id}`),
        arrivalMs: fc.integer({ min: NOW - 20_000, max: NOW }),
      }),
      { maxLength: 80, selector: (item) => item.itemId },
    );
  /** Where a read that stopped early saw everything up to (a stamp, and in it an id, or not). */
  const throughArb = fc.option(
    fc.record(
      { arrivalMs: fc.integer({ min: NOW - 30_000, max: NOW }), itemId: fc.stringMatching(/^[a-z0-9]{1,12}$/) },
      { requiredKeys: ['arrivalMs'] },
    ),
    { nil: undefined },
  );
  const readArgs = fc.record({ readAt: fc.integer({ min: NOW - 10_000, max: NOW + 10_000 }), through: throughArb });
  const earlier = fc.tuple(fc.integer({ min: NOW - 30_000, max: NOW - 10_000 }), deliveryOf('a'));
  const start = earlier.map(([watermark, items]) =>
    advanceCursor({ watermark, entries: [] }, items, watermark, 0, { arrivalMs: watermark + 1 }),
  );
  /** A later read: new items, plus some of the earlier ones again (a resumed reader re-reads them). */
  const scenario = earlier.chain(([watermark, first]) =>
    fc.record({
      cursor: fc.constant(advanceCursor({ watermark, entries: [] }, first, watermark, 0, { arrivalMs: watermark + 1 })),
      items: fc
        .tuple(deliveryOf('b'), fc.subarray(first))
        .map(([fresh, again]) => [...fresh, ...again].sort((x, y) => x.arrivalMs - y.arrivalMs)),
      read: readArgs,
    }),
  );
  const delivery = deliveryOf('b');

  it('never moves the watermark back, remembers every delivery, and forgets nothing it covered', () => {
    fc.assert(
      fc.property(scenario, ({ cursor, items, read: { readAt, through } }) => {
        const next = advanceCursor(cursor, items, readAt, SETTLE_MS, through);

        expect(next.watermark).toBeGreaterThanOrEqual(cursor.watermark);
        for (const item of items) expect(cursorCovers(next, item)).toBe(true);
        for (const entry of cursor.entries) {
          // Whatever the old cursor listed is still covered: listed, or under the new watermark.
          const listed = next.entries.some((e) => e.hash === entry.hash && e.arrivalMs === entry.arrivalMs);
          expect(listed || entry.arrivalMs <= next.watermark).toBe(true);
        }
      }),
    );
  });

  it('lists every delivery above the watermark, however many, in wire order', () => {
    fc.assert(
      fc.property(start, delivery, readArgs, (cursor, items, { readAt, through }) => {
        const next = advanceCursor(cursor, items, readAt, SETTLE_MS, through);

        for (const entry of next.entries) expect(entry.arrivalMs).toBeGreaterThan(next.watermark);
        const named = (item: { arrivalMs: number; itemId: string }) =>
          next.throughId !== undefined && item.arrivalMs === next.watermark + 1 && item.itemId <= next.throughId;
        for (const item of items.filter((item) => item.arrivalMs > next.watermark && !named(item)))
          expect(asText(next).entries).toContainEqual({ arrivalMs: item.arrivalMs, hash: itemHash(item.itemId) });
        const wireOrder = [...next.entries].sort((x, y) => x.arrivalMs - y.arrivalMs || (x.hash < y.hash ? -1 : 1));
        expect(next.entries).toEqual(wireOrder);
      }),
    );
  });

  it('names an id only for a settled stamp right above the watermark', () => {
    fc.assert(
      fc.property(start, delivery, readArgs, (cursor, items, { readAt, through }) => {
        const next = advanceCursor(cursor, items, readAt, SETTLE_MS, through);
        if (next.throughId === undefined || next.throughId === cursor.throughId) return;
        expect(through).toEqual({ arrivalMs: next.watermark + 1, itemId: next.throughId });
        expect(next.watermark + 1).toBeLessThanOrEqual(readAt - SETTLE_MS);
      }),
    );
  });

  it('as text claims no more than it knows: exact up to MAX_ENTRIES, then the newest entries', () => {
    fc.assert(
      fc.property(start, delivery, readArgs, (cursor, items, { readAt, through }) => {
        const next = advanceCursor(cursor, items, readAt, SETTLE_MS, through);
        const text = decodeCursor(encodeCursor(next));

        if (next.entries.length <= MAX_ENTRIES) expect(text).toEqual(asText(next));
        else expect(text).toEqual(asText({ ...next, entries: next.entries.slice(-MAX_ENTRIES) }));
      }),
    );
  });

  it('moves the watermark no further than the read may vouch for', () => {
    fc.assert(
      fc.property(start, readArgs, (cursor, { readAt, through }) => {
        const next = advanceCursor(cursor, [], readAt, SETTLE_MS, through);
        const upTo = through === undefined ? Infinity : through.arrivalMs - 1;
        expect(next.watermark).toBe(Math.max(cursor.watermark, Math.min(readAt - SETTLE_MS, upTo)));
      }),
    );
  });

  it('hashes ids into 8 SSE-safe characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 128 }), (id) => {
        expect(itemHash(id)).toMatch(/^[A-Za-z0-9_-]{8}$/);
      }),
    );
  });
});
