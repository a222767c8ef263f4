/**
 * findDuplicateKey (src/http/duplicate-keys.ts) on bodies that are not valid JSON, which it scans
 * before JSON.parse reports them: a name whose escape is not valid JSON is compared as it is
 * spelled, never thrown on, so a repeat is still found and nothing else is made equal to it.
 */
import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from '../../../src/http/duplicate-keys.ts';

const scan = (text: string) => findDuplicateKey(Buffer.from(text, 'utf8'));

describe('findDuplicateKey on malformed names', () => {
  it.each([
    ['an invalid escape given twice', String.raw`{"a\q":1,"a\q":2}`, String.raw`a\q`],
    ['a truncated unicode escape given twice', String.raw`{"\u00":1,"\u00":2}`, String.raw`\u00`],
    ['a name cut off by the end of the body', String.raw`{"ab":1,"ab`, 'ab'],
  ])('finds %s, as spelled', (_name, text, expected) => {
    expect(scan(text)).toBe(expected);
  });

  it.each([
    ['an invalid escape and the letter it would stand for', String.raw`{"a\q":1,"aq":2}`],
    ['two different invalid escapes', String.raw`{"\x41":1,"\x42":2}`],
  ])('finds nothing in %s', (_name, text) => {
    expect(scan(text)).toBeUndefined();
  });
});
