import { describe, expect, it } from 'vitest';
import { safeEqual } from '../../../src/auth/index.ts';

describe('safeEqual', () => {
  it.each([
    ['identical keys', 'ingest-key-0123456789abcdef', 'ingest-key-0123456789abcdef', true],
    ['two empty strings', '', '', true],
    ['identical non-ASCII text', 'clé-ünïcödé-🔑', 'clé-ünïcödé-🔑', true],
    ['keys differing in the last character', 'ingest-key-0123456789abcdef', 'ingest-key-0123456789abcdeg', false],
    ['keys differing in the first character', 'ingest-key-0123456789abcdef', 'Ingest-key-0123456789abcdef', false],
    ['a prefix of the key', 'ingest-key-0123456789abcdef', 'ingest-key', false],
    ['a longer value that starts with the key', 'ingest-key', 'ingest-key-and-more', false],
    ['an empty guess against a key', '', 'ingest-key', false],
    ['a key against an empty secret', 'ingest-key', '', false],
    ['case variants', 'IngestKey', 'ingestkey', false],
  ])('compares %s', (_name, a, b, expected) => {
    // Act
    const forwards = safeEqual(a, b);
    const backwards = safeEqual(b, a);

    // Assess
    expect(forwards).toBe(expected);
    expect(backwards).toBe(expected);
  });

  it('does not throw on very different lengths, unlike timingSafeEqual on raw buffers', () => {
    // Prepare
    const long = 'x'.repeat(100_000);

    // Act
    const call = (): boolean => safeEqual('x', long);

    // Assess
    expect(call).not.toThrow();
    expect(call()).toBe(false);
  });
});
