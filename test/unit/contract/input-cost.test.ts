/**
 * No input may cost more than linear time to validate. Two halves, both checked on the real
 * contract and the real generated validators:
 * - every pattern in either spec is free of super-linear backtracking (recheck's automaton
 *   checker, which decides this exactly for patterns without back-references or look-arounds);
 * - a pattern, format or per-item check never runs on input over its size limit: the answer to
 *   an over-long string or array names only the limit (had the pattern run, it would be listed).
 */
import { join } from 'node:path';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { checkSync } from 'recheck';
import { describe, expect, it } from 'vitest';
import { bundleSpec } from '../../../scripts/codegen/bundle-spec.ts';
import { parseBody, parsePathParams, parseQuery, type ValidationIssue } from '../../../src/contract/index.ts';

const specs = join(import.meta.dirname, '../../../specs');

/** Every `pattern` string anywhere in a bundled spec, with where it is. */
function patternsOf(node: unknown, where: string, out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) node.forEach((child, i) => patternsOf(child, `${where}/${i}`, out));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'pattern' && typeof value === 'string') out.push([where, value]);
      else patternsOf(value, `${where}/${key}`, out);
    }
  }
  return out;
}

const patterns = ['openapi.yaml', 'asyncapi.yaml'].flatMap((file) =>
  patternsOf(bundleSpec(join(specs, file)).document, file),
);

describe('every pattern of the contract runs in linear time', () => {
  it('finds the patterns (ticker, ids, names, cursors, tokens ...)', () => {
    expect(patterns.length).toBeGreaterThanOrEqual(8);
  });

  // ajv compiles patterns with the `u` flag; the uuid format is a regular expression as well.
  const uuid = fullFormats.uuid;
  if (!(uuid instanceof RegExp)) throw new Error('ajv-formats: uuid is no longer a regular expression');
  const cases: [string, string][] = [...patterns, ['ajv-formats uuid', uuid.source]];
  it.each(cases)('%s: %s', (_where, source) => {
    const result = checkSync(source, 'u', { checker: 'automaton', timeout: null });
    expect({
      status: result.status,
      complexity: result.status === 'unknown' ? undefined : result.complexity.type,
    }).toMatchObject({ status: 'safe' });
  });

  it('would catch the configuration name pattern that froze the process', () => {
    const quadratic = '^[^\\u0000-\\u001F\\u007F]*[^\\s\\u0000-\\u001F\\u007F][^\\u0000-\\u001F\\u007F]*$';
    const result = checkSync(quadratic, 'u', { checker: 'automaton', timeout: null });
    expect(result.status).toBe('vulnerable');
  });
});

const messages = (issues: readonly ValidationIssue[]) => issues.map((i) => `${i.pointer} ${i.message}`);
const refused = (result: { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] }) => {
  if (result.ok) throw new Error('expected a refusal');
  return messages(result.issues);
};

/** Long enough that a quadratic check would take minutes, and ends in a control character. */
const HUGE = `${'a'.repeat(200_000)}\u0001`;
const validItem = {
  item_id: 'reuters-1',
  ticker: 'AAPL',
  sentiment: 'positive',
  score: 0.5,
  timestamp: '2026-11-21T09:14:03.120Z',
};

describe('checks that grow with the input run only within the size limits', () => {
  it('refuses a huge configuration name by its length alone', () => {
    expect(refused(parseBody('createConfiguration', { name: HUGE, tickers: ['AAPL'] }))).toEqual([
      '/name must NOT have more than 100 characters',
    ]);
  });

  it('still checks the pattern of a name within the limit', () => {
    expect(refused(parseBody('createConfiguration', { name: 'a\u0001', tickers: ['AAPL'] }))).toEqual([
      '/name has characters or a shape that is not allowed',
    ]);
    expect(refused(parseBody('createConfiguration', { name: ' \u00a0 ', tickers: ['AAPL'] }))).toEqual([
      '/name has characters or a shape that is not allowed',
    ]);
    expect(parseBody('createConfiguration', { name: ' Megacap tech ', tickers: ['AAPL'] }).ok).toBe(true);
  });

  it.each(['item_id', 'ticker', 'source', 'timestamp'])('refuses a huge %s by its length alone', (field) => {
    const issues = refused(parseBody('ingestItems', { items: [{ ...validItem, [field]: HUGE }] }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^/items/0/${field} must NOT have more than \\d+ characters$`));
  });

  it.each(['ticker', 'after', 'page'])('refuses a huge %s query parameter by its length alone', (name) => {
    const issues = refused(parseQuery('listItems', { [name]: HUGE }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^/${name} must NOT have more than \\d+ characters$`));
  });

  it('refuses a huge path parameter by its length alone', () => {
    expect(refused(parsePathParams('getConfiguration', { config_id: HUGE }))).toEqual([
      '/config_id must NOT have more than 36 characters',
    ]);
  });

  it('refuses 100,000 distinct tickers by their number alone (no pairwise uniqueness check)', () => {
    const tickers = Array.from({ length: 100_000 }, (_, i) => `A${i.toString(36).toUpperCase()}`.slice(0, 6));
    expect(refused(parseBody('createConfiguration', { name: 'Big', tickers }))).toEqual([
      '/tickers must NOT have more than 20 items',
    ]);
  });

  it('refuses 100,000 invalid items by their number alone (no error list per item)', () => {
    const items = Array.from({ length: 100_000 }, () => ({}));
    expect(refused(parseBody('ingestItems', { items }))).toEqual(['/items must NOT have more than 25 items']);
  });

  it('still lists duplicate tickers within the limit', () => {
    expect(refused(parseBody('createConfiguration', { name: 'Dup', tickers: ['AAPL', 'AAPL'] }))).toEqual([
      '/tickers must NOT have duplicate items (items ## 0 and 1 are identical)',
    ]);
  });
});
