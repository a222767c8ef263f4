/**
 * The fleet under test: one standalone dynalite process (in memory, on loopback) and N
 * `npm run serve` processes on one table in it, each on its own loopback port, started as
 * docs/fleet.md describes (AWS-style settings pointed at DYNAMODB_ENDPOINT). Nothing of the
 * user's own AWS setup leaks in: every AWS_* variable is replaced, the shared files point nowhere
 * and the instance metadata service is off, so the SDK never leaves this machine.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { freePort } from '../lib/free-port.ts';
import { type BoundedProcess, startBounded } from './bounded-process.ts';
import { loopbackUrl } from './loopback-http.ts';
import { cleanEnvironment } from '../lib/clean-environment.ts';
import { nodeCommandOf } from '../lib/npm-script-command.ts';

const root = resolve(import.meta.dirname, '../..');
const TABLE = 'tickerpulse-bench-fleet';
const INGEST_API_KEY = 'bench-fleet-ingest-key-0000000000';
const JWT_SECRET = 'bench-fleet-jwt-secret-0123456789abcdef';
/** Starting Node with the SDK and the app takes 2-3 s on a quiet machine; several at once, longer. */
const START_TIMEOUT_MS = 60_000;
/** Closing 19,000 streams: serve promises 5 s; then SIGKILL. */
const STOP_GRACE_MS = 10_000;

/** What every serve process runs with besides the store's address. */
interface ServeSettings {
  readonly pollIntervalMs: number;
  readonly maxConnections: number;
  /** Seconds after which `timeout` kills it whatever happens. */
  readonly lifetimeS: number;
}

interface FleetServer {
  readonly index: number;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly process: BoundedProcess;
}

/** dynalite's own command line (its package's `bin`), in memory, on 127.0.0.1 only. */
async function startStore(lifetimeS: number): Promise<{ endpoint: string; process: BoundedProcess }> {
  const cli = createRequire(import.meta.url).resolve('dynalite/cli.js');
  const port = await freePort();
  const store = await startBounded(process.execPath, [cli, '--host', '127.0.0.1', '--port', String(port)], {
    env: cleanEnvironment(),
    lifetimeS,
    ready: /Dynalite listening at: (http:\/\/\S+)/,
    readyTimeoutMs: START_TIMEOUT_MS,
    stopGraceMs: 5_000,
  });
  return { endpoint: `http://127.0.0.1:${port}`, process: store };
}

function serveEnvironment(endpoint: string, settings: ServeSettings, createTable: boolean): Record<string, string> {
  return {
    ...cleanEnvironment(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench-fleet-access-key',
    AWS_SECRET_ACCESS_KEY: 'bench-fleet-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: resolve(root, 'scripts/bench/no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: resolve(root, 'scripts/bench/no-such-aws-credentials'),
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: TABLE,
    ...(createTable ? { CREATE_TABLE: 'true' } : {}),
    HOST: '127.0.0.1',
    PORT: '0',
    POLL_INTERVAL_MS: String(settings.pollIntervalMs),
    HEARTBEAT_INTERVAL_MS: '30000',
    MAX_CONNECTIONS: String(settings.maxConnections),
    LOG_LEVEL: 'warn',
    INGEST_API_KEY,
    AUTH_JWT_SECRET: JWT_SECRET,
  };
}

async function startServe(index: number, endpoint: string, settings: ServeSettings): Promise<FleetServer> {
  // As `npm run serve` starts it: the script's environment and Node options (package.json).
  const serve = nodeCommandOf('serve');
  const started = await startBounded(process.execPath, [...serve.nodeOptions, serve.entry], {
    cwd: root,
    env: { ...serveEnvironment(endpoint, settings, index === 0), ...serve.env },
    lifetimeS: settings.lifetimeS,
    ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    readyTimeoutMs: START_TIMEOUT_MS,
    stopGraceMs: STOP_GRACE_MS,
  });
  const url = loopbackUrl(started.readyValue);
  return { index, url: started.readyValue, host: url.hostname, port: Number(url.port), process: started };
}

/** Starts `count` serve processes: the first creates the table, the others then start together. */
async function startServers(count: number, endpoint: string, settings: ServeSettings): Promise<FleetServer[]> {
  const first = await startServe(0, endpoint, settings);
  const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => startServe(i + 1, endpoint, settings)));
  return [first, ...rest];
}

export type { FleetServer, ServeSettings };
export { INGEST_API_KEY, startServers, startStore };
