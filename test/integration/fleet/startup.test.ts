/**
 * `npm run serve` refuses to start, with one line and a non-zero exit, when it cannot work: no
 * DynamoDB answering, no table (and no CREATE_TABLE), no region, no credentials. It creates the
 * table only when asked, also when several processes are asked at once. Every run starts at once,
 * so the file costs about one process start plus the unreachable endpoint's retries.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedDynalite, type EmbeddedDynalite } from '../../../src/store/index.ts';
import { freePort } from '../../support/free-port.ts';
import { fleetEnv, runServe, startServe, type RunningServe } from './serve-process.ts';

let dynalite: EmbeddedDynalite;
let unreachable: Promise<{ code: number | null; output: string }>;
let missingTable: Promise<{ code: number | null; output: string }>;
let missingRegion: Promise<{ code: number | null; output: string }>;
let missingCredentials: Promise<{ code: number | null; output: string }>;
let racers: Promise<RunningServe[]>;
const started: RunningServe[] = [];

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  // A port that was free a moment ago: nothing answers there.
  const closedPort = await freePort();
  unreachable = runServe(fleetEnv(`http://127.0.0.1:${closedPort}`, 'fleet-startup'));
  missingTable = runServe(fleetEnv(dynalite.endpoint, 'fleet-no-such-table'));
  missingRegion = runServe(fleetEnv(dynalite.endpoint, 'fleet-startup', { AWS_REGION: '' }));
  missingCredentials = runServe(
    fleetEnv(dynalite.endpoint, 'fleet-startup', { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }),
  );
  // Two processes asked to create the same missing table at the same moment.
  const racing = fleetEnv(dynalite.endpoint, 'fleet-created-together', { CREATE_TABLE: 'true' });
  racers = Promise.all([startServe(racing), startServe(racing)]).then((servers) => {
    started.push(...servers);
    return servers;
  });
  racers.catch(() => undefined);
});

afterAll(async () => {
  await racers.catch(() => undefined);
  for (const server of started) server.child.kill('SIGKILL');
  await Promise.all(started.map((server) => server.exited));
  await dynalite.close();
});

/** The run's output is exactly one line, starting with the command's name. */
function expectOneLine(output: string): string {
  const lines = output.split('\n').filter((line) => line !== '');
  expect(lines, output).toHaveLength(1);
  expect(lines[0]).toMatch(/^tickerpulse serve: /);
  expect(output).not.toMatch(/\n\s+at /);
  return lines[0] ?? '';
}

it('stops with one line and exit code 1 when nothing answers at DYNAMODB_ENDPOINT', async () => {
  const { code, output } = await unreachable;
  expect(code).toBe(1);
  const line = expectOneLine(output);
  expect(line).toMatch(/^tickerpulse serve: cannot reach DynamoDB at http:\/\/127\.0\.0\.1:\d+ \(region us-east-1\): /);
  expect(line).toContain('ECONNREFUSED');
});

it('stops with one line naming TABLE_NAME and CREATE_TABLE when the table is missing', async () => {
  const { code, output } = await missingTable;
  expect(code).toBe(1);
  const line = expectOneLine(output);
  expect(line).toContain('table "fleet-no-such-table" (TABLE_NAME) does not exist');
  expect(line).toContain('CREATE_TABLE=true');
});

it('stops with one line asking for AWS_REGION when no region is configured', async () => {
  const { code, output } = await missingRegion;
  expect(code).toBe(1);
  expect(expectOneLine(output)).toMatch(/^tickerpulse serve: no AWS region: set AWS_REGION/);
});

it('stops with one line naming the credential sources when there are no credentials', async () => {
  const { code, output } = await missingCredentials;
  expect(code).toBe(1);
  expect(expectOneLine(output)).toMatch(/^tickerpulse serve: no AWS credentials: set AWS_ACCESS_KEY_ID/);
});

it('creates a missing table with CREATE_TABLE=true, once, while several processes start together', async () => {
  const servers = await racers;
  const said = servers.map((server) => server.output());
  // Exactly one of them created it; the other waited for that table and serves it too.
  expect(said.filter((output) => output.includes('(table fleet-created-together, created,'))).toHaveLength(1);
  for (const server of servers) {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  }
});
