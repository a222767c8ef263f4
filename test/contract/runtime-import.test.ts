import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

it('loads in a plain Node 24 process: no bundler, no transpiler, ajv validators from .cjs', () => {
  // Prepare: vitest transforms modules; this proves the files as committed run on Node itself
  // (native type stripping for .ts, named ESM imports of the CommonJS validators).
  const script = `
    const contract = await import('./src/contract/index.ts');
    const query = contract.parseQuery('listItems', { limit: '5' });
    const event = contract.parseEvent({ event: 'reconnect', id: '1.a', data: '{"reason":"shutdown","retry_ms":10}' });
    process.stdout.write(JSON.stringify({ node: process.versions.node, query, event: event.ok }));`;

  // Act
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });

  // Assess
  const result = JSON.parse(output) as { node: string; query: unknown; event: boolean };
  expect(Number(result.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  expect(result.query).toEqual({ ok: true, value: { limit: 5 } });
  expect(result.event).toBe(true);
});
