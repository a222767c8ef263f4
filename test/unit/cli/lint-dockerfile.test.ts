/**
 * The Dockerfile lint (scripts/lint-dockerfile.ts) and the reader under it: the repository's
 * Dockerfile passes; a good Dockerfile passes; each bad variant fails with the rule it breaks.
 * The good Dockerfile is the real one with its entry swapped for src/main.ts, so the rules on the
 * files and packages the command loads run against the real sources.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { imageSpec, parseDockerfile } from '../../../scripts/lib/dockerfile.ts';
import { runtimeImports } from '../../../scripts/lib/runtime-imports.ts';
import { formatProblem, isIgnored, lintDockerfile, repositoryContext } from '../../../scripts/lint-dockerfile.ts';
import type { LintContext } from '../../../scripts/lint-dockerfile.ts';

const root = resolve(import.meta.dirname, '../../..');
const real = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
const context = repositoryContext(root);
const good = real.replace('CMD ["node", "--max-semi-space-size=2", "src/serve.ts"]', 'CMD ["node", "src/main.ts"]');

/** The rules `dockerfile` breaks, each once, sorted. */
function rulesBroken(dockerfile: string, with_: Partial<LintContext> = {}): string[] {
  return [...new Set(lintDockerfile(dockerfile, { ...context, ...with_ }).map((problem) => problem.rule))].sort();
}

/** `good` with `from` replaced by `to`, failing the test if `from` is not there. */
function variant(from: string | RegExp, to: string): string {
  const changed = good.replace(from, to);
  expect(changed, `the good Dockerfile has ${String(from)}`).not.toBe(good);
  return changed;
}

describe('the repository Dockerfile', () => {
  it('passes every rule (needs src/serve.ts, the command it runs)', () => {
    expect(lintDockerfile(real, context).map(formatProblem)).toEqual([]);
  });

  it('runs node src/serve.ts as node, on 0.0.0.0, in production, from /app', () => {
    const spec = imageSpec(real);
    expect(spec.command).toEqual(['node', '--max-semi-space-size=2', 'src/serve.ts']);
    expect(spec.user).toBe('node');
    expect(spec.workdir).toBe('/app');
    expect(spec.env).toMatchObject({ HOST: '0.0.0.0', NODE_ENV: 'production' });
    expect(spec.exposedPorts).toEqual([Number(spec.env.PORT)]);
    expect(spec.stopSignal).toBe('SIGTERM');
    expect(spec.healthCheck).toMatchObject({ shellForm: false, intervalS: 15, timeoutS: 5, retries: 3 });
  });
});

describe('lintDockerfile', () => {
  it('passes a good Dockerfile', () => {
    expect(lintDockerfile(good, context).map(formatProblem)).toEqual([]);
  });

  it.each<[string, () => string, string[]]>([
    [
      'a latest base image',
      () => variant(/node:24\.\d+\.\d+-bookworm-slim AS runtime/, 'node:latest AS runtime'),
      ['base-image', 'no-latest'],
    ],
    [
      'an untagged base image',
      () => variant(/node:24\.\d+\.\d+-bookworm-slim AS deps/, 'node AS deps'),
      ['base-image', 'no-latest'],
    ],
    [
      'a moving Node 24 tag',
      () => variant(/node:24\.\d+\.\d+-bookworm-slim AS runtime/, 'node:24-bookworm-slim AS runtime'),
      ['base-image'],
    ],
    [
      'Node 22',
      () => variant(/node:24\.\d+\.\d+-bookworm-slim AS runtime/, 'node:22.11.0-bookworm-slim AS runtime'),
      ['base-image'],
    ],
    [
      'a Node 24 older than engines',
      () => variant(/node:24\.\d+\.\d+-bookworm-slim AS runtime/, 'node:24.1.0-bookworm-slim AS runtime'),
      ['base-image'],
    ],
    ['no USER', () => variant('USER node\n', ''), ['user']],
    ['USER root', () => variant('USER node', 'USER root'), ['user']],
    ['USER 0:0', () => variant('USER node', 'USER 0:0'), ['user']],
    ['USER after CMD', () => `${variant('USER node\n', '')}USER node\n`, ['user']],
    [
      'CMD in shell form',
      () => variant('CMD ["node", "src/main.ts"]', 'CMD node src/main.ts'),
      ['cmd-exec', 'runtime'],
    ],
    [
      'ENTRYPOINT in shell form',
      () => variant('CMD ["node", "src/main.ts"]', 'ENTRYPOINT exec node\nCMD ["node", "src/main.ts"]'),
      ['cmd-exec', 'runtime'],
    ],
    ['no CMD', () => variant('CMD ["node", "src/main.ts"]\n', ''), ['cmd-exec', 'runtime']],
    ['no HEALTHCHECK', () => variant(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''), ['healthcheck']],
    ['HEALTHCHECK NONE', () => variant(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, 'HEALTHCHECK NONE\n'), ['healthcheck']],
    ['npm ci with dev dependencies', () => variant('npm ci --omit=dev', 'npm ci'), ['npm-ci']],
    ['npm install', () => variant('npm ci --omit=dev', 'npm install --omit=dev'), ['npm-ci']],
    [
      'node_modules from the build context',
      () => variant('COPY --from=deps /app/node_modules ./node_modules', 'COPY node_modules ./node_modules'),
      ['dockerignore', 'npm-ci'],
    ],
    [
      'ADD of a URL',
      () => variant('COPY package.json ./\n', 'COPY package.json ./\nADD https://example.com/tool.tgz /tmp/\n'),
      ['add-url'],
    ],
    [
      'ENV in the legacy form',
      () => variant('ENV NODE_ENV=production HOST', 'ENV NODE_ENV production\nENV HOST'),
      ['env-form'],
    ],
    ['STOPSIGNAL SIGKILL', () => variant('STOPSIGNAL SIGTERM', 'STOPSIGNAL SIGKILL'), ['stopsignal']],
    ['EXPOSE of another port', () => variant('EXPOSE 3000', 'EXPOSE 8080'), ['expose']],
    ['a lower-case instruction', () => variant('WORKDIR /app\nCOPY --from', 'workdir /app\nCOPY --from'), ['syntax']],
    ['a missing entry file', () => variant('src/main.ts', 'src/no-such-entry.ts'), ['runtime']],
    ['src/ not copied', () => variant('COPY src ./src\n', ''), ['runtime']],
    ['generated/ not copied', () => variant('COPY generated ./generated\n', ''), ['runtime']],
    ['package.json not copied', () => variant('COPY package.json ./\n', ''), ['runtime']],
  ])('fails %s', (_name, dockerfile, rules) => {
    expect(rulesBroken(dockerfile())).toEqual(rules);
  });

  it('fails a package the command imports that is only a devDependency', () => {
    const dependencies = (context.dependencies ?? []).filter((name) => name !== 'express');
    expect(lintDockerfile(good, { ...context, dependencies }).map(formatProblem)).toEqual([
      expect.stringMatching(
        /^Dockerfile:\d+: \[runtime\] src\/main\.ts imports express, which is not a production dependency$/,
      ),
    ]);
  });

  it.each([
    [
      'node_modules let in',
      '*\n!node_modules\n!src\n!generated\n!package.json\n!package-lock.json',
      /lets node_modules/,
    ],
    ['.git let in', 'node_modules\ncdk.out\ndist\ndocs-site\ntest\ndata\ncoverage\n.env', /lets \.git /],
    ['src dropped', (context.dockerignore ?? '').replace('!src\n', ''), /drops src/],
    [
      'a runtime file dropped',
      `${context.dockerignore ?? ''}\nsrc/store/*.ts\n`,
      /drops src\/store\/.*\.ts, which src\/main\.ts loads/,
    ],
  ])('fails a .dockerignore with %s', (_name, dockerignore, message) => {
    const problems = lintDockerfile(good, { ...context, dockerignore }).map(formatProblem);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    expect(problems.every((line) => line.includes(': [dockerignore] '))).toBe(true);
  });
});

describe('isIgnored (.dockerignore patterns, last match wins)', () => {
  it.each([
    ['*\n!src', 'src/store/feed.ts', false],
    ['*\n!src', 'node_modules/express/index.js', true],
    ['*\n!src\nsrc/**/*.md', 'src/dashboard/notes.md', true],
    ['node_modules/', 'node_modules', true],
    ['/dist', 'dist/lambda/rest/index.mjs', true],
    ['test', 'src/test.ts', false],
    ['*.md\n!README.md', 'README.md', false],
  ])('%j: %s → %s', (patterns, path, ignored) => {
    expect(isIgnored(patterns, path)).toBe(ignored);
  });
});

describe('the Dockerfile reader', () => {
  it('joins continuation lines, skips comments, reads flags, exec form and ENV quoting', () => {
    const text = [
      '# comment',
      'FROM node:24.21.0-bookworm-slim AS base',
      'FROM base',
      'ENV A=1 B="two words" C=\'single\' \\',
      '  # a comment inside an instruction',
      '  D=4',
      'WORKDIR /srv',
      'WORKDIR app',
      'HEALTHCHECK --interval=1m30s --timeout=500ms CMD curl -f http://127.0.0.1/',
      'ENTRYPOINT ["tini", "--"]',
      'CMD ["node", "x.ts"]',
    ].join('\n');
    expect(parseDockerfile(text).map((stage) => [stage.image, stage.name])).toEqual([
      ['node:24.21.0-bookworm-slim', 'base'],
      ['base', undefined],
    ]);
    const spec = imageSpec(text);
    expect(spec.env).toEqual({ A: '1', B: 'two words', C: 'single', D: '4' });
    expect(spec.workdir).toBe('/srv/app');
    expect(spec.command).toEqual(['tini', '--', 'node', 'x.ts']);
    expect(spec.user).toBeUndefined();
    expect(spec.healthCheck).toEqual({
      command: ['/bin/sh', '-c', 'curl -f http://127.0.0.1/'],
      shellForm: true,
      intervalS: 90,
      timeoutS: 0.5,
      startPeriodS: 0,
      retries: 3,
    });
  });
});

describe('runtimeImports', () => {
  it('follows runtime imports and leaves out what type stripping erases', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runtime-imports-'));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const files: Record<string, string> = {
      'entry.ts': [
        "import type { Only } from 'types-only';",
        "export type { Also } from 'types-too';",
        "import { type Kept } from 'kept-for-its-side-effects';",
        "import { readFileSync } from 'node:fs';",
        "import { join } from 'path';",
        "import { helper } from './helper.ts';",
        "import {\n  a,\n  b,\n} from '@scope/pkg/deep/file.js';",
        "const lazy = createRequire(import.meta.url)('lazy-dep');",
        "const later = await import('./later.ts');",
      ].join('\n'),
      'helper.ts': "export * from './missing.ts';\nimport 'side-effect';\n",
      'later.ts': "const v = require('cjs-dep/sub');\n",
    };
    for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);

    const loaded = runtimeImports(dir, 'entry.ts');

    expect(loaded.files).toEqual(['entry.ts', 'helper.ts', 'later.ts']);
    expect(loaded.packages).toEqual(['@scope/pkg', 'cjs-dep', 'kept-for-its-side-effects', 'lazy-dep', 'side-effect']);
    expect(loaded.unresolved).toEqual(['helper.ts: ./missing.ts']);
  });
});
