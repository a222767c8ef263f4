import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSpec } from '../../../scripts/codegen/bundle-spec.ts';

/** Writes `files` (relative path → YAML text) into a fresh folder and returns its path. */
function specFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tickerpulse-bundle-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('bundleSpec', () => {
  it('moves shared files to components.schemas under their titles, following nested references', () => {
    const dir = specFolder({
      'api.yaml':
        'components:\n  schemas:\n    Item:\n      $ref: ./schemas/item.yaml\npaths:\n  /x:\n    get:\n      x-schema:\n        $ref: ./schemas/item.yaml\n',
      'schemas/item.yaml': 'title: Item\ntype: object\nproperties:\n  ticker:\n    $ref: ./ticker.yaml\n',
      'schemas/ticker.yaml': 'title: Ticker\ntype: string\n',
    });

    const { document, sharedFiles } = bundleSpec(join(dir, 'api.yaml'));

    expect(document.components).toEqual({
      schemas: {
        Item: { title: 'Item', type: 'object', properties: { ticker: { $ref: '#/components/schemas/Ticker' } } },
        Ticker: { title: 'Ticker', type: 'string' },
      },
    });
    expect(document.paths).toEqual({ '/x': { get: { 'x-schema': { $ref: '#/components/schemas/Item' } } } });
    expect([...sharedFiles]).toEqual([
      ['Item', 'schemas/item.yaml'],
      ['Ticker', 'schemas/ticker.yaml'],
    ]);
  });

  it.each([
    [
      'a shared schema without a title',
      { 'schemas/a.yaml': 'type: string\n' },
      'schemas/a.yaml: a shared schema needs a PascalCase "title"',
    ],
    [
      'two files with one title',
      { 'schemas/a.yaml': 'title: Same\n', 'schemas/b.yaml': 'title: Same\n' },
      'schemas/b.yaml: title "Same" is already used by schemas/a.yaml',
    ],
    ['a reference into a file', { 'schemas/a.yaml': 'title: A\n' }, 'points into a file', './schemas/a.yaml#/x'],
    ['a missing file', {}, 'schemas/a.yaml: cannot read YAML'],
    ['invalid YAML', { 'schemas/a.yaml': 'title: [unclosed\n' }, 'schemas/a.yaml: cannot read YAML'],
  ])('refuses %s with a message naming the file', (_name, files, message, firstRef = './schemas/a.yaml') => {
    const dir = specFolder({
      'api.yaml': `paths:\n  /a:\n    x-a:\n      $ref: ${firstRef}\n    x-b:\n      $ref: ./schemas/b.yaml\n`,
      'schemas/b.yaml': 'title: B\n',
      ...files,
    });
    expect(() => bundleSpec(join(dir, 'api.yaml'))).toThrow(message);
  });
});
