/**
 * The dashboard's hand-copied contract patterns (src/dashboard/contract.js) against the spec's
 * shared schemas. The dashboard is served as is from src/dashboard, so it cannot import
 * generated/; this test is what keeps its copies equal to specs/schemas/*.yaml. contract.js has no
 * DOM, so Node imports the very file the browser loads.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** What this test uses of contract.js (plain JavaScript: tsconfig does not check it). */
interface DashboardContract {
  readonly CURSOR: RegExp;
  readonly ITEM_ID: RegExp;
  readonly TICKER: RegExp;
  readonly validItem: (value: unknown) => { readonly item_id: string } | undefined;
}

interface StringSchema {
  readonly pattern: string;
  readonly minLength: number;
  readonly maxLength: number;
  readonly examples?: readonly string[];
}

const contractUrl = pathToFileURL(fileURLToPath(new URL('../../../src/dashboard/contract.js', import.meta.url))).href;
const contract = (await import(contractUrl)) as DashboardContract;

function schema(name: string): StringSchema {
  return parse(readFileSync(new URL(`../../../specs/schemas/${name}.yaml`, import.meta.url), 'utf8')) as StringSchema;
}

/** What JSON Schema accepts: the pattern and the length bounds (in UTF-16 units is fine for these alphabets). */
function specAccepts(spec: StringSchema): (value: string) => boolean {
  const pattern = new RegExp(spec.pattern, 'u');
  return (value) => value.length >= spec.minLength && value.length <= spec.maxLength && pattern.test(value);
}

// Every character class the patterns distinguish, plus characters none of them allows.
const ALPHABET = ['A', 'Z', 'a', 'z', '0', '9', '.', '_', '~', '-', ':', '/', ' ', '+', 'é', '\n'];
const candidates = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 16 }),
    // Around the length bound.
    fc
      .integer({ min: Math.max(0, maxLength - 2), max: maxLength + 2 })
      .chain((length) => fc.string({ unit: fc.constantFrom('A', '1', '.'), minLength: length, maxLength: length })),
  );

describe("the dashboard's contract patterns", () => {
  it.each([
    ['cursor', 'CURSOR'],
    ['item-id', 'ITEM_ID'],
    ['ticker', 'TICKER'],
  ] as const)('accept exactly what specs/schemas/%s.yaml accepts', (file, name) => {
    const spec = schema(file);
    const accepts = specAccepts(spec);
    const dashboard = contract[name];
    for (const example of spec.examples ?? []) expect(dashboard.test(example)).toBe(true);
    fc.assert(
      fc.property(candidates(spec.maxLength), (value) => {
        expect(dashboard.test(value)).toBe(accepts(value));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('an item the API accepted', () => {
  const item = (timestamp: string) => ({
    item_id: 'leap-1',
    ticker: 'AAPL',
    sentiment: 'neutral',
    score: 0,
    timestamp,
    ingested_at: '2027-01-01T00:00:01.000Z',
  });

  it.each(['2026-12-31T23:59:60Z', '2026-12-31T23:59:60.25+00:00', '2026-12-31t23:59:59z', '2026-12-31 23:59:59Z'])(
    'is shown, whatever form of timestamp the contract allows: %s',
    (timestamp) => {
      expect(contract.validItem(item(timestamp))).toMatchObject({ item_id: 'leap-1' });
    },
  );
});
