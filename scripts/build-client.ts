/**
 * The packages `tickerpulse/client` and `tickerpulse/react` as they are published: ESM
 * JavaScript and `.d.ts` declarations in `dist/package/` (tsc, tsconfig.client.json), which
 * package.json `exports` point at. npm runs this as `prepare`, so `npm ci`, `npm pack` and an
 * install from a path or a git URL all carry it.
 *
 * Then the client's browser cost: both entry points bundled by esbuild for browsers (minified,
 * their npm dependencies included, React left to the app), gzipped; the build fails over the
 * budget of 10 KiB for the client.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { defineCommand, readCommandLine } from '../src/cli/usage.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'dist', 'package');
/** The client's gzipped browser bundle may not grow past this. */
const CLIENT_BUDGET_BYTES = 10 * 1024;

/** Declarations tsc does not copy: the generated REST types are a `.d.ts` already. */
const COPIED_DECLARATIONS = ['generated/openapi/schema.d.ts'];

function compile(): void {
  rmSync(OUT, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.client.json')], { stdio: 'inherit' });
  for (const file of COPIED_DECLARATIONS) {
    mkdirSync(dirname(join(OUT, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(OUT, file));
  }
}

/** The gzipped size of `entry` bundled for browsers, with what it imports but `external`. */
async function browserBytes(entry: string, external: readonly string[]): Promise<number> {
  const result = await build({
    entryPoints: [join(OUT, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: [...external],
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild wrote nothing for ${entry}`);
  return gzipSync(output.contents, { level: 9 }).length;
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

const COMMAND = defineCommand({
  command: 'npm run build:client',
  summary:
    'Builds tickerpulse/client and tickerpulse/react as they are published: ESM JavaScript and .d.ts ' +
    'declarations in dist/package/ (tsc, tsconfig.client.json), replacing it, then prints their gzipped sizes ' +
    'as browser bundles (React left out). Exits 1 when the client is over its budget of 10 KiB. npm runs it ' +
    'as prepare. Reads no environment variables.',
  options: {},
});

async function main(): Promise<void> {
  readCommandLine(COMMAND);
  compile();
  const client = await browserBytes('src/client/index.js', []);
  // The hooks with the part of the client they use (subscribe()); React is the app's own, so it stays out.
  const react = await browserBytes('src/react/index.js', ['react']);
  console.log(
    `dist/package: tickerpulse/client ${kib(client)} gzipped for browsers (budget ${kib(CLIENT_BUDGET_BYTES)}); ` +
      `tickerpulse/react ${kib(react)} (with the client's subscribe(), without React)`,
  );
  if (client > CLIENT_BUDGET_BYTES) {
    console.error(`tickerpulse/client is over its budget: ${kib(client)} > ${kib(CLIENT_BUDGET_BYTES)}`);
    process.exitCode = 1;
  }
}

await main();
