/**
 * `npm run generate`: regenerates generated/ from specs/. Deterministic: the same specs give the
 * same bytes, so CI can require `git diff --exit-code -- generated/` to be clean afterwards.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { defineCommand, readCommandLine } from '../src/cli/usage.ts';

const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'generated');

readCommandLine(
  defineCommand({
    command: 'npm run generate',
    summary:
      'Regenerates generated/ (types, event models, validators, operation and event indexes) from specs/openapi.yaml and ' +
      'specs/asyncapi.yaml, replacing the folder. Deterministic: the same specs give the same bytes. ' +
      'Reads no environment variables.',
    options: {},
  }),
);

try {
  // Loaded after the command line is read: the spec parsers take seconds to load, --help should not.
  const { generateAll } = await import('./codegen/generate-all.ts');
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
