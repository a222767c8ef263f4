/**
 * AWS's Node.js runtime interface client, `aws-lambda-ric`, fetched at test time, like the browser
 * (test/support/chromium.ts). It cannot be a dependency: its install scripts build curl and
 * aws-lambda-cpp from source with cmake and then a native addon with node-gyp, and `npm ci && npm
 * test` must work on a machine that has only npm.
 *
 * What the tests use needs none of that: the published tarball holds `index.mjs`, the whole
 * runtime in JavaScript (the `awslambda` global, `streamifyResponse`, `HttpResponseStream.from`,
 * the streamed response over node:http, the invoke loop, the handler loader). It holds no
 * prebuilt `rapid-client.node`: only its C++ source, compiled by the postinstall script. That
 * addon does three things (next, done, error), see test/support/ric-native-stand-in.ts.
 *
 * The tarball is fetched with `npm pack` (the project's npm configuration and registry), checked
 * against a pinned sha512, unpacked with the system `tar` into
 * `~/.cache/tickerpulse/aws-lambda-ric-<version>` (or `$XDG_CACHE_HOME/tickerpulse/…`), once per
 * machine. Each fetch unpacks into its own staging directory and publishes it with one rename, so
 * parallel test files never see half a package; staging left by dead processes is deleted.
 * Failures are one line, never a skip.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCacheRoot } from './chromium.ts';
import { PROJECT_ROOT } from '../../scripts/lambda-esbuild.ts';

const RIC_NAME = 'aws-lambda-ric';
const RIC_VERSION = '4.0.2';
/** `npm view aws-lambda-ric@4.0.2 dist.integrity` */
const RIC_INTEGRITY = 'sha512-FE5Vskx7mYNnqAnWWJXUOsLp2VGgdsJsCoRLFTa8L4Yk0QVtArqR8q58yPA++QC1a73ZWJXBQ2AH31nIAv7NOQ==';

const RECORD = 'fetched.json';

interface RicPackage {
  /** The unpacked package directory (its package.json, index.mjs, src/native/…). */
  readonly dir: string;
  /** `index.mjs`: run it as the runtime process, as the managed runtime's bootstrap does. */
  readonly entry: string;
  readonly version: string;
  /** How long fetching and unpacking took, when this call did it. */
  readonly fetchedMs: number | undefined;
}

/** An error reported as its one-line message, without a stack pointing into this helper. */
function ricError(detail: string): Error {
  const error = new Error(
    `${RIC_NAME}@${RIC_VERSION} (fetched at test time from the npm registry): ${detail.replace(/\s*\n\s*/g, ' ')}`,
  );
  error.stack = `Error: ${error.message}`;
  return error;
}

function run(file: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(file, args, { cwd, timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error === null) resolveRun(stdout);
      else reject(new Error(firstErrorLine(stderr) || error.message));
    });
  });
}

/** npm's own error lines, joined (warnings come first and say nothing about the failure). */
function firstErrorLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const errors = lines
    .filter((line) => /^npm (error|ERR!)/.test(line) && !/complete log of this run/.test(line))
    .map((line) => line.replace(/^npm (error|ERR!) /, ''))
    .filter((line) => !/^\s*at /.test(line));
  return errors.length > 0 ? errors.join('; ').slice(0, 400) : (lines.at(-1) ?? '');
}

function sha512Integrity(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** npm pack → verify → tar x into `staging/package`. */
async function fetchInto(staging: string): Promise<void> {
  const spec = `${RIC_NAME}@${RIC_VERSION}`;
  try {
    // The project's directory, so its .npmrc (and the registry CI configures) applies.
    await run(
      'npm',
      ['pack', spec, '--pack-destination', staging, '--ignore-scripts', '--fetch-retries=1', '--fetch-timeout=30000'],
      PROJECT_ROOT,
    );
  } catch (error) {
    throw ricError(`npm pack ${spec} failed: ${(error as Error).message}`);
  }
  const tarball = (await readdir(staging)).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw ricError(`npm pack ${spec} wrote no tarball into ${staging}`);
  const actual = sha512Integrity(await readFile(join(staging, tarball)));
  if (actual !== RIC_INTEGRITY) throw ricError(`integrity mismatch: got ${actual}, pinned ${RIC_INTEGRITY}`);
  try {
    await run('tar', ['-xzf', tarball, '--no-same-owner'], staging);
  } catch (error) {
    throw ricError(`unpacking ${tarball} with tar failed: ${(error as Error).message}`);
  }
  await rm(join(staging, tarball));
}

function packageAt(root: string, fetchedMs: number | undefined): RicPackage {
  const record = JSON.parse(readFileSync(join(root, RECORD), 'utf8')) as { integrity: string };
  if (record.integrity !== RIC_INTEGRITY)
    throw ricError(`${root} holds another build (${record.integrity}); delete it`);
  const dir = join(root, 'package');
  return { dir, entry: join(dir, 'index.mjs'), version: RIC_VERSION, fetchedMs };
}

/** Removes staging directories of processes that died while fetching (their pid is gone). */
async function removeAbandonedStaging(cacheRoot: string, prefix: string): Promise<void> {
  for (const name of await readdir(cacheRoot)) {
    const pid = Number(name.startsWith(prefix) ? name.slice(prefix.length).split('-')[0] : Number.NaN);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH')
        await rm(join(cacheRoot, name), { recursive: true, force: true });
    }
  }
}

/** Fetches and unpacks the pinned package into `cacheRoot`, once. */
async function installRicPackage(cacheRoot: string): Promise<RicPackage> {
  const final = join(cacheRoot, `${RIC_NAME}-${RIC_VERSION}`);
  if (existsSync(join(final, RECORD))) return packageAt(final, undefined);
  if (existsSync(final)) throw ricError(`${final} is incomplete (no ${RECORD}); delete it`);
  await mkdir(cacheRoot, { recursive: true });
  const prefix = `.${RIC_NAME}-${RIC_VERSION}.staging-`;
  await removeAbandonedStaging(cacheRoot, prefix);
  const staging = join(cacheRoot, `${prefix}${process.pid}-${randomUUID()}`);
  const started = performance.now();
  try {
    await mkdir(staging);
    await fetchInto(staging);
    await writeFile(join(staging, RECORD), JSON.stringify({ integrity: RIC_INTEGRITY }));
    try {
      await rename(staging, final);
    } catch (error) {
      // Another test file published the same package first: that is success.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(join(final, RECORD))) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return packageAt(final, performance.now() - started);
}

let once: Promise<RicPackage> | undefined;

/** This machine's copy of the pinned runtime interface client (fetched once per machine). */
function ricPackage(): Promise<RicPackage> {
  once ??= installRicPackage(defaultCacheRoot());
  return once;
}

export type { RicPackage };
export { RIC_INTEGRITY, RIC_VERSION, installRicPackage, ricPackage };
