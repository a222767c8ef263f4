/**
 * The image, without a container runtime (none can pull a base image here): the Dockerfile's
 * final stage is read (scripts/lib/dockerfile.ts) and its exact command line is run as a process,
 *
 * - with exactly the image's ENV (nothing inherited from the test process) plus what a deployment
 *   adds: AWS-style credentials and region, a standalone store endpoint, CREATE_TABLE=true, secrets;
 * - in a copy of the image's WORKDIR made from the final stage's COPY instructions (build context
 *   filtered by .dockerignore; node_modules holding copies of the production packages only, as
 *   `npm ci --omit=dev` leaves it), so a file or a devDependency the image lacks fails here;
 * - as an unprivileged user when the test runs as root, as USER does, on a copy of the Node 24
 *   binary beside the WORKDIR: the repository may sit in a private directory (a home directory
 *   is 0700) that the unprivileged user cannot enter, so nothing it runs may point into it;
 * - against dynalite listening on 127.0.0.1 in the test process, which the server reaches over a
 *   real socket as it would reach DynamoDB.
 *
 * HOST is overridden to 127.0.0.1 (the image says 0.0.0.0): tests bind and connect on loopback only.
 * Then: /health answers 200 with the store reachable, the HEALTHCHECK's own command exits 0, and
 * SIGTERM ends an open stream with `reconnect` and the process within 5 s, exit code 0.
 *
 * Needs src/serve.ts, the command the image runs.
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageSpec, parseDockerfile } from '../../../scripts/lib/dockerfile.ts';
import { isIgnored } from '../../../scripts/lint-dockerfile.ts';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../../src/store/embedded-dynalite.ts';
import { freePort } from '../../support/free-port.ts';
import { openStream } from '../../support/sse-client.ts';
import type { ChildProcess } from 'node:child_process';
import type { Instruction } from '../../../scripts/lib/dockerfile.ts';

const root = resolve(import.meta.dirname, '../../..');
const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(resolve(root, '.dockerignore'), 'utf8');
const spec = imageSpec(dockerfile);

/** The drain the server promises: streams told to reconnect and the process gone within 5 s of SIGTERM. */
const SHUTDOWN_BOUND_MS = 5_000;
const START_BOUND_MS = 30_000;
/** `nobody`: an unprivileged user, as the image's USER is. */
const UNPRIVILEGED = 65_534;

/** The production packages of the lockfile, as `npm ci --omit=dev` installs them at the top level. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(resolve(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => /^node_modules\/(?:@[^/]+\/)?[^/]+$/.test(path) && entry.dev !== true)
    .map(([path]) => path.slice('node_modules/'.length))
    .filter((name) => existsSync(resolve(root, 'node_modules', name)));
}

/**
 * node_modules with the production packages only, copied (not linked: the unprivileged user may
 * not reach the repository). About 60 MB.
 */
function productionNodeModules(target: string): void {
  for (const name of productionPackages()) {
    mkdirSync(dirname(join(target, name)), { recursive: true });
    cpSync(resolve(root, 'node_modules', name), join(target, name), { recursive: true, dereference: true });
  }
}

/** Where a COPY destination lands inside the copied WORKDIR. */
function destinationIn(app: string, destination: string): string {
  const inWorkdir = destination.startsWith('/') ? relative(spec.workdir, destination) : destination;
  if (inWorkdir.startsWith('..')) throw new Error(`COPY outside WORKDIR ${spec.workdir}: ${destination}`);
  return resolve(app, inWorkdir);
}

/** Carries out one COPY of the final stage into `app`. */
function copyInto(app: string, copy: Instruction): void {
  const parts = copy.args.split(/\s+/);
  const destination = parts.at(-1) ?? '.';
  for (const source of parts.slice(0, -1)) {
    const into =
      destination.endsWith('/') || parts.length > 2
        ? join(destinationIn(app, destination), source)
        : destinationIn(app, destination);
    if (copy.flags.from !== undefined) {
      // The only thing the image takes from another stage is the npm ci --omit=dev result.
      if (!source.endsWith('/node_modules')) throw new Error(`unsupported COPY --from source ${source}`);
      productionNodeModules(into);
      continue;
    }
    cpSync(resolve(root, source), into, {
      recursive: true,
      filter: (path) => !isIgnored(dockerignore, relative(root, path)) || path === resolve(root, source),
    });
  }
}

/** The image's WORKDIR, rebuilt from the final stage's COPY instructions. */
function buildWorkdir(): string {
  const base = mkdtempSync(join(tmpdir(), 'tickerpulse-image-'));
  // mkdtemp makes the directory private; the unprivileged user must be able to enter it.
  chmodSync(base, 0o755);
  const app = join(base, 'app');
  mkdirSync(app);
  const finalStage = parseDockerfile(dockerfile).at(-1);
  for (const copy of finalStage?.instructions.filter((i) => i.keyword === 'COPY') ?? []) copyInto(app, copy);
  return app;
}

/** Drops to the unprivileged user as the image's USER does, when this test can (it runs as root). */
const dropsPrivileges = process.getuid?.() === 0 && spec.user !== undefined && spec.user !== 'root';
const asImageUser = (): { uid?: number; gid?: number } =>
  dropsPrivileges ? { uid: UNPRIVILEGED, gid: UNPRIVILEGED } : {};

/**
 * The Node binary running this test, copied into `base/bin` (readable and executable by anyone),
 * for the image's command to find on its PATH: the copy is the same Node 24 release.
 */
function nodeBinaryIn(base: string): string {
  const bin = join(base, 'bin');
  mkdirSync(bin);
  copyFileSync(process.execPath, join(bin, 'node'));
  chmodSync(join(bin, 'node'), 0o755);
  return bin;
}

/** What afterAll stops and removes, whatever point beforeAll reached. */
const started: { store?: EmbeddedDynalite; app?: string; server?: ChildProcess } = {};
let app: string;
let server: ChildProcess;
let output = '';
let baseUrl: string;
let env: Record<string, string>;
let exited: Promise<{ code: number | null; signal: string | null }>;

/** Polls /health until it answers 200; fails with the server's output if it exits or takes too long. */
async function waitForHealth(): Promise<void> {
  const since = Date.now();
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the image's command exited (${server.exitCode}):\n${output}`);
    if (Date.now() - since > START_BOUND_MS) throw new Error(`no /health within ${START_BOUND_MS} ms:\n${output}`);
    const ok = await fetch(`${baseUrl}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((wait) => setTimeout(wait, 200));
  }
}

beforeAll(async () => {
  const store = await startEmbeddedDynalite({ access: 'any-local-process' });
  started.store = store;
  app = buildWorkdir();
  started.app = app;
  const nodeBin = nodeBinaryIn(dirname(app));
  const port = await freePort();
  // Said in the test's output, so a reader knows which way it ran.
  console.info(
    dropsPrivileges
      ? `the image's command runs as uid ${UNPRIVILEGED}, unprivileged as the image's USER, on a copy of Node ${process.version}`
      : `the image's command runs as this user (uid ${process.getuid?.() ?? '?'}): only root can drop to the image's USER`,
  );
  env = {
    ...spec.env,
    // The image's PATH finds its node; here, a copy of the Node 24 running this test.
    PATH: `${nodeBin}:/usr/local/bin:/usr/bin:/bin`,
    HOST: '127.0.0.1',
    PORT: String(port),
    TABLE_NAME: 'tickerpulse-image-test',
    DYNAMODB_ENDPOINT: store.endpoint,
    CREATE_TABLE: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDIMAGETEST',
    AWS_SECRET_ACCESS_KEY: 'image-test-secret',
    // Nothing from the host's AWS configuration, and no instance metadata lookups.
    AWS_CONFIG_FILE: join(app, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(app, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    INGEST_API_KEY: 'image-test-ingest-key-0001',
    AUTH_JWT_SECRET: 'image-test-jwt-secret-of-at-least-32-characters',
    LOG_LEVEL: 'warn',
    // The image's compile cache is in its user's home; here, beside the copy of its files.
    NODE_COMPILE_CACHE: join(app, 'compile-cache'),
  };
  const [command = '', ...args] = spec.command ?? [];
  server = spawn(command, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], ...asImageUser() });
  started.server = server;
  const child = server;
  exited = new Promise((done) => {
    child.once('exit', (code, signal) => {
      done({ code, signal });
    });
  });
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth();
});

afterAll(async () => {
  const child = started.server;
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  await started.store?.close();
  if (started.app !== undefined) rmSync(dirname(started.app), { recursive: true, force: true });
});

describe("the image's command (node src/serve.ts) as a process", () => {
  it('runs on the Node major of the base image', () => {
    expect(spec.command?.[0]).toBe('node');
    const imageMajor = /^node:(\d+)\./.exec(spec.baseImage)?.[1];
    expect(process.versions.node.split('.')[0]).toBe(imageMajor);
  });

  it('answers /health 200 with the store reachable (the table was created: CREATE_TABLE=true)', async () => {
    const response = await fetch(`${baseUrl}/health`);
    const body = (await response.json()) as { status: string; store: { reachable: boolean } };
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', store: { reachable: true } });
  });

  it("passes the image's HEALTHCHECK: its own command exits 0 within its timeout", async () => {
    const check = spec.healthCheck;
    expect(check).toBeDefined();
    const [command = '', ...args] = check?.command ?? [];
    const probe = spawn(command, args, { cwd: app, env, stdio: 'ignore', ...asImageUser() });
    const bound = setTimeout(() => probe.kill('SIGKILL'), (check?.timeoutS ?? 5) * 1000);
    const code = await new Promise<number | null>((done) => probe.once('exit', done));
    clearTimeout(bound);
    expect(code).toBe(0);
  });

  it('on SIGTERM tells an open stream to reconnect and exits 0 within 5 s', async () => {
    const stream = await openStream(`${baseUrl}/api/v2/stream`);
    expect(stream.status).toBe(200);
    await stream.waitFor((events) => events.length > 0);

    const signalled = performance.now();
    server.kill('SIGTERM');
    const bound = setTimeout(() => server.kill('SIGKILL'), SHUTDOWN_BOUND_MS * 2);
    const { code, signal } = await exited;
    const tookMs = performance.now() - signalled;
    clearTimeout(bound);
    await stream.ended;

    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThanOrEqual(SHUTDOWN_BOUND_MS);
    expect(stream.events.at(-1)?.event).toBe('reconnect');
    expect(stream.violations).toEqual([]);
  });
});
