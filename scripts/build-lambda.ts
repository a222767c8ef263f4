/**
 * `npm run build`: the two Lambda bundles, `dist/lambda/rest/index.mjs` and
 * `dist/lambda/stream/index.mjs`, each exporting `handler`. esbuild, ESM, Node 24; the AWS SDK
 * stays external (the runtime provides it); validators are already compiled (generated/), so
 * nothing compiles a schema at cold start. Then, per bundle, its size and the time a fresh
 * Node process takes to import and initialise it, against the targets (≤ 1 MiB, ≤ 300 ms).
 * Only the size fails the build: it is deterministic, while init time is a measurement that
 * a loaded machine can blur, so it is printed, never asserted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { defineCommand, readCommandLine } from '../src/cli/usage.ts';
import { HANDLER_ENTRIES, LAMBDA_ESBUILD, PROJECT_ROOT as root } from './lambda-esbuild.ts';

const MAX_BYTES = 1024 * 1024;
const MAX_INIT_MS = 300;

const bundles = Object.entries(HANDLER_ENTRIES).map(([name, entry]) => ({ name, entry }));

interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
}

/** Bundles both handlers into `outDir/<name>/index.mjs`. */
async function buildBundles(outDir: string): Promise<BuiltBundle[]> {
  rmSync(outDir, { recursive: true, force: true });
  const built: BuiltBundle[] = [];
  for (const bundle of bundles) {
    const outfile = join(outDir, bundle.name, 'index.mjs');
    mkdirSync(join(outDir, bundle.name), { recursive: true });
    // The CDK stack bundles with these same settings (cdk/lib/bundling.ts).
    await build({
      ...LAMBDA_ESBUILD,
      mainFields: [...LAMBDA_ESBUILD.mainFields],
      external: [...LAMBDA_ESBUILD.external],
      entryPoints: [join(root, bundle.entry)],
      outfile,
    });
    built.push({ name: bundle.name, file: outfile, bytes: statSync(outfile).size });
  }
  return built;
}

/** Import + initialisation of a bundle in a fresh process, median of 5 runs. */
function initMs(file: string): number {
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(file)}); if (typeof m.handler !== 'function') process.exit(3); process.stdout.write(String(performance.now() - t));`;
  const runs = Array.from({ length: 5 }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: root })),
  ).sort((a, b) => a - b);
  return runs[2] ?? Number.NaN;
}

const COMMAND = defineCommand({
  command: 'npm run build',
  summary:
    'Bundles the two Lambda handlers (esbuild, ESM, Node 24, AWS SDK external) into ' +
    'dist/lambda/rest/index.mjs and dist/lambda/stream/index.mjs, each exporting handler, replacing ' +
    "dist/lambda/. Then prints each bundle's size and the time a fresh Node process takes to import it " +
    '(median of 5), against the targets of 1 MiB and 300 ms. Exits 1 if a bundle is over 1 MiB; the init ' +
    'time is printed, never enforced. Reads no environment variables.',
  options: {},
});

async function main(): Promise<void> {
  readCommandLine(COMMAND);
  const rows: string[] = [];
  let failed = false;
  for (const bundle of await buildBundles(join(root, 'dist/lambda'))) {
    const ms = initMs(bundle.file);
    failed ||= bundle.bytes > MAX_BYTES;
    const size = `${(bundle.bytes / 1024).toFixed(0)} KiB${bundle.bytes > MAX_BYTES ? ' (over 1 MiB)' : ''}`;
    const init = `${ms.toFixed(0)} ms${ms > MAX_INIT_MS ? ' (over the 300 ms target)' : ''}`;
    rows.push(`| ${bundle.name} | dist/lambda/${bundle.name}/index.mjs | ${size} | ${init} |`);
  }
  process.stdout.write(
    [
      `Lambda bundles (Node ${process.versions.node}; init = import + module initialisation in a fresh process, median of 5)`,
      '',
      '| bundle | file | size (target ≤ 1 MiB) | init (target ≤ 300 ms) |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  if (failed) process.exitCode = 1;
}

// Run as `npm run build`; tests import buildBundles().
if (process.argv[1] === import.meta.filename) await main();

export type { BuiltBundle };
export { buildBundles };
