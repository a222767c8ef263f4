/**
 * Benchmarks start the server as `npm start` and `npm run serve` do (scripts/lib/npm-script-command.ts),
 * and the image runs `serve` with the same Node options, so what is measured is what runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageSpec } from '../../../scripts/lib/dockerfile.ts';
import { nodeCommandOf } from '../../../scripts/lib/npm-script-command.ts';

const root = resolve(import.meta.dirname, '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'npm-script-command-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function withScripts(scripts: Record<string, string>): string {
  const file = join(scratch, `package-${Object.keys(scripts).join('-')}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ scripts }));
  return file;
}

describe('the node command of an npm script', () => {
  it('reads the environment, the Node options and the entry of npm start and npm run serve', () => {
    for (const [script, entry] of [
      ['start', 'src/main.ts'],
      ['serve', 'src/serve.ts'],
    ] as const) {
      const command = nodeCommandOf(script);
      expect(command.entry).toBe(join(root, entry));
      expect(command.nodeOptions).toContain('--max-semi-space-size=2');
      expect(command.env.NODE_COMPILE_CACHE).toBe(join(root, 'node_modules/.cache/node-compile'));
    }
  });

  it('keeps a value that is not a path as it is', () => {
    const file = withScripts({ start: 'NODE_COMPILE_CACHE=/abs/dir LOG_LEVEL=warn exec node src/main.ts' });
    expect(nodeCommandOf('start', file)).toEqual({
      env: { NODE_COMPILE_CACHE: '/abs/dir', LOG_LEVEL: 'warn' },
      nodeOptions: [],
      entry: join(root, 'src/main.ts'),
    });
  });

  it.each([
    ['no exec', 'node src/main.ts'],
    ['another program', 'exec tsx src/main.ts'],
    ['a second command', 'exec node src/main.ts && echo done'],
    ['an argument after the entry', 'exec node src/main.ts --help'],
    ['an option that is not Node’s form', 'exec node -r x src/main.ts'],
    ['a lower-case variable', 'foo=1 exec node src/main.ts'],
    ['no script', undefined],
  ])('refuses a script with %s', (_case, text) => {
    const file = withScripts(text === undefined ? {} : { start: text });
    expect(() => nodeCommandOf('start', file)).toThrow(/is not "\[NAME=value \.\.\.\] exec node/);
  });

  it('is what the image runs: its CMD and its compile-cache warm-up use the options of npm run serve', () => {
    const serve = nodeCommandOf('serve');
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const spec = imageSpec(dockerfile);
    expect(spec.command).toEqual(['node', ...serve.nodeOptions, 'src/serve.ts']);
    expect(dockerfile).toContain(`node ${serve.nodeOptions.join(' ')} src/serve.ts 2>&1 | grep -q`);
    expect(spec.env.NODE_COMPILE_CACHE).toMatch(/^\/home\/node\//);
  });
});
