/**
 * A page token has exactly one spelling (src/store/newest.ts, `decodePageToken`): the same
 * position written any other way (its fields in another order, JSON spacing, a field more, an
 * escaped character) is not a token this service issued, and is refused as malformed before it
 * can drive a read, although it decodes to a valid position.
 */
import { describe, expect, it } from 'vitest';
import { checkPageToken, decodePageToken, encodePageToken } from '../../../src/store/newest.ts';

const NOW = Date.parse('2026-11-21T09:30:00.000Z');
const RETENTION_MS = 7 * 86_400_000;
const k = `${String(NOW - 60_000).padStart(13, '0')}#item-1`;
const asToken = (json: string) => Buffer.from(json).toString('base64url');

describe('a page token spelled otherwise than the service writes it', () => {
  it('is accepted as the service writes it', () => {
    const issued = encodePageToken({ k, s: 'AAPL' });

    expect(issued).toBe(asToken(JSON.stringify({ k, s: 'AAPL' })));
    expect(checkPageToken(issued, 'AAPL', NOW, RETENTION_MS)).toEqual({ ok: true, page: { k, s: 'AAPL' } });
  });

  it.each([
    ['its fields in the other order', `{"s":"AAPL","k":"${k}"}`],
    ['spaces in its JSON', `{ "k": "${k}", "s": "AAPL" }`],
    ['a field more', `{"k":"${k}","s":"AAPL","x":1}`],
    ['an escaped character', `{"k":"${k.replace('i', '\\u0069')}","s":"AAPL"}`],
  ])('is refused as malformed when written with %s', (_how, json) => {
    // The same position as the issued token…
    expect(JSON.parse(json)).toMatchObject({ k, s: 'AAPL' });

    // …spelled differently: not ours.
    expect(decodePageToken(asToken(json))).toBeNull();
    expect(checkPageToken(asToken(json), 'AAPL', NOW, RETENTION_MS)).toEqual({ ok: false, reason: 'malformed' });
  });
});
