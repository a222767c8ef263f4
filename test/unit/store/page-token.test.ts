/** Page tokens of `GET /api/v2/items`: total parsing of client text, canonical round trips, bounds. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPageToken, decodePageToken, encodePageToken, MAX_PAGE_TOKEN_LENGTH } from '../../../src/store/newest.ts';
import { MAX_CLOCK_SKEW_MS } from '../../../src/feed/cursor.ts';
import { MAX_QUERIES_PER_READ } from '../../../src/store/feed.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const RETENTION_MS = 7 * 86_400_000;
const stamp = (ms: number) => String(ms).padStart(13, '0');

const itemId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
const ticker = fc.stringMatching(/^[A-Z][A-Z0-9]{0,5}([.-][A-Z0-9]{1,3})?$/);
const scope = fc.oneof(fc.constant('*'), ticker);
/** A token this service could issue now: a key inside the retention, an item's or an hour's. */
const validToken = fc.record({
  k: fc
    .tuple(fc.integer({ min: NOW - RETENTION_MS, max: NOW }), fc.option(itemId, { nil: '' }))
    .map(([ms, id]) => `${stamp(ms)}#${id}`),
  s: scope,
});

describe('page tokens', () => {
  it('round-trip, stay within the length cap and the contract alphabet', () => {
    fc.assert(
      fc.property(validToken, (token) => {
        const text = encodePageToken(token);
        expect(text.length).toBeLessThanOrEqual(MAX_PAGE_TOKEN_LENGTH);
        expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodePageToken(text)).toEqual(token);
        const ticker = token.s === '*' ? undefined : token.s;
        expect(checkPageToken(text, ticker, NOW, RETENTION_MS)).toEqual({ ok: true, page: token });
      }),
    );
  });

  it('parses any client text without throwing, accepting only canonical tokens', () => {
    const mutated = validToken.chain((token) =>
      fc.tuple(fc.nat({ max: 300 }), fc.string({ maxLength: 3 })).map(([at, insert]) => {
        const text = encodePageToken(token);
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + 1);
      }),
    );
    const jsonish = fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value)).toString('base64url'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), mutated, jsonish), (text) => {
        const token = decodePageToken(text);
        if (token !== null) expect(encodePageToken(token)).toBe(text);
        expect(() => checkPageToken(text, undefined, NOW, RETENTION_MS)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a token for another listing, a key outside the retention or in the future, and huge text', () => {
    const aapl = encodePageToken({ k: `${stamp(NOW - 1000)}#a-1`, s: 'AAPL' });
    const check = (text: string, forTicker?: string) => checkPageToken(text, forTicker, NOW, RETENTION_MS);
    const malformed = { ok: false, reason: 'malformed' };

    expect(check(aapl, 'AAPL').ok).toBe(true);
    expect(check(aapl, 'MSFT')).toEqual(malformed);
    expect(check(aapl)).toEqual(malformed);
    expect(check(encodePageToken({ k: `${stamp(NOW - 1000)}#a-1`, s: '*' }), 'AAPL')).toEqual(malformed);
    expect(check(encodePageToken({ k: `${stamp(NOW + MAX_CLOCK_SKEW_MS + 1)}#a`, s: '*' }))).toEqual(malformed);
    expect(check(encodePageToken({ k: '9999999999999#a', s: '*' }))).toEqual(malformed);
    expect(check(encodePageToken({ k: `${stamp(NOW - RETENTION_MS - 1)}#a`, s: '*' }))).toEqual({
      ok: false,
      reason: 'expired',
    });
    // The format of earlier releases (no scope) and other shapes are not ours.
    expect(check(Buffer.from(JSON.stringify({ k: `${stamp(NOW)}#a` })).toString('base64url'))).toEqual(malformed);
    expect(check('A'.repeat(MAX_PAGE_TOKEN_LENGTH + 1))).toEqual(malformed);
    expect(check('A'.repeat(1_000_000))).toEqual(malformed);
  });

  it('are documented with the same per-read query budget the store enforces', () => {
    const spec = readFileSync(resolve(import.meta.dirname, '../../../specs/openapi.yaml'), 'utf8');
    expect(spec.replace(/\s+/g, ' ')).toContain(`at most ${MAX_QUERIES_PER_READ} store queries per read`);
  });
});
