/**
 * Finds the Chromium that the browser tests drive, in one order everywhere:
 *
 *   1. `CHROMIUM_PATH`, when set: that executable and nothing else.
 *   2. On Linux x64, the Chromium shipped inside the npm package `@sparticuz/chromium` (a
 *      devDependency, so `npm ci` brings it): unpacked once per machine into a cache directory.
 *   3. Elsewhere, a system Chrome or Chromium at one of the usual paths.
 *   4. Otherwise one line that says what to install or set. No browser test skips for want of a browser.
 *
 * A failure of the npm-shipped Chromium is reported, not papered over with a system browser: a
 * machine that has one installed by hand would otherwise hide a broken path that a fresh machine takes.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A browser to launch: its executable and the environment it needs on top of ours. */
interface BrowserExecutable {
  readonly executablePath: string;
  readonly env: Readonly<Record<string, string>>;
  /** Where it came from, for messages: `CHROMIUM_PATH`, `npm @sparticuz/chromium 153.0.0`, `system`. */
  readonly origin: string;
}

/** What the resolver asks of the machine; tests inject their own. */
interface BrowserProbes {
  /** `CHROMIUM_PATH`; an empty value counts as unset. */
  readonly chromiumPath: string | undefined;
  readonly platform: string;
  readonly arch: string;
  /** Prepares the npm-shipped Chromium; undefined when the package is not installed. */
  readonly shipped: (() => Promise<BrowserExecutable>) | undefined;
  readonly systemCandidates: readonly string[];
  readonly isExecutable: (path: string) => boolean;
}

const SHIPPED_PACKAGE = '@sparticuz/chromium';

/** Where Chrome and Chromium are installed by Debian/Ubuntu, Google's packages, snap and macOS. */
const SYSTEM_CANDIDATES: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

const SET_CHROMIUM_PATH = 'set CHROMIUM_PATH to a Chrome or Chromium executable';

/** An error whose report is its one-line message, without a stack that points into this helper. */
function browserError(detail: string): Error {
  const error = new Error(`No browser for the browser tests: ${detail.replace(/\s*\n\s*/g, ' ')}`);
  error.stack = `Error: ${error.message}`;
  return error;
}

async function resolveBrowser(probes: BrowserProbes): Promise<BrowserExecutable> {
  const chromiumPath = probes.chromiumPath === '' ? undefined : probes.chromiumPath;
  if (chromiumPath !== undefined) {
    // An explicit choice that does not work is an error, never a reason to pick another browser.
    if (!probes.isExecutable(chromiumPath))
      throw browserError(`CHROMIUM_PATH=${chromiumPath} is not an executable file; fix it or unset it.`);
    return { executablePath: chromiumPath, env: {}, origin: 'CHROMIUM_PATH' };
  }
  if (probes.platform === 'linux' && probes.arch === 'x64') {
    if (probes.shipped === undefined)
      throw browserError(`the devDependency ${SHIPPED_PACKAGE} is not installed; run npm ci, or ${SET_CHROMIUM_PATH}.`);
    try {
      return await probes.shipped();
    } catch (error) {
      throw browserError(`${error instanceof Error ? error.message : String(error)}; ${SET_CHROMIUM_PATH}.`);
    }
  }
  const found = probes.systemCandidates.find((path) => probes.isExecutable(path));
  if (found !== undefined) return { executablePath: found, env: {}, origin: 'system' };
  throw browserError(
    `${SHIPPED_PACKAGE} ships Chromium for Linux x64 only (this is ${probes.platform}-${probes.arch}) and none of ` +
      `${probes.systemCandidates.join(', ')} exists; install Google Chrome or Chromium, or ${SET_CHROMIUM_PATH}.`,
  );
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The installed package: its `bin/` of brotli archives and the version that names the cache. */
interface ShippedPackage {
  readonly binDir: string;
  readonly version: string;
  /** The package's entry module, whose exported `inflate` unpacks its archives. */
  readonly entryUrl: string;
}

function findShippedPackage(): ShippedPackage | undefined {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(SHIPPED_PACKAGE);
  } catch {
    return undefined;
  }
  const root = dirname(dirname(entry)); // <package>/build/index.js
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { binDir: join(root, 'bin'), version, entryUrl: pathToFileURL(entry).href };
}

/** Per machine, not per checkout: `npm ci` empties node_modules, and every clone shares the result. */
function defaultCacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'tickerpulse');
}

/** Written last into a complete unpacked directory: which shared libraries the binary starts with. */
interface LaunchRecord {
  readonly libraries: 'shipped' | 'system';
}

const RECORD = 'launch.json';

interface InstalledChromium extends BrowserExecutable {
  readonly dir: string;
  /** How long unpacking took, when this call did it; undefined when the cache already had it. */
  readonly unpackedMs: number | undefined;
}

interface InstallOptions {
  readonly cacheRoot: string;
  /** Runs after unpacking and checking, right before publishing; tests use it to force a race. */
  readonly beforePublish?: () => Promise<void>;
}

function installedAt(dir: string, version: string, unpackedMs: number | undefined): InstalledChromium {
  const record = JSON.parse(readFileSync(join(dir, RECORD), 'utf8')) as LaunchRecord;
  return {
    dir,
    unpackedMs,
    executablePath: join(dir, 'chromium'),
    env: launchEnv(dir, record),
    origin: `npm ${SHIPPED_PACKAGE} ${version}`,
  };
}

/**
 * The package's own NSS, NSPR and expat come first on the library path: the binary then starts on a
 * machine without them (they are all it links besides glibc). Fonts: the system's, and the package's
 * Open Sans, so that text renders, and screenshots show it, even where no font is installed.
 */
function launchEnv(dir: string, record: LaunchRecord): Record<string, string> {
  const env: Record<string, string> = { FONTCONFIG_FILE: join(dir, 'fonts.conf') };
  if (record.libraries === 'shipped') env.LD_LIBRARY_PATH = libraryPath(join(dir, 'al2023', 'lib'));
  return env;
}

function libraryPath(first: string): string {
  const inherited = process.env.LD_LIBRARY_PATH;
  return inherited === undefined || inherited === '' ? first : `${first}:${inherited}`;
}

function fontsConf(dir: string): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<fontconfig>',
    '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
    `  <dir>${join(dir, 'fonts')}</dir>`,
    `  <cachedir>${join(dir, 'fontconfig-cache')}</cachedir>`,
    '</fontconfig>',
    '',
  ].join('\n');
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(file, args, { env, timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error === null) resolveRun(stdout);
      else reject(new Error(firstLine(stderr) || error.message));
    });
  });
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}

/**
 * The package's `inflate` unpacks into `os.tmpdir()`; a child process with TMPDIR set to our
 * staging directory makes that ours, without touching this process's environment.
 */
async function unpack(pkg: ShippedPackage, staging: string): Promise<void> {
  const script =
    `const { inflate } = await import(process.argv[1]);` +
    `for (const file of process.argv.slice(2)) await inflate(file);`;
  const archives = ['chromium.br', 'al2023.tar.br', 'fonts.tar.br'].map((name) => join(pkg.binDir, name));
  await run(process.execPath, ['--input-type=module', '-e', script, pkg.entryUrl, ...archives], {
    ...process.env,
    TMPDIR: staging,
  });
}

/** Starts the binary once (`--version`): with the package's libraries, else with the system's. */
async function checkStarts(staging: string): Promise<LaunchRecord> {
  const binary = join(staging, 'chromium');
  try {
    await run(binary, ['--version'], { ...process.env, LD_LIBRARY_PATH: libraryPath(join(staging, 'al2023', 'lib')) });
    return { libraries: 'shipped' };
  } catch (shippedFailure) {
    try {
      await run(binary, ['--version'], process.env);
      return { libraries: 'system' };
    } catch {
      throw new Error(`the npm-shipped Chromium cannot start here (${(shippedFailure as Error).message})`);
    }
  }
}

const STAGING_MARK = '.staging-';

/** Removes staging directories left by processes that died while unpacking (their pid is gone). */
async function removeAbandonedStaging(cacheRoot: string, prefix: string): Promise<void> {
  for (const name of await readdir(cacheRoot)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid))
      await rm(join(cacheRoot, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Unpacks the package's Chromium into `<cacheRoot>/chromium-<version>`, once. Each caller unpacks
 * into its own staging directory and publishes it with one rename, so the final directory is either
 * absent or complete: concurrent test files never see half a binary, and the first rename wins.
 */
async function installShippedChromium(pkg: ShippedPackage, options: InstallOptions): Promise<InstalledChromium> {
  const final = join(options.cacheRoot, `chromium-${pkg.version}`);
  if (existsSync(join(final, RECORD))) return installedAt(final, pkg.version, undefined);
  if (existsSync(final)) throw new Error(`${final} is incomplete (no ${RECORD}); delete it`);

  await mkdir(options.cacheRoot, { recursive: true });
  const prefix = `.chromium-${pkg.version}${STAGING_MARK}`;
  await removeAbandonedStaging(options.cacheRoot, prefix);
  const staging = join(options.cacheRoot, `${prefix}${process.pid}-${randomUUID()}`);
  const started = performance.now();
  try {
    await mkdir(staging);
    await unpack(pkg, staging);
    const record = await checkStarts(staging);
    await writeFile(join(staging, 'fonts.conf'), fontsConf(final));
    await writeFile(join(staging, RECORD), JSON.stringify(record));
    await options.beforePublish?.();
    await publish(staging, final);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return installedAt(final, pkg.version, performance.now() - started);
}

/** Renames staging to final; losing the race to an identical directory is success. */
async function publish(staging: string, final: string): Promise<void> {
  try {
    await rename(staging, final);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(join(final, RECORD))) throw error;
  }
}

let shippedOnce: Promise<InstalledChromium> | undefined;

/** This machine's npm-shipped Chromium, unpacked if needed (once per process, cached per machine). */
function shippedChromium(pkg: ShippedPackage): Promise<InstalledChromium> {
  shippedOnce ??= installShippedChromium(pkg, { cacheRoot: defaultCacheRoot() });
  return shippedOnce;
}

function machineProbes(): BrowserProbes {
  const pkg = findShippedPackage();
  return {
    chromiumPath: process.env.CHROMIUM_PATH,
    platform: process.platform,
    arch: process.arch,
    shipped: pkg === undefined ? undefined : () => shippedChromium(pkg),
    systemCandidates: SYSTEM_CANDIDATES,
    isExecutable: isExecutableFile,
  };
}

let resolvedOnce: Promise<BrowserExecutable> | undefined;

/** The browser for this machine's tests (resolved once per process). */
function testBrowser(): Promise<BrowserExecutable> {
  resolvedOnce ??= resolveBrowser(machineProbes());
  return resolvedOnce;
}

/** Reads a launch record, for tests that check what was published. */
async function readLaunchRecord(dir: string): Promise<LaunchRecord> {
  return JSON.parse(await readFile(join(dir, RECORD), 'utf8')) as LaunchRecord;
}

export type { BrowserExecutable, BrowserProbes, InstalledChromium, LaunchRecord, ShippedPackage };
export {
  SYSTEM_CANDIDATES,
  defaultCacheRoot,
  findShippedPackage,
  installShippedChromium,
  machineProbes,
  readLaunchRecord,
  resolveBrowser,
  shippedChromium,
  testBrowser,
};
