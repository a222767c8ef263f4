/**
 * The engine's boundary: src/stream depends on its own ports and the contract's types only, and
 * the store still fits the feed port (so every host can pass a Store where a FeedSource is due).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Store } from '../../../src/store/index.ts';
import type { FeedSource } from '../../../src/stream/ports.ts';

const ENGINE = new URL('../../../src/stream/', import.meta.url);
const FORBIDDEN = [/^\.\.\/(store|http|lambda|runtime|observability)\//, /^express$/, /^@aws-sdk\//, /^prom-client$/];

describe('stream engine ports', () => {
  it('imports nothing from the store, the hosts, express, the AWS SDK or prom-client', () => {
    const offending: string[] = [];
    for (const file of readdirSync(ENGINE).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(new URL(file, ENGINE), 'utf8');
      for (const [, specifier = ''] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
        if (FORBIDDEN.some((pattern) => pattern.test(specifier))) offending.push(`${file}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('is implemented by the store', () => {
    expectTypeOf<Store>().toExtend<FeedSource>();
  });

  it('is all the store takes from the engine: its types, not copies; the cursor is the feed’s (src/feed)', () => {
    const STORE = new URL('../../../src/store/', import.meta.url);
    const fromEngine: string[] = [];
    for (const file of readdirSync(STORE).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(new URL(file, STORE), 'utf8');
      for (const [, specifier = ''] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
        if (specifier.startsWith('../stream/') && specifier !== '../stream/ports.ts')
          fromEngine.push(`${file}: ${specifier}`);
      }
      // No declaration of the port's own shapes: the store uses ports.ts's.
      for (const name of ['FeedRead', 'FeedEntry', 'Aggregates', 'FeedReadOptions']) {
        if (new RegExp(`\\binterface ${name}\\b`).test(source)) fromEngine.push(`${file}: declares ${name}`);
      }
    }
    expect(fromEngine).toEqual([]);
  });
});
