/**
 * `npm run generate`: regenerates generated/ from specs/. Deterministic: the same specs give the
 * same bytes, so CI can require `git diff --exit-code -- generated/` to be clean afterwards.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generateAll } from './codegen/generate-all.ts';

const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'generated');

try {
  const tree = await generateAll(join(root, 'specs'));
  // Start from an empty folder so a removed operation or message leaves no orphan behind.
  rmSync(outDir, { recursive: true, force: true });
  for (const [path, content] of tree) {
    mkdirSync(dirname(join(outDir, path)), { recursive: true });
    writeFileSync(join(outDir, path), content);
  }
  process.stdout.write(`generated/: ${tree.size} files from specs/openapi.yaml and specs/asyncapi.yaml\n`);
} catch (error) {
  process.stderr.write(`npm run generate failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
