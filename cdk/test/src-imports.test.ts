/**
 * cdk/ may take only pure constants from src/: a src/ file it imports must import nothing itself,
 * so synthesizing the stack never loads the AWS SDK or any other runtime package.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const CDK_ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC_ROOT = resolve(CDK_ROOT, '../src');
/** `import … from '…'` and `export … from '…'`, static or side-effect only. */
const IMPORT = /^\s*(?:import|export)\b[^'"]*?(?:from\s*)?['"]([^'"]+)['"]/gm;

const specifiers = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => match[1] ?? '');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'cdk.out') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? tsFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

it('imports from src/ only files that import nothing', () => {
  const fromSrc = tsFiles(CDK_ROOT).flatMap((file) =>
    specifiers(file)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolve(dirname(file), specifier))
      .filter((target) => target.startsWith(`${SRC_ROOT}/`))
      .map((target) => ({ file: relative(CDK_ROOT, file), target: relative(SRC_ROOT, target) })),
  );
  expect(fromSrc.length).toBeGreaterThan(0);
  for (const { file, target } of fromSrc) {
    expect({ file, target, imports: specifiers(join(SRC_ROOT, target)) }).toEqual({ file, target, imports: [] });
  }
});
