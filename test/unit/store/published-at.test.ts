/**
 * One reading of an item's `timestamp` (src/dashboard/shared/published-at.js), used by the
 * server's history and by the dashboard: every form the contract accepts reads as the instant it
 * names, a leap second as the next second; the forms it refuses (an offset without minutes, no
 * seconds, no offset) read as nothing, and the contract's pattern refuses exactly those.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { publishedAtMs } from '../../../src/dashboard/shared/published-at.js';

const schema = parse(readFileSync(new URL('../../../specs/schemas/published-at.yaml', import.meta.url), 'utf8')) as {
  pattern: string;
};
const contractAccepts = (text: string) => new RegExp(schema.pattern, 'u').test(text);

describe('publishedAtMs', () => {
  it.each([
    ['2026-12-07T10:55:11Z', '2026-12-07T10:55:11.000Z'],
    ['2026-12-07t10:55:11z', '2026-12-07T10:55:11.000Z'],
    ['2026-12-07 10:55:11Z', '2026-12-07T10:55:11.000Z'],
    ['2026-12-07T10:55:11.120Z', '2026-12-07T10:55:11.120Z'],
    ['2026-12-07T11:55:11+01:00', '2026-12-07T10:55:11.000Z'],
    ['2026-12-07T05:25:11-05:30', '2026-12-07T10:55:11.000Z'],
    ['2026-12-31T23:59:60Z', '2027-01-01T00:00:00.000Z'],
    ['2026-12-31T23:59:60.5+00:00', '2027-01-01T00:00:00.500Z'],
  ])('reads %s as %s, and the contract accepts it', (text, instant) => {
    expect(publishedAtMs(text)).toBe(Date.parse(instant));
    expect(contractAccepts(text)).toBe(true);
  });

  it.each([
    '2026-12-07T10:55:11+00',
    '2026-12-07T10:55:11+0000',
    '2026-12-07T10:55+00:00',
    '2026-12-07T10:55:11',
    '2026-12-07',
    '20261207T105511Z',
    '2026-12-07T10:55:11 Z',
  ])('reads %s as nothing, and the contract refuses it', (text) => {
    expect(publishedAtMs(text)).toBeNaN();
    expect(contractAccepts(text)).toBe(false);
  });

  it('reads a value whenever the contract accepts one whose date exists', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        (date) => {
          const text = date.toISOString();
          expect(contractAccepts(text)).toBe(true);
          expect(publishedAtMs(text)).toBe(date.getTime());
        },
      ),
    );
  });
});
