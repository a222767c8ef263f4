import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateAll } from '../../scripts/codegen/generate-all.ts';

const root = resolve(import.meta.dirname, '../..');
const generatedDir = join(root, 'generated');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('generated/', () => {
  it('is what `npm run generate` makes from specs/ (regenerate and commit when this fails)', async () => {
    // Prepare
    const expected = await generateAll(join(root, 'specs'));

    // Act
    const problems: string[] = [];
    for (const [path, content] of expected) {
      const file = join(generatedDir, path);
      if (!existsSync(file)) problems.push(`generated/${path} is missing`);
      else if (readFileSync(file, 'utf8') !== content) problems.push(`generated/${path} is stale`);
    }
    for (const path of filesUnder(generatedDir)) {
      if (!expected.has(path)) problems.push(`generated/${path} is not produced by the generator (remove it)`);
    }

    // Assess
    expect(problems, 'run `npm run generate` and commit generated/').toEqual([]);
  });

  it('is byte-identical when generated twice', async () => {
    const first = await generateAll(join(root, 'specs'));
    const second = await generateAll(join(root, 'specs'));
    expect([...second]).toEqual([...first]);
  });
});
