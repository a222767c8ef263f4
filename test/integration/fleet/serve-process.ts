/**
 * `npm run serve` as real child processes, for the fleet tests: the entry point on this Node (as
 * test/integration/http/start.test.ts runs `npm start`'s), with an AWS-style environment that
 * points at a standalone dynalite on loopback. Nothing from the developer's own AWS setup leaks
 * in: every AWS_* variable is replaced, the shared files point nowhere and the instance metadata
 * service is off, so the SDK's chain never leaves this machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { cleanEnvironment } from '../../../scripts/lib/clean-environment.ts';

const root = resolve(import.meta.dirname, '../../..');
const serveEntry = resolve(root, 'src/serve.ts');

const FLEET_INGEST_KEY = 'fleet-test-ingest-key-0001';
const FLEET_JWT_SECRET = 'fleet-test-jwt-secret-0123456789abcdef';

/** Bounds a start-up (4 Node processes at once on a 2-core machine) and any run expected to end. */
const START_BOUND_MS = 30_000;

/** What a serve process of the fleet runs with; `extra` adds or overrides, and an empty value unsets. */
function fleetEnv(endpoint: string, tableName: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    ...cleanEnvironment(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'fleet-test-access-key',
    AWS_SECRET_ACCESS_KEY: 'fleet-test-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: resolve(root, 'test/no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: resolve(root, 'test/no-such-aws-credentials'),
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: tableName,
    HOST: '127.0.0.1',
    PORT: '0',
    POLL_INTERVAL_MS: '200',
    HEARTBEAT_INTERVAL_MS: '1000',
    RETRY_MS: '500',
    LOG_LEVEL: 'warn',
    INGEST_API_KEY: FLEET_INGEST_KEY,
    AUTH_JWT_SECRET: FLEET_JWT_SECRET,
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** When the process was seen to exit (performance.now()). */
  readonly at: number;
}

interface ServeProcess {
  readonly child: ChildProcess;
  /** Everything it wrote, stdout and stderr together. */
  output(): string;
  readonly exited: Promise<Exit>;
}

function spawnServe(env: Record<string, string>, args: readonly string[] = []): ServeProcess {
  const child = spawn(process.execPath, [serveEntry, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((done) => {
    child.once('exit', (code, signal) => {
      done({ code, signal, at: performance.now() });
    });
  });
  // Bounded whatever the test does: a process that outlives its test is killed.
  const bound = setTimeout(() => child.kill('SIGKILL'), 120_000);
  bound.unref();
  void exited.then(() => {
    clearTimeout(bound);
  });
  return { child, output: () => output, exited };
}

interface RunningServe extends ServeProcess {
  /** `http://127.0.0.1:<port>` from its "listening on" line. */
  readonly url: string;
}

/** Spawns serve and resolves once it says it is listening; rejects with its output if it exits or stalls. */
async function startServe(env: Record<string, string>): Promise<RunningServe> {
  const started = spawnServe(env);
  const deadline = Date.now() + START_BOUND_MS;
  for (;;) {
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())?.[1];
    if (url !== undefined) return { ...started, url };
    const exited = started.child.exitCode !== null || started.child.signalCode !== null;
    if (exited || Date.now() > deadline) {
      started.child.kill('SIGKILL');
      throw new Error(`serve did not start:\n${started.output()}`);
    }
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

/** Runs serve to its end (a start-up that must fail, --help); killed if it has not ended within the bound. */
async function runServe(
  env: Record<string, string>,
  args: readonly string[] = [],
): Promise<{ code: number | null; output: string }> {
  const run = spawnServe(env, args);
  const bound = setTimeout(() => run.child.kill('SIGKILL'), START_BOUND_MS);
  const { code } = await run.exited;
  clearTimeout(bound);
  return { code, output: run.output() };
}

export type { RunningServe, ServeProcess };
export { FLEET_INGEST_KEY, fleetEnv, runServe, startServe };
