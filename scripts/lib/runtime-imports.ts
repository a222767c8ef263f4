/**
 * What a Node entry point loads at run time, read from the sources: the repository files it
 * reaches through relative imports, and the packages it imports by name. `import type` and
 * `export type` are left out, because Node's type stripping erases them; every other import,
 * `import { type X }` included, loads its module. Dynamic `import('…')` and `require('…')` with a
 * literal name count too (the embedded store requires dynalite lazily).
 *
 * The Dockerfile lint uses it to check that the image holds every file the command loads and that
 * every package it imports is a production dependency (`npm ci --omit=dev` installs nothing else).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';

/** Files and packages an entry point loads. */
interface RuntimeImports {
  /** Repository files reached, relative to the root, sorted. */
  readonly files: readonly string[];
  /** Package names imported (`@scope/name` or `name`), sorted; Node built-ins excluded. */
  readonly packages: readonly string[];
  /** Relative imports that resolve to no file, as `importer: specifier`. */
  readonly unresolved: readonly string[];
}

/** Static and side-effect imports and re-exports, with the `type` keyword captured. */
const STATIC_IMPORT =
  /^\s*(import|export)(\s+type\b)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
/** `import('x')`, `require('x')`, and `createRequire(…)('x')`. */
const CALL_IMPORT = /(?:\bimport|\brequire|\))\(\s*['"]([^'"]+)['"]\s*\)/g;

const EXTENSIONS = ['', '.ts', '.js', '.mjs', '.cjs', '.json', '/index.ts', '/index.js'];

/** The runtime specifiers of one file's source. */
function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(STATIC_IMPORT)) {
    if (match[2] !== undefined) continue;
    const specifier = match[3] ?? match[4];
    if (specifier !== undefined) found.push(specifier);
  }
  for (const match of source.matchAll(CALL_IMPORT)) if (match[1] !== undefined) found.push(match[1]);
  return found;
}

/** The package a bare specifier names: `@aws-sdk/lib-dynamodb`, `ajv` for `ajv/dist/runtime/equal`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

const isBuiltin = (specifier: string): boolean =>
  specifier.startsWith('node:') || builtinModules.includes(packageName(specifier));

function resolveFile(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return EXTENSIONS.map((extension) => `${base}${extension}`).find(
    (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
  );
}

/** Everything `entry` (a path under `root`) loads at run time. */
function runtimeImports(root: string, entry: string): RuntimeImports {
  const files = new Set<string>();
  const packages = new Set<string>();
  const unresolved: string[] = [];
  const queue = [resolve(root, entry)];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    if (file.endsWith('.json')) continue;
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        const target = resolveFile(file, specifier);
        if (target === undefined) unresolved.push(`${relative(root, file)}: ${specifier}`);
        else queue.push(target);
      } else if (!isBuiltin(specifier)) {
        packages.add(packageName(specifier));
      }
    }
  }
  return {
    files: [...files].map((file) => relative(root, file)).sort(),
    packages: [...packages].sort(),
    unresolved,
  };
}

export type { RuntimeImports };
export { packageName, runtimeImports, specifiersOf };
