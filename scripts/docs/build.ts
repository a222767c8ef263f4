/**
 * Builds the docs site into a directory: the OpenAPI reference (Redoc, one self-contained file),
 * the AsyncAPI reference (the AsyncAPI HTML template) and a landing page, then checks that no
 * file loads anything from another host. Used by `npm run docs` and by the contract tests.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { buildAsyncApiReference } from './asyncapi.ts';
import { readOverview, renderIndexPage, type SpecSummary } from './index-page.ts';
import { buildOpenApiReference } from './redoc.ts';
import { assertNoRemoteResources } from './remote-check.ts';
import { repoRoot } from './tool-env.ts';

/** The site's entry points, relative to its directory. */
const SITE = {
  openapi: 'openapi.html',
  asyncapiDir: 'asyncapi',
  asyncapi: 'asyncapi/index.html',
  index: 'index.html',
} as const;

interface BuiltFile {
  /** Relative to the site directory, with `/` separators. */
  readonly path: string;
  readonly bytes: number;
}

interface DocsBuild {
  readonly outDir: string;
  readonly files: readonly BuiltFile[];
  /** Milliseconds per step. */
  readonly timings: {
    readonly openapi: number;
    readonly asyncapi: number;
    readonly index: number;
    readonly check: number;
  };
}

interface BuildOptions {
  /** The repository whose specs/ and README.md are rendered; defaults to this one. */
  readonly root?: string;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

function summarize(specPath: string, formatKey: 'openapi' | 'asyncapi', formatName: string): SpecSummary {
  const doc = parse(readFileSync(specPath, 'utf8')) as Record<string, unknown> | null;
  const info = (doc?.info ?? {}) as Record<string, unknown>;
  const title = info.title;
  const version = info.version;
  const format = doc?.[formatKey];
  if (typeof title !== 'string' || typeof version !== 'string' || typeof format !== 'string') {
    throw new Error(`${specPath}: needs ${formatKey}, info.title and info.version strings`);
  }
  return { title, version, format: `${formatName} ${format}` };
}

function listFiles(dir: string): BuiltFile[] {
  const files: BuiltFile[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile())
        files.push({ path: relative(dir, path).split('\\').join('/'), bytes: statSync(path).size });
    }
  };
  walk(dir);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Builds the site into `outDir` (created if missing). Only the site's own outputs are replaced;
 * any other file left there is still scanned, so a stray remote-loading file fails the build.
 */
async function buildDocs(outDir: string, options: BuildOptions = {}): Promise<DocsBuild> {
  const root = options.root ?? repoRoot;
  const log = options.log ?? (() => undefined);
  const out = resolve(outDir);
  const openapiSpec = join(root, 'specs/openapi.yaml');
  const asyncapiSpec = join(root, 'specs/asyncapi.yaml');

  mkdirSync(out, { recursive: true });
  for (const stale of [SITE.openapi, SITE.index, SITE.asyncapiDir]) {
    rmSync(join(out, stale), { recursive: true, force: true });
  }

  log('OpenAPI reference (redocly build-docs --inlineBundle)…');
  const openapi = await buildOpenApiReference(root, openapiSpec, join(out, SITE.openapi));

  log('AsyncAPI reference (asyncapi generate fromTemplate @asyncapi/html-template, loopback registry)…');
  const asyncapi = await buildAsyncApiReference(root, asyncapiSpec, join(out, SITE.asyncapiDir));

  let started = performance.now();
  const page = renderIndexPage({
    overviewMarkdown: readOverview(readFileSync(join(root, 'README.md'), 'utf8')),
    openapi: summarize(openapiSpec, 'openapi', 'OpenAPI'),
    asyncapi: summarize(asyncapiSpec, 'asyncapi', 'AsyncAPI'),
  });
  writeFileSync(join(out, SITE.index), page);
  const index = performance.now() - started;

  started = performance.now();
  assertNoRemoteResources(out);
  const check = performance.now() - started;

  return { outDir: out, files: listFiles(out), timings: { openapi, asyncapi: asyncapi.ms, index, check } };
}

export type { BuildOptions, BuiltFile, DocsBuild };
export { buildDocs, SITE };
