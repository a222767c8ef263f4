/**
 * Values read back from DynamoDB are decoded (src/store/decode.ts and the decoders next to each
 * row kind), never cast: a row of the wrong shape must fail where it is read, as a StoreDataError,
 * not travel on under a type it does not have. This test finds every `as` assertion in src/store
 * with the TypeScript parser and holds it to the list below, where each has its reason. A new
 * cast fails here until it is replaced by a decoder or given a reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const STORE = new URL('../../../src/store/', import.meta.url);

/** The casts src/store keeps, per file, and why none of them is a value read from the table. */
const ALLOWED: Readonly<Record<string, { readonly casts: number; readonly reason: string }>> = {
  'decode.ts': {
    casts: 1,
    reason: 'asRecord: a value it has just checked is an object and not an array, typed as a string-keyed map',
  },
  'dynalite-server.ts': {
    casts: 4,
    reason:
      'dynalite ships no types: its factory, its request listeners and the response end it wraps, as Node types them',
  },
  'dynalite-worker.ts': {
    casts: 2,
    reason: 'the workerData embedded-dynalite.ts sends, and the address of a server listening on TCP',
  },
  'write-meter.ts': {
    casts: 12,
    reason:
      "the SDK's own serialized request (DynamoDB's wire JSON) and the consumed capacity it reports, read to measure write costs for the benchmarks; nothing of it is stored or served",
  },
};

/** Every `x as T` in `source` but `as const`, as text. */
function castsIn(fileName: string, source: string): string[] {
  const casts: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isAsExpression(node) && node.type.getText() !== 'const') casts.push(node.getText());
    if (ts.isTypeAssertionExpression(node)) casts.push(node.getText());
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true));
  return casts;
}

describe('casts in src/store', () => {
  const found = Object.fromEntries(
    readdirSync(STORE)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => [name, castsIn(name, readFileSync(new URL(name, STORE), 'utf8'))] as const)
      .filter(([, casts]) => casts.length > 0),
  );

  it('are only those listed with a reason', () => {
    const counts = Object.fromEntries(Object.entries(found).map(([file, casts]) => [file, casts.length]));
    const allowed = Object.fromEntries(Object.entries(ALLOWED).map(([file, entry]) => [file, entry.casts]));
    expect(counts, JSON.stringify(found, null, 2)).toEqual(allowed);
  });

  it('are found by this test (it would see a new one)', () => {
    expect(castsIn('probe.ts', 'const row = item as Marker; const ok = [1] as const;')).toEqual(['item as Marker']);
    expect(castsIn('probe.ts', 'const row = <Marker>item;')).toEqual(['<Marker>item']);
  });
});
