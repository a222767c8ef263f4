/**
 * How the browser tests find their browser (test/support/chromium.ts): the order CHROMIUM_PATH >
 * npm-shipped > system > one-line error, with the machine replaced by injected probes; and the
 * once-per-machine unpacking, against a small stand-in for the package's archives (unpacked by the
 * package's own `inflate`, in real child processes, on the real file system).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BrowserExecutable,
  type BrowserProbes,
  findShippedPackage,
  installShippedChromium,
  readLaunchRecord,
  resolveBrowser,
  type ShippedPackage,
} from '../../support/chromium.ts';

const SHIPPED: BrowserExecutable = { executablePath: '/cache/chromium', env: { X: '1' }, origin: 'npm' };

/** Probes of a machine that has everything: a CHROMIUM_PATH, the package, and a system browser. */
function machine(overrides: Partial<BrowserProbes> = {}): { probes: BrowserProbes; asked: string[] } {
  const asked: string[] = [];
  const executables = new Set(['/custom/chrome', '/usr/bin/chromium', '/usr/bin/google-chrome']);
  const probes: BrowserProbes = {
    chromiumPath: '/custom/chrome',
    platform: 'linux',
    arch: 'x64',
    shipped: () => {
      asked.push('shipped');
      return Promise.resolve(SHIPPED);
    },
    systemCandidates: ['/usr/bin/chromium', '/usr/bin/google-chrome'],
    isExecutable: (path) => {
      asked.push(path);
      return executables.has(path);
    },
    ...overrides,
  };
  return { probes, asked };
}

/** The error, checked to be one line with a one-line report (no stack into the helper). */
async function oneLineError(probes: BrowserProbes): Promise<string> {
  const error = await resolveBrowser(probes).then(
    () => expect.fail('expected no browser'),
    (failure: unknown) => failure as Error,
  );
  expect(error.message).not.toContain('\n');
  expect(error.stack).toBe(`Error: ${error.message}`);
  expect(error.message).toMatch(/^No browser for the browser tests: /);
  return error.message;
}

describe('resolveBrowser: the order', () => {
  it('takes CHROMIUM_PATH first, and then asks nothing else', async () => {
    const { probes, asked } = machine();
    expect(await resolveBrowser(probes)).toEqual({
      executablePath: '/custom/chrome',
      env: {},
      origin: 'CHROMIUM_PATH',
    });
    expect(asked).toEqual(['/custom/chrome']);
  });

  it('fails on a CHROMIUM_PATH that is not executable, instead of quietly using another browser', async () => {
    const { probes, asked } = machine({ chromiumPath: '/nowhere/chrome' });
    expect(await oneLineError(probes)).toContain('CHROMIUM_PATH=/nowhere/chrome is not an executable file');
    expect(asked).toEqual(['/nowhere/chrome']);
  });

  it('treats an empty CHROMIUM_PATH as unset', async () => {
    const { probes } = machine({ chromiumPath: '' });
    expect(await resolveBrowser(probes)).toBe(SHIPPED);
  });

  it('on Linux x64 takes the npm-shipped Chromium over a system one', async () => {
    const { probes, asked } = machine({ chromiumPath: undefined });
    expect(await resolveBrowser(probes)).toBe(SHIPPED);
    expect(asked).toEqual(['shipped']);
  });

  it('reports a failing npm-shipped Chromium rather than falling back to a system browser', async () => {
    const { probes, asked } = machine({
      chromiumPath: undefined,
      shipped: () => Promise.reject(new Error('the npm-shipped Chromium cannot start here (GLIBC_2.34 not found)')),
    });
    const message = await oneLineError(probes);
    expect(message).toContain('GLIBC_2.34 not found');
    expect(message).toContain('set CHROMIUM_PATH');
    expect(asked).toEqual([]);
  });

  it('on Linux x64 without the package says to run npm ci', async () => {
    const { probes } = machine({ chromiumPath: undefined, shipped: undefined });
    expect(await oneLineError(probes)).toContain('@sparticuz/chromium is not installed; run npm ci');
  });

  it.each([
    ['darwin', 'arm64'],
    ['linux', 'arm64'],
  ])('on %s-%s uses the first system browser found, in order', async (platform, arch) => {
    const { probes, asked } = machine({ chromiumPath: undefined, platform, arch });
    expect(await resolveBrowser(probes)).toEqual({ executablePath: '/usr/bin/chromium', env: {}, origin: 'system' });
    expect(asked).toEqual(['/usr/bin/chromium']);
  });

  it('with no browser at all, fails with one line naming what to install or set', async () => {
    const { probes } = machine({
      chromiumPath: undefined,
      platform: 'darwin',
      arch: 'arm64',
      isExecutable: () => false,
    });
    const message = await oneLineError(probes);
    expect(message).toContain('/usr/bin/chromium, /usr/bin/google-chrome');
    expect(message).toContain('install Google Chrome or Chromium, or set CHROMIUM_PATH');
  });
});

/** A stand-in for the package: its `bin/` archives in the real formats, with `chromium` a script. */
function fakePackage(root: string, chromiumScript: string): ShippedPackage {
  const real = findShippedPackage();
  if (real === undefined) throw new Error('@sparticuz/chromium is a devDependency: run npm ci');
  const bin = join(root, 'bin');
  const tree = join(root, 'tree');
  mkdirSync(join(tree, 'lib'), { recursive: true });
  mkdirSync(join(tree, 'fonts'), { recursive: true });
  mkdirSync(bin);
  writeFileSync(join(tree, 'lib', 'libnss3.so'), 'stand-in');
  writeFileSync(join(tree, 'fonts', 'Font.ttf'), 'stand-in');
  const tarBrotli = (dir: string) => brotliCompressSync(execFileSync('tar', ['-c', '-C', tree, dir]));
  writeFileSync(join(bin, 'chromium.br'), brotliCompressSync(`#!/bin/sh\n${chromiumScript}\n`));
  writeFileSync(join(bin, 'al2023.tar.br'), tarBrotli('lib'));
  writeFileSync(join(bin, 'fonts.tar.br'), tarBrotli('fonts'));
  return { binDir: bin, version: '0.0.0-test', entryUrl: real.entryUrl };
}

/** Starts only when the package's libraries come first, like the real binary on a bare machine. */
const NEEDS_SHIPPED_LIBS = [
  'case ":$LD_LIBRARY_PATH:" in',
  '  *"/al2023/lib:"*) echo "Chromium 0.0.0" ;;',
  '  *) echo "error while loading shared libraries: libnss3.so" >&2; exit 127 ;;',
  'esac',
].join('\n');

describe('installShippedChromium: once per machine, never half', () => {
  const roots: string[] = [];
  const scratch = () => {
    const root = mkdtempSync(join(tmpdir(), 'chromium-install-'));
    roots.push(root);
    return root;
  };
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it('unpacks, checks the binary starts, publishes, and then serves the cache', async () => {
    const root = scratch();
    const pkg = fakePackage(root, NEEDS_SHIPPED_LIBS);
    const cacheRoot = join(root, 'cache');
    const first = await installShippedChromium(pkg, { cacheRoot });
    const dir = join(cacheRoot, 'chromium-0.0.0-test');
    expect(first.dir).toBe(dir);
    expect(first.executablePath).toBe(join(dir, 'chromium'));
    expect(first.unpackedMs).toBeTypeOf('number');
    expect(first.env.LD_LIBRARY_PATH?.split(':')[0]).toBe(join(dir, 'al2023', 'lib'));
    expect(first.env.FONTCONFIG_FILE).toBe(join(dir, 'fonts.conf'));
    expect(
      execFileSync(first.executablePath, ['--version'], { env: { ...process.env, ...first.env } }).toString(),
    ).toBe('Chromium 0.0.0\n');
    expect(readdirSync(join(dir, 'fonts'))).toEqual(['fonts']);
    expect(readdirSync(cacheRoot)).toEqual(['chromium-0.0.0-test']);

    const again = await installShippedChromium(pkg, { cacheRoot });
    expect(again.unpackedMs).toBeUndefined();
    expect(again.executablePath).toBe(first.executablePath);
  });

  it('lets concurrent installers race to publish: one directory, both succeed, no staging left', async () => {
    const root = scratch();
    const pkg = fakePackage(root, NEEDS_SHIPPED_LIBS);
    const cacheRoot = join(root, 'cache');
    // Both have unpacked and checked before either publishes: the rename race is certain.
    let arrived = 0;
    let release = () => {};
    const bothReady = new Promise<void>((resolveReady) => (release = resolveReady));
    const barrier = () => {
      arrived += 1;
      if (arrived === 2) release();
      return bothReady;
    };
    const [a, b] = await Promise.all([
      installShippedChromium(pkg, { cacheRoot, beforePublish: barrier }),
      installShippedChromium(pkg, { cacheRoot, beforePublish: barrier }),
    ]);
    expect(a.executablePath).toBe(b.executablePath);
    expect(readdirSync(cacheRoot)).toEqual(['chromium-0.0.0-test']);
    expect(await readLaunchRecord(a.dir)).toEqual({ libraries: 'shipped' });
  });

  it('removes staging left by a process that died while unpacking', async () => {
    const root = scratch();
    const pkg = fakePackage(root, NEEDS_SHIPPED_LIBS);
    const cacheRoot = join(root, 'cache');
    // Above Linux's largest pid (2^22), so no process has it.
    const abandoned = join(cacheRoot, '.chromium-0.0.0-test.staging-4194305-abc');
    mkdirSync(abandoned, { recursive: true });
    writeFileSync(join(abandoned, 'chromium'), 'half a binary');
    await installShippedChromium(pkg, { cacheRoot });
    expect(readdirSync(cacheRoot)).toEqual(['chromium-0.0.0-test']);
  });

  it('starts it with the system libraries when the shipped ones do not load here', async () => {
    const root = scratch();
    const olderGlibc = [
      'case ":$LD_LIBRARY_PATH:" in',
      '  *"/al2023/lib:"*) echo "version GLIBC_2.34 not found" >&2; exit 1 ;;',
      '  *) echo "Chromium 0.0.0" ;;',
      'esac',
    ].join('\n');
    const installed = await installShippedChromium(fakePackage(root, olderGlibc), { cacheRoot: join(root, 'cache') });
    expect(await readLaunchRecord(installed.dir)).toEqual({ libraries: 'system' });
    expect(installed.env.LD_LIBRARY_PATH).toBeUndefined();
  });

  it('publishes nothing when the binary cannot start, and says why', async () => {
    const root = scratch();
    const pkg = fakePackage(root, 'echo "error while loading shared libraries: libnspr4.so" >&2; exit 127');
    const cacheRoot = join(root, 'cache');
    await expect(installShippedChromium(pkg, { cacheRoot })).rejects.toThrow(
      'the npm-shipped Chromium cannot start here (error while loading shared libraries: libnspr4.so)',
    );
    expect(readdirSync(cacheRoot)).toEqual([]);
  });
});
