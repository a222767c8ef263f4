import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from '../../../src/http/duplicate-keys.ts';

const scan = (text: string) => findDuplicateKey(Buffer.from(text, 'utf8'));

describe('findDuplicateKey', () => {
  it.each([
    ['a repeated top-level name', '{"items":[],"items":[{}]}', 'items'],
    ['a repeated nested name', '{"items":[{"a":1,"b":{"c":1},"a":2}]}', 'a'],
    ['the same name spelt with an escape', '{"a":1,"\\u0061":2}', 'a'],
    ['a repeated __proto__', '{"__proto__":{},"__proto__":{"x":1}}', '__proto__'],
    ['a repeated non-ASCII name', '{"é€":1,"é€":2}', 'é€'],
  ])('finds %s', (_name, text, expected) => {
    expect(scan(text)).toBe(expected);
  });

  it.each([
    ['equal names in different objects', '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}'],
    ['a string value equal to a name', '{"a":"a","b":["a","a"]}'],
    ['names containing quotes, braces and commas', '{"a\\",\\"a":1,"a":2,"{":"}","[,]":3}'],
    ['a name and a value with escaped backslashes', '{"a\\\\":"\\\\","a":1}'],
  ])('finds nothing in %s', (_name, text) => {
    expect(scan(text)).toBeUndefined();
  });

  it('finds nothing in any JSON.stringify output, and the name repeated in front of it', () => {
    const name = fc.string({ unit: 'binary', maxLength: 8 });
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 }),
        fc.jsonValue(),
        (object, extra) => {
          const text = JSON.stringify(object);
          const [first = ''] = Object.keys(object);
          const withDuplicate = `[1,{${JSON.stringify(first)}:${JSON.stringify(extra)},${text.slice(1)}]`;
          expect(scan(text)).toBeUndefined();
          expect(scan(withDuplicate)).toBe(first);
        },
      ),
      { numRuns: 300 },
    );
  });
});
