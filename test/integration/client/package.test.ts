/**
 * `tickerpulse/client` as a consumer gets it: the `npm pack` tarball, unpacked into a fresh
 * project in a temporary directory outside the repository, next to the only packages the client
 * imports (eventsource-parser, openapi-fetch and its helper types). That project:
 * - type-checks a strict TypeScript file against it under moduleResolution `bundler` and
 *   `nodenext` with no special flag, and a typo in a path or a query parameter is an error;
 * - runs a plain ES module that lists items and follows the stream of the real server, on this
 *   Node (24) and on the system's Node 20, with no loader;
 * - bundles it for browsers with esbuild, within the 10 KiB gzipped budget;
 * - carries `tickerpulse/react` built too, which type-checks in a strict project that has React's
 *   types (React is an optional peer: the client above never needs it).
 * The tarball is the one `prepare` built (npm ci runs it); packing again skips the scripts so
 * that the build other tests import is not replaced while they run.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { startTestServer } from '../../support/test-server.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
/** What the client imports at run time (and openapi-fetch's own types). */
const CLIENT_DEPENDENCIES = ['eventsource-parser', 'openapi-fetch', 'openapi-typescript-helpers'];
/** What a React app brings itself for `tickerpulse/react`: React and its types (and theirs). */
const REACT_DEPENDENCIES = ['react', '@types/react', 'csstype'];
const SYSTEM_NODE = '/usr/bin/node';

let project: string;
let server: LocalServer;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'tickerpulse-consumer-'));
  const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', project, '--json'], {
    cwd: ROOT,
    timeout: 60_000,
  });
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  const modules = join(project, 'node_modules');
  mkdirSync(modules);
  await run('tar', ['-xzf', join(project, filename), '-C', modules]);
  await run('mv', [join(modules, 'package'), join(modules, 'tickerpulse')]);
  for (const name of CLIENT_DEPENDENCIES) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  server = await startTestServer({ SIMULATE: '0' });
}, 120_000);
afterAll(async () => {
  await server.close();
  rmSync(project, { recursive: true, force: true });
});

/** A strict tsconfig for `files`, with `resolution` as its module resolution. */
function tsconfig(name: string, resolution: 'bundler' | 'nodenext', files: string[]): string {
  const module = resolution === 'bundler' ? 'esnext' : 'nodenext';
  const compilerOptions = {
    strict: true,
    noEmit: true,
    target: 'es2022',
    lib: ['es2022', 'dom'],
    types: [],
    module,
    moduleResolution: resolution,
    // The unpacked package's own files are checked too: a broken declaration fails here.
    skipLibCheck: false,
  };
  writeFileSync(join(project, name), JSON.stringify({ compilerOptions, files }));
  return join(project, name);
}

/** What tsc reports for `config`: empty when it type-checks. */
async function tsc(config: string): Promise<string> {
  try {
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], { cwd: project });
    return '';
  } catch (error: unknown) {
    return String((error as { stdout?: unknown }).stdout);
  }
}

describe('the packed client in a fresh project', () => {
  it('holds built JavaScript and declarations, and no TypeScript source', () => {
    const files = readdirSync(join(project, 'node_modules/tickerpulse'), { recursive: true }).map(String);
    expect(files).toContain(join('dist/package/src/client/index.js'));
    expect(files).toContain(join('dist/package/src/client/index.d.ts'));
    expect(files).toContain(join('dist/package/src/react/index.js'));
    expect(files).toContain(join('dist/package/src/react/index.d.ts'));
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it.each(['bundler', 'nodenext'] as const)(
    'type-checks under moduleResolution %s with no special flag, and catches typos',
    async (resolution) => {
      writeFileSync(
        join(project, 'uses.ts'),
        [
          "import { createRestClient, isProblem, subscribe, type RestError } from 'tickerpulse/client';",
          "const client = createRestClient({ baseUrl: 'http://127.0.0.1:3000' });",
          "const { data, error } = await client.GET('/api/v2/items', { params: { query: { limit: 5 } } });",
          'const ids: string[] = data?.items.map((item) => item.item_id) ?? [];',
          'const problem: RestError | undefined = error;',
          'if (isProblem(problem)) console.log(problem.title, problem.status);',
          "const subscription = subscribe('http://127.0.0.1:3000/api/v2/stream', {",
          '  onEvent: { new_item: (item) => console.log(item.ticker, item.score) },',
          '});',
          'subscription.close();',
          'console.log(ids);',
          'export {};',
        ].join('\n'),
      );
      writeFileSync(
        join(project, 'typo.ts'),
        [
          "import { createRestClient } from 'tickerpulse/client';",
          "const client = createRestClient({ baseUrl: 'http://127.0.0.1:3000' });",
          "await client.GET('/api/v2/itemz');",
          "await client.GET('/api/v2/items', { params: { query: { limt: 5 } } });",
          'export {};',
        ].join('\n'),
      );
      expect(await tsc(tsconfig(`tsconfig.${resolution}.json`, resolution, ['uses.ts']))).toBe('');
      const typos = await tsc(tsconfig(`tsconfig.${resolution}-typo.json`, resolution, ['typo.ts']));
      // Line 3: no such path (openapi-fetch then wants the init of an unknown operation); line 4: no such parameter.
      expect(typos).toMatch(/^typo\.ts\(3,\d+\): error/m);
      expect(typos).toMatch(/^typo\.ts\(4,\d+\): error .*'limt'/m);
    },
    60_000,
  );

  it.each([
    ['this Node', process.execPath],
    ['the system Node 20', SYSTEM_NODE],
    // Other Node binaries to try, colon-separated (docs/client.md names the ones checked).
    ...(process.env.TEST_EXTRA_NODES ?? '')
      .split(':')
      .filter((path) => path !== '')
      .map((path) => [path, path]),
  ])('runs on %s with no loader: lists items and follows the stream', async (_name, node) => {
    if (!existsSync(node)) return;
    writeFileSync(
      join(project, 'follow.mjs'),
      [
        "import { createRestClient, subscribe } from 'tickerpulse/client';",
        'const [base] = process.argv.slice(2);',
        'const client = createRestClient({ baseUrl: base });',
        "const { data } = await client.GET('/api/v2/items', { params: { query: { limit: 3 } } });",
        'const events = [];',
        'await new Promise((done) => {',
        "  const subscription = subscribe(`${base}/api/v2/stream`, { onEvent: { stream_open: () => events.push('stream_open'),",
        "    heartbeat: () => { events.push('heartbeat'); subscription.close(); done(); } } });",
        '});',
        'console.log(JSON.stringify({ node: process.version, listed: Array.isArray(data?.items), events }));',
      ].join('\n'),
    );
    const { stdout } = await run(node, ['follow.mjs', server.url], { cwd: project, timeout: 30_000 });
    const result = JSON.parse(stdout) as { node: string; listed: boolean; events: string[] };
    expect(result.listed).toBe(true);
    expect(result.events).toEqual(['stream_open', 'heartbeat']);
    if (node === SYSTEM_NODE) expect(result.node).toMatch(/^v20\./);
  });

  it.each(['bundler', 'nodenext'] as const)(
    'type-checks tickerpulse/react under moduleResolution %s next to React, and catches typos',
    async (resolution) => {
      const modules = join(project, 'node_modules');
      for (const name of REACT_DEPENDENCIES) {
        mkdirSync(dirname(join(modules, name)), { recursive: true });
        if (!existsSync(join(modules, name))) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
      }
      writeFileSync(
        join(project, 'uses-react.ts'),
        [
          "import { type StreamView, useStream } from 'tickerpulse/react';",
          'export function useLive(userId: string): StreamView {',
          "  return useStream('http://127.0.0.1:3000/api/v2/stream', {",
          "    headers: { 'x-user-id': userId },",
          '    onEvent: { new_item: (item) => console.log(item.ticker, item.score) },',
          '  });',
          '}',
          'export const total = (view: StreamView): number | undefined => view.latest.metrics?.total;',
        ].join('\n'),
      );
      writeFileSync(
        join(project, 'typo-react.ts'),
        [
          "import { useStream } from 'tickerpulse/react';",
          "export const view = () => useStream('/api/v2/stream', { onEvent: { new_itme: () => undefined } });",
          'export const total = () => view().latest.metrics?.totl;',
        ].join('\n'),
      );
      expect(await tsc(tsconfig(`tsconfig.react-${resolution}.json`, resolution, ['uses-react.ts']))).toBe('');
      const typos = await tsc(tsconfig(`tsconfig.react-${resolution}-typo.json`, resolution, ['typo-react.ts']));
      expect(typos).toMatch(/^typo-react\.ts\(2,\d+\): error .*'new_itme'/m);
      expect(typos).toMatch(/^typo-react\.ts\(3,\d+\): error .*'totl'/m);
    },
    60_000,
  );

  it('bundles for browsers with esbuild within 10 KiB gzipped', async () => {
    writeFileSync(
      join(project, 'page.js'),
      "import { createRestClient, subscribe } from 'tickerpulse/client';\nwindow.tickerpulse = { createRestClient, subscribe };\n",
    );
    const result = await build({
      entryPoints: [join(project, 'page.js')],
      absWorkingDir: project,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const bytes = gzipSync(result.outputFiles[0]?.contents ?? new Uint8Array(), { level: 9 }).length;
    expect(bytes).toBeGreaterThan(1000);
    expect(bytes).toBeLessThanOrEqual(10 * 1024);
  });
});
